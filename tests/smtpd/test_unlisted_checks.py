"""reject_unlisted_recipient, reject_unlisted_sender, smtpd_reject_unlisted_*
and the *_sender_login_mismatch restrictions, without sockets.

Every reply and log line here is what real Postfix 3.7.11 gives for the
same main.cf; tests/smtpd/test_unlisted_live.py compares the two side by
side through SMTP.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtpd.checks.smtpd import Facts, Outcome, SmtpdChecks
from pyfix.smtpd.relay import RelayPolicy
from tests.smtpd.differential import pyfix_main_cf
from tests.smtpd.rcpt import SyncChecks
from tests.smtpd.test_checks import Log

# The address classes: local (mail.example.test), virtual alias
# (valias.example, no aliases), virtual mailbox (vmbox.example), relay
# (relay.example), and error/retry transports.
CLASSES = """\
compatibility_level = 3.7
myhostname = mail.example.test
mydomain = example.test
mydestination = $myhostname, localhost
inet_protocols = ipv4
inet_interfaces = 127.0.0.1
mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = reject_unauth_destination
local_recipient_maps = inline:{known=x}
virtual_alias_domains = valias.example
virtual_mailbox_domains = vmbox.example
virtual_mailbox_maps = inline:{box@vmbox.example=x}
relay_domains = relay.example, err.example, ret.example
relay_recipient_maps = inline:{r@relay.example=x}
transport_maps = inline:{ {err.example=error:5.1.2 gone away}, {ret.example=retry:4.4.1 later} }
"""
KNOWN = "known@mail.example.test"


def session(extra: str) -> tuple[SyncChecks, Log]:
    cfg = Config(parse_main_cf("main.cf", CLASSES + extra, lambda _t: None), {})
    log = Log()
    checks = SmtpdChecks(cfg, RelayPolicy(cfg, TrivialRewrite.for_client(cfg), log.warn))
    return SyncChecks(checks.session(log.info, log.warn)), log


def facts(sender: str | None) -> Facts:
    return Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example", sender)


def text(outcome: Outcome) -> str:
    reply = outcome.reply
    return "OK" if reply is None else f"{reply.code} {reply.enhanced} {reply.text}"


def rcpt(extra: str, sender: str, recipient: str = KNOWN) -> tuple[str, list[str]]:
    checks, log = session(extra)
    return text(checks.recipient(facts(sender), recipient)), log.lines


UNLISTED_SENDER = "smtpd_sender_restrictions = reject_unlisted_sender\n"


@pytest.mark.parametrize(("sender", "answer", "log"), [
    ("x@mail.example.test", "550 5.1.0 <x@mail.example.test>: Sender address rejected: "
     "User unknown in local recipient table", []),
    ("nobody", "550 5.1.0 <nobody>: Sender address rejected: "
     "User unknown in local recipient table", []),
    ("x@valias.example", "550 5.1.7 <x@valias.example>: Sender address rejected: "
     "User unknown in virtual alias table",
     ["mapping DSN status 5.1.1 into Sender address status 5.1.7"]),
    ("x@vmbox.example", "550 5.1.0 <x@vmbox.example>: Sender address rejected: "
     "User unknown in virtual mailbox table", []),
    ("x@relay.example", "550 5.1.0 <x@relay.example>: Sender address rejected: "
     "User unknown in relay recipient table", []),
    ("x@err.example", "550 5.1.8 <x@err.example>: Sender address rejected: gone away",
     ["mapping DSN status 5.1.2 into Sender address status 5.1.8"]),
    ("x@ret.example", "450 4.4.1 <x@ret.example>: Sender address rejected: later", []),
    # listed, exempt, foreign or null: accepted
    (KNOWN, "OK", []), ("known", "OK", []), ("box@vmbox.example", "OK", []),
    ("r@relay.example", "OK", []), ("postmaster@mail.example.test", "OK", []),
    ("x@foreign.example", "OK", []), ("", "OK", []),
])
def test_reject_unlisted_sender(sender: str, answer: str, log: list[str]) -> None:
    assert rcpt(UNLISTED_SENDER, sender) == (answer, log)


def test_reject_unlisted_sender_at_mail_from_without_delay() -> None:
    checks, _ = session(UNLISTED_SENDER + "smtpd_delay_reject = no\n")
    assert text(checks.mail(facts("x@mail.example.test"))) == (
        "550 5.1.0 <x@mail.example.test>: Sender address rejected: "
        "User unknown in local recipient table")
    assert text(checks.mail(facts(KNOWN))) == "OK"


def test_reject_unlisted_sender_reply_codes() -> None:
    codes = ("unknown_local_recipient_reject_code = 450\n"
             "unknown_virtual_mailbox_reject_code = 551\n"
             "unknown_relay_recipient_reject_code = 452\nshow_user_unknown_table_name = no\n")
    for sender, answer in (("y@mail.example.test", "450 4.1.0"), ("y@vmbox.example", "551 5.1.0"),
                           ("y@relay.example", "452 4.1.0")):
        assert rcpt(UNLISTED_SENDER + codes, sender) == (
            f"{answer} <{sender}>: Sender address rejected: User unknown", [])


@pytest.mark.parametrize("extra", [
    "smtpd_reject_unlisted_sender = yes\n",
    # even when the sender and recipient lists permit
    "smtpd_reject_unlisted_sender = yes\nsmtpd_sender_restrictions = permit\n"
    "smtpd_recipient_restrictions = permit\n",
])
def test_smtpd_reject_unlisted_sender(extra: str) -> None:
    # Before the recipient's own check (y@ is unknown too).
    for recipient in (KNOWN, "y@mail.example.test"):
        assert rcpt(extra, "x@mail.example.test", recipient) == (
            "550 5.1.0 <x@mail.example.test>: Sender address rejected: "
            "User unknown in local recipient table", [])
    assert rcpt(extra, "", "y@mail.example.test")[0].startswith(
        "550 5.1.1 <y@mail.example.test>: Recipient address rejected")


def test_smtpd_reject_unlisted_sender_without_delay() -> None:
    checks, _ = session("smtpd_reject_unlisted_sender = yes\nsmtpd_delay_reject = no\n"
                        "smtpd_sender_restrictions = permit\n")
    assert text(checks.mail(facts("x@mail.example.test"))).startswith("550 5.1.0 ")
    assert text(checks.mail(facts(KNOWN))) == "OK"


def test_smtpd_reject_unlisted_sender_follows_a_sender_list_reject() -> None:
    extra = ("smtpd_reject_unlisted_sender = yes\n"
             "smtpd_sender_restrictions = reject_non_fqdn_sender\n")
    assert rcpt(extra, "nobody")[0] == (
        "504 5.5.2 <nobody>: Sender address rejected: need fully-qualified address")


@pytest.mark.parametrize("name", ["reject_unlisted_recipient", "check_recipient_maps"])
def test_reject_unlisted_recipient_works_without_smtpd_reject_unlisted_recipient(
        name: str) -> None:
    extra = f"smtpd_reject_unlisted_recipient = no\nsmtpd_recipient_restrictions = {name}\n"
    assert rcpt(extra, "a@example.org", "y@mail.example.test")[0] == (
        "550 5.1.1 <y@mail.example.test>: Recipient address rejected: "
        "User unknown in local recipient table")
    assert rcpt(extra, "a@example.org", "x@vmbox.example")[0] == (
        "550 5.1.1 <x@vmbox.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table")
    assert rcpt(extra, "a@example.org", KNOWN)[0] == "OK"
    # Without the restriction nothing is checked.
    assert rcpt("smtpd_reject_unlisted_recipient = no\n", "a@example.org",
                "y@mail.example.test")[0] == "OK"


def test_reject_unlisted_recipient_in_the_sender_list() -> None:
    # With smtpd_delay_reject = yes the sender list runs at RCPT TO and
    # sees the recipient; without it, there is none: DUNNO.
    extra = ("smtpd_reject_unlisted_recipient = no\n"
             "smtpd_sender_restrictions = reject_unlisted_recipient\n")
    assert rcpt(extra, "a@example.org", "y@mail.example.test")[0].startswith(
        "550 5.1.1 <y@mail.example.test>: Recipient address rejected")
    checks, log = session(extra + "smtpd_delay_reject = no\n"
                          "smtpd_client_restrictions = reject_unlisted_sender\n")
    assert text(checks.connect(facts(None))) == "OK"
    assert text(checks.mail(facts("y@mail.example.test"))) == "OK"
    assert log.lines == []


def test_recipient_dsn_mapping_is_logged() -> None:
    extra = ("relay_domains = e7.example\n"
             "transport_maps = inline:{ {e7.example=error:5.1.7 t7} }\n")
    assert rcpt(extra, "a@example.org", "x@e7.example") == (
        "550 5.1.3 <x@e7.example>: Recipient address rejected: t7",
        ["mapping DSN status 5.1.7 into Recipient address status 5.1.3"])


def test_unlisted_lookup_failure_names_the_address() -> None:
    extra = "relay_recipient_maps = fail:rcpts\n" + UNLISTED_SENDER
    answer, log = rcpt(extra, "a@relay.example")
    assert answer == "451 4.3.0 <a@relay.example>: Temporary lookup failure"
    assert log == ['warning: fail:rcpts lookup error for "a@relay.example"']


LOGINS = "smtpd_sender_login_maps = inline:{owned@example.org=alice, @dom.example=bob, joe=carl}\n"
ALL_FOUR = ("reject_sender_login_mismatch, reject_authenticated_sender_login_mismatch, "
            "reject_known_sender_login_mismatch, reject_unauthenticated_sender_login_mismatch")


def test_login_mismatch_without_sasl_is_ignored_with_a_warning() -> None:
    answer, log = rcpt(LOGINS + f"smtpd_sender_restrictions = {ALL_FOUR}\n", "owned@example.org")
    assert answer == "OK"
    assert log == [f"warning: restriction `{name}' ignored: no SASL support" for name in (
        "reject_authenticated_sender_login_mismatch",
        "reject_unauthenticated_sender_login_mismatch",
        "reject_authenticated_sender_login_mismatch", "reject_known_sender_login_mismatch",
        "reject_unauthenticated_sender_login_mismatch")]
    # The null sender too: the warning does not depend on the sender.
    assert rcpt(LOGINS + "smtpd_sender_restrictions = reject_known_sender_login_mismatch\n",
                "")[1] == ["warning: restriction `reject_known_sender_login_mismatch' "
                           "ignored: no SASL support"]


@pytest.mark.parametrize("name", ALL_FOUR.split(", "))
@pytest.mark.parametrize(("sender", "owned"), [
    ("owned@example.org", True), ("x@dom.example", True), ("joe@mail.example.test", True),
    ("joe", True),  # joe@$myorigin: the bare local part counts
    ("joe@example.org", False), ("owned+x@example.org", False), ("free@example.org", False),
    ("", False),
])
def test_login_mismatch_with_sasl(name: str, sender: str, owned: bool) -> None:
    answer, log = rcpt(LOGINS + f"smtpd_sasl_auth_enable = yes\n"
                       f"smtpd_sender_restrictions = {name}\n", sender)
    # No client is logged in (no SASL in pyfix yet): the authenticated
    # half has nothing to compare.
    refused = owned and name != "reject_authenticated_sender_login_mismatch"
    assert answer == (f"553 5.7.1 <{sender}>: Sender address rejected: not logged in"
                      if refused else "OK")
    assert log == []


def test_login_mismatch_without_maps_and_lookup_failure(
        capsys: pytest.CaptureFixture[str]) -> None:
    sasl = "smtpd_sasl_auth_enable = yes\n"
    assert rcpt(sasl + "smtpd_sender_restrictions = reject_sender_login_mismatch\n",
                "owned@example.org") == ("OK", [])
    assert rcpt(sasl + "smtpd_sender_login_maps = fail:logins\n"
                "smtpd_sender_restrictions = reject_unauthenticated_sender_login_mismatch\n",
                "a@example.org") == (
        "451 4.3.0 <a@example.org>: Temporary lookup failure", [])
    # (the table warns through the process's log)
    assert 'warning: fail:logins lookup error for "a@example.org"' in capsys.readouterr().err


GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "unlisted"


def test_canonical_and_alias_maps_make_an_address_known() -> None:
    """sender_canonical_maps counts for senders only; recipient_canonical_maps,
    canonical_maps and virtual_alias_maps for both (recorded from Postfix:
    tests/golden/unlisted/record.py)."""
    text_cf = pyfix_main_cf("base", (GOLDEN / "canonical.cf").read_text())
    cfg = Config(parse_main_cf("main.cf", text_cf, lambda _t: None), {})
    log = Log()
    checks = SyncChecks(SmtpdChecks(cfg, RelayPolicy(cfg, TrivialRewrite.for_client(cfg),
                                                     log.warn)).session(log.info, log.warn))
    lines = (GOLDEN / "canonical.txt").read_text().splitlines()
    assert len(lines) == 14
    for line in lines:
        command, address, _, expected = line.split(" ", 3)
        sender, recipient = (address, KNOWN) if command == "MAIL" else (KNOWN, address)
        answer = text(checks.recipient(facts(sender), recipient))
        assert (answer if answer != "OK" else "250 2.1.5 Ok") == expected, line
    assert log.lines == []
