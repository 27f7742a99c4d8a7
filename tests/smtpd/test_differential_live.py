"""Live differential test: the same SMTP dialogues to real Postfix and to pyfix.

Real Postfix 3.7 (a throw-away instance started by tests/golden/smtp/
record.py's Instance, profile "base") and a pyfix instance with the same
main.cf settings listen on two loopback ports.  Each dialogue, some
from the recorded list (tests/golden/smtp/dialogues.py) and some made
up here (pipelining, malformed commands, over-long lines, bare LF, NUL
bytes, 8-bit, SMTPUTF8), goes to both at once; the reply bytes of every
step must be identical once queue IDs are masked (both use the same
myhostname).  Needs root (a Postfix master) and Debian's postfix
package; skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

from tests.instance import REPO, Instance

GOLDEN = REPO / "tests" / "golden" / "smtp"
MASTER = Path("/usr/lib/postfix/sbin/master")
PYFIX_OWN = ("queue_directory", "data_directory", "maillog_file", "maillog_file_prefixes",
             "syslog_name", "inet_interfaces", "max_use")
QUEUED = re.compile(rb"queued as [0-9A-Za-z]+")
SAMPLE = [
    "helo_specials", "nul_in_command", "bad_utf8_command", "forbidden_lowercase",
    "mail_syntax", "mail_size", "rcpt_smtputf8", "data_dot_stuffing", "data_pipelined_all",
    "data_crlf_variants_normalize", "command_bare_lf_normalize", "command_bare_cr",
]
# Known bug (reported): pyfix's smtpd drops the connection without a
# reply when a MAIL or RCPT address holds UTF-8.
EHLO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<a@example.org>\r\n"
RCPT = b"RCPT TO:<b@example.com>\r\n"
GENERATED: dict[str, list[bytes]] = {
    "gen_pipelined_two": [EHLO, MAIL + RCPT + b"DATA\r\n",
                          b"Subject: 1\r\n\r\none\r\n.\r\n" + MAIL + RCPT + b"DATA\r\n",
                          b"two\r\n.\r\nQUIT\r\n"],
    "gen_long_command": [EHLO, b"NOOP " + b"x" * 5000 + b"\r\n", b"MAIL FROM:<" + b"a" * 3000
                         + b"@example.org>\r\n", b"QUIT\r\n"],
    "gen_long_data_line": [EHLO, MAIL, RCPT, b"DATA\r\n",
                           b"Subject: long\r\n\r\n" + b"y" * 10000 + b"\r\n.\r\n", b"QUIT\r\n"],
    "gen_bare_lf_data": [EHLO, MAIL, RCPT, b"DATA\r\n",
                         b"Subject: lf\n\nline one\nline two\r\n.\r\n", b"QUIT\r\n"],
    "gen_nul_data": [EHLO, MAIL, RCPT, b"DATA\r\n", b"Subject: nul\r\n\r\na\x00b\r\n.\r\n",
                     b"QUIT\r\n"],
    "gen_8bit": [EHLO, b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n", RCPT, b"DATA\r\n",
                 b"Subject: \xe2\x82\xac\r\n\r\n\xff\xfe 8bit\r\n.\r\n", b"QUIT\r\n"],
    "gen_smtputf8": [EHLO, "MAIL FROM:<jörg@exämple.org> SMTPUTF8\r\n".encode(),
                     "RCPT TO:<ü@exämple.com>\r\n".encode(), b"DATA\r\n",
                     "Subject: ü\r\n\r\nü\r\n.\r\n".encode(), b"QUIT\r\n"],
    "gen_malformed": [b"HELO\r\n", b"MAIL FROM:<>\r\n", b"EHLO a..b\r\n", b"MAIL FROM:<a@[1.2.3]>\r\n",
                      b"MAIL FROM:<\"unterminated@example.org>\r\n", b"RCPT TO:<@x:y>\r\n",
                      b"BDAT x LAST\r\n", b"QUIT\r\n"],
    "gen_rset_storm": [EHLO, (MAIL + RCPT + b"RSET\r\n") * 5, b"QUIT\r\n"],
}


def _skip_reason() -> str | None:
    if not MASTER.exists():
        return f"real Postfix is not installed ({MASTER} missing)"
    if os.geteuid() != 0:
        return "starting a real Postfix master needs root"
    return None


def _record_module() -> ModuleType:
    sys.path.insert(0, str(GOLDEN))
    spec = importlib.util.spec_from_file_location("smtp_record", GOLDEN / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pyfix_main_cf() -> str:
    text = (GOLDEN / "postfix" / "main.cf").read_text() + (GOLDEN / "profiles" / "base.cf").read_text()
    keep = [line for line in text.splitlines()
            if line.split("=")[0].strip() not in PYFIX_OWN]
    return "\n".join(keep) + "\n"


def converse(record: ModuleType, port: int, steps: list[tuple[bytes, str]]) -> list[bytes]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    replies = []
    try:
        data, closed = record.collect(sock, "reply")
        replies.append(data)
        for step, expect in steps:
            if closed:
                break
            try:
                sock.sendall(step)
            except OSError:
                break
            data, closed = record.collect(sock, expect)
            replies.append(data)
    finally:
        sock.close()
    return [QUEUED.sub(b"queued as QUEUEID", reply) for reply in replies]


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_same_replies_as_postfix(pyfix_instance: Callable[..., Instance]) -> None:
    record = _record_module()
    record.QUIET = 0.1  # loopback: replies come at once
    from dialogues import DIALOGUES  # tests/golden/smtp/dialogues.py

    dialogues = {d.name: [(s.send, s.expect) for s in d.steps]
                 for d in DIALOGUES if d.name in SAMPLE}
    assert sorted(dialogues) == sorted(SAMPLE)
    dialogues.update({name: [(step, "reply") for step in steps]
                      for name, steps in GENERATED.items()})
    inst = pyfix_instance(_pyfix_main_cf(), "")
    postfix = record.Instance("base")
    try:
        postfix.start()
        mismatches: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=2) as pool:
            for name, steps in dialogues.items():
                theirs = pool.submit(converse, record, postfix.port, steps)
                ours = pool.submit(converse, record, inst.port, steps)
                if theirs.result() != ours.result():
                    mismatches[name] = (f"{name}:\n  postfix: {theirs.result()!r}\n"
                                        f"  pyfix:   {ours.result()!r}")
    finally:
        postfix.stop()
    assert not mismatches, "\n".join(mismatches.values())
