"""pyfix's cleanup against a real Postfix 3.7 instance started now.

The same comparison as test_golden.py, but with cases recorded afresh
by tests/golden/cleanup/record.py (one Postfix instance per case group),
so that a change in the installed Postfix or in the cases is noticed.
Skips without root or without Postfix's master(8).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import oracle
from tests.cleanup.golden import CASES, GOLDEN, recorded, replay
from tests.golden.cleanup.cases import GROUPS


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("group", list(GROUPS))
def test_live_postfix_agrees(group: str, tmp_path: Path) -> None:
    oracle.need(oracle.MASTER, oracle.POSTCAT, root=True, postfix_user=True)
    outdir = tmp_path / "recorded"
    result = subprocess.run(
        [sys.executable, str(GOLDEN / "record.py"), str(outdir), group],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TZ": "UTC"},
        check=False)
    assert result.returncode == 0, result.stderr
    for case in (case for case in CASES if case.group == group):
        expected = recorded(case, outdir)
        got = replay(case, tmp_path / case.name, outdir)
        assert (got.reply, got.queue, got.log) == (expected.reply, expected.queue,
                                                   expected.log), case.name
        assert got.records == expected.records, case.name
        assert (got.rcpt_count, got.qmgr_flags, got.smtputf8) == (
            expected.rcpt_count, expected.qmgr_flags, expected.smtputf8), case.name
