"""NAME
    pyfix.smtpd.checks.verify - restrictions that ask the verify(8) service

SUMMARY
    reject_unverified_recipient, reject_unverified_sender, VerifyChecks

DESCRIPTION
    reject_unverified_recipient, reject_unverified_sender
        Ask the address verification service (pyfix.verify) about the
        recipient (sender) address.  An address that it does not know
        yet makes it send a probe; smtpd asks again, up to
        $address_verify_poll_count times in all, $address_verify_poll_delay
        apart, while the answer is "in progress".  Then:

        deliverable        DUNNO: the next restriction decides.
        undeliverable (the probe bounced), with a 5xx
            $unverified_recipient_reject_code:
            "CODE 5.1.1 <address>: Recipient address rejected:
            undeliverable address: REASON";
        undeliverable with a 4xx reject code, a probe that was deferred,
        or a probe still in progress ($unverified_recipient_defer_code
            for these two):
            "CODE 4.1.1 <address>: Recipient address rejected:
            unverified address: REASON" (REASON is "Address
            verification in progress" for the last), as a temporary
            failure: with $unverified_recipient_tempfail_action =
            defer_if_permit (the default, $reject_tempfail_action) the
            reply is given only if the rest of the evaluation would
            accept; with "defer" it is given at once;
        the service cannot be reached: the warning "verify service
            failure", then the temporary failure "450 4.1.1 <address>:
            Recipient address rejected: address verification problem".

        A 2xx reject or defer code accepts the address anyway, as
        Postfix allows.  $unverified_recipient_reject_reason, when set,
        replaces "undeliverable address: REASON" and "unverified
        address: REASON".  The sender forms use the unverified_sender_*
        parameters, "Sender address rejected" and the enhanced codes
        5.1.7 and 4.1.7; the null sender is not verified.

    Parameters read: address_verify_service_name, queue_directory,
    address_verify_poll_count, address_verify_poll_delay,
    unverified_recipient_reject_code, unverified_recipient_defer_code,
    unverified_recipient_tempfail_action, unverified_recipient_reject_reason,
    unverified_sender_reject_code, unverified_sender_defer_code,
    unverified_sender_tempfail_action, unverified_sender_reject_reason.

DIAGNOSTICS
    "verify service failure" (a warning).  A tempfail action other than
    defer and defer_if_permit is a configuration error: a warning and
    "451 4.3.5 Server configuration error".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pyfix.config.store import Config
from pyfix.smtpd.checks.engine import (
    CONFIG_ERROR,
    DUNNO,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.verify.protocol import (
    DEL_RCPT_STAT_BOUNCE,
    DEL_RCPT_STAT_OK,
    DEL_RCPT_STAT_TODO,
    VRFY_STAT_OK,
    VerifyReply,
    verify_query,
)

RECIPIENT_PARAMS = ("unverified_recipient_reject_code", "unverified_recipient_defer_code",
                    "unverified_recipient_tempfail_action", "unverified_recipient_reject_reason")
SENDER_PARAMS = ("unverified_sender_reject_code", "unverified_sender_defer_code",
                 "unverified_sender_tempfail_action", "unverified_sender_reject_reason")


@dataclass(frozen=True, slots=True)
class AddressClass:
    """The parameters of one of the two restrictions."""

    reply_class: str  # "Recipient address", "Sender address"
    enhanced: str  # the detail of the enhanced code: "1.1", "1.7"
    reject_code: int
    defer_code: int
    tempfail_action: str
    reject_reason: str

    @classmethod
    def from_config(cls, config: Config, names: tuple[str, str, str, str], reply_class: str,
                    enhanced: str) -> AddressClass:
        """names: the reject code, defer code, tempfail action and reject
        reason parameters."""
        reject, defer, action, reason = names
        return cls(reply_class, enhanced, config.get_int(reject), config.get_int(defer),
                   config.get(action).strip().lower(), config.get(reason).strip())


@dataclass(frozen=True, slots=True)
class VerifyChecks:
    queue_directory: str
    service: str
    poll_count: int
    poll_delay: int
    recipient: AddressClass
    sender: AddressClass

    @classmethod
    def from_config(cls, config: Config) -> VerifyChecks:
        return cls(config.get("queue_directory"), config.get("address_verify_service_name"),
                   config.get_int("address_verify_poll_count"),
                   config.get_time("address_verify_poll_delay"),
                   AddressClass.from_config(config, RECIPIENT_PARAMS, "Recipient address", "1.1"),
                   AddressClass.from_config(config, SENDER_PARAMS, "Sender address", "1.7"))

    async def query(self, address: str) -> VerifyReply:
        """Ask, and ask again while a probe is in progress."""
        count = 0
        while True:
            reply = await verify_query(self.queue_directory, self.service, address)
            count += 1
            if reply.status != VRFY_STAT_OK or reply.addr_status != DEL_RCPT_STAT_TODO \
                    or count >= self.poll_count:
                return reply
            await asyncio.sleep(self.poll_delay)


def verify_checks(ctx: Context) -> VerifyChecks:
    family = ctx.settings.family
    checks = family.get("verify")
    if not isinstance(checks, VerifyChecks):
        checks = family["verify"] = VerifyChecks.from_config(ctx.settings.config)
    return checks


def _tempfail(ctx: Context, request: Request, aclass: AddressClass, code: int,
              subject: tuple[str, str], reason: str) -> Verdict:
    if code // 100 == 2:
        return DUNNO
    verdict = request.defer(reason, code, f"4.{aclass.enhanced}", subject)
    if aclass.tempfail_action == "defer":
        return verdict
    if aclass.tempfail_action == "defer_if_permit":
        assert verdict.reply is not None
        return ctx.defer_if_permit(verdict.reply)
    name = SENDER_PARAMS[2] if aclass.enhanced == "1.7" else RECIPIENT_PARAMS[2]
    ctx.warn(f'unknown {name} value: "{aclass.tempfail_action}"')
    return Verdict(Result.DEFER, CONFIG_ERROR)


async def _check(ctx: Context, request: Request, address: str | None,
                 aclass: AddressClass) -> Verdict:
    if not address:
        return DUNNO
    checks = verify_checks(ctx)
    subject = (address, aclass.reply_class)
    reply = await checks.query(address)
    if reply.status != VRFY_STAT_OK:
        ctx.warn(f"{checks.service} service failure")
        return _tempfail(ctx, request, aclass, 450, subject, "address verification problem")
    status, why = reply.addr_status, reply.text
    if status == DEL_RCPT_STAT_OK:
        return DUNNO
    if status == DEL_RCPT_STAT_BOUNCE and aclass.reject_code // 100 == 5:
        reason = aclass.reject_reason or f"undeliverable address: {why}"
        return request.reject(reason, aclass.reject_code, f"5.{aclass.enhanced}", subject)
    code = aclass.reject_code if status == DEL_RCPT_STAT_BOUNCE else aclass.defer_code
    reason = aclass.reject_reason or f"unverified address: {why}"
    return _tempfail(ctx, request, aclass, code, subject, reason)


@restriction("reject_unverified_recipient")
async def reject_unverified_recipient(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _check(ctx, request, request.recipient, verify_checks(ctx).recipient)


@restriction("reject_unverified_sender")
async def reject_unverified_sender(ctx: Context, request: Request, step: Step) -> Verdict:
    return await _check(ctx, request, request.sender, verify_checks(ctx).sender)
