"""defer_if_permit, defer_if_reject, warn_if_reject, restriction classes and
reject_unauth_pipelining, live: real Postfix 3.7 and pyfix with the same
main.cf and the same dialogues, replies and normalized smtpd and cleanup
log lines (reject and reject_warning lines included) compared
(tests/smtpd/differential.py).  The offline cases of
tests/smtpd/test_checks_generic.py are played here as SMTP dialogues.
"""

from __future__ import annotations

import re

import pytest

from tests.smtpd.differential import (
    Differential,
    StepSpec,
    describe,
    normalize_steps,
    skip_reason,
)
from tests.smtpd.test_checks_generic import (
    ACCESS_DEFERRALS,
    CLASSES,
    FOREIGN,
    LOCAL,
    RCPT_CASES,
)
from tests.smtpd.test_checks_live import _message_id_apart

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

# As test_checks_generic.COMMON (the recording main.cf sets the rest); an
# unknown restriction mails no software notice (see test_checks_live.py).
COMMON = "relay_domains =\nnotify_classes = resource\n"
EHLO = b"EHLO client.example\r\n"
HELO = b"HELO client.example\r\n"
MAIL = b"MAIL FROM:<a@example.org>\r\n"
DATA = b"DATA\r\n"
MESSAGE = (b"Subject: x\r\n\r\nx\r\n.\r\n", "reply")
QUIT = b"QUIT\r\n"


def rcpt(address: str) -> bytes:
    return f"RCPT TO:<{address}>\r\n".encode()


def by_list() -> dict[str, list[str]]:
    """RCPT_CASES's recipients for each list."""
    lists: dict[str, list[str]] = {}
    for restrictions, recipient, _reply, _warnings in RCPT_CASES:
        lists.setdefault(restrictions, []).append(recipient)
    return lists


@pytest.mark.parametrize("restrictions", list(by_list()))
def test_recipient_checks(restrictions: str) -> None:
    """Each offline RCPT case: after an accepted recipient too (QUEUEID in
    the reject_warning line)."""
    recipients = by_list()[restrictions]
    with Differential(COMMON + f"smtpd_recipient_restrictions = {restrictions}\n") as diff:
        diff.check("rcpt", [EHLO, MAIL, *map(rcpt, recipients), rcpt(LOCAL), QUIT])


@pytest.mark.parametrize("main_cf", [
    "smtpd_delay_reject = {}\nsmtpd_sender_restrictions = defer_if_permit\n"
    "smtpd_recipient_restrictions = warn_if_reject reject, reject_unauth_destination\n",
    "smtpd_delay_reject = {}\nsmtpd_client_restrictions = defer_if_permit, permit\n"
    "smtpd_recipient_restrictions = reject_unauth_destination\n",
    "smtpd_delay_reject = {}\nsmtpd_client_restrictions = defer_if_reject, reject\n",
    "smtpd_delay_reject = {}\nsmtpd_helo_restrictions = defer_if_reject, reject\n",
    "smtpd_delay_reject = {}\nsmtpd_helo_restrictions = defer_if_permit\n"
    "smtpd_sender_restrictions = defer_if_reject, reject\n",
    "smtpd_delay_reject = {}\nsmtpd_sender_restrictions = warn_if_reject defer_if_reject, "
    "reject\nsmtpd_recipient_restrictions = warn_if_reject defer_if_permit, permit\n",
    "smtpd_delay_reject = {}\nsmtpd_helo_restrictions = warn_if_reject defer_if_permit\n"
    "smtpd_client_restrictions = warn_if_reject reject\n",
])
@pytest.mark.parametrize("delay", ["yes", "no"])
def test_early_stages(main_cf: str, delay: str) -> None:
    """Deferrals that the client, helo and sender lists leave pending, with
    smtpd_delay_reject both ways."""
    with Differential(COMMON + main_cf.format(delay)) as diff:
        diff.check("early", [EHLO, MAIL, rcpt(LOCAL), rcpt(FOREIGN), QUIT])


def test_data_etrn_and_end_of_data() -> None:
    with Differential(COMMON + "smtpd_data_restrictions = defer_if_reject, reject\n"
                      "smtpd_etrn_restrictions = defer_if_permit\n") as diff:
        diff.check("data", [EHLO, b"ETRN example.com\r\n", MAIL, rcpt(LOCAL), DATA, QUIT])
    with Differential(COMMON + "smtpd_end_of_data_restrictions = defer_if_permit\n"
                      "smtpd_data_restrictions = warn_if_reject reject\n") as diff:
        steps: list[StepSpec] = [EHLO, MAIL, rcpt(LOCAL), DATA, MESSAGE, QUIT]
        postfix, pyfix = diff.run("end-of-data", steps)
    # cleanup's message-id line falls where buffering puts it (test_checks_live)
    report = describe("end-of-data", normalize_steps(steps),
                      *map(_message_id_apart, (postfix, pyfix)))
    assert not report, report


def test_warn_if_reject_with_soft_bounce() -> None:
    """The reject_warning line shows the reply as soft_bounce changes it."""
    with Differential(COMMON + "soft_bounce = yes\nsmtpd_recipient_restrictions = "
                      "warn_if_reject reject, defer_if_reject, reject\n") as diff:
        diff.check("soft", [EHLO, MAIL, rcpt(LOCAL), QUIT])


