"""The session transcript for the postmaster (pyfix/smtp/chat.py), without I/O.

The live comparison with real Postfix is tests/smtpd/test_notify_live.py;
these cases pin the core's rules: what is recorded, when the history is
reset, and which error classes ask for a notice.
"""

from __future__ import annotations

import pytest

from pyfix.smtp.events import Transcript
from tests.smtp.helpers import FEEDS, feed, server

DIALOGUE = b"EHLO x\r\nFROB\r\nRSET\r\nNOOP\r\nQUIT\r\n"


def transcripts(data: bytes, feed_name: str = "whole", **settings: object) -> list[list[str]]:
    run = feed(server(**settings), FEEDS[feed_name](data))
    return [list(event.lines) for event in run.of(Transcript)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("feed_name", sorted(FEEDS))
def test_protocol_error_sends_the_whole_session(feed_name: str) -> None:
    [lines] = transcripts(DIALOGUE, feed_name, notify_classes=frozenset({"protocol"}))
    assert lines[0].startswith("Out: 220 ")
    assert lines[1] == "In:  EHLO x"
    assert lines[2].startswith("Out: 250-") and lines[-1] == "Out: 221 2.0.0 Bye"
    assert lines[lines.index("In:  FROB"):lines.index("In:  FROB") + 2] == \
        ["In:  FROB", "Out: 500 5.5.2 Error: command not recognized"]


def test_other_classes_send_nothing() -> None:
    assert transcripts(DIALOGUE, notify_classes=frozenset({"resource", "software"})) == []


def test_rset_starts_a_new_history_past_the_threshold() -> None:
    """RSET resets the history (before its reply) once it has more than
    smtpd_history_flush_threshold lines; the errors go with the old part."""
    [lines] = transcripts(DIALOGUE, notify_classes=frozenset({"protocol"}),
                          history_flush_threshold=2)
    assert lines[-1] == "In:  RSET"
    data = b"EHLO x\r\nRSET\r\nFROB\r\nQUIT\r\n"
    [lines] = transcripts(data, notify_classes=frozenset({"protocol"}),
                          history_flush_threshold=2)
    assert lines[0] == "Out: 250 2.0.0 Ok" and lines[1] == "In:  FROB"


def test_below_the_threshold_nothing_is_reset() -> None:
    [lines] = transcripts(DIALOGUE, notify_classes=frozenset({"protocol"}),
                          history_flush_threshold=1000)
    assert "In:  RSET" in lines and lines[-1] == "Out: 221 2.0.0 Bye"
