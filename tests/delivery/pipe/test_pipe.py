"""pipe(8): the agent against the behaviour recorded from real Postfix 3.7.

The golden files come from golden/record.py (real Postfix, same
master.cf services, same message body); see harness.py.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Iterator

import pytest

from pyfix.delivery.pipe import PipeAgent
from pyfix.delivery.pipe_attr import PipeConfigError
from pyfix.delivery.request import FLAG_USR_VRFY
from pyfix.queue.errors import QueueFileMissing
from pyfix.queue.layout import INCOMING
from pyfix.queue.reader import QueueFile
from tests.delivery.pipe.harness import (
    CAPTURE,
    PipeHarness,
    golden_status,
    golden_warnings,
)

ROOT = os.geteuid() == 0


@pytest.fixture
def harness() -> Iterator[PipeHarness]:
    h = PipeHarness()
    yield h
    h.close()


def golden_lines(name: str, kind: str) -> list[str]:
    return (CAPTURE / f"{name}.{kind}").read_text().splitlines()


def pending_offsets(h: PipeHarness, queue_id: str) -> list[str]:
    try:
        with QueueFile.open(h.layout, INCOMING, queue_id) as queue_file:
            return [r.address for r in queue_file.read_envelope().pending()]
    except QueueFileMissing:
        return []


# Argument vectors and message copies -------------------------------------------


def test_all_macros_and_flags_DORFB_dot_quote(harness: PipeHarness) -> None:
    golden_argv = golden_lines("flagsall", "argv")
    client = {"address": "127.0.0.1", "name": "unknown", "helo_name": "client.example.org",
              "protocol_name": "ESMTP", "port": golden_argv[14]}
    queue_id, response = harness.pipe("flagsall", ["user+ext@flagsall.test"],
                                      sender="Sender@Example.ORG", client=client)
    assert [r.status for r in response.results] == ["sent"]
    argv = harness.captured("flagsall", "argv").decode().splitlines()
    expected = golden_argv
    size = str(harness.request(queue_id, "flagsall", "x").data_size)
    expected[8], expected[9] = size, queue_id  # ${size}, ${queue_id} differ per message
    assert argv == expected
    assert harness.status_of("user+ext@flagsall.test") == golden_status("user+ext@flagsall.test")
    assert harness.relay_of("user+ext@flagsall.test") == "flagsall"
    stdin = harness.captured("flagsall", "stdin").decode().splitlines()
    golden = golden_lines("flagsall", "stdin")
    date = r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}"
    assert re.fullmatch(rf"From Sender@Example\.ORG  {date}", stdin[0])
    assert re.fullmatch(rf"From Sender@Example\.ORG  {date}", golden[0])
    assert stdin[1:4] == golden[1:4]  # Return-Path, X-Original-To, Delivered-To
    # ">" and "." quoting of the body and the blank line at the end (B).
    assert stdin[-7:] == golden[-7:]


def test_recipient_macros_expand_once_per_recipient(harness: PipeHarness) -> None:
    queue_id, response = harness.pipe("multi", ["a@multi.test", "b+x@multi.test"],
                                      sender="sender@example.org")
    assert [r.status for r in response.results] == ["sent", "sent"]
    assert harness.captured("multi", "argv").decode().splitlines() == \
        golden_lines("multi", "argv")
    for rcpt in ("a@multi.test", "b+x@multi.test"):
        assert harness.status_of(rcpt) == golden_status(rcpt)
    assert pending_offsets(harness, queue_id) == []
    # Without F, R, O, D or B the message is copied as it is.
    assert harness.captured("multi", "stdin").decode().splitlines()[-5:] == \
        golden_lines("multi", "stdin")[-5:]


def test_quote_and_fold_flags_with_empty_null_sender(harness: PipeHarness) -> None:
    rcpt = "Foo Bar+Ext@QHU.Test"  # internal form of "Foo Bar+Ext"@QHU.Test
    harness.pipe("qhu", [rcpt], sender="", nexthop="QHU.Test")
    assert harness.captured("qhu", "argv").decode().splitlines() == golden_lines("qhu", "argv")
    # The log line shows the quoted (external) form, as Postfix's does.
    quoted = '"Foo Bar+Ext"@QHU.Test'
    assert harness.status_of(quoted) == golden_status(quoted)


def test_null_sender_becomes_mailer_daemon(harness: PipeHarness) -> None:
    harness.pipe("nulldef", ["x@nulldef.test"], sender="")
    assert harness.captured("nulldef", "argv").decode().splitlines() == ["MAILER-DAEMON"]
    stdin = harness.captured("nulldef", "stdin").decode().splitlines()
    golden = golden_lines("nulldef", "stdin")
    assert stdin[0].startswith("From MAILER-DAEMON  ") and golden[0].startswith(
        "From MAILER-DAEMON  ")
    assert stdin[1] == golden[1] == "Return-Path: <MAILER-DAEMON>"


def test_eol_and_user_group(harness: PipeHarness) -> None:
    harness.pipe("eolcr", ["x@eolcr.test"])
    data = harness.captured("eolcr", "stdin")
    golden = (CAPTURE / "eolcr.stdin").read_bytes()
    assert data.startswith(b"Return-Path: <s@example.org>\r\n")
    assert data.endswith(golden[golden.index(b"\r\nFrom me"):])
    assert data.count(b"\n") == data.count(b"\r\n")
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        assert harness.captured("eolcr", "uid").split() == [
            str(nobody.pw_uid).encode(), str(nobody.pw_gid).encode()]


def test_environment_and_working_directory(harness: PipeHarness) -> None:
    harness.pipe("multi", ["a@multi.test"])
    env = dict(line.split("=", 1) for line in
               harness.captured("multi", "env").decode().splitlines())
    golden = dict(line.split("=", 1) for line in golden_lines("multi", "env"))
    assert env["PATH"] == golden["PATH"] == "/usr/bin:/bin"
    assert set(env) <= set(golden)  # TZ, MAIL_CONFIG, LANG only when the agent has them
    assert harness.captured("multi", "cwd").decode().strip() == f"{harness.root}/spool"


# Outcomes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["talk", "ex75", "ex67", "ex1", "ex1out", "ex99", "exdsn",
                                  "exdsn4", "exsig", "nocmd", "small"])
def test_command_outcome_matches_postfix(harness: PipeHarness, name: str) -> None:
    rcpt = f"r@{name}.test"
    queue_id, response = harness.pipe(name, [rcpt])
    assert harness.status_of(rcpt) == golden_status(rcpt)
    assert harness.relay_of(rcpt) == name
    status = response.results[0].status
    assert pending_offsets(harness, queue_id) == ([rcpt] if status == "deferred" else [])
    if name == "nocmd":
        fatal = [w.split(": ", 1)[1] for w in golden_warnings() if "execvp" in w]
        assert fatal and fatal[0] in harness.log_lines()


def test_time_limit(harness: PipeHarness) -> None:
    harness.pipe("slow", ["r@slow.test"])
    assert harness.status_of("r@slow.test") == golden_status("r@slow.test")
    warning = [w.split(": ", 1)[1] for w in golden_warnings() if "time limit" in w]
    assert warning[0] in harness.log_lines()


def test_delivered_to_loop(harness: PipeHarness) -> None:
    harness.pipe("loop", ["Loop@loop.test"], headers=[b"Delivered-To: loop@LOOP.test"])
    assert harness.status_of("Loop@loop.test") == golden_status("Loop@loop.test")
    assert not (harness.out / "loop.argv").exists()


def test_D_flag_needs_single_recipient(harness: PipeHarness) -> None:
    harness.pipe("dmulti", ["a@dmulti.test", "b@dmulti.test"])
    for rcpt in ("a@dmulti.test", "b@dmulti.test"):
        assert harness.status_of(rcpt) == golden_status(rcpt)
    warning = [w.split(": ", 1)[1] for w in golden_warnings() if "pipe flag" in w]
    assert warning[0] in harness.log_lines()


def test_unknown_macro_defers(harness: PipeHarness) -> None:
    harness.pipe("badmacro", ["r@badmacro.test"])
    assert harness.status_of("r@badmacro.test") == golden_status("r@badmacro.test")
    golden = next(w.split(": ", 1)[1] for w in golden_warnings() if "unknown macro" in w)
    golden = golden.replace("BASE/etc", str(harness.root))
    assert golden in harness.log_lines()


def test_verify_request_does_not_run_command(harness: PipeHarness) -> None:
    queue_id = harness.submit(["x@multi.test"])
    harness.deliver(harness.pipe_agent("multi"), queue_id, "multi", "multi.test", "multi",
                    flags=FLAG_USR_VRFY)
    # Postfix's wording for a trace-only request (sendmail -bv)
    assert "status=deliverable (delivers to command: " in harness.status_of("x@multi.test")
    assert not (harness.out / "multi.argv").exists()


# Configuration errors ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["nouser", "noargv", "rootuser", "owneruser", "unkuser",
                                  "unkgroup", "badflag", "badattr", "badsize"])
def test_bad_attributes_are_fatal_with_postfix_text(harness: PipeHarness, name: str) -> None:
    with pytest.raises(PipeConfigError) as info:
        PipeAgent(harness.service(name), harness.log)
    fatal = [w.split(": fatal: ", 1)[1] for w in golden_warnings() if ": fatal: " in w]
    assert str(info.value) in fatal
