"""NAME
    pyfix.pickup.submit - postdrop(1) semantics: check records, write maildrop

SUMMARY
    submit_records(), SubmitResult, SubmitFatal, CLEANUP_STAT_*

DESCRIPTION
    submit_records() copies a record stream from a local submission
    (sendmail, or postdrop's standard input) into a new maildrop file
    (maildrop.py), checking it the way Postfix's postdrop does:

    -   The file starts with a REC_TYPE_TIME record holding the time of
        submission; the caller's own time records are not trusted.
    -   Only the record types of a submission may appear, segment by
        segment: envelope "MFSRVAin" (ended by M), content "XLN" (ended
        by X), extracted "EAR" (ended by E).  Anything else is fatal:
        "uid=N: unexpected record type: T".  A malformed record (bad
        length, or longer than $line_length_limit) is fatal: "uid=N:
        malformed input".  A fatal error removes the file.
    -   Named attributes (A records) are kept only for encoding (7bit,
        8bit or empty), envelope_id, notify_flags, dsn_orig_rcpt,
        ret_flags, create_time, rewrite_context (local or remote) and
        trace_flags; others are dropped with "uid=N: ignoring attribute
        record: NAME=VALUE", malformed ones with "uid=N: ignoring
        malformed record: REASON: TEXT".
    -   End of input before the E record means the client gave up: the
        file is removed and nothing is reported (status None).
    -   A submission without a sender or without a recipient gets
        CLEANUP_STAT_BAD.  Postfix's postdrop leaves that file behind,
        incomplete, for "postsuper -p"; pyfix removes it at once.
    -   A write error reads the rest of the input and reports
        CLEANUP_STAT_WRITE (CLEANUP_STAT_SIZE for EFBIG).

    After the file is complete (mode 0744, fsync'd) pickup is woken up;
    a failure to reach it is only a warning.

    Parameters read: none (the caller passes queue_directory,
    enable_long_queue_ids, line_length_limit and pickup_service_name).

DIAGNOSTICS
    SubmitFatal carries Postfix's fatal text; warnings go to the warn
    callback.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from pyfix.pickup.maildrop import MaildropFile, create_maildrop_file, trigger_pickup
from pyfix.queue.records import (
    ATTR_CREATE_TIME,
    ATTR_DSN_ENVID,
    ATTR_DSN_NOTIFY,
    ATTR_DSN_ORCPT,
    ATTR_DSN_RET,
    ATTR_ENCODING,
    ATTR_RWR_CONTEXT,
    ATTR_TRACE_FLAGS,
    POST_CONTENT_TYPES,
    POST_ENVELOPE_TYPES,
    POST_EXTRACT_TYPES,
    REC_TYPE_ATTR,
    REC_TYPE_END,
    REC_TYPE_FROM,
    REC_TYPE_RCPT,
    REC_TYPE_TIME,
    RecordError,
    encode_record,
    format_time,
    split_attr,
)

CLEANUP_STAT_OK: Final = 0
CLEANUP_STAT_BAD: Final = 1 << 0
CLEANUP_STAT_WRITE: Final = 1 << 1
CLEANUP_STAT_SIZE: Final = 1 << 2
CLEANUP_STAT_NOPERM: Final = 1 << 9

_SEGMENTS: Final = (POST_ENVELOPE_TYPES, POST_CONTENT_TYPES, POST_EXTRACT_TYPES, b"")
_ATTR_VALUES: Final[dict[str, tuple[str, ...] | None]] = {
    ATTR_ENCODING: ("7bit", "8bit", ""),
    ATTR_DSN_ENVID: None,
    ATTR_DSN_NOTIFY: None,
    ATTR_DSN_ORCPT: None,
    ATTR_DSN_RET: None,
    ATTR_CREATE_TIME: None,
    ATTR_RWR_CONTEXT: ("local", "remote"),
    ATTR_TRACE_FLAGS: None,
}

RecordSource = Iterable[tuple[int, bytes]]
Warn = Callable[[str], None]


class SubmitFatal(Exception):
    """Postdrop's fatal errors; the maildrop file has been removed."""


@dataclass(frozen=True)
class SubmitResult:
    queue_id: str
    status: int | None  # None: the client canceled (end of input)
    reason: str = ""


