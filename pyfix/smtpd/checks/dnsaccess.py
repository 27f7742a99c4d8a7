"""NAME
    pyfix.smtpd.checks.dnsaccess - access(5) tables keyed by DNS servers and addresses

SUMMARY
    check_{client,reverse_client_hostname,helo,sender,recipient}_
    {mx,ns,a}_access

DESCRIPTION
    Each takes a table.  The name that is checked is the client's
    (verified) hostname, its reverse hostname, the HELO name, or the
    domain of the sender or recipient address (an address without a
    domain is looked up as it is; the null sender, an "unknown" client
    name and address literals are not checked).

    _mx_access  the name's MX hosts; a name without MX records is its
                own mail host (a null MX has none).
    _ns_access  the name's NS hosts; a name without NS records is
                replaced by its parent domain until one has them.
    _a_access   the name's own addresses (A, and AAAA when
                inet_protocols has ipv6).

    For each MX or NS host, the table is searched for the host name (and
    its parent domains, as parent_domain_matches_subdomains says for
    smtpd_access_maps), then for each of its addresses (and their
    network prefixes).  The first value that decides is an access(5)
    result (access.py's access_verdict), with the wording of the stage:
    "<a@example.net>: Sender address rejected: TEXT"; the reverse client
    hostname checks say "<NAME>: Unverified Client host rejected: TEXT".  OK is not allowed
    here: smtpd logs "restriction NAME returns OK for WHAT", "this is
    not allowed for security reasons", "use DUNNO instead of OK if you
    want to make an exception" and answers "451 4.3.5 Server
    configuration error".

    DNS failures do not reject; smtpd logs them and goes on:
    "Unable to look up MX host for DOMAIN: Host not found, try again"
    (a temporary failure of the MX or NS lookup), "Unable to look up NS
    host for WHAT: Host not found" (no NS records up to the top), and
    "Unable to look up MX host HOST for Sender address WHAT: Name or
    service not known" (a host without addresses).

    Parameters read: parent_domain_matches_subdomains, inet_protocols.

DIAGNOSTICS
    Table errors propagate to the evaluator (451 replies).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pyfix.dns.records import DNS_NOTFOUND, DNS_NULLMX, DnsLookupError
from pyfix.smtpd.checks.access import access_verdict
from pyfix.smtpd.checks.dnslookup import address_lookup, address_types
from pyfix.smtpd.checks.engine import (
    CONFIG_ERROR,
    DUNNO,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.tables.search import find_client_address, find_domain

HOST_NOT_FOUND = "Host not found"


class Target:
    """What one check looks at: the name, what replies and warnings say
    about it (WHAT and the reply class)."""

    def __init__(self, name: str, what: str, reply_class: str, subject: str) -> None:
        self.name = name
        self.what = what  # in the warnings: the address, or the name
        self.reply_class = reply_class
        self.subject = subject  # in the replies: <subject>: Class rejected


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else address


def target(request: Request, kind: str) -> Target | None:
    """The name that a check_KIND_*_access looks at (None: nothing)."""
    if kind == "client":
        name = request.client_name
        if name == "unknown":
            return None
        return Target(name, name, "Client host", request.namaddr)
    if kind == "reverse_client_hostname":
        name = request.reverse_name
        if name == "unknown":
            return None
        return Target(name, name, "Unverified Client host", name)
    if kind == "helo":
        name = request.helo or ""
        if not name or name.startswith("["):
            return None
        return Target(name, name, "Helo command", name)
    address = (request.sender if kind == "sender" else request.recipient) or ""
    domain = _domain_of(address)
    if not address or not domain or domain.startswith("["):
        return None
    reply_class = "Sender address" if kind == "sender" else "Recipient address"
    return Target(domain, address, reply_class, address)


async def _decide(ctx: Context, request: Request, step: Step, spot: Target,
                  value: str | None) -> Verdict:
    if value is None:
        return DUNNO
    table = step.args[0]
    verdict = await access_verdict(ctx, request, value, (spot.subject, spot.reply_class), table)
    if verdict.result is Result.OK:
        ctx.warn(f"restriction {step.name} returns OK for {spot.what}")
        ctx.warn("this is not allowed for security reasons")
        ctx.warn("use DUNNO instead of OK if you want to make an exception")
        return Verdict(Result.DEFER, CONFIG_ERROR)
    return verdict


async def _check_addresses(ctx: Context, request: Request, step: Step, spot: Target,
                           addresses: list[str]) -> Verdict:
    maps = ctx.settings.table(step.args[0])
    for addr in addresses:
        verdict = await _decide(ctx, request, step, spot, find_client_address(maps, addr))
        if verdict.result is not Result.DUNNO:
            return verdict
    return DUNNO


async def _check_hosts(ctx: Context, request: Request, step: Step, spot: Target,
                       hosts: list[str], label: str) -> Verdict:
    maps = ctx.settings.table(step.args[0])
    for host in hosts:
        value = find_domain(maps, host, ctx.settings.access_parent_style)
        verdict = await _decide(ctx, request, step, spot, value)
        if verdict.result is not Result.DUNNO:
            return verdict
        addresses = await address_lookup(ctx, host)
        if isinstance(addresses, str):
            ctx.warn(f"Unable to look up {label} host {host} for {spot.reply_class} "
                     f"{spot.what}: {addresses}")
            continue
        verdict = await _check_addresses(ctx, request, step, spot, addresses)
        if verdict.result is not Result.DUNNO:
            return verdict
    return DUNNO


def _herror(exc: DnsLookupError) -> str:
    return exc.text.rpartition(": ")[2]


async def _mx_hosts(ctx: Context, spot: Target) -> list[str] | None:
    try:
        records = await ctx.settings.dns.lookup(spot.name, "MX")
    except DnsLookupError as exc:
        if exc.status == DNS_NULLMX:
            return []
        if exc.status == DNS_NOTFOUND:
            return [spot.name]  # its own mail host
        ctx.warn(f"Unable to look up MX host for {spot.name}: {_herror(exc)}")
        return None
    return [record.data for record in sorted(records, key=lambda r: r.pref)]


async def _ns_hosts(ctx: Context, spot: Target) -> list[str] | None:
    name = spot.name
    while True:
        try:
            return [record.data.rstrip(".").lower()
                    for record in await ctx.settings.dns.lookup(name, "NS")]
        except DnsLookupError as exc:
            if exc.status != DNS_NOTFOUND:
                ctx.warn(f"Unable to look up NS host for {name}: {_herror(exc)}")
                return None
            if "." not in name:
                ctx.warn(f"Unable to look up NS host for {spot.what}: {_herror(exc)}")
                return None
            name = name.partition(".")[2]


async def _own_addresses(ctx: Context, spot: Target) -> list[str]:
    addresses: list[str] = []
    for rtype in address_types(ctx):
        try:
            addresses += [record.data for record in await ctx.settings.dns.lookup(spot.name, rtype)]
        except DnsLookupError:
            continue
    return addresses


def _register(kind: str, label: str) -> None:
    name = f"check_{kind}_{label.lower()}_access"
    hosts: Callable[[Context, Target], Awaitable[list[str] | None]] = (
        _mx_hosts if label == "MX" else _ns_hosts)

    async def check_servers(ctx: Context, request: Request, step: Step) -> Verdict:
        spot = target(request, kind)
        if spot is None:
            return DUNNO
        found = await hosts(ctx, spot)
        if not found:
            return DUNNO
        return await _check_hosts(ctx, request, step, spot, found, label)

    restriction(name, nargs=1)(check_servers)


def _register_a(kind: str) -> None:
    async def check_addresses(ctx: Context, request: Request, step: Step) -> Verdict:
        spot = target(request, kind)
        if spot is None:
            return DUNNO
        return await _check_addresses(ctx, request, step, spot, await _own_addresses(ctx, spot))

    restriction(f"check_{kind}_a_access", nargs=1)(check_addresses)


KINDS = ("client", "reverse_client_hostname", "helo", "sender", "recipient")
for _kind in KINDS:
    _register(_kind, "MX")
    _register(_kind, "NS")
    _register_a(_kind)
