"""NAME
    pyfix.queue.errors - the queue library's exception hierarchy

SUMMARY
    QueueError, QueueFileCorrupt, QueueFileIncomplete, QueueFileMissing,
    QueueWriteError, QueueNoSpace, QueueFileTooBig, write_error()

DESCRIPTION
    Every failure of the queue library is a QueueError.  Callers tell
    three situations apart, because each needs a different action:

    QueueFileIncomplete
        The file is not (yet) marked complete: its owner execute bit is
        off.  A writer may still be busy with it, or it was left by a
        crash.  Readers skip it silently, as Postfix's mail_open_ok()
        does; "postsuper -p" removes it once it is old.

    QueueFileCorrupt
        The file is marked complete but its records do not parse: bad
        length, unexpected record type, bad size record, or no end
        record.  qmgr moves such a file to the "corrupt" queue.

    QueueWriteError
        Writing a new queue file failed.  The half-written file has
        already been removed.  reply_hint says how the SMTP server
        answers (the way h11's errors carry error_status_hint):

            QueueNoSpace      ENOSPC, EDQUOT
                              452 4.3.1 Insufficient system storage
            QueueFileTooBig   EFBIG (file size limit)
                              552 5.3.4 message file too big
            QueueWriteError   any other write error
                              451 4.3.0 queue file write error

        The last two texts are Postfix cleanup_strerror()'s; the first
        is the reply Postfix's smtpd gives when the queue file system
        is short of space.

    QueueFileMissing is raised when a queue file to be opened does not
    exist (for example, another process moved or deleted it).

    Parameters read: none.

DIAGNOSTICS
    None of its own.
"""

from __future__ import annotations

import errno
import os

ReplyHint = tuple[int, str, str]


class QueueError(Exception):
    """Any failure of the queue library."""


class QueueFileMissing(QueueError):
    """The queue file does not exist."""


class QueueFileIncomplete(QueueError):
    """The queue file is not marked complete (mode is not u=rwx)."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(f"{path}: queue file is not complete (mode {mode & 0o7777:04o})")
        self.path = path
        self.mode = mode


class QueueFileCorrupt(QueueError):
    """A complete queue file whose records cannot be parsed."""

    def __init__(self, path: str, reason: str, offset: int | None = None) -> None:
        where = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{path}: {reason}{where}")
        self.path = path
        self.reason = reason
        self.offset = offset


class QueueWriteError(QueueError):
    """Writing a queue file failed; the file has been removed."""

    reply_hint: ReplyHint = (451, "4.3.0", "queue file write error")

    def __init__(self, text: str, os_errno: int = 0) -> None:
        super().__init__(text)
        self.errno = os_errno


class QueueNoSpace(QueueWriteError):
    """The queue file system is full, or a disk quota was exceeded."""

    reply_hint: ReplyHint = (452, "4.3.1", "Insufficient system storage")


class QueueFileTooBig(QueueWriteError):
    """The queue file exceeded the file size limit (EFBIG)."""

    reply_hint: ReplyHint = (552, "5.3.4", "message file too big")


NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def write_error(path: str, exc: OSError) -> QueueWriteError:
    """Map an OSError from writing path to the matching QueueWriteError."""
    code = exc.errno or 0
    text = f"write queue file {path}: {os.strerror(code) if code else exc}"
    if code in NO_SPACE_ERRNOS:
        return QueueNoSpace(text, code)
    if code == errno.EFBIG:
        return QueueFileTooBig(text, code)
    return QueueWriteError(text, code)
