"""Live differential tests of the DNS list restrictions: real Postfix 3.7 and
pyfix with the same main.cf, the same DNS (tests/resolverns.py: a private
resolv.conf naming tests/dnsserver.py with ZONE) and the same dialogues from
clients 127.0.0.7 and up; replies and normalized smtpd and cleanup log
lines compared (tests/smtpd/differential.py).

Covered: reject_rbl_client and every reject_rhsbl_* form, the
domain=d.d.d.d and d.d.d.[x..y;z] filters, TXT reasons, SERVFAIL and
time-outs (a warning, not listed; once per session), permit_dnswl_client
and permit_rhswl_client (permit, never over reject_unauth_destination,
DEFER_IF_REJECT on failure), rbl_reply_maps with every macro and the DSN
fitting, bad templates, maps_rbl_reject_code, the legacy reject_maps_rbl
with maps_rbl_domains, the seed's S14 lines verbatim, and the client list
at connect time (smtpd_delay_reject = no).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pyfix.smtpd.checks.engine import RESTRICTIONS
from tests.resolverns import skip_reason as dns_skip_reason
from tests.smtpd.differential import Differential, StepSpec, skip_reason
from tests.smtpd.dnsbl_zone import TEMPLATES, ZONE

REASON = skip_reason() or dns_skip_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

QUIT = b"QUIT\r\n"


def dialogue(helo: str = "client.example", sender: str = "a@example.org",
             *recipients: str) -> list[StepSpec]:
    steps: list[StepSpec] = [f"EHLO {helo}\r\n".encode(), f"MAIL FROM:<{sender}>\r\n".encode()]
    steps += [f"RCPT TO:<{rcpt}>\r\n".encode() for rcpt in recipients or ("u@good.example",)]
    return [*steps, QUIT]


@dataclass
class Case:
    client: str
    steps: list[StepSpec]
    xfail: str | None = None


@dataclass
class Group:
    main_cf: str
    cases: dict[str, Case]
    files: dict[str, str] = field(default_factory=dict)


REVERSE_XFAIL = ("pyfix's session does not keep the unverified reverse client name apart "
                 "yet, nor log \"hostname ... does not resolve to address\" (pyfix.smtpd.peer, "
                 "dnsnames)")
UNKNOWN_CLIENT_XFAIL = "reject_unknown_client is not implemented on this branch (dnsnames)"

GROUPS: dict[str, Group] = {
    "lists": Group(
        "relay_domains = static:ALL\n"
        "smtpd_recipient_restrictions = reject_rhsbl_client rhs.test,\n"
        "    reject_rhsbl_reverse_client rhs.test, reject_rbl_client bl.test,\n"
        "    reject_rhsbl_helo rhs.test, reject_rhsbl_sender rhs.test,\n"
        "    reject_rhsbl_recipient rhs.test, reject_unauth_destination\n", {
            "rhsbl client": Case("127.0.0.7", dialogue()),
            "rbl without reason": Case("127.0.0.8", dialogue()),
            "not listed": Case("127.0.0.11", dialogue()),
            "not listed, named": Case("127.0.0.13", dialogue()),
            "helo": Case("127.0.0.11", dialogue("bad.helo.example")),
            "helo address": Case("127.0.0.11", dialogue("1.2.3.4")),
            "helo address literal": Case("127.0.0.11", dialogue("[1.2.3.4]")),
            "sender with reason": Case("127.0.0.11", dialogue("x", "x@spammer.example")),
            "sender, a TXT record of two strings": Case("127.0.0.11", dialogue("x", "a@multi.example")),
            "null sender": Case("127.0.0.11", dialogue("x", "")),
            "sender address literal": Case("127.0.0.11", dialogue("x", "a@[1.2.3.4]")),
            "recipient": Case("127.0.0.11", dialogue("x", "a@example.org",
                                                     "u@good.example", "u@badrcpt.example")),
            "recipient without domain": Case("127.0.0.11", dialogue("x", "a@example.org",
                                                                    "noname")),
            "unverified reverse client": Case("127.0.0.12", dialogue(), REVERSE_XFAIL),
        }),
    "filters": Group(
        "relay_domains = static:ALL\n"
        "smtpd_recipient_restrictions = reject_rbl_client bl.test=127.0.0.3,\n"
        "    reject_rbl_client bl.test=127.0.0.[3..5;9],\n"
        "    reject_rhsbl_client rhs.test=127.0.0.[3..255],\n"
        "    reject_rhsbl_recipient rhs.test=127.0.0.3, reject_unauth_destination\n", {
            "no match, then a range": Case("127.0.0.7", dialogue()),
            "range matches one of two records": Case("127.0.0.8", dialogue()),
            "recipient filter": Case("127.0.0.11", dialogue("x", "a@example.org",
                                                            "noname", "u@badrcpt.example")),
        }),
    "failures": Group(
        "relay_domains = static:ALL\n"
        "smtpd_recipient_restrictions = reject_rbl_client bl.test, reject_unauth_destination\n",
        {
            "servfail, two recipients": Case("127.0.0.9", dialogue(
                "x", "a@example.org", "u@good.example", "v@good.example")),
            "timeout, two recipients": Case("127.0.0.10", dialogue(
                "x", "a@example.org", "u@good.example", "v@good.example")),
        }),
    "allow lists": Group(
        "relay_domains = good.example\n"
        "smtpd_relay_restrictions = permit_dnswl_client wl.test, permit_rhswl_client wl.test,\n"
        "    reject_unauth_destination\n"
        "smtpd_recipient_restrictions = permit_dnswl_client wl.test, reject\n", {
            "listed: permit": Case("127.0.0.7", dialogue()),
            "listed, foreign recipient: no permit": Case(
                "127.0.0.7", dialogue("x", "a@example.org", "u@foreign.example")),
            "lookup fails: the reject defers": Case("127.0.0.9", dialogue()),
            "lookup fails, foreign recipient: not looked up": Case(
                "127.0.0.9", dialogue("x", "a@example.org", "u@foreign.example",
                                      "u@good.example")),
            "not listed": Case("127.0.0.11", dialogue()),
        }),
    "rhswl failure": Group(
        "relay_domains = static:ALL\n"
        "smtpd_recipient_restrictions = permit_rhswl_client wl.test, reject\n", {
            "lookup fails: the reject defers": Case("127.0.0.13", dialogue()),
            "listed": Case("127.0.0.7", dialogue()),
        }),
    "reply maps": Group(
        "relay_domains = static:ALL\n"
        "rbl_reply_maps = texthash:@FILES@/rbl_replies\n"
        "smtpd_recipient_restrictions = reject_rbl_client bl.test=127.0.0.4,\n"
        "    reject_rbl_client bl.test, reject_rhsbl_helo rhs.test,\n"
        "    reject_rhsbl_sender rhs.test, reject_rhsbl_recipient rhs.test=127.0.0.3,\n"
        "    reject_unauth_destination\n", {
            "every macro, client dsn": Case("127.0.0.7", dialogue("x", "")),
            "filtered key, 4.1.1 for a client": Case("127.0.0.8", dialogue()),
            "sender dsn": Case("127.0.0.11", dialogue("x", "x@spammer.example")),
            "helo dsn": Case("127.0.0.11", dialogue("bad.helo.example")),
            "recipient dsn": Case("127.0.0.11", dialogue("x", "a@example.org",
                                                         "u@badrcpt.example")),
        }, {"rbl_replies": "".join(f"{k} {v}\n" for k, v in TEMPLATES.items())}),
    "bad templates": Group(
        "relay_domains = static:ALL\n"
        "maps_rbl_reject_code = 550\n"
        "rbl_reply_maps = texthash:@FILES@/rbl_replies\n"
        "smtpd_recipient_restrictions = reject_rbl_client wl.test,\n"
        "    reject_rbl_client bad.test, reject_rbl_client bl.test=127.0.0.2,\n"
        "    reject_unauth_destination\n", {
            "not a code": Case("127.0.0.7", dialogue()),
        }, {"rbl_replies": "".join(f"{k} {v}\n" for k, v in TEMPLATES.items())}),
    "unknown macro": Group(
        "relay_domains = static:ALL\n"
        "maps_rbl_reject_code = 550\n"
        "rbl_reply_maps = texthash:@FILES@/rbl_replies\n"
        "smtpd_recipient_restrictions = reject_rbl_client bl.test=127.0.0.2,\n"
        "    reject_unauth_destination\n", {
            "the default with maps_rbl_reject_code": Case("127.0.0.7", dialogue()),
        }, {"rbl_replies": "bl.test=127.0.0.2 $rbl_code go away $unknown_macro\n"}),
    "421 hangs up": Group(
        "relay_domains = static:ALL\n"
        "rbl_reply_maps = texthash:@FILES@/rbl_replies\n"
        "smtpd_recipient_restrictions = reject_rbl_client bl.test=127.0.0.4,\n"
        "    reject_unauth_destination\n", {
            "421 from the template": Case("127.0.0.8", dialogue()),
        }, {"rbl_replies": "bl.test=127.0.0.4 421 4.7.0 Filtered key\n"}),
    "reject_maps_rbl": Group(
        "relay_domains = static:ALL\n"
        "maps_rbl_domains = rhs.test, bl.test\n"
        "smtpd_client_restrictions = reject_maps_rbl\n", {
            "listed in the second domain": Case("127.0.0.8", dialogue()),
            "not listed": Case("127.0.0.11", dialogue()),
        }),
    # The seed's lines (S14), verbatim.
    "seed S14": Group(
        "maps_rbl_domains=relays.ordb.org\n"
        "smtpd_client_restrictions=reject_maps_rbl, reject_unknown_client\n", {
            "listed": Case("127.0.0.7", dialogue()),
            "named, not listed": Case("127.0.0.13", dialogue(), UNKNOWN_CLIENT_XFAIL),
            "no name": Case("127.0.0.11", dialogue(), UNKNOWN_CLIENT_XFAIL),
        }),
    "S14 with the modern name": Group(
        "smtpd_client_restrictions = reject_rbl_client relays.ordb.org\n", {
            "listed": Case("127.0.0.7", dialogue()),
            "named, not listed": Case("127.0.0.13", dialogue()),
        }),
    "at connect": Group(
        "smtpd_delay_reject = no\n"
        "smtpd_client_restrictions = reject_rbl_client bl.test\n", {
            "listed": Case("127.0.0.7", dialogue()),
            "not listed": Case("127.0.0.11", dialogue()),
        }),
}


def _cases() -> list[Any]:
    params = []
    for group_name, group in GROUPS.items():
        for case_name, case in group.cases.items():
            marks = []
            # Each xfail holds until the branch that brings the feature is merged.
            if case.xfail == UNKNOWN_CLIENT_XFAIL:
                marks.append(pytest.mark.xfail("reject_unknown_client" not in RESTRICTIONS,
                                               reason=case.xfail, strict=True))
            elif case.xfail == REVERSE_XFAIL:
                marks.append(pytest.mark.xfail(importlib.util.find_spec("pyfix.smtpd.peer") is None,
                                               reason=case.xfail, strict=True))
            params.append(pytest.param(group_name, case_name, marks=marks,
                                       id=f"{group_name}: {case_name}"))
    return params


class Running:
    """The Differential of one group at a time: the cases come group by
    group, and a group's mail systems stop when the next group starts."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.diff: Differential | None = None

    def get(self, name: str) -> Differential:
        if name != self.name or self.diff is None:
            self.stop()
            group = GROUPS[name]
            self.diff = Differential(group.main_cf, files=group.files, dns_zone=ZONE)
            self.diff.start()
            self.name = name
        return self.diff

    def stop(self) -> None:
        if self.diff is not None:
            self.diff.stop()
        self.diff, self.name = None, None


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    groups = Running()
    yield groups
    groups.stop()


@pytest.mark.parametrize(("group", "case"), _cases())
def test_dnsbl(running: Running, group: str, case: str) -> None:
    spec = GROUPS[group].cases[case]
    running.get(group).check(case, spec.steps, client=spec.client)
