"""pyfix.smtpd.checks: restriction lists, stages, compatibility_level.

The replies and log texts here are the ones real Postfix 3.7.11 gives
for the same main.cf (tests/smtpd/test_checks_live.py compares them side
by side); these unit tests pin the evaluator's rules without sockets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.engine import RESTRICTIONS, parse_list
from pyfix.smtpd.checks.smtpd import (
    NO_RELAY_CHECK,
    Facts,
    RestrictionConfigError,
    SmtpdChecks,
)
from pyfix.smtpd.relay import RelayPolicy
from tests.smtpd.rcpt import SyncChecks

BASE = ("myhostname = mail.example.test\nmydomain = example.test\n"
        "mydestination = $myhostname, localhost\nlocal_recipient_maps =\n")
OUTSIDE = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example",
                "a@example.org")
SEED_RCPT = ("smtpd_recipient_restrictions = permit_mynetworks, reject_non_fqdn_recipient, "
             "check_client_access hash:/nonexistent/pop-before-smtp, check_relay_domains\n")


def config(text: str) -> Config:
    return Config(parse_main_cf("main.cf", BASE + text, lambda _t: None), {})


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, text: str) -> None:
        self.lines.append(text)

    def warn(self, text: str) -> None:
        self.lines.append(f"warning: {text}")


def relay_policy(cfg: Config) -> RelayPolicy:
    return RelayPolicy(cfg, TrivialRewrite.for_client(cfg))


def session(text: str) -> tuple[SyncChecks, Log]:
    cfg = config(text)
    log = Log()
    return SyncChecks(SmtpdChecks(cfg, relay_policy(cfg)).session(log.info, log.warn)), log


def reply(text: str) -> Reply:
    code, enhanced, rest = text.split(" ", 2)
    return Reply(int(code), enhanced, rest)


@pytest.mark.parametrize("text", [
    "",  # level 0: smtpd_relay_restrictions and smtpd_recipient_restrictions are empty
    "compatibility_level = 0\n",
    "smtpd_recipient_restrictions = permit_mynetworks\n",
    "compatibility_level = 3.6\nsmtpd_relay_restrictions = permit_mynetworks\n",
    "compatibility_level = 3.6\nsmtpd_relay_restrictions =\n",
    # a relay check inside an access table value does not count
    "smtpd_recipient_restrictions = check_client_access hash:/x\n",
])
def test_no_relay_check_is_fatal(text: str) -> None:
    cfg = config(text)
    with pytest.raises(RestrictionConfigError) as info:
        SmtpdChecks(cfg, relay_policy(cfg))
    assert str(info.value) == NO_RELAY_CHECK
    assert str(info.value).startswith(
        "in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, specify at "
        "least one working instance of: reject_unauth_destination, defer_unauth_destination, "
        "reject, defer, defer_if_permit or check_relay_domains")


@pytest.mark.parametrize("text", [
    "compatibility_level = 1\n", "compatibility_level = 2\n", "compatibility_level = 3.6\n",
    "smtpd_recipient_restrictions = check_relay_domains\n",
    "smtpd_recipient_restrictions = reject_unauth_destination\n",
    "smtpd_recipient_restrictions = defer_if_permit\n",
    "smtpd_relay_restrictions = reject\n",
    "smtpd_relay_restrictions = defer\n",
])
def test_a_relay_check_in_either_list_starts(text: str) -> None:
    cfg = config(text)
    SmtpdChecks(cfg, relay_policy(cfg))


def test_level_1_default_defers_relaying() -> None:
    checks, log = session("compatibility_level = 1\nmynetworks = 127.0.0.2/32\n")
    assert checks.recipient(OUTSIDE, "u@foreign.example").reply == reply(
        "454 4.7.1 <u@foreign.example>: Relay access denied")
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply is None
    assert log.lines == []


def test_level_0_seed_list_as_postfix() -> None:
    """The seed's list at level 0, client "localhost" outside mynetworks:
    what real Postfix logged for the same dialogue (see the live test)."""
    checks, log = session("mynetworks = 127.0.0.2/32\n" + SEED_RCPT.replace(
        "check_client_access hash:/nonexistent/pop-before-smtp, ", ""))
    compat = "using backwards-compatible default setting"
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply is None
    assert log.lines == [
        'warning: support for restriction "check_relay_domains" will be removed from '
        'Postfix; use "reject_unauth_destination" instead',
        f'{compat} relay_domains=$mydestination to permit request from client "localhost"']
    log.lines.clear()
    assert checks.recipient(OUTSIDE, "u@sub.mail.example.test").reply is None
    assert log.lines == [
        f'{compat} relay_domains=$mydestination to permit request from client "localhost"',
        f'{compat} relay_domains=$mydestination to accept mail for domain '
        '"sub.mail.example.test"',
        f'{compat} relay_domains=$mydestination to accept mail for address '
        '"u@sub.mail.example.test"']
    log.lines.clear()
    assert checks.recipient(OUTSIDE, "u@foreign.example").reply is None
    assert log.lines == [
        f'{compat} relay_domains=$mydestination to permit request from client "localhost"',
        f'{compat} "smtpd_relay_restrictions = (empty)" to avoid "Relay access denied" '
        'error for recipient "u@foreign.example" from client "localhost[127.0.0.1]"']
    log.lines.clear()
    outcome = checks.recipient(OUTSIDE, "u")
    assert outcome.reply == reply(
        "504 5.5.2 <u>: Recipient address rejected: need fully-qualified address")
    assert outcome.after == [(
        "info", f'{compat} smtpd_relay_before_recipient_restrictions=no to reject recipient '
        '"u" from client "localhost[127.0.0.1]"')]
    assert log.lines == []


def test_check_relay_domains_rejects_unknown_client() -> None:
    checks, log = session("mynetworks = 127.0.0.2/32\nrelay_domains =\n"
                          "smtpd_recipient_restrictions = check_relay_domains\n")
    stranger = Facts("unknown", "127.0.0.1", "unknown[127.0.0.1]", "h", "a@example.org")
    outcome = checks.recipient(stranger, "u@foreign.example")
    assert outcome.reply == reply(
        "554 5.7.1 <u@foreign.example>: Recipient address rejected: Relay access denied")
    assert outcome.after == [(
        "info", "using backwards-compatible default setting smtpd_relay_before_recipient_"
        'restrictions=no to reject recipient "u@foreign.example" from client '
        '"unknown[127.0.0.1]"')]
    assert checks.recipient(stranger, "u@mail.example.test").reply is None
    # relay_domains is set: no relay_domains messages; the deprecation once
    assert log.lines == [
        'warning: support for restriction "check_relay_domains" will be removed from '
        'Postfix; use "reject_unauth_destination" instead']


def test_level_3_6_has_no_compat_messages() -> None:
    checks, log = session("compatibility_level = 3.6\nmynetworks = 127.0.0.2/32\n"
                          "smtpd_recipient_restrictions = reject_non_fqdn_recipient\n")
    outcome = checks.recipient(OUTSIDE, "u@foreign.example")
    assert outcome.reply == reply("454 4.7.1 <u@foreign.example>: Relay access denied")
    outcome = checks.recipient(OUTSIDE, "u")
    assert outcome.reply == reply(
        "504 5.5.2 <u>: Recipient address rejected: need fully-qualified address")
    assert outcome.after == [] and log.lines == []


STAGE_REPLIES = {
    "client": "<localhost[127.0.0.1]>: Client host",
    "helo": "<client.example>: Helo command",
    "sender": "<a@example.org>: Sender address",
    "recipient": "<u@mail.example.test>: Recipient address",
}


@pytest.mark.parametrize("stage", sorted(STAGE_REPLIES))
@pytest.mark.parametrize("delay", ["yes", "no"])
def test_reject_and_defer_at_each_stage(stage: str, delay: str) -> None:
    for verb, expected in (("reject", "554 5.7.1 {} rejected: Access denied"),
                           ("defer", "450 4.3.2 {} rejected: Try again later")):
        checks, log = session(f"compatibility_level = 3.6\nsmtpd_delay_reject = {delay}\n"
                              f"smtpd_{stage}_restrictions = {verb}\n")
        want = reply(expected.format(STAGE_REPLIES[stage]))
        got = {"client": checks.connect(OUTSIDE).reply, "helo": checks.helo(OUTSIDE).reply,
               "sender": checks.mail(OUTSIDE).reply}
        rcpt = checks.recipient(OUTSIDE, "u@mail.example.test").reply
        if stage == "recipient" or delay == "yes":
            assert rcpt == want
            assert all(value is None for value in got.values())
        else:
            assert got[stage] == want
            assert rcpt is None
        assert log.lines == []


def test_data_end_of_data_and_etrn() -> None:
    checks, _ = session("compatibility_level = 3.6\nsmtpd_data_restrictions = reject\n"
                        "smtpd_end_of_data_restrictions = defer\n"
                        "smtpd_etrn_restrictions = reject\n")
    assert checks.data(OUTSIDE).reply == reply(
        "554 5.7.1 <DATA>: Data command rejected: Access denied")
    assert checks.end_of_data(OUTSIDE).reply == reply(
        "450 4.3.2 <END-OF-MESSAGE>: End-of-data rejected: Try again later")
    assert checks.etrn(OUTSIDE, "example.com").reply == reply(
        "554 5.7.1 <example.com>: Etrn command rejected: Access denied")


@pytest.mark.parametrize("parameter", [
    "smtpd_client_restrictions", "smtpd_helo_restrictions", "smtpd_sender_restrictions",
    "smtpd_recipient_restrictions", "smtpd_relay_restrictions", "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions", "smtpd_etrn_restrictions"])
@pytest.mark.parametrize("name", ["foo_bar", "permit_tls_all_clientcerts",
                                  "check_ccert_access"])
def test_unknown_restriction_fails_closed(parameter: str, name: str) -> None:
    """Postfix: 'warning: unknown smtpd restriction: "foo_bar"' and 451 4.3.5
    at that stage; pyfix treats every name it lacks the same way."""
    assert name not in RESTRICTIONS
    value = f"{name} hash:/x" if name.startswith("check_") else name
    if parameter == "smtpd_relay_restrictions":
        value += ", reject_unauth_destination"  # else smtpd would not start
    checks, log = session(f"compatibility_level = 3.6\n{parameter} = {value}\n")
    config_error = Reply(451, "4.3.5", "Server configuration error")
    results = [checks.recipient(OUTSIDE, "u@mail.example.test").reply,
               checks.data(OUTSIDE).reply, checks.end_of_data(OUTSIDE).reply,
               checks.etrn(OUTSIDE, "example.com").reply]
    assert config_error in results
    assert f'warning: unknown smtpd restriction: "{name}"' in log.lines


def test_lists_are_data() -> None:
    rlist = parse_list("smtpd_recipient_restrictions",
                       "permit_mynetworks,reject_non_fqdn_recipient,\n"
                       "  check_client_access hash:/etc/postfix/pop-before-smtp, check_relay_domains")
    assert [(step.name, step.args) for step in rlist.steps] == [
        ("permit_mynetworks", ()), ("reject_non_fqdn_recipient", ()),
        ("check_client_access", ("hash:/etc/postfix/pop-before-smtp",)),
        ("check_relay_domains", ())]


def test_check_client_access(tmp_path: Path) -> None:
    table = tmp_path / "pop"
    for value, expected in (
            ("REJECT go away", "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: go away"),
            ("450 4.7.9 later", "450 4.7.9 <localhost[127.0.0.1]>: Client host rejected: later"),
            ("OK", None),
            ("DUNNO", "554 5.7.1 <u@mail.example.test>: Recipient address rejected: "
                      "Access denied"),
            ("frobnicate", "451 4.3.5 Server configuration error")):
        table.write_text(f"127.0.0.1 {value}\n")
        checks, log = session("compatibility_level = 3.6\nsmtpd_recipient_restrictions = "
                              f"check_client_access texthash:{table}, reject\n")
        got = checks.recipient(OUTSIDE, "u@mail.example.test").reply
        assert got == (reply(expected) if expected else None), value
        if value == "frobnicate":
            assert log.lines == ['warning: unknown smtpd restriction: "frobnicate"']


def test_names_after_permit_reject_defer_are_ignored_with_a_warning() -> None:
    """Postfix: "restriction `X' after `reject' is ignored", after the reject line
    (permit: at once, as there is no reject line)."""
    checks, log = session("compatibility_level = 3.6\n"
                          "smtpd_recipient_restrictions = defer, reject_unauth_destination\n"
                          "smtpd_client_restrictions = permit, reject\n")
    outcome = checks.recipient(OUTSIDE, "u@mail.example.test")
    assert outcome.reply == reply(
        "450 4.3.2 <u@mail.example.test>: Recipient address rejected: Try again later")
    assert outcome.after == [
        ("warning", "restriction `reject_unauth_destination' after `defer' is ignored")]
    assert log.lines == ["warning: restriction `reject' after `permit' is ignored"]


def test_access_table_error_is_a_server_configuration_error() -> None:
    """Postfix answers a table error in check_*_access (an unavailable table
    too) with 451 4.3.5 <what>: Class rejected: Server configuration error
    (tests/smtpd/test_access_live.py test_lookup_error)."""
    checks, _ = session("compatibility_level = 3.6\nsmtpd_recipient_restrictions = "
                        "check_client_access hash:/nonexistent/access, reject\n")
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply == reply(
        "451 4.3.5 <localhost[127.0.0.1]>: Client host rejected: Server configuration error")
