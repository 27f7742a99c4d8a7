"""The CleanupStream life cycle, write errors, and what stays in the queue."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from pyfix.cleanup import (
    CLEANUP_FLAG_BCC_OK,
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_HOLD,
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_RCPT,
    CLEANUP_STAT_SIZE,
    CLEANUP_STAT_WRITE,
)
from pyfix.cleanup.origin import Origin
from pyfix.queue.errors import QueueWriteError
from pyfix.queue.layout import STAT_READY
from tests.cleanup.helpers import RECEIVED, Sandbox, content, named, queue_mode


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def reply_text(result: Any) -> str:
    reply = result.reply
    return f"{reply.code} {reply.enhanced} {reply.text}"


def test_queue_id_known_at_open_and_file_incomplete_until_close(box: Sandbox) -> None:
    stream = box.open()
    path = box.service.layout.path("incoming", stream.queue_id)
    assert os.path.exists(path)
    assert queue_mode(path) & 0o100 == 0  # not ready: qmgr does not take it
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    result = stream.close()
    assert result.ok and result.queue == "incoming" and result.queue_id == stream.queue_id
    assert queue_mode(path) == STAT_READY


def test_qmgr_that_cannot_be_woken_is_logged(box: Sandbox) -> None:
    # As Postfix's cleanup: "warning: unable to look up public/qmgr: ...";
    # the mail stays queued for qmgr's periodic scan.
    result, _ = box.send([b"Subject: x"])
    assert result.ok and result.queue == "incoming"
    assert box.log_lines(qmgr=True)[-1] == (
        "warning: unable to look up public/qmgr: No such file or directory")


def test_abort_and_context_manager_leave_nothing(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    stream.abort()
    assert box.files() == []
    with box.open() as other:
        other.add_recipient("rcpt@example.com")
    assert box.files() == []


def test_hold_and_discard_flags(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    stream.add_flags(CLEANUP_FLAG_HOLD)
    result = stream.close()
    assert result.queue == "hold"
    assert box.files() == [f"hold/{result.queue_id}"]
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.add_flags(CLEANUP_FLAG_DISCARD)
    stream.write_line(RECEIVED)
    result = stream.close()
    assert result.ok and result.discarded and result.queue is None
    assert len(box.files()) == 1
    stream = box.open()
    stream.add_flags(CLEANUP_FLAG_BCC_OK)  # not an "extra" flag
    assert box.log_lines()[-1] == (f"warning: {stream.queue_id}: ignoring bad extra flags: "
                                   f"{CLEANUP_FLAG_BCC_OK:#x}")
    stream.abort()


def test_no_recipient_or_no_content(box: Sandbox) -> None:
    result, _ = box.send([b"Subject: x"], rcpts=())
    assert result.status == CLEANUP_STAT_RCPT
    assert reply_text(result) == "451 4.3.0 Error: internal error 64"
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    result = stream.close()
    assert result.status == CLEANUP_STAT_BAD
    assert box.log_lines()[-1] == (
        f"warning: {result.queue_id}: message rejected: unexpected record type 69 in envelope")
    assert box.files() == []


def test_no_received_header_is_refused(box: Sandbox) -> None:
    result, _ = box.send([b"Subject: x", b"", b"body"], received=False)
    assert result.status == CLEANUP_STAT_BAD
    assert box.log_lines()[-1] == (
        f"warning: {result.queue_id}: message rejected: no Received: header")
    assert box.files() == []


class FailingFile:
    """A queue file object whose writes fail with one errno."""

    def __init__(self, real: Any, code: int) -> None:
        self.real = real
        self.code = code

    def write(self, data: bytes) -> int:
        raise OSError(self.code, os.strerror(self.code))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize(("code", "reply", "warning"), [
    (errno.EIO, "451 4.3.0 Error: queue file write error", "write queue file: Input/output error"),
    (errno.ENOSPC, "452 4.3.1 Insufficient system storage",
     "write queue file: No space left on device"),
    (errno.EFBIG, "552 5.3.4 Error: message file too big",
     "queue file size limit exceeded\nwarning: mail_stream_cleanup: close error"),
])
def test_write_error_during_content(box: Sandbox, code: int, reply: str, warning: str) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    stream.writer._file = FailingFile(stream.writer._file, code)  # type: ignore[assignment]
    stream.write_line(b"Subject: x")
    stream.write_line(b"")
    assert not stream.ok
    stream.write_line(b"ignored after the error")
    result = stream.close()
    assert reply_text(result) == reply
    lines = warning.count("\n") + 1
    assert "\n".join(box.log_lines()[-lines:]) == f"warning: {result.queue_id}: {warning}"
    assert box.files() == []


def test_sync_error_at_commit(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    result = stream.close()
    assert result.status & CLEANUP_STAT_WRITE
    assert reply_text(result) == "452 4.3.1 Insufficient system storage"
    assert box.files() == []


def test_open_failure_raises_with_reply_hint(box: Sandbox) -> None:
    os.rmdir(box.root / "spool" / "incoming")
    with pytest.raises(QueueWriteError) as info:
        box.open()
    assert info.value.reply_hint == (451, "4.3.0", "queue file write error")


def test_message_size_limit_applies_to_the_queue_file(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"message_size_limit": "1500"})
    result, _ = box.send([b"Subject: small", b"", b"x" * 100])
    assert result.ok
    result, _ = box.send([b"Subject: big", b"", *([b"y" * 76] * 12)])
    assert result.status == CLEANUP_STAT_SIZE
    assert box.log_lines()[-2:] == [f"warning: {result.queue_id}: queue file size limit exceeded",
                                    "warning: mail_stream_cleanup: close error"]
    assert len(box.files()) == 1


def test_recipients_after_content_go_to_the_extracted_segment(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    stream.end_content()
    stream.add_recipient("late@example.com", notify=2)
    result = stream.close()
    records = named(box.records(result))
    tail = records[records.index(("extracted_info", "")):]
    assert tail == [
        ("extracted_info", ""),
        ("named_attribute", "notify_flags=2"),
        ("named_attribute", "dsn_orig_rcpt=rfc822;late@example.com"),
        ("original_recipient", "late@example.com"),
        ("recipient", "late@example.com"),
        ("message_end", ""),
    ]
    with pytest.raises(ValueError):
        stream.write_line(b"too late")


def test_recipient_in_the_middle_of_the_content_is_an_error(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    with pytest.raises(ValueError):
        stream.add_recipient("other@example.com")
    stream.abort()


def test_size_record(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("a@example.com", notify=6)
    stream.add_recipient("b@example.com")
    stream.write_line(RECEIVED)
    stream.write_line(b"")
    stream.write_line(b"body")
    result = stream.close(bcc=["copy@example.net"])
    data = Path(box.service.layout.path("incoming", result.queue_id)).read_bytes()
    records = box.records(result)
    fields = [int(field) for field in records[0].data.split()]
    start = next(r.end for r in records if r.type == ord("M"))
    end = next(r.offset for r in records if r.type == ord("X"))
    # data size, data offset, recipients, qmgr flags (DSN 6 and smtpd's BCC), length, utf8
    assert fields == [end - start, start, 3, (6 << 1) | 2, end - start, 0]
    assert len(data) == records[-1].end
    lines = content(records)
    assert (lines[0], lines[-2:]) == (RECEIVED, [b"", b"body"])


def test_verp_delimiters(box: Sandbox) -> None:
    _, records = box.send([b"Subject: x"], origin=Origin(verp_delims="+="))
    assert ("verp_delimiters", "+=") in named(records)
    result, records = box.send([b"Subject: x"], sender="", origin=Origin(verp_delims="+="))
    assert "verp_delimiters" not in [name for name, _ in named(records)]
    assert box.log_lines()[-2] == (
        f"warning: {result.queue_id}: ignoring VERP request for null sender")
    result, _ = box.send([b"Subject: x"], origin=Origin(verp_delims="ab"))
    assert box.log_lines()[-2] == f'warning: {result.queue_id}: ignoring bad VERP request: "ab"'


@pytest.mark.parametrize(("origin", "warning"), [
    (Origin(dsn_ret=3), "message rejected: bad DSN RET record <ret_flags=3>"),
    (Origin(dsn_envid="a\tb"), "message rejected: bad DSN envelope ID record"),
    (Origin(rewrite_context="bogus"), "message rejected: bad rewriting context: bogus"),
])
def test_malformed_envelope(box: Sandbox, origin: Origin, warning: str) -> None:
    result, _ = box.send([b"Subject: x"], origin=origin)
    assert reply_text(result) == "451 4.3.0 Error: internal error 1"
    assert box.log_lines()[0] == f"warning: {result.queue_id}: {warning}"
    assert box.files() == []


def test_attribute_count_limit(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"queue_file_attribute_count_limit": "5"})
    result, _ = box.send([b"Subject: x"])  # log_ident, rewrite_context, 15 client attributes
    assert result.status == CLEANUP_STAT_BAD
    assert box.log_lines()[0] == (
        f"warning: {result.queue_id}: message rejected: attribute count exceeds limit 5")


def test_finished_stream_refuses_more(box: Sandbox) -> None:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    assert stream.close().ok
    for call in (stream.close, lambda: stream.add_recipient("x@y"), lambda: stream.write_line(b"")):
        with pytest.raises(ValueError):
            call()
    stream.abort()  # harmless: the file is committed and stays
    assert len(box.files()) == 1
