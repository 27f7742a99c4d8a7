"""pyfix.smtpd.checks.dnsbl: the DNS list restrictions, table-driven.

The restriction lists run without sockets to smtpd (SyncChecks), against
a real DNS server process on loopback (tests/dnsserver.py, named by
pyfix_dns_servers).  The replies and log lines expected here are the
ones real Postfix 3.7.11 gave for the same zone and main.cf
(tests/smtpd/test_dnsbl_live.py compares the two side by side).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.dnsbl import reverse_address
from pyfix.smtpd.checks.dsnclass import map_dsn
from pyfix.smtpd.checks.engine import Context
from pyfix.smtpd.checks.rblfilter import parse_rbl_argument
from pyfix.smtpd.checks.settings import CheckSettings
from pyfix.smtpd.checks.smtpd import Facts, SmtpdChecks
from tests.dnsserver import DnsServer
from tests.smtpd.dnsbl_zone import TEMPLATES, ZONE
from tests.smtpd.rcpt import SyncChecks
from tests.smtpd.test_checks import Log, config, relay_policy

# At level 3.6 with every domain a relay destination (relay_domains), and
# only smtpd_recipient_restrictions.
SETTINGS = ("compatibility_level = 3.6\nrelay_domains = static:ALL\n"
            "smtpd_relay_restrictions =\n")
HOST7 = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "client.example",
              "a@example.org")
ADDR8 = Facts("unknown", "127.0.0.8", "unknown[127.0.0.8]", "client.example", "a@example.org",
              reverse_name="host8.example.com")
ADDR9 = Facts("unknown", "127.0.0.9", "unknown[127.0.0.9]", "x", "a@example.org")
ADDR11 = Facts("unknown", "127.0.0.11", "unknown[127.0.0.11]", "x", "a@example.org")
SERVFAIL9 = ("warning: 9.0.0.127.bl.test: RBL lookup error: Host or domain name not found. "
             "Name service error for name=9.0.0.127.bl.test type=A: Host not found, try again")


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(ZONE)
    yield server
    server.stop()


def session(dns: DnsServer, text: str) -> tuple[SyncChecks, Log]:
    cfg = config(f"pyfix_dns_servers = {dns.spec}\n" + SETTINGS + text)
    log = Log()
    return SyncChecks(SmtpdChecks(cfg, relay_policy(cfg)).session(log.info, log.warn)), log


def reply(text: str) -> Reply:
    code, enhanced, rest = text.split(" ", 2)
    return Reply(int(code), enhanced, rest)


def facts(base: Facts, **change: str) -> Facts:
    values = dict(base.__dict__)
    values.update(change)
    return Facts(**values)


@dataclass
class Case:
    restrictions: str
    facts: Facts
    recipient: str
    reply: str | None
    log: tuple[str, ...] = ()
    more: str = ""  # other main.cf lines


CASES = {
    "rbl listed, TXT reason": Case(
        "reject_rbl_client bl.test", HOST7, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [127.0.0.7] blocked using bl.test; "
        "listed: see http://bl.test/q?127.0.0.7"),
    "rbl listed, no TXT": Case(
        "reject_rbl_client bl.test", ADDR8, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test"),
    "rbl not listed": Case("reject_rbl_client bl.test", ADDR11, "u@good.example", None),
    "rbl filter matches": Case(
        "reject_rbl_client bl.test=127.0.0.2", HOST7, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [127.0.0.7] blocked using bl.test; "
        "listed: see http://bl.test/q?127.0.0.7"),
    "rbl filter does not match": Case(
        "reject_rbl_client bl.test=127.0.0.3", HOST7, "u@good.example", None),
    "rbl filter range matches one of two records": Case(
        "reject_rbl_client bl.test=127.0.0.[3..5;9]", ADDR8, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test"),
    "rbl filter range matches none": Case(
        "reject_rbl_client bl.test=127.0.0.[5..9;11]", ADDR8, "u@good.example", None),
    "rbl server failure: not listed, a warning": Case(
        "reject_rbl_client bl.test", ADDR9, "u@good.example", None, (SERVFAIL9,)),
    "maps_rbl_reject_code": Case(
        "reject_rbl_client bl.test", ADDR8, "u@good.example",
        "550 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test",
        more="maps_rbl_reject_code = 550\n"),
    "rhsbl client": Case(
        "reject_rhsbl_client rhs.test", HOST7, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [host7.example.com] blocked using rhs.test"),
    "rhsbl client unknown is not looked up": Case(
        "reject_rhsbl_client rhs.test", ADDR8, "u@good.example", None),
    "rhsbl reverse client, unverified name": Case(
        "reject_rhsbl_reverse_client rhs.test", ADDR8, "u@good.example",
        "554 5.7.1 Service unavailable; Unverified Client host [host8.example.com] blocked "
        "using rhs.test"),
    "rhsbl helo": Case(
        "reject_rhsbl_helo rhs.test", facts(ADDR11, helo="bad.helo.example"), "u@good.example",
        "554 5.7.1 Service unavailable; Helo command [bad.helo.example] blocked using rhs.test"),
    "rhsbl helo, an address is not looked up": Case(
        "reject_rhsbl_helo rhs.test", facts(ADDR11, helo="1.2.3.4"), "u@good.example", None),
    "rhsbl helo, an address literal is not looked up": Case(
        "reject_rhsbl_helo rhs.test", facts(ADDR11, helo="[1.2.3.4]"), "u@good.example", None),
    "rhsbl sender, TXT reason": Case(
        "reject_rhsbl_sender rhs.test", facts(ADDR11, sender="x@spammer.example"),
        "u@good.example",
        "554 5.7.1 Service unavailable; Sender address [x@spammer.example] blocked using "
        "rhs.test; sender domain listed"),
    "rhsbl sender, null sender is not looked up": Case(
        "reject_rhsbl_sender rhs.test", facts(ADDR11, sender=""), "u@good.example", None),
    "rhsbl sender, address literal is not looked up": Case(
        "reject_rhsbl_sender rhs.test", facts(ADDR11, sender="a@[1.2.3.4]"), "u@good.example",
        None),
    "rhsbl recipient with filter": Case(
        "reject_rhsbl_recipient rhs.test=127.0.0.3", ADDR11, "u@badrcpt.example",
        "554 5.7.1 Service unavailable; Recipient address [u@badrcpt.example] blocked using "
        "rhs.test"),
    "rhsbl recipient without domain: the address is looked up": Case(
        "reject_rhsbl_recipient rhs.test", ADDR11, "noname",
        "554 5.7.1 Service unavailable; Recipient address [noname] blocked using rhs.test"),
    "dnswl permits": Case("permit_dnswl_client wl.test, reject", HOST7, "u@good.example", None),
    "dnswl filter does not match": Case(
        "permit_dnswl_client wl.test=127.0.0.2, reject", HOST7, "u@good.example",
        "554 5.7.1 <u@good.example>: Recipient address rejected: Access denied"),
    "dnswl failure: a later reject defers": Case(
        "permit_dnswl_client wl.test, reject", ADDR9, "u@good.example",
        "450 4.7.1 <127.0.0.9>: Client host rejected: Service unavailable",
        ("warning: 9.0.0.127.wl.test: RBL lookup error: Host or domain name not found. Name "
         "service error for name=9.0.0.127.wl.test type=A: Host not found, try again",)),
    "dnswl never overrides reject_unauth_destination": Case(
        "permit_dnswl_client wl.test, reject_unauth_destination", ADDR9, "u@foreign.example",
        "554 5.7.1 <u@foreign.example>: Relay access denied",
        more="relay_domains = good.example\n"),
    "rhswl permits": Case("permit_rhswl_client wl.test, reject", HOST7, "u@good.example", None),
    "rhswl never overrides reject_unauth_destination": Case(
        "permit_rhswl_client wl.test, reject_unauth_destination", HOST7, "u@foreign.example",
        "554 5.7.1 <u@foreign.example>: Relay access denied",
        more="relay_domains = good.example\n"),
    "reject_maps_rbl": Case(
        "reject_maps_rbl", ADDR8, "u@good.example",
        "554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test",
        ('warning: support for restriction "reject_maps_rbl" will be removed from Postfix; use '
         '"reject_rbl_client domain-name" instead',),
        more="maps_rbl_domains = rhs.test, bl.test\n"),
    "bad filter: configuration error": Case(
        "reject_rbl_client bl.test=127.0.0", HOST7, "u@good.example",
        "451 4.3.5 Server configuration error",
        ('warning: reject_rbl_client: RBL reply error: need "." at "127.0.0><"',)),
    "bad range: configuration error": Case(
        "reject_rhsbl_sender rhs.test=127.0.0.[2..x]", HOST7, "u@good.example",
        "451 4.3.5 Server configuration error",
        ('warning: reject_rhsbl_sender: RBL reply error: numeric range error at '
         '"127.0.0.[2..>x<]"',)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_restriction(dns: DnsServer, name: str) -> None:
    case = CASES[name]
    checks, log = session(dns, f"smtpd_recipient_restrictions = {case.restrictions}, "
                               f"reject_unauth_destination\n{case.more}")
    outcome = checks.recipient(case.facts, case.recipient)
    assert outcome.reply == (reply(case.reply) if case.reply else None)
    assert tuple(log.lines) == case.log


def test_txt_reason_the_first_string_of_each_record(dns: DnsServer) -> None:
    """Joined by " / ", in the order of the answer (which the test DNS
    server does not fix, and neither does Postfix)."""
    checks, _log = session(dns, "smtpd_recipient_restrictions = reject_rhsbl_sender rhs.test, "
                                "reject_unauth_destination\n")
    outcome = checks.recipient(facts(ADDR11, sender="a@twotxt.example"), "u@good.example")
    head = "Service unavailable; Sender address [a@twotxt.example] blocked using rhs.test; "
    assert outcome.reply is not None
    assert outcome.reply.text in (head + "first / other", head + "other / first")


def test_each_name_is_looked_up_once_per_session(dns: DnsServer) -> None:
    """The failure is remembered: the second RCPT logs no second warning."""
    checks, log = session(dns, "smtpd_recipient_restrictions = reject_rbl_client bl.test, "
                               "reject_unauth_destination\n")
    assert checks.recipient(ADDR9, "u@good.example").reply is None
    assert checks.recipient(ADDR9, "v@good.example").reply is None
    assert log.lines == [SERVFAIL9]


def test_reject_maps_rbl_warns_once_per_session(dns: DnsServer) -> None:
    checks, log = session(dns, "smtpd_recipient_restrictions = reject_maps_rbl, "
                               "reject_unauth_destination\nmaps_rbl_domains = bl.test\n")
    assert checks.recipient(ADDR11, "u@good.example").reply is None
    assert checks.recipient(ADDR11, "v@good.example").reply is None
    assert len(log.lines) == 1 and "reject_maps_rbl" in log.lines[0]


def test_dnswl_failure_does_not_outlive_its_stage(dns: DnsServer) -> None:
    """DEFER_IF_REJECT holds for the RCPT that noted it, not the next one."""
    checks, log = session(dns, "smtpd_recipient_restrictions = permit_dnswl_client wl.test, "
                               "reject_unauth_destination\nrelay_domains = good.example\n")
    assert checks.recipient(ADDR9, "u@good.example").reply is None
    assert checks.recipient(ADDR9, "u@foreign.example").reply == reply(
        "554 5.7.1 <u@foreign.example>: Relay access denied")
    assert len(log.lines) == 1 and "9.0.0.127.wl.test: RBL lookup error" in log.lines[0]




@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rbl") / "replies"
    path.write_text("".join(f"{key} {value}\n" for key, value in TEMPLATES.items()))
    return path


@pytest.mark.parametrize(("restriction", "base", "recipient", "expected", "log"), [
    ("reject_rbl_client bl.test", facts(HOST7, sender=""), "u@good.example",
     "554 5.0.0 Go away [127.0.0.7] via bl.test reason=listed: see http://bl.test/q?127.0.0.7 "
     "client=host7.example.com[127.0.0.7] addr=127.0.0.7 name=host7.example.com "
     "rev=host7.example.com helo=client.example sender=<>/<>/ "
     "rcpt=u@good.example/u/good.example class=Client host R $ x",
     ["mapping DSN status 5.1.1 into Client host status 5.0.0"]),
    ("reject_rbl_client bl.test=127.0.0.4", ADDR8, "u@good.example",
     "554 5.0.0 filtered key no reason",
     ["mapping DSN status 4.1.1 into Client host status 4.0.0"]),
    ("reject_rhsbl_sender rhs.test", facts(ADDR11, sender="x@spammer.example"),
     "u@good.example", "554 5.1.7 rhs Sender address [x@spammer.example] "
     "txt=sender domain listed",
     ["mapping DSN status 4.1.1 into Sender address status 4.1.7"]),
    ("reject_rhsbl_helo rhs.test", facts(ADDR11, helo="bad.helo.example"), "u@good.example",
     "554 5.0.0 rhs Helo command [bad.helo.example] txt=",
     ["mapping DSN status 4.1.1 into Helo command status 4.0.0"]),
    ("reject_rhsbl_recipient rhs.test=127.0.0.3", ADDR11, "u@badrcpt.example",
     "554 5.1.3 rhs Recipient address [u@badrcpt.example]",
     ["mapping DSN status 4.1.7 into Recipient address status 4.1.3"]),
    ("reject_rbl_client wl.test", HOST7, "u@good.example", "450 4.7.1 Service unavailable",
     ["warning: rbl response code configuration error: Not a code"]),
], ids=["every macro", "filtered key", "sender dsn", "helo dsn", "recipient dsn",
        "not a code"])
def test_rbl_reply_maps(dns: DnsServer, templates: Path, restriction: str, base: Facts,
                        recipient: str, expected: str, log: list[str]) -> None:
    checks, lines = session(dns, f"smtpd_recipient_restrictions = {restriction}, "
                                 f"reject_unauth_destination\n"
                                 f"rbl_reply_maps = texthash:{templates}\n")
    assert checks.recipient(base, recipient).reply == reply(expected)
    assert lines.lines == log


def test_bad_template_falls_back_to_the_default(dns: DnsServer, tmp_path: Path) -> None:
    (tmp_path / "replies").write_text("bl.test $rbl_code Go away $unknown_macro\n")
    checks, log = session(dns, "smtpd_recipient_restrictions = reject_rbl_client bl.test, "
                               f"reject_unauth_destination\n"
                               f"rbl_reply_maps = texthash:{tmp_path / 'replies'}\n")
    assert checks.recipient(ADDR8, "u@good.example").reply == reply(
        "554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test")
    assert log.lines == [
        'warning: unknown macro name "unknown_macro" in expansion request',
        "warning: rbl_reject_reply: bad rbl reply template for domain bl.test: "
        "$rbl_code Go away $unknown_macro"]


def test_client_stage_without_delay_reject(dns: DnsServer) -> None:
    """At connect time there is no recipient: the macros are empty."""
    checks, _log = session(dns, "smtpd_delay_reject = no\n"
                                "smtpd_client_restrictions = reject_rbl_client bl.test\n"
                                "smtpd_recipient_restrictions = reject_unauth_destination\n")
    assert checks.connect(ADDR8).reply == reply(
        "554 5.7.1 Service unavailable; Client host [127.0.0.8] blocked using bl.test")
    assert checks.connect(ADDR11).reply is None


@pytest.mark.parametrize(("argument", "domain", "listed", "unlisted"), [
    ("bl.example", "bl.example", [], []),
    ("bl.example=127.0.0.2", "bl.example", ["127.0.0.2"], ["127.0.0.3", "127.1.0.2"]),
    ("bl.example=127.0.0.[2..11;15]", "bl.example", ["127.0.0.2", "127.0.0.11", "127.0.0.15"],
     ["127.0.0.1", "127.0.0.12", "127.0.0.16"]),
    ("bl.example=[126;127].0.[0..1].[2]", "bl.example", ["126.0.1.2", "127.0.0.2"],
     ["128.0.0.2", "127.0.2.2"]),
])
def test_filter(argument: str, domain: str, listed: list[str], unlisted: list[str]) -> None:
    found, rbl_filter = parse_rbl_argument(argument)
    assert found == domain
    if "=" not in argument:
        assert rbl_filter is None
        return
    assert rbl_filter is not None
    assert all(rbl_filter.match(address) for address in listed)
    assert not any(rbl_filter.match(address) for address in unlisted)


@pytest.mark.parametrize(("argument", "error"), [
    ("bl=127.0.0", 'RBL reply error: need "." at "127.0.0><"'),
    ("bl=127.0.0.[2..x]", 'RBL reply error: numeric range error at "127.0.0.[2..>x<]"'),
    ("bl=127.0.0.[2", 'RBL reply error: need ";" or "]" at "127.0.0.[2><"'),
])
def test_bad_filter(argument: str, error: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_rbl_argument(argument)
    assert str(info.value) == error


@pytest.mark.parametrize(("dsn", "reply_class", "fitted"), [
    ("4.1.1", "Sender address", "4.1.7"), ("4.1.2", "Sender address", "4.1.8"),
    ("4.1.3", "Sender address", "4.1.7"), ("4.1.4", "Sender address", "4.1.7"),
    ("4.1.5", "Sender address", "4.1.0"), ("4.1.6", "Sender address", "4.1.7"),
    ("4.1.7", "Sender address", "4.1.7"), ("4.1.8", "Sender address", "4.1.8"),
    ("4.1.0", "Sender address", "4.1.0"), ("4.2.2", "Sender address", "4.2.2"),
    ("4.1.7", "Recipient address", "4.1.3"), ("4.1.8", "Recipient address", "4.1.2"),
    ("4.1.1", "Recipient address", "4.1.1"), ("4.1.5", "Recipient address", "4.1.5"),
    ("5.1.1", "Client host", "5.0.0"), ("4.1.7", "Helo command", "4.0.0"),
    ("5.7.1", "Client host", "5.7.1"), ("4.1.1", "Unverified Client host", "4.0.0"),
])
def test_map_dsn(dsn: str, reply_class: str, fitted: str) -> None:
    """As real Postfix mapped them (rbl_reply_maps with 4.1.0 to 4.1.8)."""
    log = Log()
    ctx = Context(CheckSettings(config(""), relay_policy(config(""))), log.info, log.warn)
    assert map_dsn(ctx, dsn, reply_class) == fitted
    assert log.lines == ([] if fitted == dsn else
                         [f"mapping DSN status {dsn} into {reply_class} status {fitted}"])


@pytest.mark.parametrize(("address", "reversed_name"), [
    ("127.0.0.7", "7.0.0.127"),
    ("192.0.2.10", "10.2.0.192"),
    ("::ffff:192.0.2.10", "10.2.0.192"),
    ("2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"),
])
def test_reverse_address(address: str, reversed_name: str) -> None:
    assert reverse_address(address) == reversed_name
