"""NAME
    pyfix.delivery.local.forward - resubmit forwarded mail, pass to other transports

SUMMARY
    Forwarder, pass_to_transport()

DESCRIPTION
    Forwarder collects the addresses that an alias, :include: or
    .forward expansion sends elsewhere, as Postfix's forward_append()
    does: one new queue file per (Delivered-To address, envelope
    sender) pair, created through the cleanup library as soon as the
    first address of the pair appears (so that its queue ID is known).
    finish() then writes the content of each: "Received: by
    $myhostname ($mail_name)" and "\\tid QUEUEID; DATE", a
    "Delivered-To:" header (when prepend_delivered_header has
    "forward"), and the original message.  Each file that cleanup
    accepts is reported for the original recipient as
    "status=sent (forwarded as QUEUEID)" (DSN action "relayed").  When
    the expansion failed somewhere, finish() removes the new files and
    the recipient stays queued.

    The new message keeps the DSN envelope ID and RET, SASL and
    rewrite-context attributes of the original; cleanup reports content
    problems (too many hops, too large) to the sender itself.

    pass_to_transport() hands one recipient to another delivery agent,
    as Postfix's deliver_pass() does for mailbox_transport and
    fallback_transport: it logs "QUEUEID: passing <ADDR> to
    transport=NAME", sends a DeliveryRequest over
    $queue_directory/private/NAME and waits for the answer; that agent
    logs and reports the recipient itself.

    Parameters read: none; the caller passes myhostname, mail_name and
    the queue directory.

DIAGNOSTICS
    A queue file that cannot be created defers the address with
    "unable to forward message"; an agent that cannot be reached or
    answers nonsense defers it with "mail transport unavailable" or
    "unknown mail transport error".
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pyfix.cleanup.missing import mail_date
from pyfix.cleanup.origin import Origin
from pyfix.cleanup.status import CLEANUP_FLAG_BOUNCE, CLEANUP_FLAG_MASK_INTERNAL
from pyfix.delivery.dsn import DSN_NOTIFY_NEVER, DSN_NOTIFY_SUCCESS, Dsn
from pyfix.delivery.local.state import FAIL, OK, MsgAttr, RecipientRun
from pyfix.delivery.mailbox.worker import effective_ids
from pyfix.delivery.request import AgentUnavailable, DeliveryRequest, call_agent
from pyfix.log.printable import printable
from pyfix.queue.errors import QueueError

if TYPE_CHECKING:
    from pyfix.cleanup.service import CleanupService, CleanupStream


def strip_success(notify: int) -> int:
    """NOTIFY for a forwarded copy: without SUCCESS (NEVER if nothing is left)."""
    return DSN_NOTIFY_NEVER if notify == DSN_NOTIFY_SUCCESS else notify & ~DSN_NOTIFY_SUCCESS


class Forwarder:
    """The new queue files of one top-level recipient."""

    def __init__(self, cleanup: Callable[[], CleanupService], request: DeliveryRequest,
                 myhostname: str, mail_name: str, add_delivered: bool,
                 owner_ids: tuple[int, int] | None) -> None:
        self.cleanup = cleanup
        self.request = request
        self.myhostname = myhostname
        self.mail_name = mail_name
        self.add_delivered = add_delivered
        self.owner_ids = owner_ids
        self.streams: dict[tuple[str, str], tuple[CleanupStream, float]] = {}

    def _origin(self) -> Origin:
        req = self.request
        attrs = req.attributes
        return Origin(rewrite_context=attrs.get("rewrite_context") or None,
                      sasl_method=attrs.get("sasl_method") or None,
                      sasl_username=attrs.get("sasl_username") or None,
                      sasl_sender=attrs.get("sasl_sender") or None,
                      dsn_envid=req.dsn_envid or None, dsn_ret=req.dsn_ret)

    def append(self, attr: MsgAttr) -> bool:
        """forward_append(): add the address to the (delivered, sender) file."""
        key = (attr.delivered, attr.sender)
        entry = self.streams.get(key)
        if entry is None:
            posted = time.time()
            try:
                with effective_ids(self.owner_ids):
                    stream = self.cleanup().open(
                        attr.sender, CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MASK_INTERNAL,
                        origin=self._origin(), arrival=posted)
            except (OSError, QueueError):
                return False
            entry = (stream, posted)
            self.streams[key] = entry
        rcpt = attr.rcpt
        entry[0].add_recipient(rcpt.address, rcpt.orig_address or None,
                               rcpt.dsn_notify, rcpt.dsn_orcpt or None)
        return entry[0].ok

    def finish(self, run: RecipientRun, top: MsgAttr, lines: Callable[[], Iterable[bytes]],
               status: int) -> int:
        """forward_finish(): complete (or, after a failure, drop) the new files."""
        for (delivered, _sender), (stream, posted) in self.streams.items():
            if status != OK:
                stream.abort()
                continue
            status |= self._send(run, top, stream, delivered, posted, lines)
        self.streams.clear()
        return status

    def _send(self, run: RecipientRun, top: MsgAttr, stream: CleanupStream, delivered: str,
              posted: float, lines: Callable[[], Iterable[bytes]]) -> int:
        stream.write_line(f"Received: by {self.myhostname} ({self.mail_name})".encode())
        stream.write_line(f"\tid {stream.queue_id}; {mail_date(posted)}".encode())
        if self.add_delivered:
            stream.write_line(f"Delivered-To: {delivered.lower()}"
                              .encode("utf-8", "surrogateescape"))
        try:
            for line in lines():
                stream.write_line(line)
        except (OSError, QueueError) as exc:
            run.delivery.log.warn(f"{stream.queue_id}: {exc}")
            stream.abort()
            return FAIL
        with effective_ids(self.owner_ids):
            result = stream.close()
        if result.status != 0:
            return FAIL
        attr = top.replace(rcpt=dataclasses.replace(
            top.rcpt, dsn_notify=strip_success(top.rcpt.dsn_notify)))
        return run.sent(attr, Dsn("2.0.0", "relayed", f"forwarded as {stream.queue_id}"))


async def pass_to_transport(run: RecipientRun, attr: MsgAttr, service: str,
                            queue_directory: str) -> int:
    """deliver_pass(): let the agent of another transport deliver this address."""
    delivery = run.delivery
    req = delivery.request
    transport, _, nexthop = service.partition(":")
    if not transport:
        delivery.log.warn(f'missing transport name in "{service}"')
        return run.defer(attr, Dsn.defer("mail transport unavailable", "4.3.0"))
    delivery.log.info(printable(f"{req.queue_id}: passing <{attr.rcpt.address}> to "
                                f"transport={transport}"))
    # Offset 0: the other agent must not mark the recipient done; this run does.
    rcpt = dataclasses.replace(attr.rcpt, offset=0)
    request = dataclasses.replace(req, transport=transport, nexthop=nexthop or req.nexthop,
                                  recipients=[rcpt])
    try:
        response = await call_agent(os.path.join(queue_directory, "private"), transport,
                                    request)
    except AgentUnavailable:
        return run.defer(attr, Dsn.defer("mail transport unavailable", "4.3.0"))
    if response is None or not response.results:
        return run.defer(attr, Dsn.defer("unknown mail transport error", "4.3.0"))
    status = OK
    for result in response.results:
        status |= run.note(result.status, result.dsn)
    return status
