"""NAME
    pyfix.smtpd.checks.address - restrictions on the form of an address

SUMMARY
    reject_non_fqdn_recipient, reject_non_fqdn_sender

DESCRIPTION
    reject_non_fqdn_recipient, reject_non_fqdn_sender
        "$non_fqdn_reject_code 5.5.2 <address>: Recipient (Sender)
        address rejected: need fully-qualified address" when the
        address has no domain, or a domain that is not a valid hostname
        with a dot in it (an address literal such as [192.0.2.1] is
        fully qualified).  The null sender passes.

    Parameters read: non_fqdn_reject_code.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from pyfix.smtp.hostname import valid_hostname, valid_mailhost_literal
from pyfix.smtpd.checks.engine import DUNNO, Context, Request, Step, Verdict, restriction


def fully_qualified(address: str) -> bool:
    if "@" not in address:
        return False
    domain = address.rpartition("@")[2]
    if domain.startswith("["):
        return valid_mailhost_literal(domain)
    return "." in domain and valid_hostname(domain)


def _non_fqdn(ctx: Context, request: Request, address: str, reply_class: str) -> Verdict:
    if not address or fully_qualified(address):
        return DUNNO
    return request.reject("need fully-qualified address", ctx.settings.non_fqdn_reject_code,
                          "5.5.2", (address, reply_class))


@restriction("reject_non_fqdn_recipient")
def reject_non_fqdn_recipient(ctx: Context, request: Request, step: Step) -> Verdict:
    return _non_fqdn(ctx, request, request.recipient or "", "Recipient address")


@restriction("reject_non_fqdn_sender")
def reject_non_fqdn_sender(ctx: Context, request: Request, step: Step) -> Verdict:
    return _non_fqdn(ctx, request, request.sender or "", "Sender address")
