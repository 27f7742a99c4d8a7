"""NAME
    pyfix.delivery.mailbox.maildir - deliver a message to a Maildir

SUMMARY
    write_maildir()

DESCRIPTION
    write_maildir() runs in a delivery child as the recipient.  As
    Postfix's local and virtual agents do, it

    - writes the message to DIR/tmp/TIME.PPID.HOST (mode 0600, created
      exclusively), making DIR/tmp (mode 0700) and its parents when
      missing;
    - links it to DIR/new/TIME.VDEVICEIINODEMUSEC.HOST (device and
      inode in hexadecimal, microseconds in decimal), making DIR/cur
      and DIR/new when missing, and removes the tmp/ name.

    TIME and USEC are the start of the delivery; HOST is the system's
    host name (gethostname()).

    Parameters read: none.

DIAGNOSTICS
    "create maildir file PATH: REASON" with the status of mbox_dsn()
    (default 5.2.0 as local uses it; virtual passes 4.2.0), and the
    copy errors of copy.py.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Iterable

from pyfix.delivery.mailbox.copy import CopyAttrs, CopyError, copy_message, mbox_dsn
from pyfix.delivery.mailbox.worker import WriteResult


def _open_tmp(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW,
                   0o600)


def _failure(path: str, exc: OSError, default: str) -> WriteResult:
    err = exc.errno or errno.EIO
    return WriteResult.fail(mbox_dsn(err, default),
                            f"create maildir file {path}: {os.strerror(err)}", err)


def write_maildir(directory: str, lines: Iterable[bytes], attrs: CopyAttrs, flags: int,
                  start: float | None = None, default_status: str = "5.2.0") -> WriteResult:
    """Deliver into the Maildir directory ("/" at the end is optional)."""
    base = directory if directory.endswith("/") else directory + "/"
    when = time.time() if start is None else start
    sec, usec = int(when), int((when - int(when)) * 1_000_000)
    host = socket.gethostname()
    tmpdir, newdir, curdir = base + "tmp/", base + "new/", base + "cur/"
    tmpfile = f"{tmpdir}{sec}.P{os.getpid()}.{host}"
    try:
        fd = _open_tmp(tmpfile)
    except FileNotFoundError:
        try:
            os.makedirs(tmpdir, 0o700, exist_ok=True)
            fd = _open_tmp(tmpfile)
        except OSError as exc:
            return _failure(tmpfile, exc, default_status)
    except OSError as exc:
        return _failure(tmpfile, exc, default_status)
    result = WriteResult(True)
    try:
        st = os.fstat(fd)
        newfile = f"{newdir}{sec}.V{st.st_dev:x}I{st.st_ino:x}M{usec}.{host}"
        try:
            copy_message(fd, lines, attrs, flags)
        except CopyError as exc:
            result = WriteResult.fail(exc.status, exc.reason, exc.errno)
            result.corrupt = exc.corrupt
        finally:
            os.close(fd)
        if result.ok:
            try:
                os.link(tmpfile, newfile)
            except FileNotFoundError:
                try:
                    os.makedirs(curdir, 0o700, exist_ok=True)
                    os.makedirs(newdir, 0o700, exist_ok=True)
                    os.link(tmpfile, newfile)
                except OSError as exc:
                    result = _failure(newfile, exc, default_status)
            except OSError as exc:
                result = _failure(newfile, exc, default_status)
    finally:
        try:
            os.unlink(tmpfile)
        except OSError as exc:
            result.warnings.append(f"remove {tmpfile}: {exc.strerror}")
    return result
