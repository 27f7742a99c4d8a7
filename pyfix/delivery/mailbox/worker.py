"""NAME
    pyfix.delivery.mailbox.worker - file deliveries in a child process

SUMMARY
    WriteResult, run_in_child(), run_sync(), set_eugid(), effective_ids()

DESCRIPTION
    A delivery agent is one asyncio process that serves many requests
    at once, so it must not change its own user ID around a delivery:
    another request could run in between.  run_in_child() forks, runs
    a blocking function in the child and returns its WriteResult to the
    awaiting caller; nothing of the parent's identity changes.

    In the child, set_eugid() switches the effective user and group IDs
    as Postfix's set_eugid() does (the real ID stays root, so that the
    function can switch back, for example to remove a dot-lock file
    created as root).  When the agent does not run as root, set_eugid()
    does nothing: everything happens as the current user.

    file_size_limit sets RLIMIT_FSIZE in the child, as Postfix's local
    and virtual agents limit the size of the files that they write
    (mailbox_size_limit, virtual_mailbox_limit): a write beyond it fails
    with EFBIG ("File too large"); 0 means no limit.

    The child imports nothing: everything it runs is loaded before the
    fork (services that drop privileges cannot import later).

    Parameters read: none.

DIAGNOSTICS
    A child that dies without a result gives a temporary failure
    (4.3.0, "child process exited abnormally").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field


@dataclass
class WriteResult:
    ok: bool
    status: str = "2.0.0"
    reason: str = ""
    corrupt: bool = False
    errno: int = 0
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def fail(cls, status: str, reason: str, err: int = 0) -> WriteResult:
        return cls(False, status, reason, errno=err)


def set_eugid(uid: int, gid: int) -> None:
    """Become uid/gid (effective IDs) when running as root; else do nothing."""
    if os.getuid() != 0:
        return
    if os.geteuid() != 0:
        os.seteuid(0)
    os.setegid(gid)
    os.setgroups([gid])
    if uid != 0:
        os.seteuid(uid)


def _child(func: Callable[[], WriteResult], uid: int, gid: int, size_limit: int,
           out_fd: int) -> None:
    try:
        signal.set_wakeup_fd(-1)  # the parent's event loop owns that pipe
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if size_limit > 0:
            resource.setrlimit(resource.RLIMIT_FSIZE, (size_limit, size_limit))
        set_eugid(uid, gid)
        result = func()
    except BaseException as exc:  # report, never let the child run the parent's code
        result = WriteResult.fail("4.3.0", f"delivery child failed: {exc}")
    data = json.dumps(asdict(result)).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(out_fd, view):]


def _collect(pid: int, in_fd: int) -> WriteResult:
    chunks = []
    try:
        while True:
            chunk = os.read(in_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(in_fd)
        os.waitpid(pid, 0)
    try:
        data = json.loads(b"".join(chunks))
        return WriteResult(**data)
    except (ValueError, TypeError):
        return WriteResult.fail("4.3.0", "child process exited abnormally")


def _start(func: Callable[[], WriteResult], uid: int, gid: int,
           size_limit: int) -> tuple[int, int]:
    in_fd, out_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(in_fd)
            _child(func, uid, gid, size_limit, out_fd)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(out_fd)
    return pid, in_fd


def run_sync(func: Callable[[], WriteResult], uid: int, gid: int,
             size_limit: int = 0) -> WriteResult:
    """Run func in a child process as uid/gid and wait for its result."""
    return _collect(*_start(func, uid, gid, size_limit))


async def run_in_child(func: Callable[[], WriteResult], uid: int, gid: int,
                       size_limit: int = 0) -> WriteResult:
    """run_sync() without blocking the event loop while the child works."""
    pid, in_fd = _start(func, uid, gid, size_limit)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _collect, pid, in_fd)


@contextlib.contextmanager
def effective_ids(ids: tuple[int, int] | None) -> Iterator[None]:
    """Act as ids (mail_owner) for queue-side files; only when running as root.

    The body must not await: the effective IDs belong to the whole process.
    """
    if ids is None or os.geteuid() != 0:
        yield
        return
    os.setegid(ids[1])
    os.seteuid(ids[0])
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
