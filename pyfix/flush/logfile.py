"""NAME
    pyfix.flush.logfile - the per-destination fast-flush logs

SUMMARY
    FlushLogs, LogFileError, site_to_path(), REFRESH_ONLY, UNTHROTTLE_BEFORE, UNTHROTTLE_AFTER

DESCRIPTION
    What Postfix's flush(8) does with $queue_directory/flush/SITE, a
    file with one queue ID per line for each eligible destination:

    site_to_path()  the file name: the site in ASCII (IDNA), letters
                    and digits lowercased, every other character "_"
                    ("[192.0.2.1]" -> "_192_0_2_1_").
    add()           append a queue ID under an exclusive lock.
    send_path()     under the lock, for each distinct queue ID in the
                    log: set the deferred (or, when another flush got
                    there first, incoming) file's times to now and move
                    it from deferred to incoming; then truncate the log
                    when it listed anything, set its times to now (the
                    read time that refresh looks at) and, when it
                    listed anything, trigger qmgr with "I".  For ETRN
                    and postqueue -s (UNTHROTTLE_BEFORE) qmgr first gets
                    "F" (forget dead destinations and transports).
    send_file()     the same for one queue ID, then "I".
    refresh()       logs that are empty and unchanged for
                    $fast_flush_purge_time are removed; non-empty logs
                    not read for max_age seconds are sent (REFRESH_ONLY:
                    no "F").  purge is refresh(0).

    Only the first 10000 distinct queue IDs of a log are remembered for
    duplicate elimination, as in Postfix.

    Parameters read: none; FlushLogs gets the queue layout, the qmgr
    service name and $fast_flush_purge_time from the service.

DIAGNOSTICS
    Postfix's warnings: "bad queue id "..." in fast flush logfile SITE",
    "flush_one_file: update PATH time stamps: ERROR", "PATH: rename
    from deferred to incoming: ERROR", "remove logfile PATH: ERROR".  A
    log that cannot be opened or locked (fatal in Postfix) is logged as
    a warning and the request fails (FLUSH_STAT_FAIL).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from typing import Final

from pyfix.flush.protocol import FLUSH_STAT_BAD, FLUSH_STAT_FAIL, FLUSH_STAT_OK
from pyfix.queue.errors import QueueFileMissing
from pyfix.queue.layout import DEFERRED, FLUSH, INCOMING, STAT_UNTHROTTLE, QueueLayout
from pyfix.queue.queue_id import queue_id_ok
from pyfix.queue.trigger import QMGR_REQ_FLUSH_DEAD, QMGR_REQ_SCAN_INCOMING, mail_trigger

REFRESH_ONLY: Final = 0
UNTHROTTLE_BEFORE: Final = 1
UNTHROTTLE_AFTER: Final = 2
FLUSH_DUP_FILTER_SIZE: Final = 10000


class LogFileError(Exception):
    """A fast flush log cannot be opened or locked."""


def site_to_path(site: str) -> str | None:
    """The log file name for a site; None when it has no ASCII form."""
    if not site.isascii():
        try:
            site = site.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return "".join(ch.lower() if ch.isalnum() else "_" for ch in site)


class FlushLogs:
    def __init__(self, layout: QueueLayout, queue_service: str, purge_time: int,
                 warn: Callable[[str], None]) -> None:
        self.layout = layout
        self.queue_service = queue_service
        self.purge_time = purge_time
        self.warn = warn

    def _trigger(self, request: bytes) -> None:
        complaint = mail_trigger(self.layout.queue_directory, "public", self.queue_service,
                                 request)
        if complaint is not None:
            self.warn(complaint)

    def _open_locked(self, path: str, flags: int, what: str, name: str) -> int | None:
        """An exclusively locked descriptor; None when the file does not exist.
        LogFileError (with Postfix's text) when it cannot be opened or locked."""
        try:
            try:
                fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
            except FileNotFoundError:
                if not flags & os.O_CREAT:
                    return None
                self.layout.make_parent_dirs(path)
                fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LogFileError(f"{what}: open fast flush logfile {name}: "
                               f"{exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(fd)
            raise LogFileError(f"{what}: lock fast flush logfile {name}: "
                               f"{exc.strerror}") from None
        return fd

    # add -----------------------------------------------------------------

    def add(self, name: str, queue_id: str) -> int:
        if not queue_id_ok(name):
            return FLUSH_STAT_BAD
        path = self.layout.path(FLUSH, name)
        try:
            fd = self._open_locked(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY,
                                   "flush_add_path", name)
        except LogFileError as exc:
            self.warn(str(exc))
            return FLUSH_STAT_FAIL
        if fd is None:  # not reached: O_CREAT
            return FLUSH_STAT_FAIL
        try:
            os.write(fd, f"{queue_id}\n".encode())
        except OSError as exc:
            self.warn(f"write fast flush logfile {name}: {exc.strerror}")
        finally:
            os.close(fd)  # also releases the lock
        return FLUSH_STAT_OK

    # send ----------------------------------------------------------------

    def flush_one_file(self, queue_id: str, now: float, how: int) -> int:
        """Make one message eligible for delivery now: 1 when it was found."""
        queue = DEFERRED
        while True:
            path = self.layout.path(queue, queue_id)
            try:
                os.utime(path, (now, now))
                break
            except OSError as exc:
                if not isinstance(exc, FileNotFoundError):
                    self.warn(f"flush_one_file: update {path} time stamps: {exc.strerror}")
                if queue == INCOMING:
                    return 0
                queue = INCOMING
        if how & UNTHROTTLE_AFTER:  # qmgr: deliver this one even to a dead site
            try:
                os.chmod(path, os.stat(path).st_mode & 0o7777 | STAT_UNTHROTTLE)
            except OSError as exc:
                self.warn(f"flush_one_file: update {path} mode: {exc.strerror}")
        if queue != INCOMING:
            try:
                self.layout.rename(queue_id, queue, INCOMING)
            except QueueFileMissing:
                pass
            except OSError as exc:
                self.warn(f"{path}: rename from {queue} to {INCOMING}: {exc.strerror}")
        return 1

    def send_path(self, name: str, how: int) -> int:
        if not queue_id_ok(name):
            return FLUSH_STAT_BAD
        path = self.layout.path(FLUSH, name)
        try:
            fd = self._open_locked(path, os.O_RDWR, "flush_send_path", name)
        except LogFileError as exc:
            self.warn(str(exc))
            return FLUSH_STAT_FAIL
        if fd is None:
            return FLUSH_STAT_OK  # no mail was deferred for this site
        count = 0
        try:
            if how & UNTHROTTLE_BEFORE:
                self._trigger(QMGR_REQ_FLUSH_DEAD)
            with os.fdopen(os.dup(fd), "rb") as stream:
                lines = stream.read().splitlines()
            now = time.time()
            seen: set[str] = set()
            for raw in lines:
                count += 1
                queue_id = raw.decode("ascii", "replace")
                if not queue_id_ok(queue_id):
                    self.warn(f'bad queue id "{queue_id[:30]}..." in fast flush logfile '
                              f"{name}")
                    continue
                if len(seen) >= FLUSH_DUP_FILTER_SIZE or queue_id not in seen:
                    if len(seen) < FLUSH_DUP_FILTER_SIZE:
                        seen.add(queue_id)
                    count += self.flush_one_file(queue_id, now, how)
            if count > 0:
                os.ftruncate(fd, 0)
            os.utime(fd)  # the time of this read, for refresh()
        finally:
            os.close(fd)
        if count > 0:
            self._trigger(QMGR_REQ_SCAN_INCOMING)
        return FLUSH_STAT_OK

    def send_file(self, queue_id: str) -> int:
        if not queue_id_ok(queue_id):
            return FLUSH_STAT_BAD
        if self.flush_one_file(queue_id, time.time(), UNTHROTTLE_AFTER) > 0:
            self._trigger(QMGR_REQ_SCAN_INCOMING)
        return FLUSH_STAT_OK

    # housekeeping ----------------------------------------------------------

    def refresh(self, max_age: int) -> int:
        for name in list(self.layout.scan(FLUSH)):
            if not queue_id_ok(name):
                continue
            path = self.layout.path(FLUSH, name)
            try:
                st = os.stat(path)
            except OSError as exc:
                if not isinstance(exc, FileNotFoundError):
                    self.warn(f"flush_refresh_service: stat {path}: {exc.strerror}")
                continue
            now = time.time()
            if st.st_size == 0:
                if st.st_mtime + self.purge_time < now:
                    try:
                        os.unlink(path)
                    except OSError as exc:
                        self.warn(f"remove logfile {path}: {exc.strerror}")
            elif st.st_atime + max_age < now:
                self.send_path(name, REFRESH_ONLY)
        return FLUSH_STAT_OK
