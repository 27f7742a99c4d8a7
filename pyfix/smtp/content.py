"""NAME
    pyfix.smtp.content - message content from DATA and BDAT

SUMMARY
    DataReader, BdatReader

DESCRIPTION
    Both readers turn client bytes into content records (events.Record):
    one record per line without its CRLF, and lines longer than
    line_length_limit split into pieces (REC_CONT) followed by the rest
    (REC_NORM).  Records are handed out as they are read; a message is
    never held in memory.

    Size: each stored line counts its length plus two, as Postfix does.
    When message_size_limit would be exceeded, storing stops, a warning
    "QUEUEID: queue file size limit exceeded" is logged, and reading goes
    on to the end of the message so that the reply comes in turn.

    DataReader (after "354"): a line "." ends the message; a leading dot
    is removed from other lines.  With bare newline detection on, a "."
    line that ends in a bare LF, or that follows a line that did, does
    not end the message and is dropped: only "\\r\\n.\\r\\n" ends DATA.
    Postfix's two content fixes are applied: leading "From " lines (also
    ">From ") become "X-Mailbox-Line:" headers, and content that starts
    with white space gets an empty line in front, so that it is not
    taken as part of smtpd's own Received: header.

    BdatReader reads exactly the chunk size, in pieces of up to 4096
    bytes as Postfix does, with no dot or From processing; a line may
    continue in the next chunk, and a last line without newline at the
    end of BDAT LAST is still a line.

    With smtpd_forbid_bare_newline = reject, a line ending in a bare LF
    marks the message (ContentError.BARE_LF); the reply comes after the
    whole message was read.

    Parameters read: none (the caller passes message_size_limit,
    line_length_limit and the bare newline mode).

DIAGNOSTICS
    Log lines are collected in .logs as (level, text) pairs.
"""

from __future__ import annotations

from pyfix.smtp.events import REC_CONT, REC_NORM, Record
from pyfix.smtp.lines import CR, LF, InputBuffer
from pyfix.smtp.session import ContentError, MailState

FRAGMENT_SIZE = 4096  # Postfix's VSTREAM_BUFSIZE


class _Store:
    """Size accounting shared by DATA and BDAT."""

    def __init__(self, mail: MailState, size_limit: int) -> None:
        self.mail = mail
        self.size_limit = size_limit
        self.records: list[Record] = []
        self.logs: list[tuple[str, str]] = []
        self.finished = False  # all content read (and handed out)

    def put(self, kind: str, data: bytes) -> None:
        mail = self.mail
        if mail.errors:
            return
        if self.size_limit > 0 and self.size_limit - mail.act_size < len(data) + 2:
            mail.errors.add(ContentError.SIZE)
            queue_id = mail.queue_id or "NOQUEUE"
            self.logs.append(("warning", f"{queue_id}: queue file size limit exceeded"))
            return
        mail.act_size += len(data) + 2
        self.records.append(Record(kind, data))

    def put_extra(self, kind: str, data: bytes) -> None:
        """A record that smtpd adds itself (not counted in the size)."""
        if not self.mail.errors:
            self.records.append(Record(kind, data))

    def take(self) -> list[Record]:
        records, self.records = self.records, []
        return records


class DataReader(_Store):
    def __init__(
        self, mail: MailState, size_limit: int, line_limit: int, detect: bool, reject: bool
    ) -> None:
        super().__init__(mail, size_limit)
        self.line_limit = line_limit
        self.detect = detect
        self.reject = reject
        self.first = True
        self.prev_cont = False
        self.prev_bare_lf = False

    def read(self, buf: InputBuffer) -> bool:
        """Read what has arrived; True at the end of the message."""
        while True:
            line = buf.read_line(self.line_limit, self.detect)
            if line is None:
                return False
            kind = REC_NORM if line.complete else REC_CONT
            if self.reject and line.bare_lf:
                self.mail.errors.add(ContentError.BARE_LF)
            data = line.data
            prev_cont, prev_bare_lf = self.prev_cont, self.prev_bare_lf
            self.prev_cont, self.prev_bare_lf = not line.complete, line.bare_lf
            if self.first:
                if data.lstrip(b">").startswith(b"From "):
                    self.put_extra(kind, b"X-Mailbox-Line: " + data.split(b"\0", 1)[0])
                    continue
                self.first = False
                if data[:1] in (b" ", b"\t"):
                    self.put_extra(REC_NORM, b"")
            if not prev_cont and data[:1] == b".":
                if len(data) == 1 and self.detect and (line.bare_lf or prev_bare_lf):
                    continue
                data = data[1:]
                if not data:
                    return True
            self.put(kind, data)


class BdatReader(_Store):
    """One BDAT chunk; the partial last line lives on in mail.bdat_pending."""

    def __init__(
        self,
        mail: MailState,
        size_limit: int,
        line_limit: int,
        detect: bool,
        reject: bool,
        chunk_size: int,
        last: bool,
    ) -> None:
        super().__init__(mail, size_limit)
        self.line_limit = line_limit
        self.detect = detect
        self.reject = reject
        self.chunk_size = chunk_size
        self.last = last
        self.done = 0
        self.started = False

    @property
    def unread(self) -> int:
        return self.chunk_size - self.done

    def received_size(self, buf: InputBuffer) -> int:
        """Postfix's byte count for "lost connection after BDAT (N bytes)"."""
        fragment = min(FRAGMENT_SIZE, self.unread)
        return self.mail.act_size + min(len(buf), fragment) + len(self.mail.bdat_pending)

    def read(self, buf: InputBuffer) -> bool:
        """Read complete fragments that have arrived; True at chunk end."""
        while not self.started or self.done < self.chunk_size:
            read_len = min(FRAGMENT_SIZE, self.chunk_size - self.done)
            if len(buf) < read_len:
                return False
            self.started = True
            fragment = buf.read_bytes(read_len)
            self._split(fragment, self.last and read_len == self.chunk_size - self.done)
            self.done += read_len
        return True

    def _split(self, frag: bytes, final: bool) -> None:
        pending = self.mail.bdat_pending
        pos, end, eof = 0, len(frag), False
        while True:
            can_read = self.line_limit - len(pending)
            bound = can_read if can_read > 0 else 1
            newline = frag.find(b"\n", pos, min(end, pos + bound))
            stop = newline + 1 if newline >= 0 else min(end, pos + bound)
            if newline < 0 and stop - pos < bound:
                eof = True
            got = frag[pos:stop]
            pending += got
            pos = stop
            last = got[-1] if got else -1
            if last == CR:
                if pos >= end:
                    eof = True
                elif frag[pos] == LF:
                    pending.append(LF)
                    pos += 1
                    last = LF
            bare_lf = False
            if last == LF:
                del pending[-1]
                if self.detect:
                    if pending[-1:] == b"\r":
                        del pending[-1]
                    else:
                        bare_lf = True
                else:
                    while pending[-1:] == b"\r":
                        del pending[-1]
                kind = REC_NORM
            elif len(pending) > self.line_limit:
                pos -= 1
                del pending[-1]
                kind = REC_CONT
            elif not eof:
                kind = REC_CONT
            elif pending and final:
                kind = REC_NORM
            else:
                return
            if self.reject and bare_lf:
                self.mail.errors.add(ContentError.BARE_LF)
            self.put(kind, bytes(pending))
            pending.clear()
            self.mail.bdat_prev_cont = kind == REC_CONT
            if eof:
                return
