"""QueueFileWriter: Postfix's bytes, segment rules, durability, disk full."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyfix.queue import records as rec
from pyfix.queue.errors import (
    QueueFileIncomplete,
    QueueFileTooBig,
    QueueNoSpace,
    QueueWriteError,
    write_error,
)
from pyfix.queue.layout import QueueLayout
from pyfix.queue.reader import QueueFile, read_queue_file
from pyfix.queue.writer import QueueFileWriter
from tests.queue.harness import GOLDENS, REPO, Golden, copy_records, make_queue


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_copied_records_give_postfix_bytes(golden: Golden, tmp_path: Path) -> None:
    """The writer's size record, offsets and encoding are exactly cleanup's."""
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        copy_records(writer, golden.data)
        path = writer.commit("hold")
    assert Path(path).read_bytes() == golden.data
    assert stat.S_IMODE(os.stat(path).st_mode) == int(golden.text("mode"), 8) == 0o700


def _envelope_from(data: bytes) -> tuple[list[rec.Record], list[bytes]]:
    """Envelope records before the first recipient, and content lines."""
    records = list(rec.iter_records(data))
    head: list[rec.Record] = []
    for record in records[1:]:
        if record.type == rec.REC_TYPE_ATTR and record.data.startswith(
            (b"notify_flags=", b"dsn_orig_rcpt=")
        ):
            break
        head.append(record)
    lines, pending = [], b""
    in_content = False
    for record in records:
        if record.type == rec.REC_TYPE_MESG:
            in_content = True
        elif record.type == rec.REC_TYPE_XTRA:
            break
        elif in_content:
            pending += record.data
            if record.type == rec.REC_TYPE_NORM:
                lines.append(pending)
                pending = b""
    return head, lines


def test_cleanup_style_api_reproduces_postfix_file(tmp_path: Path) -> None:
    """Recipients with DSN, long lines split by put_text(): Postfix's layout."""
    golden = GOLDENS[0]
    head, lines = _envelope_from(golden.data)
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        for record in head:
            writer.put(record.type, record.data)
        first = writer.add_recipient(
            "alice@example.com", dsn_orcpt="rfc822;alice@example.com", dsn_notify=6
        )
        writer.add_recipient("bob@example.net", dsn_orcpt="rfc822;bob@example.net")
        writer.start_content()
        for line in lines:
            writer.put_text(line)
        writer.start_extracted()
        writer.end()
        path = writer.commit("hold")
    assert Path(path).read_bytes() == golden.data
    assert first == 707  # the offset postcat -o prints for "recipient: alice@..."
    assert "      707 recipient: alice@example.com" in golden.text("postcat-vo.txt")


def _simple_message(writer: QueueFileWriter, body: list[bytes] | None = None) -> int:
    writer.put_time(1_700_000_000, 123456)
    writer.put_create_time(1_700_000_000)
    writer.put_sender("sender@example.org")
    offset = writer.add_recipient("rcpt@example.com")
    writer.start_content()
    for line in body if body is not None else [b"Subject: test", b"", b"body"]:
        writer.put_text(line)
    writer.start_extracted()
    writer.end()
    return offset


