"""NAME
    pyfix.cleanup.state - what cleanup knows about one message

SUMMARY
    CleanupState

DESCRIPTION
    CleanupState holds the per-message state that the envelope, content
    and extracted-segment code share (Postfix's CLEANUP_STATE): the
    request flags, the status bits and reason, the envelope sender and
    last recipient, the named attributes received, the header rewriting
    context, which headers were seen, the hop count, and what
    header/body_checks decided (FILTER, REDIRECT, BCC).

    out_ok is Postfix's CLEANUP_OUT_OK(): output still makes sense,
    that is, no error in err_mask has happened and the message is not
    being discarded.  With CLEANUP_FLAG_BOUNCE the mask holds only the
    errors that stop all processing, so that content errors can still
    be reported in a bounce; otherwise every error stops processing.

    log_addr() formats an address for the log as info_log_address_format
    says (external: quoted local part).

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.address.quote import quote_822_local
from pyfix.cleanup.status import (
    CLEANUP_FLAG_BOUNCE,
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_SMTPUTF8,
    CLEANUP_STAT_MASK_INCOMPLETE,
)

SMTPUTF8_FLAG_REQUESTED = 1 << 0
SMTPUTF8_FLAG_HEADER = 1 << 1
SMTPUTF8_FLAG_SENDER = 1 << 2

ALL_ERRORS = ~0


@dataclass
class CleanupState:
    queue_id: str
    flags: int = 0
    err_mask: int = ALL_ERRORS
    errs: int = 0
    reason: str = ""
    sender: str | None = None
    recip: str | None = None
    fullname: str | None = None
    arrival: tuple[int, int] = (0, 0)
    created: int = 0  # seconds: the queue file's creation time
    attrs: dict[str, str] = field(default_factory=dict)
    hdr_rewrite_context: str | None = "local"
    headers_seen: int = 0
    hop_count: int = 0
    resent: str = ""
    smtputf8: int = 0
    qmgr_opts: int = 0
    filter: str | None = None
    redirect: str | None = None
    hbc_rcpt: list[str] = field(default_factory=list)
    info_log_external: bool = True

    @classmethod
    def create(cls, queue_id: str, flags: int) -> CleanupState:
        state = cls(queue_id)
        state.set_flags(flags)
        return state

    def set_flags(self, flags: int) -> None:
        """cleanup_control(): the client's request flags."""
        self.flags = flags
        self.err_mask = CLEANUP_STAT_MASK_INCOMPLETE if flags & CLEANUP_FLAG_BOUNCE else ALL_ERRORS
        if flags & CLEANUP_FLAG_SMTPUTF8:
            self.smtputf8 = SMTPUTF8_FLAG_REQUESTED

    @property
    def out_ok(self) -> bool:
        return not (self.errs & self.err_mask) and not (self.flags & CLEANUP_FLAG_DISCARD)

    def seen(self, header_type: int) -> bool:
        return bool(self.headers_seen & (1 << header_type))

    def log_addr(self, address: str) -> str:
        return quote_822_local(address) if self.info_log_external else address
