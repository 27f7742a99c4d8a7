"""NAME
    pyfix.smtpd.checks.relay - relay control restrictions

SUMMARY
    reject_unauth_destination, defer_unauth_destination,
    permit_auth_destination, check_relay_domains, authorized()

DESCRIPTION
    A recipient is an authorized destination when trivial-rewrite (in
    the view of smtpd's rewrite_service_name) puts it in the local,
    virtual or relay class (pyfix.smtpd.relay); an address without a
    domain is local; a source-routed one is not, unless
    allow_untrusted_routing = yes.

    reject_unauth_destination  "$relay_domains_reject_code 5.7.1 <rcpt>:
                               Relay access denied" unless authorized
    defer_unauth_destination   the same with "454 4.7.1"
    permit_auth_destination    OK when authorized
    check_relay_domains        (Postfix 1.x, deprecated) OK when the
                               client hostname matches $relay_domains or
                               the recipient is authorized; otherwise
                               "$relay_domains_reject_code 5.7.1 <rcpt>:
                               Recipient address rejected: Relay access
                               denied".  Each
                               session logs Postfix 3.7's deprecation
                               warning once.

    When relay_domains is $mydestination only by compatibility_level < 2,
    a decision that depends on it is logged as Postfix does: "using
    backwards-compatible default setting relay_domains=$mydestination to
    accept mail for domain ..." (or "to permit request from client ...").

    Parameters read: relay_domains_reject_code, and through
    pyfix.smtpd.relay smtpd's own relay_domains (check_relay_domains)
    and trivial-rewrite's address classes.

DIAGNOSTICS
    Table errors propagate to the evaluator (451 replies).
"""

from __future__ import annotations

from pyfix.smtp.replies import Reply
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

COMPAT_RELAY_DOMAINS = "using backwards-compatible default setting relay_domains=$mydestination"


def authorized(ctx: Context, request: Request, recipient: str) -> bool:
    """permit_auth_destination's test (Postfix's permit_auth_destination):
    the address class that trivial-rewrite gives the recipient."""
    relay = ctx.settings.relay
    sender = request.sender or ""
    if not relay.authorized_destination(sender, recipient):
        return False
    if ctx.settings.relay_domains_compat and relay.relay_class(sender, recipient):
        domain = recipient.rpartition("@")[2]
        ctx.info(f'{COMPAT_RELAY_DOMAINS} to accept mail for domain "{domain}"')
    return True


def _relay_denied(ctx: Context, request: Request, result: Result, code: int,
                  enhanced: str) -> Verdict:
    return Verdict(result, Reply(code, enhanced, f"<{request.recipient}>: Relay access denied"))


@restriction("reject_unauth_destination")
def reject_unauth_destination(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.recipient is None or authorized(ctx, request, request.recipient):
        return DUNNO
    code = ctx.settings.relay_domains_reject_code
    return _relay_denied(ctx, request, Result.REJECT, code, f"{code // 100}.7.1")


@restriction("defer_unauth_destination")
def defer_unauth_destination(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.recipient is None or authorized(ctx, request, request.recipient):
        return DUNNO
    return _relay_denied(ctx, request, Result.DEFER, 454, "4.7.1")


@restriction("permit_auth_destination")
def permit_auth_destination(ctx: Context, request: Request, step: Step) -> Verdict:
    if request.recipient is None:
        return DUNNO
    return OK if authorized(ctx, request, request.recipient) else DUNNO


@restriction("check_relay_domains")
def check_relay_domains(ctx: Context, request: Request, step: Step) -> Verdict:
    ctx.warn_once("check_relay_domains",
                  'support for restriction "check_relay_domains" will be removed from '
                  'Postfix; use "reject_unauth_destination" instead')
    if request.recipient is None:
        return DUNNO
    relay = ctx.settings.relay
    if request.client_name != "unknown" and relay.relay_domains.match(request.client_name):
        if ctx.settings.relay_domains_compat:
            ctx.info(f'{COMPAT_RELAY_DOMAINS} to permit request from client '
                     f'"{request.client_name}"')
        return OK
    if authorized(ctx, request, request.recipient):
        return OK
    # Unlike reject_unauth_destination, with the "Recipient address rejected" prefix.
    return request.reject("Relay access denied", ctx.settings.relay_domains_reject_code,
                          "5.7.1", (request.recipient, "Recipient address"))
