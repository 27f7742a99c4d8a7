"""NAME
    pyfix.smtpd.checks.generic - restrictions that need no lookup

SUMMARY
    permit, reject, defer, defer_if_permit, defer_if_reject,
    warn_if_reject, reject_unauth_pipelining, permit_naked_ip_address,
    permit_mynetworks, permit_sasl_authenticated

DESCRIPTION
    permit       OK.
    reject       "$reject_code 5.7.1 <what>: Class rejected: Access denied".
    defer        "$defer_code 4.3.2 <what>: Class rejected: Try again later".
                 A name after one of these three is never reached: Postfix
                 warns "restriction `NAME' after `reject' is ignored" (after
                 the reject line), and so does pyfix.
    defer_if_permit
                 Defer the request ("$defer_code 4.7.0 <what>: Class
                 rejected: defer_if_permit requested") if the check ends
                 in a permit, explicit or implicit.  The first reason
                 stays; a client, helo or sender check hands its pending
                 deferral on to the RCPT check (smtpd.py).
    defer_if_reject
                 A later 5xx reject in the same check becomes "$defer_code
                 4.7.0 <what>: Class rejected: defer_if_reject requested"
                 (the relay and recipient lists are one check); with a
                 defer_if_permit pending as well, the reject is left to it.
    warn_if_reject
                 The next restriction logs "reject_warning: ..." where it
                 would reject, and the request goes on.
    reject_unauth_pipelining
                 "503 5.5.0 <what>: Class rejected: Improper use of SMTP
                 command pipelining" when the client sent more before
                 this command's reply, and either did not say EHLO or
                 the command is DATA.
    permit_naked_ip_address
                 (deprecated) OK when the HELO name is an IP address
                 without brackets; each use logs Postfix's warning
                 "restriction permit_naked_ip_address is deprecated. Use
                 permit_mynetworks or permit_sasl_authenticated instead".
    permit_mynetworks
                 OK when the client address matches $mynetworks.
    permit_sasl_authenticated
                 OK for a client that authenticated with SASL; pyfix has
                 no SASL yet, so no client has, and this is DUNNO.

    <what> and Class follow the stage (Client host, Helo command, Sender
    address, Recipient address, Data command, End-of-data, Etrn command).

    Parameters read: reject_code, defer_code, mynetworks.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.smtp.hostname import valid_hostaddr
from pyfix.smtpd.checks.engine import (
    DATA,
    DUNNO,
    OK,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)


def _ignored(step: Step) -> str:
    return f"restriction `{step.following}' after `{step.name}' is ignored"


@restriction("permit")
def permit(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following:
        ctx.warn(_ignored(step))
    return OK


@restriction("reject")
def reject(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following and not ctx.warn_level:
        ctx.warn_after(_ignored(step))
    return request.reject("Access denied", ctx.settings.reject_code)


@restriction("defer")
def defer(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following and not ctx.warn_level:
        ctx.warn_after(_ignored(step))
    return request.defer("Try again later", ctx.settings.defer_code, "4.3.2")


@restriction("defer_if_permit")
def defer_if_permit(ctx: Context, request: Request, step: Step) -> Verdict:
    return ctx.defer_if_permit(
        request.reply(ctx.settings.defer_code, "4.7.0", "defer_if_permit requested"))


@restriction("defer_if_reject")
def defer_if_reject(ctx: Context, request: Request, step: Step) -> Verdict:
    return ctx.defer_if_reject(
        request.reply(ctx.settings.defer_code, "4.7.0", "defer_if_reject requested"))


@restriction("warn_if_reject")
def warn_if_reject(ctx: Context, request: Request, step: Step) -> Verdict:
    ctx.warn_pending = True
    return DUNNO


@restriction("reject_unauth_pipelining")
def reject_unauth_pipelining(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.pipelined and (request.protocol != "ESMTP" or request.stage is DATA):
        return Verdict(Result.REJECT, request.reply(
            503, "5.5.0", "Improper use of SMTP command pipelining"))
    return DUNNO


@restriction("permit_naked_ip_address")
def permit_naked_ip_address(ctx: Context, request: Request, step: Step) -> Verdict:
    ctx.warn("restriction permit_naked_ip_address is deprecated. Use permit_mynetworks "
             "or permit_sasl_authenticated instead")
    return OK if request.helo and valid_hostaddr(request.helo) else DUNNO


@restriction("permit_mynetworks")
def permit_mynetworks(ctx: Context, request: Request, step: Step) -> Verdict:
    return OK if ctx.settings.relay.mynetworks.match(request.client_addr) else DUNNO


@restriction("permit_sasl_authenticated")
def permit_sasl_authenticated(ctx: Context, request: Request, step: Step) -> Verdict:
    return DUNNO  # no SASL in pyfix yet: no client is authenticated
