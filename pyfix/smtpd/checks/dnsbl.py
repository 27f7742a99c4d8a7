"""NAME
    pyfix.smtpd.checks.dnsbl - DNS block and allow lists in restriction lists

SUMMARY
    reject_rbl_client, reject_rhsbl_client, reject_rhsbl_reverse_client,
    reject_rhsbl_helo, reject_rhsbl_sender, reject_rhsbl_recipient,
    permit_dnswl_client, permit_rhswl_client, reject_maps_rbl

DESCRIPTION
    Each restriction takes one argument, "domain" or "domain=d.d.d.d",
    and looks a name up under that domain (A records):

        reject_rbl_client            the client address, reversed
                                     (1.2.3.4 -> 4.3.2.1.domain; IPv6
                                     by nibbles)
        reject_rhsbl_client          the client hostname (not "unknown")
        reject_rhsbl_reverse_client  the unverified reverse client name
        reject_rhsbl_helo            the HELO/EHLO name
        reject_rhsbl_sender          the sender's domain (not for <>)
        reject_rhsbl_recipient       the recipient's domain
        permit_dnswl_client          as reject_rbl_client, but permits
        permit_rhswl_client          as reject_rhsbl_client, but permits
        reject_maps_rbl              reject_rbl_client for each domain in
                                     maps_rbl_domains (Postfix 1.x; each
                                     session logs Postfix 3.7's warning
                                     that it will be removed)

    The name is listed when it has an A record; with "=d.d.d.d" only an
    A record that matches the pattern counts.  Each "d" is a number or
    "[...]": ";"-separated numbers and number..number ranges (rblfilter.py).

    A listed name is rejected with the reply that rbl_reply_maps gives
    for the restriction's argument as written ("bl.example" or
    "bl.example=127.0.0.2"; for reject_maps_rbl the domain), or else
    with default_rbl_reply (rblreply.py).  The TXT record of the listed
    name is $rbl_reason.

    A DNS lookup that fails for another reason than "not found" logs
    "warning: NAME: RBL lookup error: TEXT" and counts as not listed;
    for permit_dnswl_client and permit_rhswl_client it also makes a
    later reject in the same stage a defer ("450 4.7.1 <client>:
    Client host rejected: Service unavailable", DEFER_IF_REJECT).  A
    session looks each name up once and remembers the answer, failures
    included, as Postfix's smtpd process does.

    For safety, permit_dnswl_client and permit_rhswl_client do nothing
    (and look nothing up) when the request has a recipient that is not
    an authorized destination: they never override
    reject_unauth_destination.

    Parameters read: maps_rbl_domains, maps_rbl_reject_code,
    default_rbl_reply, rbl_reply_maps (settings.py and rblreply.py).

DIAGNOSTICS
    A malformed "=d.d.d.d" filter is a configuration error: a warning
    with Postfix's text and "451 4.3.5 Server configuration error"
    (Postfix's smtpd exits with that text as a fatal error instead).  A
    bad reply template is logged and replaced (rblreply.py).
"""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.dns.records import DNS_NOTFOUND, DnsLookupError, Record
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.engine import (
    CONFIG_ERROR,
    DUNNO,
    OK,
    Context,
    Request,
    RestrictionFn,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.checks.rblfilter import RblFilter, parse_rbl_argument
from pyfix.smtpd.checks.rblreply import RblHit, rbl_reply
from pyfix.smtpd.checks.relay import authorized

# Postfix's DEFER_IF_REJECT reply when an allow list cannot be looked up.
ALLOWLIST_FAILURE = "Service unavailable"
MAPS_RBL_WARNING = ('support for restriction "reject_maps_rbl" will be removed from '
                    'Postfix; use "reject_rbl_client domain-name" instead')


# One answer cache per session (a Context), forgotten with the session:
# (name, type) -> the records or the lookup error.
_Answer = list[Record] | DnsLookupError
_SESSIONS: weakref.WeakKeyDictionary[Context, dict[tuple[str, str], _Answer]] = \
    weakref.WeakKeyDictionary()


def reverse_address(address: str) -> str:
    """1.2.3.4 -> 4.3.2.1; IPv6 as reversed nibbles."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return ".".join(reversed(str(ip).split(".")))
    return ".".join(reversed(ip.exploded.replace(":", "")))


async def _answer(ctx: Context, query: str, rtype: str) -> _Answer:
    """The records of query, looked up once per session; a failure
    other than "not found" of an A lookup is logged the first time."""
    cache = _SESSIONS.setdefault(ctx, {})
    key = (query.lower(), rtype)
    answer = cache.get(key)
    if answer is None:
        try:
            answer = await ctx.settings.dns.lookup(query, rtype)
        except DnsLookupError as exc:
            if rtype == "A" and exc.status != DNS_NOTFOUND:
                ctx.warn(f"{query}: RBL lookup error: {exc.text}")
            answer = exc
        cache[key] = answer
    return answer


async def _reason(ctx: Context, query: str) -> str:
    """The TXT records of a listed name, as Postfix shows them: the
    first string of each record, in the answer's order, joined by " / "
    ("" for none)."""
    answer = await _answer(ctx, query, "TXT")
    if isinstance(answer, DnsLookupError):
        return ""
    return " / ".join(_first_string(record.data) for record in answer)


def _first_string(data: str) -> str:
    """The first character-string of a TXT record in presentation form
    ("first" "second" -> first)."""
    out: list[str] = []
    index = data.find('"') + 1
    if index == 0:
        return data.split(" ", 1)[0]
    while index < len(data) and data[index] != '"':
        if data[index] == "\\" and index + 1 < len(data):
            index += 1
            if data[index:index + 3].isdigit():
                out.append(chr(int(data[index:index + 3])))
                index += 3
                continue
        out.append(data[index])
        index += 1
    return "".join(out)


def _matches(answer: _Answer, rbl_filter: RblFilter | None) -> bool:
    """Whether an A answer lists the name (with a record that the filter
    accepts)."""
    if isinstance(answer, DnsLookupError):
        return False
    return rbl_filter is None or any(rbl_filter.match(record.data) for record in answer)


async def _listed(ctx: Context, query: str, rbl_filter: RblFilter | None) -> bool:
    return _matches(await _answer(ctx, query, "A"), rbl_filter)


def _bad_argument(ctx: Context, step: Step, problem: str) -> Verdict:
    ctx.warn(f"{step.name}: {problem}")
    return Verdict(Result.DEFER, CONFIG_ERROR)


async def _reject_listed(ctx: Context, request: Request, step: Step, name: str | None,
                         rbl_class: str, what: str) -> Verdict:
    """The reject_rbl_* and reject_rhsbl_* restrictions: name listed
    under the argument's domain gives the RBL reply."""
    try:
        domain, rbl_filter = parse_rbl_argument(step.args[0])
    except ValueError as exc:
        return _bad_argument(ctx, step, str(exc))
    if not name:
        return DUNNO
    query = f"{name}.{domain}"
    if not await _listed(ctx, query, rbl_filter):
        return DUNNO
    hit = RblHit(step.args[0], domain, rbl_class, what, await _reason(ctx, query))
    return rbl_reply(ctx, request, hit)


def _domain_of(address: str | None) -> str:
    """The domain of an address to look up (an address without "@" is
    looked up whole, as Postfix does)."""
    if not address:
        return ""
    return _hostname(address.rpartition("@")[2])


def _hostname(name: str | None) -> str:
    """A name to look up under an rhsbl domain ("" for none, "unknown",
    an address literal or an IP address)."""
    if not name or name == "unknown" or name.startswith("["):
        return ""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    return ""


@dataclass(frozen=True, slots=True)
class RejectList:
    """One reject_rbl_* / reject_rhsbl_* restriction: the name it looks
    up ("" for none), and the class and text that its reply names."""

    query: Callable[[Request], str]
    rbl_class: str
    what: Callable[[Request], str]


REJECT_LISTS = {
    "reject_rbl_client": RejectList(lambda r: reverse_address(r.client_addr), "Client host",
                                    lambda r: r.client_addr),
    "reject_rhsbl_client": RejectList(lambda r: _hostname(r.client_name), "Client host",
                                      lambda r: r.client_name),
    "reject_rhsbl_reverse_client": RejectList(lambda r: _hostname(r.reverse_name),
                                              "Unverified Client host",
                                              lambda r: r.reverse_name),
    "reject_rhsbl_helo": RejectList(lambda r: _hostname(r.helo), "Helo command",
                                    lambda r: r.helo or ""),
    "reject_rhsbl_sender": RejectList(lambda r: _domain_of(r.sender), "Sender address",
                                      lambda r: r.sender or ""),
    "reject_rhsbl_recipient": RejectList(lambda r: _domain_of(r.recipient),
                                         "Recipient address", lambda r: r.recipient or ""),
}


def _reject_restriction(kind: RejectList) -> RestrictionFn:
    async def check(ctx: Context, request: Request, step: Step) -> Verdict:
        return await _reject_listed(ctx, request, step, kind.query(request), kind.rbl_class,
                                    kind.what(request))
    return check


for _name, _kind in REJECT_LISTS.items():
    restriction(_name, nargs=1)(_reject_restriction(_kind))


@restriction("reject_maps_rbl")
async def reject_maps_rbl(ctx: Context, request: Request, step: Step) -> Verdict:
    ctx.warn_once("reject_maps_rbl", MAPS_RBL_WARNING)
    name = reverse_address(request.client_addr)
    for domain in ctx.settings.maps_rbl_domains:
        query = f"{name}.{domain}"
        if await _listed(ctx, query, None):
            hit = RblHit(domain, domain, "Client host", request.client_addr,
                         await _reason(ctx, query))
            return rbl_reply(ctx, request, hit)
    return DUNNO


async def _permit_listed(ctx: Context, request: Request, step: Step, name: str,
                         what: str) -> Verdict:
    """permit_dnswl_client and permit_rhswl_client."""
    try:
        domain, rbl_filter = parse_rbl_argument(step.args[0])
    except ValueError as exc:
        return _bad_argument(ctx, step, str(exc))
    if request.recipient is not None and not authorized(ctx, request, request.recipient):
        return DUNNO  # never override reject_unauth_destination
    if not name:
        return DUNNO
    query = f"{name}.{domain}"
    answer = await _answer(ctx, query, "A")
    if isinstance(answer, DnsLookupError) and answer.status != DNS_NOTFOUND:
        ctx.defer_if_reject(Reply(450, "4.7.1", f"<{what}>: Client host rejected: "
                                                f"{ALLOWLIST_FAILURE}"))
    return OK if _matches(answer, rbl_filter) else DUNNO


@restriction("permit_dnswl_client", nargs=1)
async def permit_dnswl_client(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _permit_listed(ctx, request, step, reverse_address(request.client_addr),
                                request.client_addr)


@restriction("permit_rhswl_client", nargs=1)
async def permit_rhswl_client(ctx: Context, request: Request, step: Step) -> Verdict:
    name = _hostname(request.client_name)
    return await _permit_listed(ctx, request, step, name, name)
