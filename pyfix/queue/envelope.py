"""NAME
    pyfix.queue.envelope - what a queue file's envelope says

SUMMARY
    QueueMessage, Recipient, EnvelopeParser

DESCRIPTION
    EnvelopeParser reads the envelope and extracted segments of a queue
    file the way Postfix's qmgr does (qmgr_message_read()): records up
    to the message content, then a jump over the content, by the size
    record's content offset and size, to the REC_TYPE_XTRA record that
    must be there, then the extracted segment up to REC_TYPE_END.
    Records of both segments may appear in either, as qmgr allows.
    Pointer records are followed.

    Named attributes that carry DSN information ("notify_flags",
    "dsn_orig_rcpt", "envelope_id", "ret_flags") and "create_time" are
    mapped to their meaning (rec_attr_map()); other attributes are kept
    by name.  A recipient takes the original recipient, DSN original
    recipient and NOTIFY flags that precede it, and remembers the file
    offset of its record and its status: REC_TYPE_RCPT (to deliver),
    REC_TYPE_DONE (delivered) or REC_TYPE_DRCP (canceled).

    As qmgr, the parser refuses a file without arrival time, sender,
    size record or end record, and a size record whose offsets or flags
    are out of range.  Malformed DSN values are ignored, as qmgr does.

    Parameters read: none.

DIAGNOSTICS
    QueueFileCorrupt, with Postfix's reason ("missing end record",
    "Unexpected record type 'N'", "invalid size record: ...") and the
    offset of the offending record where there is one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from pyfix.queue.errors import QueueFileCorrupt
from pyfix.queue.record_stream import RecordReader
from pyfix.queue.records import (
    ATTR_ENCODING,
    ENVELOPE_TYPES,
    EXTRACT_TYPES,
    QMGR_READ_FLAG_USER,
    REC_TYPE_ATTR,
    REC_TYPE_CTIME,
    REC_TYPE_DONE,
    REC_TYPE_DRCP,
    REC_TYPE_DSN_ENVID,
    REC_TYPE_DSN_NOTIFY,
    REC_TYPE_DSN_ORCPT,
    REC_TYPE_DSN_RET,
    REC_TYPE_END,
    REC_TYPE_ERTO,
    REC_TYPE_FILT,
    REC_TYPE_FROM,
    REC_TYPE_FULL,
    REC_TYPE_INSP,
    REC_TYPE_KILL,
    REC_TYPE_ORCP,
    REC_TYPE_PRIO,
    REC_TYPE_PTR,
    REC_TYPE_RCPT,
    REC_TYPE_RDR,
    REC_TYPE_RRTO,
    REC_TYPE_SIZE,
    REC_TYPE_TIME,
    REC_TYPE_VERP,
    REC_TYPE_WARN,
    REC_TYPE_XTRA,
    Record,
    RecordError,
    SizeRecord,
    parse_size_record,
    parse_time,
    parse_warn,
    rec_attr_map,
    split_attr,
)

_ENV_OR_EXTRACT = ENVELOPE_TYPES + EXTRACT_TYPES
DSN_NOTIFY_NEVER = 1
DSN_NOTIFY_ANY = 2 | 4 | 8  # SUCCESS | FAILURE | DELAY
DSN_RET_FULL = 1
DSN_RET_HDRS = 2


def dsn_notify_ok(value: int) -> bool:
    return value == DSN_NOTIFY_NEVER or (value != 0 and not value & ~DSN_NOTIFY_ANY)


def dsn_ret_ok(value: int) -> bool:
    return value in (DSN_RET_FULL, DSN_RET_HDRS)


@dataclass
class Recipient:
    address: str
    orig_address: str = ""
    dsn_orcpt: str = ""
    dsn_notify: int = 0
    offset: int = 0  # of the record whose type byte says its status
    status: int = REC_TYPE_RCPT  # RCPT: to do; DONE: delivered; DRCP: canceled

    @property
    def done(self) -> bool:
        return self.status != REC_TYPE_RCPT


@dataclass
class QueueMessage:
    """What the envelope and extracted segments of a queue file say."""

    queue_id: str
    path: str
    mode: int = 0
    size: SizeRecord = field(default_factory=SizeRecord)
    arrival_time: tuple[int, int] = (0, 0)
    create_time: int = 0
    sender: str | None = None
    full_name: str | None = None
    recipients: list[Recipient] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    content_filter: str | None = None
    inspector: str | None = None
    redirect: str | None = None
    verp_delimiters: str | None = None
    dsn_envid: str = ""
    dsn_ret: int = 0
    encoding: str = ""
    errors_to: str | None = None
    return_receipt: str | None = None
    priority: str | None = None
    warn_time: int = 0
    warn_offset: int = 0
    killed: int = 0
    end_offset: int = 0  # of the end record

    @property
    def content_offset(self) -> int:
        return self.size.data_offset

    @property
    def content_size(self) -> int:
        return self.size.data_size

    def pending(self) -> list[Recipient]:
        return [rcpt for rcpt in self.recipients if not rcpt.done]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


# Records that set one text field: (QueueMessage field, first one wins).
_TEXT_FIELDS = {
    REC_TYPE_FROM: ("sender", True),
    REC_TYPE_FULL: ("full_name", False),
    REC_TYPE_FILT: ("content_filter", False),
    REC_TYPE_INSP: ("inspector", False),
    REC_TYPE_RDR: ("redirect", False),
    REC_TYPE_DSN_ENVID: ("dsn_envid", False),
    REC_TYPE_ERTO: ("errors_to", False),
    REC_TYPE_RRTO: ("return_receipt", False),
    REC_TYPE_PRIO: ("priority", False),
}


class EnvelopeParser:
    """qmgr_message_read(): the envelope and extracted segments."""

    def __init__(self, reader: RecordReader, message: QueueMessage) -> None:
        self.reader = reader
        self.message = message
        self.orig_rcpt: str | None = None
        self.dsn_orcpt: str | None = None
        self.dsn_notify = 0

    def corrupt(self, reason: str, offset: int | None = None) -> QueueFileCorrupt:
        return QueueFileCorrupt(self.message.path, reason, offset)

    def run(self) -> QueueMessage:
        msg = self.message
        size_seen = False
        while True:
            offset = self.reader.tell()
            expected = _ENV_OR_EXTRACT
            if size_seen and offset == msg.size.data_offset:
                self.reader.seek(offset + msg.size.data_size)
                expected = bytes((REC_TYPE_XTRA,))
            try:
                record = self.reader.read()
            except RecordError as exc:
                raise self.corrupt(exc.reason, exc.offset) from None
            if record is not None and record.type == REC_TYPE_PTR:
                try:
                    self.reader.follow_pointer(record)
                except RecordError as exc:
                    raise self.corrupt(exc.reason, exc.offset) from None
                continue
            if record is None:
                raise self.corrupt("missing end record")
            if record.type not in expected:
                raise self.corrupt(f"Unexpected record type '{chr(record.type)}'", record.offset)
            if record.type == REC_TYPE_END:
                msg.end_offset = record.offset
                break
            if record.type == REC_TYPE_SIZE and not size_seen:
                msg.size = self.size(record)
                size_seen = True
                continue
            self.record(record)
        if msg.arrival_time[0] == 0:
            raise self.corrupt("missing arrival time record")
        if msg.sender is None:
            raise self.corrupt("missing sender record")
        if not size_seen:
            raise self.corrupt("missing size record")
        if msg.create_time == 0:
            msg.create_time = msg.arrival_time[0]
        return msg

    def size(self, record: Record) -> SizeRecord:
        size = parse_size_record(record.data)
        if size is None:
            raise self.corrupt("weird size record", record.offset)
        if size.data_offset <= 0 or size.data_size <= 0 or size.cont_length < 0:
            raise self.corrupt(f"invalid size record: {_text(record.data)[:100]}", record.offset)
        if size.qmgr_flags & ~QMGR_READ_FLAG_USER:
            raise self.corrupt(f"invalid flags in size record: {_text(record.data)[:100]}")
        if size.cont_length == 0:  # Postfix < 2.4
            size = dataclasses.replace(size, cont_length=size.data_size)
        return size

    def record(self, record: Record) -> None:
        msg = self.message
        rec_type = record.type
        value = _text(record.data)
        if rec_type == REC_TYPE_ATTR:
            try:
                name, value = split_attr(record.data)
            except ValueError as exc:
                raise self.corrupt(f"bad attribute record: {exc}", record.offset) from None
            rec_type = rec_attr_map(name) or REC_TYPE_ATTR
            if rec_type == REC_TYPE_ATTR:
                msg.attributes[name] = value
                if name == ATTR_ENCODING:
                    msg.encoding = value
                return
        if rec_type in (REC_TYPE_RCPT, REC_TYPE_DONE, REC_TYPE_DRCP):
            msg.recipients.append(
                Recipient(
                    address=value,
                    orig_address=self.orig_rcpt or "",
                    dsn_orcpt=self.dsn_orcpt or "",
                    dsn_notify=self.dsn_notify,
                    offset=record.offset,
                    status=rec_type,
                )
            )
            self.orig_rcpt = self.dsn_orcpt = None
            self.dsn_notify = 0
        elif rec_type == REC_TYPE_ORCP:
            self.orig_rcpt = value
        elif rec_type == REC_TYPE_DSN_ORCPT:
            self.dsn_orcpt = value
        elif rec_type == REC_TYPE_DSN_NOTIFY:
            notify = int(value) if value.isdigit() else 0
            self.dsn_notify = notify if dsn_notify_ok(notify) else 0
        else:
            self.envelope(rec_type, value, record)

    def envelope(self, rec_type: int, value: str, record: Record) -> None:
        msg = self.message
        text_field = _TEXT_FIELDS.get(rec_type)
        if text_field is not None:
            name, first_wins = text_field
            if not first_wins or getattr(msg, name) is None:
                setattr(msg, name, value)
        elif rec_type == REC_TYPE_TIME:
            if msg.arrival_time[0] == 0:
                msg.arrival_time = parse_time(record.data)
        elif rec_type == REC_TYPE_CTIME:
            if msg.create_time == 0:
                msg.create_time = int(value) if value.isdigit() else 0
        elif rec_type == REC_TYPE_VERP:
            if msg.verp_delimiters is None and msg.sender:
                msg.verp_delimiters = value
        elif rec_type == REC_TYPE_DSN_RET:
            ret = int(value) if value.isdigit() else 0
            if dsn_ret_ok(ret):
                msg.dsn_ret = ret
        elif rec_type == REC_TYPE_WARN:
            if msg.warn_offset == 0:
                msg.warn_offset = record.offset
                msg.warn_time = parse_warn(record.data)
        elif rec_type == REC_TYPE_KILL:
            msg.killed += 1
