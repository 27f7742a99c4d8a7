"""Content rules: header parsing, limits, missing headers, 8-bit, envelope."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.cleanup import CLEANUP_FLAG_BCC_OK, CLEANUP_STAT_HOPS, Origin
from pyfix.cleanup.missing import mail_date
from pyfix.cleanup.status import CLEANUP_FLAG_AUTOUTF8
from tests.cleanup.helpers import CLIENT, RECEIVED, SMTPD_FLAGS, Sandbox, content, named


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def headers(lines: list[bytes]) -> list[bytes]:
    return lines[: lines.index(b"")] if b"" in lines else lines


def send_records(box: Sandbox, records: list[tuple[bytes, bool]]) -> list[bytes]:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    stream.write_line(RECEIVED)
    for data, continued in records:
        stream.write_line(data, continued)
    result = stream.close()
    assert result.ok
    return content(box.records(result))


def test_long_lines_same_whole_or_in_pieces(tmp_path: Path) -> None:
    long_header = b"X-Long: " + b"h" * 5000
    long_body = b"b" * 5000
    whole = send_records(Sandbox(tmp_path / "a"), [
        (long_header, False), (b"", False), (long_body, False)])
    pieces = send_records(Sandbox(tmp_path / "b"), [
        (long_header[:100], True), (long_header[100:3000], True), (long_header[3000:], False),
        (b"", False), (long_body[:2048], True), (long_body[2048:], False)])
    assert whole[1:4] == [long_header[:2048], long_header[2048:4096], long_header[4096:]]
    assert whole[-3:] == [long_body[:2048], long_body[2048:4096], long_body[4096:]]
    assert whole[1:4] == pieces[1:4] and whole[-3:] == pieces[-3:]


def test_header_size_limit_drops_text_then_cuts(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"header_size_limit": "100"})
    lines = send_records(box, [(b"X-A: " + b"a" * 60, False), (b"\t" + b"b" * 60, False),
                               (b"\tdropped", False), (b"Subject: kept", False)])
    # 65 + 1 + 61 bytes were kept; the cut falls 34 bytes into the second line.
    assert lines[1:4] == [b"X-A: " + b"a" * 60, b"\t" + b"b" * 33, b"Subject: kept"]


def test_stray_cr_lf(tmp_path: Path) -> None:
    lines = send_records(Sandbox(tmp_path / "yes"), [(b"Subject: a\rb\nc", False),
                                                     (b"", False), (b"x\ry", False)])
    assert lines[1] == b"Subject: a b c" and lines[-1] == b"x y"
    box = Sandbox(tmp_path / "no", {"cleanup_replace_stray_cr_lf": "no"})
    lines = send_records(box, [(b"Subject: a\rb", False), (b"", False), (b"x\ry", False)])
    assert lines[1] == b"Subject: a\rb" and lines[-1] == b"x\ry"


def test_hopcount_limit(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"hopcount_limit": "3"})
    result, _ = box.send([b"Received: one", b"Subject: x"])
    assert result.ok
    result, _ = box.send([b"Received: one", b"Received: two", b"Subject: x"])
    assert result.status == CLEANUP_STAT_HOPS
    assert box.log_lines()[-1] == f"warning: {result.queue_id}: message rejected: hopcount exceeded"
    assert len(box.files()) == 1


def test_missing_headers_local(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"undisclosed_recipients_header": "To: undisclosed-recipients:;"})
    before = time.time()
    result, records = box.send([b"Subject: x", b"", b"body"])
    hdrs = headers(content(records))
    found = re.fullmatch(rb"Message-Id: <(\d{14})\.(\w+)@mail\.example\.com>", hdrs[2])
    assert found is not None and found.group(2).decode() == result.queue_id
    stamp = found.group(1).decode()
    assert stamp in (time.strftime("%Y%m%d%H%M%S", time.gmtime(t)) for t in (before, time.time()))
    assert hdrs[1:2] + hdrs[3:] == [
        b"Subject: x",
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)",
        b"From: sender@example.org",
        b"To: undisclosed-recipients:;",
    ]
    assert box.log_lines() == [
        f"{result.queue_id}: message-id=<{stamp}.{result.queue_id}@mail.example.com>"]


def test_missing_headers_resent(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    result, records = box.send([b"Resent-From: r@example.org", b"Date: x", b"From: f@x"])
    hdrs = headers(content(records))
    assert [h.split(b":")[0] for h in hdrs[1:]] == [
        b"Resent-From", b"Date", b"From", b"Resent-Message-Id", b"Resent-Date"]
    log = box.log_lines()
    assert log[0].startswith(f"{result.queue_id}: resent-message-id=<")
    assert log[1] == f"{result.queue_id}: message-id=<>"


@pytest.mark.parametrize(("settings", "added"), [
    ({}, False),
    ({"always_add_missing_headers": "yes"}, True),
    ({"remote_header_rewrite_domain": "remote.example"}, True),
])
def test_missing_headers_remote(tmp_path: Path, settings: dict[str, str], added: bool) -> None:
    box = Sandbox(tmp_path, settings)
    origin = Origin(rewrite_context="remote", client=CLIENT)
    result, records = box.send([b"Subject: x", b"To: user"], origin=origin)
    hdrs = headers(content(records))
    assert (len(hdrs) > 3) is added
    rewritten = settings.get("remote_header_rewrite_domain")
    assert (b"To: user@remote.example" in hdrs) is bool(rewritten)
    if not added:
        assert box.log_lines() == [f"{result.queue_id}: message-id=<>"]


def test_long_queue_ids_message_id(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"enable_long_queue_ids": "yes"})
    result, records = box.send([b"Subject: x"])
    assert f"Message-Id: <{result.queue_id}@mail.example.com>".encode() in content(records)


@pytest.mark.parametrize(("fullname", "form", "header"), [
    ("Joe  User", "standard", b"From: Joe User <sender@example.org>"),
    ("Joe Q. User", "standard", b'From: "Joe Q. User" <sender@example.org>'),
    ('Joe "Q" User', "standard", b'From: "Joe \\"Q\\" User" <sender@example.org>'),
    ("Joe\r\nUser", "standard", b"From: Joe User <sender@example.org>"),
    ("Joe User", "obsolete", b"From: sender@example.org (Joe User)"),
])
def test_from_header_with_full_name(tmp_path: Path, fullname: str, form: str,
                                    header: bytes) -> None:
    box = Sandbox(tmp_path, {"header_from_format": form})
    _, records = box.send([b"Subject: x"], origin=Origin(fullname=fullname))
    assert header in content(records)
    assert ("sender_fullname", fullname) in named(records)


def test_null_sender_and_mailer_daemon(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    for sender in ("", "MAILER-DAEMON", "mailer-daemon@mail.example.com"):
        _, records = box.send([b"Subject: x"], sender=sender)
        assert ("sender", "") in named(records)
        assert b"From: MAILER-DAEMON" in content(records)
    _, records = box.send([b"Subject: x"], sender="mailer-daemon@elsewhere.example")
    assert ("sender", "mailer-daemon@elsewhere.example") in named(records)


def test_envelope_addresses_rewritten_in_local_context(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    box = Sandbox(tmp_path, {"remote_header_rewrite_domain": "remote.example"})

    def hook(context: str, address: str) -> str:
        seen.append((context, address))
        return address if "@" in address else f"{address}@hooked.example"

    box.service.rewrite = hook
    origin = Origin(rewrite_context="remote", client=CLIENT)
    _, records = box.send([b"From: user"], sender="a b", rcpts=("", "r"), origin=origin)
    assert ("sender", "a b@hooked.example") in named(records)
    assert ("recipient", "MAILER-DAEMON@hooked.example") in named(records)
    assert ("original_recipient", "") in named(records)
    assert ("recipient", "r@hooked.example") in named(records)
    assert b"From: user@hooked.example" in content(records)
    assert seen[:2] == [("local", '"a b"'), ("local", "MAILER-DAEMON")]
    assert ("remote", "user") in seen


def test_duplicate_recipients(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    _, records = box.send([b"Subject: x"], rcpts=("a@x", "A@X", "a@x", "b@x"))
    assert [v for n, v in named(records) if n == "recipient"] == ["a@x", "b@x"]
    box = Sandbox(tmp_path / "limit", {"duplicate_filter_limit": "1"})
    _, records = box.send([b"Subject: x"], rcpts=("a@x", "b@x", "b@x", "a@x"))
    assert [v for n, v in named(records) if n == "recipient"] == ["a@x", "b@x", "b@x"]


def test_duplicates_without_original_recipient(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"enable_original_recipient": "no"})
    stream = box.open()
    stream.add_recipient("a@x", "orig1@x")
    stream.add_recipient("a@x", "orig2@x")
    stream.write_line(RECEIVED)
    records = named(box.records(stream.close()))
    assert [v for n, v in records if n == "recipient"] == ["a@x"]
    box = Sandbox(tmp_path / "yes")
    stream = box.open()
    stream.add_recipient("a@x", "orig1@x")
    stream.add_recipient("a@x", "orig2@x")
    stream.write_line(RECEIVED)
    records = named(box.records(stream.close()))
    assert [v for n, v in records if n == "recipient"] == ["a@x", "a@x"]


def test_delay_warning_time(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"delay_warning_time": "4h"})
    _, records = box.send([b"Subject: x"], rcpts=("a@x", "b@x"))
    names = [n for n, _ in named(records)]
    warn = names.index("warning_message_time")
    assert names[warn + 1 : warn + 4] == ["named_attribute", "original_recipient", "recipient"]
    assert int(records[warn].data) == 1700000000 + 4 * 3600
    _, records = box.send([b"Subject: x"], sender="")
    assert "warning_message_time" not in [n for n, _ in named(records)]


def test_encoding_from_header_and_client(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    _, records = box.send([b"Content-Transfer-Encoding:  BINARY", b"", b"x"])
    assert named(records)[-2] == ("named_attribute", "encoding=8bit")
    _, records = box.send([b"Content-Transfer-Encoding: 8bit (comment)", b"", b"x"])
    assert ("named_attribute", "encoding=8bit") not in named(records)
    origin = Origin(encoding="7bit", client=CLIENT)
    _, records = box.send([b"Subject: x"], origin=origin)
    assert named(records).count(("named_attribute", "encoding=7bit")) == 2
    box = Sandbox(tmp_path / "off", {"detect_8bit_encoding_header": "no"})
    _, records = box.send([b"Content-Transfer-Encoding: 8bit", b"", b"x"])
    assert ("named_attribute", "encoding=8bit") not in named(records)


def test_smtputf8_flags(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    _, records = box.send(["Subject: Grüße".encode()])
    assert int(records[0].data.split()[5]) == 2
    _, records = box.send([b"Subject: x"], sender="jös@example.org",
                               flags=SMTPD_FLAGS | CLEANUP_FLAG_AUTOUTF8)
    assert int(records[0].data.split()[5]) == 1 | 4
    box = Sandbox(tmp_path / "off", {"smtputf8_enable": "no"})
    _, records = box.send(["Subject: Grüße".encode()])
    assert int(records[0].data.split()[5]) == 0


def test_always_bcc(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"always_bcc": "archive"})
    _, records = box.send([b"Subject: x"])
    assert named(records)[-5:] == [
        ("extracted_info", ""), ("named_attribute", "notify_flags=1"),
        ("original_recipient", "archive@mail.example.com"),
        ("recipient", "archive@mail.example.com"), ("message_end", "")]
    _, records = box.send([b"Subject: x"], flags=SMTPD_FLAGS & ~CLEANUP_FLAG_BCC_OK)
    assert ("recipient", "archive@mail.example.com") not in named(records)


def test_mail_date_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    when = 1704067200  # 2024-01-01 00:00:00 UTC, a Monday
    assert mail_date(when) == "Mon,  1 Jan 2024 00:00:00 +0000 (UTC)"
    for zone, text in (("Asia/Kolkata", "Mon,  1 Jan 2024 05:30:00 +0530 (IST)"),
                       ("America/St_Johns", "Sun, 31 Dec 2023 20:30:00 -0330 (NST)")):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        assert mail_date(when) == text
