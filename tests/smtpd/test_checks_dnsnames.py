"""The name restrictions without an SMTP session: client names, HELO names,
unknown domains and the MX/NS/A access checks (pyfix.smtpd.checks.helo,
names, dnsaccess).

Facts (client name statuses, HELO, sender) go in; the stage's reply and
log lines come out.  The DNS answers come from tests/dnsserver.py on
loopback, serving tests/smtpd/dnsnames_zone.py.  Every reply and log text
here is what real Postfix 3.7.11 gives for the same case
(tests/smtpd/test_dnsnames_live.py compares them side by side).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.dns.resolver import Resolver
from pyfix.dns.servers import Nameservers
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtpd.checks.smtpd import Facts, SmtpdChecks
from pyfix.smtpd.relay import RelayPolicy
from tests.dnsserver import DnsServer
from tests.smtpd.dnsnames_zone import ZONE
from tests.smtpd.rcpt import SyncChecks
from tests.smtpd.test_checks import Log

BASE = ("myhostname = mail.example.test\nmydomain = example.test\n"
        "mydestination = $myhostname, localhost\nlocal_recipient_maps =\n"
        "mynetworks = 127.0.0.1/32\ninet_protocols = ipv4\ninet_interfaces = 127.0.0.1\n"
        "smtpd_relay_restrictions = reject_unauth_destination\nrelay_domains = static:ALL\n")
NAMED = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
              "a@good.example.com")


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(ZONE)
    try:
        yield server
    finally:
        server.stop()


def session(text: str, dns: DnsServer | None = None) -> tuple[SyncChecks, Log]:
    cfg = Config(parse_main_cf("main.cf", BASE + text, lambda _t: None), {})
    checks = SmtpdChecks(cfg, RelayPolicy(cfg, TrivialRewrite.for_client(cfg)))
    if dns is not None:
        # One quick try per query: TIMEOUT names fail in half a second.
        checks.settings._dns = Resolver(Nameservers([(dns.address, dns.port)], 0.5, 1))
    log = Log()
    return SyncChecks(checks.session(log.info, log.warn)), log


def client(addr: str, name: str, status: str, reverse: str, reverse_status: str) -> Facts:
    return Facts(name, addr, f"{name}[{addr}]", "x", "a@good.example.com", name_status=status,
                 reverse_name=reverse, reverse_status=reverse_status)


VERIFIED = client("127.0.0.7", "host7.example.com", "ok", "host7.example.com", "ok")
NO_FORWARD = client("127.0.0.8", "unknown", "perm", "host8.example.com", "ok")
NO_PTR = client("127.0.0.9", "unknown", "perm", "unknown", "perm")
PTR_TEMP = client("127.0.0.10", "unknown", "temp", "unknown", "temp")
FORWARD_TEMP = client("127.0.0.11", "unknown", "temp", "host11.example.com", "ok")

HOSTNAME = "Client host rejected: cannot find your hostname, [{}]"
REVERSE = "Client host rejected: cannot find your reverse hostname, [{}]"


@pytest.mark.parametrize(("restriction", "code", "facts", "expected"), [
    ("reject_unknown_client_hostname", "", VERIFIED, None),
    ("reject_unknown_client_hostname", "", NO_FORWARD, "450 4.7.25 " + HOSTNAME),
    ("reject_unknown_client_hostname", "550", NO_FORWARD, "550 5.7.25 " + HOSTNAME),
    ("reject_unknown_client_hostname", "550", NO_PTR, "550 5.7.25 " + HOSTNAME),
    ("reject_unknown_client_hostname", "550", PTR_TEMP, "450 4.7.25 " + HOSTNAME),
    ("reject_unknown_client_hostname", "550", FORWARD_TEMP, "450 4.7.25 " + HOSTNAME),
    ("reject_unknown_client", "", NO_PTR, "450 4.7.25 " + HOSTNAME),
    ("reject_unknown_client", "550", VERIFIED, None),
    ("reject_unknown_reverse_client_hostname", "550", VERIFIED, None),
    ("reject_unknown_reverse_client_hostname", "550", NO_FORWARD, None),
    ("reject_unknown_reverse_client_hostname", "550", FORWARD_TEMP, None),
    ("reject_unknown_reverse_client_hostname", "550", NO_PTR, "550 5.7.1 " + REVERSE),
    ("reject_unknown_reverse_client_hostname", "", NO_PTR, "450 4.7.1 " + REVERSE),
    ("reject_unknown_reverse_client_hostname", "550", PTR_TEMP, "450 4.7.1 " + REVERSE),
])
def test_client_names(restriction: str, code: str, facts: Facts, expected: str | None) -> None:
    text = f"smtpd_client_restrictions = {restriction}\nsmtpd_delay_reject = no\n"
    if code:
        text += f"unknown_client_reject_code = {code}\n"
    checks, log = session(text)
    reply = checks.connect(facts).reply
    assert (str(reply) if reply else None) == (
        expected.format(facts.client_addr) if expected else None)
    assert log.lines == []


def test_client_names_when_delayed_reject_at_rcpt() -> None:
    checks, _ = session("smtpd_client_restrictions = reject_unknown_client_hostname\n")
    assert checks.connect(NO_PTR).reply is None
    reply = checks.recipient(NO_PTR, "b@good.example.com").reply
    assert str(reply) == "450 4.7.25 " + HOSTNAME.format("127.0.0.9")


INVALID = "501 5.5.2 <{}>: Helo command rejected: Invalid name"
BAD_IP = "501 5.5.2 <{}>: Helo command rejected: invalid ip address"
NON_FQDN = "504 5.5.2 <{}>: Helo command rejected: need fully-qualified hostname"


@pytest.mark.parametrize(("helo", "invalid", "non_fqdn"), [
    ("good.example.com", None, None),
    ("good.example.com.", None, None),
    ("a_b", None, NON_FQDN),
    ("nodot", None, NON_FQDN),
    ("host.", None, NON_FQDN),
    ("1.2.3.4", None, NON_FQDN),
    ("::1", None, NON_FQDN),
    ("1.2.3.4.5", INVALID, NON_FQDN),
    ("1.2.3", INVALID, NON_FQDN),
    ("256.1.1.1", INVALID, NON_FQDN),
    ("IPv6:::1", INVALID, NON_FQDN),
    ("host..", INVALID, NON_FQDN),
    ("a..b.example", INVALID, NON_FQDN),
    ("-x", INVALID, NON_FQDN),
    ("-x.example.com", INVALID, NON_FQDN),
    ("x" * 70 + ".example.com", INVALID, NON_FQDN),
    ("[127.0.0.1]", None, None),
    ("[001.2.3.4]", None, None),
    ("[IPv6:::1]", None, None),
    ("[1.2.3]", BAD_IP, BAD_IP),
    ("[127.0.0.1", BAD_IP, BAD_IP),
    ("[IPv6:zz]", BAD_IP, BAD_IP),
])
def test_helo_syntax(helo: str, invalid: str | None, non_fqdn: str | None) -> None:
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", helo)
    for restriction, expected in (("reject_invalid_helo_hostname", invalid),
                                  ("reject_invalid_hostname", invalid),
                                  ("reject_non_fqdn_helo_hostname", non_fqdn),
                                  ("reject_non_fqdn_hostname", non_fqdn)):
        checks, _ = session(f"smtpd_helo_restrictions = {restriction}\n"
                            "smtpd_delay_reject = no\n")
        reply = checks.helo(facts).reply
        assert (str(reply) if reply else None) == (expected.format(helo) if expected else None), \
            restriction


HOST_NOT_FOUND = "{} {} <{}>: Helo command rejected: Host not found"


@pytest.mark.parametrize(("helo", "expected"), [
    ("good.example.com", None),
    ("mxonly.example.com", None),
    ("aaaa.example.com", None),
    ("nullmx.example", None),
    ("[1.2.3]", None),
    ("txtonly.example.com", ("550", "5.7.1")),
    ("nx.example.com", ("550", "5.7.1")),
    ("good.example.com.", ("550", "5.7.1")),
    ("bad_name.example.com", ("550", "5.7.1")),
    # temporary failures: defer_if_permit, so at RCPT
    ("servfail.example", None),
    ("timeout.example", None),
])
def test_unknown_helo_hostname(dns: DnsServer, helo: str, expected: tuple[str, str] | None,
                               ) -> None:
    checks, _ = session("smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
                        "unknown_hostname_reject_code = 550\nsmtpd_delay_reject = no\n", dns)
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", helo,
                  "a@good.example.com")
    reply = checks.helo(facts).reply
    assert (str(reply) if reply else None) == (
        HOST_NOT_FOUND.format(*expected, helo) if expected else None)


@pytest.mark.parametrize("action", ["defer_if_permit", "defer"])
def test_unknown_helo_hostname_tempfail(dns: DnsServer, action: str) -> None:
    """defer_if_permit: HELO and MAIL pass, every RCPT that nothing
    rejects gets the deferral; defer: the HELO stage itself defers."""
    checks, _ = session("smtpd_helo_restrictions = reject_unknown_helo_hostname, permit\n"
                        "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n"
                        f"unknown_helo_hostname_tempfail_action = {action}\n"
                        "unknown_address_reject_code = 550\nsmtpd_delay_reject = no\n", dns)
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]",
                  "servfail.example", "a@good.example.com")
    deferred = "450 4.7.1 <servfail.example>: Helo command rejected: Host not found"
    helo = checks.helo(facts).reply
    assert (str(helo) if helo else None) == (None if action == "defer_if_permit" else deferred)
    if action == "defer":
        return
    assert checks.mail(facts).reply is None
    assert str(checks.recipient(facts, "b@good.example.com").reply) == deferred
    # A reject of the RCPT itself comes first.
    assert str(checks.recipient(facts, "b@nx.example.com").reply) == (
        "550 5.1.2 <b@nx.example.com>: Recipient address rejected: Domain not found")
    assert str(checks.recipient(facts, "c@good.example.com").reply) == deferred


def test_unknown_helo_hostname_defer_if_permit_at_etrn(dns: DnsServer) -> None:
    checks, _ = session("smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
                        "smtpd_etrn_restrictions = permit\n", dns)
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]",
                  "servfail.example")
    assert checks.helo(facts).reply is None
    assert str(checks.etrn(facts, "example.com").reply) == (
        "450 4.7.1 <servfail.example>: Helo command rejected: Host not found")


SENDER_NOT_FOUND = "{} {} <{}>: Sender address rejected: Domain not found"
RCPT_NOT_FOUND = "{} {} <{}>: Recipient address rejected: Domain not found"


@pytest.mark.parametrize(("domain", "sender", "recipient"), [
    ("good.example.com", None, None),
    ("mxonly.example.com", None, None),
    ("aaaa.example.com", None, None),
    ("[127.0.0.1]", None, None),
    ("mail.example.test", None, None),  # the final destination: never looked up
    ("txtonly.example.com", ("550", "5.1.8"), ("550", "5.1.2")),
    ("nx.example.com", ("550", "5.1.8"), ("550", "5.1.2")),
    ("nodot", ("550", "5.1.8"), ("550", "5.1.2")),
    ("servfail.example", ("450", "4.1.8"), ("450", "4.1.2")),
    ("timeout.example", ("450", "4.1.8"), ("450", "4.1.2")),
])
def test_unknown_domains(dns: DnsServer, domain: str, sender: tuple[str, str] | None,
                         recipient: tuple[str, str] | None) -> None:
    checks, _ = session("smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                        "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n"
                        "unknown_address_reject_code = 550\n", dns)
    address = f"a@{domain}"
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
                  address)
    reply = checks.recipient(facts, "b@good.example.com").reply
    assert (str(reply) if reply else None) == (
        SENDER_NOT_FOUND.format(*sender, address) if sender else None)
    reply = checks.recipient(NAMED, f"b@{domain}").reply
    assert (str(reply) if reply else None) == (
        RCPT_NOT_FOUND.format(*recipient, f"b@{domain}") if recipient else None)


def test_unknown_domains_nullmx_and_null_sender(dns: DnsServer) -> None:
    checks, _ = session("smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                        "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n", dns)
    nullmx = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
                   "a@nullmx.example")
    assert str(checks.recipient(nullmx, "b@good.example.com").reply) == (
        "550 5.7.27 <a@nullmx.example>: Sender address rejected: Domain nullmx.example "
        "does not accept mail (nullMX)")
    assert str(checks.recipient(NAMED, "b@nullmx.example").reply) == (
        "556 5.1.10 <b@nullmx.example>: Recipient address rejected: Domain nullmx.example "
        "does not accept mail (nullMX)")
    for sender in ("", "a"):
        facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
                      sender)
        assert checks.recipient(facts, "b").reply is None


def test_first_deferral_wins_and_tempfail_defer(dns: DnsServer) -> None:
    """defer_if_permit keeps the first reply (here the HELO's); with
    unknown_address_tempfail_action = defer the sender stage defers at once."""
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]",
                  "servfail.example", "a@servfail.example")
    text = ("smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
            "smtpd_sender_restrictions = reject_unknown_sender_domain\n")
    checks, _ = session(text, dns)
    assert str(checks.recipient(facts, "c@good.example.com").reply) == (
        "450 4.7.1 <servfail.example>: Helo command rejected: Host not found")
    facts.helo = "good.example.com"
    checks, _ = session(text + "unknown_address_tempfail_action = defer\n"
                        "smtpd_delay_reject = no\n", dns)
    assert str(checks.mail(facts).reply) == (
        "450 4.1.8 <a@servfail.example>: Sender address rejected: Domain not found")


def test_bad_tempfail_action_fails_closed(dns: DnsServer) -> None:
    checks, log = session("smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                          "unknown_address_tempfail_action = bogus\n"
                          "smtpd_delay_reject = no\n", dns)
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
                  "a@servfail.example")
    assert str(checks.mail(facts).reply) == "451 4.3.5 Server configuration error"
    assert log.lines == ['warning: unknown unknown_address_tempfail_action value "bogus": '
                         "specify one of defer_if_permit, defer"]


MAP = ("inline:{{ns1.bad.example=REJECT name ns},{127.0.0.66=REJECT addr66},"
       "{127.0.0.68=REJECT addr68},{good.example.com=OK},{127.0.0.69=DUNNO},"
       "{127.0.0.50=REJECT addr50}}")
OK_WARNINGS = ["warning: restriction {} returns OK for {}",
               "warning: this is not allowed for security reasons",
               "warning: use DUNNO instead of OK if you want to make an exception"]


@pytest.mark.parametrize(("restriction", "domain", "reply", "log"), [
    ("check_sender_mx_access", "example.net", "554 5.7.1 <{}>: Sender address rejected: addr66",
     []),
    ("check_sender_mx_access", "aonly.example",
     "554 5.7.1 <{}>: Sender address rejected: addr68", []),
    ("check_sender_mx_access", "sub.example.net", None, []),
    ("check_sender_mx_access", "nullmx.example", None, []),
    ("check_sender_mx_access", "[1.2.3.4]", None, []),
    ("check_sender_mx_access", "goodmx.example", "451 4.3.5 Server configuration error",
     OK_WARNINGS),
    ("check_sender_mx_access", "servfailmx.example", None,
     ["warning: Unable to look up MX host for servfailmx.example: Host not found, try again"]),
    ("check_sender_mx_access", "mxservfail.example", None,
     ["warning: Unable to look up MX host servfail.example for Sender address {}: "
      "Temporary failure in name resolution"]),
    ("check_sender_mx_access", "nx.example.com", None,
     ["warning: Unable to look up MX host nx.example.com for Sender address {}: "
      "Name or service not known"]),
    ("check_recipient_ns_access", "sub.example.net",
     "554 5.7.1 <{}>: Recipient address rejected: name ns", []),
    ("check_recipient_ns_access", "example.net",
     "554 5.7.1 <{}>: Recipient address rejected: name ns", []),
    ("check_recipient_ns_access", "nx.example.com", None,
     ["warning: Unable to look up NS host for {}: Host not found"]),
    ("check_recipient_ns_access", "servfail.example", None,
     ["warning: Unable to look up NS host for servfail.example: Host not found, try again"]),
    ("check_recipient_a_access", "aonly.example",
     "554 5.7.1 <{}>: Recipient address rejected: addr68", []),
    ("check_recipient_a_access", "example.net", None, []),
    ("check_recipient_mx_access", "mxonly.example.com",
     "451 4.3.5 Server configuration error", OK_WARNINGS),
])
def test_mx_ns_a_access(dns: DnsServer, restriction: str, domain: str, reply: str | None,
                        log: list[str]) -> None:
    stage = "sender" if "sender" in restriction else "recipient"
    checks, logged = session(f"smtpd_{stage}_restrictions = {restriction} {MAP}\n", dns)
    address = f"a@{domain}"
    if stage == "sender":
        facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", "x",
                      address)
        got = checks.recipient(facts, "b@good.example.com").reply
    else:
        got = checks.recipient(NAMED, address).reply
    assert (str(got) if got else None) == (reply.format(address) if reply else None)
    assert logged.lines == [line.format(*((restriction, address) if "returns OK" in line
                                          else (address,))) for line in log]


@pytest.mark.parametrize(("restriction", "helo", "reply"), [
    ("check_helo_a_access", "aonly.example", "addr68"),
    ("check_helo_a_access", "good.example.com", "addr50"),
    ("check_helo_a_access", "example.net", None),
    ("check_helo_mx_access", "example.net", "addr66"),
    ("check_helo_ns_access", "sub.example.net", "name ns"),
    ("check_helo_ns_access", "[127.0.0.1]", None),
])
def test_helo_dns_access(dns: DnsServer, restriction: str, helo: str, reply: str | None,
                         ) -> None:
    checks, _ = session(f"smtpd_helo_restrictions = {restriction} {MAP}\n"
                        "smtpd_delay_reject = no\n", dns)
    facts = Facts("host7.example.com", "127.0.0.7", "host7.example.com[127.0.0.7]", helo)
    got = checks.helo(facts).reply
    assert (str(got) if got else None) == (
        f"554 5.7.1 <{helo}>: Helo command rejected: {reply}" if reply else None)


@pytest.mark.parametrize(("restriction", "facts", "reply"), [
    ("check_client_a_access", client("127.0.0.68", "aonly.example", "ok", "aonly.example", "ok"),
     "addr68"),
    ("check_client_mx_access", client("127.0.0.5", "example.net", "ok", "example.net", "ok"),
     "addr66"),
    ("check_client_ns_access", NO_FORWARD, None),  # unknown: not checked
    ("check_reverse_client_hostname_ns_access",
     client("127.0.0.8", "unknown", "perm", "sub.example.net", "ok"), "name ns"),
    ("check_reverse_client_hostname_mx_access",
     client("127.0.0.14", "unknown", "perm", "example.net", "ok"), "addr66"),
    ("check_reverse_client_hostname_a_access", NO_PTR, None),
])
def test_client_dns_access(dns: DnsServer, restriction: str, facts: Facts, reply: str | None,
                           ) -> None:
    checks, _ = session(f"smtpd_client_restrictions = {restriction} {MAP}\n"
                        "smtpd_delay_reject = no\n", dns)
    got = checks.connect(facts).reply
    subject = (f"<{facts.reverse_name}>: Unverified Client host" if "reverse" in restriction
               else f"<{facts.namaddr}>: Client host")
    assert (str(got) if got else None) == (f"554 5.7.1 {subject} rejected: {reply}"
                                           if reply else None)


MX_BACKUP = [  # domain, without permit_mx_backup_networks, with 127.0.0.64/26
    ("backup.example", None, None),
    ("backupfar.example", None, "relay"),
    ("primlocal.example", "relay", "relay"),
    ("onlylocal.example", "relay", "relay"),
    ("equal.example", "relay", "relay"),
    ("nomx.example", "relay", "relay"),
    ("nx.example.com", "relay", "relay"),
    ("mail.example.test", None, None),  # an authorized destination
    ("mxsf.example", "450 4.4.4 <{}>: Recipient address rejected: Unable to look up mail "
     "exchanger information: Host not found, try again",
     "450 4.4.4 <{}>: Recipient address rejected: Unable to look up mail "
     "exchanger information: Host not found, try again"),
    ("backupsf.example", None, "450 4.4.4 <{}>: Recipient address rejected: Unable to look "
     "up mail exchanger host servfail.example: Temporary failure in name resolution"),
]


@pytest.mark.parametrize(("domain", "plain", "networks"), MX_BACKUP)
def test_permit_mx_backup(dns: DnsServer, domain: str, plain: str | None,
                          networks: str | None) -> None:
    for extra, expected in (("", plain), ("permit_mx_backup_networks = 127.0.0.64/26\n",
                                          networks)):
        checks, _ = session("relay_domains =\nsmtpd_relay_restrictions = permit_mx_backup, "
                            "reject_unauth_destination\n" + extra, dns)
        for local in ("b", "b%x.example"):  # sender-specified routing is never permitted
            address = f"{local}@{domain}"
            reply = checks.recipient(NAMED, address).reply
            want = expected if local == "b" else "relay"
            if want == "relay":
                want = "554 5.7.1 <{}>: Relay access denied"
            assert (str(reply) if reply else None) == (
                want.format(address) if want else None), (extra, address)
