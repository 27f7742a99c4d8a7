"""NAME
    pyfix.rewrite.reply - the answer of the address resolver

SUMMARY
    ResolveReply, ResolveFlag, AddressClass

DESCRIPTION
    The resolver answers with a delivery transport (a master.cf service
    name), a next-hop destination, the final recipient address (in
    internal form) and flags.  The flag bits have Postfix's values, so
    that int(flags) is the number that trivial-rewrite(8) sends:

    FINAL (1)       final delivery (not set by the resolver itself);
    ROUTED (2)      the local part still holds routing operators
                    ("@", "!" or "%"): a relay probe for the next hop;
    ERROR (4)       bad destination syntax; the mail must be refused;
    FAIL (8)        the request failed (a table lookup error); try again;
    CLASS_LOCAL (256), CLASS_ALIAS (512), CLASS_VIRTUAL (1024),
    CLASS_RELAY (2048), CLASS_DEFAULT (4096)
                    the address class: $mydestination and this host's
                    addresses, $virtual_alias_domains,
                    $virtual_mailbox_domains, $relay_domains, or none of
                    these.

    ResolveReply.address_class gives the class as an AddressClass.
    When ERROR or FAIL is set, transport and nexthop may hold Postfix's
    placeholders "CHANNEL NOT UPDATED" and "NEXTHOP NOT UPDATED" (or a
    half-finished answer); callers look at the flags first.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

CHANNEL_NOT_UPDATED = "CHANNEL NOT UPDATED"
NEXTHOP_NOT_UPDATED = "NEXTHOP NOT UPDATED"
NEXTRCPT_NOT_UPDATED = "NEXTRCPT NOT UPDATED"


class ResolveFlag(enum.IntFlag):
    NONE = 0
    FINAL = 1 << 0
    ROUTED = 1 << 1
    ERROR = 1 << 2
    FAIL = 1 << 3
    CLASS_LOCAL = 1 << 8
    CLASS_ALIAS = 1 << 9
    CLASS_VIRTUAL = 1 << 10
    CLASS_RELAY = 1 << 11
    CLASS_DEFAULT = 1 << 12


CLASS_MASK = (ResolveFlag.CLASS_LOCAL | ResolveFlag.CLASS_ALIAS | ResolveFlag.CLASS_VIRTUAL
              | ResolveFlag.CLASS_RELAY | ResolveFlag.CLASS_DEFAULT)
CLASS_FINAL = ResolveFlag.CLASS_LOCAL | ResolveFlag.CLASS_ALIAS | ResolveFlag.CLASS_VIRTUAL


class AddressClass(enum.Enum):
    """The address classes of ADDRESS_CLASS_README, by their flag."""

    LOCAL = ResolveFlag.CLASS_LOCAL
    ALIAS = ResolveFlag.CLASS_ALIAS
    VIRTUAL = ResolveFlag.CLASS_VIRTUAL
    RELAY = ResolveFlag.CLASS_RELAY
    DEFAULT = ResolveFlag.CLASS_DEFAULT

    @property
    def flag(self) -> ResolveFlag:
        return ResolveFlag(self.value)

    @classmethod
    def from_flags(cls, flags: ResolveFlag) -> AddressClass | None:
        for member in cls:
            if flags & member.value:
                return member
        return None


@dataclass(frozen=True)
class ResolveReply:
    transport: str
    nexthop: str
    recipient: str
    flags: ResolveFlag

    @property
    def address_class(self) -> AddressClass | None:
        return AddressClass.from_flags(self.flags)

    @property
    def failed(self) -> bool:
        """A lookup failed: the caller must try again later (4xx, defer)."""
        return bool(self.flags & ResolveFlag.FAIL)

    @property
    def error(self) -> bool:
        """The destination is malformed: the caller must refuse it."""
        return bool(self.flags & ResolveFlag.ERROR)

    @property
    def routed(self) -> bool:
        return bool(self.flags & ResolveFlag.ROUTED)

    @property
    def final(self) -> bool:
        """Delivered on this host: local, virtual alias or virtual mailbox."""
        return bool(self.flags & CLASS_FINAL)
