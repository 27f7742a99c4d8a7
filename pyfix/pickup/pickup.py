"""NAME
    pyfix.pickup.pickup - hand one maildrop file to cleanup

SUMMARY
    PickupSettings, pickup_file(), scan_maildrop(), REMOVE, KEEP

DESCRIPTION
    pickup_file() reads a complete maildrop file (written by sendmail or
    postdrop, pyfix's or Postfix's) and passes it to cleanup, as
    Postfix's pickup does:

    -   The envelope segment may hold only envelope record types; the
        first S record is the sender.  Content-filter (L) and redirect
        (>) records, and return-receipt/errors-to records and action
        attributes in the extracted segment, left by "postsuper -r",
        are dropped.
    -   A file that breaks these rules is logged ("uid=N: unexpected or
        malformed record type T") and removed; so is a file without a
        sender ("ID: uid=N: no envelope sender").
    -   The log line is "QUEUEID: uid=N from=<sender>", with
        " orig_id=ID" for mail owned by $mail_owner that others cannot
        read (re-queued with "postsuper -r").
    -   The content starts with pickup's own header, "Received: by
        $myhostname ($mail_name, from userid N)" and "\\tid QUEUEID;
        DATE" (the file's mtime); a first content line that starts
        with white space gets an empty line before it.
    -   The file is removed only after cleanup has committed the queue
        file, or when cleanup found it unusable (CLEANUP_STAT_BAD, or
        no recipients: CLEANUP_STAT_RCPT); otherwise it stays for the
        next scan.

    pyfix's cleanup takes the envelope through its API rather than as
    records, so pickup reads the envelope segment before it opens the
    cleanup stream; the "no envelope sender" warning therefore names
    the maildrop file.  Passed on: the full name (F), the DSN
    attributes and trace_flags (sendmail -bv, -v).  Not passed on yet:
    other named attributes (the cleanup API has no place for them).
    The arrival time (T record, else the file's mtime) goes to
    cleanup's open().

    Parameters read: myhostname, mail_name, line_length_limit,
    mail_owner, receive_override_options, smtputf8_autodetect_classes
    (through PickupSettings).

DIAGNOSTICS
    Warnings as Postfix's pickup ("open input file PATH: REASON",
    "ID: message dated N seconds into the future", "ID: message has
    been queued for N days").
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from pyfix.cleanup.missing import mail_date
from pyfix.cleanup.origin import Origin
from pyfix.pickup.cleanup_api import (
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_RCPT,
    CleanupServiceAPI,
    CleanupStreamAPI,
    pickup_cleanup_flags,
)
from pyfix.queue.layout import QueueLayout
from pyfix.queue.record_stream import RecordReader
from pyfix.queue.records import (
    ATTR_DSN_NOTIFY,
    ATTR_DSN_ORCPT,
    ATTR_TRACE_FLAGS,
    CONTENT_TYPES,
    ENVELOPE_TYPES,
    EXTRACT_TYPES,
    REC_TYPE_ATTR,
    REC_TYPE_CONT,
    REC_TYPE_ERTO,
    REC_TYPE_FILT,
    REC_TYPE_FROM,
    REC_TYPE_FULL,
    REC_TYPE_NORM,
    REC_TYPE_ORCP,
    REC_TYPE_RCPT,
    REC_TYPE_RDR,
    REC_TYPE_RRTO,
    REC_TYPE_TIME,
    RecordError,
    parse_time,
    rec_attr_map,
    split_attr,
)

REMOVE: Final = "remove"
KEEP: Final = "keep"
DAY_SECONDS: Final = 86400
HOUR_SECONDS: Final = 3600
Log = Callable[[str], None]


class _BadFile(Exception):
    pass


@dataclass(frozen=True)
class PickupSettings:
    myhostname: str
    mail_name: str = "Postfix"
    line_limit: int = 2048
    owner_uid: int = -1
    receive_override_options: str = ""
    autodetect_classes: str = "sendmail, verify"


@dataclass
class _Rcpt:
    address: str
    orig: str | None
    notify: int
    orcpt: str | None


@dataclass
class _Segment:
    sender: str | None = None
    arrival: float | None = None
    recipients: list[_Rcpt] = field(default_factory=list)
    _orig: str | None = None
    _notify: int = 0
    _orcpt: str | None = None
    trace_flags: int = 0
    fullname: str | None = None

    def record(self, rec_type: int, data: bytes) -> None:
        text = data.decode("utf-8", "surrogateescape")
        if rec_type == REC_TYPE_FROM and self.sender is None:
            self.sender = text
        elif rec_type == REC_TYPE_FULL and self.fullname is None:
            self.fullname = text
        elif rec_type == REC_TYPE_TIME:
            seconds, usec = parse_time(data)
            self.arrival = seconds + usec / 1_000_000
        elif rec_type == REC_TYPE_ORCP:
            self._orig = text
        elif rec_type == REC_TYPE_ATTR:
            try:
                name, value = split_attr(data)
            except ValueError:
                return
            if name == ATTR_DSN_NOTIFY:
                self._notify = int(value) if value.isdigit() else 0
            elif name == ATTR_DSN_ORCPT:
                self._orcpt = value
            elif name == ATTR_TRACE_FLAGS and value.isdigit():
                self.trace_flags = int(value)
        elif rec_type == REC_TYPE_RCPT:
            self.recipients.append(_Rcpt(text, self._orig, self._notify, self._orcpt))
            self._orig, self._notify, self._orcpt = None, 0, None


def _segment(reader: RecordReader, allowed: bytes, limit: int, uid: int,
             content: bool = False) -> Iterator[tuple[int, bytes]]:
    """The records of one segment, up to and without its terminator."""
    while True:
        try:
            record = reader.read(limit)
        except RecordError as exc:
            raise _BadFile(f"uid={uid}: unexpected or malformed record type -1") from exc
        if record is None:
            raise _BadFile(f"uid={uid}: unexpected or malformed record type -1")
        if record.type not in allowed:
            raise _BadFile(f"uid={uid}: unexpected or malformed record type {record.type}")
        if record.type == allowed[0]:
            return
        if not content and record.type in (REC_TYPE_FILT, REC_TYPE_RDR):
            continue
        yield record.type, record.data


def _extracted(reader: RecordReader, limit: int, uid: int) -> Iterator[tuple[int, bytes]]:
    for rec_type, data in _segment(reader, EXTRACT_TYPES, limit, uid):
        if rec_type in (REC_TYPE_RRTO, REC_TYPE_ERTO):
            continue
        if rec_type == REC_TYPE_ATTR:
            try:
                name, _value = split_attr(data)
            except ValueError:
                pass
            else:
                if rec_attr_map(name) == 0:
                    continue
        yield rec_type, data


def pickup_file(path: str, cleanup: CleanupServiceAPI, settings: PickupSettings,
                info: Log, warn: Log) -> str:
    """Pass one maildrop file to cleanup; REMOVE or KEEP it afterwards."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            warn(f"open input file {path}: {exc.strerror}")
        return KEEP if exc.errno == errno.EACCES else REMOVE
    with os.fdopen(fd, "rb") as fp:
        st = os.fstat(fp.fileno())
        if not stat.S_ISREG(st.st_mode):
            warn(f"open input file {path}: not a regular file")
            return REMOVE
        return _pickup(fp, path, st, cleanup, settings, info, warn)


