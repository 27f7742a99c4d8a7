"""NAME
    pyfix.smtp.content - message content from DATA and BDAT

SUMMARY
    DataReader, BdatReader

DESCRIPTION
    Both readers turn client bytes into content records (events.Record):
    one record per line without its CRLF, and lines longer than
    line_length_limit split into pieces (REC_CONT) followed by the rest
    (REC_NORM).  Records are handed out as they are read; a message is
    never held in memory.  Complete lines that have arrived are taken in
    bulk (InputBuffer.peek_lines(), BdatReader._split_lines()) wherever
    that gives the same records as taking them one at a time; the first
    line, over-long lines and partial input go the line-at-a-time way.

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

from collections.abc import Iterable
from functools import partial
from itertools import compress, repeat
from operator import itemgetter, not_, or_

from pyfix.smtp.events import REC_CONT, REC_NORM, Record
from pyfix.smtp.lines import CR, LF, InputBuffer
from pyfix.smtp.session import ContentError, MailState

FRAGMENT_SIZE = 4096  # Postfix's VSTREAM_BUFSIZE

_new_record = partial(tuple.__new__, Record)  # Record(kind, data) without a Python call
_chop = itemgetter(slice(None, -1))  # drop the CR of a CRLF line
_BULK_MIN = 4  # fewer complete lines are cheaper one by one


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
        self.records.append(_new_record((kind, data)))

    def put_lines(self, lines: list[bytes], detect: bool) -> None:
        """put(REC_NORM, ...) each line (with CR, without LF; with
        detection on, each one ends in CR) after removing its CR, but
        with one size check and one list operation for all of them."""
        mail = self.mail
        if mail.errors:
            return
        datas = list(map(_chop, lines) if detect else map(bytes.rstrip, lines, repeat(b"\r")))
        size = sum(map(len, datas)) + 2 * len(datas)
        if self.size_limit > 0 and self.size_limit - mail.act_size < size:
            for data in datas:  # the limit is reached in these lines: one by one
                self.put(REC_NORM, data)
            return
        mail.act_size += size
        self.records.extend(map(tuple.__new__, repeat(Record), zip(repeat(REC_NORM), datas)))

    def put_extra(self, kind: str, data: bytes) -> None:
        """A record that smtpd adds itself (not counted in the size)."""
        if not self.mail.errors:
            self.records.append(_new_record((kind, data)))

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
            if not self.first and not self.prev_cont:
                lines = buf.peek_lines(self.line_limit)
                if lines and self._read_lines(buf, lines):
                    return True
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

    def _read_lines(self, buf: InputBuffer, lines: list[bytes]) -> bool:
        """The bulk path of read() for the lines from buf.peek_lines():
        complete lines that read_line() would return whole, at the start
        of a line after the first line.  Runs of plain lines (no leading
        dot, and with detection on, a CRLF ending) are stored at once;
        the others one by one with the rules of read().  True at the end
        of the message."""
        detect = self.detect
        count = len(lines)
        singles: Iterable[int] = range(count)  # the lines to take one by one
        if count >= _BULK_MIN:
            special = map(bytes.startswith, lines, repeat(b"."))
            if detect:
                special = map(or_, special, map(not_, map(bytes.endswith, lines, repeat(b"\r"))))
            singles = compress(singles, special)
        start = 0
        for index in (*singles, count):
            if index > start:
                self._put_plain(lines[start:index])
            if index == count:
                break
            start = index + 1
            raw = lines[index]
            bare_lf = False
            if not detect:
                data = raw.rstrip(b"\r")
            elif raw[-1:] == b"\r":
                data = raw[:-1]
            else:
                data, bare_lf = raw, True
                if self.reject:
                    self.mail.errors.add(ContentError.BARE_LF)
            prev_bare_lf, self.prev_bare_lf = self.prev_bare_lf, bare_lf
            if data[:1] == b".":
                if len(data) == 1 and detect and (bare_lf or prev_bare_lf):
                    continue
                data = data[1:]
                if not data:
                    buf.discard(sum(map(len, lines[:start])) + start)
                    return True
            self.put(REC_NORM, data)
        buf.discard(sum(map(len, lines)) + count)
        return False

    def _put_plain(self, lines: list[bytes]) -> None:
        """Store complete lines that need no dot or bare newline rule."""
        self.prev_bare_lf = False
        self.put_lines(lines, self.detect)


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
            if not pending:
                pos = self._split_lines(frag, pos)
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

    def _split_lines(self, frag: bytes, pos: int) -> int:
        """The bulk part of _split() when no partial line is pending: the
        complete lines shorter than line_limit from frag[pos:], as the
        loop of _split() would store them.  Returns the offset after them."""
        limit = self.line_limit
        if frag.find(b"\n", pos, pos + limit) < 0:
            return pos
        lines = frag[pos : frag.rfind(b"\n")].split(b"\n")
        if max(map(len, lines)) >= limit:
            del lines[next(i for i, line in enumerate(lines) if len(line) >= limit) :]
        self.mail.bdat_prev_cont = False
        if not self.detect or all(map(bytes.endswith, lines, repeat(b"\r"))):
            self.put_lines(lines, self.detect)
        else:
            for raw in lines:
                if raw[-1:] == b"\r":
                    self.put(REC_NORM, raw[:-1])
                    continue
                if self.reject:
                    self.mail.errors.add(ContentError.BARE_LF)
                self.put(REC_NORM, raw)
        return pos + sum(map(len, lines)) + len(lines)
