"""NAME
    pyfix.queue.records - Postfix's typed record format

SUMMARY
    REC_TYPE_* constants, Record, SizeRecord, encode_record(),
    decode_record(), iter_records(), RecordError

DESCRIPTION
    A Postfix queue file (and the stream that postdrop, pickup and
    cleanup exchange) is a sequence of typed records:

        type     one byte, the record type letter ("R" for recipient)
        length   the data length in 7-bit groups, least significant
                 group first; the high bit of a byte says another
                 length byte follows (a length below 128 is one byte)
        data     length bytes, no terminator

    The record type letters, the segment alphabets and the printable
    names are those of Postfix 3.7 (global/rec_type.h, rec_type.c).
    REC_TYPE_FILT and REC_TYPE_CONT share the letter "L": in the
    envelope it names a content filter, in the content an unterminated
    (continued) text line.

    A queue file has three segments: the envelope (ENVELOPE_TYPES, up
    to REC_TYPE_MESG), the content (CONTENT_TYPES: text records, ended
    by REC_TYPE_XTRA) and the extracted envelope (EXTRACT_TYPES, ended
    by REC_TYPE_END).  Fixed-width records can be updated in place:
    the size record at offset 0 ("%15ld" six times, space separated),
    the warning time ("%15ld") and pointer records ("%15ld"; offset 0
    is a placeholder).  A record's type byte alone is rewritten to mark
    a recipient done ("R" becomes "D").

    Named attributes ("A" records, "name=value") carry the DSN and
    create-time information in queue files; rec_attr_map() maps those
    names to the pseudo record types that Postfix uses internally.

    Parameters read: none.

DIAGNOSTICS
    decode_record() raises RecordError with Postfix's wording ("unexpected
    EOF in data, record type 82 length 17") and the record offset.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

BufferLike = bytes | bytearray | memoryview | mmap.mmap

# Record types (global/rec_type.h). --------------------------------------
REC_TYPE_SIZE: Final = ord("C")  # first record, created by cleanup
REC_TYPE_TIME: Final = ord("T")  # arrival time, required
REC_TYPE_CTIME: Final = ord("c")  # create time, optional (pseudo type)
REC_TYPE_FULL: Final = ord("F")  # full name, optional
REC_TYPE_INSP: Final = ord("I")  # inspector transport
REC_TYPE_FILT: Final = ord("L")  # loop filter transport
REC_TYPE_FROM: Final = ord("S")  # sender, required
REC_TYPE_DONE: Final = ord("D")  # delivered recipient, optional
REC_TYPE_RCPT: Final = ord("R")  # todo recipient, optional
REC_TYPE_ORCP: Final = ord("O")  # original recipient, optional
REC_TYPE_DRCP: Final = ord("/")  # canceled recipient, optional
REC_TYPE_WARN: Final = ord("W")  # warning message time
REC_TYPE_ATTR: Final = ord("A")  # named attribute for extensions
REC_TYPE_KILL: Final = ord("K")  # killed record
REC_TYPE_RDR: Final = ord(">")  # redirect target
REC_TYPE_FLGS: Final = ord("f")  # cleanup processing flags (not in queue files)
REC_TYPE_DELAY: Final = ord("d")  # cleanup delay upon arrival (not in queue files)
REC_TYPE_MESG: Final = ord("M")  # start message records
REC_TYPE_CONT: Final = ord("L")  # long data record (same letter as FILT)
REC_TYPE_NORM: Final = ord("N")  # normal data record
REC_TYPE_DTXT: Final = ord("w")  # padding (was: deleted data)
REC_TYPE_XTRA: Final = ord("X")  # start extracted records
REC_TYPE_RRTO: Final = ord("r")  # return-receipt, from headers
REC_TYPE_ERTO: Final = ord("e")  # errors-to, from headers
REC_TYPE_PRIO: Final = ord("P")  # priority
REC_TYPE_PTR: Final = ord("p")  # pointer indirection
REC_TYPE_VERP: Final = ord("V")  # VERP delimiters
REC_TYPE_DSN_RET: Final = ord("<")  # DSN full/hdrs (pseudo type)
REC_TYPE_DSN_ENVID: Final = ord("i")  # DSN envelope id (pseudo type)
REC_TYPE_DSN_ORCPT: Final = ord("o")  # DSN orig rcpt address (pseudo type)
REC_TYPE_DSN_NOTIFY: Final = ord("n")  # DSN notify flags (pseudo type)
REC_TYPE_MILT_COUNT: Final = ord("m")  # milter count (not in queue files)
REC_TYPE_END: Final = ord("E")  # terminator, required

# Which types each segment may hold; the first one ends the segment.
ENVELOPE_TYPES: Final = b"MCTcFILSDRO/WVA>K<ion"
CONTENT_TYPES: Final = b"XLNw"
EXTRACT_TYPES: Final = b"EDRO/PreAFIL>Kon"
ENV_RECIPIENT_TYPES: Final = b"MDRO/Kon"
EXT_RECIPIENT_TYPES: Final = b"EDRO/Kon"
# What postdrop accepts from sendmail (maildrop files).
POST_ENVELOPE_TYPES: Final = b"MFSRVAin"
POST_CONTENT_TYPES: Final = b"XLN"
POST_EXTRACT_TYPES: Final = b"EAR"

# Printable names, as postcat prints them (global/rec_type.c); the
# first entry for a letter wins, so "L" prints as content_filter.
_NAMES: Final = (
    (REC_TYPE_SIZE, "message_size"),
    (REC_TYPE_TIME, "message_arrival_time"),
    (REC_TYPE_CTIME, "queue_file_create_time"),
    (REC_TYPE_FULL, "sender_fullname"),
    (REC_TYPE_INSP, "content_inspector"),
    (REC_TYPE_FILT, "content_filter"),
    (REC_TYPE_FROM, "sender"),
    (REC_TYPE_DONE, "done_recipient"),
    (REC_TYPE_DRCP, "canceled_recipient"),
    (REC_TYPE_RCPT, "recipient"),
    (REC_TYPE_ORCP, "original_recipient"),
    (REC_TYPE_WARN, "warning_message_time"),
    (REC_TYPE_ATTR, "named_attribute"),
    (REC_TYPE_PTR, "pointer_record"),
    (REC_TYPE_KILL, "killed_record"),
    (REC_TYPE_MESG, "message_content"),
    (REC_TYPE_CONT, "unterminated_text"),
    (REC_TYPE_NORM, "regular_text"),
    (REC_TYPE_DTXT, "padding"),
    (REC_TYPE_XTRA, "extracted_info"),
    (REC_TYPE_RRTO, "return_receipt"),
    (REC_TYPE_ERTO, "errors_to"),
    (REC_TYPE_PRIO, "priority"),
    (REC_TYPE_VERP, "verp_delimiters"),
    (REC_TYPE_END, "message_end"),
    (REC_TYPE_RDR, "redirect_to"),
    (REC_TYPE_FLGS, "flags"),
    (REC_TYPE_DSN_RET, "dsn_return_flags"),
    (REC_TYPE_DSN_ENVID, "dsn_envelope_id"),
    (REC_TYPE_DSN_ORCPT, "dsn_original_recipient"),
    (REC_TYPE_DSN_NOTIFY, "dsn_notify_flags"),
)
REC_TYPE_NAMES: Final[dict[int, str]] = {}
for _type, _name in _NAMES:
    REC_TYPE_NAMES.setdefault(_type, _name)


def rec_type_name(rec_type: int) -> str:
    return REC_TYPE_NAMES.get(rec_type, "unknown_record_type")


# Named attributes stored in queue files (global/mail_proto.h). ---------
ATTR_CREATE_TIME: Final = "create_time"
ATTR_DSN_ENVID: Final = "envelope_id"
ATTR_DSN_RET: Final = "ret_flags"
ATTR_DSN_NOTIFY: Final = "notify_flags"
ATTR_DSN_ORCPT: Final = "dsn_orig_rcpt"
ATTR_ENCODING: Final = "encoding"
ATTR_TRACE_FLAGS: Final = "trace_flags"
ATTR_LOG_IDENT: Final = "log_ident"
ATTR_RWR_CONTEXT: Final = "rewrite_context"

_ATTR_PSEUDO_TYPES: Final = {
    ATTR_DSN_ORCPT: REC_TYPE_DSN_ORCPT,
    ATTR_DSN_NOTIFY: REC_TYPE_DSN_NOTIFY,
    ATTR_DSN_ENVID: REC_TYPE_DSN_ENVID,
    ATTR_DSN_RET: REC_TYPE_DSN_RET,
    ATTR_CREATE_TIME: REC_TYPE_CTIME,
}


def rec_attr_map(name: str) -> int:
    """The pseudo record type of a named attribute, or 0."""
    return _ATTR_PSEUDO_TYPES.get(name, 0)


# qmgr hints in the size record (global/qmgr_user.h).
QMGR_READ_FLAG_MIXED_RCPT_OTHER: Final = 1 << 0


def qmgr_read_flag_from_dsn(notify: int) -> int:
    return notify << 1


QMGR_READ_FLAG_USER: Final = QMGR_READ_FLAG_MIXED_RCPT_OTHER | qmgr_read_flag_from_dsn(0xF)

# Encoding and decoding. --------------------------------------------------
LENGTH_SHIFT_LIMIT: Final = 32  # Postfix: shift >= NBBY * sizeof(int) is an error


class RecordError(Exception):
    """A record that cannot be decoded.

    truncated is true when more input could complete the record.
    """

    def __init__(self, reason: str, offset: int, truncated: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.truncated = truncated


@dataclass(frozen=True, slots=True)
class Record:
    type: int
    data: bytes
    offset: int  # of the type byte
    end: int  # offset of the next record

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogateescape")


def encode_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_record(rec_type: int, data: bytes) -> bytes:
    if not 0 <= rec_type <= 255:
        raise ValueError(f"bad record type {rec_type}")
    return bytes((rec_type,)) + encode_length(len(data)) + data


def record_space(data_length: int) -> int:
    """Bytes that a record with data_length bytes of data occupies."""
    return 1 + len(encode_length(data_length)) + data_length


def decode_record(buf: BufferLike, pos: int = 0, maxsize: int = 0, base: int = 0) -> Record | None:
    """The record at buf[pos:]; None at the end of buf.

    base is the file offset of buf[0]; Record offsets include it.
    """
    view = memoryview(buf)
    size = len(view)
    if pos >= size:
        return None
    rec_type = view[pos]
    start = pos
    pos += 1
    length = 0
    shift = 0
    while True:
        if shift >= LENGTH_SHIFT_LIMIT:
            raise RecordError(f"too many length bits, record type {rec_type}", base + start)
        if pos >= size:
            raise RecordError(
                f"unexpected EOF reading length, record type {rec_type}", base + start, True
            )
        byte = view[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    if maxsize > 0 and length > maxsize:
        raise RecordError(f"illegal length {length}, record type {rec_type}", base + start)
    if pos + length > size:
        raise RecordError(
            f"unexpected EOF in data, record type {rec_type} length {length}", base + start, True
        )
    return Record(rec_type, bytes(view[pos : pos + length]), base + start, base + pos + length)


def iter_records(buf: BufferLike, start: int = 0) -> Iterator[Record]:
    """Every record from start to the end of buf, without interpretation."""
    offset = start
    while (record := decode_record(buf, offset)) is not None:
        yield record
        offset = record.end


# Fixed formats. -----------------------------------------------------------
FIELD_WIDTH: Final = 15  # "%15ld"
PTR_PAYLOAD_SIZE: Final = FIELD_WIDTH
PTR_RECORD_SIZE: Final = record_space(PTR_PAYLOAD_SIZE)


def format_long(value: int) -> bytes:
    """Postfix's "%15ld": right-aligned in 15 columns, wider if needed."""
    return b"%15d" % value


