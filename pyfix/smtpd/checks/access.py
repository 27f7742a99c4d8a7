"""NAME
    pyfix.smtpd.checks.access - access(5) tables in restriction lists

SUMMARY
    check_client_access, check_reverse_client_hostname_access,
    check_helo_access, check_sender_access, check_recipient_access,
    check_etrn_access

DESCRIPTION
    Each check_*_access TYPE:NAME looks its subject up in the table, in
    Postfix's order (pyfix.tables.search), and the value found decides
    (access_result.py says what each access(5) result does):

    check_client_access
        the client hostname and its parent domains (as
        parent_domain_matches_subdomains says for smtpd_access_maps),
        then the client address and its network prefixes (1.2.3.4,
        1.2.3, 1.2, 1).
    check_reverse_client_hostname_access
        the same with the client's reverse name (its PTR record, whether
        or not the name resolves back to the address).
    check_helo_access, check_etrn_access
        the HELO/EHLO name or the ETRN domain and its parent domains.
    check_sender_access, check_recipient_access
        user+ext@domain, user@domain (recipient_delimiter), domain and
        its parent domains, user+ext@, user@.  The null sender is looked
        up as $smtpd_null_access_lookup_key.

    Within one check the first key found ends the search: a DUNNO there
    (or an action such as HOLD) stops the parent domains, and for the
    client checks the address, from being tried.  Replies name the
    client as <name[address]>: Client host, or for the reverse name
    <name>: Unverified Client host.

    Parameters read: parent_domain_matches_subdomains,
    recipient_delimiter, smtpd_null_access_lookup_key, and those of
    access_result.py.

    open_tables() opens the tables of these checks at start-up, as
    Postfix's smtpd does, so that a table that cannot be opened is
    logged then ("error: open database ...").

DIAGNOSTICS
    A table lookup error (a table that cannot be opened included) gives
    Postfix's "451 4.3.5 <what>: Class rejected: Server configuration
    error", after the table's "lookup error" warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pyfix.smtpd.checks.access_result import access_verdict
from pyfix.smtpd.checks.engine import (
    CLIENT,
    DUNNO,
    ETRN,
    HELO,
    RECIPIENT,
    SENDER,
    Context,
    Request,
    RestrictionList,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.checks.settings import CheckSettings
from pyfix.tables.base import TableError
from pyfix.tables.maps import Maps
from pyfix.tables.search import (
    ACCESS,
    PDDMDS,
    PDMS,
    find_address,
    find_client_address,
    find_domain,
)

__all__ = ["access_verdict", "open_tables"]

TABLE_CHECKS = ("check_client_access", "check_reverse_client_hostname_access",
                "check_helo_access", "check_sender_access", "check_recipient_access",
                "check_etrn_access")

UNVERIFIED_CLIENT = "Unverified Client host"


def open_tables(settings: CheckSettings, lists: Iterable[RestrictionList]) -> None:
    """Open the tables of the lists' check_*_access steps now, at start-up,
    where Postfix's smtpd opens them (and logs an open error)."""
    for rlist in lists:
        for step in rlist.steps:
            if step.name in TABLE_CHECKS and step.args:
                settings.table(step.args[0])


async def _decide(ctx: Context, request: Request, table: str, subject: tuple[str, str],
                  lookup: Callable[[Maps], tuple[str | None, str]]) -> Verdict:
    """The verdict of what lookup finds in table (DUNNO: nothing); lookup
    returns the value and what it looked up (the entry, for warnings)."""
    try:
        value, entry = lookup(ctx.settings.table(table))
    except TableError:
        return request.defer("Server configuration error", 451, "4.3.5", subject)
    if value is None:
        return DUNNO
    return await access_verdict(ctx, request, value, subject, table, entry)


async def _client(ctx: Context, request: Request, table: str, name: str,
                  subject: tuple[str, str]) -> Verdict:
    def lookup(maps: Maps) -> tuple[str | None, str]:
        if name and name != "unknown":
            value = find_domain(maps, name, ctx.settings.access_parent_style)
            if value is not None:
                return value, name
        return find_client_address(maps, request.client_addr), request.client_addr

    return await _decide(ctx, request, table, subject, lookup)


@restriction("check_client_access", nargs=1)
async def check_client_access(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _client(ctx, request, step.args[0], request.client_name,
                         (request.namaddr, CLIENT.reply_class))


@restriction("check_reverse_client_hostname_access", nargs=1)
async def check_reverse_client_hostname_access(ctx: Context, request: Request,
                                               step: Step) -> Verdict:
    return await _client(ctx, request, step.args[0], request.reverse_name,
                         (request.reverse_name, UNVERIFIED_CLIENT))


async def _domain(ctx: Context, request: Request, table: str, domain: str | None,
                  reply_class: str) -> Verdict:
    if not domain:
        return DUNNO
    return await _decide(ctx, request, table, (domain, reply_class), lambda maps: (find_domain(
        maps, domain, ctx.settings.access_parent_style), domain))


@restriction("check_helo_access", nargs=1)
async def check_helo_access(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _domain(ctx, request, step.args[0], request.helo, HELO.reply_class)


@restriction("check_etrn_access", nargs=1)
async def check_etrn_access(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _domain(ctx, request, step.args[0], request.etrn_domain, ETRN.reply_class)


async def _address(ctx: Context, request: Request, table: str, address: str,
                   subject: tuple[str, str]) -> Verdict:
    settings = ctx.settings
    strategy = ACCESS | (PDMS if settings.access_parent_style else PDDMDS)
    return await _decide(ctx, request, table, subject, lambda maps: (find_address(
        maps, address, strategy, recipient_delimiter=settings.recipient_delimiter)[0], address))


@restriction("check_sender_access", nargs=1)
async def check_sender_access(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.sender is None:
        return DUNNO
    key = request.sender or ctx.settings.null_access_lookup_key
    return await _address(ctx, request, step.args[0], key,
                          (request.sender, SENDER.reply_class))


@restriction("check_recipient_access", nargs=1)
async def check_recipient_access(ctx: Context, request: Request, step: Step) -> Verdict:
    if not request.recipient:
        return DUNNO
    return await _address(ctx, request, step.args[0], request.recipient,
                          (request.recipient, RECIPIENT.reply_class))
