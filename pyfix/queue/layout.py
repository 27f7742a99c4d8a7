"""NAME
    pyfix.queue.layout - queue directory names, hashing and paths

SUMMARY
    QueueLayout, dir_forest(), is_ready(), stale_incomplete(), MESSAGE_QUEUES,
    ALL_QUEUES

DESCRIPTION
    $queue_directory holds Postfix's queues:

        maildrop   files from sendmail/postdrop, waiting for pickup
        incoming   new queue files written by cleanup
        active     files that qmgr is delivering
        deferred   files waiting for a retry
        hold       files put on hold (HOLD action, postsuper -h)
        corrupt    damaged files, kept for inspection
        bounce, defer, trace   per-message delivery logs
        flush      fast-flush logs per destination
        saved      files saved by postsuper (unused by pyfix itself)

    The queues named in hash_queue_names (case-insensitive) are split
    into hash_queue_depth levels of one-character subdirectories.  The
    first characters of the queue ID name them (queue_id.hash_key():
    for long queue IDs, the microseconds in hex), one character per
    level, and "_" when the ID is too short: with depth 2, short ID
    "6683D1640E8" lives in "deferred/6/6/6683D1640E8" and long ID
    "4jbyRC3GzGzByhk" in "deferred/7/0/4jbyRC3GzGzByhk".  Missing
    subdirectories are created on demand with mode 0700, as Postfix
    does.

    create_directories() builds the whole layout with the modes of
    Postfix's postfix-files as Debian installs them: 0755 for the
    queue directory and pid, 0700 for the queues and private, 1730
    for maildrop and 2710 for public.  Ownership changes only when the
    caller passes a uid and gid (running as root).

    A queue file is complete when its owner permission bits are exactly
    rwx (is_ready()); open_ok() applies Postfix's mail_open_ok() checks
    before a file is opened: valid queue ID, regular file, complete.
    Incomplete files are left alone until they are older than seven
    days; then stale_incomplete() says that "postsuper -p" removes them.

    Parameters read: queue_directory, hash_queue_depth,
    hash_queue_names, enable_long_queue_ids.

DIAGNOSTICS
    rename() raises QueueFileMissing when the file has gone; other
    system call failures raise OSError.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from pyfix.queue.errors import QueueFileMissing
from pyfix.queue.queue_id import hash_key, queue_id_ok, queue_name_ok

if TYPE_CHECKING:
    from pyfix.config.store import Config

MAILDROP: Final = "maildrop"
HOLD: Final = "hold"
INCOMING: Final = "incoming"
ACTIVE: Final = "active"
DEFERRED: Final = "deferred"
TRACE: Final = "trace"
DEFER: Final = "defer"
BOUNCE: Final = "bounce"
CORRUPT: Final = "corrupt"
FLUSH: Final = "flush"
SAVED: Final = "saved"

# Every queue, in Postfix's order (global/mail_queue.h).
ALL_QUEUES: Final = (
    *(MAILDROP, HOLD, INCOMING, ACTIVE, DEFERRED, TRACE),
    *(DEFER, BOUNCE, CORRUPT, FLUSH, SAVED),
)
# Queues of message files (mode u=rwx when complete), as postsuper has them.
MESSAGE_QUEUES: Final = (MAILDROP, INCOMING, ACTIVE, DEFERRED, HOLD)
# Queues of per-message logs (mode 0600).
LOG_QUEUES: Final = (BOUNCE, DEFER, TRACE)

# Queue file modes (global/mail_queue.h).
STAT_READY: Final = stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR  # 0700: complete
STAT_CORRUPT: Final = stat.S_IRUSR
STAT_UNTHROTTLE: Final = stat.S_IRGRP  # postqueue -i / -f: deliver now
STAT_EXPIRE: Final = stat.S_IXGRP  # postsuper -e: force expiration
STAT_INCOMPLETE: Final = stat.S_IRUSR | stat.S_IWUSR  # 0600: being written
# postsuper -p removes incomplete files older than this (seconds).
MAX_TEMP_AGE: Final = 7 * 24 * 60 * 60

SUBDIR_MODE: Final = 0o700  # mail_queue_mkdirs()

# (name, mode, owned by mail_owner, group is setgid_group)
_PRIVATE_DIRS: Final = (ACTIVE, BOUNCE, CORRUPT, DEFER, DEFERRED, FLUSH, HOLD, INCOMING, SAVED)
DIRECTORY_MODES: Final = (
    *((name, 0o700, True, False) for name in (*_PRIVATE_DIRS, TRACE, "private")),
    (MAILDROP, 0o1730, True, True),
    ("public", 0o2710, True, True),
    ("pid", 0o755, False, False),
)

DEFAULT_HASH_QUEUE_NAMES: Final = frozenset({DEFERRED, DEFER})


def is_ready(mode: int) -> bool:
    """A queue file is complete when its owner bits are exactly rwx."""
    return (mode & stat.S_IRWXU) == STAT_READY


def stale_incomplete(st: os.stat_result, now: float) -> bool:
    """An incomplete regular file older than MAX_TEMP_AGE (postsuper -p)."""
    return (
        stat.S_ISREG(st.st_mode) and not is_ready(st.st_mode) and now > st.st_mtime + MAX_TEMP_AGE
    )


def dir_forest(key: str, depth: int) -> str:
    """depth levels of one-character directories named from key."""
    if not key:
        raise ValueError("dir_forest: empty path")
    if depth < 1:
        raise ValueError(f"dir_forest: depth {depth}")
    levels = []
    for index in range(depth):
        ch = key[index] if index < len(key) else "_"
        if not ch.isprintable() or ch in "./":
            raise ValueError(f"dir_forest: invalid pathname: {key}")
        levels.append(ch)
    return "/".join(levels)


@functools.lru_cache(maxsize=8192)
def _path(layout: QueueLayout, queue: str, queue_id: str) -> str:
    """QueueLayout.path(), remembered: qmgr and the agents ask for the
    same few names many times per message (ValueError is not cached)."""
    return os.path.join(layout.queue_directory, layout.relative_path(queue, queue_id))


def _split_names(text: str) -> frozenset[str]:
    return frozenset(name.lower() for name in re.split(r"[,\s]+", text) if name)


@dataclass(frozen=True)
class QueueLayout:
    queue_directory: str
    hash_queue_depth: int = 1
    hash_queue_names: frozenset[str] = field(default=DEFAULT_HASH_QUEUE_NAMES)
    long_queue_ids: bool = False

    @classmethod
    def from_config(cls, config: Config) -> QueueLayout:
        return cls(
            queue_directory=config.get("queue_directory"),
            hash_queue_depth=config.get_int("hash_queue_depth"),
            hash_queue_names=_split_names(config.get("hash_queue_names")),
            long_queue_ids=config.get_bool("enable_long_queue_ids"),
        )

    @classmethod
    def with_names(
        cls, queue_directory: str, depth: int, names: Iterable[str] | str, long_ids: bool
    ) -> QueueLayout:
        names = (
            _split_names(names)
            if isinstance(names, str)
            else frozenset(name.lower() for name in names)
        )
        return cls(queue_directory, depth, names, long_ids)

    # Names --------------------------------------------------------------

    def is_hashed(self, queue: str) -> bool:
        return queue.lower() in self.hash_queue_names

    def queue_dir(self, queue: str, queue_id: str) -> str:
        """The directory of a queue file, relative to queue_directory."""
        if not queue_name_ok(queue):
            raise ValueError(f"bad queue name: {queue}")
        if not queue_id_ok(queue_id):
            raise ValueError(f"bad queue id: {queue_id}")
        if self.is_hashed(queue):
            return f"{queue}/{dir_forest(hash_key(queue_id), self.hash_queue_depth)}"
        return queue

    def relative_path(self, queue: str, queue_id: str) -> str:
        return f"{self.queue_dir(queue, queue_id)}/{queue_id}"

    def path(self, queue: str, queue_id: str) -> str:
        return _path(self, queue, queue_id)

    def top(self, queue: str) -> str:
        return os.path.join(self.queue_directory, queue)

    # File operations ------------------------------------------------------

    def make_parent_dirs(self, path: str) -> None:
        """Create missing directories above path with mode 0700."""
        os.makedirs(os.path.dirname(path), mode=SUBDIR_MODE, exist_ok=True)

    def rename(self, queue_id: str, old_queue: str, new_queue: str) -> str:
        """Move a queue file to another queue; return its new path."""
        old = self.path(old_queue, queue_id)
        new = self.path(new_queue, queue_id)
        try:
            os.rename(old, new)
        except FileNotFoundError:
            if not os.path.lexists(old):
                raise QueueFileMissing(f"{old}: no such queue file") from None
            self.make_parent_dirs(new)
            try:
                os.rename(old, new)
            except FileNotFoundError:
                raise QueueFileMissing(f"{old}: no such queue file") from None
        return new

    def remove(self, queue: str, queue_id: str) -> bool:
        """Remove a queue file; False when it did not exist."""
        try:
            os.unlink(self.path(queue, queue_id))
        except FileNotFoundError:
            return False
        return True

    def open_ok(self, queue: str, queue_id: str) -> os.stat_result | None:
        """mail_open_ok(): the file's status when it may be opened, else None."""
        if not queue_name_ok(queue) or not queue_id_ok(queue_id):
            return None
        try:
            st = os.lstat(self.path(queue, queue_id))
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode) or not is_ready(st.st_mode):
            return None
        return st

    def scan(self, queue: str) -> Iterator[str]:
        """Every queue ID in a queue, descending into one-letter directories.

        Like Postfix's mail_scan_dir_next(), this yields names without
        checking them; temporary files and junk come back too, and the
        caller skips what fails queue_id_ok() or open_ok().
        """
        stack = [self.top(queue)]
        while stack:
            directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in sorted(entries, key=lambda e: e.name):
                if len(entry.name) == 1:
                    stack.append(entry.path)
                else:
                    yield entry.name

    def create_directories(self, uid: int | None = None, gid: int | None = None) -> None:
        """Create $queue_directory and its queues where they are missing.

        uid/gid are mail_owner's and setgid_group's: when given, the
        directories get Postfix's ownership (root keeps pid and the top).
        """
        os.makedirs(self.queue_directory, mode=0o755, exist_ok=True)
        for name, mode, owned, setgid_group in DIRECTORY_MODES:
            path = os.path.join(self.queue_directory, name)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
                if uid is not None and owned:
                    os.chown(path, uid, gid if setgid_group and gid is not None else -1)
                os.chmod(path, mode)
