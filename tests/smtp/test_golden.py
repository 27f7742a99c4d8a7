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
  except lines that the shell writes (see golden.py).

The restrictions in each recording's main.cf run through pyfix's own
evaluator (golden.py's GoldenPolicy); a dialogue whose main.cf names a
restriction that pyfix does not implement yet is a strict xfail.
"""

from __future__ import annotations

import pytest

from pyfix.smtpd.checks.engine import lookup_restriction, parse_list
from pyfix.smtpd.checks.smtpd import STAGES
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


def _unimplemented(dialogue: Dialogue) -> list[str]:
    """The restrictions in the dialogue's main.cf that pyfix lacks (they
    fail closed with 451 4.3.5 where Postfix applies them)."""
    config = profile_config(dialogue.profile)
    classes = config.get_list("smtpd_restriction_classes")
    return sorted({step.name for stage in STAGES
                   for step in parse_list(stage.parameter, config.get(stage.parameter)).steps
                   if lookup_restriction(step.name) is None and step.name not in classes
                   and ":" not in step.name})  # a table after an unknown name


def _params(found: list[Dialogue]) -> list[object]:
    """The dialogues; strict xfail where a restriction is not implemented."""
    params: list[object] = []
    for dialogue in found:
        missing = _unimplemented(dialogue)
        marks = [pytest.mark.xfail(reason=f"pyfix lacks {', '.join(missing)} (issue 10)",
                                   strict=True)] if missing else []
        params.append(pytest.param(dialogue, marks=marks, id=dialogue.name))
    return params


DIALOGUES = dialogues()
PARAMS = _params(DIALOGUES)


def _bytewise_ok(dialogue: Dialogue) -> bool:
    config = profile_config(dialogue.profile)
    if config.get_bool("smtpd_forbid_unauth_pipelining"):
        return False
    return not dialogue.steps[0][0]


def test_have_dialogues() -> None:
    assert len(DIALOGUES) >= 100


@pytest.mark.parametrize("dialogue", PARAMS)
def test_replies(dialogue: Dialogue) -> None:
    problems = list(iter_mismatches(dialogue, replay(dialogue)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", PARAMS)
def test_replies_bytewise(dialogue: Dialogue) -> None:
    if not _bytewise_ok(dialogue):
        pytest.skip("pipelining enforcement depends on how input arrives")
    problems = list(iter_mismatches(dialogue, replay(dialogue, feed_bytewise)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", PARAMS)
def test_replies_pending(dialogue: Dialogue) -> None:
    problems = list(iter_mismatches(dialogue, replay(dialogue, feed_pending)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialogue", PARAMS)
def test_log(dialogue: Dialogue) -> None:
    result = replay(dialogue)
    assert core_log(result.log) == core_log(dialogue.log)
