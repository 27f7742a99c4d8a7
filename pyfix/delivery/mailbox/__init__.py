"""NAME
    pyfix.delivery.mailbox - mailbox writing shared by local(8) and virtual(8)

SUMMARY
    copy_message(), append_mbox(), write_maildir(), run_in_child(),
    LockPolicy, CopyAttrs, WriteResult

DESCRIPTION
    copy.py writes a queued message with the envelope lines Postfix adds
    (From_, Return-Path:, X-Original-To:, Delivered-To:) and >From
    quoting; lock.py locks mailboxes (fcntl, flock, dotlock); mbox.py
    appends to a UNIX mailbox file and truncates it back on failure;
    maildir.py writes Maildir files tmp/ -> new/; worker.py runs these
    blocking writes in a child process with the recipient's user ID
    and file size limit.

    Parameters read: none here; see the modules.

DIAGNOSTICS
    See the modules.
"""

from pyfix.delivery.mailbox.copy import (
    COPY_BLANK,
    COPY_DELIVERED,
    COPY_DOT,
    COPY_FROM,
    COPY_MBOX,
    COPY_ORIG_RCPT,
    COPY_QUOTE,
    COPY_RETURN_PATH,
    COPY_TOFILE,
    CopyAttrs,
    CopyError,
    copy_message,
    envelope_headers,
    mbox_dsn,
)
from pyfix.delivery.mailbox.lock import LockError, LockPolicy, parse_lock_styles
from pyfix.delivery.mailbox.maildir import write_maildir
from pyfix.delivery.mailbox.mbox import MboxTarget, append_mbox
from pyfix.delivery.mailbox.worker import WriteResult, run_in_child, run_sync, set_eugid

__all__ = [
    "COPY_BLANK", "COPY_DELIVERED", "COPY_DOT", "COPY_FROM", "COPY_MBOX", "COPY_ORIG_RCPT",
    "COPY_QUOTE", "COPY_RETURN_PATH", "COPY_TOFILE", "CopyAttrs", "CopyError", "LockError",
    "LockPolicy", "MboxTarget", "WriteResult", "append_mbox", "copy_message",
    "envelope_headers", "mbox_dsn", "parse_lock_styles", "run_in_child", "run_sync",
    "set_eugid", "write_maildir",
]
