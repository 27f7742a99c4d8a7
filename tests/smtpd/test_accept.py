"""End to end: postfix start, a real SMTP client, the queue file and the log.

A pyfix master runs with a throw-away configuration on a loopback port;
smtplib and swaks talk to it; real Postfix's postcat reads the queue file.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import oracle
from tests.instance import Instance


@pytest.fixture
def make_instance(pyfix_instance: Callable[..., Instance]) -> Callable[..., Instance]:
    """A pyfix with only smtpd in master.cf: accepted mail stays in incoming."""
    return lambda main_cf="": pyfix_instance(main_cf, "")


def incoming(inst: Instance) -> list[Path]:
    return inst.queue_files("incoming")


MESSAGE = b"Subject: test\r\nFrom: a@b.example\r\nMessage-ID: <m1@b.example>\r\n\r\nhello\r\n"


def test_accept_into_incoming_queue(make_instance: Callable[..., Instance],
                                    tmp_path: Path) -> None:
    inst = make_instance("mydestination = $myhostname, localhost\n")
    with inst.smtp() as client:
        assert client.ehlo("client.example")[0] == 250
        assert b"PIPELINING" in client.ehlo_resp and b"CHUNKING" in client.ehlo_resp
        refused = client.sendmail("a@b.example", ["user@mail.example.com"], MESSAGE)
        assert refused == {}
    files = incoming(inst)
    assert len(files) == 1
    queue_id = files[0].name
    assert files[0].stat().st_mode & 0o777 == 0o700  # complete
    log = inst.maillog()
    assert "postfix/smtpd[" in log and "connect from localhost[127.0.0.1]" in log
    assert f"{queue_id}: client=localhost[127.0.0.1]" in log
    assert "postfix/cleanup[" in log and f"{queue_id}: message-id=<m1@b.example>" in log
    assert "disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" in log
    if oracle.missing(oracle.POSTCAT, postfix_user=True) is None:
        out = oracle.run(oracle.POSTCAT, oracle.config_dir(tmp_path / "oracle"),
                         str(files[0])).stdout
        assert "sender: a@b.example" in out
        assert "recipient: user@mail.example.com" in out
        assert f"by mail.example.com (Postfix) with ESMTP id {queue_id}" in out
        assert "hello" in out


def test_banner_s9(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance()
    with socket.create_connection(("127.0.0.1", inst.port), timeout=10) as sock:
        assert sock.recv(1024) == b"220 mail.example.com ESMTP Postfix\r\n"


def test_relay_denied_for_outsiders_s10(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance(
        "mynetworks = 192.0.2.0/24\nmydestination = $myhostname, [127.0.0.1]\n")
    with inst.smtp() as client:
        client.ehlo("client.example")
        client.mail("a@b.example")
        for probe in ("relaytest%rbl.jp@[127.0.0.2]", "victim@elsewhere.example",
                      '"victim@elsewhere.example"@[127.0.0.2]'):
            code, text = client.rcpt(probe)
            assert code == 454, (probe, code, text)
            assert text.endswith(b"Relay access denied")
        assert client.rcpt("user@[127.0.0.1]")[0] == 250  # address literal is local (S17)
        assert client.rcpt("user@mail.example.com")[0] == 250
    assert "NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 454 4.7.1 <victim@elsewhere.example>: Relay access denied" in inst.maillog()


def test_unknown_local_recipient_s12(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance(
        "local_recipient_maps = inline:{{ known = x }}\nunknown_local_recipient_reject_code = 550\n")
    with inst.smtp() as client:
        client.ehlo("client.example")
        client.mail("a@b.example")
        code, text = client.rcpt("stranger@mail.example.com")
        assert (code, text) == (
            550, b"5.1.1 <stranger@mail.example.com>: Recipient address rejected: "
                 b"User unknown in local recipient table")
        assert client.rcpt("known@mail.example.com")[0] == 250


def test_oversized_message_s11(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance("message_size_limit = 2000\n")
    with inst.smtp() as client:
        client.ehlo("client.example")
        code, text = client.mail("a@b.example", ["SIZE=5000"])
        assert (code, text) == (552, b"5.3.4 Message size exceeds fixed limit")
        client.rset()
        client.mail("a@b.example")
        client.rcpt("user@mail.example.com")
        code, text = client.data(b"Subject: big\r\n\r\n" + b"x" * 80 * 100 + b"\r\n")
        # Postfix 3.7 answers this with cleanup's file size limit text; the
        # core's reply is checked against recorded Postfix dialogues.
        assert (code, text[:5]) == (552, b"5.3.4")
    assert incoming(inst) == []
    assert "queue file size limit exceeded" in inst.maillog()


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks (Debian package swaks) not installed")
def test_swaks_pipelined(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance()
    result = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{inst.port}", "--pipeline", "--from", "a@b.example",
         "--to", "user@mail.example.com", "--body", "pipelined"],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "250 2.0.0 Ok: queued as" in result.stdout
    assert len(incoming(inst)) == 1


def test_reload_keeps_sessions_and_applies_new_settings(make_instance: Callable[..., Instance]) -> None:
    inst = make_instance()
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.mail("a@b.example")[0] == 250
        assert client.rcpt("user@mail.example.com")[0] == 250
        with open(inst.etc / "main.cf", "a") as fh:
            fh.write("smtpd_banner = $myhostname ESMTP reloaded\n")
        assert inst.postfix("reload").returncode == 0
        deadline = time.monotonic() + 10
        while "reload -- version" not in inst.maillog() and time.monotonic() < deadline:
            time.sleep(0.05)
        code, text = client.data(MESSAGE)
        assert code == 250 and text.startswith(b"2.0.0 Ok: queued as "), text
    deadline = time.monotonic() + 10
    banner = b""
    while time.monotonic() < deadline:
        with socket.create_connection(("127.0.0.1", inst.port), timeout=10) as sock:
            banner = sock.recv(1024)
        if b"reloaded" in banner:
            break
        time.sleep(0.1)
    assert banner == b"220 mail.example.com ESMTP reloaded\r\n"
    assert len(incoming(inst)) == 1


def _pids_of(confdir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(str(confdir).encode() == arg for arg in cmdline) and b"pyfix" in b" ".join(cmdline):
            found.append(int(entry.name))
    return found


def test_kill_9_loses_no_accepted_mail(make_instance: Callable[..., Instance],
                                      tmp_path: Path) -> None:
    """kill -9 of every pyfix process while a client sends: each 250 stays queued once."""
    import signal
    import threading

    inst = make_instance()
    accepted: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        n = 0
        while not stop.is_set():
            try:
                with inst.smtp() as client:
                    while not stop.is_set():
                        n += 1
                        body = f"Subject: m{n}\r\n\r\nbody-{n}\r\n".encode()
                        client.mail("a@b.example")
                        client.rcpt("user@mail.example.com")
                        code, text = client.data(body)
                        if code == 250:
                            accepted.append(text.decode().rsplit(" ", 1)[-1])
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)

    thread = threading.Thread(target=sender)
    thread.start()
    deadline = time.monotonic() + 20
    while len(accepted) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in _pids_of(inst.etc):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=30)
    assert len(accepted) >= 20
    files = {p.name: p for p in incoming(inst)}
    oracle_dir = (oracle.config_dir(tmp_path / "oracle")
                  if oracle.missing(oracle.POSTCAT, postfix_user=True) is None else None)
    for queue_id in accepted:
        assert queue_id in files, f"{queue_id} got 250 but is not in the queue"
        path = files[queue_id]
        assert path.stat().st_mode & 0o777 == 0o700
        if oracle_dir is not None:
            out = oracle.run(oracle.POSTCAT, oracle_dir, str(path))
            assert out.returncode == 0 and "body-" in out.stdout, out.stderr
    assert len(accepted) == len(set(accepted))
    # After the crash the mail system starts again on the same queue.
    (inst.root / "spool" / "pid" / "master.pid").unlink(missing_ok=True)
    inst.start()
    with inst.smtp() as client:
        assert client.noop()[0] == 250
