"""NAME
    pyfix.smtpd.checks.mxbackup - permit_mx_backup

SUMMARY
    permit_mx_backup

DESCRIPTION
    permit_mx_backup permits a recipient that is an authorized
    destination (permit_auth_destination, relay.py), or whose domain
    lists this host as a backup MX: one of its MX hosts has an address
    of this machine ($inet_interfaces and $proxy_interfaces), at a
    preference greater than the domain's best one.  It does not permit
    an address with sender-specified routing (user%elsewhere@domain), a
    domain without MX records, or one for which this host is a primary
    MX.

    permit_mx_backup_networks, when not empty, permits only domains
    whose primary MX hosts (those preferred over this host) have an
    address in the listed networks (mynetworks syntax).

    A temporary failure of the MX lookup answers "450 4.4.4 <rcpt>:
    Recipient address rejected: Unable to look up mail exchanger
    information: Host not found, try again"; with
    permit_mx_backup_networks, one of a primary MX host's addresses:
    "... Unable to look up mail exchanger host HOST: Temporary failure in
    name resolution".

    Parameters read: permit_mx_backup_networks, inet_interfaces,
    proxy_interfaces (through pyfix.rewrite.local).

DIAGNOSTICS
    The 450 replies above.
"""

from __future__ import annotations

import ipaddress

from pyfix.address.matchlist import addr_list
from pyfix.dns.records import DNS_RETRY, DnsLookupError, Record
from pyfix.smtpd.checks.dnslookup import address_lookup
from pyfix.smtpd.checks.engine import (
    DUNNO,
    OK,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.checks.relay import authorized


def _defer(request: Request, text: str) -> Verdict:
    return Verdict(Result.DEFER, request.reply(450, "4.4.4", text,
                                               (request.recipient or "", "Recipient address")))


def _own(ctx: Context, addresses: list[str]) -> bool:
    own = ctx.settings.relay.local.own_addresses()
    for addr in addresses:
        try:
            if ipaddress.ip_address(addr) in own:
                return True
        except ValueError:
            continue
    return False


async def _local_pref(ctx: Context, records: list[Record]) -> int | None:
    """The best preference at which an MX host is this machine."""
    best: int | None = None
    for record in records:
        addresses = await address_lookup(ctx, record.data)
        if isinstance(addresses, list) and _own(ctx, addresses):
            best = record.pref if best is None else min(best, record.pref)
    return best


@restriction("permit_mx_backup")
async def permit_mx_backup(ctx: Context, request: Request, step: Step) -> Verdict:
    recipient = request.recipient
    if recipient is None:
        return DUNNO
    if authorized(ctx, request, recipient):
        return OK
    if "@" not in recipient or ctx.settings.relay.resolve(request.sender or "",
                                                          recipient).routed:
        return DUNNO
    domain = recipient.rpartition("@")[2]
    try:
        records = await ctx.settings.dns.lookup(domain, "MX")
    except DnsLookupError as exc:
        if exc.status == DNS_RETRY:
            return _defer(request, "Unable to look up mail exchanger information: "
                                   f"{exc.text.rpartition(': ')[2]}")
        return DUNNO
    local = await _local_pref(ctx, records)
    if local is None or local <= min(record.pref for record in records):
        return DUNNO  # not an MX host of the domain, or a primary one
    value = ctx.settings.config.get("permit_mx_backup_networks")
    if not value.strip():
        return OK
    networks = addr_list("permit_mx_backup_networks", value)
    for record in records:
        if record.pref >= local:
            continue
        addresses = await address_lookup(ctx, record.data)
        if isinstance(addresses, str):
            return _defer(request, f"Unable to look up mail exchanger host {record.data}: "
                                   f"{addresses}")
        if any(networks.match(addr) for addr in addresses):
            return OK
    return DUNNO
