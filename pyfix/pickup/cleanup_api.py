"""NAME
    pyfix.pickup.cleanup_api - what pickup needs from the cleanup library

SUMMARY
    CleanupServiceAPI, CleanupStreamAPI, CleanupResultAPI, CLEANUP_FLAG_*,
    pickup_cleanup_flags()

DESCRIPTION
    pickup calls the cleanup library in-process (DESIGN.md section 2).
    These Protocols name the part of pyfix.cleanup that pickup uses, so
    that pickup can be written and type-checked against them:

        CleanupService(config_view, log).open(sender, flags, arrival=T)
        stream.queue_id                   the new queue ID (for logging
                                          and pickup's Received: header)
        stream.add_recipient(addr, orig, notify, orcpt)
        stream.write_line(data, continued)
        stream.end_content()              then the extracted recipients
        stream.close() -> result          result.ok, .status, .reason
        stream.abort()

    pickup_cleanup_flags() computes the flags that Postfix's pickup
    gives cleanup: CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MASK_EXTERNAL,
    with receive_override_options applied (input_transp_cleanup()), no
    Milters for mail re-queued by "postsuper -r", and
    CLEANUP_FLAG_AUTOUTF8 when smtputf8_autodetect_classes names
    "sendmail".

    Parameters read: receive_override_options,
    smtputf8_autodetect_classes (through the caller's Config).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from pyfix.cleanup.origin import Origin

CLEANUP_FLAG_BOUNCE: Final = 1 << 0
CLEANUP_FLAG_FILTER: Final = 1 << 1
CLEANUP_FLAG_BCC_OK: Final = 1 << 4
CLEANUP_FLAG_MAP_OK: Final = 1 << 5
CLEANUP_FLAG_MILTER: Final = 1 << 6
CLEANUP_FLAG_AUTOUTF8: Final = 1 << 9
CLEANUP_STAT_BAD: Final = 1 << 0
CLEANUP_STAT_RCPT: Final = 1 << 6
CLEANUP_FLAG_MASK_EXTERNAL: Final = (
    CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER | CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK
)
_TRANSP_CLEARS: Final = {
    "no_address_mappings": CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK,
    "no_header_body_checks": CLEANUP_FLAG_FILTER,
    "no_milters": CLEANUP_FLAG_MILTER,
}


class CleanupResultAPI(Protocol):
    queue_id: str
    status: int  # CLEANUP_STAT_* bits; 0 when the queue file is committed
    reason: str

    @property
    def ok(self) -> bool: ...


class CleanupStreamAPI(Protocol):
    queue_id: str

    def add_recipient(self, addr: str, orig: str | None, notify: int,
                      orcpt: str | None) -> None: ...

    def write_line(self, data: bytes, continued: bool) -> None: ...

    def end_content(self) -> None: ...

    def close(self) -> CleanupResultAPI: ...

    def abort(self) -> None: ...


class CleanupServiceAPI(Protocol):
    def open(self, sender: str, flags: int, *, origin: Origin | None = None,
             arrival: float | None = None) -> CleanupStreamAPI: ...


def pickup_cleanup_flags(receive_override_options: str, autodetect_classes: str,
                         requeued: bool) -> int:
    flags = CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MASK_EXTERNAL
    for option in receive_override_options.replace(",", " ").split():
        flags &= ~_TRANSP_CLEARS.get(option.lower(), 0)
    if requeued:
        flags &= ~CLEANUP_FLAG_MILTER
    elif "sendmail" in autodetect_classes.replace(",", " ").lower().split():
        flags |= CLEANUP_FLAG_AUTOUTF8
    return flags