def _pickup(fp: BinaryIO, path: str, st: os.stat_result, cleanup: CleanupServiceAPI,
            settings: PickupSettings, info: Log, warn: Log) -> str:
    uid = st.st_uid
    maildrop_id = os.path.basename(path)
    reader = RecordReader(fp)
    limit = settings.line_limit
    envelope = _Segment()
    try:
        for rec_type, data in _segment(reader, ENVELOPE_TYPES, limit, uid):
            envelope.record(rec_type, data)
    except _BadFile as exc:
        warn(str(exc))
        return REMOVE
    if envelope.sender is None:
        warn(f"{maildrop_id}: uid={uid}: no envelope sender")
        return REMOVE
    requeued = uid == settings.owner_uid and not st.st_mode & stat.S_IROTH
    flags = pickup_cleanup_flags(settings.receive_override_options,
                                 settings.autodetect_classes, requeued)
    # Postfix < 2.3 maildrop files have no time record: use the mtime.
    arrival = envelope.arrival if envelope.arrival is not None else st.st_mtime
    stream = cleanup.open(envelope.sender, flags, arrival=arrival,
                          origin=Origin(fullname=envelope.fullname,
                                        trace_flags=envelope.trace_flags))
    try:
        return _copy(reader, stream, envelope, maildrop_id, st, requeued, settings, info, warn)
    except _BadFile as exc:
        stream.abort()
        warn(str(exc))
        return REMOVE
    except BaseException:
        stream.abort()
        raise


