"""NAME
    pyfix.smtpd.queueing - write an SMTP transaction into the queue

SUMMARY
    Transaction, mail_date(), received_header()

DESCRIPTION
    As in Postfix, the queue file is opened when the first recipient is
    accepted (the queue ID then appears in the log as "QUEUEID:
    client=..."), recipients are added as they are accepted, and DATA
    writes smtpd's Received: header followed by the message content.
    commit() makes the file durable and complete (fsync, then the "ready"
    mode) before the caller sends 250; abort() removes it.  Accepted mail
    waits in the incoming queue for the queue manager.

    The envelope follows cleanup's record order: arrival time, create
    time, rewrite context, sender, recipients (each with its original
    recipient and DSN attributes), the content segment, the extracted
    segment and the end record.

    Parameters read: myhostname, mail_name, queue_directory,
    hash_queue_depth, hash_queue_names, enable_long_queue_ids,
    line_length_limit (through the caller's Config).

DIAGNOSTICS
    QueueError (pyfix.queue.errors) on write failures; its reply hint is
    the SMTP reply ("452 4.3.1 Insufficient system storage" for a full
    disk).
"""

from __future__ import annotations

import time

from pyfix.address.quote import quote_822_local
from pyfix.config.store import Config
from pyfix.queue.layout import QueueLayout
from pyfix.queue.writer import QueueFileWriter


def mail_date(when: float) -> str:
    """RFC 5322 date as Postfix's mail_date() writes it."""
    local = time.localtime(when)
    offset = local.tm_gmtoff or 0
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    zone = time.strftime("%Z", local)
    return (time.strftime("%a, %d %b %Y %H:%M:%S ", local)
            + f"{sign}{hours:02d}{minutes:02d} ({zone})")


def received_header(helo: str | None, name: str, addr: str, myhostname: str, mail_name: str,
                    protocol: str, queue_id: str, recipients: list[str], when: float) -> list[str]:
    rfc_addr = f"IPv6:{addr}" if ":" in addr else addr
    lines = [f"Received: from {helo or name} ({name} [{rfc_addr}])"]
    if len(recipients) == 1:
        lines.append(f"\tby {myhostname} ({mail_name}) with {protocol} id {queue_id}")
        lines.append(f"\tfor <{quote_822_local(recipients[0])}>; {mail_date(when)}")
    else:
        lines.append(f"\tby {myhostname} ({mail_name}) with {protocol} id {queue_id};")
        lines.append(f"\t{mail_date(when)}")
    return lines


class Transaction:
    """One mail transaction's queue file."""

    def __init__(self, config: Config, layout: QueueLayout, sender: str) -> None:
        self.config = config
        self.layout = layout
        self.sender = sender
        self.recipients: list[str] = []
        self.arrival = time.time()
        self.writer: QueueFileWriter | None = None

    @property
    def queue_id(self) -> str | None:
        return self.writer.queue_id if self.writer is not None else None

    def add_recipient(self, address: str, orig: str, notify: int = 0, orcpt: str = "") -> str:
        if self.writer is None:
            writer = QueueFileWriter.create(
                self.layout, line_limit=self.config.get_int("line_length_limit"))
            seconds = int(self.arrival)
            writer.put_time(seconds, int((self.arrival - seconds) * 1_000_000))
            writer.put_create_time(seconds)
            writer.put_attr("rewrite_context", "remote")
            writer.put_sender(self.sender)
            self.writer = writer
        self.writer.add_recipient(address, orig, dsn_orcpt=orcpt, dsn_notify=notify)
        self.recipients.append(address)
        return self.writer.queue_id

    def start_content(self, header: list[str]) -> None:
        assert self.writer is not None
        self.writer.start_content()
        for line in header:
            self.writer.put_text(line.encode("utf-8", "surrogateescape"))

    def put_record(self, data: bytes, continued: bool) -> None:
        from pyfix.queue.records import REC_TYPE_CONT, REC_TYPE_NORM

        assert self.writer is not None
        self.writer.put_text(data, REC_TYPE_CONT if continued else REC_TYPE_NORM)

    def commit(self) -> str:
        assert self.writer is not None
        self.writer.start_extracted()
        self.writer.end()
        queue_id = self.writer.queue_id
        self.writer.commit()
        self.writer = None
        return queue_id

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None
