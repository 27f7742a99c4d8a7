"""Differential tests: pyfix's SMTP core against recorded Postfix 3.7 smtpd.

Every dialogue in tests/golden/smtp/expected/ (recorded by
tests/golden/smtp/record.py from a real Postfix) is replayed:

* test_replies: each step fed whole; every reply byte must match.
* test_replies_bytewise: each step fed one byte at a time, with
  next_event() after each byte.  Pipelining detection depends on what is
  buffered, so dialogues recorded with smtpd_forbid_unauth_pipelining =
  yes (and pre-greeting input) only run whole.
* test_replies_pending: each step fed whole to a server without a policy
  object; every Request is answered through send(), as the asyncio shell
  will do.
* test_log: smtpd's log lines (connect, warnings, rejects, improper
  pipelining, lost connection, disconnect with command counts) must match,
  except lines that the shell or policy writes (see golden.py).
"""

from __future__ import annotations

import pytest

from tests.smtp.golden import (
    Dialogue,
    core_log,
    dialogues,
    feed_bytewise,
    feed_pending,
    iter_mismatches,
    profile_config,
    replay,
)

DIALOGUES = dialogues()
IDS = [d.name for d in DIALOGUES]


def _bytewise_ok(dialogue: Dialogue) -> bool:
    config = profile_config(dialogue.profile)
    if config.get_bool("smtpd_forbid_unauth_pipelining"):
        return False
    return not dialogue.steps[0][0]


def test_have_dialogues() -> None:
    assert len(DIALOGUES) >= 100


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=IDS)
def test_replies(dialogue: Dialogue) -> None:
    problems = list(iter_mismatches(dialogue, replay(dialogue)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=IDS)
def test_replies_bytewise(dialogue: Dialogue) -> None:
    if not _bytewise_ok(dialogue):
        pytest.skip("pipelining enforcement depends on how input arrives")
    problems = list(iter_mismatches(dialogue, replay(dialogue, feed_bytewise)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=IDS)
def test_replies_pending(dialogue: Dialogue) -> None:
    problems = list(iter_mismatches(dialogue, replay(dialogue, feed_pending)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=IDS)
def test_log(dialogue: Dialogue) -> None:
    result = replay(dialogue)
    assert core_log(result.log) == core_log(dialogue.log)
