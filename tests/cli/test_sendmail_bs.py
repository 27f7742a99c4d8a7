"""sendmail -bs: pyfix's stand-alone SMTP session against real Postfix's.

tests/golden/mailq/bs/NAME.in was played through real Postfix 3.7's
"sendmail -bs" (tests/golden/mailq/record.py); NAME.out is its standard
output byte for byte, NAME.out.stderr its standard error, NAME.log the
lines it logged (without time stamp and host).  pyfix's sendmail -bs
gets the same input with the same main.cf settings, no mail system
running (so the maildrop writer warns that pickup is not there, as
Postfix's postdrop did), and must answer and log the same, queue IDs and
process IDs aside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pyfix.queue.record_stream import RecordReader
from tests.instance import REPO, Instance, pyfix_command

BS = REPO / "tests" / "golden" / "mailq" / "bs"
QUEUE_ID = re.compile(r"\b[0-9A-F]{10,}\b")
LOG_LINE = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ (\S+?)\[\d+\]: (.*)$")


def mask(text: str) -> str:
    return QUEUE_ID.sub("QUEUEID", text)


def log_lines(maillog: str) -> list[str]:
    lines = []
    for line in maillog.splitlines():
        match = LOG_LINE.match(line)
        if match and match.group(1) in ("postfix/smtpd", "postfix/postdrop"):
            lines.append(mask(f"{match.group(1)}: {match.group(2)}"))
    return lines


def golden_log(name: str) -> list[str]:
    return [mask(re.sub(r"\[\d+\]: ", ": ", line))
            for line in (BS / f"{name}.log").read_text().splitlines()]


def sendmail_bs(inst: Instance, data: bytes) -> tuple[bytes, str, int]:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    env["MAIL_CONFIG"] = str(inst.etc)
    result = subprocess.run([sys.executable, "-m", "pyfix.cli.sendmail", "-bs"], input=data,
                            capture_output=True, env=env, cwd=REPO, timeout=60, check=False)
    return result.stdout, result.stderr.decode(), result.returncode


@pytest.fixture
def instance(pyfix_instance: Callable[..., Instance]) -> Instance:
    inst = pyfix_instance("", "", start=False)
    assert pyfix_command("postfix", inst.etc, "check").returncode == 0
    return inst


@pytest.mark.parametrize("name", ["basic", "ehlo", "eof", "errors"])
def test_dialogue_matches_postfix(instance: Instance, name: str) -> None:
    before = len(instance.maillog().splitlines())
    out, err, status = sendmail_bs(instance, (BS / f"{name}.in").read_bytes())
    assert status == int((BS / f"{name}.out.status").read_text())
    assert mask(out.decode("latin-1")) == mask((BS / f"{name}.out").read_bytes().decode("latin-1"))
    assert err == (BS / f"{name}.out.stderr").read_text()
    logged = log_lines("\n".join(instance.maillog().splitlines()[before:]))
    assert logged == golden_log(name)


def records(path: Path) -> list[tuple[str, bytes]]:
    with open(path, "rb") as fp:
        reader = RecordReader(fp)
        out = []
        while (record := reader.read()) is not None:
            out.append((chr(record.type), record.data))
    return out


def test_maildrop_file(instance: Instance) -> None:
    dialogue = (b"EHLO client.example\r\nMAIL FROM:<me@example.org> BODY=8BITMIME\r\n"
                b"RCPT TO:<you@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@example.net\r\n"
                b"RCPT TO:<okada>\r\nDATA\r\nSubject: t\r\n\r\n..dot\r\n" + b"y" * 3000
                + b"\r\n.\r\nQUIT\r\n")
    out, _err, status = sendmail_bs(instance, dialogue)
    assert status == 0
    queue_id = re.search(rb"queued as (\w+)", out)
    assert queue_id is not None
    files = instance.queue_files("maildrop")
    assert [f.name for f in files] == [queue_id.group(1).decode()]
    recs = records(files[0])
    assert recs[0][0] == "T"
    assert recs[1:7] == [
        ("S", b"me@example.org"), ("A", b"encoding=8bit"),
        ("A", b"notify_flags=6"), ("A", b"dsn_orig_rcpt=rfc822;x@example.net"),
        ("R", b"you@example.net"), ("A", b"dsn_orig_rcpt=rfc822;okada"),
    ]
    assert recs[7:9] == [("R", b"okada"), ("M", b"")]
    assert recs[9] == ("N", b"Received: from client.example (localhost [127.0.0.1])")
    assert recs[10][1].startswith(b"\tby mail.example.com (Postfix) with ESMTP id "
                                  + queue_id.group(1) + b";")
    body = recs[12:]
    assert body[:3] == [("N", b"Subject: t"), ("N", b""), ("N", b".dot")]
    assert b"".join(data for kind, data in body if kind in "NL") .count(b"y") == 3000
    assert [kind for kind, _ in body[-2:]] == ["X", "E"]


def test_rset_and_eof_leave_no_file(instance: Instance) -> None:
    out, _err, status = sendmail_bs(
        instance, b"HELO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nRSET\r\n"
                  b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nunfinished\r\n")
    assert status == 0
    assert out.count(b"250 2.1.5 Ok") == 2
    assert instance.queue_files("maildrop") == []
