"""NAME
    pyfix.smtpd.checks.rblreply - the reply for a client, name or address
    that a DNS list lists

SUMMARY
    RblHit, rbl_reply()

DESCRIPTION
    The reply comes from a template: the rbl_reply_maps entry for the
    restriction's argument as written (e.g. "bl.example" or
    "bl.example=127.0.0.2"), or default_rbl_reply:

        $rbl_code Service unavailable; $rbl_class [$rbl_what] blocked
        using $rbl_domain${rbl_reason?; $rbl_reason}

    The template is expanded once (postconf(5) macro syntax, ${name?x}
    and friends included) with these names: client (name[address]),
    client_address, client_name, reverse_client_name, helo_name,
    sender, sender_name, sender_domain, recipient, recipient_name,
    recipient_domain (the null address is "<>"), rbl_code
    (maps_rbl_reject_code), rbl_domain, rbl_class ("Client host",
    "Unverified Client host", "Helo command", "Sender address",
    "Recipient address"), rbl_what (what is listed) and rbl_reason
    (the TXT record of the listed name, or empty).

    The expanded text starts with the reply code and, optionally, an
    enhanced status code; without one, X.7.1 with the class of the
    code.  An enhanced status code takes the class of the reply code
    and is fitted to what was rejected (dsnclass.py).  A 4xx code
    defers, a 5xx code rejects.

    Parameters read: maps_rbl_reject_code, default_rbl_reply,
    rbl_reply_maps.

DIAGNOSTICS
    A template with an unknown $name logs 'unknown macro name "NAME" in
    expansion request' and "rbl_reject_reply: bad rbl reply template for
    domain KEY: TEMPLATE" (KEY: the rbl_reply_maps key), and
    default_rbl_reply is used instead.  A
    text that does not start with a 4xx or 5xx code logs "rbl response
    code configuration error: TEXT" and gives "450 4.7.1 Service
    unavailable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyfix.config.expand import ERROR, expand
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.dsnclass import map_dsn
from pyfix.smtpd.checks.engine import Context, Request, Result, Verdict

_REPLY = re.compile(r"([45])\d\d(?=\s|$)")
_DSN = re.compile(r"\s+([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")
CODE_ERROR = Reply(450, "4.7.1", "Service unavailable")


@dataclass(frozen=True, slots=True)
class RblHit:
    key: str  # the rbl_reply_maps key: the restriction's argument
    domain: str
    rbl_class: str
    what: str
    reason: str


def _address_parts(address: str | None) -> tuple[str, str, str]:
    """(address, localpart, domain) as the template sees them."""
    if address is None:
        return "", "", ""
    if not address:
        return "<>", "<>", ""
    local, at, domain = address.rpartition("@")
    return (address, local, domain) if at else (address, address, "")


def _attributes(ctx: Context, request: Request, hit: RblHit) -> dict[str, str]:
    sender, sender_name, sender_domain = _address_parts(request.sender)
    recipient, recipient_name, recipient_domain = _address_parts(request.recipient)
    return {
        "client": request.namaddr, "client_address": request.client_addr,
        "client_name": request.client_name, "reverse_client_name": request.reverse_name,
        "helo_name": request.helo or "", "sender": sender, "sender_name": sender_name,
        "sender_domain": sender_domain, "recipient": recipient,
        "recipient_name": recipient_name, "recipient_domain": recipient_domain,
        "rbl_code": str(ctx.settings.maps_rbl_reject_code), "rbl_domain": hit.domain,
        "rbl_class": hit.rbl_class, "rbl_what": hit.what, "rbl_reason": hit.reason,
    }


def _expand(ctx: Context, template: str, attributes: dict[str, str]) -> str | None:
    failed = False

    def lookup(name: str, _mode: int) -> str | None:
        nonlocal failed
        value = attributes.get(name)
        if value is None:
            ctx.warn(f'unknown macro name "{name}" in expansion request')
            failed = True
        return value

    text, status = expand(template, lookup, ctx.warn, recurse=False)
    return None if failed or status & ERROR else text


def rbl_reply(ctx: Context, request: Request, hit: RblHit) -> Verdict:
    """The verdict for a listed hit."""
    settings = ctx.settings
    attributes = _attributes(ctx, request, hit)
    template = settings.rbl_reply_maps.find(hit.key) if settings.rbl_reply_maps else None
    text = _expand(ctx, template, attributes) if template is not None else None
    if template is not None and text is None:
        ctx.warn(f"rbl_reject_reply: bad rbl reply template for domain {hit.key}: "
                 f"{template}")
    if text is None:
        text = _expand(ctx, settings.default_rbl_reply, attributes) or ""
    match = _REPLY.match(text)
    if match is None:
        ctx.warn(f"rbl response code configuration error: {text}")
        return Verdict(Result.DEFER, CODE_ERROR)
    code, klass = int(match.group()), match.group(1)
    rest = text[match.end():]
    dsn = _DSN.match(rest)
    if dsn is None:
        enhanced = f"{klass}.7.1"
    else:
        rest = rest[dsn.end():]
        # mapped as written, then given the reply code's class (as Postfix logs it)
        enhanced = klass + map_dsn(ctx, ".".join(dsn.groups()), hit.rbl_class)[1:]
    reply = Reply(code, enhanced, rest.strip())
    return Verdict(Result.DEFER if klass == "4" else Result.REJECT, reply)
