"""NAME
    pyfix.cleanup.output - write cleanup's records to the queue file

SUMMARY
    CleanupOutput

DESCRIPTION
    CleanupOutput is the only way the cleanup library writes to the
    queue file (Postfix's cleanup_out.c).  Every method does nothing once
    output no longer makes sense (CleanupState.out_ok), so that the rest
    of the code need not check.

    out() writes one record; text records longer than line_length_limit
    become REC_TYPE_CONT records followed by one REC_TYPE_NORM record.

    out_header() writes one header whose lines are separated by "\\n":
    each line is one REC_TYPE_NORM record, and a continuation line that
    does not start with white space gets a TAB in front (such lines come
    from address rewriting).  A header longer than header_size_limit is
    cut: at the last line boundary before the limit when that keeps more
    than 90% of the limit ("nice cut"), otherwise right at the limit
    ("unkind cut").  A header with non-ASCII text raises the SMTPUTF8
    "header" flag of the size record (with smtputf8_enable).

    The queue file may not grow beyond message_size_limit (when it is
    not zero), as Postfix's cleanup enforces with a file size limit.

    Parameters read: header_size_limit, line_length_limit,
    message_size_limit, smtputf8_enable (through CleanupSettings).

DIAGNOSTICS
    A write error sets CLEANUP_STAT_WRITE and logs "QUEUEID: write queue
    file: REASON"; too big a file sets CLEANUP_STAT_SIZE and logs
    "QUEUEID: queue file size limit exceeded".  Either way the queue
    file has been removed, and later output is ignored.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pyfix.cleanup.settings import CleanupSettings
from pyfix.cleanup.state import SMTPUTF8_FLAG_HEADER, SMTPUTF8_FLAG_REQUESTED, CleanupState
from pyfix.cleanup.status import (
    CLEANUP_FLAG_AUTOUTF8,
    CLEANUP_STAT_NOSPACE,
    CLEANUP_STAT_SIZE,
    CLEANUP_STAT_WRITE,
)
from pyfix.log.maillog import MailLog
from pyfix.queue.errors import QueueFileTooBig, QueueNoSpace, QueueWriteError
from pyfix.queue.records import REC_TYPE_CONT, REC_TYPE_NORM
from pyfix.queue.writer import QueueFileWriter

TEXT_TYPES = (REC_TYPE_NORM, REC_TYPE_CONT)


class CleanupOutput:
    def __init__(self, writer: QueueFileWriter, state: CleanupState,
                 settings: CleanupSettings, log: MailLog) -> None:
        self.writer = writer
        self.state = state
        self.settings = settings
        self.log = log
        self.size_limit = settings.message_size_limit

    def out(self, rec_type: int, data: bytes) -> int:
        """Write one record; return its offset (-1 when nothing was written)."""
        state = self.state
        if not state.out_ok:
            return -1
        writer = self.writer
        offset = writer.tell()
        try:
            if rec_type in TEXT_TYPES:
                writer.put_text(data, rec_type)
            else:
                writer.put(rec_type, data)
        except QueueWriteError as exc:
            self.failed(exc)
            return -1
        if 0 < self.size_limit < writer.tell():
            self.failed(QueueFileTooBig("file size limit"))
            return -1
        return offset

    def out_body(self, records: Iterable[tuple[bytes, bool]], replace_cr_lf: bool) -> int:
        """Many body lines at once (no body checks apply); return the bytes
        of content they held, for the caller's body offset."""
        if not self.state.out_ok:
            return 0
        lines: list[tuple[bytes, int]] = []
        total = 0
        for data, continued in records:
            if replace_cr_lf and (b"\r" in data or b"\n" in data):
                data = data.replace(b"\r", b" ").replace(b"\n", b" ")
            total += len(data) + 1
            lines.append((data, REC_TYPE_CONT if continued else REC_TYPE_NORM))
        writer = self.writer
        try:
            writer.put_texts(lines)
        except QueueWriteError as exc:
            self.failed(exc)
            return total
        if 0 < self.size_limit < writer.tell():
            self.failed(QueueFileTooBig("file size limit"))
        return total

    def out_string(self, rec_type: int, text: str) -> int:
        return self.out(rec_type, text.encode("utf-8", "surrogateescape"))

    def failed(self, exc: QueueWriteError) -> None:
        """Record a write error; the writer has removed (or now removes) the file."""
        state = self.state
        self.writer.abort()
        if isinstance(exc, QueueFileTooBig):
            self.log.warn(f"{state.queue_id}: queue file size limit exceeded")
            state.errs |= CLEANUP_STAT_SIZE
            return
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        self.log.warn(f"{state.queue_id}: write queue file: {reason}")
        state.errs |= CLEANUP_STAT_WRITE
        if isinstance(exc, QueueNoSpace):
            state.errs |= CLEANUP_STAT_NOSPACE

    def out_header(self, header: bytes) -> None:
        """Write one (possibly multi-line) header, cut at header_size_limit."""
        state = self.state
        if self.settings.smtputf8_enable and header and not header.isascii():
            state.smtputf8 |= SMTPUTF8_FLAG_HEADER
            if state.flags & CLEANUP_FLAG_AUTOUTF8:
                state.smtputf8 |= SMTPUTF8_FLAG_REQUESTED
        limit = self.settings.header_size_limit
        start = 0
        first = True
        while start >= 0:
            end = header.find(b"\n", start)
            line = header[start:] if end < 0 else header[start:end]
            if start + len(line) > limit:
                if start > 0.9 * limit:  # nice cut
                    break
                line = line[: limit - start]  # unkind cut
                end = -1
            if first or line[:1] in (b" ", b"\t"):
                self.out(REC_TYPE_NORM, line)
            else:
                self.out(REC_TYPE_NORM, b"\t" + line)
            first = False
            start = end + 1 if end >= 0 else -1
