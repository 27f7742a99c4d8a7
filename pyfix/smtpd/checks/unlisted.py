"""NAME
    pyfix.smtpd.checks.unlisted - reject_unlisted_recipient, reject_unlisted_sender

SUMMARY
    reject_unlisted_recipient (check_recipient_maps), reject_unlisted_sender,
    unlisted_verdict()

DESCRIPTION
    reject_unlisted_recipient
        Refuse the RCPT TO address when its address class (local,
        virtual alias, virtual mailbox, relay) does not list it:
        "550 5.1.1 <rcpt>: Recipient address rejected: User unknown in
        local recipient table" and the like (pyfix.smtpd.unlisted has
        the rules and the reply codes).  Without a recipient (the
        client, helo or sender list evaluated at MAIL FROM with
        smtpd_delay_reject = no) it is DUNNO.  Postfix 2.0 called it
        check_recipient_maps; Postfix 3.7 still takes that name without
        a warning, and so does pyfix.
    reject_unlisted_sender
        The same for the MAIL FROM address: "550 5.1.0 <sender>: Sender
        address rejected: User unknown in local recipient table".  The
        null sender passes.

    Both work whatever smtpd_reject_unlisted_recipient and
    smtpd_reject_unlisted_sender say; those two parameters make smtpd
    run the same test without the restriction (smtpd.py):
    unlisted_verdict() is that test.  A reply below 500 (a "retry"
    transport, a 4xx unknown_*_reject_code) is a DEFER.

    Parameters read: those of pyfix.smtpd.unlisted.

DIAGNOSTICS
    A table lookup failure gives "451 4.3.0 <address>: Temporary lookup
    failure", naming the address that was looked up.
"""

from __future__ import annotations

from pyfix.smtpd.checks.engine import (
    DUNNO,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.smtpd.unlisted import RECIPIENT, SENDER, Role


def unlisted_verdict(ctx: Context, address: str, sender: str, role: Role) -> Verdict:
    """The unlisted-address test for address in role; sender is the
    envelope sender that trivial-rewrite resolves it for."""
    found = ctx.settings.relay.check_unlisted(address, sender, role)
    if found is None:
        return DUNNO
    if found.note:
        ctx.info(found.note)
    result = Result.REJECT if found.reply.code >= 500 else Result.DEFER
    return Verdict(result, found.reply)


@restriction("check_recipient_maps")  # Postfix 2.0's name, still accepted as is
@restriction("reject_unlisted_recipient")
def reject_unlisted_recipient(ctx: Context, request: Request, step: Step) -> Verdict:
    if not request.recipient:
        return DUNNO
    return unlisted_verdict(ctx, request.recipient, request.sender or "", RECIPIENT)


@restriction("reject_unlisted_sender")
def reject_unlisted_sender(ctx: Context, request: Request, step: Step) -> Verdict:
    if not request.sender:
        return DUNNO
    return unlisted_verdict(ctx, request.sender, request.sender, SENDER)
