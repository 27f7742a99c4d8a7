"""pyfix.delivery.mailbox: mbox and Maildir writing, locking, size limits.

The envelope lines are those of Postfix 3.7's global/mail_copy.c: "From
SENDER  DATE" (two spaces, asctime() date), then Return-Path:,
X-Original-To:, Delivered-To:, ">From " quoting and one empty line at the
end of an mbox message.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import time
from pathlib import Path

from pyfix.delivery.mailbox import (
    COPY_DELIVERED,
    COPY_MBOX,
    COPY_ORIG_RCPT,
    COPY_RETURN_PATH,
    COPY_TOFILE,
    CopyAttrs,
    LockPolicy,
    MboxTarget,
    append_mbox,
    envelope_headers,
    run_sync,
    write_maildir,
)
from pyfix.delivery.mailbox.lock import parse_lock_styles

ATTRS = CopyAttrs("sender@example.org", "orig@example.com", "user@example.com")
IDS = (os.geteuid(), os.getegid())
FAST = LockPolicy(frozenset({"fcntl", "dotlock"}), attempts=2, delay=0.05, stale=500)


def test_envelope_headers_in_postfix_order() -> None:
    when = time.mktime((2024, 3, 5, 9, 7, 1, 0, 0, -1))
    text = envelope_headers(ATTRS, COPY_MBOX, now=when).decode()
    assert text == ("From sender@example.org  Tue Mar  5 09:07:01 2024\n"
                    "Return-Path: <sender@example.org>\n"
                    "X-Original-To: orig@example.com\n"
                    "Delivered-To: user@example.com\n")


def test_null_sender_and_quoted_local_part() -> None:
    attrs = CopyAttrs("", 'a b@example.com', "x y@example.com", enable_orcpt=True)
    text = envelope_headers(attrs, COPY_MBOX, now=0).decode()
    assert text.startswith("From MAILER-DAEMON  ")
    assert "Return-Path: <>\n" in text
    assert 'X-Original-To: "a b"@example.com\n' in text
    assert 'Delivered-To: "x y"@example.com\n' in text
    no_orcpt = CopyAttrs("s@x", "o@x", "d@x", enable_orcpt=False)
    assert b"X-Original-To" not in envelope_headers(no_orcpt, COPY_ORIG_RCPT)


def _mbox(path: Path, lines: list[bytes], limit: int = 0, policy: LockPolicy = FAST,
          flags: int = COPY_MBOX) -> tuple[bool, str, str]:
    target = MboxTarget(str(path), IDS, IDS, None, policy)
    result = run_sync(lambda: append_mbox(target, lines, ATTRS, flags), *IDS, limit)
    return result.ok, result.status, result.reason


def test_mbox_append_quotes_from_and_adds_blank_line(tmp_path: Path) -> None:
    box = tmp_path / "user"
    assert _mbox(box, [b"Subject: x", b"", b"From me", b">From you", b"body"])[0]
    assert _mbox(box, [b"Subject: y", b"", b"second"])[0]
    text = box.read_text()
    assert re.fullmatch(
        r"From sender@example.org  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n"
        r"Return-Path: <sender@example.org>\nX-Original-To: orig@example.com\n"
        r"Delivered-To: user@example.com\nSubject: x\n\n>From me\n>From you\nbody\n\n"
        r"From sender@example.org  .{24}\n(?:.*\n){3}Subject: y\n\nsecond\n\n", text), text
    assert box.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "user.lock").exists()


def test_mbox_size_limit_truncates_to_old_size(tmp_path: Path) -> None:
    box = tmp_path / "user"
    assert _mbox(box, [b"small"])[0]
    size = box.stat().st_size
    ok, status, reason = _mbox(box, [b"x" * 1000] * 20, limit=size + 5000)
    assert not ok
    assert status == "5.2.2"
    assert reason == "error writing message: File too large"
    assert box.stat().st_size == size


def test_mbox_busy_dotlock_is_temporary(tmp_path: Path) -> None:
    box = tmp_path / "user"
    (tmp_path / "user.lock").write_text("")
    ok, status, reason = _mbox(box, [b"body"])
    assert (ok, status) == (False, "4.2.0")
    assert reason == f"unable to create lock file {box}.lock: File exists"
    assert not box.exists()


def test_mbox_fcntl_lock_held_by_another_process(tmp_path: Path) -> None:
    box = tmp_path / "user"
    box.write_text("")
    os.chmod(box, 0o600)
    fd = os.open(box, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        ok, status, reason = _mbox(box, [b"body"], policy=LockPolicy(
            frozenset({"fcntl"}), attempts=2, delay=0.05))
    finally:
        os.close(fd)
    assert not ok and status == "4.2.0"
    assert reason == "unable to lock for exclusive access: Resource temporarily unavailable"
    assert box.read_text() == ""


def test_mbox_refuses_hard_links_and_user_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.write_text("")
    os.link(target, tmp_path / "linked")
    ok, _status, reason = _mbox(tmp_path / "linked", [b"x"])
    assert not ok and reason == "file has 2 hard links"
    assert _mbox(tmp_path / "dir", [b"x"])[0]  # created
    (tmp_path / "adir").mkdir()
    assert _mbox(tmp_path / "adir", [b"x"], policy=LockPolicy(frozenset()))[2] == \
        "cannot open file: Is a directory"


def test_lock_styles() -> None:
    assert parse_lock_styles("fcntl, dotlock") == {"fcntl", "dotlock"}
    assert parse_lock_styles("flock") == {"flock"}
    try:
        parse_lock_styles("fcntl, bogus")
    except ValueError as exc:
        assert str(exc) == 'invalid lock style "bogus"'
    else:
        raise AssertionError("accepted a bad lock style")


def test_maildir_names_and_headers(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    start = 1700000000.123456
    flags = COPY_TOFILE | COPY_RETURN_PATH | COPY_ORIG_RCPT | COPY_DELIVERED
    result = run_sync(lambda: write_maildir(str(maildir), [b"Subject: m", b"", b"From x"],
                                            ATTRS, flags, start), *IDS)
    assert result.ok, result.reason
    assert sorted(p.name for p in maildir.iterdir()) == ["cur", "new", "tmp"]
    assert not list((maildir / "tmp").iterdir())
    (name,) = [p.name for p in (maildir / "new").iterdir()]
    host = socket.gethostname()
    assert re.fullmatch(rf"1700000000\.V[0-9a-f]+I[0-9a-f]+M123456\.{re.escape(host)}", name)
    assert (maildir / "new" / name).read_text() == (
        "Return-Path: <sender@example.org>\nX-Original-To: orig@example.com\n"
        "Delivered-To: user@example.com\nSubject: m\n\nFrom x\n")


def test_maildir_unwritable_reports_create_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_sync(lambda: write_maildir(f"{blocker}/Maildir/", [b"x"], ATTRS, 0), *IDS)
    assert not result.ok
    assert result.status == "5.2.0"
    assert result.reason.startswith(f"create maildir file {blocker}/Maildir/tmp/")
    assert result.reason.endswith(": Not a directory")


def test_maildir_size_limit(tmp_path: Path) -> None:
    result = run_sync(lambda: write_maildir(str(tmp_path / "md"), [b"y" * 4096] * 4, ATTRS,
                                            COPY_TOFILE), *IDS, 2000)
    assert (result.ok, result.status) == (False, "5.2.2")
    assert result.reason == "error writing message: File too large"
    assert not list((tmp_path / "md" / "tmp").iterdir())