def test_round_trip(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, depth=2, long_ids=True)
    long_line = b"x" * 5000
    with QueueFileWriter.create(queue.layout, line_limit=2048) as writer:
        writer.put_time(1_700_000_000, 42)
        writer.put_create_time(1_700_000_001)
        writer.put_attr("rewrite_context", "local")
        writer.put_attr("envelope_id", "ENV-1")
        writer.put_attr("ret_flags", 1)
        writer.put_fullname("Sender Person")
        writer.put_sender("sender@example.org")
        warn = writer.put_warn(1_700_014_400)
        writer.add_recipient("a@example.com", "A@Example.COM", dsn_notify=2)
        writer.add_recipient("b@example.com", dsn_orcpt="rfc822;b@example.com")
        writer.put_pointer()
        writer.start_content()
        for line in (b"Subject: hi", b"", long_line, b"", b"end"):
            writer.put_text(line)
        writer.start_extracted()
        writer.put_string(rec.REC_TYPE_RRTO, "receipt@example.org")
        writer.add_recipient("c@example.com")
        writer.end()
        path = writer.commit()
    assert path == queue.layout.path("incoming", writer.queue_id)
    message = read_queue_file(path)
    assert message.queue_id == writer.queue_id
    assert message.arrival_time == (1_700_000_000, 42)
    assert message.create_time == 1_700_000_001
    assert (message.sender, message.full_name) == ("sender@example.org", "Sender Person")
    assert (message.dsn_envid, message.dsn_ret) == ("ENV-1", 1)
    assert (message.warn_time, message.warn_offset) == (1_700_014_400, warn)
    assert message.return_receipt == "receipt@example.org"
    assert message.attributes == {"rewrite_context": "local"}
    rcpts = [(r.address, r.orig_address, r.dsn_orcpt, r.dsn_notify) for r in message.recipients]
    assert rcpts == [
        ("a@example.com", "A@Example.COM", "", 2),
        ("b@example.com", "b@example.com", "rfc822;b@example.com", 0),
        ("c@example.com", "c@example.com", "", 0),
    ]
    assert message.size.rcpt_count == 3
    assert message.size.qmgr_flags == rec.qmgr_read_flag_from_dsn(2)
    with QueueFile.open_path(path, writable=False) as queue_file:
        assert list(queue_file.iter_lines()) == [b"Subject: hi", b"", long_line, b"", b"end"]
        types = [r.type for r in queue_file.iter_content()]
    assert types.count(rec.REC_TYPE_CONT) == 2


