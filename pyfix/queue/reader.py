"""NAME
    pyfix.queue.reader - open complete queue files, read and update them

SUMMARY
    QueueFile, read_queue_file()

DESCRIPTION
    QueueFile.open() opens a queue file that a queue manager, delivery
    agent or queue tool is about to use.  As Postfix's mail_open_ok(), it
    accepts only a regular file whose owner permission bits are rwx
    (complete); anything else raises QueueFileIncomplete, which callers
    skip silently.

    read_envelope() parses the envelope and extracted segments into a
    QueueMessage (envelope.py).  iter_content() returns the content's
    text records (REC_TYPE_NORM and REC_TYPE_CONT) in order, following
    pointer records and skipping padding; iter_lines() joins continued
    records into whole lines.

    mark_done() records that one recipient is finished, as Postfix's
    deliver_completed() does: it rewrites the type byte of the
    recipient record from "R" to "D" in place.  set_warn_time() and
    kill_record() are the other in-place updates that qmgr makes.
    lock() takes the flock(2) lock that Postfix uses on Linux for
    queue files: exclusive for qmgr, shared for delivery agents.

    Parameters read: none; the caller passes the QueueLayout.

DIAGNOSTICS
    QueueFileMissing when the file does not exist, QueueFileIncomplete
    when it is not complete, QueueError when it is not a regular file,
    QueueFileCorrupt when it is damaged (qmgr moves such files to the
    corrupt queue).  Other system errors raise OSError.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

from pyfix.queue.envelope import EnvelopeParser, QueueMessage, Recipient
from pyfix.queue.errors import QueueError, QueueFileCorrupt, QueueFileIncomplete, QueueFileMissing
from pyfix.queue.layout import QueueLayout, is_ready
from pyfix.queue.record_stream import RecordReader
from pyfix.queue.records import (
    CONTENT_TYPES,
    REC_TYPE_DONE,
    REC_TYPE_DTXT,
    REC_TYPE_KILL,
    REC_TYPE_NORM,
    REC_TYPE_PTR,
    REC_TYPE_RCPT,
    REC_TYPE_XTRA,
    Record,
    RecordError,
    format_warn,
)

__all__ = ["QueueFile", "QueueMessage", "Recipient", "read_queue_file"]


class QueueFile:
    """One open, complete queue file."""

    def __init__(self, fp: BinaryIO, path: str, queue_id: str, mode: int, queue: str = "") -> None:
        self.fp = fp
        self.path = path
        self.queue = queue  # the queue name, when opened by QueueFile.open()
        self.queue_id = queue_id
        self.mode = mode
        self.reader = RecordReader(fp)
        self.message: QueueMessage | None = None
        # Where the content starts; a delivery agent knows it from the
        # request and so need not parse the envelope again.
        self.content_offset = 0

    @classmethod
    def open(
        cls, layout: QueueLayout, queue: str, queue_id: str, *, writable: bool = True
    ) -> QueueFile:
        queue_file = cls.open_path(layout.path(queue, queue_id), queue_id, writable=writable)
        queue_file.queue = queue
        return queue_file

    @classmethod
    def open_path(
        cls, path: str, queue_id: str | None = None, *, writable: bool = True
    ) -> QueueFile:
        flags = (os.O_RDWR if writable else os.O_RDONLY) | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise QueueFileMissing(f"{path}: no such queue file") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise QueueError(f"{path}: not a regular file") from None
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise QueueError(f"{path}: not a regular file")
            if not is_ready(st.st_mode):
                raise QueueFileIncomplete(path, st.st_mode)
        except BaseException:
            os.close(fd)
            raise
        fp = os.fdopen(fd, "r+b" if writable else "rb", buffering=0)
        return cls(fp, path, queue_id or os.path.basename(path), st.st_mode)

    # Reading ----------------------------------------------------------------

    def read_envelope(self) -> QueueMessage:
        """Parse the envelope and extracted segments (QueueFileCorrupt)."""
        self.reader.discard_buffer()
        self.reader.seek(0)
        message = QueueMessage(self.queue_id, self.path, self.mode)
        self.message = EnvelopeParser(self.reader, message).run()
        return self.message

    def iter_content(self) -> Iterator[Record]:
        """The content's text records, pointers followed, padding skipped."""
        if self.content_offset <= 0:
            self.content_offset = (self.message or self.read_envelope()).content_offset
        self.reader.seek(self.content_offset)
        while True:
            try:
                record = self.reader.read()
                if record is not None and record.type == REC_TYPE_PTR:
                    self.reader.follow_pointer(record)
                    continue
            except RecordError as exc:
                raise QueueFileCorrupt(self.path, exc.reason, exc.offset) from None
            if record is None:
                raise QueueFileCorrupt(self.path, "missing extracted segment marker")
            if record.type not in CONTENT_TYPES:
                raise QueueFileCorrupt(
                    self.path, f"Unexpected record type '{chr(record.type)}'", record.offset
                )
            if record.type == REC_TYPE_XTRA:
                return
            if record.type != REC_TYPE_DTXT:
                yield record

    def iter_lines(self) -> Iterator[bytes]:
        """Content lines without line terminators."""
        pending: list[bytes] = []
        for record in self.iter_content():
            pending.append(record.data)
            if record.type == REC_TYPE_NORM:
                yield b"".join(pending)
                pending = []
        if pending:
            yield b"".join(pending)

    # In-place updates ---------------------------------------------------------

    def _put_at(self, offset: int, data: bytes, sync: bool) -> None:
        fd = self.fp.fileno()
        if os.pwrite(fd, data, offset) != len(data):
            raise OSError(errno.EIO, "short write")
        if sync:
            os.fdatasync(fd)
        self.reader.discard_buffer()

    def put_type(self, offset: int, rec_type: int, *, sync: bool = False) -> None:
        """rec_put_type(): replace the type byte of the record at offset."""
        if offset <= 0:
            raise ValueError(f"bad offset {offset}")
        self._put_at(offset, bytes((rec_type,)), sync)

    def mark_done(self, recipient: Recipient | int, *, sync: bool = False) -> None:
        """Record that a recipient is finished (REC_TYPE_RCPT -> REC_TYPE_DONE)."""
        offset = recipient if isinstance(recipient, int) else recipient.offset
        current = os.pread(self.fp.fileno(), 1, offset)
        if current == bytes((REC_TYPE_DONE,)):
            return
        if current != bytes((REC_TYPE_RCPT,)):
            raise QueueFileCorrupt(self.path, "no recipient record to mark done", offset)
        self.put_type(offset, REC_TYPE_DONE, sync=sync)
        if not isinstance(recipient, int):
            recipient.status = REC_TYPE_DONE

    def kill_record(self, offset: int, *, sync: bool = False) -> None:
        self.put_type(offset, REC_TYPE_KILL, sync=sync)

    def set_warn_time(self, when: int, *, sync: bool = False) -> None:
        """Rewrite the warning time record in place (-1: warning sent)."""
        message = self.message or self.read_envelope()
        if not message.warn_offset:
            raise QueueError(f"{self.path}: no warning time record")
        data = format_warn(when)
        if len(data) != 15:
            raise ValueError(f"warning time does not fit: {when}")
        self._put_at(message.warn_offset + 2, data, sync)
        message.warn_time = when

    # Locking and closing -----------------------------------------------------

    def lock(self, *, exclusive: bool = True, wait: bool = False) -> bool:
        """flock() the file; False when another process holds the lock."""
        operation = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        if not wait:
            operation |= fcntl.LOCK_NB
        try:
            fcntl.flock(self.fp.fileno(), operation)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        self.fp.close()

    def __enter__(self) -> QueueFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_queue_file(path: str, queue_id: str | None = None) -> QueueMessage:
    """Open a complete queue file read-only and parse its envelope."""
    with QueueFile.open_path(path, queue_id, writable=False) as queue_file:
        return queue_file.read_envelope()
