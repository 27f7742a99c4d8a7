"""Deferrals for a transport that cannot be reached, compared with real
Postfix 3.7 (tests/golden/qmgr/retry.log, recorded by record_retry.py
next to it): the retry transport's error(8) agent logs them, and qmgr
logs them itself only when retry cannot be reached either."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.instance import DELIVERY_MASTER_CF, Instance, wait_for
from tests.qmgr.postfix_live import normalize

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "qmgr" / "retry.log"
MAIN_CF = """\
mydestination =
mynetworks = 127.0.0.0/8
transport_maps = inline:{ nowhere.test=nosuch: }
minimal_backoff_time = 300s
"""
Make = Callable[..., Instance]


def golden(section: str) -> list[str]:
    lines: dict[str, list[str]] = {}
    current = ""
    for line in GOLDEN.read_text().splitlines():
        if line.startswith("# "):
            current = line[2:]
            lines[current] = []
        else:
            lines[current].append(line)
    return lines[section]


@pytest.mark.parametrize("section", ["unknown", "noretry"])
def test_unreachable_transport_matches_postfix(pyfix_instance: Make, section: str) -> None:
    master_cf = DELIVERY_MASTER_CF
    if section == "noretry":
        master_cf = "".join(line + "\n" for line in master_cf.splitlines()
                            if not line.startswith("retry"))
    inst = pyfix_instance(MAIN_CF, master_cf)
    for n in range(3):
        with inst.smtp() as client:
            client.sendmail("s@example.org", [f"u{n}@nowhere.test"], "Subject: t\r\n\r\nbody\r\n")
        inst.wait_log(f"to=<u{n}@nowhere.test>, relay=none")
    expected = golden(section)
    assert wait_for(lambda: len(normalize(inst.maillog())) >= len(expected))
    assert normalize(inst.maillog()) == expected
