"""defer_if_permit, defer_if_reject, warn_if_reject, restriction classes and
reject_unauth_pipelining, offline: restriction lists in, replies and
reject_warning replies out.

Every expected reply here is what real Postfix 3.7.11 answered and logged
for the same main.cf (tests/smtpd/test_checks_generic_live.py plays the
same cases to it and to pyfix side by side).  The client is localhost
[127.0.0.1], outside mynetworks; relay_domains is empty, so
u@foreign.example is not an authorized destination; smtpd_relay_restrictions
is reject_unauth_destination (as in tests/golden/smtp/postfix/main.cf).
"""

from __future__ import annotations

import pytest

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.engine import RESTRICTIONS
from pyfix.smtpd.checks.smtpd import Facts, Outcome, RestrictionConfigError, SmtpdChecks
from tests.smtpd.test_checks import config, relay_policy, reply, session

COMMON = ("compatibility_level = 3.7\nmynetworks = 127.0.0.2/32\nrelay_domains =\n"
          "smtpd_relay_restrictions = reject_unauth_destination\n")
FACTS = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example",
              "a@example.org", protocol="ESMTP")
LOCAL = "u@mail.example.test"
FOREIGN = "u@foreign.example"
DIP = "450 4.7.0 <{}>: Recipient address rejected: defer_if_permit requested"
DIR = "450 4.7.0 <{}>: Recipient address rejected: defer_if_reject requested"
ACCESS_DENIED = "554 5.7.1 <{}>: Recipient address rejected: Access denied"
RELAY_DENIED = "554 5.7.1 <u@foreign.example>: Relay access denied"


def rcpt(settings: str, recipient: str) -> Outcome:
    checks, _ = session(COMMON + settings)
    outcome: Outcome = checks.recipient(FACTS, recipient)
    return outcome


def expected(text: str | None, recipient: str) -> Reply | None:
    return None if text is None else reply(text.format(recipient))


# (smtpd_recipient_restrictions, recipient, reply or None for accepted,
#  reject_warning replies)
RCPT_CASES = [
    # defer_if_permit: any permit at the end of the check defers; a reject wins.
    ("defer_if_permit, permit_mynetworks, reject_unauth_destination", LOCAL, DIP, []),
    ("defer_if_permit, permit_mynetworks, reject_unauth_destination", FOREIGN,
     RELAY_DENIED, []),
    ("reject_unauth_destination, defer_if_permit, reject_non_fqdn_recipient, permit",
     "root", "504 5.5.2 <root>: Recipient address rejected: need fully-qualified address", []),
    # defer_if_reject: a later 5xx reject becomes the deferral, a 4xx stays.
    ("permit\nsmtpd_relay_restrictions = defer_if_reject, reject_unauth_destination", FOREIGN,
     DIR, []),
    ("permit\nsmtpd_relay_restrictions = defer_if_reject, reject_unauth_destination", LOCAL,
     None, []),
    ("defer_if_reject, defer", LOCAL,
     "450 4.3.2 <{}>: Recipient address rejected: Try again later", []),
    # both pending: a 5xx reject is left to defer_if_permit, whatever the order
    ("defer_if_permit, defer_if_reject, reject", LOCAL, DIP, []),
    ("defer_if_reject, defer_if_permit, reject", LOCAL, DIP, []),
    # warn_if_reject: the next restriction only warns, before defer_if_reject
    ("warn_if_reject reject_unauth_destination, warn_if_reject reject_non_fqdn_recipient, "
     "warn_if_reject defer, permit", LOCAL, None,
     ["450 4.3.2 <{}>: Recipient address rejected: Try again later"]),
    ("warn_if_reject reject_unauth_destination, warn_if_reject reject_non_fqdn_recipient, "
     "warn_if_reject defer, permit", "u", None,
     ["504 5.5.2 <{}>: Recipient address rejected: need fully-qualified address",
      "450 4.3.2 <{}>: Recipient address rejected: Try again later"]),
    ("defer_if_reject, warn_if_reject reject, permit", LOCAL, None, [ACCESS_DENIED]),
    ("warn_if_reject, permit", LOCAL, None, []),
    ("warn_if_reject reject, defer_if_reject, reject", LOCAL, DIR, [ACCESS_DENIED]),
    # the relay and recipient lists are one check
    ("reject\nsmtpd_relay_restrictions = defer_if_permit, reject_unauth_destination", LOCAL,
     ACCESS_DENIED, []),
    ("reject\nsmtpd_relay_restrictions = defer_if_reject, reject_unauth_destination", LOCAL,
     DIR, []),
    ("defer_if_reject, warn_if_reject reject, reject_unauth_destination\n"
     "smtpd_relay_restrictions = defer_if_reject, defer_if_permit, reject_non_fqdn_recipient",
     "u", DIP, []),
]


