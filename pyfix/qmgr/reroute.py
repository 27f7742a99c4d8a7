"""NAME
    pyfix.qmgr.reroute - content filter and redirect requests in a queue file

SUMMARY
    Reroute, message_reroute(), filter_nexthop()

DESCRIPTION
    A queue file may carry a redirect record (REC_TYPE_RDR, from a
    header_checks or body_checks "REDIRECT user@domain" action) or a
    content filter record (REC_TYPE_FILT, from a "FILTER
    transport:destination" action or $content_filter).  Each overrides
    where the message goes, as in Postfix's qmgr(8):

    - A redirect overrides everything else, the filter included.  The
      redirect address, rewritten to canonical form (trivial-rewrite's
      "local" context), replaces the first pending recipient and is
      resolved as usual (so $defer_transports, the error and retry
      classes and the double-bounce discard apply to it); the original
      recipient is logged as orig_to.  The other recipients are
      neither delivered nor logged: the message goes once to the
      redirect address.

    - A filter "transport:nexthop" replaces the resolver: every
      recipient goes, unchanged, to that transport and next hop.  The
      next hop is split off at the first ":".  Without one (no ":" or
      nothing after it) it is $default_filter_nexthop; when that is
      empty, the recipient's domain, or $myhostname for a recipient
      without one.  $defer_transports applies to the filter transport;
      the double-bounce discard does not (nothing is resolved).  A
      transport without a master.cf entry defers the mail with "mail
      transport unavailable", as any transport does (scheduler.py).

    The decision is made once per message (message_reroute()); per
    recipient only the next hop fallback remains.

    As Postfix does, the content filter is skipped for trace-only
    messages (verify(8) probes and sendmail -bv, whose trace_flags
    say so): they go where their recipients resolve to.

    Parameters read: default_filter_nexthop, myhostname (through
    QmgrSettings).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.delivery.request import FLAG_MTA_VRFY, FLAG_USR_VRFY, request_flags
from pyfix.queue.envelope import QueueMessage
from pyfix.queue.records import ATTR_TRACE_FLAGS


@dataclass(frozen=True)
class Reroute:
    """Where a message goes instead of where its recipients resolve to."""

    redirect: str = ""  # canonical redirect address (internal form)
    transport: str = ""  # filter transport
    nexthop: str = ""  # filter next hop; "" for the per-recipient fallback


def message_reroute(message: QueueMessage,
                    canonical: Callable[[str], str]) -> Reroute | None:
    """The message's redirect or filter request, or None for neither.
    canonical rewrites an external-form address in the "local" context."""
    if message.redirect:
        external = canonical(quote_822_local(message.redirect))
        return Reroute(redirect=unquote_822_local(external))
    if message.content_filter and not request_flags(
            message.attributes.get(ATTR_TRACE_FLAGS)) & (FLAG_MTA_VRFY | FLAG_USR_VRFY):
        transport, _, nexthop = message.content_filter.partition(":")
        return Reroute(transport=transport, nexthop=nexthop)
    return None


def filter_nexthop(reroute: Reroute, address: str, default_nexthop: str,
                   myhostname: str) -> str:
    """The next hop for one recipient of a filtered message."""
    if reroute.nexthop:
        return reroute.nexthop
    if default_nexthop:
        return default_nexthop
    domain = address.rpartition("@")[2] if "@" in address else ""
    return domain or myhostname
