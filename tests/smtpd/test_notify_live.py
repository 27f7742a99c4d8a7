"""The postmaster's transcript notices (notify_classes), against real Postfix.

With an error of a class in notify_classes, smtpd mails the session's
transcript to $error_notice_recipient.  Each case plays one dialogue on
both sides and compares the replies and log lines (differential.py), then
the notices that each queued: envelope sender and recipient, headers and
body, with queue IDs and dates masked.  Neither side runs a qmgr, so the
notices stay in the incoming queue, where postcat reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.oracle import POSTCAT, run
from tests.smtpd.differential import Differential, StepSpec, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<a@example.org>\r\n"
RCPT = b"RCPT TO:<u@mail.example.test>\r\n"
POSTMASTER = b"RCPT TO:<postmaster>\r\n"
QUIT = b"QUIT\r\n"
MESSAGE = (b"DATA\r\n", b"Subject: x\r\n\r\nbody\r\n.\r\n")

MASKS = [
    (re.compile(r"\b[0-9A-F]{10,12}\b"), "QUEUEID"),
    (re.compile(r"\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \(\w+\)"), "DATE"),
    (re.compile(r"<\d{14}\."), "<TIMESTAMP."),
    (re.compile(r"ESMTP (Postfix|pyfix)"), "ESMTP MAILNAME"),
]
KEEP = re.compile(r"^(sender|recipient|original_recipient): |^(?!\*\*\*|message_|create_time"
                  r"|named_attribute|$)")


def queued(queue: Path) -> set[Path]:
    return set((queue / "incoming").iterdir())


def notices(queue: Path, confdir: Path, before: set[Path]) -> list[str]:
    """The transcript notices in queue/incoming that are not in before
    (the warm-up's), oldest first, masked."""
    files = sorted(queued(queue) - before, key=lambda path: path.stat().st_mtime_ns)
    found = []
    for path in files:
        text = run(POSTCAT, confdir, str(path)).stdout
        if "SMTP server: errors from" not in text:
            continue  # the warm-up messages
        lines = [line for line in text.splitlines() if KEEP.search(line)]
        text = "\n".join(lines)
        for pattern, replacement in MASKS:
            text = pattern.sub(replacement, text)
        found.append(text)
    return found


def compare(main_cf: str, steps: list[StepSpec], expected: int) -> None:
    with Differential(main_cf) as diff:
        postfix_queue, pyfix_queue = diff.postfix.instance.base / "queue", diff.pyfix.instance.spool
        postfix_before, pyfix_before = queued(postfix_queue), queued(pyfix_queue)
        diff.check("notice", steps)
        theirs = notices(postfix_queue, diff.postfix.instance.base / "conf", postfix_before)
        ours = notices(pyfix_queue, diff.pyfix.instance.etc, pyfix_before)
    assert len(theirs) == expected, theirs
    assert ours == theirs


def test_unknown_restriction_notifies_postmaster() -> None:
    """A configuration error is a "software" error (in the default classes)."""
    compare("smtpd_recipient_restrictions = no_such_restriction\n",
            [EHLO, MAIL, RCPT, QUIT], 1)


def test_notice_names_and_recipient() -> None:
    """$mail_name in the Subject:, $error_notice_recipient qualified with
    $myorigin, the sender from $myhostname."""
    compare("smtpd_etrn_restrictions = no_such_restriction\nmyorigin = origin.example\n"
            "error_notice_recipient = pm\nmail_name = Frob\n",
            [EHLO, b"ETRN example.com\r\n", QUIT], 1)


@pytest.mark.parametrize(("steps", "expected"), [
    ([EHLO, b"ETRN example.com\r\n", b"RSET\r\n", b"NOOP\r\n", QUIT], 1),
    ([EHLO, b"ETRN example.com\r\n", b"EHLO again\r\n", b"ETRN example.com\r\n", QUIT], 2),
    ([EHLO, MAIL, RCPT, b"RSET\r\n", MAIL, RCPT, b"NOOP\r\n", QUIT], 2),
], ids=["rset", "ehlo", "two"])
def test_history_flush_threshold(steps: list[StepSpec], expected: int) -> None:
    """HELO, EHLO and RSET start a new transcript once the history has more
    than smtpd_history_flush_threshold lines: a notice for each part."""
    compare("smtpd_etrn_restrictions = no_such_restriction\n"
            "smtpd_recipient_restrictions = no_such_restriction\n"
            "smtpd_history_flush_threshold = 2\n", steps, expected)


def test_queued_message_clears_the_errors() -> None:
    """Errors before a message that is queued are not reported."""
    compare("smtpd_etrn_restrictions = no_such_restriction\n",
            [EHLO, b"ETRN example.com\r\n", MAIL, POSTMASTER, *MESSAGE, b"NOOP\r\n", QUIT], 0)


@pytest.mark.parametrize("classes", ["policy", "protocol", "resource, software", ""])
def test_notify_classes(classes: str) -> None:
    """A restriction's refusal is a "policy" error, an unknown command a
    "protocol" error; only the classes named get a notice."""
    expected = {"policy": 1, "protocol": 1}.get(classes, 0)
    compare(f"notify_classes = {classes}\n"
            "smtpd_recipient_restrictions = reject_non_fqdn_recipient\n",
            [EHLO, MAIL, b"RCPT TO:<u>\r\n", b"FROB\r\n", QUIT], expected)
