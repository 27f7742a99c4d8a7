"""pyfix's notices against those that real Postfix 3.7 wrote.

tests/golden/bounce/record.sh ran real Postfix with the scenarios below
and saved each notice as delivered (notices/*.eml) and its log.  Here
the same original message (its content taken from the golden notice),
envelope and delivery log entries go through pyfix's bounce library,
and the notice must equal Postfix's byte for byte once queue IDs,
dates and the boundary time stamp are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyfix.delivery.dsn import (
    DSN_NOTIFY_FAILURE,
    DSN_NOTIFY_NEVER,
    DSN_NOTIFY_SUCCESS,
    DSN_RET_HDRS,
    Dsn,
)
from pyfix.queue.envelope import QueueMessage
from tests.bounce.helpers import Rcpt, Sandbox

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bounce"
NOTIFY_CLASSES = "bounce, 2bounce, delay, resource, software"
DATE = re.compile(r"\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4} \([^)]*\)")
REFUSED = Dsn("4.4.1", "delayed", "connect to 127.0.0.1[127.0.0.1]:9: Connection refused")
UNKNOWN = Dsn("5.1.1", "failed", "User unknown")


@dataclass
class Golden:
    path: Path
    text: str

    @property
    def original_queue_id(self) -> str:
        match = re.search(r"^X-Postfix-Queue-ID: (\S+)$", self.text, re.M)
        assert match
        return match.group(1)

    @property
    def queue_id(self) -> str:
        return self.path.stem

    def original_lines(self) -> list[bytes]:
        """The returned message, without the Return-Path: that bounce adds."""
        part = self.text.split("\nReturn-Path: ", 1)[1].split("\n", 1)[1]
        body = part.rsplit("\n\n--", 1)[0]
        return [line.encode() for line in body.split("\n")]


def golden(original_subject: str, notice_subject: str) -> Golden:
    for path in sorted((GOLDEN / "notices").glob("*.eml")):
        text = path.read_text()
        if (f"\nSubject: {notice_subject}\n" in text
                and f"\nSubject: {original_subject}\n" in text):
            return Golden(path, text)
    raise AssertionError(f"no golden notice {notice_subject!r} for {original_subject!r}")


def mask(text: str, names: dict[str, str]) -> str:
    text = DATE.sub("DATE", text)
    text = re.sub(r'boundary="(\w+)\.\d+/', r'boundary="\1.TIME/', text)
    text = re.sub(r"^--(\w+)\.\d+/", r"--\1.TIME/", text, flags=re.M)
    text = re.sub(r"Message-Id: <\d{14}\.", "Message-Id: <STAMP.", text)
    for queue_id, name in names.items():
        text = text.replace(queue_id, name)
    return text


def sandbox(root: Path) -> Sandbox:
    return Sandbox(root, {"notify_classes": NOTIFY_CLASSES, "delay_warning_time": "1s",
                          "maximal_queue_lifetime": "5s", "bounce_queue_lifetime": "5s"})


def compare(box: Sandbox, message: QueueMessage, expected: list[Golden]) -> None:
    notices = {n.queue_id: n for n in box.notices(exclude=message)}
    assert len(notices) == len(expected)
    produced = {}
    for line in box.log_lines():
        match = re.match(rf"{message.queue_id}: (.*notification): (\w+)$", line)
        if match:
            produced[match.group(1)] = match.group(2)
    for want in expected:
        what = next(line for line in (GOLDEN / "maillog").read_text().splitlines()
                    if line.endswith(f"notification: {want.queue_id}"))
        kind = what.split("]: ", 1)[1].split(": ", 1)[1].rsplit(":", 1)[0]
        got = notices[produced[kind]]
        ours = mask(got.raw.decode(), {message.queue_id: "ORIG", got.queue_id: "NEW",
                                       want.original_queue_id: "ORIG"})
        theirs = mask(want.text, {want.original_queue_id: "ORIG", want.queue_id: "NEW"})
        assert ours == theirs, want.path.name


def submit_like(box: Sandbox, want: Golden, sender: str, rcpts: list[Rcpt],
                body: list[bytes] | None = None, **kwargs: object) -> QueueMessage:
    lines = want.original_lines()
    if body is not None:  # the golden notice returned only the headers
        lines = [*lines, b"", *body]
    return box.submit(sender, rcpts, lines, **kwargs)  # type: ignore[arg-type]


def test_failure_notice_and_postmaster_copy(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    want = golden("failure", "Undelivered Mail Returned to Sender")
    copy = golden("failure", "Postmaster Copy: Undelivered Mail")
    message = submit_like(box, want, "sender@client.example", [
        Rcpt("nosuch@bounce.example", orcpt="rfc822;nosuch@bounce.example")])
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    compare(box, message, [want, copy])


def test_dsn_envid_ret_hdrs_notify_and_success(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    want = golden("dsn", "Undelivered Mail Returned to Sender")
    copy = golden("dsn", "Postmaster Copy: Undelivered Mail")
    success = golden("dsn", "Successful Mail Delivery Report")
    message = submit_like(box, want, "dsn@client.example", [
        Rcpt("first@bounce.example", DSN_NOTIFY_FAILURE, "rfc822;orig-first@bounce.example"),
        Rcpt("never@bounce.example", DSN_NOTIFY_NEVER, "rfc822;never@bounce.example"),
        Rcpt("ok@sink.example", DSN_NOTIFY_SUCCESS, "rfc822;ok@sink.example"),
    ], [b"Hello."], ret=DSN_RET_HDRS, envid="env-42")
    box.log("bounce", message, UNKNOWN, 0)
    box.log("bounce", message, UNKNOWN, 1)
    box.log("trace", message, Dsn("2.0.0", "relayed",
                                  "delivery via capture: delivered via capture service"), 2)
    service = box.bounce()
    assert service.bounce_flush(message)
    assert service.trace_flush(message)
    compare(box, message, [want, copy, success])


def test_size_limit_returns_headers(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    want = golden("big", "Undelivered Mail Returned to Sender")
    copy = golden("big", "Postmaster Copy: Undelivered Mail")
    message = submit_like(box, want, "big@client.example", [
        Rcpt("nosuch@bounce.example", orcpt="rfc822;nosuch@bounce.example")],
        [b"x" * 99] * 600)
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    compare(box, message, [want, copy])


def test_null_sender_goes_to_2bounce_recipient(tmp_path: Path) -> None:
    box = sandbox(tmp_path)
    want = golden("null", "Postmaster Copy: Undelivered Mail")
    message = submit_like(box, want, "", [
        Rcpt("nosuch@bounce.example", orcpt="rfc822;nosuch@bounce.example")])
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    compare(box, message, [want])


@pytest.mark.parametrize("method, subjects", [
    ("delay_warning", ("Delayed Mail (still being retried)", "Postmaster Warning: Delayed Mail")),
    ("defer_flush", ("Undelivered Mail Returned to Sender", "Postmaster Copy: Undelivered Mail")),
])
def test_delay_warning_and_expiry(tmp_path: Path, method: str,
                                  subjects: tuple[str, str]) -> None:
    box = sandbox(tmp_path)
    expected = [golden("delay", subject) for subject in subjects]
    message = submit_like(box, expected[0], "late@client.example", [
        Rcpt("later@defer.example", orcpt="rfc822;later@defer.example")],
        None if method == "defer_flush" else [b"Hello."])
    box.log("defer", message, REFUSED)
    assert getattr(box.bounce(), method)(message)
    compare(box, message, expected)
