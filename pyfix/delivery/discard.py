"""NAME
    pyfix.delivery.discard - the discard(8) delivery agent

SUMMARY
    serve(), DiscardAgent

DESCRIPTION
    The discard agent pretends to deliver every recipient of a request:
    each is logged with status=sent and the next hop as the reason
    ("discard:silently" in transport_maps logs "status=sent
    (silently)"), and marked done in the queue file.  The reason may
    start with an RFC 3463 status followed by white space; the default
    is 2.0.0, and a status that is not of class 2 is replaced by 2.0.0
    after a warning, as Postfix's sent() does.  With an empty "discard:"
    next hop the queue manager passes the recipient domain, which then
    is the reason.  The delivery log line has relay=none.  A recipient
    that asked for DSN SUCCESS notification (or a sendmail -v request)
    gets a "delivered" entry in the trace log, as for a real delivery.

    Parameters read: none beyond what every delivery agent reads.

DIAGNOSTICS
    Fatal at start-up: "unexpected command-line argument: ARG" (the
    service takes none).  An empty next hop is logged as Postfix does
    ("fatal: empty nexthop hostname") and defers the recipients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfix.delivery.agent import serve_agent
from pyfix.delivery.error import NexthopReasonAgent

if TYPE_CHECKING:
    from pyfix.master.child import ServiceContext


class DiscardAgent(NexthopReasonAgent):
    """Report every recipient delivered, with the next hop as the reason."""

    kind = "sent"


def serve(ctx: ServiceContext) -> None:
    serve_agent(ctx, DiscardAgent, relay="none")
