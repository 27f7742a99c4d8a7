"""NAME
    pyfix.rewrite.transport - transport(5) table lookups

SUMMARY
    TransportMaps, apply_transport_entry(), MAIL_SERVICE_ERROR,
    MAIL_SERVICE_RETRY

DESCRIPTION
    A transport_maps entry overrides the delivery transport and/or the
    next-hop destination that the address class chose.  The lookup order
    is transport(5)'s: the full address, the address without its
    extension, the domain and (as parent_domain_matches_subdomains says
    for transport_maps) its parent domains, and finally the wild-card
    entry "*" (pyfix.tables.search, strategy TRANSPORT).  As in Postfix,
    the "*" entry is looked up when the tables are opened and again at
    most every 30 seconds, or at the next request after it failed.

    An entry "transport:nexthop" is split at the first ":" and applied
    like this:

    ":" or ""          nothing changes;
    ":nexthop"         the transport stays, the next hop becomes nexthop;
    "transport"        the transport changes and the next hop is reset
    "transport:"       to the recipient domain, or to "Address is
                       undeliverable" for the error and retry transports;
    "transport:nexthop" both change.

    The next hop is transport-specific: "[host]" (no MX lookup),
    "host:port", "[host]:port", a UNIX-domain socket, or the text of an
    error(8) or retry reply; it is passed on unchanged.

    The resolver does not consult the table for the virtual alias class
    (whose answer, "error:5.1.1 User unknown", must stand).

    Parameters read: parent_domain_matches_subdomains,
    recipient_delimiter and the table list (transport_maps or
    address_verify_transport_maps), all passed in by the resolver.

DIAGNOSTICS
    A table lookup failure raises pyfix.tables.base.TableError; the
    resolver turns it into a FAIL reply with the warning
    "transport_maps lookup failure".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pyfix.log.msg import msg_warn
from pyfix.tables import search
from pyfix.tables.base import DEFAULT_FLAGS, NO_REGSUB, TableError
from pyfix.tables.maps import Maps

MAIL_SERVICE_ERROR = "error"
MAIL_SERVICE_RETRY = "retry"
UNDELIVERABLE = "Address is undeliverable"
WILDCARD = "*"
WILDCARD_TTL = 30.0


def apply_transport_entry(
    value: str, rcpt_domain: str, transport: str, nexthop: str
) -> tuple[str, str]:
    """The (transport, nexthop) after applying one transport(5) entry."""
    new_transport, _, new_nexthop = value.partition(":")
    if not new_transport:
        return transport, new_nexthop or nexthop
    if new_nexthop:
        return new_transport, new_nexthop
    if new_transport in (MAIL_SERVICE_ERROR, MAIL_SERVICE_RETRY):
        return new_transport, UNDELIVERABLE
    return new_transport, rcpt_domain


class TransportMaps:
    """The transport_maps tables of one resolver personality."""

    def __init__(
        self,
        title: str,
        spec: str,
        *,
        parent_style: bool,
        recipient_delimiter: str = "",
        warn: Callable[[str], None] = msg_warn,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.title = title
        self.maps = Maps(title, spec, DEFAULT_FLAGS | NO_REGSUB, warn)
        self.strategy = search.TRANSPORT | (search.PDMS if parent_style else search.PDDMDS)
        self.recipient_delimiter = recipient_delimiter
        self.clock = clock
        self._wildcard: str | None = None
        self._wildcard_error: TableError | None = None
        self._expire = 0.0
        self._load_wildcard()

    def _load_wildcard(self) -> None:
        try:
            self._wildcard, self._wildcard_error = self.maps.find(WILDCARD), None
        except TableError as exc:
            self._wildcard, self._wildcard_error = None, exc
        self._expire = self.clock() + WILDCARD_TTL

    def lookup(
        self, address: str, rcpt_domain: str, transport: str, nexthop: str
    ) -> tuple[str, str] | None:
        """Apply the entry for address (internal form), or None if none.

        Raises TableError when a table cannot be searched.
        """
        value, _ = search.find_address(self.maps, address, self.strategy,
                                       recipient_delimiter=self.recipient_delimiter)
        if value is None:
            if self._wildcard_error is not None or self.clock() > self._expire:
                self._load_wildcard()
            if self._wildcard_error is not None:
                raise self._wildcard_error
            value = self._wildcard
        if value is None:
            return None
        return apply_transport_entry(value, rcpt_domain, transport, nexthop)
