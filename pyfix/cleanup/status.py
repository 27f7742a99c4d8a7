"""NAME
    pyfix.cleanup.status - cleanup request flags, status bits and replies

SUMMARY
    CLEANUP_FLAG_*, CLEANUP_STAT_*, StatDetail, stat_detail(),
    strerror(), input_transp_cleanup(), CleanupResult

DESCRIPTION
    A client of the cleanup library (smtpd, pickup, bounce) says with
    CLEANUP_FLAG_* bits what cleanup may do with a message, as Postfix's
    clients do over the cleanup protocol (global/cleanup_user.h):

        BOUNCE      report content errors as a bounce (sendmail/pickup)
        FILTER      apply header_checks and body_checks
        HOLD        put the message on hold (also set on the fly)
        DISCARD     discard the message silently (also set on the fly)
        BCC_OK      add automatic BCC recipients
        MAP_OK      apply canonical and virtual address mappings
        MILTER      apply Milters
        SMTP_REPLY  the client wants an SMTP reply text
        SMTPUTF8    the client requested SMTPUTF8
        AUTOUTF8    detect SMTPUTF8 from the content

    input_transp_cleanup() clears bits as receive_override_options
    says (no_address_mappings, no_header_body_checks, no_milters).

    The result of a request is a set of CLEANUP_STAT_* bits.  Each bit
    has a reply code, an enhanced status code and a text (stat_detail(),
    from cleanup_strerror.c).  CleanupResult.reply turns the bits and
    cleanup's reason into the reply that Postfix's SMTP server sends at
    the end of DATA, most severe problem first:

        451 4.7.1 <reason>                 header/body_checks REJECT 4.x.x
        451 4.3.0 Error: internal error N  malformed request
        552 5.3.4 Error: message file too big
        554 5.4.0 Error: too many hops
        550 5.7.1 <reason>                 content rejected
        451 4.3.0 Error: queue file write error
        452 4.3.1 Insufficient system storage   (no space; pyfix's hint)

    Parameters read: receive_override_options (input_transp_cleanup(),
    through the caller).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pyfix.smtp.replies import Reply

CLEANUP_FLAG_NONE: Final = 0
CLEANUP_FLAG_BOUNCE: Final = 1 << 0
CLEANUP_FLAG_FILTER: Final = 1 << 1
CLEANUP_FLAG_HOLD: Final = 1 << 2
CLEANUP_FLAG_DISCARD: Final = 1 << 3
CLEANUP_FLAG_BCC_OK: Final = 1 << 4
CLEANUP_FLAG_MAP_OK: Final = 1 << 5
CLEANUP_FLAG_MILTER: Final = 1 << 6
CLEANUP_FLAG_SMTP_REPLY: Final = 1 << 7
CLEANUP_FLAG_SMTPUTF8: Final = 1 << 8
CLEANUP_FLAG_AUTOUTF8: Final = 1 << 9

CLEANUP_FLAG_FILTER_ALL: Final = CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER
CLEANUP_FLAG_MASK_EXTERNAL: Final = (
    CLEANUP_FLAG_FILTER_ALL | CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK
)
CLEANUP_FLAG_MASK_INTERNAL: Final = CLEANUP_FLAG_MAP_OK
CLEANUP_FLAG_MASK_EXTRA: Final = CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD

CLEANUP_STAT_OK: Final = 0
CLEANUP_STAT_BAD: Final = 1 << 0
CLEANUP_STAT_WRITE: Final = 1 << 1
CLEANUP_STAT_SIZE: Final = 1 << 2
CLEANUP_STAT_CONT: Final = 1 << 3
CLEANUP_STAT_HOPS: Final = 1 << 4
CLEANUP_STAT_RCPT: Final = 1 << 6
CLEANUP_STAT_PROXY: Final = 1 << 7
CLEANUP_STAT_DEFER: Final = 1 << 8
CLEANUP_STAT_NOPERM: Final = 1 << 9
# pyfix: the write error was "no space" (ENOSPC, EDQUOT); always with WRITE.
CLEANUP_STAT_NOSPACE: Final = 1 << 20

CLEANUP_STAT_MASK_CANT_BOUNCE: Final = (
    CLEANUP_STAT_BAD | CLEANUP_STAT_WRITE | CLEANUP_STAT_DEFER | CLEANUP_STAT_RCPT
)
CLEANUP_STAT_MASK_INCOMPLETE: Final = (
    CLEANUP_STAT_BAD | CLEANUP_STAT_WRITE | CLEANUP_STAT_SIZE | CLEANUP_STAT_DEFER
)


@dataclass(frozen=True, slots=True)
class StatDetail:
    status: int
    smtp: int
    dsn: str
    text: str


_DETAILS: Final = (
    StatDetail(CLEANUP_STAT_DEFER, 451, "4.7.1", "service unavailable"),
    StatDetail(CLEANUP_STAT_PROXY, 451, "4.3.0", "queue file write error"),
    StatDetail(CLEANUP_STAT_BAD, 451, "4.3.0", "internal protocol error"),
    StatDetail(CLEANUP_STAT_RCPT, 550, "5.1.0", "no recipients specified"),
    StatDetail(CLEANUP_STAT_HOPS, 554, "5.4.0", "too many hops"),
    StatDetail(CLEANUP_STAT_SIZE, 552, "5.3.4", "message file too big"),
    StatDetail(CLEANUP_STAT_CONT, 550, "5.7.1", "message content rejected"),
    StatDetail(CLEANUP_STAT_WRITE, 451, "4.3.0", "queue file write error"),
    StatDetail(CLEANUP_STAT_NOPERM, 550, "5.7.1", "service denied"),
)
_SUCCESS: Final = StatDetail(0, 250, "2.0.0", "Success")


def stat_detail(status: int) -> StatDetail:
    """The detail of the most severe bit in status (cleanup_stat_detail())."""
    for detail in _DETAILS:
        if status & detail.status:
            return detail
    return _SUCCESS


def strerror(status: int) -> str:
    return stat_detail(status).text


_TRANSP_CLEARS: Final = {
    "no_address_mappings": CLEANUP_FLAG_BCC_OK | CLEANUP_FLAG_MAP_OK,
    "no_header_body_checks": CLEANUP_FLAG_FILTER,
    "no_milters": CLEANUP_FLAG_MILTER,
    "no_unknown_recipient_checks": 0,
}


def input_transp_cleanup(flags: int, receive_override_options: list[str]) -> int:
    """Clear the flags that receive_override_options turns off."""
    for option in receive_override_options:
        flags &= ~_TRANSP_CLEARS.get(option.lower(), 0)
    return flags


def _error(detail: StatDetail) -> Reply:
    return Reply(detail.smtp, detail.dsn, f"Error: {detail.text}")


def _reason_reply(smtp: int, reason: str) -> Reply:
    dsn, _, text = reason.partition(" ")
    return Reply(smtp, dsn, text)


@dataclass(frozen=True, slots=True)
class CleanupResult:
    """What close() reports: a queue ID, and success or a reply."""

    queue_id: str
    status: int = CLEANUP_STAT_OK
    reason: str = ""  # "5.7.1 text" from header/body_checks, or ""
    queue: str | None = None  # where the file is (incoming, hold); None if not queued
    discarded: bool = False
    # CLEANUP_FLAG_BOUNCE and an error that Postfix would report to the
    # sender in a bounce notice (then answering success); pyfix does not
    # send that notice yet.
    bounce: bool = False

    @property
    def ok(self) -> bool:
        """The client may answer 250: queued, or discarded on purpose."""
        return self.status == CLEANUP_STAT_OK

    @property
    def reply(self) -> Reply | None:
        """The SMTP reply for a failure, as smtpd words it; None on success."""
        status = self.status
        if status == CLEANUP_STAT_OK:
            return None
        if status & CLEANUP_STAT_DEFER:
            detail = stat_detail(CLEANUP_STAT_DEFER)
            return _reason_reply(detail.smtp, self.reason) if self.reason else _error(detail)
        if status & CLEANUP_STAT_BAD:
            detail = stat_detail(CLEANUP_STAT_BAD)
            return Reply(detail.smtp, detail.dsn,
                         f"Error: internal error {status & ~CLEANUP_STAT_NOSPACE}")
        for bit in (CLEANUP_STAT_SIZE, CLEANUP_STAT_HOPS):
            if status & bit:
                return _error(stat_detail(bit))
        if status & CLEANUP_STAT_CONT:
            detail = stat_detail(CLEANUP_STAT_CONT)
            return _reason_reply(detail.smtp, self.reason) if self.reason else _error(detail)
        if status & CLEANUP_STAT_NOSPACE:
            return Reply(452, "4.3.1", "Insufficient system storage")
        if status & CLEANUP_STAT_WRITE:
            return _error(stat_detail(CLEANUP_STAT_WRITE))
        detail = stat_detail(CLEANUP_STAT_BAD)
        return Reply(detail.smtp, detail.dsn, f"Error: internal error {status}")
