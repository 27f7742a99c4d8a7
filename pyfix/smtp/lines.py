"""NAME
    pyfix.smtp.lines - SMTP input buffer and bounded line reader

SUMMARY
    InputBuffer, Line

DESCRIPTION
    InputBuffer holds the bytes received from the client that the
    protocol has not consumed yet.  read_line() takes one line the way
    Postfix's smtp_get() does:

    - at most `bound` bytes (line_length_limit) including the newline
      are taken; a longer line is returned in pieces with complete=False
      (the caller may skip the rest, as Postfix does for commands);
    - when the bound ends right after a CR, one more byte is looked at,
      so that CRLF is not split;
    - the line terminator is removed.  With bare newline detection on
      (smtpd_forbid_bare_newline other than "no", client not excluded)
      only CRLF and LF end a line, one CR before LF is removed and a line
      that ended in a bare LF is flagged; with detection off, every CR
      before the LF is removed.  A CR that is not followed by LF is data.

    peek_lines() is the bulk form for message content: it returns the
    complete lines at the front of the buffer (with their CR, without
    the LF) up to the first one that read_line() would not return whole
    in one call, and does not consume them; the caller discard()s what
    it used.  It looks at no more than `window` bytes so that a caller
    that stops early does not rescan a large buffer.

    read_line() returns None when it needs more input.  Nothing here
    reads from a socket: feed() appends what the caller received, and
    mark_eof() records that the client closed its side.

    Parameters read: none (the caller passes line_length_limit).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from typing import NamedTuple

CR = 0x0D
LF = 0x0A
_COMPACT_AT = 65536
PEEK_WINDOW = 32768


class Line(NamedTuple):
    """One line (or a piece of an over-long line) from the client."""

    data: bytes
    complete: bool  # the line ended with LF; False for a piece of a long line
    bare_lf: bool  # the line ended with LF without CR (detection on only)


def strip_terminator(raw: bytes, detect_bare_lf: bool) -> Line:
    """Remove the CR before the LF that ended raw (raw excludes the LF)."""
    if detect_bare_lf:
        if raw[-1:] == b"\r":
            return Line(raw[:-1], True, False)
        return Line(raw, True, True)
    return Line(raw.rstrip(b"\r"), True, False)


class InputBuffer:
    """Client bytes not yet consumed, with Postfix's line discipline."""

    __slots__ = ("_buf", "_pos", "eof")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.eof = False

    def feed(self, data: bytes) -> None:
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif self._pos >= _COMPACT_AT and self._pos * 2 >= len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def mark_eof(self) -> None:
        self.eof = True

    def __len__(self) -> int:
        return len(self._buf) - self._pos

    def peek(self, count: int) -> bytes:
        return bytes(self._buf[self._pos : self._pos + count])

    def read_line(self, bound: int, detect_bare_lf: bool) -> Line | None:
        buf = self._buf
        start = self._pos
        end = len(buf)
        newline = buf.find(b"\n", start, min(end, start + bound))
        if newline >= 0:
            self._pos = newline + 1
            return strip_terminator(bytes(buf[start:newline]), detect_bare_lf)
        if end - start < bound:
            return None
        stop = start + bound
        if buf[stop - 1] == CR:
            if end == stop:
                return None
            if buf[stop] == LF:
                self._pos = stop + 1
                return strip_terminator(bytes(buf[start:stop]), detect_bare_lf)
        self._pos = stop
        return Line(bytes(buf[start:stop]), False, False)

    def peek_lines(self, bound: int, window: int = PEEK_WINDOW) -> list[bytes]:
        """Complete lines shorter than bound, unconsumed (see DESCRIPTION)."""
        buf = self._buf
        start = self._pos
        if buf.find(b"\n", start, start + bound) < 0:
            return []
        last = buf.rfind(b"\n", start, start + window)
        if last < 0:
            return []
        lines = bytes(buf[start:last]).split(b"\n")
        if max(map(len, lines)) >= bound:
            del lines[next(i for i, line in enumerate(lines) if len(line) >= bound) :]
        return lines

    def skip_line(self) -> bool:
        """Discard input through the next LF; False when none arrived yet."""
        newline = self._buf.find(b"\n", self._pos)
        if newline < 0:
            self._pos = len(self._buf)
            return False
        self._pos = newline + 1
        return True

    def read_bytes(self, count: int) -> bytes:
        """Up to count bytes, fewer when fewer have arrived."""
        start = self._pos
        data = bytes(self._buf[start : start + count])
        self._pos = start + len(data)
        return data

    def discard(self, count: int) -> int:
        """Drop up to count bytes; return how many were dropped."""
        dropped = min(count, len(self))
        self._pos += dropped
        return dropped
