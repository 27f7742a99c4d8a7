"""NAME
    pyfix.cleanup.headers - message header names that cleanup knows

SUMMARY
    HeaderOpts, HeaderTable, is_header(), HDR_*, HDR_OPT_*

DESCRIPTION
    is_header() tells whether a line starts a message header, as
    Postfix's is_header_buf() does: a name of printable ASCII characters
    other than ":", optionally followed by spaces or tabs, then ":".  It
    returns the length of the name (without the blanks), or 0.  A mailbox
    "From " line is therefore not a header.

    HeaderTable.find() looks a header name up without regard to case
    and returns its HeaderOpts: the header type (HDR_*, as in Postfix's
    header_opts.h) and flags:

        HDR_OPT_DROP     delete from the message (message_drop_headers)
        HDR_OPT_SENDER   holds sender addresses (rewritten as such)
        HDR_OPT_RECIP    holds recipient addresses
        HDR_OPT_RR       a Resent- header
        HDR_OPT_EXTRACT  recipients that "sendmail -t" would extract
        HDR_OPT_MIME     a MIME header

    Names in message_drop_headers that cleanup does not otherwise know
    become HDR_OTHER entries with only the DROP flag.

    Parameters read: message_drop_headers (passed in).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

HDR_OTHER: Final = 0
HDR_APPARENTLY_TO: Final = 1
HDR_BCC: Final = 2
HDR_CC: Final = 3
HDR_CONTENT_LENGTH: Final = 4
HDR_CONTENT_TRANSFER_ENCODING: Final = 5
HDR_CONTENT_TYPE: Final = 6
HDR_DATE: Final = 7
HDR_DELIVERED_TO: Final = 8
HDR_ERRORS_TO: Final = 9
HDR_FROM: Final = 10
HDR_MESSAGE_ID: Final = 11
HDR_RECEIVED: Final = 12
HDR_REPLY_TO: Final = 13
HDR_RESENT_BCC: Final = 14
HDR_RESENT_CC: Final = 15
HDR_RESENT_DATE: Final = 16
HDR_RESENT_FROM: Final = 17
HDR_RESENT_MESSAGE_ID: Final = 18
HDR_RESENT_REPLY_TO: Final = 19
HDR_RESENT_SENDER: Final = 20
HDR_RESENT_TO: Final = 21
HDR_RETURN_PATH: Final = 22
HDR_RETURN_RECEIPT_TO: Final = 23
HDR_SENDER: Final = 24
HDR_TO: Final = 25
HDR_MAIL_FOLLOWUP_TO: Final = 26
HDR_CONTENT_DESCRIPTION: Final = 27
HDR_CONTENT_DISPOSITION: Final = 28
HDR_CONTENT_ID: Final = 29
HDR_MIME_VERSION: Final = 30
HDR_DISP_NOTIFICATION: Final = 31

HDR_OPT_DROP: Final = 1 << 0
HDR_OPT_SENDER: Final = 1 << 1
HDR_OPT_RECIP: Final = 1 << 2
HDR_OPT_RR: Final = 1 << 3
HDR_OPT_EXTRACT: Final = 1 << 4
HDR_OPT_MIME: Final = 1 << 5
HDR_OPT_XRECIP: Final = HDR_OPT_RECIP | HDR_OPT_EXTRACT


@dataclass(frozen=True, slots=True)
class HeaderOpts:
    name: str
    type: int
    flags: int


_KNOWN: Final = (
    HeaderOpts("Apparently-To", HDR_APPARENTLY_TO, HDR_OPT_RECIP),
    HeaderOpts("Bcc", HDR_BCC, HDR_OPT_XRECIP),
    HeaderOpts("Cc", HDR_CC, HDR_OPT_XRECIP),
    HeaderOpts("Content-Description", HDR_CONTENT_DESCRIPTION, HDR_OPT_MIME),
    HeaderOpts("Content-Disposition", HDR_CONTENT_DISPOSITION, HDR_OPT_MIME),
    HeaderOpts("Content-ID", HDR_CONTENT_ID, HDR_OPT_MIME),
    HeaderOpts("Content-Length", HDR_CONTENT_LENGTH, 0),
    HeaderOpts("Content-Transfer-Encoding", HDR_CONTENT_TRANSFER_ENCODING, HDR_OPT_MIME),
    HeaderOpts("Content-Type", HDR_CONTENT_TYPE, HDR_OPT_MIME),
    HeaderOpts("Delivered-To", HDR_DELIVERED_TO, 0),
    HeaderOpts("Disposition-Notification-To", HDR_DISP_NOTIFICATION, HDR_OPT_SENDER),
    HeaderOpts("Date", HDR_DATE, 0),
    HeaderOpts("Errors-To", HDR_ERRORS_TO, HDR_OPT_SENDER),
    HeaderOpts("From", HDR_FROM, HDR_OPT_SENDER),
    HeaderOpts("Mail-Followup-To", HDR_MAIL_FOLLOWUP_TO, HDR_OPT_SENDER),
    HeaderOpts("Message-Id", HDR_MESSAGE_ID, 0),
    HeaderOpts("MIME-Version", HDR_MIME_VERSION, HDR_OPT_MIME),
    HeaderOpts("Received", HDR_RECEIVED, 0),
    HeaderOpts("Reply-To", HDR_REPLY_TO, HDR_OPT_SENDER),
    HeaderOpts("Resent-Bcc", HDR_RESENT_BCC, HDR_OPT_XRECIP | HDR_OPT_RR),
    HeaderOpts("Resent-Cc", HDR_RESENT_CC, HDR_OPT_XRECIP | HDR_OPT_RR),
    HeaderOpts("Resent-Date", HDR_RESENT_DATE, HDR_OPT_RR),
    HeaderOpts("Resent-From", HDR_RESENT_FROM, HDR_OPT_SENDER | HDR_OPT_RR),
    HeaderOpts("Resent-Message-Id", HDR_RESENT_MESSAGE_ID, HDR_OPT_RR),
    HeaderOpts("Resent-Reply-To", HDR_RESENT_REPLY_TO, HDR_OPT_RECIP | HDR_OPT_RR),
    HeaderOpts("Resent-Sender", HDR_RESENT_SENDER, HDR_OPT_SENDER | HDR_OPT_RR),
    HeaderOpts("Resent-To", HDR_RESENT_TO, HDR_OPT_XRECIP | HDR_OPT_RR),
    HeaderOpts("Return-Path", HDR_RETURN_PATH, HDR_OPT_SENDER),
    HeaderOpts("Return-Receipt-To", HDR_RETURN_RECEIPT_TO, HDR_OPT_SENDER),
    HeaderOpts("Sender", HDR_SENDER, HDR_OPT_SENDER),
    HeaderOpts("To", HDR_TO, HDR_OPT_XRECIP),
)

_BLANKS: Final = b" \t"


def is_header(line: bytes) -> int:
    """The length of the header name that line starts with, or 0."""
    length = 0
    blanks = False
    for byte in line:
        if byte == 0x3A:  # ":"
            return length
        if byte in (0x20, 0x09):
            if length == 0:
                return 0
            blanks = True
            continue
        if byte < 0x21 or byte > 0x7E or blanks:
            return 0
        length += 1
    return 0


class HeaderTable:
    """Known headers plus the message_drop_headers flags."""

    def __init__(self, drop_headers: Iterable[str] = ()) -> None:
        table = {opts.name.lower(): opts for opts in _KNOWN}
        for name in drop_headers:
            key = name.lower()
            known = table.get(key)
            if known is None:
                table[key] = HeaderOpts(key, HDR_OTHER, HDR_OPT_DROP)
            else:
                table[key] = replace(known, flags=known.flags | HDR_OPT_DROP)
        self._table = table

    def find(self, header: bytes) -> HeaderOpts | None:
        """The options of the header that starts header ("Name: value")."""
        name, colon, _ = header.partition(b":")
        if not colon:
            return None
        return self._table.get(name.rstrip(_BLANKS).decode("latin-1").lower())
