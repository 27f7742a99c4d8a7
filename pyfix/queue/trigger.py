"""NAME
    pyfix.queue.trigger - wake up a service through its socket

SUMMARY
    mail_trigger(), TRIGGER_REQ_WAKEUP, QMGR_REQ_*

DESCRIPTION
    mail_trigger() sends a few request bytes to a service's endpoint
    $queue_directory/CLASS/SERVICE ("public/pickup", "public/qmgr") and
    closes the connection, as Postfix's mail_trigger() does.  The
    endpoint may be a UNIX-domain stream socket or a FIFO (a FIFO is
    written without blocking).

    The request bytes are Postfix's: "W" wakes pickup; qmgr takes "I"
    (scan the incoming queue), "D" (scan the deferred queue), "A"
    (ignore the deferred files' retry times) and "F" (forget dead
    destinations).

    Parameters read: none; the caller passes the queue directory.

DIAGNOSTICS
    The return value is None on success, or Postfix's warning text
    ("unable to look up public/pickup: No such file or directory",
    "connect to public/qmgr: Connection refused").
"""

from __future__ import annotations

import os
import socket
import stat
from typing import Final

TRIGGER_REQ_WAKEUP: Final = b"W"
QMGR_REQ_SCAN_INCOMING: Final = b"I"
QMGR_REQ_SCAN_DEFERRED: Final = b"D"
QMGR_REQ_SCAN_ALL: Final = b"A"
QMGR_REQ_FLUSH_DEAD: Final = b"F"


def mail_trigger(queue_directory: str, service_class: str, service: str, data: bytes,
                 timeout: float = 10.0) -> str | None:
    """Send data to CLASS/SERVICE; a warning text when that failed."""
    relative = f"{service_class}/{service}"
    path = os.path.join(queue_directory, relative)
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"unable to look up {relative}: {os.strerror(exc.errno or 0)}"
    try:
        if stat.S_ISFIFO(st.st_mode):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        elif stat.S_ISSOCK(st.st_mode):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(path)
                sock.sendall(data)
        else:
            return f"{relative} is not a socket or a fifo"
    except OSError as exc:
        return f"connect to {relative}: {os.strerror(exc.errno or 0)}"
    return None
