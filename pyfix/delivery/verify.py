"""NAME
    pyfix.delivery.verify - what a delivery agent does with a trace-only request

SUMMARY
    report_verify(), trace_dsn()

DESCRIPTION
    A request whose flags hold FLAG_MTA_VRFY (a verify(8) probe) or
    FLAG_USR_VRFY (sendmail -bv) is not delivered: each agent goes as
    far as it can without delivering (smtp: MAIL FROM and RCPT TO, no
    DATA; local and virtual: "delivers to mailbox", ...) and reports
    what would have happened through Delivery.sent(), bounce() or
    defer(), which call report_verify() instead of their usual work:

    - a probe: the outcome goes to the verify service (update
      ADDRESS STATUS TEXT, where ADDRESS is the original recipient,
      the address that smtpd asked about);
    - sendmail -bv: an entry goes into the trace log, with the action
      "deliverable" or "undeliverable" and, as Postfix words it, the
      reason "delivery via RELAY: TEXT" (just TEXT for relay=none); qmgr
      then mails the sender the report (bounce library, "Mail Delivery
      Status Report").

    trace_dsn() is that wording; sendmail -v's entries (FLAG_RECORD)
    use it too.

    It returns the word for the log line, "deliverable" (sent) or
    "undeliverable" (bounced or deferred); None when the report could
    not be made: the recipient then stays in the queue for a later
    attempt, as in Postfix.

    Parameters read: address_verify_service_name (through the
    Delivery).

DIAGNOSTICS
    "QUEUEID: verify service failure" when the verify service cannot
    be reached.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pyfix.delivery.dsn import Dsn
from pyfix.delivery.request import FLAG_MTA_VRFY, RequestRecipient
from pyfix.verify.protocol import DEL_RCPT_STAT_OK, VRFY_STAT_OK, verify_update

if TYPE_CHECKING:
    from pyfix.delivery.agent import Delivery

DELIVERABLE = "deliverable"
UNDELIVERABLE = "undeliverable"


def trace_dsn(dsn: Dsn, relay: str, action: str | None = None) -> Dsn:
    """A trace log entry's DSN, as Postfix's trace_append() words it:
    "delivery via RELAY: TEXT" (TEXT alone for relay=none)."""
    reason = dsn.reason if relay == "none" else f"delivery via {relay}: {dsn.reason}"
    return replace(dsn, action=action or dsn.action, reason=reason)


def report_verify(delivery: Delivery, rcpt: RequestRecipient, dsn: Dsn, relay: str,
                  addr_status: int) -> str | None:
    word = DELIVERABLE if addr_status == DEL_RCPT_STAT_OK else UNDELIVERABLE
    request = delivery.request
    if request.flags & FLAG_MTA_VRFY:
        status = verify_update(delivery.layout.queue_directory, delivery.verify_service,
                               rcpt.orig_address or rcpt.address, addr_status, dsn.reason)
        if status != VRFY_STAT_OK:
            delivery.log.warn(f"{request.queue_id}: {delivery.verify_service} service failure")
            return None
        return word
    if not delivery.append_trace(rcpt, trace_dsn(dsn, relay, word)):
        return None
    return word
