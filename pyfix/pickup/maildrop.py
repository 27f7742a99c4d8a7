"""NAME
    pyfix.pickup.maildrop - create maildrop files and wake up pickup

SUMMARY
    MaildropFile, create_maildrop_file(), trigger_pickup(),
    attr_print0()

DESCRIPTION
    A maildrop file is a Postfix record stream (pyfix.queue.records)
    that a local user's sendmail/postdrop leaves in
    $queue_directory/maildrop for the pickup service.  Its life is that
    of Postfix's mail_stream_file():

    1.  It is created with O_EXCL under a temporary name,
        "maildrop/USEC.PID", mode 0644 (0600 | 0444).
    2.  It is renamed at once to a queue ID made from its inode number
        and the time (queue_id.make_queue_id(), short or long form per
        enable_long_queue_ids), so that a crash leaves no temporary
        name behind, only an incomplete queue file.
    3.  The records are written.  The owner execute bit is still off:
        pickup (mail_open_ok()) skips the file while it is written.
    4.  finish() flushes, sets the mode to 0744 (0700 | 0444), which
        marks the file complete, and fsyncs it.  abort() removes it.

    The file belongs to the submitting user; the 1730 maildrop
    directory (setgid postdrop) gives it the postdrop group.  pickup
    logs that owner as "uid=N".

    trigger_pickup() then wakes up pickup as Postfix's mail_trigger()
    does: it writes the one-byte wakeup request "W" to
    $queue_directory/public/$pickup_service, a FIFO or a UNIX-domain
    stream socket.  When neither exists the message is still safe:
    pickup finds the file on its next periodic scan.

    attr_print0() formats the replies that postdrop writes on its
    standard output in Postfix's attr_print0 encoding: "name\\0value\\0"
    pairs ended by "\\0".

    Parameters read: none (callers pass queue_directory,
    enable_long_queue_ids and pickup_service_name).

DIAGNOSTICS
    create_maildrop_file() raises OSError when the maildrop directory
    is not writable.  trigger_pickup() returns Postfix's warning text
    ("unable to look up public/pickup: No such file or directory")
    instead of raising.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Final

from pyfix.queue.queue_id import make_queue_id
from pyfix.queue.trigger import TRIGGER_REQ_WAKEUP, mail_trigger

CREATE_MODE: Final = 0o644  # 0600 | 0444: readable by pickup, incomplete
READY_MODE: Final = 0o744  # 0700 | 0444: complete

RENAME_LIMIT: Final = 1000


class MaildropFile:
    """One maildrop file being written; see the module description."""

    def __init__(self, fd: int, path: str, queue_id: str) -> None:
        self.fd = fd
        self.path = path
        self.queue_id = queue_id
        self._buf = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) >= 65536:
            self.flush()

    def flush(self) -> None:
        data = bytes(self._buf)
        self._buf.clear()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]

    def finish(self) -> None:
        """Mark the file complete and make it durable (OSError on failure)."""
        self.flush()
        os.fchmod(self.fd, READY_MODE)
        os.fsync(self.fd)
        self.closed = True
        os.close(self.fd)

    def abort(self) -> None:
        """Remove the file; safe to call at any time, and more than once."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def create_maildrop_file(queue_directory: str, long_ids: bool = False) -> MaildropFile:
    """A new, empty, incomplete file in $queue_directory/maildrop."""
    directory = os.path.join(queue_directory, "maildrop")
    pid = os.getpid()
    while True:
        usec = int(time.time() * 1_000_000) % 1_000_000
        temp = os.path.join(directory, f"{usec}.{pid}")
        try:
            fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, CREATE_MODE)
        except FileExistsError:
            continue
        break
    inode = os.fstat(fd).st_ino
    for _ in range(RENAME_LIMIT):
        now = time.time_ns() // 1000
        queue_id = make_queue_id(inode, now // 1_000_000, now % 1_000_000, long_ids)
        path = os.path.join(directory, queue_id)
        if os.path.lexists(path):
            continue
        try:
            os.rename(temp, path)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return MaildropFile(fd, path, queue_id)
    os.close(fd)
    os.unlink(temp)
    raise OSError(f"rename {temp}: giving up")


def trigger_pickup(queue_directory: str, service: str = "pickup",
                   timeout: float = 10.0) -> str | None:
    """Send pickup its wakeup request; a warning text when that failed."""
    return mail_trigger(queue_directory, "public", service, TRIGGER_REQ_WAKEUP, timeout)


def attr_print0(*pairs: tuple[str, str]) -> bytes:
    """Postfix's attr_print0 encoding of name/value pairs."""
    out = bytearray()
    for name, value in pairs:
        out += name.encode() + b"\0" + value.encode("utf-8", "surrogateescape") + b"\0"
    return bytes(out + b"\0")
