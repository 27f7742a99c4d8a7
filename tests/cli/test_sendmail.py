"""sendmail(1) and postdrop(1): maildrop files compared with real Postfix's.

The golden files under tests/golden/maildrop/ were written by Postfix
3.7's sendmail (record.sh there holds the commands).  pyfix's sendmail
runs here as the current user with the same arguments and message; the
maildrop files must hold the same records, except the arrival time
and the full name/login name, which depend on the user running it.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.queue.records import REC_TYPE_FROM, REC_TYPE_FULL, REC_TYPE_TIME, iter_records

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "maildrop"
CASES = ["args", "extract", "dsn", "longline", "dotstop", "username", "norcpt", "empty-t",
         "verify", "verify-v", "verify-t"]
MESSAGES = {
    "args": "message1.eml", "longline": "message1.eml", "extract": "message2.eml",
    "dotstop": "message2.eml", "dsn": "message3.eml", "username": "message3.eml",
    "norcpt": "message3.eml", "empty-t": "message3.eml", "verify": "message1.eml",
    "verify-v": "message1.eml", "verify-t": "message2.eml",
}


def make_instance(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    spool = tmp_path / "spool"
    etc.mkdir()
    (spool / "maildrop").mkdir(parents=True)
    (spool / "public").mkdir()
    (etc / "main.cf").write_text(
        f"queue_directory = {spool}\nmyhostname = mail.example.com\nmydomain = example.com\n"
    )
    (etc / "master.cf").write_text("")
    return etc


def run_cmd(module: str, etc: Path, args: list[str], stdin: bytes,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "MAIL_CONFIG": str(etc), **(env or {})}
    full_env.pop("NAME", None)
    return subprocess.run([sys.executable, "-m", module, *args], input=stdin,
                          capture_output=True, env=full_env, check=False)


def records(path: Path) -> list[tuple[str, bytes]]:
    return [(chr(r.type), r.data) for r in iter_records(path.read_bytes())]


def maildrop_files(etc: Path) -> list[Path]:
    return sorted((etc.parent / "spool" / "maildrop").iterdir())


def _normalize(recs: list[tuple[str, bytes]], case: str) -> list[tuple[str, bytes]]:
    """Drop the time and the GECOS full name (the recorder was root; a user
    without one gets no full-name record, as with Postfix's sendmail); mask
    the login name."""
    out = []
    for rec_type, data in recs:
        if rec_type == chr(REC_TYPE_TIME):
            continue
        if rec_type == chr(REC_TYPE_FULL) and case not in ("args", "verify"):
            continue
        if rec_type == chr(REC_TYPE_FROM) and case == "username":
            data = b"<login>"
        out.append((rec_type, data))
    return out


@pytest.mark.parametrize("case", CASES)
def test_sendmail_matches_postfix(tmp_path: Path, case: str) -> None:
    etc = make_instance(tmp_path)
    args = (GOLDEN / case / "args").read_text().splitlines()
    message = (GOLDEN / MESSAGES[case]).read_bytes()
    result = run_cmd("pyfix.cli.sendmail", etc, args, message)
    want_status = int((GOLDEN / case / "status").read_text())
    assert result.returncode == want_status, result.stderr
    want_stderr = (GOLDEN / case / "stderr").read_text()
    got_stderr = result.stderr.decode()
    if want_status == 0:
        assert got_stderr == want_stderr.replace("postdrop:", "sendmail:")
        (path,) = maildrop_files(etc)
        assert _normalize(records(path), case) == _normalize(
            records(GOLDEN / case / "maildrop-file"), case)
        assert f"{path.stat().st_mode & 0o7777:o}" == (GOLDEN / case / "mode").read_text().strip()
        assert path.stat().st_uid == os.getuid()
    else:
        uid = os.getuid()
        assert got_stderr == want_stderr.replace("(0):", f"({uid}):")
        assert maildrop_files(etc) == []


def test_sendmail_default_sender_and_fullname(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.sendmail", etc, ["bob"], b"Subject: x\n\nhi\n",
                     env={"NAME": "Test User"})
    assert result.returncode == 0, result.stderr
    (path,) = maildrop_files(etc)
    recs = dict(records(path)[:5])
    assert recs["S"] == pwd.getpwuid(os.getuid()).pw_name.encode()
    assert records(path)[3][1] != b"" and recs["R"] == b"bob"


# Exit status and text as Postfix 3.7's sendmail (75 for every fatal error).
@pytest.mark.parametrize(("args", "status", "text"), [
    (["-y", "a"], 75, "sendmail: invalid option -- 'y'\n"
     "sendmail: invalid option -- 'y'\nsendmail: fatal: usage: sendmail [options]\n"),
    (["-n", "a"], 75, "sendmail: fatal: -n option not supported\n"),
    (["-bz"], 75, "sendmail: fatal: unsupported: -bz\n"),
    (["-B", "junk", "a"], 75, "sendmail: fatal: -B option needs 8BITMIME or 7BIT\n"),
    (["-t", "-bp"], 75, "sendmail: fatal: -t can be used only in delivery mode\n"),
    (["-bp", "a"], 75, "sendmail: fatal: display queue mode requires no recipient\n"),
])
def test_sendmail_usage_errors(tmp_path: Path, args: list[str], status: int, text: str) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.sendmail", etc, args, b"")
    assert (result.returncode, result.stderr.decode()) == (status, text)


def test_sendmail_daemon_mode_is_postfix_start(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    result = run_cmd("pyfix.cli.sendmail", etc, ["-bd"], b"")  # -bp, -q, -bs: test_postqueue.py,
    assert result.returncode == 69                             # test_sendmail_bs.py
    assert result.stderr.startswith(b"sendmail: fatal: ")


def test_sendmail_bv_reads_no_message_and_says_where_the_report_goes(tmp_path: Path) -> None:
    etc = make_instance(tmp_path)
    # stdin stays open and unread (Postfix's -bv does not read it)
    proc = subprocess.Popen([sys.executable, "-m", "pyfix.cli.sendmail", "-f", "s@example.org",
                             "-bv", "a@example.com"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "MAIL_CONFIG": str(etc)})
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert out == b"Mail Delivery Status Report will be mailed to <s@example.org>.\n"
    (path,) = maildrop_files(etc)
    assert ("A", b"trace_flags=512") in records(path)


def test_sendmail_wakes_up_pickup_socket(tmp_path: Path) -> None:
    import socket

    etc = make_instance(tmp_path)
    path = etc.parent / "spool" / "public" / "pickup"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        server.settimeout(10)
        proc = subprocess.Popen([sys.executable, "-m", "pyfix.cli.sendmail", "bob"],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "MAIL_CONFIG": str(etc)})
        assert proc.stdin is not None
        proc.stdin.write(b"hi\n")
        proc.stdin.close()
        conn, _ = server.accept()
        with conn:
            assert conn.recv(10) == b"W"
        assert proc.wait(10) == 0
        assert proc.stderr is not None and proc.stderr.read() == b""
