"""pyfix's cleanup against queue files and logs recorded from Postfix 3.7.11.

tests/golden/cleanup/record.py recorded each case of
tests/golden/cleanup/cases.py with a real Postfix instance; these tests
replay the same SMTP transaction through the cleanup library and
compare the reply, the queue (incoming, hold or none), the cleanup log
lines and every queue file record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.cleanup import RewriteHook
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.rewrite.rewrite import Rewriter
from tests.cleanup.golden import CASES, recorded, replay
from tests.golden.cleanup.cases import Case


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The recordings were made with TZ=UTC (Date: headers are local time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.group}/{c.name}")
def test_matches_postfix(case: Case, tmp_path: Path) -> None:
    expected = recorded(case)
    got = replay(case, tmp_path)
    assert got.reply == expected.reply
    assert got.queue == expected.queue
    assert got.log == expected.log
    assert got.records == expected.records
    assert (got.rcpt_count, got.qmgr_flags, got.smtputf8) == (
        expected.rcpt_count, expected.qmgr_flags, expected.smtputf8)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.group}/{c.name}")
def test_matches_postfix_with_trivial_rewrite(case: Case, tmp_path: Path) -> None:
    """The same, with pyfix's trivial-rewrite as the rewriting hook."""
    def rewriter(config: Config, log: MailLog) -> RewriteHook:
        hook: RewriteHook = Rewriter(config, info=log.info, warn=log.warn).rewrite_addr
        return hook

    expected = recorded(case)
    got = replay(case, tmp_path, rewriter=rewriter)
    assert (got.reply, got.queue, got.log, got.records) == (
        expected.reply, expected.queue, expected.log, expected.records)
