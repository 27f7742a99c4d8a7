"""NAME
    pyfix.delivery.mailbox.copy - copy a queued message to a mailbox, file or pipe

SUMMARY
    CopyAttrs, copy_message(), envelope_headers(), COPY_*

DESCRIPTION
    copy_message() writes the message content of a queue file to an open
    file descriptor the way Postfix's local and virtual agents write it.
    The COPY_* bits say what to add:

    COPY_FROM           the mbox separator "From SENDER  DATE", with
                        MAILER-DAEMON for the null sender and DATE in
                        asctime() form, local time;
    COPY_RETURN_PATH    "Return-Path: <SENDER>";
    COPY_ORIG_RCPT      "X-Original-To: ORIGINAL" (only with
                        enable_original_recipient and a non-empty
                        original recipient);
    COPY_DELIVERED      "Delivered-To: RECIPIENT";
    COPY_QUOTE          ">" before content lines that start with "From ";
    COPY_DOT            "." before content lines that start with ".";
    COPY_BLANK          an empty line after the message;
    COPY_TOFILE         fsync() the file, and truncate it back to its
                        old length when anything failed.

    Addresses in these lines are in quoted (external) form.  COPY_MBOX
    is what a mailbox gets: all of the above except COPY_DOT.

    Parameters read: none; the caller passes enable_original_recipient.

DIAGNOSTICS
    CopyError carries a DSN status and Postfix's text: "error reading
    message: ..." (4.3.0 when the error is temporary, else 5.3.0) or
    "error writing message: ..." (4.2.0 for EAGAIN, 4.3.0 for a full
    file system, 5.2.2 for a full mailbox (EFBIG, EDQUOT), else
    5.3.0).  A damaged queue file raises CopyError with corrupt=True.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from pyfix.address.quote import quote_822_local
from pyfix.queue.errors import QueueFileCorrupt

COPY_QUOTE: Final = 1 << 0
COPY_TOFILE: Final = 1 << 1
COPY_FROM: Final = 1 << 2
COPY_DELIVERED: Final = 1 << 3
COPY_RETURN_PATH: Final = 1 << 4
COPY_DOT: Final = 1 << 5
COPY_BLANK: Final = 1 << 6
COPY_ORIG_RCPT: Final = 1 << 7
COPY_MBOX: Final = (COPY_FROM | COPY_QUOTE | COPY_TOFILE | COPY_DELIVERED
                    | COPY_RETURN_PATH | COPY_BLANK | COPY_ORIG_RCPT)

MAILER_DAEMON: Final = "MAILER-DAEMON"
WRITE_CHUNK: Final = 64 * 1024


def mbox_dsn(err: int, default: str) -> str:
    """The DSN status for a mailbox error (Postfix's mbox_dsn())."""
    if err in (errno.EAGAIN, errno.ESTALE):
        return "4.2.0"
    if err == errno.ENOSPC:
        return "4.3.0"
    if err in (errno.EDQUOT, errno.EFBIG):
        return "5.2.2"
    return default


class CopyError(Exception):
    def __init__(self, status: str, reason: str, corrupt: bool = False,
                 err: int = 0) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.corrupt = corrupt
        self.errno = err


@dataclass(frozen=True)
class CopyAttrs:
    sender: str
    orig_rcpt: str
    delivered: str
    enable_orcpt: bool = True


def envelope_headers(attrs: CopyAttrs, flags: int, eol: bytes = b"\n",
                     now: float | None = None) -> bytes:
    """The lines that go before the message content."""
    out: list[str] = []
    sender = quote_822_local(attrs.sender) if attrs.sender else ""
    if flags & COPY_FROM:
        stamp = time.asctime(time.localtime(time.time() if now is None else now))
        out.append(f"From {sender or MAILER_DAEMON}  {stamp[:24]}")
    if flags & COPY_RETURN_PATH:
        out.append(f"Return-Path: <{sender}>")
    if flags & COPY_ORIG_RCPT and attrs.enable_orcpt and attrs.orig_rcpt:
        out.append(f"X-Original-To: {quote_822_local(attrs.orig_rcpt)}")
    if flags & COPY_DELIVERED:
        out.append(f"Delivered-To: {quote_822_local(attrs.delivered)}")
    return b"".join(line.encode("utf-8", "surrogateescape") + eol for line in out)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def copy_message(fd: int, lines: Iterable[bytes], attrs: CopyAttrs, flags: int,
                 eol: bytes = b"\n") -> None:
    """Write the message to fd; on failure truncate (COPY_TOFILE) and raise."""
    orig_length = os.lseek(fd, 0, os.SEEK_END) if flags & COPY_TOFILE else 0
    try:
        _copy(fd, lines, attrs, flags, eol)
    except BaseException:
        if flags & COPY_TOFILE:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, orig_length)
        raise


def _copy(fd: int, lines: Iterable[bytes], attrs: CopyAttrs, flags: int, eol: bytes) -> None:
    buffer = bytearray(envelope_headers(attrs, flags, eol))
    iterator = iter(lines)
    while True:
        try:
            line = next(iterator, None)
        except QueueFileCorrupt as exc:
            raise CopyError("4.3.0", f"bad record type in message content: {exc}",
                            corrupt=True) from None
        except OSError as exc:
            temporary = exc.errno in (errno.EAGAIN, errno.ESTALE)
            raise CopyError("4.3.0" if temporary else "5.3.0",
                            f"error reading message: {exc.strerror}", err=exc.errno or 0
                            ) from None
        if line is None:
            break
        if flags & COPY_QUOTE and line.startswith(b"From "):
            buffer += b">"
        if flags & COPY_DOT and line.startswith(b"."):
            buffer += b"."
        buffer += line
        buffer += eol
        if len(buffer) >= WRITE_CHUNK:
            _flush(fd, buffer)
    if flags & COPY_BLANK:
        buffer += eol
    _flush(fd, buffer)
    if flags & COPY_TOFILE:
        try:
            os.fsync(fd)
        except OSError as exc:
            raise _write_error(exc) from None


def _flush(fd: int, buffer: bytearray) -> None:
    try:
        _write_all(fd, bytes(buffer))
    except OSError as exc:
        raise _write_error(exc) from None
    buffer.clear()


def _write_error(exc: OSError) -> CopyError:
    err = exc.errno or errno.EIO
    return CopyError(mbox_dsn(err, "5.3.0"), f"error writing message: {os.strerror(err)}",
                     err=err)
