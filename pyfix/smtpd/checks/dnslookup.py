"""NAME
    pyfix.smtpd.checks.dnslookup - DNS answers for the restrictions that look names up

SUMMARY
    FOUND, NOTFOUND, RETRY, NULLMX, name_status(), tempfail(),
    address_lookup()

DESCRIPTION
    name_status(ctx, name, types) asks the process's resolver
    (CheckSettings.dns) for each record type in turn and says what the
    name has: FOUND (a record of some type), NULLMX (an MX record "0 ."),
    RETRY (a temporary failure and nothing found) or NOTFOUND.  A name
    that is not a valid host name is NOTFOUND without a query, as in
    Postfix (a HELO name with a trailing dot, for example).

    tempfail(ctx, request, action, reply) applies a *_tempfail_action
    to the reply of a restriction that could not decide because of a
    temporary DNS failure:

        defer_if_permit   the reply is remembered; it is given at the
                          end of the RCPT stage if nothing rejects first
                          (Context.defer_if_permit)
        defer             the reply at once

    address_lookup(ctx, host) gives a host's addresses (A, and AAAA
    when inet_protocols has ipv6) or the C library's error text for
    them ("Name or service not known", "Temporary failure in name
    resolution"), which Postfix logs in its warnings.

    Parameters read: inet_protocols (for address_lookup), and the
    *_tempfail_action value that the caller passes.

DIAGNOSTICS
    A tempfail action that is neither value gives "451 4.3.5 Server
    configuration error" with a warning that names it.
"""

from __future__ import annotations

from pyfix.config.lists import split_list
from pyfix.dns.records import DNS_FAIL, DNS_NULLMX, DNS_RETRY, NO_DATA, DnsLookupError
from pyfix.smtp.hostname import valid_hostname
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.engine import (
    CONFIG_ERROR,
    DUNNO,
    Context,
    Result,
    Verdict,
)

FOUND = "found"
NOTFOUND = "notfound"
RETRY = "retry"
NULLMX = "nullmx"
TEMPFAIL_ACTIONS = ("defer_if_permit", "defer")
# getaddrinfo()'s texts (gai_strerror) for the resolver's failures.
GAI_NONAME = "Name or service not known"
GAI_AGAIN = "Temporary failure in name resolution"
GAI_NODATA = "No address associated with hostname"
GAI_FAIL = "Non-recoverable failure in name resolution"


async def name_status(ctx: Context, name: str, types: tuple[str, ...]) -> str:
    """FOUND, NULLMX, RETRY or NOTFOUND for name (see above)."""
    if not valid_hostname(name):
        return NOTFOUND
    status = NOTFOUND
    for rtype in types:
        try:
            if await ctx.settings.dns.lookup(name, rtype):
                return FOUND
        except DnsLookupError as exc:
            if exc.status == DNS_NULLMX:
                return NULLMX
            if exc.status == DNS_RETRY:
                status = RETRY
    return status


def tempfail(ctx: Context, parameter: str, action: str, reply: Reply) -> Verdict:
    """A temporary failure's reply under the *_tempfail_action action."""
    if action == "defer":
        return Verdict(Result.DEFER, reply)
    if action == "defer_if_permit":
        ctx.defer_if_permit(reply)
        return DUNNO
    ctx.warn(f'unknown {parameter} value "{action}": specify one of '
             f'{", ".join(TEMPFAIL_ACTIONS)}')
    return Verdict(Result.DEFER, CONFIG_ERROR)


def address_types(ctx: Context) -> tuple[str, ...]:
    protocols = {word.lower() for word in split_list(ctx.settings.config.get("inet_protocols"))}
    if "all" in protocols or not protocols:
        return ("A", "AAAA")
    return tuple(rtype for proto, rtype in (("ipv4", "A"), ("ipv6", "AAAA"))
                 if proto in protocols)


async def address_lookup(ctx: Context, host: str) -> list[str] | str:
    """host's addresses, or getaddrinfo's error text: a temporary failure
    counts first, then a name without address records, then a server
    error; otherwise the name does not exist."""
    addresses: list[str] = []
    failures: set[str] = set()
    for rtype in address_types(ctx):
        try:
            addresses += [record.data for record in await ctx.settings.dns.lookup(host, rtype)]
        except DnsLookupError as exc:
            if exc.status == DNS_RETRY:
                failures.add(GAI_AGAIN)
            elif exc.text.endswith(NO_DATA):
                failures.add(GAI_NODATA)
            elif exc.status == DNS_FAIL:
                failures.add(GAI_FAIL)
    if addresses:
        return addresses
    return next((text for text in (GAI_AGAIN, GAI_NODATA, GAI_FAIL) if text in failures),
                GAI_NONAME)