def _copy(reader: RecordReader, stream: CleanupStreamAPI, envelope: _Segment, maildrop_id: str,
          st: os.stat_result, requeued: bool, settings: PickupSettings, info: Log,
          warn: Log) -> str:
    queue_id = stream.queue_id
    uid = st.st_uid
    now = time.time()
    mtime = st.st_mtime
    if mtime > now + 2 * HOUR_SECONDS:
        warn(f"{queue_id}: message dated {int(mtime - now)} seconds into the future")
        mtime = now
    elif mtime < now - DAY_SECONDS:
        warn(f"{queue_id}: message has been queued for {int((now - mtime) // DAY_SECONDS)} days")
    for rcpt in envelope.recipients:
        stream.add_recipient(rcpt.address, rcpt.orig, rcpt.notify, rcpt.orcpt)
    sender = envelope.sender or ""
    if requeued:
        info(f"{queue_id}: uid={uid} from=<{sender}> orig_id={maildrop_id}")
    else:
        info(f"{queue_id}: uid={uid} from=<{sender}>")
    received = (f"Received: by {settings.myhostname} ({settings.mail_name},"
                f" from userid {uid})")
    stream.write_line(received.encode("utf-8", "surrogateescape"), False)
    stream.write_line(f"\tid {queue_id}; {mail_date(mtime)}".encode(), False)
    first = True
    for rec_type, data in _segment(reader, CONTENT_TYPES, settings.line_limit, uid, True):
        if rec_type not in (REC_TYPE_NORM, REC_TYPE_CONT):
            continue
        if first:
            first = False
            if data[:1] in (b" ", b"\t"):
                stream.write_line(b"", False)
        stream.write_line(data, rec_type == REC_TYPE_CONT)
    stream.end_content()
    extracted = _Segment()
    for rec_type, data in _extracted(reader, settings.line_limit, uid):
        extracted.record(rec_type, data)
    for rcpt in extracted.recipients:
        stream.add_recipient(rcpt.address, rcpt.orig, rcpt.notify, rcpt.orcpt)
    result = stream.close()
    if result.ok:
        return REMOVE
    if not result.reason:
        warn(f"maildrop/{maildrop_id}: error writing {queue_id}: status {result.status:#x}")
    return REMOVE if result.status & (CLEANUP_STAT_BAD | CLEANUP_STAT_RCPT) else KEEP


def scan_maildrop(layout: QueueLayout, cleanup: CleanupServiceAPI, settings: PickupSettings,
                  info: Log, warn: Log) -> int:
    """One pass over maildrop, repeated while files were removed; the count."""
    total = 0
    while True:
        removed = 0
        for name in list(layout.scan("maildrop")):
            if layout.open_ok("maildrop", name) is None:
                continue
            path = layout.path("maildrop", name)
            if pickup_file(path, cleanup, settings, info, warn) == REMOVE:
                try:
                    os.unlink(path)
                except OSError as exc:
                    warn(f"remove {path}: {exc.strerror}")
                else:
                    removed += 1
        total += removed
        if not removed:
            return total
