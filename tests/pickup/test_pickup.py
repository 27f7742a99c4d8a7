"""pickup: maildrop files (real Postfix's and pyfix's) handed to cleanup.

Most tests hand files to a recorder that stands in for the cleanup API
(pyfix.pickup.cleanup_api) and checks what pickup passes on: envelope,
Received: header, content, flags, log lines, and when the file is
removed.  The end-to-end test uses the real cleanup library; a pyfix
module that does not import fails the tests, it never skips them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pyfix.cleanup import CleanupService
from pyfix.cleanup.origin import Origin
from pyfix.config.load import load_config
from pyfix.log.maillog import MailLog
from pyfix.pickup.cleanup_api import (
    CLEANUP_FLAG_AUTOUTF8,
    CLEANUP_FLAG_MILTER,
)
from pyfix.pickup.pickup import KEEP, REMOVE, PickupSettings, pickup_file, scan_maildrop
from pyfix.queue.layout import QueueLayout
from pyfix.queue.records import encode_record

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "maildrop"
SETTINGS = PickupSettings(myhostname="mail.example.com", owner_uid=-1)


@dataclass
class Result:
    queue_id: str
    status: int = 0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 0


@dataclass
class RecordingStream:
    sender: str
    flags: int
    queue_id: str = "ABCDE12345"
    recipients: list[tuple[str, str | None, int, str | None]] = field(default_factory=list)
    lines: list[tuple[bytes, bool]] = field(default_factory=list)
    state: str = "open"
    arrival: float | None = None
    origin: Origin | None = None
    result: Result = field(default_factory=lambda: Result("ABCDE12345"))

    def add_recipient(self, addr: str, orig: str | None, notify: int,
                      orcpt: str | None) -> None:
        self.recipients.append((addr, orig, notify, orcpt))

    def write_line(self, data: bytes, continued: bool) -> None:
        self.lines.append((data, continued))

    def end_content(self) -> None:
        self.state = "extracted"

    def close(self) -> Result:
        self.state = "closed"
        return self.result

    def abort(self) -> None:
        self.state = "aborted"


@dataclass
class RecordingCleanup:
    streams: list[RecordingStream] = field(default_factory=list)
    result: Result | None = None

    def open(self, sender: str, flags: int, *, origin: Origin | None = None,
             arrival: float | None = None) -> RecordingStream:
        stream = RecordingStream(sender, flags)
        stream.arrival = arrival
        stream.origin = origin
        if self.result is not None:
            stream.result = self.result
        self.streams.append(stream)
        return stream


@dataclass
class Log:
    infos: list[str] = field(default_factory=list)
    warns: list[str] = field(default_factory=list)


def run(path: Path, cleanup: RecordingCleanup | None = None) -> tuple[str, RecordingCleanup, Log]:
    cleanup = cleanup or RecordingCleanup()
    log = Log()
    action = pickup_file(str(path), cleanup, SETTINGS, log.infos.append, log.warns.append)
    return action, cleanup, log


def test_postfix_sendmail_file_with_extracted_recipients(tmp_path: Path) -> None:
    path = tmp_path / "F00"
    shutil.copy(GOLDEN / "extract" / "maildrop-file", path)
    action, cleanup, log = run(path)
    assert action == REMOVE
    (stream,) = cleanup.streams
    assert stream.sender == "sender@example.org"
    assert stream.arrival == 1795844716.571787  # the T record that postdrop wrote
    assert [r[0] for r in stream.recipients] == [
        "erin@example.com", "alice@example.com", "bob", "carol@example.net", "dave@example.org"]
    assert stream.flags & CLEANUP_FLAG_AUTOUTF8 and stream.flags & CLEANUP_FLAG_MILTER
    assert log.infos == [f"ABCDE12345: uid={os.getuid()} from=<sender@example.org>"]
    received, idline = stream.lines[:2]
    assert received == (f"Received: by mail.example.com (Postfix, from userid {os.getuid()})"
                        .encode(), False)
    assert idline[0].startswith(b"\tid ABCDE12345; ")
    assert stream.lines[2] == (b"To: Alice <alice@example.com>, bob", False)
    assert stream.lines[-1] == (b"after the dot", False)
    assert stream.state == "closed"


def test_long_lines_and_dsn(tmp_path: Path) -> None:
    path = tmp_path / "F01"
    shutil.copy(GOLDEN / "longline" / "maildrop-file", path)
    _, cleanup, _ = run(path)
    lines = cleanup.streams[0].lines
    assert [len(d) for d, c in lines if c] == [2048, 2048, 17]
    shutil.copy(GOLDEN / "dsn" / "maildrop-file", path)
    _, cleanup, _ = run(path)
    assert cleanup.streams[0].recipients == [("alice@example.com", None, 10, None)]


def test_full_name_and_trace_flags_go_to_cleanup(tmp_path: Path) -> None:
    """sendmail -bv's trace_flags=512, and the F record (real Postfix's
    maildrop files)."""
    path = tmp_path / "F03"
    shutil.copy(GOLDEN / "verify" / "maildrop-file", path)
    _, cleanup, _ = run(path)
    assert cleanup.streams[0].origin == Origin(fullname="root", trace_flags=512)
    shutil.copy(GOLDEN / "args" / "maildrop-file", path)
    _, cleanup, _ = run(path)
    assert cleanup.streams[0].origin == Origin(fullname="Full Name")


def write_maildrop(path: Path, records: list[tuple[str, bytes]]) -> None:
    path.write_bytes(b"".join(encode_record(ord(t), d) for t, d in records))
    path.chmod(0o744)


def test_leading_white_space_gets_an_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "F02"
    write_maildrop(path, [("S", b"a@b"), ("R", b"c"), ("M", b""), ("N", b" x"), ("X", b""),
                          ("E", b"")])
    _, cleanup, _ = run(path)
    assert cleanup.streams[0].lines[2:] == [(b"", False), (b" x", False)]


@pytest.mark.parametrize(("records", "warning"), [
    ([("S", b"a"), ("Z", b"")], "uid={uid}: unexpected or malformed record type 90"),
    ([("S", b"a"), ("M", b""), ("R", b"x")], "uid={uid}: unexpected or malformed record type 82"),
    ([("S", b"a"), ("M", b""), ("N", b"x")], "uid={uid}: unexpected or malformed record type -1"),
    ([("R", b"a"), ("M", b""), ("X", b""), ("E", b"")], "F03: uid={uid}: no envelope sender"),
])
def test_bad_files_are_logged_and_removed(tmp_path: Path, records: list[tuple[str, bytes]],
                                          warning: str) -> None:
    path = tmp_path / "F03"
    write_maildrop(path, records)
    action, cleanup, log = run(path)
    assert action == REMOVE
    assert log.warns == [warning.format(uid=os.getuid())]
    assert all(s.state == "aborted" for s in cleanup.streams)


def test_kept_when_cleanup_fails_softly(tmp_path: Path) -> None:
    path = tmp_path / "F04"
    shutil.copy(GOLDEN / "args" / "maildrop-file", path)
    action, _, log = run(path, RecordingCleanup(result=Result("ABCDE12345", 2)))
    assert action == KEEP and "error writing ABCDE12345" in log.warns[0]
    action, _, _ = run(path, RecordingCleanup(result=Result("ABCDE12345", 1 << 6, "no rcpt")))
    assert action == REMOVE


def test_scan_removes_only_complete_files(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    layout = QueueLayout.with_names(str(spool), 1, "deferred, defer", False)
    layout.create_directories()
    done = spool / "maildrop" / "ABC123"
    busy = spool / "maildrop" / "DEF456"
    shutil.copy(GOLDEN / "username" / "maildrop-file", done)
    done.chmod(0o744)
    shutil.copy(GOLDEN / "username" / "maildrop-file", busy)
    busy.chmod(0o644)
    cleanup = RecordingCleanup()
    log = Log()
    assert scan_maildrop(layout, cleanup, SETTINGS, log.infos.append, log.warns.append) == 1
    assert sorted(os.listdir(spool / "maildrop")) == ["DEF456"]


def test_pickup_with_real_cleanup(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    (tmp_path / "main.cf").write_text(f"queue_directory = {spool}\n")
    (tmp_path / "master.cf").write_text("")
    config = load_config(str(tmp_path))
    layout = QueueLayout.from_config(config)
    layout.create_directories()
    shutil.copy(GOLDEN / "args" / "maildrop-file", spool / "maildrop" / "ABC123")
    (spool / "maildrop" / "ABC123").chmod(0o744)
    log = Log()
    cleanup = CleanupService(config, MailLog("postfix/pickup", maillog_file=str(tmp_path / "l")))
    assert scan_maildrop(layout, cleanup, SETTINGS, log.infos.append, log.warns.append) == 1
    assert os.listdir(spool / "maildrop") == []
    assert [f for _, _, files in os.walk(spool / "incoming") for f in files]