@dataclass(frozen=True, slots=True)
class SizeRecord:
    """The six fields of the size record that cleanup writes first."""

    data_size: int = 0  # extracted segment offset - content offset
    data_offset: int = 0  # offset of the first content record
    rcpt_count: int = 0
    qmgr_flags: int = 0
    cont_length: int = 0  # message content length
    smtputf8: int = 0

    def encode(self) -> bytes:
        return b" ".join(
            format_long(value)
            for value in (
                self.data_size,
                self.data_offset,
                self.rcpt_count,
                self.qmgr_flags,
                self.cont_length,
                self.smtputf8,
            )
        )


SIZE_RECORD_LENGTH: Final = len(SizeRecord().encode())


def parse_size_record(data: bytes) -> SizeRecord | None:
    """Parse a size record as qmgr does; None when it is unusable.

    Postfix >= 1.0 writes at least three fields; missing trailing fields
    are zero.  A one-field (pre-1.0) record is not supported.
    """
    fields = data.split()
    values: list[int] = []
    for field in fields[:6]:
        try:
            values.append(int(field))
        except ValueError:
            break
    if len(values) < 3:
        return None
    return SizeRecord(*values)


def format_time(seconds: int, microseconds: int) -> bytes:
    """REC_TYPE_TIME_FORMAT "%ld %ld"."""
    return b"%d %d" % (seconds, microseconds)