@pytest.mark.parametrize(("restrictions", "recipient", "answer", "warnings"), RCPT_CASES)
def test_recipient_check(restrictions: str, recipient: str, answer: str | None,
                         warnings: list[str]) -> None:
    outcome = rcpt(f"smtpd_recipient_restrictions = {restrictions}\n", recipient)
    assert outcome.reply == expected(answer, recipient)
    assert outcome.warnings == [expected(text, recipient) for text in warnings]


def test_warn_if_reject_under_soft_bounce_keeps_the_reply() -> None:
    """soft_bounce changes replies where they are sent and logged (the SMTP
    core), not here."""
    outcome = rcpt("soft_bounce = yes\nsmtpd_recipient_restrictions = warn_if_reject reject, "
                   "permit\n", LOCAL)
    assert outcome.reply is None
    assert outcome.warnings == [reply(ACCESS_DENIED.format(LOCAL))]


def test_reject_after_warn_if_reject_does_not_warn_about_the_rest() -> None:
    checks, log = session(COMMON + "smtpd_recipient_restrictions = warn_if_reject reject, "
                          "permit\n")
    outcome = checks.recipient(FACTS, LOCAL)
    assert outcome.after == [] and log.lines == []
    checks, log = session(COMMON + "smtpd_recipient_restrictions = defer_if_reject, reject, "
                          "warn_if_reject reject\n")
    outcome = checks.recipient(FACTS, LOCAL)
    assert outcome.reply == reply(DIR.format(LOCAL))
    assert outcome.after == [
        ("warning", "restriction `warn_if_reject' after `reject' is ignored")]


def test_warn_if_reject_does_not_hide_configuration_errors() -> None:
    checks, log = session(COMMON + "smtpd_recipient_restrictions = warn_if_reject "
                          "no_such_thing, permit\n")
    outcome = checks.recipient(FACTS, LOCAL)
    assert outcome.reply == Reply(451, "4.3.5", "Server configuration error")
    assert outcome.warnings == []
    assert log.lines == ['warning: unknown smtpd restriction: "no_such_thing"']


@pytest.mark.parametrize("delay", ["yes", "no"])
def test_early_defer_if_permit_waits_for_rcpt(delay: str) -> None:
    """A client, helo or sender defer_if_permit defers RCPT, with its own
    text, after the recipient lists ran (their rejects win)."""
    checks, _ = session(COMMON + f"smtpd_delay_reject = {delay}\n"
                        "smtpd_sender_restrictions = defer_if_permit\n"
                        "smtpd_recipient_restrictions = warn_if_reject reject, "
                        "reject_unauth_destination\n")
    assert checks.connect(FACTS).reply is None
    assert checks.helo(FACTS).reply is None
    assert checks.mail(FACTS).reply is None
    outcome = checks.recipient(FACTS, LOCAL)
    assert outcome.reply == reply(
        "450 4.7.0 <a@example.org>: Sender address rejected: defer_if_permit requested")
    assert outcome.warnings == [reply(ACCESS_DENIED.format(LOCAL))]
    assert checks.recipient(FACTS, FOREIGN).reply == reply(RELAY_DENIED)


def test_client_defer_if_permit_after_permit_waits_for_rcpt() -> None:
    checks, _ = session(COMMON + "smtpd_delay_reject = no\n"
                        "smtpd_client_restrictions = defer_if_permit, permit\n"
                        "smtpd_recipient_restrictions = reject_unauth_destination\n")
    assert checks.connect(FACTS).reply is None
    assert checks.recipient(FACTS, LOCAL).reply == reply(
        "450 4.7.0 <localhost[127.0.0.1]>: Client host rejected: defer_if_permit requested")


def test_early_defer_if_reject_defers_at_once() -> None:
    checks, _ = session(COMMON + "smtpd_delay_reject = no\n"
                        "smtpd_client_restrictions = defer_if_reject, reject\n")
    assert checks.connect(FACTS).reply == reply(
        "450 4.7.0 <localhost[127.0.0.1]>: Client host rejected: defer_if_reject requested")
    checks, _ = session(COMMON + "smtpd_delay_reject = no\n"
                        "smtpd_helo_restrictions = defer_if_reject, reject\n")
    assert checks.helo(FACTS).reply == reply(
        "450 4.7.0 <client.example>: Helo command rejected: defer_if_reject requested")


def test_pending_helo_deferral_absorbs_a_sender_reject() -> None:
    """smtpd_delay_reject = no: the helo check's defer_if_permit is pending
    when the sender list rejects after defer_if_reject, so MAIL passes and
    RCPT is deferred with the helo text."""
    checks, _ = session(COMMON + "smtpd_delay_reject = no\n"
                        "smtpd_helo_restrictions = defer_if_permit\n"
                        "smtpd_sender_restrictions = defer_if_reject, reject\n")
    assert checks.helo(FACTS).reply is None
    assert checks.mail(FACTS).reply is None
    assert checks.recipient(FACTS, LOCAL).reply == reply(
        "450 4.7.0 <client.example>: Helo command rejected: defer_if_permit requested")


