"""NAME
    pyfix.smtpd.checks.access - access(5) tables in restriction lists

SUMMARY
    check_client_access, access_verdict()

DESCRIPTION
    check_client_access TYPE:NAME looks up the client hostname and its
    parent domains (as parent_domain_matches_subdomains says for
    smtpd_access_maps), then the client address and its network
    prefixes (1.2.3.4, 1.2.3, 1.2, 1).  The value found decides:

        OK                 permit
        DUNNO              as not found
        REJECT [text]      "$access_map_reject_code 5.7.1 <client>: Client
                           host rejected: text" (text: Access denied)
        DEFER [text]       the same with $access_map_defer_code 4.7.1
        DEFER_IF_PERMIT [text], DEFER_IF_REJECT [text]
                           defer_if_permit and defer_if_reject (generic.py)
                           with "$access_map_defer_code 4.7.1 <client>:
                           Client host rejected: text" (text: Service
                           unavailable)
        4NN/5NN [x.y.z] text
                           that reply
        anything else      a restriction class: the value is a
                           restriction list, evaluated in place; names
                           that pyfix does not implement (including
                           access(5) actions such as HOLD or FILTER)
                           fail closed as unknown restrictions.

    Parameters read: access_map_reject_code, access_map_defer_code,
    parent_domain_matches_subdomains.

DIAGNOSTICS
    Table errors propagate to the evaluator (451 replies).
"""

from __future__ import annotations

import re

from pyfix.smtpd.checks.engine import (
    DUNNO,
    OK,
    Context,
    Request,
    Step,
    Verdict,
    evaluate,
    parse_list,
    restriction,
)
from pyfix.tables.search import find_client_address, find_domain

_NUMERIC = re.compile(r"([45])\d\d(?:\s+(\d\.\d{1,3}\.\d{1,3}))?(?:\s+(.*))?$", re.DOTALL)


async def access_verdict(ctx: Context, request: Request, value: str, subject: tuple[str, str],
                   table: str) -> Verdict:
    """What an access(5) value means."""
    word, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    keyword = word.upper()
    settings = ctx.settings
    if keyword == "OK":
        return OK
    if keyword == "DUNNO":
        return DUNNO
    if keyword == "REJECT":
        return request.reject(rest or "Access denied", settings.access_map_reject_code,
                              "5.7.1", subject)
    if keyword == "DEFER":
        return request.defer(rest or "Access denied", settings.access_map_defer_code,
                             "4.7.1", subject)
    if keyword in ("DEFER_IF_PERMIT", "DEFER_IF_REJECT"):
        reply = request.reply(settings.access_map_defer_code, "4.7.1",
                              rest or "Service unavailable", subject)
        return (ctx.defer_if_permit(reply) if keyword == "DEFER_IF_PERMIT"
                else ctx.defer_if_reject(reply))
    match = _NUMERIC.match(value.strip())
    if match is not None:
        code = int(value.strip()[:3])
        enhanced = match.group(2) or f"{match.group(1)}.7.1"
        text = match.group(3) or "Access denied"
        if match.group(1) == "4":
            return request.defer(text, code, enhanced, subject)
        return request.reject(text, code, enhanced, subject)
    return await evaluate(ctx, parse_list(table, value), request.about(subject))


@restriction("check_client_access", nargs=1)
async def check_client_access(ctx: Context, request: Request, step: Step) -> Verdict:
    table = step.args[0]
    maps = ctx.settings.table(table)
    subject = (request.namaddr, "Client host")
    if request.client_name != "unknown":
        value = find_domain(maps, request.client_name, ctx.settings.access_parent_style)
        if value is not None:
            verdict = await access_verdict(ctx, request, value, subject, table)
            if verdict is not DUNNO:
                return verdict
    value = find_client_address(maps, request.client_addr)
    if value is None:
        return DUNNO
    return await access_verdict(ctx, request, value, subject, table)
