"""NAME
    pyfix.smtpd.checks.names - unknown client names and unknown domains

SUMMARY
    reject_unknown_client_hostname (reject_unknown_client),
    reject_unknown_reverse_client_hostname, reject_unknown_sender_domain,
    reject_unknown_recipient_domain

DESCRIPTION
    reject_unknown_client_hostname, and its Postfix 2.2 name
    reject_unknown_client
        "$unknown_client_reject_code 5.7.25 Client host rejected: cannot
        find your hostname, [ADDR]" when the client has no verified name
        (pyfix.smtpd.peer: no PTR record, or one whose name does not
        resolve back to the address).  After a temporary DNS failure the
        code is 450 (4.7.25).
    reject_unknown_reverse_client_hostname
        The same for a client without a PTR record: "... cannot find
        your reverse hostname, [ADDR]" with 5.7.1 (450 4.7.1 after a
        temporary failure).
    reject_unknown_sender_domain, reject_unknown_recipient_domain
        For an address with a domain for which Postfix is not the final
        destination (not in the local or virtual address classes of
        trivial-rewrite) and that is not an address literal: the domain
        needs an MX record, or else an A or AAAA record.
        "$unknown_address_reject_code 4.1.8 <addr>: Sender address
        rejected: Domain not found" (4.1.2 and "Recipient address" for
        the recipient).  A null MX (RFC 7505) gives "550 5.7.27 <addr>:
        Sender address rejected: Domain D does not accept mail (nullMX)"
        (recipient: "556 5.1.10").  A temporary DNS failure gives "450
        4.1.8 (4.1.2) ... Domain not found" under
        unknown_address_tempfail_action (default defer_if_permit).
        The null sender passes.

    Parameters read: unknown_client_reject_code,
    unknown_address_reject_code, unknown_address_tempfail_action.

DIAGNOSTICS
    See dnslookup.py for the tempfail action.
"""

from __future__ import annotations

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.dnslookup import FOUND, NULLMX, RETRY, name_status, tempfail
from pyfix.smtpd.checks.engine import (
    DUNNO,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.peer import NAME_OK, NAME_TEMP

# (reply class, enhanced code detail, null MX code and detail)
SENDER = ("Sender address", "1.8", 550, "7.27")
RECIPIENT = ("Recipient address", "1.2", 556, "1.10")


def _client_reject(ctx: Context, request: Request, status: str, enhanced: str,
                   what: str) -> Verdict:
    code = 450 if status == NAME_TEMP else ctx.settings.config.get_int(
        "unknown_client_reject_code")
    result = Result.DEFER if code < 500 else Result.REJECT
    return Verdict(result, Reply(code, f"{code // 100}.{enhanced}",
                                 f"Client host rejected: cannot find your {what}, "
                                 f"[{request.client_addr}]"))


@restriction("reject_unknown_client_hostname")
@restriction("reject_unknown_client")
def reject_unknown_client_hostname(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.name_status == NAME_OK:
        return DUNNO
    return _client_reject(ctx, request, request.name_status, "7.25", "hostname")


@restriction("reject_unknown_reverse_client_hostname")
def reject_unknown_reverse_client_hostname(ctx: Context, request: Request,
                                           step: Step) -> Verdict:
    if request.reverse_status == NAME_OK:
        return DUNNO
    return _client_reject(ctx, request, request.reverse_status, "7.1", "reverse hostname")


def _final_destination(ctx: Context, request: Request, address: str) -> bool:
    return ctx.settings.relay.resolve(request.sender or "", address).final


async def _unknown_domain(ctx: Context, request: Request, address: str | None,
                          kind: tuple[str, str, int, str]) -> Verdict:
    if not address or "@" not in address:
        return DUNNO
    domain = address.rpartition("@")[2]
    if not domain or domain.startswith("[") or _final_destination(ctx, request, address):
        return DUNNO
    reply_class, detail, nullmx_code, nullmx_detail = kind
    subject = (address, reply_class)
    status = await name_status(ctx, domain, ("MX",))
    if status == NULLMX:
        return request.reject(f"Domain {domain} does not accept mail (nullMX)", nullmx_code,
                              f"5.{nullmx_detail}", subject)
    if status != FOUND:
        retry = status == RETRY
        status = await name_status(ctx, domain, ("A", "AAAA"))
        if status == RETRY or (retry and status != FOUND):
            config = ctx.settings.config
            return tempfail(ctx, "unknown_address_tempfail_action",
                            config.get("unknown_address_tempfail_action"),
                            request.reply(450, f"4.{detail}", "Domain not found", subject))
    if status == FOUND:
        return DUNNO
    return request.reject("Domain not found",
                          ctx.settings.config.get_int("unknown_address_reject_code"),
                          f"5.{detail}", subject)


@restriction("reject_unknown_sender_domain")
async def reject_unknown_sender_domain(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _unknown_domain(ctx, request, request.sender, SENDER)


@restriction("reject_unknown_recipient_domain")
async def reject_unknown_recipient_domain(ctx: Context, request: Request,
                                          step: Step) -> Verdict:
    return await _unknown_domain(ctx, request, request.recipient, RECIPIENT)
