"""QueueFile: pyfix reads queue files that real Postfix wrote; damage; updates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyfix.queue import records as rec
from pyfix.queue.errors import QueueError, QueueFileCorrupt, QueueFileIncomplete, QueueFileMissing
from pyfix.queue.reader import QueueFile, read_queue_file
from pyfix.queue.writer import QueueFileWriter
from tests.queue.harness import GOLDEN, GOLDENS, Golden, TempQueue, install_file, make_queue


def _install_golden(tmp_path: Path, golden: Golden) -> tuple[TempQueue, Path]:
    queue = make_queue(tmp_path)
    path = install_file(queue, golden.data, f"active/{golden.queue_id}")
    return queue, path


def test_reads_postfix_message_with_dsn(tmp_path: Path) -> None:
    golden = GOLDENS[0]
    _, path = _install_golden(tmp_path, golden)
    message = read_queue_file(str(path))
    assert message.queue_id == golden.queue_id
    assert message.sender == "sender@example.org"
    assert (message.dsn_envid, message.dsn_ret) == ("env-id-42", 2)  # RET=HDRS
    assert message.size == rec.SizeRecord(9134, 800, 2, 12, 9134, 0)
    assert message.size.qmgr_flags == rec.qmgr_read_flag_from_dsn(6)
    assert message.create_time == message.arrival_time[0]
    assert message.attributes["log_ident"] == golden.queue_id
    assert message.attributes["log_helo_name"] == "client.example.org"
    assert message.attributes["rewrite_context"] == "local"
    assert "envelope_id" not in message.attributes  # mapped to dsn_envid
    alice, bob = message.recipients
    assert (alice.address, alice.orig_address, alice.dsn_orcpt, alice.dsn_notify) == (
        "alice@example.com", "alice@example.com", "rfc822;alice@example.com", 6,
    )  # fmt: skip
    assert (bob.address, bob.dsn_orcpt, bob.dsn_notify) == (
        "bob@example.net", "rfc822;bob@example.net", 0,
    )  # fmt: skip
    assert not alice.done and not bob.done
    assert golden.data[message.content_offset - 2 : message.content_offset] == b"M\x00"
    assert golden.data[message.content_offset + message.content_size] == rec.REC_TYPE_XTRA


@pytest.mark.parametrize(
    ("golden", "eml"), [(GOLDENS[0], "message1.eml"), (GOLDENS[1], "message2.eml")]
)
def test_content_is_the_message_that_was_sent(tmp_path: Path, golden: Golden, eml: str) -> None:
    """Postfix's file holds its Received: header, then the message as sent."""
    _, path = _install_golden(tmp_path, golden)
    with QueueFile.open_path(str(path), writable=False) as queue_file:
        lines = list(queue_file.iter_lines())
    sent = (GOLDEN / eml).read_bytes().split(b"\n")[:-1]
    assert lines[0].startswith(b"Received: from client.example.org")
    assert golden.queue_id.encode() in lines[1]
    assert lines[3:] == sent


def test_mark_done_rewrites_one_byte(tmp_path: Path) -> None:
    golden = GOLDENS[0]
    _, path = _install_golden(tmp_path, golden)
    with QueueFile.open_path(str(path)) as queue_file:
        assert queue_file.lock(exclusive=False)
        message = queue_file.read_envelope()
        queue_file.mark_done(message.recipients[1], sync=True)
        queue_file.mark_done(message.recipients[1])  # idempotent
        assert message.recipients[1].done
        again = queue_file.read_envelope()
    assert [r.status for r in again.recipients] == [rec.REC_TYPE_RCPT, rec.REC_TYPE_DONE]
    assert [r.address for r in again.pending()] == ["alice@example.com"]
    changed = [i for i, (a, b) in enumerate(zip(golden.data, path.read_bytes(), strict=True)) if a != b]
    assert changed == [message.recipients[1].offset]
    with QueueFile.open_path(str(path)) as queue_file, pytest.raises(QueueFileCorrupt):
        queue_file.mark_done(message.recipients[1].offset + 1)


def test_locks_exclude_each_other(tmp_path: Path) -> None:
    _, path = _install_golden(tmp_path, GOLDENS[1])
    with QueueFile.open_path(str(path)) as qmgr, QueueFile.open_path(str(path)) as agent:
        assert qmgr.lock(exclusive=True)
        assert not agent.lock(exclusive=False)
        qmgr.close()
        assert agent.lock(exclusive=False)


