"""NAME
    pyfix.smtpd.checks.generic - restrictions that need no lookup

SUMMARY
    permit, reject, defer, permit_mynetworks, permit_sasl_authenticated

DESCRIPTION
    permit       OK.
    reject       "$reject_code 5.7.1 <what>: Class rejected: Access denied".
    defer        "$defer_code 4.3.2 <what>: Class rejected: Try again later".
                 A name after one of these three is never reached: Postfix
                 warns "restriction `NAME' after `reject' is ignored" (after
                 the reject line), and so does pyfix.
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

from pyfix.smtpd.checks.engine import DUNNO, OK, Context, Request, Step, Verdict, restriction


def _ignored(step: Step) -> str:
    return f"restriction `{step.following}' after `{step.name}' is ignored"


@restriction("permit")
def permit(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following:
        ctx.warn(_ignored(step))
    return OK


@restriction("reject")
def reject(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following:
        ctx.warn_after(_ignored(step))
    return request.reject("Access denied", ctx.settings.reject_code)


@restriction("defer")
def defer(ctx: Context, request: Request, step: Step) -> Verdict:
    if step.following:
        ctx.warn_after(_ignored(step))
    return request.defer("Try again later", ctx.settings.defer_code, "4.3.2")


@restriction("permit_mynetworks")
def permit_mynetworks(ctx: Context, request: Request, step: Step) -> Verdict:
    return OK if ctx.settings.relay.mynetworks.match(request.client_addr) else DUNNO


@restriction("permit_sasl_authenticated")
def permit_sasl_authenticated(ctx: Context, request: Request, step: Step) -> Verdict:
    return DUNNO  # no SASL in pyfix yet: no client is authenticated