def _attr_record(data: bytes, uid: int, warn: Warn) -> bytes | None:
    """The A record to keep (normalized "name=value"), or None."""
    try:
        name, value = split_attr(data)
    except ValueError as exc:
        text = data.decode("utf-8", "surrogateescape")[:200]
        warn(f"uid={uid}: ignoring malformed record: {exc}: {text}")
        return None
    allowed = _ATTR_VALUES.get(name, ())
    if allowed is not None and value not in allowed:
        warn(f"uid={uid}: ignoring attribute record: {name[:200]}={value[:200]}")
        return None
    return encode_record(REC_TYPE_ATTR, f"{name}={value}".encode("utf-8", "surrogateescape"))


def _drain(records: Iterator[tuple[int, bytes]], uid: int) -> None:
    try:
        for rec_type, _data in records:
            if rec_type == REC_TYPE_END:
                return
    except RecordError:
        raise SubmitFatal(f"uid={uid}: malformed input") from None


def submit_records(
    records: RecordSource,
    queue_directory: str,
    *,
    uid: int,
    warn: Warn,
    long_ids: bool = False,
    pickup_service: str = "pickup",
    on_created: Callable[[str], None] | None = None,
    now: tuple[int, int] | None = None,
) -> SubmitResult:
    """Copy records into a new maildrop file (see the module description)."""
    dst = create_maildrop_file(queue_directory, long_ids)
    try:
        if on_created is not None:
            on_created(dst.queue_id)
        status = _copy(iter(records), dst, uid, warn, now)
    except BaseException:
        dst.abort()
        raise
    if status is None:
        dst.abort()
        return SubmitResult(dst.queue_id, None)
    if status == CLEANUP_STAT_OK:
        try:
            dst.finish()
        except OSError as exc:
            warn(f"uid={uid}: {exc.strerror}")
            dst.abort()
            status = CLEANUP_STAT_SIZE if exc.errno == errno.EFBIG else CLEANUP_STAT_WRITE
            return SubmitResult(dst.queue_id, status)
        complaint = trigger_pickup(queue_directory, pickup_service)
        if complaint:
            warn(complaint)
        return SubmitResult(dst.queue_id, status)
    dst.abort()
    return SubmitResult(dst.queue_id, status)


def _copy(records: Iterator[tuple[int, bytes]], dst: MaildropFile, uid: int, warn: Warn,
          now: tuple[int, int] | None) -> int | None:
    """CLEANUP_STAT_* of the copy, or None when the input ended early."""
    if now is None:
        import time

        stamp = time.time_ns() // 1000
        now = (stamp // 1_000_000, stamp % 1_000_000)
    expected = 0
    from_count = rcpt_count = 0
    try:
        dst.write(encode_record(REC_TYPE_TIME, format_time(*now)))
    except OSError as exc:
        _drain(records, uid)
        return CLEANUP_STAT_SIZE if exc.errno == errno.EFBIG else CLEANUP_STAT_WRITE
    while True:
        try:
            item = next(records, None)
        except RecordError as exc:
            warn(f"stdin: {exc.reason}")
            raise SubmitFatal(f"uid={uid}: malformed input") from None
        if item is None:
            return None
        rec_type, data = item
        if rec_type not in _SEGMENTS[expected]:
            raise SubmitFatal(f"uid={uid}: unexpected record type: {rec_type}")
        if rec_type == _SEGMENTS[expected][0]:
            expected += 1
        if rec_type == REC_TYPE_TIME:
            continue
        if rec_type == REC_TYPE_FROM:
            from_count += 1
        elif rec_type == REC_TYPE_RCPT:
            rcpt_count += 1
        if rec_type == REC_TYPE_ATTR:
            record = _attr_record(data, uid, warn)
            if record is None:
                continue
        else:
            record = encode_record(rec_type, data)
        try:
            dst.write(record)
        except OSError as exc:
            if rec_type != REC_TYPE_END:
                _drain(records, uid)
            return CLEANUP_STAT_SIZE if exc.errno == errno.EFBIG else CLEANUP_STAT_WRITE
        if rec_type == REC_TYPE_END:
            break
    if from_count == 0 or rcpt_count == 0:
        return CLEANUP_STAT_BAD
    return CLEANUP_STAT_OK