@pytest.mark.parametrize("restrictions", [
    "check_client_access inline:{localhost=easy}, strict",
    "check_client_access inline:{127.0.0.1=strict}, easy",
    "warn_if_reject strict, easy",
    "strict, permit",
])
def test_restriction_classes(restrictions: str) -> None:
    with Differential(COMMON + CLASSES + f"smtpd_recipient_restrictions = {restrictions}\n"
                      "smtpd_helo_restrictions = easy\n") as diff:
        diff.check("classes", [EHLO, MAIL, rcpt(LOCAL), rcpt("s@mail.example.test"),
                               rcpt("u"), rcpt(FOREIGN), QUIT])


def test_a_name_not_listed_as_a_class_is_unknown() -> None:
    with Differential(COMMON + "strict = reject\n"
                      "smtpd_recipient_restrictions = strict, permit\n") as diff:
        diff.check("unlisted-class", [EHLO, MAIL, rcpt(LOCAL), QUIT])


PIPELINED: dict[str, list[StepSpec]] = {
    "helo": [HELO, MAIL + rcpt(LOCAL) + DATA, QUIT],
    "helo-in-step": [HELO, MAIL, rcpt(LOCAL), DATA, MESSAGE, QUIT],
    "ehlo": [EHLO, MAIL + rcpt(LOCAL) + rcpt(FOREIGN), DATA + b"Subject: x\r\n\r\nx\r\n.\r\n",
             QUIT],
    "ehlo-in-step": [EHLO, MAIL, rcpt(LOCAL), DATA, MESSAGE, QUIT],
}


def test_reject_unauth_pipelining() -> None:
    with Differential(COMMON + "smtpd_data_restrictions = reject_unauth_pipelining\n"
                      "smtpd_recipient_restrictions = reject_unauth_pipelining, "
                      "reject_unauth_destination\n") as diff:
        report = diff.compare(PIPELINED)
    assert not report, report


def test_permit_naked_ip_address() -> None:
    with Differential(COMMON + "smtpd_recipient_restrictions = permit_naked_ip_address, "
                      "reject\n") as diff:
        report = diff.compare({
            helo: [f"HELO {helo}\r\n".encode(), MAIL, rcpt(LOCAL), QUIT]
            for helo in ("127.0.0.1", "client.example", "[127.0.0.1]")})
    assert not report, report


def test_reject_footer() -> None:
    """smtpd_reject_footer on every 4xx and 5xx reply (not in the log),
    with its macros, "\\c", "\\n" and an unknown macro's warning.
    $client_port and $localtime differ between the two sides by nature:
    test_footer.py covers them offline."""
    with Differential(COMMON + "smtpd_reject_footer = \\c. Call $server_name about "
                      "$client_address\\nSecond $nosuch line\n"
                      "smtpd_recipient_restrictions = reject\n") as diff:
        diff.check("joined", [EHLO, b"BOGUS\r\n", MAIL.replace(b"\r\n", b" FOO=1\r\n"), MAIL,
                              rcpt(LOCAL), DATA, b"VRFY\r\n", QUIT])
    with Differential(COMMON + "smtpd_reject_footer = For help see x.\n"
                      "smtpd_client_restrictions = defer\nsmtpd_delay_reject = no\n") as diff:
        diff.check("own-line", [EHLO, MAIL, QUIT])


@pytest.mark.parametrize("case", ACCESS_DEFERRALS, ids=lambda case: f"{case[0]}-{case[1]}")
def test_access_map_deferrals(case: tuple[str, str, str | None]) -> None:
    value, then, _answer = case
    table = value if value.startswith("{") else f"127.0.0.1={value}"
    with Differential(COMMON + "access_map_defer_code = 451\n" * ("not now" in value)
                      + f"smtpd_recipient_restrictions = check_client_access "
                      f"inline:{{{table}}}, {then}\n") as diff:
        diff.check("access", [EHLO, MAIL, rcpt(LOCAL), QUIT])


def test_reject_and_defer_codes() -> None:
    with Differential(COMMON + "reject_code = 550\ndefer_code = 451\n"
                      "smtpd_recipient_restrictions = defer_if_permit, reject\n"
                      "smtpd_helo_restrictions = defer_if_reject, warn_if_reject reject, "
                      "defer\n") as diff:
        diff.check("codes", [EHLO, MAIL, rcpt(LOCAL), QUIT])


def test_reject_footer_localtime() -> None:
    """$localtime: the same shape of time stamp on both sides."""
    with Differential(COMMON + "smtpd_reject_footer = \\c at $localtime\n"
                      "smtpd_recipient_restrictions = reject\n") as diff:
        postfix, pyfix = diff.run("localtime", [EHLO, MAIL, rcpt(LOCAL), QUIT])
    stamp = re.compile(rb"Access denied at (\w{3} [ \d]\d \d\d:\d\d:\d\d)\r\n$")
    theirs, ours = (stamp.search(side.replies[3]) for side in (postfix, pyfix))
    assert theirs is not None and ours is not None, (postfix.replies, pyfix.replies)
    assert [len(match.group(1)) for match in (theirs, ours)] == [15, 15]
    assert theirs.group(1)[:7] == ours.group(1)[:7]  # month and day


def test_defer_if_permit_answers_before_unlisted_recipients() -> None:
    """A pending defer_if_permit defers RCPT before
    smtpd_reject_unlisted_recipient's "User unknown" test runs (Postfix
    3.7 answers 450 for an unknown local user here, not 550)."""
    with Differential(COMMON + "local_recipient_maps = inline:{u=1}\n"
                      "smtpd_recipient_restrictions = defer_if_permit, "
                      "reject_unauth_destination\n") as diff:
        diff.check("unlisted", [EHLO, MAIL, rcpt("nobody@mail.example.test"), rcpt(LOCAL), QUIT])
