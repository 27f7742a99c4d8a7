"""Lookups read the index in place: a process's private memory does not
grow with the size of an lmdb: or cdb: table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.tables import mkmap
from pyfix.tables.base import DEFAULT_FLAGS
from pyfix.tables.indexed import TableRestart

PROBE = """
import sys
from pyfix.tables.open import open_table
from pyfix.tables.base import DEFAULT_FLAGS

def anon_kb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])

spec, count = sys.argv[1], int(sys.argv[2])
before = anon_kb()
table = open_table(spec, DEFAULT_FLAGS, surrogate=False)
found = 0
for n in range(0, count, 7):
    found += table.lookup(f"key{(n * 7919) % count}@example.com") is not None
print(anon_kb() - before, found)
"""


def build(dict_type: str, name: Path, count: int) -> None:
    builder = mkmap.mkmap_open(dict_type, str(name), DEFAULT_FLAGS, truncate=True,
                               size_hint=60 * count)
    while True:
        try:
            for n in range(count):
                builder.update(f"key{n}@example.com", f"smtp:[relay{n % 50}.example.net]:25")
            builder.close()
            return
        except TableRestart:
            continue


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("dict_type", ["lmdb", "cdb"])
def test_private_memory_does_not_grow_with_table(tmp_path: Path, dict_type: str) -> None:
    growth = {}
    for count in (2_000, 200_000):
        name = tmp_path / f"t{count}"
        build(dict_type, name, count)
        out = subprocess.run([sys.executable, "-c", PROBE, f"{dict_type}:{name}", str(count)],
                             capture_output=True, text=True, check=True).stdout.split()
        growth[count] = int(out[0])
        assert int(out[1]) == len(range(0, count, 7))
    # 100 times the entries (a 20 MB file), about the same private memory.
    assert growth[200_000] < growth[2_000] + 2048, growth
