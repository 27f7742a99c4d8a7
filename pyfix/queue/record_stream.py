"""NAME
    pyfix.queue.record_stream - read records from a file, with seeking

SUMMARY
    RecordReader

DESCRIPTION
    RecordReader reads typed records (records.py) from an open binary
    file, the way Postfix's rec_get_raw() reads a VSTREAM: read() returns
    the next record with its file offset, or None at the end of the
    file; seek() moves to another record, as rec_goto() does for a
    pointer record and qmgr does to skip the message content.

    It reads the file in large chunks and decodes records from memory,
    so that a big message costs few system calls.  follow_pointer()
    implements rec_goto(): a pointer record with value 0 is a
    placeholder, any other value is the offset of the next record to
    read; more than 10000 jumps backwards in one file is a loop.

    Parameters read: none.

DIAGNOSTICS
    read() raises RecordError for a malformed record (records.py);
    follow_pointer() raises RecordError for a malformed pointer value
    or a pointer loop.  OSError comes through from the file.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Final

from pyfix.queue.records import Record, RecordError, decode_record, parse_ptr

CHUNK_SIZE: Final = 64 * 1024
REVERSE_JUMP_LIMIT: Final = 10000


class RecordReader:
    def __init__(self, fp: BinaryIO, chunk_size: int = CHUNK_SIZE) -> None:
        self.fp = fp
        self.chunk_size = chunk_size
        self._buf = b""
        self._base = 0  # file offset of _buf[0]
        self._pos = 0  # read position in _buf
        self._eof = False
        self._last_jump = 0
        self._reverse_jumps = 0
        self.seek(0)

    def tell(self) -> int:
        return self._base + self._pos

    def seek(self, offset: int) -> None:
        if self._base <= offset <= self._base + len(self._buf):
            self._pos = offset - self._base
            return
        self.fp.seek(offset, os.SEEK_SET)
        self._buf = b""
        self._base = offset
        self._pos = 0
        self._eof = False

    def discard_buffer(self) -> None:
        """Forget buffered data, after the file was changed in place."""
        offset = self.tell()
        self._buf = b""
        self._base = offset
        self._pos = 0
        self._eof = False
        self.fp.seek(offset, os.SEEK_SET)

    def _fill(self) -> bool:
        """Read more of the file; False at end of file."""
        if self._eof:
            return False
        data = self.fp.read(max(self.chunk_size, len(self._buf) - self._pos))
        if not data:
            self._eof = True
            return False
        self._base += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def read(self, maxsize: int = 0) -> Record | None:
        """The next record, or None at end of file."""
        while True:
            try:
                record = decode_record(self._buf, self._pos, maxsize, self._base)
            except RecordError as exc:
                if exc.truncated and self._fill():
                    continue
                raise
            if record is None:
                if self._fill():
                    continue
                return None
            self._pos = record.end - self._base
            return record

    def follow_pointer(self, record: Record) -> None:
        """Go where a pointer record points (rec_goto); 0 means stay."""
        try:
            target = parse_ptr(record.data)
        except ValueError as exc:
            raise RecordError(str(exc), record.offset) from None
        if target == 0:
            return
        if target <= self._last_jump:
            self._reverse_jumps += 1
            if self._reverse_jumps > REVERSE_JUMP_LIMIT:
                raise RecordError("too many reverse jump records", record.offset)
        self._last_jump = target
        self.seek(target)
