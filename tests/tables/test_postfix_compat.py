"""File compatibility with real Postfix, both ways: tables built by
pyfix are read by real postmap/postalias, and tables built by real
Postfix are read by pyfix, with the same answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.tables import bdb_reader
from tests import oracle

FIXTURES = Path(__file__).resolve().parents[1] / "golden" / "postmap" / "fixtures" / "basic"
REAL = {"postmap": oracle.POSTMAP, "postalias": oracle.POSTALIAS}
OLD = 1_000_000_000
SKIP = oracle.missing(*REAL.values())

pytestmark = pytest.mark.skipif(SKIP is not None, reason=str(SKIP))


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    for name in ("main.cf", "access", "bad", "aliases", "keys", "aliaskeys"):
        shutil.copy(FIXTURES / name, tmp_path / name)
        os.utime(tmp_path / name, (OLD, OLD))
    return tmp_path


def run(work: Path, impl: str, command: str, *args: str, stdin: str | None = None) -> str:
    argv = ([str(REAL[command]), "-c", str(work)] if impl == "postfix"
            else [sys.executable, "-m", f"pyfix.cli.{command}"])
    env = oracle.environ(MAIL_CONFIG=str(work), LC_ALL="C")
    data = (work / stdin).read_bytes() if stdin else b""
    proc = subprocess.run([*argv, *args], cwd=work, env=env, input=data,
                          capture_output=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout.decode("utf-8", "surrogateescape")


def answers(work: Path, impl: str, command: str, spec: str, keys: str, seq: bool = True,
            sort: bool = False) -> tuple[str, str]:
    queried = run(work, impl, command, "-q", "-", spec, stdin=keys)
    listed = run(work, impl, command, "-s", spec) if seq else ""
    if sort:
        listed = "".join(sorted(listed.splitlines(keepends=True)))
    return queried, listed


@pytest.mark.parametrize("dict_type", ["lmdb", "cdb"])
@pytest.mark.parametrize("source", ["access", "bad"])
def test_postmap_tables_both_ways(work: Path, dict_type: str, source: str) -> None:
    spec = f"{dict_type}:{source}"
    seq = dict_type != "cdb"
    run(work, "postfix", "postmap", spec)
    reference = answers(work, "postfix", "postmap", spec, "keys", seq)
    assert answers(work, "pyfix", "postmap", spec, "keys", seq) == reference
    os.unlink(work / f"{source}.{dict_type}")
    run(work, "pyfix", "postmap", spec)
    assert answers(work, "postfix", "postmap", spec, "keys", seq) == reference
    assert answers(work, "pyfix", "postmap", spec, "keys", seq) == reference


def test_cdb_files_are_identical(work: Path) -> None:
    run(work, "postfix", "postmap", "cdb:access")
    postfix_bytes = (work / "access.cdb").read_bytes()
    run(work, "pyfix", "postmap", "cdb:access")
    assert (work / "access.cdb").read_bytes() == postfix_bytes


def test_pyfix_hash_is_postfix_lmdb(work: Path) -> None:
    """pyfix's hash:NAME is the file real Postfix reads as lmdb:NAME."""
    run(work, "postfix", "postmap", "lmdb:access")
    reference = answers(work, "postfix", "postmap", "lmdb:access", "keys")
    os.unlink(work / "access.lmdb")
    run(work, "pyfix", "postmap", "hash:access")
    assert not (work / "access.db").exists()
    assert answers(work, "postfix", "postmap", "lmdb:access", "keys") == reference


def test_pyfix_leaves_postfix_db_alone(work: Path) -> None:
    run(work, "postfix", "postmap", "hash:access")
    before = (work / "access.db").read_bytes()
    run(work, "pyfix", "postmap", "hash:access")
    assert (work / "access.db").read_bytes() == before
    assert run(work, "postfix", "postmap", "-q", "upper", "hash:access") == "Mixed Case Value\n"


@pytest.mark.skipif(not bdb_reader.available(),
                    reason="the Berkeley DB library (libdb-5.3.so) is not installed")
def test_postfix_hash_files_are_read(work: Path) -> None:
    run(work, "postfix", "postmap", "hash:access")
    reference = answers(work, "postfix", "postmap", "hash:access", "keys", sort=True)
    assert not (work / "access.lmdb").exists()
    assert answers(work, "pyfix", "postmap", "hash:access", "keys", sort=True) == reference
    # An incremental update copies the Berkeley DB table into access.lmdb first.
    (work / "more").write_text("added yes\n")
    run(work, "pyfix", "postmap", "-i", "hash:access", stdin="more")
    assert run(work, "pyfix", "postmap", "-q", "upper", "hash:access") == "Mixed Case Value\n"
    assert run(work, "pyfix", "postmap", "-q", "added", "hash:access") == "yes\n"
    assert run(work, "postfix", "postmap", "-q", "added", "lmdb:access") == "yes\n"


@pytest.mark.parametrize("dict_type", ["lmdb", "cdb", "hash"])
def test_postalias_tables_both_ways(work: Path, dict_type: str) -> None:
    spec = f"{dict_type}:aliases"
    real_spec = "lmdb:aliases" if dict_type == "hash" else spec
    run(work, "postfix", "postalias", real_spec)
    reference = run(work, "postfix", "postalias", "-q", "-", real_spec, stdin="aliaskeys")
    for name in os.listdir(work):
        if name.startswith("aliases."):
            os.unlink(work / name)
    run(work, "pyfix", "postalias", spec)
    assert run(work, "postfix", "postalias", "-q", "-", real_spec, stdin="aliaskeys") == reference
    assert run(work, "pyfix", "postalias", "-q", "-", spec, stdin="aliaskeys") == reference