def test_set_warn_time_in_place(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        writer.put_time(1_700_000_000)
        writer.put_sender("s@example.org")
        writer.put_warn(1_700_014_400)
        writer.add_recipient("r@example.com")
        writer.start_content()
        writer.put_text(b"Subject: warn")
        writer.start_extracted()
        writer.end()
        path = writer.commit()
    size = os.path.getsize(path)
    with QueueFile.open_path(path) as queue_file:
        queue_file.set_warn_time(-1)
    assert read_queue_file(path).warn_time == -1
    assert os.path.getsize(path) == size


def test_incomplete_and_missing_files(tmp_path: Path) -> None:
    golden = GOLDENS[1]
    queue = make_queue(tmp_path)
    path = install_file(queue, golden.data, "incoming/ABCDEF1", mode=0o600)
    with pytest.raises(QueueFileIncomplete) as info:
        QueueFile.open(queue.layout, "incoming", "ABCDEF1")
    assert info.value.mode & 0o777 == 0o600
    with pytest.raises(QueueFileMissing):
        QueueFile.open(queue.layout, "incoming", "ABCDEF2")
    os.symlink(path, tmp_path / "spool/incoming/ABCDEF3")
    with pytest.raises(QueueError, match="not a regular file"):
        QueueFile.open(queue.layout, "incoming", "ABCDEF3")


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_every_truncation_is_corrupt(tmp_path: Path, golden: Golden) -> None:
    """A file cut anywhere (crash before fsync) is never taken for a message."""
    queue = make_queue(tmp_path)
    data = golden.data
    for cut in [*range(0, 120), *range(120, len(data), 37), len(data) - 1]:
        path = install_file(queue, data[:cut], "active/ABCDEF1")
        with pytest.raises(QueueFileCorrupt):
            read_queue_file(str(path))


def _edit(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: _edit(d, b"S\x13sender2", b"N\x13sender2"), "Unexpected record type 'N'"),
        (lambda d: _edit(d, b"S\x13sender2@example.org", b"A\x13log_x=2@example.org"),
         "missing sender record"),
        (lambda d: _edit(d, b"T\x11", b"A\x11"), "bad attribute record"),
        (lambda d: _edit(d, b"X\x00E\x00", b"N\x00E\x00"), "Unexpected record type 'N'"),
        (lambda d: d[:2] + rec.SizeRecord(356, 0, 1).encode() + d[97:], "invalid size record"),
        (lambda d: d[:2] + rec.SizeRecord(356, 681, 1, 64).encode() + d[97:],
         "invalid flags in size record"),
        (lambda d: d[:2] + rec.SizeRecord(356, 600, 1).encode() + d[97:],
         "Unexpected record type 'N'"),
        (lambda d: d[:2] + b"x" * 95 + d[97:], "weird size record"),
        (lambda d: d[:-2] + b"N\x00", "Unexpected record type 'N'"),
        (lambda d: d[:-2], "missing end record"),
    ],
)  # fmt: skip
def test_damaged_postfix_files(tmp_path: Path, edit: object, reason: str) -> None:
    assert callable(edit)
    data = edit(GOLDENS[1].data)
    queue = make_queue(tmp_path)
    path = install_file(queue, data, "active/ABCDEF1")
    with pytest.raises(QueueFileCorrupt, match=reason) as info:
        read_queue_file(str(path))
    assert info.value.path == str(path)


def test_pointer_records_are_followed(tmp_path: Path) -> None:
    """Pointer placeholders as cleanup writes them with milters; one live jump."""
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        writer.put_time(1_700_000_000)
        writer.put_sender("s@example.org")
        writer.add_recipient("r@example.com")
        writer.put_pointer()  # placeholder for appended recipients
        writer.start_content()
        writer.put_text(b"Subject: x")
        hdr_ptr = writer.put_pointer()  # placeholder for appended headers
        writer.put_text(b"")
        writer.put_text(b"body")
        writer.start_extracted()
        writer.end()
        path = writer.commit()
    # Append a header the way cleanup does: write it after the end record,
    # point the placeholder at it, and point back after it.
    data = bytearray(Path(path).read_bytes())
    heap = len(data)
    back = hdr_ptr + rec.PTR_RECORD_SIZE
    data += rec.encode_record(rec.REC_TYPE_NORM, b"X-Added: yes")
    data += rec.encode_record(rec.REC_TYPE_PTR, rec.format_ptr(back))
    data[hdr_ptr : hdr_ptr + rec.PTR_RECORD_SIZE] = rec.encode_record(
        rec.REC_TYPE_PTR, rec.format_ptr(heap)
    )
    Path(path).write_bytes(bytes(data))
    with QueueFile.open_path(path, writable=False) as queue_file:
        message = queue_file.read_envelope()
        assert [r.address for r in message.recipients] == ["r@example.com"]
        assert list(queue_file.iter_lines()) == [b"Subject: x", b"X-Added: yes", b"", b"body"]
