"""NAME
    pyfix.delivery.mailbox.mbox - append a message to a UNIX mailbox file

SUMMARY
    MboxTarget, append_mbox(), safe_open_append()

DESCRIPTION
    append_mbox() runs in a delivery child (worker.py).  It locks and
    opens the mailbox as Postfix's mbox_open() does, then appends the
    message with copy_message():

    - with "dotlock", PATH.lock is created first (when PATH does not
      exist yet or is a regular file); a dot-lock that cannot be made
      for a reason other than a holder is only a warning when
      dotlock_may_fail is set (deliveries to /file/name);
    - the file is opened without following a symbolic link that a user
      owns, created with mode 0600 when missing (then chown()ed to the
      recipient when it was created as root), and refused when it has
      more than one hard link (safe_open());
    - regular files are then locked with fcntl and/or flock;
    - check(stat) may refuse the file (not a regular file, not owned by
      the recipient, executable); it returns (status, reason);
    - the content is written as user_ids, the open and the locks are
      done as open_ids (local delivers to a spool directory that is not
      world-writable as root, then writes as the user).

    A file that is not regular (/dev/null, a FIFO) gets no fsync and
    no truncation.

    Parameters read: none; the caller passes the settings.

DIAGNOSTICS
    The WriteResult holds Postfix's reason text without the caller's
    prefix ("cannot update mailbox ..." is added by local):
    "cannot open file: ...", "cannot create file exclusively: ...",
    "file is a symbolic link", "file has N hard links", the lock errors of lock.py, and the copy
    errors of copy.py.  DSN status as mbox_dsn(): 4.2.0 for a busy
    lock, 5.2.2 for a full mailbox, else the caller's default.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyfix.delivery.mailbox.copy import COPY_TOFILE, CopyAttrs, CopyError, copy_message, mbox_dsn
from pyfix.delivery.mailbox.lock import (
    DOTLOCK,
    FCNTL,
    FLOCK,
    LockError,
    LockPolicy,
    dot_lock,
    dot_unlock,
    lock_fd,
)
from pyfix.delivery.mailbox.worker import WriteResult, set_eugid

DEFAULT_POLICY = LockPolicy()
Check = Callable[[os.stat_result], "tuple[str, str] | None"]


class OpenError(Exception):
    def __init__(self, reason: str, err: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errno = err


@dataclass(frozen=True)
class MboxTarget:
    path: str
    open_ids: tuple[int, int]
    user_ids: tuple[int, int]
    chown: tuple[int, int] | None = None
    policy: LockPolicy = DEFAULT_POLICY
    dotlock_may_fail: bool = False
    default_status: str = "5.2.0"


def safe_open_append(path: str, chown: tuple[int, int] | None = None,
                     ) -> tuple[int, os.stat_result]:
    """Open (or create, mode 0600) path for appending, safely; OpenError."""
    flags = os.O_APPEND | os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC
    for _ in range(2):
        try:
            link = os.lstat(path)
        except FileNotFoundError:
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except FileExistsError:
                continue  # somebody else created it: open the existing file
            except OSError as exc:
                raise OpenError("cannot create file exclusively: "
                                f"{os.strerror(exc.errno or errno.EIO)}",
                                exc.errno or errno.EIO) from None
            if chown is not None:
                with contextlib.suppress(OSError):
                    os.fchown(fd, *chown)
            return fd, os.fstat(fd)
        except OSError as exc:
            raise OpenError(f"cannot open file: {os.strerror(exc.errno or errno.EIO)}",
                            exc.errno or errno.EIO) from None
        if stat.S_ISLNK(link.st_mode) and link.st_uid != 0:
            raise OpenError("file is a symbolic link", errno.EPERM)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise OpenError(f"cannot open file: {os.strerror(exc.errno or errno.EIO)}",
                            exc.errno or errno.EIO) from None
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            os.close(fd)
            raise OpenError(f"file has {st.st_nlink} hard links", errno.EPERM)
        if not stat.S_ISLNK(link.st_mode) and (st.st_dev, st.st_ino) != (link.st_dev,
                                                                           link.st_ino):
            os.close(fd)
            raise OpenError("file status changed unexpectedly", errno.EAGAIN)
        return fd, st
    raise OpenError("cannot open file: file exists", errno.EEXIST)


def append_mbox(target: MboxTarget, lines: Iterable[bytes], attrs: CopyAttrs, flags: int,
                check: Check | None = None) -> WriteResult:
    """Lock, open and append (runs in the delivery child)."""
    path = target.path
    policy = target.policy
    warnings: list[str] = []
    dot_locked = False
    set_eugid(*target.open_ids)
    if DOTLOCK in policy.styles:
        try:
            existing = os.stat(path)
        except OSError:
            existing = None
        if existing is None or stat.S_ISREG(existing.st_mode):
            try:
                dot_lock(path, policy)
                dot_locked = True
            except LockError as exc:
                if exc.errno == errno.EEXIST:
                    return WriteResult.fail(mbox_dsn(errno.EAGAIN, target.default_status),
                                            exc.reason, exc.errno)
                if not target.dotlock_may_fail:
                    return WriteResult.fail(mbox_dsn(exc.errno, target.default_status),
                                            exc.reason, exc.errno)
                warnings.append(exc.reason)
    try:
        try:
            fd, st = safe_open_append(path, target.chown)
        except OpenError as exc:
            return WriteResult.fail(mbox_dsn(exc.errno, target.default_status), exc.reason,
                                    exc.errno)
        try:
            if stat.S_ISREG(st.st_mode):
                for style in (FLOCK, FCNTL):
                    if style in policy.styles:
                        lock_fd(fd, style, policy)
            set_eugid(*target.user_ids)
            refused = check(st) if check is not None else None
            if refused is not None:
                return WriteResult.fail(*refused)
            if not stat.S_ISREG(st.st_mode):
                flags &= ~COPY_TOFILE
            copy_message(fd, lines, attrs, flags)
        except LockError as exc:
            return WriteResult.fail(mbox_dsn(exc.errno, target.default_status), exc.reason,
                                    exc.errno)
        except CopyError as exc:
            result = WriteResult.fail(exc.status, exc.reason, exc.errno)
            result.corrupt = exc.corrupt
            return result
        finally:
            os.close(fd)
    finally:
        set_eugid(*target.open_ids)
        if dot_locked:
            dot_unlock(path)
    return WriteResult(True, warnings=warnings)
