"""NAME
    pyfix.showq.listing - what is in the mail queue, message by message

SUMMARY
    QueueEntry, QueueRecipient, scan_queue(), report_message()

DESCRIPTION
    scan_queue() walks the queues in Postfix's showq order (maildrop,
    active, incoming, deferred, hold) and yields one QueueEntry per
    complete queue file (mode rwx for the owner, as mail_open_ok()
    wants).  For each file it reports:

    -   the queue name and ID, the arrival time (the first time record,
        else the file's modification time), the message size (the size
        record outside maildrop, else the file size), whether the file
        is marked for forced expiration (group execute bit);
    -   the sender in quoted form ("" becomes $empty_address_recipient,
        MAILER-DAEMON by default), made printable;
    -   first the recipients of the defer log with their reasons, then
        the recipients of the queue file that the defer log did not
        name (a duplicate filter of $duplicate_filter_limit addresses).

    Message content is skipped with the size record, as Postfix's showq
    does; pointer records are followed.  A file whose recipients come
    before its sender, or that has two senders, is reported up to that
    point with Postfix's warning.

    Parameters read: none; the caller passes the QueueLayout,
    empty_address_recipient and duplicate_filter_limit.

DIAGNOSTICS
    Warnings (through the warn callback) for a malformed size record,
    a duplicate or missing sender, and files that cannot be read;
    damaged files are listed as far as they could be read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from pyfix.address.quote import quote_822_local
from pyfix.bounce.logfile import read_log
from pyfix.log.printable import printable
from pyfix.queue.layout import QueueLayout
from pyfix.queue.record_stream import RecordReader
from pyfix.queue.records import (
    REC_TYPE_END,
    REC_TYPE_FROM,
    REC_TYPE_MESG,
    REC_TYPE_PTR,
    REC_TYPE_RCPT,
    REC_TYPE_SIZE,
    REC_TYPE_TIME,
    RecordError,
)

SHOWQ_QUEUES: Final = ("maildrop", "active", "incoming", "deferred", "hold")
STAT_EXPIRE: Final = stat.S_IXGRP
Warn = Callable[[str], None]


@dataclass
class QueueRecipient:
    address: str
    reason: str = ""


@dataclass
class QueueEntry:
    queue_name: str
    queue_id: str
    arrival_time: int
    message_size: int
    forced_expire: bool
    sender: str
    recipients: list[QueueRecipient] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "queue_name": self.queue_name, "queue_id": self.queue_id,
            "arrival_time": self.arrival_time, "message_size": self.message_size,
            "forced_expire": self.forced_expire, "sender": self.sender,
            "recipients": [{"address": r.address, "reason": r.reason} for r in self.recipients],
        }


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _shown(address: str) -> str:
    """quote_822_local() form, made printable, as showq sends addresses."""
    return printable(quote_822_local(address))


def _size_value(text: str) -> int | None:
    if text.strip(" 0123456789") or not text.strip():
        return None
    return int(text.split()[0])


class _Reporter:
    def __init__(self, layout: QueueLayout, queue: str, queue_id: str, st: os.stat_result,
                 empty_address: str, dup_limit: int, warn: Warn) -> None:
        self.layout = layout
        self.queue = queue
        self.queue_id = queue_id
        self.st = st
        self.empty_address = empty_address
        self.dup_limit = dup_limit
        self.warn = warn
        self.entry: QueueEntry | None = None
        self.seen: set[str] = set()

    def sender(self, address: str, arrival: int, size: int) -> bool:
        shown = _shown(address or self.empty_address)
        if self.entry is not None:
            self.warn(f"{self.queue_id}: duplicate sender address: {shown}"
                      " -- skipping remainder of this file")
            return False
        self.entry = QueueEntry(self.queue, self.queue_id,
                                arrival if arrival > 0 else int(self.st.st_mtime), size,
                                bool(self.st.st_mode & STAT_EXPIRE), shown)
        for logged in read_log(self.layout, "defer", self.queue_id):
            shown_rcpt = _shown(logged.recipient) if logged.recipient else "<>"
            if self.dup_limit == 0 or len(self.seen) < self.dup_limit:
                self.seen.add(shown_rcpt)
            self.entry.recipients.append(QueueRecipient(shown_rcpt, printable(logged.dsn.reason)))
        return True

    def recipient(self, address: str) -> bool:
        if self.entry is None:
            self.warn(f"{self.queue_id}: missing sender address:  -- skipping"
                      " remainder of this file")
            return False
        shown = _shown(address or self.empty_address)
        if shown not in self.seen:
            self.entry.recipients.append(QueueRecipient(shown))
        return True

    def run(self, reader: RecordReader) -> None:
        arrival = 0
        size = self.st.st_size
        size_ok = False
        while (record := reader.read()) is not None:
            rec_type, data = record.type, record.data
            if rec_type == REC_TYPE_PTR:
                reader.follow_pointer(record)
            elif rec_type == REC_TYPE_TIME:
                if arrival == 0:
                    parts = _text(data).split()
                    arrival = int(parts[0]) if parts and parts[0].isdigit() else 0
            elif rec_type == REC_TYPE_SIZE and not size_ok and self.queue != "maildrop":
                value = _size_value(_text(data))
                size_ok = value is not None
                if value is None:
                    self.warn(f"{self.queue_id}: malformed size record: "
                              f"{printable(_text(data))[:100]} -- using file size instead")
                else:
                    size = value
            elif rec_type == REC_TYPE_FROM:
                if not self.sender(_text(data), arrival, size):
                    return
            elif rec_type == REC_TYPE_RCPT:
                if not self.recipient(_text(data)):
                    return
            elif rec_type == REC_TYPE_MESG and size_ok:
                reader.seek(reader.tell() + size)
            elif rec_type == REC_TYPE_END:
                return


def report_message(layout: QueueLayout, queue: str, queue_id: str, *,
                   empty_address: str = "MAILER-DAEMON", dup_limit: int = 1000,
                   warn: Warn = lambda _text: None) -> QueueEntry | None:
    """The listing of one queue file; None when it is not ready or has no sender."""
    st = layout.open_ok(queue, queue_id)
    if st is None:
        return None
    reporter = _Reporter(layout, queue, queue_id, st, empty_address, dup_limit, warn)
    try:
        with open(layout.path(queue, queue_id), "rb") as fp:
            reporter.run(RecordReader(fp))
    except FileNotFoundError:
        return None
    except OSError as exc:
        warn(f"open {queue} {queue_id}: {exc.strerror}")
    except RecordError:
        pass  # list what could be read, as showq does with a damaged file
    return reporter.entry


def _scan_dir(path: str, recurse: bool) -> Iterator[str]:
    """Names in directory order (readdir), as Postfix's scan_dir_next();
    with recurse, one-character subdirectories are entered where they
    are met, as mail_scan_dir_next() does."""
    try:
        with os.scandir(path) as entries:
            names = [(entry.name, entry.path) for entry in entries]
    except OSError:
        return
    for name, full in names:
        if recurse and len(name) == 1:
            yield from _scan_dir(full, recurse)
        else:
            yield name


def scan_queue(layout: QueueLayout, *, empty_address: str = "MAILER-DAEMON",
               dup_limit: int = 1000, warn: Warn = lambda _text: None) -> Iterator[QueueEntry]:
    """Every listed message, queue by queue in showq's order."""
    for queue in SHOWQ_QUEUES:
        for queue_id in _scan_dir(layout.top(queue), queue != "maildrop"):
            entry = report_message(layout, queue, queue_id, empty_address=empty_address,
                                   dup_limit=dup_limit, warn=warn)
            if entry is not None:
                yield entry