def test_data_etrn_and_end_of_data_deferrals() -> None:
    checks, _ = session(COMMON + "smtpd_data_restrictions = defer_if_reject, reject\n"
                        "smtpd_etrn_restrictions = defer_if_permit\n"
                        "smtpd_end_of_data_restrictions = defer_if_permit\n")
    assert checks.etrn(FACTS, "example.com").reply == reply(
        "450 4.7.0 <example.com>: Etrn command rejected: defer_if_permit requested")
    assert checks.data(FACTS).reply == reply(
        "450 4.7.0 <DATA>: Data command rejected: defer_if_reject requested")
    assert checks.end_of_data(FACTS).reply == reply(
        "450 4.7.0 <END-OF-MESSAGE>: End-of-data rejected: defer_if_permit requested")


def test_defer_code_governs_the_deferrals() -> None:
    outcome = rcpt("defer_code = 451\nsmtpd_recipient_restrictions = defer_if_permit\n", LOCAL)
    assert outcome.reply == reply(DIP.format(LOCAL).replace("450", "451"))


CLASSES = ("smtpd_restriction_classes = strict, easy\n"
           "strict = reject_non_fqdn_recipient, reject\neasy = permit\n")


@pytest.mark.parametrize(("restrictions", "recipient", "answer"), [
    ("easy, reject", LOCAL, None),
    ("strict, permit", "u", "504 5.5.2 <u>: Recipient address rejected: need "
                            "fully-qualified address"),
    ("strict, permit", LOCAL, ACCESS_DENIED),
    ("warn_if_reject strict, permit", LOCAL, None),
    # a class's permit ends the recipient list, not the relay list before it
    ("easy, reject_unauth_destination", FOREIGN, RELAY_DENIED),
])
def test_restriction_classes(restrictions: str, recipient: str, answer: str | None) -> None:
    outcome = rcpt(CLASSES + f"smtpd_recipient_restrictions = {restrictions}\n", recipient)
    assert outcome.reply == expected(answer, recipient)


def test_a_name_not_listed_as_a_class_is_unknown() -> None:
    checks, log = session(COMMON + "strict = reject\n"
                          "smtpd_recipient_restrictions = strict, permit\n")
    assert checks.recipient(FACTS, LOCAL).reply == Reply(451, "4.3.5",
                                                         "Server configuration error")
    assert log.lines == ['warning: unknown smtpd restriction: "strict"']


def test_a_class_that_names_itself_fails_closed() -> None:
    checks, log = session(COMMON + "smtpd_restriction_classes = loop\nloop = loop\n"
                          "smtpd_recipient_restrictions = loop, permit\n")
    assert checks.recipient(FACTS, LOCAL).reply == Reply(451, "4.3.5",
                                                         "Server configuration error")
    assert log.lines == ['warning: unknown smtpd restriction: "loop"']


PIPELINING = ("smtpd_data_restrictions = reject_unauth_pipelining\n"
              "smtpd_recipient_restrictions = reject_unauth_pipelining, permit\n")
IMPROPER = "503 5.5.0 <{}>: {} rejected: Improper use of SMTP command pipelining"


@pytest.mark.parametrize(("protocol", "pipelined", "rcpt_refused", "data_refused"), [
    ("SMTP", True, True, True),
    ("ESMTP", True, False, True),
    ("SMTP", False, False, False),
    ("ESMTP", False, False, False),
])
def test_reject_unauth_pipelining(protocol: str, pipelined: bool, rcpt_refused: bool,
                                  data_refused: bool) -> None:
    checks, _ = session(COMMON + PIPELINING)
    facts = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example",
                  "a@example.org", pipelined=pipelined, protocol=protocol)
    assert checks.recipient(facts, LOCAL).reply == (
        reply(IMPROPER.format(LOCAL, "Recipient address")) if rcpt_refused else None)
    assert checks.data(facts).reply == (
        reply(IMPROPER.format("DATA", "Data command")) if data_refused else None)


def test_a_class_from_an_access_map_speaks_for_the_lookup() -> None:
    """A class that an access map names words its replies as the lookup
    (Client host), except restrictions that name their own subject."""
    restrictions = "check_client_access inline:{127.0.0.1=strict}, easy"
    outcome = rcpt(CLASSES + f"smtpd_recipient_restrictions = {restrictions}\n", LOCAL)
    assert outcome.reply == reply(
        "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied")
    outcome = rcpt(CLASSES + f"smtpd_recipient_restrictions = {restrictions}\n", "u")
    assert outcome.reply == reply(
        "504 5.5.2 <u>: Recipient address rejected: need fully-qualified address")


