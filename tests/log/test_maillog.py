"""Mail log lines in Postfix's format, to maillog_file and to a syslog socket."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.config.load import load_config
from pyfix.log.maillog import MailLog, format_line, open_maillog
from pyfix.log.printable import printable, set_utf8_enable
from tests import oracle
from tests.instance import REPO

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


def test_printable_follows_smtputf8_enable() -> None:
    # Postfix's printable() under util_utf8_enable (set from smtputf8_enable).
    set_utf8_enable(True)
    assert printable("müller\x01") == "müller?"
    assert printable("bad \udcff\udcfe") == "bad ??"
    set_utf8_enable(False)
    assert printable("müller\x01") == "m??ller?"
    assert printable("€") == "???"


@pytest.mark.parametrize("setting", ["smtputf8_enable = no", "smtputf8_enable = yes",
                                     "compatibility_level = 0", "compatibility_level = 3.7"])
def test_postlog_utf8_like_postfix(tmp_path: Path, setting: str) -> None:
    """The same log line, written by real Postfix's postlog(1) and by pyfix's,
    with smtputf8_enable off (every non-ASCII byte becomes "?") and on."""
    skip = oracle.missing(oracle.SBIN / "postlog")
    if skip is not None or shutil.which("script") is None:
        pytest.skip(skip or "script(1) is not installed")
    written = {}
    for impl in ("postfix", "pyfix"):
        confdir = tmp_path / impl
        logfile = tmp_path / f"{impl}.log"
        level = "" if setting.startswith("compatibility_level") else "compatibility_level = 3.7\n"
        confdir.mkdir()
        (confdir / "main.cf").write_text(
            f"{level}{setting}\nmaillog_file = {logfile}\nmaillog_file_prefixes = {tmp_path}\n")
        os.utime(confdir / "main.cf", (1_000_000_000, 1_000_000_000))  # no "cool down" wait
        program = (str(oracle.SBIN / "postlog") if impl == "postfix"
                   else f"{sys.executable} -m pyfix.cli.postlog")
        # Under a terminal postlog(1) also copies the line to standard error.
        tty = subprocess.run(
            ["script", "-qec", f"{program} -c {confdir} -t test/log 'müller € x'", "/dev/null"],
            capture_output=True, env=oracle.environ(), check=True, cwd=REPO)
        text = logfile.read_text(errors="surrogateescape")
        written[impl] = (tty.stdout.decode(errors="surrogateescape").replace("\r\n", "\n"),
                         re.sub(r"^.*?test/log\[\d+\]: ", "", text))
    assert written["pyfix"] == written["postfix"]
    utf8 = setting in ("smtputf8_enable = yes", "compatibility_level = 3.7")
    assert written["postfix"][1] == ("müller € x\n" if utf8 else "m??ller ??? x\n")


def test_service_log_follows_its_own_smtputf8_enable(tmp_path: Path) -> None:
    # Real Postfix 3.7.11, smtpd with "-o smtputf8_enable=no" in master.cf
    # and a main.cf at compatibility_level 3.7, logged (checked by hand):
    #   NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 454 4.7.1
    #   <m  ller@remote.example>: Relay access denied; from=<a@b.example>
    #   to=<m??ller@remote.example> proto=ESMTP helo=<x>
    # while the other services keep UTF-8 under main.cf's "yes".
    (tmp_path / "main.cf").write_text(
        f"compatibility_level = 3.7\nmaillog_file = {tmp_path}/maillog\n")
    (tmp_path / "master.cf").write_text(
        "smtp inet n - n - - smtpd -o smtputf8_enable=no\n"
        "cleanup unix n - n - 0 cleanup\n")
    config = load_config(str(tmp_path))
    for service in ("smtp", "cleanup"):
        log = open_maillog(config.for_service(service), service)
        log.info(f"to=<müller@remote.example> {service}")
        log.close()
    lines = (tmp_path / "maillog").read_text().splitlines()
    pid = os.getpid()
    assert lines[0].endswith(f"postfix/smtp[{pid}]: to=<m??ller@remote.example> smtp")
    assert lines[1].endswith(f"postfix/cleanup[{pid}]: to=<müller@remote.example> cleanup")
