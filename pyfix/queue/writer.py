"""NAME
    pyfix.queue.writer - write a new queue file as cleanup(8) does

SUMMARY
    QueueFileWriter

DESCRIPTION
    QueueFileWriter.create() makes a new queue file the way Postfix's
    mail_queue_enter() does: it creates "QUEUE/USEC.PID" exclusively
    with mode 0600 (incomplete), reads the file's inode number, and
    renames the file to its queue ID (queue_id.py), creating hashed
    subdirectories when they are missing.  The temporary name is never
    a valid queue ID, and the file is not complete until commit(), so
    no queue scanner ever takes a file that is being written.  The
    queue ID is known from the start, as smtpd needs it for its
    Received: header.

    The file starts with a placeholder size record.  The caller then
    writes records in Postfix's order, and the writer checks that each
    record belongs to the current segment:

        envelope    put_time(), put_attr(), put_sender(), add_recipient(),
                    put() for any other envelope record
        content     start_content(), then put_text() per line
        extracted   start_extracted(), then records, then end()

    put_text() splits a line longer than line_length_limit into
    REC_TYPE_CONT records followed by one REC_TYPE_NORM record, as
    cleanup_out() does.  add_recipient() writes the DSN attributes, the
    original recipient and the recipient in cleanup's order and returns
    the offset that a delivery agent later marks done.

    commit() fills in the size record (content size and offset,
    recipient count, qmgr flags, content length, SMTPUTF8 flags),
    optionally moves the file to another queue (hold) while it is still
    incomplete, then makes it durable and complete: fchmod() to 0700
    (the "ready" mode), then one fsync() that puts the content and the
    mode on disk together (as Postfix's mail_stream_finish_file()),
    close, and fsync() of the directory so that its name survives a
    crash.  Only after commit() returns may the SMTP server send 250.
    The qmgr flags are computed from what was written: the DSN NOTIFY
    flags, and "recipients mixed with other records" when a non-
    recipient record follows a recipient within a segment.

    Any failure removes the file (abort()); nothing half-written stays
    in the queue.  Leaving a "with" block without commit() aborts too.

    Parameters read: none directly; the caller passes the QueueLayout
    (queue_directory, hash_queue_depth, hash_queue_names,
    enable_long_queue_ids) and line_length_limit.

DIAGNOSTICS
    Write, rename and sync failures raise QueueWriteError or its
    subclasses QueueNoSpace (ENOSPC, EDQUOT) and QueueFileTooBig
    (EFBIG), after the file has been removed.  Records in the wrong
    segment or order are programming errors and raise ValueError.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Final

from pyfix.queue.errors import QueueError, QueueWriteError, write_error
from pyfix.queue.layout import INCOMING, STAT_INCOMPLETE, STAT_READY, QueueLayout
from pyfix.queue.queue_id import make_queue_id
from pyfix.queue.records import (
    ATTR_CREATE_TIME,
    ATTR_DSN_NOTIFY,
    ATTR_DSN_ORCPT,
    CONTENT_TYPES,
    ENV_RECIPIENT_TYPES,
    ENVELOPE_TYPES,
    EXT_RECIPIENT_TYPES,
    EXTRACT_TYPES,
    QMGR_READ_FLAG_MIXED_RCPT_OTHER,
    REC_TYPE_ATTR,
    REC_TYPE_CONT,
    REC_TYPE_END,
    REC_TYPE_FROM,
    REC_TYPE_FULL,
    REC_TYPE_MESG,
    REC_TYPE_NORM,
    REC_TYPE_ORCP,
    REC_TYPE_PTR,
    REC_TYPE_RCPT,
    REC_TYPE_SIZE,
    REC_TYPE_TIME,
    REC_TYPE_WARN,
    REC_TYPE_XTRA,
    SizeRecord,
    encode_record,
    format_ptr,
    format_time,
    format_warn,
    qmgr_read_flag_from_dsn,
    rec_attr_map,
)

DEFAULT_LINE_LIMIT: Final = 2048  # line_length_limit
WRITE_BUFFER: Final = 64 * 1024
RENAME_ATTEMPTS: Final = 1000
SIZE_RECORD_SPACE: Final = len(encode_record(REC_TYPE_SIZE, SizeRecord().encode()))

# Segments, in file order.
ENVELOPE: Final = "envelope"
CONTENT: Final = "content"
EXTRACTED: Final = "extracted"
ENDED: Final = "ended"
COMMITTED: Final = "committed"
ABORTED: Final = "aborted"

_ALLOWED: Final = {
    ENVELOPE: ENVELOPE_TYPES.replace(b"C", b"") + bytes((REC_TYPE_PTR,)),
    CONTENT: CONTENT_TYPES + bytes((REC_TYPE_PTR,)),
    EXTRACTED: EXTRACT_TYPES + bytes((REC_TYPE_PTR,)),
}
_RECIPIENT_TYPES: Final = {ENVELOPE: ENV_RECIPIENT_TYPES, EXTRACTED: EXT_RECIPIENT_TYPES}
_NEXT_SEGMENT: Final = {REC_TYPE_MESG: CONTENT, REC_TYPE_XTRA: EXTRACTED, REC_TYPE_END: ENDED}


def _now() -> tuple[int, int]:
    """gettimeofday(): seconds and microseconds."""
    return divmod(time.time_ns() // 1000, 1_000_000)


def _sync_directory(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class QueueFileWriter:
    """One new queue file, from creation to commit() or abort()."""

    def __init__(
        self,
        layout: QueueLayout,
        queue: str,
        queue_id: str,
        fd: int,
        created: tuple[int, int],
        *,
        mode_bits: int = 0,
        line_limit: int = DEFAULT_LINE_LIMIT,
        sync_directory: bool = True,
    ) -> None:
        self.layout = layout
        self.queue = queue
        self.queue_id = queue_id
        self.path = layout.path(queue, queue_id)
        self.created = created  # (seconds, microseconds) of the queue ID
        self.mode_bits = mode_bits
        self.line_limit = line_limit
        self.sync_directory = sync_directory
        self.segment = ENVELOPE
        self.rcpt_count = 0
        self.qmgr_flags = 0  # extra flags; commit() adds the computed ones
        self.smtputf8 = 0
        self.data_offset = 0
        self.xtra_offset = 0
        self._computed_flags = 0
        self._in_rcpt = False
        self._offset = 0  # where the next record goes (tell() costs a system call)
        self._file = os.fdopen(fd, "r+b", buffering=WRITE_BUFFER)
        self._write(encode_record(REC_TYPE_SIZE, SizeRecord().encode()))

    # Creation -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        layout: QueueLayout,
        queue: str = INCOMING,
        *,
        mode_bits: int = 0,
        line_limit: int = DEFAULT_LINE_LIMIT,
        sync_directory: bool = True,
    ) -> QueueFileWriter:
        """Create a new, incomplete queue file named by its queue ID."""
        top = layout.top(queue)
        pid = os.getpid()
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        while True:
            _, usec = _now()
            temp = os.path.join(top, f"{usec}.{pid}")
            try:
                fd = os.open(temp, flags, STAT_INCOMPLETE | mode_bits)
                break
            except (FileExistsError, IsADirectoryError):
                continue
            except OSError as exc:
                raise write_error(temp, exc) from None
        try:
            inode = os.fstat(fd).st_ino
            for _attempt in range(RENAME_ATTEMPTS):
                created = _now()
                queue_id = make_queue_id(inode, *created, layout.long_queue_ids)
                path = layout.path(queue, queue_id)
                try:
                    os.rename(temp, path)
                except (PermissionError, IsADirectoryError):
                    continue
                except FileNotFoundError:
                    layout.make_parent_dirs(path)
                    continue
                break
            else:
                raise QueueWriteError(f"rename {temp} to {path}: giving up")
        except (OSError, QueueError) as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temp)
            if isinstance(exc, QueueError):
                raise
            raise write_error(temp, exc) from None
        return cls(
            layout,
            queue,
            queue_id,
            fd,
            created,
            mode_bits=mode_bits,
            line_limit=line_limit,
            sync_directory=sync_directory,
        )

    def fileno(self) -> int:
        return self._file.fileno()

    def tell(self) -> int:
        """The offset of the next record."""
        return self._offset

    # Writing ----------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        try:
            self._file.write(data)
            self._offset += len(data)
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from None

    def put(self, rec_type: int, data: bytes = b"") -> int:
        """Write one record; return its offset."""
        allowed = _ALLOWED.get(self.segment)
        if allowed is None or rec_type not in allowed:
            raise ValueError(f"record type {chr(rec_type)!r} not allowed in {self.segment}")
        offset = self._offset
        if rec_type == REC_TYPE_XTRA:
            self.xtra_offset = offset
        self._note_recipient_order(rec_type, data)
        self._write(encode_record(rec_type, data))
        if rec_type == REC_TYPE_RCPT:
            self.rcpt_count += 1
        following = _NEXT_SEGMENT.get(rec_type)
        if following is not None:
            self.segment = following
            self._in_rcpt = False
            if rec_type == REC_TYPE_MESG:
                self.data_offset = self._offset
        return offset

    def _note_recipient_order(self, rec_type: int, data: bytes) -> None:
        """Compute the qmgr flags that cleanup puts in the size record."""
        recipient_types = _RECIPIENT_TYPES.get(self.segment)
        if recipient_types is None or rec_type == REC_TYPE_PTR:
            return
        if rec_type == REC_TYPE_ATTR:
            name, _, value = data.partition(b"=")
            mapped = rec_attr_map(name.decode("ascii", "replace").strip())
            if mapped:
                rec_type = mapped
            if name.strip() == ATTR_DSN_NOTIFY.encode() and value.strip().isdigit():
                self._computed_flags |= qmgr_read_flag_from_dsn(int(value))
        if rec_type in recipient_types:
            self._in_rcpt = True
        elif self._in_rcpt:
            self._computed_flags |= QMGR_READ_FLAG_MIXED_RCPT_OTHER

    def put_string(self, rec_type: int, text: str) -> int:
        return self.put(rec_type, text.encode("utf-8", "surrogateescape"))

    def put_time(self, seconds: int, microseconds: int = 0) -> int:
        return self.put(REC_TYPE_TIME, format_time(seconds, microseconds))

    def put_attr(self, name: str, value: str | int) -> int:
        return self.put_string(REC_TYPE_ATTR, f"{name}={value}")

    def put_create_time(self, when: int | None = None) -> int:
        return self.put_attr(ATTR_CREATE_TIME, int(time.time()) if when is None else when)

    def put_fullname(self, name: str) -> int:
        return self.put_string(REC_TYPE_FULL, name)

    def put_sender(self, address: str) -> int:
        return self.put_string(REC_TYPE_FROM, address)

    def put_warn(self, when: int) -> int:
        """The time of the next delay warning (updated in place by qmgr)."""
        return self.put(REC_TYPE_WARN, format_warn(when))

    def put_pointer(self, target: int = 0) -> int:
        """A pointer record; 0 makes a placeholder for later edits."""
        return self.put(REC_TYPE_PTR, format_ptr(target))

    def add_recipient(
        self,
        address: str,
        orig_address: str | None = None,
        *,
        dsn_orcpt: str = "",
        dsn_notify: int = 0,
    ) -> int:
        """Write one recipient as cleanup_out_recipient() does; return the
        offset of its REC_TYPE_RCPT record."""
        if dsn_notify:
            self.put_attr(ATTR_DSN_NOTIFY, dsn_notify)
        if dsn_orcpt:
            self.put_attr(ATTR_DSN_ORCPT, dsn_orcpt)
        self.put_string(REC_TYPE_ORCP, address if orig_address is None else orig_address)
        return self.put_string(REC_TYPE_RCPT, address)

    def start_content(self) -> int:
        return self.put(REC_TYPE_MESG)

    def put_text(self, line: bytes, rec_type: int = REC_TYPE_NORM) -> None:
        """One content line (without its newline), split at line_limit."""
        limit = self.line_limit
        size = len(line)
        if size < 128 and size <= limit and self.segment == CONTENT:
            # The common case: one record with a one-byte length.
            self._write(bytes((rec_type, size)) + line)
            return
        while len(line) > limit:
            self.put(REC_TYPE_CONT, line[:limit])
            line = line[limit:]
        self.put(rec_type, line)

    def put_texts(self, lines: Iterable[tuple[bytes, int]]) -> None:
        """Many content lines (line, REC_TYPE_NORM or REC_TYPE_CONT) in one write."""
        if self.segment != CONTENT:
            for line, rec_type in lines:
                self.put_text(line, rec_type)
            return
        limit = self.line_limit
        parts: list[bytes] = []
        for line, rec_type in lines:
            size = len(line)
            if size < 128 and size <= limit:
                parts.append(bytes((rec_type, size)))
                parts.append(line)
                continue
            while len(line) > limit:
                parts.append(encode_record(REC_TYPE_CONT, line[:limit]))
                line = line[limit:]
            parts.append(encode_record(rec_type, line))
        self._write(b"".join(parts))

    def start_extracted(self) -> int:
        return self.put(REC_TYPE_XTRA)

    def end(self) -> int:
        return self.put(REC_TYPE_END)

    # Completion ---------------------------------------------------------------

    def size_record(self) -> SizeRecord:
        data_size = self.xtra_offset - self.data_offset
        return SizeRecord(
            data_size=data_size,
            data_offset=self.data_offset,
            rcpt_count=self.rcpt_count,
            qmgr_flags=self.qmgr_flags | self._computed_flags,
            cont_length=data_size,
            smtputf8=self.smtputf8,
        )

    def commit(self, queue: str | None = None) -> str:
        """Make the file durable and complete; return its path.

        queue names another queue (such as hold) to move the file to
        before it becomes complete.
        """
        if self.segment != ENDED:
            raise ValueError(f"commit in {self.segment} segment: no end record written")
        if self.xtra_offset <= self.data_offset:
            raise ValueError("empty message content: qmgr would reject the size record")
        size = encode_record(REC_TYPE_SIZE, self.size_record().encode())
        try:
            if len(size) != SIZE_RECORD_SPACE:
                raise ValueError("size record does not fit its placeholder")
            self._file.seek(0)
            self._file.write(size)
            self._file.flush()
            if queue is not None and queue != self.queue:
                self.path = self.layout.rename(self.queue_id, self.queue, queue)
                self.queue = queue
            fd = self._file.fileno()
            os.fchmod(fd, STAT_READY | self.mode_bits)
            os.fsync(fd)
            self._file.close()
            if self.sync_directory:
                _sync_directory(os.path.dirname(self.path))
        except OSError as exc:
            self.abort()
            raise write_error(self.path, exc) from None
        except QueueError:
            self.abort()
            raise
        self.segment = COMMITTED
        return self.path

    def abort(self) -> None:
        """Close and remove the file (nothing if already committed)."""
        if self.segment in (COMMITTED, ABORTED):
            return
        self.segment = ABORTED
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def __enter__(self) -> QueueFileWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()
