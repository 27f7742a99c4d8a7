"""NAME
    pyfix.tables.atomic - build a file beside its final name, then rename

SUMMARY
    TempFile, fcntl_lock, SharedLock, os_error_text()

DESCRIPTION
    A table rebuild never changes the file that readers have open.  The
    new table is written to NAME.tmp in the same directory; finish()
    flushes it to disk (fsync), gives it its final mode, renames it over
    NAME and syncs the directory.  A reader sees the old table or the
    new one, never a half-built one; a long-running reader notices the
    new inode (Table.changed()) and opens the table again.

    Concurrent builders of the same table take turns with Postfix's own
    protocol for cdb files: open NAME.tmp without truncating it, take an
    exclusive flock(2) lock, and start over if the file was renamed or
    removed in the meantime; only then truncate it.  Real Postfix
    postmap uses the same protocol for NAME.cdb.tmp, so the two never
    write the same temporary file at once.

    fcntl_lock() and SharedLock take the fcntl(2) whole-file locks that
    Postfix's lmdb, hash and btree readers and writers take around each
    access (DICT_FLAG_LOCK).  fcntl locks belong to the process, so
    SharedLock counts the threads that hold it and releases the lock
    when the last one leaves.

    Parameters read: none.

DIAGNOSTICS
    OSError from the system calls; os_error_text() renders one the way
    Postfix's %m does.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

TMP_SUFFIX = ".tmp"


def os_error_text(exc: OSError) -> str:
    if exc.errno:
        return os.strerror(exc.errno)
    return exc.strerror or "Application error"


class TempFile:
    """NAME.tmp, locked, empty, to be renamed over NAME by finish()."""

    def __init__(self, final_path: str, mode: int) -> None:
        self.final_path = final_path
        self.path = final_path + TMP_SUFFIX
        self.mode = mode
        self.fd = -1
        self._open_locked()

    def _open_locked(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, self.mode)
            try:
                before = os.fstat(fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    after = os.stat(self.path)
                except FileNotFoundError:
                    after = None
            except BaseException:
                os.close(fd)
                raise
            if (after is not None and before.st_ino == after.st_ino
                    and before.st_dev == after.st_dev and after.st_nlink > 0):
                break
            os.close(fd)
        self.fd = fd
        if before.st_size:
            os.ftruncate(fd, 0)
        os.fchmod(fd, self.mode)

    def finish(self) -> None:
        """fsync, rename over the final name, sync the directory, unlock."""
        os.fsync(self.fd)
        os.rename(self.path, self.final_path)
        sync_directory(self.final_path)
        os.close(self.fd)
        self.fd = -1

    def abort(self) -> None:
        """Remove the temporary file (still locked by us) and unlock."""
        if self.fd < 0:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = -1


def sync_directory(path: str) -> None:
    directory = os.path.dirname(path) or "."
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(dir_fd)


@contextmanager
def fcntl_lock(fd: int, exclusive: bool) -> Iterator[None]:
    """Hold a whole-file fcntl lock (Postfix MYFLOCK_STYLE_FCNTL)."""
    fcntl.lockf(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN)


class SharedLock:
    """A shared whole-file lock held while any thread is inside."""

    def __init__(self, fd: int, style: str = "fcntl") -> None:
        self._fd = fd
        self._style = style
        self._mutex = threading.Lock()
        self._count = 0

    def _lock(self, op: int) -> None:
        if self._style == "flock":
            fcntl.flock(self._fd, op)
        else:
            fcntl.lockf(self._fd, op)

    def acquire(self) -> None:
        with self._mutex:
            if self._count == 0:
                self._lock(fcntl.LOCK_SH)
            self._count += 1

    def release(self) -> None:
        with self._mutex:
            self._count -= 1
            if self._count == 0:
                self._lock(fcntl.LOCK_UN)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
