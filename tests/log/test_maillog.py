"""Mail log lines in Postfix's format, to maillog_file and to a syslog socket."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from pyfix.log.maillog import MailLog, format_line
from pyfix.log.msg import printable

LINE = re.compile(r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d mail postfix/smtpd\[\d+\]: ")


def test_format() -> None:
    line = format_line("postfix/smtpd", 123, "mail.example.com", "connect from x[1.2.3.4]", now=0)
    assert line.endswith(" mail postfix/smtpd[123]: connect from x[1.2.3.4]")
    warn = format_line("postfix/smtpd", 123, "mail", "oops", "warning", now=0)
    assert warn.endswith("postfix/smtpd[123]: warning: oops")


def test_client_text_cannot_forge_lines(tmp_path: Path) -> None:
    path = tmp_path / "maillog"
    log = MailLog("postfix/smtpd", host="mail.example.com", maillog_file=str(path))
    log.info("helo=<evil\r\nNov 28 00:00:00 mail postfix/qmgr[1]: forged>")
    log.warn("caf\udce9 \x00 bytes")
    log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert all(LINE.match(line) for line in lines)
    assert "??Nov 28" in lines[0]
    assert lines[1].endswith("warning: caf? ? bytes")


def test_printable() -> None:
    assert printable("ok ✓") == "ok ✓"
    assert printable("a\tb\x7f") == "a?b?"


def test_syslog_datagram(tmp_path: Path) -> None:
    path = str(tmp_path / "log.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    log = MailLog("postfix/qmgr", host="mail", syslog_path=path, facility="mail")
    log.info("ABCDEF: removed")
    log.warn("trouble")
    first = server.recv(4096).decode()
    second = server.recv(4096).decode()
    log.close()
    server.close()
    assert re.match(r"^<22>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d postfix/qmgr\[\d+\]: ABCDEF: removed$", first)
    assert second.startswith("<20>") and second.endswith(f"postfix/qmgr[{os.getpid()}]: warning: trouble")


def test_postlog_command(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        f"maillog_file = {tmp_path}/maillog\nmyhostname = mail.example.com\n")
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    subprocess.run([sys.executable, "-m", "pyfix.cli.postlog", "-c", str(tmp_path),
                    "-p", "warn", "-t", "postfix/test", "hello", "world"],
                   check=True, env=env, stdin=subprocess.DEVNULL, capture_output=True)
    text = (tmp_path / "maillog").read_text().rstrip("\n")
    assert re.match(r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d mail postfix/test\[\d+\]: warning: hello world$", text)
