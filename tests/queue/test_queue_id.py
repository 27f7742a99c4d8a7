"""Queue IDs: short and long forms, decoding, validation, uniqueness."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyfix.queue import queue_id as qid
from pyfix.queue.records import REC_TYPE_TIME, iter_records, parse_time
from pyfix.queue.writer import QueueFileWriter
from tests.queue.harness import GOLDENS, Golden, copy_records, make_queue


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_postfix_ids_decode_to_the_file_inode(golden: Golden) -> None:
    info = qid.parse_queue_id(golden.queue_id)
    assert info.inode == int(golden.text("inode"))
    assert info.long_form == (golden.main_cf["enable_long_queue_ids"] == "yes")
    assert qid.queue_id_ok(golden.queue_id)


def test_postfix_long_id_encodes_the_creation_time() -> None:
    golden = GOLDENS[1]
    info = qid.parse_queue_id(golden.queue_id)
    records = list(iter_records(golden.data))
    arrival, _ = parse_time(next(r.data for r in records if r.type == REC_TYPE_TIME))
    created = next(int(r.data[12:]) for r in records if r.data.startswith(b"create_time="))
    # cleanup names the file just after smtpd's arrival time stamp.
    assert info.seconds is not None
    assert 0 <= info.seconds - arrival <= 1
    assert abs(info.seconds - created) <= 1
    assert qid.make_queue_id(info.inode, info.seconds, info.microseconds, True) == golden.queue_id


def test_short_form_layout() -> None:
    assert qid.make_queue_id(0x1640E8, 1795841173, 0x6683D, False) == "6683D1640E8"
    assert qid.make_queue_id(0x10, 1, 7, False) == "0000710"
    info = qid.parse_queue_id("6683D1640E8")
    assert (info.long_form, info.microseconds, info.inode, info.seconds) == (
        False, 0x6683D, 0x1640E8, None,
    )  # fmt: skip
    assert qid.hash_key("6683D1640E8") == "6683D1640E8"


def test_long_form_layout() -> None:
    queue_id = qid.make_queue_id(1458434, 1795841175, 462346, True)
    assert queue_id == "4jbyRC3GzGzByhk"
    assert queue_id[10] == "z"
    assert qid.hash_key(queue_id) == f"{462346:05X}"
    # Base 51 for the inode never uses "z", so the last "z" separates.
    for inode in (0, 50, 51, 2**40, 2**63):
        made = qid.make_queue_id(inode, 1_700_000_000, 999_999, True)
        assert qid.parse_queue_id(made).inode == inode
        assert made.rfind("z") == 10
    assert qid.make_queue_id(1, 0, 0, True) == "000000" "0000" "z1"


def test_safe_alphabet_has_no_vowels() -> None:
    assert len(qid.SAFE_CHARS) == 52
    assert not set("AEIOUaeiou") & set(qid.SAFE_CHARS)
    for value in (0, 1, 51, 52, 2**32, 2**64 - 1):
        for base in (51, 52):
            assert qid.safe_strtoul(qid.safe_ultostr(value, base), base) == value
    with pytest.raises(ValueError):
        qid.safe_strtoul("z", 51)
    with pytest.raises(ValueError):
        qid.safe_strtoul("A", 52)
    with pytest.raises(ValueError, match="out of range"):
        qid.safe_strtoul(qid.safe_ultostr(2**64, 52), 52)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("6683D1640E8", True),
        ("4jbyRC3GzGzByhk", True),
        ("example_com", True),  # fast-flush log names
        ("385297.4711", False),  # mail_queue_enter()'s temporary names
        ("", False),
        ("../etc", False),
        ("x" * 255, True),
        ("x" * 256, False),
        ("ÄBC", False),
    ],
)
def test_queue_id_ok(name: str, ok: bool) -> None:
    assert qid.queue_id_ok(name) is ok


def test_queue_name_ok() -> None:
    assert qid.queue_name_ok("deferred")
    assert not qid.queue_name_ok("de_ferred")
    assert not qid.queue_name_ok("x" * 101)


def test_short_id_with_hex_prefix_in_inode_part() -> None:
    # strtoul(..., 16) accepts "0x"; Postfix's name/inode check does too.
    assert qid.parse_queue_id("000010x1F").inode == 0x1F
    with pytest.raises(ValueError):
        qid.parse_queue_id("00001XYZ")


@pytest.mark.parametrize("long_ids", [False, True], ids=["short", "long"])
def test_ids_are_unique_and_name_the_inode(tmp_path: Path, long_ids: bool) -> None:
    queue = make_queue(tmp_path, long_ids=long_ids)
    writers = [QueueFileWriter.create(queue.layout, sync_directory=False) for _ in range(200)]
    try:
        ids = {w.queue_id for w in writers}
        assert len(ids) == len(writers)
        for writer in writers:
            info = qid.parse_queue_id(writer.queue_id)
            assert info.long_form is long_ids
            assert info.inode == os.stat(writer.path).st_ino
            assert qid.queue_id_ok(writer.queue_id)
    finally:
        for writer in writers:
            writer.abort()
    assert queue.files() == []


def test_copy_keeps_queue_id_independent_of_content(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        copy_records(writer, GOLDENS[0].data)
        writer.commit()
    assert writer.queue_id != GOLDENS[0].queue_id
