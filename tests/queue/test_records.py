"""Postfix's record format: lengths, fixed-width records, decoding errors."""

from __future__ import annotations

import io

import pytest

from pyfix.queue import records as rec
from pyfix.queue.record_stream import RecordReader
from tests.queue.harness import GOLDENS, Golden


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (2048, b"\x80\x10"),
        (16383, b"\xff\x7f"),
        (16384, b"\x80\x80\x01"),
        (2**28, b"\x80\x80\x80\x80\x01"),
    ],
)
def test_length_is_seven_bit_groups_low_first(length: int, encoded: bytes) -> None:
    assert rec.encode_length(length) == encoded
    if length > 100_000:
        return
    record = rec.encode_record(rec.REC_TYPE_NORM, b"x" * length)
    assert record[:1] == b"N"
    assert rec.record_space(length) == len(record)
    decoded = rec.decode_record(record)
    assert decoded is not None
    assert (decoded.type, len(decoded.data), decoded.end) == (ord("N"), length, len(record))


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_postfix_files_decode_and_encode_back(golden: Golden) -> None:
    data = golden.data
    records = list(rec.iter_records(data))
    assert records[0].type == rec.REC_TYPE_SIZE
    assert records[-1].type == rec.REC_TYPE_END
    assert b"".join(rec.encode_record(r.type, r.data) for r in records) == data
    assert [r.offset for r in records[1:]] == [r.end for r in records[:-1]]


def test_record_letters_are_postfix_rec_type_h() -> None:
    letters = {
        "SIZE": "C", "TIME": "T", "CTIME": "c", "FULL": "F", "INSP": "I", "FILT": "L",
        "FROM": "S", "DONE": "D", "RCPT": "R", "ORCP": "O", "DRCP": "/", "WARN": "W",
        "ATTR": "A", "KILL": "K", "RDR": ">", "FLGS": "f", "DELAY": "d", "MESG": "M",
        "CONT": "L", "NORM": "N", "DTXT": "w", "XTRA": "X", "RRTO": "r", "ERTO": "e",
        "PRIO": "P", "PTR": "p", "VERP": "V", "DSN_RET": "<", "DSN_ENVID": "i",
        "DSN_ORCPT": "o", "DSN_NOTIFY": "n", "MILT_COUNT": "m", "END": "E",
    }  # fmt: skip
    for name, letter in letters.items():
        assert getattr(rec, f"REC_TYPE_{name}") == ord(letter), name
    assert rec.ENVELOPE_TYPES == b"MCTcFILSDRO/WVA>K<ion"
    assert rec.CONTENT_TYPES == b"XLNw"
    assert rec.EXTRACT_TYPES == b"EDRO/PreAFIL>Kon"


def test_type_names_as_postcat_prints_them() -> None:
    assert rec.rec_type_name(ord("L")) == "content_filter"  # first entry wins
    assert rec.rec_type_name(ord("/")) == "canceled_recipient"
    assert rec.rec_type_name(ord("d")) == "unknown_record_type"


def test_size_record_is_six_fields_of_fifteen() -> None:
    size = rec.SizeRecord(358, 681, 1, 0, 358, 0)
    encoded = size.encode()
    assert len(encoded) == rec.SIZE_RECORD_LENGTH == 6 * 15 + 5
    assert encoded == b" ".join(b"%15d" % v for v in (358, 681, 1, 0, 358, 0))
    assert rec.parse_size_record(encoded) == size
    assert rec.parse_size_record(b"100 200 3") == rec.SizeRecord(100, 200, 3)
    assert rec.parse_size_record(b"100 200") is None
    assert rec.parse_size_record(b"junk") is None


def test_time_warn_and_pointer_formats() -> None:
    assert rec.format_time(1795841066, 503261) == b"1795841066 503261"
    assert rec.parse_time(b"1795841066 503261") == (1795841066, 503261)
    assert rec.parse_time(b"1795841066") == (1795841066, 0)
    assert rec.format_warn(-1) == b"-1".rjust(15)
    assert rec.parse_warn(b"-1".rjust(15)) == -1
    assert rec.format_ptr(0) == b"0".rjust(15)
    assert rec.parse_ptr(b"           4711") == 4711
    assert rec.parse_ptr(b"") == 0
    with pytest.raises(ValueError, match="malformed pointer"):
        rec.parse_ptr(b"12x")
    assert rec.PTR_RECORD_SIZE == 17
    assert rec.pad_record(rec.REC_TYPE_DTXT, 10) == b"w\x08" + b"       0"


def test_split_attr_follows_split_nameval() -> None:
    assert rec.split_attr(b"create_time=1795841066") == ("create_time", "1795841066")
    assert rec.split_attr(b"  name  =  a value  ") == ("name", "a value")
    assert rec.split_attr(b"empty=") == ("empty", "")
    with pytest.raises(ValueError, match="missing attribute name"):
        rec.split_attr(b"=value")
    with pytest.raises(ValueError, match="missing '=' after attribute name"):
        rec.split_attr(b"two words=value")
    assert rec.rec_attr_map("notify_flags") == rec.REC_TYPE_DSN_NOTIFY
    assert rec.rec_attr_map("log_ident") == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"N", "unexpected EOF reading length, record type 78"),
        (b"N\x85", "unexpected EOF reading length, record type 78"),
        (b"N\x05abc", "unexpected EOF in data, record type 78 length 5"),
        (b"N\x80\x80\x80\x80\x80\x01", "too many length bits, record type 78"),
    ],
)
def test_damaged_records(data: bytes, reason: str) -> None:
    with pytest.raises(rec.RecordError) as info:
        rec.decode_record(b"E\x00" + data, 2)
    assert (info.value.reason, info.value.offset) == (reason, 2)


def test_maxsize() -> None:
    with pytest.raises(rec.RecordError, match="illegal length 5"):
        rec.decode_record(b"N\x05hello", 0, maxsize=4)


def test_reader_reads_across_chunks_and_seeks() -> None:
    data = b"".join(rec.encode_record(ord("N"), bytes([65 + i % 26]) * i) for i in range(300))
    reader = RecordReader(io.BytesIO(data), chunk_size=7)
    records = []
    while (record := reader.read()) is not None:
        records.append(record)
    assert records == list(rec.iter_records(data))
    reader.seek(records[100].offset)
    assert reader.read() == records[100]
    reader.seek(records[5].offset)
    assert reader.read() == records[5]


def test_reader_pointer_loop_is_an_error() -> None:
    pointer = rec.encode_record(rec.REC_TYPE_PTR, rec.format_ptr(0))
    loop = rec.encode_record(rec.REC_TYPE_PTR, rec.format_ptr(len(pointer)))
    reader = RecordReader(io.BytesIO(pointer + loop))
    first = reader.read()
    assert first is not None
    reader.follow_pointer(first)  # placeholder: stay
    with pytest.raises(rec.RecordError, match="too many reverse jump records"):
        while (record := reader.read()) is not None:
            reader.follow_pointer(record)