def test_mixed_recipient_flag(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        writer.put_time(1_700_000_000)
        writer.put_sender("s@example.org")
        writer.add_recipient("r@example.com")
        writer.put_attr("log_ident", "later")  # a non-recipient record after a recipient
        writer.start_content()
        writer.put_text(b"Subject: mixed")
        writer.start_extracted()
        writer.end()
        assert writer.size_record().qmgr_flags == rec.QMGR_READ_FLAG_MIXED_RCPT_OTHER
        writer.commit()


def test_segment_order_is_enforced(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        with pytest.raises(ValueError, match="'N' not allowed in envelope"):
            writer.put(rec.REC_TYPE_NORM, b"text")
        with pytest.raises(ValueError, match="'C' not allowed"):
            writer.put(rec.REC_TYPE_SIZE, b"1 2 3")
        writer.start_content()
        with pytest.raises(ValueError, match="'R' not allowed in content"):
            writer.put(rec.REC_TYPE_RCPT, b"r@example.com")
        with pytest.raises(ValueError, match="no end record"):
            writer.commit()
        writer.start_extracted()
        writer.end()
        with pytest.raises(ValueError, match="empty message content"):
            writer.commit()
        with pytest.raises(ValueError, match="not allowed in ended"):
            writer.put(rec.REC_TYPE_RCPT, b"r@example.com")
    assert queue.files() == []


def test_incomplete_until_commit(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    writer = QueueFileWriter.create(queue.layout)
    _simple_message(writer)
    assert stat.S_IMODE(os.stat(writer.path).st_mode) == 0o600
    assert queue.layout.open_ok("incoming", writer.queue_id) is None
    with pytest.raises(QueueFileIncomplete):
        QueueFile.open(queue.layout, "incoming", writer.queue_id)
    writer.commit()
    assert stat.S_IMODE(os.stat(writer.path).st_mode) == 0o700
    assert queue.layout.open_ok("incoming", writer.queue_id) is not None


def test_temporary_name_is_not_a_queue_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = make_queue(tmp_path)
    seen: list[str] = []
    real_rename = os.rename

    def rename(src: Any, dst: Any) -> None:
        seen.append(os.path.basename(src))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with QueueFileWriter.create(queue.layout) as writer:
        assert writer.queue == "incoming"
    usec, pid = seen[0].split(".")
    assert usec.isdigit() and int(pid) == os.getpid()
    assert queue.files() == []  # leaving the block without commit() removes the file


def test_sync_before_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The data is on disk before the file is marked complete, and the mode after."""
    queue = make_queue(tmp_path)
    calls: list[str] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls.append(name)
            return real(*args)

        return call

    for name in ("fsync", "fdatasync", "fchmod"):
        monkeypatch.setattr(os, name, spy(name, getattr(os, name)))
    with QueueFileWriter.create(queue.layout) as writer:
        _simple_message(writer)
        writer.commit()
    assert calls == ["fchmod", "fsync", "fsync"]  # one sync of file+mode, then the directory


def test_hold_is_moved_before_completion(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    with QueueFileWriter.create(queue.layout) as writer:
        _simple_message(writer)
        path = writer.commit("hold")
    assert queue.files() == [f"hold/{writer.queue_id[0]}/{writer.queue_id}"]
    assert writer.queue == "hold" and writer.path == path


# Disk full and other write errors. ------------------------------------------


def test_write_error_mapping() -> None:
    for code, cls in (
        (errno.ENOSPC, QueueNoSpace),
        (errno.EDQUOT, QueueNoSpace),
        (errno.EFBIG, QueueFileTooBig),
        (errno.EIO, QueueWriteError),
    ):
        error = write_error("/q/incoming/X", OSError(code, os.strerror(code)))
        assert type(error) is cls
        assert error.errno == code
    assert QueueNoSpace.reply_hint == (452, "4.3.1", "Insufficient system storage")
    assert QueueFileTooBig.reply_hint == (552, "5.3.4", "message file too big")
    assert QueueWriteError.reply_hint == (451, "4.3.0", "queue file write error")


def test_disk_full_removes_the_file(tmp_path: Path) -> None:
    """Writes that the kernel refuses with ENOSPC (/dev/full under the queue file)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    queue = make_queue(tmp_path)
    writer = QueueFileWriter.create(queue.layout)
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(full, writer.fileno())
    finally:
        os.close(full)
    with pytest.raises(QueueNoSpace) as info:
        _simple_message(writer, [b"x" * 1000] * 200)
        writer.commit()
    assert info.value.errno == errno.ENOSPC
    assert "No space left on device" in str(info.value)
    assert queue.files() == []
    writer.abort()  # harmless after the failure


def test_file_size_limit_gives_efbig(tmp_path: Path) -> None:
    """RLIMIT_FSIZE in a child process: the kernel says EFBIG."""
    queue = make_queue(tmp_path)
    script = textwrap.dedent(
        f"""
        import resource
        from pyfix.queue.errors import QueueFileTooBig
        from pyfix.queue.layout import QueueLayout
        from pyfix.queue.writer import QueueFileWriter
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
        layout = QueueLayout({queue.layout.queue_directory!r})
        writer = QueueFileWriter.create(layout)
        writer.put_time(1700000000)
        writer.put_sender("s@example.org")
        writer.add_recipient("r@example.com")
        writer.start_content()
        try:
            for _ in range(100):
                writer.put_text(b"y" * 998)
            writer.start_extracted()
            writer.end()
            writer.commit()
        except QueueFileTooBig as exc:
            print("too big", exc.reply_hint)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.stdout.strip() == "too big (552, '5.3.4', 'message file too big')", result.stderr
    assert queue.files() == []


def test_create_in_missing_queue_is_a_write_error(tmp_path: Path) -> None:
    layout = QueueLayout(str(tmp_path / "nonexistent"))
    with pytest.raises(QueueWriteError) as info:
        QueueFileWriter.create(layout)
    assert info.value.errno == errno.ENOENT
