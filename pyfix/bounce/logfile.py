"""NAME
    pyfix.bounce.logfile - the per-message bounce, defer and trace logs

SUMMARY
    append_log(), read_log(), LogEntry

DESCRIPTION
    Postfix keeps what happened to each recipient of a message in
    $queue_directory/bounce/QUEUEID (hard failures), defer/QUEUEID
    (temporary failures) and trace/QUEUEID (delivery reports for DSN
    SUCCESS and sendmail -v).  pyfix writes them in Postfix's format, so
    that Postfix's bounce daemon and mailq read pyfix's logs and pyfix
    reads Postfix's: one block per recipient, introduced by an empty
    line, with "name=value" lines (recipient=, original_recipient=,
    offset=, dsn_orig_rcpt=, notify_flags=, status=, action=,
    diag_type=, diag_text=, mta_type=, mta_mname=, reason=) and an empty
    line at the end.  Addresses are in quoted form (quote_822_local).

    append_log() appends under an exclusive flock() and fsyncs; when the
    write fails it truncates the log to its old length, as Postfix's
    bounce_append_service() does, and raises OSError so that the caller
    keeps the recipient for a later attempt.

    read_log() returns the entries in file order.  Blocks in the old
    "<recipient>: reason" format are accepted.

    Parameters read: none; the caller passes the QueueLayout.

DIAGNOSTICS
    OSError from the file system.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field

from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.delivery.dsn import Dsn
from pyfix.queue.layout import QueueLayout


@dataclass
class LogEntry:
    recipient: str
    orig_recipient: str = ""
    offset: int = 0
    dsn_orcpt: str = ""
    dsn_notify: int = 0
    dsn: Dsn = field(default_factory=lambda: Dsn("", "", ""))


def _quoted(address: str) -> str:
    return quote_822_local(address) if address else "<>"


def format_entry(entry: LogEntry) -> bytes:
    dsn = entry.dsn
    lines = [f"recipient={_quoted(entry.recipient)}"]
    if entry.orig_recipient and entry.orig_recipient.lower() != entry.recipient.lower():
        lines.append(f"original_recipient={_quoted(entry.orig_recipient)}")
    if entry.offset > 0:
        lines.append(f"offset={entry.offset}")
    if entry.dsn_orcpt:
        lines.append(f"dsn_orig_rcpt={entry.dsn_orcpt}")
    if entry.dsn_notify:
        lines.append(f"notify_flags={entry.dsn_notify}")
    if dsn.status:
        lines.append(f"status={dsn.status}")
    if dsn.action:
        lines.append(f"action={dsn.action}")
    if dsn.dtype and dsn.dtext:
        lines += [f"diag_type={dsn.dtype}", f"diag_text={dsn.dtext}"]
    if dsn.mtype and dsn.mname:
        lines += [f"mta_type={dsn.mtype}", f"mta_mname={dsn.mname}"]
    if dsn.reason:
        lines.append(f"reason={dsn.reason}")
    text = "\n" + "".join(line.replace("\n", " ") + "\n" for line in lines) + "\n"
    return text.encode("utf-8", "surrogateescape")


def log_path(layout: QueueLayout, kind: str, queue_id: str) -> str:
    return layout.path(kind, queue_id)


def append_log(layout: QueueLayout, kind: str, queue_id: str, entry: LogEntry) -> None:
    """Append one recipient's entry to bounce/, defer/ or trace/QUEUEID."""
    path = log_path(layout, kind, queue_id)
    data = format_entry(entry)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except FileNotFoundError:
        layout.make_parent_dirs(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        length = os.lseek(fd, 0, os.SEEK_END)
        try:
            if os.write(fd, data) != len(data):
                raise OSError("short write")
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, length)
            raise
    finally:
        os.close(fd)


def _parse_block(lines: list[str]) -> LogEntry | None:
    attrs: dict[str, str] = {}
    old_style: LogEntry | None = None
    for line in lines:
        if line.startswith("<") and ">: " in line and "=" not in line.split(">: ", 1)[0]:
            address, reason = line[1:].split(">: ", 1)
            old_style = LogEntry(unquote_822_local(address), dsn=Dsn("", "", reason))
            continue
        name, sep, value = line.partition("=")
        if sep:
            attrs[name] = value
    if "recipient" not in attrs:
        return old_style
    recipient = attrs["recipient"]
    dsn = Dsn(attrs.get("status", ""), attrs.get("action", ""), attrs.get("reason", ""),
              attrs.get("diag_type", ""), attrs.get("diag_text", ""),
              attrs.get("mta_type", ""), attrs.get("mta_mname", ""))

    def number(name: str) -> int:
        text = attrs.get(name, "0")
        return int(text) if text.lstrip("-").isdigit() else 0

    return LogEntry(
        recipient="" if recipient == "<>" else unquote_822_local(recipient),
        orig_recipient=unquote_822_local(attrs.get("original_recipient", "")),
        offset=number("offset"),
        dsn_orcpt=attrs.get("dsn_orig_rcpt", ""),
        dsn_notify=number("notify_flags"),
        dsn=dsn,
    )


def read_log(layout: QueueLayout, kind: str, queue_id: str) -> list[LogEntry]:
    """The entries of a log; an empty list when there is no log."""
    try:
        with open(log_path(layout, kind, queue_id), "rb") as fp:
            text = fp.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return []
    entries: list[LogEntry] = []
    block: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line:
            block.append(line)
            continue
        if block:
            entry = _parse_block(block)
            if entry is not None:
                entries.append(entry)
            block = []
    return entries


def remove_log(layout: QueueLayout, kind: str, queue_id: str) -> bool:
    try:
        os.unlink(log_path(layout, kind, queue_id))
    except FileNotFoundError:
        return False
    return True
