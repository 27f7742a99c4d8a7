"""NAME
    pyfix.delivery.pipe_copy - the message as a pipe(8) command reads it

SUMMARY
    envelope_headers(), message_chunks(), has_delivered_to()

DESCRIPTION
    envelope_headers() builds what the F, R, O and D flags put in front
    of the message, in this order and with Postfix's exact text:

        From SENDER  Sat Nov 28 06:58:18 2026       (F; MAILER-DAEMON for <>)
        Return-Path: <SENDER>                        (R; <> for the null sender)
        X-Original-To: ORIGINAL_RECIPIENT            (O; only when known and
                                                      enable_original_recipient)
        Delivered-To: RECIPIENT                      (D)

    Addresses are in external (quoted) form.  The sender is what the
    service made of it: null_sender= replaces the null sender first.

    message_chunks() turns the queue file's content lines into the byte
    stream for the command: each line ends with the eol= text; with the
    "." flag a line starting with "." gets another "."; with ">" a line
    starting with "From " gets a ">"; with "B" a blank line follows the
    message.  It yields blocks of about 64 kbytes.

    has_delivered_to() is the D flag's loop check: whether the message
    header already has a Delivered-To: header with the recipient
    (compared without regard to case, in quoted form).

    Parameters read: none; the caller passes enable_original_recipient.

DIAGNOSTICS
    QueueFileCorrupt from the queue file reader passes through.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator

from pyfix.address.quote import quote_822_local

MAIL_ADDR_MAIL_DAEMON = "MAILER-DAEMON"
CHUNK = 65536
_HEADER = re.compile(rb"[\x21-\x39\x3b-\x7e\x80-\xff]+[ \t]*:")


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def envelope_headers(flags: frozenset[str], sender: str, orig_rcpt: str, delivered: str,
                     eol: bytes, enable_orcpt: bool = True, now: float | None = None) -> bytes:
    out = bytearray()
    quoted = quote_822_local(sender)
    if "F" in flags:
        stamp = time.asctime(time.localtime(time.time() if now is None else now))[:24]
        out += _b(f"From {quoted if sender else MAIL_ADDR_MAIL_DAEMON}  {stamp}") + eol
    if "R" in flags:
        out += _b(f"Return-Path: <{quoted if sender else ''}>") + eol
    if "O" in flags and enable_orcpt and orig_rcpt:
        out += _b(f"X-Original-To: {quote_822_local(orig_rcpt)}") + eol
    if "D" in flags:
        out += _b(f"Delivered-To: {quote_822_local(delivered)}") + eol
    return bytes(out)


def message_chunks(lines: Iterable[bytes], flags: frozenset[str], eol: bytes,
                   ) -> Iterator[bytes]:
    quote_from = ">" in flags
    dot = "." in flags
    chunk = bytearray()
    for line in lines:
        if quote_from and line.startswith(b"From "):
            chunk += b">"
        if dot and line.startswith(b"."):
            chunk += b"."
        chunk += line
        chunk += eol
        if len(chunk) >= CHUNK:
            yield bytes(chunk)
            chunk.clear()
    if "B" in flags:
        chunk += eol
    if chunk:
        yield bytes(chunk)


def has_delivered_to(lines: Iterable[bytes], recipient: str, limit: int = 1000) -> bool:
    """Whether the primary header has "Delivered-To: recipient"."""
    wanted = _b(quote_822_local(recipient)).lower()
    seen = 0
    for line in lines:
        if _HEADER.match(line):
            name, _, value = line.partition(b":")
            if name.rstrip(b" \t").lower() == b"delivered-to":
                seen += 1
                if value.lstrip(b" \t").lower() == wanted:
                    return True
                if seen >= limit:
                    return False
        elif line[:1] not in (b" ", b"\t"):
            return False
    return False
