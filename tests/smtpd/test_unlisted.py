"""smtpd's recipient checks with trivial-rewrite's answer (relay.py, unlisted.py).

The replies below were checked against real Postfix 3.7.11 with the live
harness (tests/smtpd/differential.py, same main.cf); the scope cases are
in test_scope.py and test_scope_live.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtpd.checks.smtpd import SmtpdChecks
from pyfix.smtpd.relay import RelayPolicy
from pyfix.smtpd.unlisted import SENDER, dsn_fix
from tests.smtpd.rcpt import rcpt_reply

BASE = """\
compatibility_level = 3.7
myhostname = mail.example.test
mydomain = example.test
mydestination = $myhostname, localhost
inet_protocols = ipv4
inet_interfaces = 127.0.0.1
mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relay_domains =
local_recipient_maps = inline:{known=x}
"""


def policy(extra: str = "", warnings: list[str] | None = None) -> RelayPolicy:
    seen = warnings if warnings is not None else []
    config = Config(parse_main_cf("main.cf", BASE + extra, seen.append))
    return RelayPolicy(config, TrivialRewrite(config, info=seen.append, warn=seen.append),
                       seen.append)


def answer(p: RelayPolicy, rcpt: str, client: str = "127.0.0.1") -> str:
    reply = rcpt_reply(SmtpdChecks(p.config, p), client, rcpt, "s@example.org")
    return "250 2.1.5 Ok" if reply is None else f"{reply.code} {reply.enhanced} {reply.text}"


def test_tables_and_exemptions() -> None:
    p = policy("virtual_alias_domains = valias.example\n"
               "virtual_alias_maps = inline:{alias@valias.example=known}\n"
               "recipient_canonical_maps = inline:{canon@localhost=known}\n"
               "unknown_virtual_alias_reject_code = 551\ndouble_bounce_sender = dbl\n")
    assert answer(p, "x@valias.example") == (
        "551 5.1.1 <x@valias.example>: Recipient address rejected: "
        "User unknown in virtual alias table")
    for rcpt in ("alias@valias.example", "canon@localhost", "dbl@localhost", "DBL@localhost",
                 "Known@LOCALHOST", "postmaster@localhost", "mailer-daemon@localhost", "known"):
        assert answer(p, rcpt) == "250 2.1.5 Ok", rcpt
    assert answer(p, "unknown@localhost") == (
        "550 5.1.1 <unknown@localhost>: Recipient address rejected: "
        "User unknown in local recipient table")


def test_unlisted_check_can_be_turned_off() -> None:
    p = policy("smtpd_reject_unlisted_recipient = no\n"
               "transport_maps = inline:{ {gone.example=error:5.1.2 gone} }\n"
               "relay_domains = gone.example\n")
    assert answer(p, "unknown@localhost") == "250 2.1.5 Ok"
    assert answer(p, "x@gone.example") == "250 2.1.5 Ok"
    # Relay control stays on.
    assert answer(p, "x@remote.example") == "554 5.7.1 <x@remote.example>: Relay access denied"


def test_error_and_retry_transports() -> None:
    p = policy("relay_domains = a.example, b.example, c.example\n"
               "transport_maps = inline:{{a.example=error:4.1.2 bad host}, "
               "{b.example=retry:5.7.0 later}, {c.example=error:no status here}}\n")
    # The reply code wins over the status class; X.1.Y is fixed for a recipient.
    assert answer(p, "x@a.example") == "550 5.1.2 <x@a.example>: Recipient address rejected: bad host"
    assert answer(p, "x@b.example") == "450 4.7.0 <x@b.example>: Recipient address rejected: later"
    assert answer(p, "x@c.example") == (
        "550 5.1.1 <x@c.example>: Recipient address rejected: no status here")


@pytest.mark.parametrize(("status", "fixed"), [
    ("5.1.1", "5.1.1"), ("5.1.7", "5.1.3"), ("5.1.8", "5.1.2"), ("4.1.0", "4.1.0"),
    ("5.1.9", "5.1.0"), ("5.7.1", "5.7.1"), ("4.2.1", "4.2.1"),
])
def test_rcpt_dsn_fix(status: str, fixed: str) -> None:
    assert dsn_fix(status) == fixed


# Measured on Postfix 3.7.11 (test_unlisted_live.py: error:5.1.N transports).
@pytest.mark.parametrize(("status", "fixed"), [
    ("5.1.0", "5.1.0"), ("5.1.1", "5.1.7"), ("5.1.2", "5.1.8"), ("5.1.3", "5.1.7"),
    ("5.1.4", "5.1.7"), ("5.1.5", "5.1.0"), ("5.1.6", "5.1.7"), ("5.1.7", "5.1.7"),
    ("5.1.8", "5.1.8"), ("5.1.9", "5.1.0"), ("4.4.1", "4.4.1"),
])
def test_sender_dsn_fix(status: str, fixed: str) -> None:
    assert dsn_fix(status, SENDER) == fixed


def test_source_routes_are_not_authorized_destinations() -> None:
    p = policy()
    for rcpt in ("user%remote.example@localhost", "remote.example!user@localhost",
                 "user@remote.example@localhost"):
        assert answer(p, rcpt) == f"554 5.7.1 <{rcpt}>: Relay access denied"
    # mynetworks may relay anyway.
    assert answer(p, "user%remote.example@localhost", client="127.0.0.2") == "250 2.1.5 Ok"
    # Without the percent hack the address stays local but source routed (ROUTED):
    # an authorized destination only with allow_untrusted_routing.
    off = "allow_percent_hack = no\n"
    routed = "user%remote.example@localhost"
    assert answer(policy(off), routed) == f"554 5.7.1 <{routed}>: Relay access denied"
    assert answer(policy(off + "allow_untrusted_routing = yes\nlocal_recipient_maps =\n"),
                  routed) == "250 2.1.5 Ok"


def test_lookup_failures(tmp_path: Path) -> None:
    warnings: list[str] = []
    p = policy("relay_domains = fail:relay\n", warnings)
    assert answer(p, "x@remote.example") == (
        "451 4.3.0 <x@remote.example>: Temporary lookup failure")
    assert "relay_domains lookup failure" in warnings
    missing = tmp_path / "missing"
    p = policy(f"local_recipient_maps = texthash:{missing}\n")
    # An unavailable table fails as "try again", as Postfix's surrogate table does.
    assert answer(p, "unknown@localhost") == (
        "451 4.3.0 <unknown@localhost>: Temporary lookup failure")


def test_permit_inet_interfaces_is_inet_interfaces_only() -> None:
    # Postfix's permit_inet_interfaces (local_header_rewrite_clients) asks
    # own_inet_addr(): $proxy_interfaces do not count.
    p = policy("proxy_interfaces = 192.0.2.1\n")
    assert p.rewrite_context("127.0.0.1") == "local"
    assert p.rewrite_context("192.0.2.1") == "remote"
    assert answer(p, "known@[192.0.2.1]") == "250 2.1.5 Ok"  # a local literal all the same
    assert p.rewrite_context("127.0.0.2") == "remote"
    assert policy("local_header_rewrite_clients = permit_mynetworks\n").rewrite_context(
        "127.0.0.2") == "local"
