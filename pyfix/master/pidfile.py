"""NAME
    pyfix.master.pidfile - the master's lock and pid file

SUMMARY
    PidFile, running_pid()

DESCRIPTION
    The master holds an exclusive fcntl lock on
    $queue_directory/$process_id_directory/master.pid while it runs and
    writes its pid into it, as Postfix does ("%10d\\n").  Whether the mail
    system runs is decided by the lock, not by the pid in the file, so a
    stale file left by a crash does not fool "postfix status".

    Parameters read: queue_directory, process_id_directory (passed in).

DIAGNOSTICS
    PidFileBusy when another master holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os


class PidFileBusy(Exception):
    """Another master process holds the lock."""


class PidFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PidFileBusy(self.path) from None
        self.fd = fd
        self.write(os.getpid())

    def write(self, pid: int) -> None:
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{pid:10d}\n".encode(), 0)

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            os.close(self.fd)
            self.fd = None


def running_pid(path: str) -> int | None:
    """The pid of the running master, or None when nobody holds the lock."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            data = os.pread(fd, 64, 0).decode(errors="replace").strip()
            return int(data) if data.isdigit() else -1
        return None
    finally:
        os.close(fd)
