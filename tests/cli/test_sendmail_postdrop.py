"""postdrop(1): protocol output, checks and exit status as Postfix 3.7's.

The expected bytes were taken from /usr/sbin/postdrop with the same
input (attr_print0 replies, warnings and fatal texts).
"""

from __future__ import annotations

import os
from pathlib import Path

from pyfix.pickup.pickup import REMOVE, PickupSettings, pickup_file
from pyfix.queue.records import encode_record, iter_records
from tests.cli.test_sendmail import maildrop_files, make_instance, run_cmd


def rec(rec_type: str, data: bytes = b"") -> bytes:
    return encode_record(ord(rec_type), data)


GOOD = (rec("S", b"a@b") + rec("R", b"c@d") + rec("A", b"foo=bar") + rec("A", b"junk")
        + rec("A", b"notify_flags=2") + rec("M") + rec("N", b"hi") + rec("X") + rec("E"))


def test_postdrop_accepts_and_filters(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.postdrop", etc, [], GOOD)
    assert result.returncode == 0
    (path,) = maildrop_files(etc)
    assert result.stdout == (b"protocol\0postdrop_protocol\0queue_id\0" + path.name.encode()
                             + b"\0\0status\0" + b"0\0reason\0\0\0")
    uid = os.getuid()
    assert result.stderr.decode() == (
        f"postdrop: warning: uid={uid}: ignoring attribute record: foo=bar\n"
        f"postdrop: warning: uid={uid}: ignoring malformed record: missing '=' after"
        " attribute name: junk\n"
        "postdrop: warning: unable to look up public/pickup: No such file or directory\n")
    types = "".join(chr(r.type) for r in iter_records(path.read_bytes()))
    assert types == "TSRAMNXE"
    assert path.stat().st_mode & 0o7777 == 0o744


def test_postdrop_without_recipient_is_rejected(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.postdrop", etc, [],
                     rec("S", b"a@b") + rec("M") + rec("N", b"hi") + rec("X") + rec("E"))
    assert result.returncode == 1
    assert result.stdout.endswith(b"\0\0status\0" + b"1\0reason\0\0\0")
    assert maildrop_files(etc) == []


def test_postdrop_fatal_errors(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    uid = os.getuid()
    result = run_cmd("pyfix.cli.postdrop", etc, [], b"Shello")
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "postdrop: warning: stdin: unexpected EOF in data, record type 83 length 104\n"
        f"postdrop: fatal: uid={uid}: malformed input\n")
    result = run_cmd("pyfix.cli.postdrop", etc, [], b"Z\0")
    assert (result.returncode, result.stderr.decode()) == (
        1, f"postdrop: fatal: uid={uid}: unexpected record type: 90\n")
    result = run_cmd("pyfix.cli.postdrop", etc, ["-x"], b"")
    assert (result.returncode, result.stderr.decode()) == (
        1, "postdrop: invalid option -- 'x'\npostdrop: fatal: usage: postdrop [-c config_dir] [-v]\n")
    assert maildrop_files(etc) == []


def test_postdrop_canceled_input(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.postdrop", etc, [], rec("S", b"a@b"))
    assert result.returncode == 0
    assert result.stdout.endswith(b"\0\0") and b"status" not in result.stdout
    assert maildrop_files(etc) == []


def test_pyfix_pickup_reads_pyfix_sendmail_file(tmp_path: Path) -> None:
    from tests.pickup.test_pickup import Log, RecordingCleanup

    etc = make_instance(tmp_path)
    assert run_cmd("pyfix.cli.sendmail", etc, ["-f", "s@example.org", "-t"],
                   b"To: x@example.com\n\nbody\n").returncode == 0
    (path,) = maildrop_files(etc)
    cleanup, log = RecordingCleanup(), Log()
    settings = PickupSettings(myhostname="mail.example.com")
    assert pickup_file(str(path), cleanup, settings, log.infos.append, log.warns.append) == REMOVE
    assert cleanup.streams[0].recipients == [("x@example.com", None, 0, None)]
    assert log.warns == []
