"""The fast-flush logs and the flush wire format, without a running mail system.

The behaviour is that of Postfix 3.7.11's flush/flush.c: site names
become file names with every non-alphanumeric character as "_", a send
touches each listed deferred file, moves it to incoming, truncates the
log and triggers qmgr with "F" (ETRN) before and "I" after.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from pyfix.flush.logfile import REFRESH_ONLY, UNTHROTTLE_BEFORE, FlushLogs, site_to_path
from pyfix.flush.protocol import (
    FLUSH_REQ_ADD,
    FLUSH_REQ_REFRESH,
    FLUSH_STAT_BAD,
    FLUSH_STAT_OK,
    encode_request,
    parse_request,
)
from pyfix.queue.layout import DEFERRED, FLUSH, INCOMING, QueueLayout

QID_A = "3F1A2B4C5D"
QID_B = "4A0B1C2D3E"


class Queue:
    def __init__(self, root: Path) -> None:
        self.layout = QueueLayout(str(root))
        for name in (DEFERRED, INCOMING, FLUSH, "public"):
            (root / name).mkdir()
        self.triggers: list[bytes] = []
        self.warnings: list[str] = []
        self.qmgr = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.qmgr.bind(str(root / "public" / "qmgr"))
        self.qmgr.listen(10)
        self.qmgr.settimeout(0)
        self.logs = FlushLogs(self.layout, "qmgr", 7 * 86400, self.warnings.append)

    def deferred(self, queue_id: str, retry_in: float = 3600) -> str:
        path = self.layout.path(DEFERRED, queue_id)
        self.layout.make_parent_dirs(path)
        Path(path).write_bytes(b"queue file")
        os.chmod(path, 0o700)
        later = time.time() + retry_in
        os.utime(path, (later, later))
        return path

    def received(self) -> list[bytes]:
        while True:
            try:
                conn, _ = self.qmgr.accept()
            except BlockingIOError:
                return self.triggers
            with conn:
                conn.settimeout(2)
                self.triggers.append(conn.recv(100))

    def log_text(self, name: str) -> str:
        return Path(self.layout.path(FLUSH, name)).read_text()


@pytest.fixture
def queue(tmp_path: Path) -> Queue:
    return Queue(tmp_path)


def test_site_names_become_harmless_file_names() -> None:
    assert site_to_path("Example.COM") == "example_com"
    assert site_to_path("[192.0.2.1]") == "_192_0_2_1_"
    assert site_to_path("b\u00fccher.example") == "xn__bcher_kva_example"


def test_add_appends_queue_ids(queue: Queue) -> None:
    assert queue.logs.add("a_example", QID_A) == FLUSH_STAT_OK
    assert queue.logs.add("a_example", QID_B) == FLUSH_STAT_OK
    assert queue.log_text("a_example") == f"{QID_A}\n{QID_B}\n"
    assert queue.logs.add("bad/name", QID_A) == FLUSH_STAT_BAD


def test_send_moves_listed_mail_to_incoming_and_truncates(queue: Queue) -> None:
    queue.deferred(QID_A)
    other = queue.deferred(QID_B)
    for queue_id in (QID_A, QID_A, "5B6C7D8E9F"):  # a duplicate, a message gone
        queue.logs.add("a_example", queue_id)
    with open(queue.layout.path(FLUSH, "a_example"), "a") as log:
        log.write("bad/id\n")
    before = time.time()
    assert queue.logs.send_path("a_example", UNTHROTTLE_BEFORE) == FLUSH_STAT_OK
    incoming = Path(queue.layout.path(INCOMING, QID_A))
    assert incoming.exists() and not Path(queue.layout.path(DEFERRED, QID_A)).exists()
    assert incoming.stat().st_mtime <= time.time() and incoming.stat().st_mtime >= before - 1
    assert Path(other).exists()  # not listed: stays deferred
    assert queue.log_text("a_example") == ""
    assert queue.received() == [b"F", b"I"]
    assert queue.warnings == ['bad queue id "bad/id..." in fast flush logfile a_example']


def test_send_without_log_or_with_empty_log_triggers_nothing(queue: Queue) -> None:
    assert queue.logs.send_path("nothing_example", UNTHROTTLE_BEFORE) == FLUSH_STAT_OK
    Path(queue.layout.path(FLUSH, "empty_example")).write_text("")
    assert queue.logs.send_path("empty_example", REFRESH_ONLY) == FLUSH_STAT_OK
    assert queue.received() == []


def test_send_file_takes_one_message(queue: Queue) -> None:
    queue.deferred(QID_A)
    queue.deferred(QID_B)
    assert queue.logs.send_file(QID_A) == FLUSH_STAT_OK
    assert Path(queue.layout.path(INCOMING, QID_A)).exists()
    assert Path(queue.layout.path(DEFERRED, QID_B)).exists()
    assert queue.received() == [b"I"]
    assert queue.logs.send_file("5B6C7D8E9F") == FLUSH_STAT_OK  # unknown: no trigger
    assert queue.received() == [b"I"]
    assert queue.logs.send_file("../x") == FLUSH_STAT_BAD


def test_refresh_purges_old_empty_logs_and_sends_unread_ones(queue: Queue) -> None:
    queue.deferred(QID_A)
    old = time.time() - 8 * 86400
    for name, text in (("old_empty", ""), ("new_empty", ""), ("unread", f"{QID_A}\n")):
        path = queue.layout.path(FLUSH, name)
        Path(path).write_text(text)
        if name != "new_empty":
            os.utime(path, (old, old))
    assert queue.logs.refresh(12 * 3600) == FLUSH_STAT_OK
    assert not Path(queue.layout.path(FLUSH, "old_empty")).exists()
    assert Path(queue.layout.path(FLUSH, "new_empty")).exists()
    assert queue.log_text("unread") == ""
    assert Path(queue.layout.path(INCOMING, QID_A)).exists()
    assert queue.received() == [b"I"]  # refresh: no "F"


def test_requests_on_the_wire() -> None:
    line = encode_request(FLUSH_REQ_ADD, site="a.example", queue_id=QID_A)
    assert line.endswith(b"\n")
    assert parse_request(line.rstrip(b"\n")) == (
        FLUSH_REQ_ADD, {"site": "a.example", "queue_id": QID_A})
    assert parse_request(b"W\0") == (FLUSH_REQ_REFRESH, {})  # a master wakeup
    assert parse_request(b'{"request": "add", "site": "a.example"}') is None
    assert parse_request(b'{"request": "rm -rf"}') is None
    assert parse_request(b"junk") is None
