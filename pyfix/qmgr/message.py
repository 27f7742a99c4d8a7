"""NAME
    pyfix.qmgr.message - one message in the active queue

SUMMARY
    ActiveMessage, Route, route_recipient(), place_recipient()

DESCRIPTION
    ActiveMessage.load() opens a queue file that qmgr has moved into the
    active queue, parses the envelope and logs
    Postfix's "QUEUEID: from=<sender>, size=N, nrcpt=N (queue active)".
    The queue file stays open while the message is active, so that qmgr
    can update it (warning time) and delivery agents can mark
    recipients done through their own descriptors.

    route_recipient() decides where one recipient address goes, as Postfix's
    qmgr_message_resolve() does: trivial-rewrite's resolve gives the
    transport, next hop and final address; a resolver failure goes to
    the "retry" transport ("4.3.0 address resolver failure"), a bad
    address to "error" ("5.1.3 bad address syntax"), a transport listed
    in $defer_transports to "retry" ("4.3.2 deferred transport") unless
    the queue is being flushed, and local mail to $double_bounce_sender
    is discarded ("undeliverable postmaster notification discarded").
    The scheduling queue is named after the next hop, or, for a
    transport whose recipient limit is 1, after "localpart@nexthop"
    without the address extension, so that concurrency is per recipient.
    place_recipient() is that last part alone, for a recipient whose
    transport and next hop a content filter gives (reroute.py).

    Parameters read: none directly (QmgrSettings, TransportSettings).

DIAGNOSTICS
    QueueFileCorrupt from load(); the caller moves the file to corrupt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.log.maillog import MailLog
from pyfix.queue.envelope import QueueMessage
from pyfix.queue.layout import QueueLayout
from pyfix.queue.reader import QueueFile
from pyfix.rewrite.reply import AddressClass
from pyfix.rewrite.resolve import Resolver
from pyfix.smtp.logfields import log_address

RETRY = "retry"
ERROR = "error"
DISCARD_DOUBLE_BOUNCE = "undeliverable postmaster notification discarded"


@dataclass(frozen=True)
class Route:
    transport: str
    nexthop: str
    queue_name: str  # the scheduling destination
    address: str  # the resolved recipient
    discard: bool = False  # a double-bounce to the local system: drop it


@dataclass(eq=False)
class ActiveMessage:
    queue_id: str
    queue_file: QueueFile
    message: QueueMessage
    active_time: float
    pending_jobs: int = 0
    deferred: bool = False  # some recipient stays for a later attempt
    in_core: int = 0  # recipients held in scheduler queues
    flush: bool = False  # read during a flush: ignore defer_transports
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, layout: QueueLayout, queue: str, queue_id: str, log: MailLog) -> ActiveMessage:
        queue_file = QueueFile.open(layout, queue, queue_id)
        try:
            message = queue_file.read_envelope()
        except BaseException:
            queue_file.close()
            raise
        sender = message.sender or ""
        log.info(f"{queue_id}: from=<{log_address(sender)}>, size={message.size.cont_length}, "
                 f"nrcpt={len(message.pending())} (queue {queue})")
        return cls(queue_id, queue_file, message, time.time())

    @property
    def sender(self) -> str:
        return self.message.sender or ""

    @property
    def arrival(self) -> float:
        sec, usec = self.message.arrival_time
        return sec + usec / 1e6

    @property
    def create_time(self) -> int:
        return self.message.create_time or self.message.arrival_time[0]

    def close(self) -> None:
        self.queue_file.close()


def _queue_name(address: str, nexthop: str, per_recipient: bool, delimiter: str) -> str:
    if not per_recipient:
        return nexthop.lower()
    local = address.rpartition("@")[0] if "@" in address else address
    if delimiter:
        for index, ch in enumerate(local):
            if ch in delimiter and index > 0:
                local = local[:index]
                break
    return f"{local}@{nexthop}".lower()


def route_recipient(resolver: Resolver, address: str, sender: str, *,
                    defer_transports: frozenset[str], flush: bool,
                    double_bounce_sender: str, delimiter: str,
                    recipient_limit: Callable[[str], int]) -> Route:
    reply = resolver.resolve_addr(address, sender)
    if reply.failed:
        return Route(RETRY, "4.3.0 address resolver failure", "4.3.0 address resolver failure",
                     address)
    if reply.error:
        return Route(ERROR, "5.1.3 bad address syntax", "5.1.3 bad address syntax", address)
    transport, nexthop, address = reply.transport, reply.nexthop, reply.recipient
    if reply.address_class is AddressClass.LOCAL:
        local = address.rpartition("@")[0] if "@" in address else address
        if local.lower() == double_bounce_sender.lower():
            return Route(transport, nexthop, nexthop, address, discard=True)
    return place_recipient(transport, nexthop, address, defer_transports=defer_transports,
                           flush=flush, delimiter=delimiter, recipient_limit=recipient_limit)


def place_recipient(transport: str, nexthop: str, address: str, *,
                    defer_transports: frozenset[str], flush: bool, delimiter: str,
                    recipient_limit: Callable[[str], int]) -> Route:
    """The scheduling queue for a recipient whose transport and next hop
    are known (resolved, or a content filter's): $defer_transports, then
    the per-destination or per-recipient queue name."""
    if transport in defer_transports and not flush:
        return Route(RETRY, "4.3.2 deferred transport", "4.3.2 deferred transport", address)
    per_recipient = (transport not in (ERROR, RETRY)
                     and recipient_limit(transport) == 1)
    return Route(transport, nexthop, _queue_name(address, nexthop, per_recipient, delimiter),
                 address)
