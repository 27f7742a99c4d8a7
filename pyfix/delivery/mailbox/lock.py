"""NAME
    pyfix.delivery.mailbox.lock - mailbox locking as Postfix does it

SUMMARY
    LockPolicy, parse_lock_styles(), dot_lock(), dot_unlock(), lock_fd()

DESCRIPTION
    A mailbox is locked for exclusive access with the styles that
    mailbox_delivery_lock (local) or virtual_mailbox_lock (virtual)
    lists: "fcntl" (POSIX record lock), "flock" (BSD lock) and
    "dotlock" (a file PATH.lock created with O_EXCL).

    Each lock is tried deliver_lock_attempts times, deliver_lock_delay
    apart (with some random spread, so that waiting deliveries do not
    march in step).  A dot-lock file older than stale_lock_time is
    removed.

    Parameters read: none; LockPolicy.from_config() reads the lock style
    parameter that the caller names, deliver_lock_attempts,
    deliver_lock_delay and stale_lock_time.

DIAGNOSTICS
    LockError with Postfix's texts: "unable to create lock file
    PATH.lock: REASON" and "unable to lock for exclusive access:
    REASON", and the errno (EEXIST/EAGAIN: try again later).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyfix.config.store import Config

FCNTL = "fcntl"
FLOCK = "flock"
DOTLOCK = "dotlock"
STYLES = (FCNTL, FLOCK, DOTLOCK)


class LockError(Exception):
    def __init__(self, reason: str, err: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errno = err


def parse_lock_styles(text: str) -> frozenset[str]:
    """"fcntl, dotlock" -> {"fcntl", "dotlock"}; ValueError for unknown names."""
    styles = set()
    for word in text.replace(",", " ").split():
        if word.lower() not in STYLES:
            raise ValueError(f'invalid lock style "{word}"')
        styles.add(word.lower())
    return frozenset(styles)


@dataclass(frozen=True)
class LockPolicy:
    styles: frozenset[str] = frozenset({FCNTL, DOTLOCK})
    attempts: int = 20
    delay: float = 1.0
    stale: float = 500.0

    @classmethod
    def from_config(cls, config: Config, parameter: str) -> LockPolicy:
        try:
            styles = parse_lock_styles(config.get(parameter))
        except ValueError as exc:
            raise ValueError(f"{parameter}: {exc}") from None
        return cls(styles, max(1, config.get_int("deliver_lock_attempts")),
                   float(config.get_time("deliver_lock_delay")),
                   float(config.get_time("stale_lock_time")))

    def pause(self) -> None:
        time.sleep(random.uniform(self.delay * 0.5, self.delay * 1.5))


def dot_lock(path: str, policy: LockPolicy) -> None:
    """Create PATH.lock, waiting for a holder; LockError when that fails."""
    lock_file = path + ".lock"
    count = 1
    while True:
        try:
            fd = os.open(lock_file, os.O_WRONLY | os.O_EXCL | os.O_CREAT, 0)
        except OSError as exc:
            err = exc.errno or errno.EIO
        else:
            os.close(fd)
            return
        if count >= policy.attempts or err != errno.EEXIST:
            break
        with contextlib.suppress(OSError):
            if time.time() > os.stat(lock_file).st_ctime + policy.stale:
                try:
                    os.unlink(lock_file)
                except FileNotFoundError:
                    pass
                except OSError:
                    break
        count += 1
        policy.pause()
    raise LockError(f"unable to create lock file {lock_file}: {os.strerror(err)}", err)


def dot_unlock(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path + ".lock")


def _try_lock(fd: int, style: str) -> None:
    if style == FLOCK:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def lock_fd(fd: int, style: str, policy: LockPolicy) -> None:
    """Lock an open file exclusively (fcntl or flock style)."""
    count = 1
    while True:
        try:
            _try_lock(fd, style)
            return
        except OSError as exc:
            err = exc.errno or errno.EIO
        if count >= policy.attempts:
            break
        count += 1
        policy.pause()
    raise LockError(f"unable to lock for exclusive access: {os.strerror(err)}", err)