def test_a_class_needs_a_definition() -> None:
    cfg = config(COMMON + "smtpd_restriction_classes = nodef\n")
    with pytest.raises(RestrictionConfigError) as info:
        SmtpdChecks(cfg, relay_policy(cfg))
    assert str(info.value) == "restriction class `nodef' needs a definition"


@pytest.mark.parametrize(("helo", "answer"), [
    ("127.0.0.1", None), ("client.example", ACCESS_DENIED), ("[127.0.0.1]", ACCESS_DENIED)])
def test_permit_naked_ip_address_is_deprecated(helo: str, answer: str | None) -> None:
    checks, log = session(COMMON + "smtpd_recipient_restrictions = permit_naked_ip_address, "
                          "reject\n")
    facts = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", helo, "a@example.org")
    assert checks.recipient(facts, LOCAL).reply == expected(answer, LOCAL)
    assert log.lines == ["warning: restriction permit_naked_ip_address is deprecated. Use "
                         "permit_mynetworks or permit_sasl_authenticated instead"]


SERVICE_UNAVAILABLE = "450 4.7.1 <localhost[127.0.0.1]>: Client host rejected: Service unavailable"


ACCESS_DEFERRALS = [
    ("DEFER_IF_PERMIT", "permit", SERVICE_UNAVAILABLE),
    ("{127.0.0.1=DEFER_IF_PERMIT go away later}", "permit",
     "450 4.7.1 <localhost[127.0.0.1]>: Client host rejected: go away later"),
    ("DEFER_IF_PERMIT", "reject", ACCESS_DENIED),
    ("DEFER_IF_REJECT", "reject", SERVICE_UNAVAILABLE),
    ("DEFER_IF_REJECT", "permit", None),
    ("{127.0.0.1=defer_if_reject not now}", "reject",
     "451 4.7.1 <localhost[127.0.0.1]>: Client host rejected: not now"),
]


@pytest.mark.parametrize(("value", "then", "answer"), ACCESS_DEFERRALS)
def test_access_map_deferrals(value: str, then: str, answer: str | None) -> None:
    table = value if value.startswith("{") else f"127.0.0.1={value}"
    outcome = rcpt("access_map_defer_code = 451\n" * ("not now" in value)
                   + f"smtpd_recipient_restrictions = check_client_access inline:{{{table}}}, "
                   f"{then}\n", LOCAL)
    assert outcome.reply == expected(answer, LOCAL)


def test_reject_and_defer_codes() -> None:
    checks, _ = session(COMMON + "reject_code = 550\ndefer_code = 451\n"
                        "smtpd_recipient_restrictions = defer_if_permit, reject\n"
                        "smtpd_helo_restrictions = defer_if_reject, warn_if_reject reject, "
                        "defer\n")
    outcome = checks.recipient(FACTS, LOCAL)
    assert outcome.reply == reply(
        "451 4.3.2 <client.example>: Helo command rejected: Try again later")
    assert outcome.warnings == [reply(
        "550 5.7.1 <client.example>: Helo command rejected: Access denied")]


def test_warn_if_reject_leaves_lookup_failures_alone() -> None:
    """A table that fails: Postfix's 451 4.3.5 (access.py) under
    warn_if_reject too."""
    outcome = rcpt("smtpd_recipient_restrictions = warn_if_reject check_client_access "
                   "hash:/nonexistent/access, permit\n", LOCAL)
    assert outcome.reply == reply("451 4.3.5 <localhost[127.0.0.1]>: Client host rejected: "
                                  "Server configuration error")
    assert outcome.warnings == []


def test_legacy_names_find_the_newer_restriction(monkeypatch: pytest.MonkeyPatch) -> None:
    """reject_non_fqdn_hostname is Postfix's older name of
    reject_non_fqdn_helo_hostname (Postfix 3.7 takes it silently): it runs
    whatever is registered under the newer name, and fails closed under its
    own name while nothing is."""
    restrictions = "smtpd_recipient_restrictions = reject_non_fqdn_hostname, permit\n"
    monkeypatch.delitem(RESTRICTIONS, "reject_non_fqdn_helo_hostname", raising=False)
    checks, log = session(COMMON + restrictions)
    assert checks.recipient(FACTS, LOCAL).reply == Reply(451, "4.3.5",
                                                         "Server configuration error")
    assert log.lines == ['warning: unknown smtpd restriction: "reject_non_fqdn_hostname"']
    monkeypatch.setitem(RESTRICTIONS, "reject_non_fqdn_helo_hostname",
                        RESTRICTIONS["reject"])
    checks, log = session(COMMON + restrictions)
    assert checks.recipient(FACTS, LOCAL).reply == reply(ACCESS_DENIED.format(LOCAL))