def _atol(data: bytes) -> int:
    """C atol(): optional blanks and sign, then digits; 0 if none."""
    text = data.lstrip(b" \t\n\r\f\v")
    sign = 1
    if text[:1] in (b"-", b"+"):
        sign = -1 if text[:1] == b"-" else 1
        text = text[1:]
    digits = len(text) - len(text.lstrip(b"0123456789"))
    return sign * int(text[:digits]) if digits else 0


def parse_time(data: bytes) -> tuple[int, int]:
    """REC_TYPE_TIME_SCAN: seconds, then microseconds after the digits."""
    digits = len(data) - len(data.lstrip(b"0123456789"))
    return _atol(data), _atol(data[digits:])


def format_warn(when: int) -> bytes:
    """REC_TYPE_WARN_FORMAT "%15ld"."""
    return format_long(when)


def parse_warn(data: bytes) -> int:
    return _atol(data)


def format_ptr(offset: int) -> bytes:
    """REC_TYPE_PTR_FORMAT "%15ld"; offset 0 is a placeholder."""
    return format_long(offset)


def parse_ptr(data: bytes) -> int:
    """A pointer record's target (0: placeholder); ValueError when malformed.

    As rec_goto(): leading blanks, then nothing but digits.
    """
    text = data.lstrip(b" \t\n\r\f\v")
    if text and not text.isdigit():
        raise ValueError("malformed pointer record value")
    return int(text) if text else 0


def pad_record(rec_type: int, length: int) -> bytes:
    """rec_pad(): a record of at least length bytes in all."""
    width = max(length - 2, 1)
    return encode_record(rec_type, b"0".rjust(width))


_SPACE: Final = " \t\n\r\f\v"
_BLANK: Final = re.compile(r"[ \t\n\r\f\v]")


def split_attr(data: bytes) -> tuple[str, str]:
    """Split "name=value" as split_nameval() does.

    The name has no blanks; blanks around "=" and at the end of the
    value are dropped.  ValueError carries Postfix's reason.
    """
    text = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape").lstrip(_SPACE)
    name, sep, value = text.partition("=")
    if sep and name and _BLANK.search(name) is None:  # the common case
        return name, value.strip(_SPACE)
    if not text or text[0] == "=":
        raise ValueError("missing attribute name")
    end = 0
    while end < len(text) and text[end] not in _SPACE and text[end] != "=":
        end += 1
    rest = text[end:].lstrip(_SPACE)
    if not rest.startswith("="):
        raise ValueError("missing '=' after attribute name")
    return text[:end], rest[1:].strip(_SPACE)
