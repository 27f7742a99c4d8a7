"""header_checks/body_checks hooks and actions, beyond the recorded cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.cleanup import (
    CLEANUP_FLAG_BOUNCE,
    CLEANUP_FLAG_FILTER,
    CLEANUP_STAT_CONT,
    ContentChecks,
    Origin,
)
from pyfix.cleanup.checks import dsn_prepend
from pyfix.tables.base import TableRetryError
from tests.cleanup.helpers import SMTPD_FLAGS, Sandbox, content

ORIGIN_TEXT = ("from client.example.org[192.0.2.1]; from=<sender@example.org> "
               "to=<rcpt@example.com> proto=ESMTP helo=<helo.example.org>")


def table(rules: dict[str, str]) -> ContentChecks:
    def check(text: str) -> str | None:
        for needle, action in rules.items():
            if needle in text:
                return action
        return None

    return ContentChecks(header=check, mime_header=check, body=check)


def box_with(tmp_path: Path, rules: dict[str, str], **settings: str) -> Sandbox:
    box = Sandbox(tmp_path, dict(settings))
    box.service.checks = table(rules)
    return box


def reply_text(result: object) -> str:
    reply = result.reply  # type: ignore[attr-defined]
    return f"{reply.code} {reply.enhanced} {reply.text}"


def test_checks_need_the_filter_flag(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"Subject": "REJECT"})
    result, _ = box.send([b"Subject: x"], flags=SMTPD_FLAGS & ~CLEANUP_FLAG_FILTER)
    assert result.ok


@pytest.mark.parametrize(("action", "reply", "warning"), [
    ("REJECT 2.0.0 fine", "451 4.0.0 fine", "bad DSN action in 2.0.0 fine -- need 4.x.x or 5.x.x"),
    ("reject\tlower case", "550 5.7.1 lower case", None),
    ("REJECT 5.7.0", "550 5.7.0 ", None),
])
def test_reject_variants(tmp_path: Path, action: str, reply: str, warning: str | None) -> None:
    box = box_with(tmp_path, {"Subject": action})
    result, _ = box.send([b"Subject: x"])
    assert reply_text(result) == reply
    if warning is not None:
        assert f"warning: {warning}" in box.log_lines()


def test_unknown_and_malformed_actions_are_logged_and_ignored(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"X-A": "FROB it", "X-B": "REDIRECT nowhere", "X-C": "PREPEND junk",
                              "X-D": "FILTER nocolon", "X-E": "BCC", "X-F": "REPLACE bad"})
    result, records = box.send([b"X-A: 1", b"X-B: 2", b"X-C: 3", b"X-D: 4", b"X-E: 5", b"X-F: 6"])
    assert result.ok
    assert box.log_lines()[:6] == [
        "warning: unknown command in header_checks map: FROB it",
        'warning: bad REDIRECT target "nowhere" in header_checks map -- need user@domain',
        'warning: bad PREPEND header text "junk" in header_checks map -- '
        'need "headername: headervalue"',
        "warning: bad FILTER command nocolon in header_checks -- need transport:destination",
        'warning: bad BCC address "" in header_checks map -- need user@domain',
        'warning: bad REPLACE header text "bad" in header_checks map -- '
        'need "headername: headervalue"',
    ]
    assert content(records)[1:7] == [b"X-A: 1", b"X-B: 2", b"X-C: 3", b"X-D: 4", b"X-E: 5",
                                     b"X-F: 6"]


def test_lookup_failure_is_a_temporary_error(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)

    def broken(text: str) -> str | None:
        raise TableRetryError("down")

    box.service.checks = ContentChecks(header=broken)
    result, _ = box.send([b"Subject: x"])
    assert reply_text(result) == "451 4.3.0 Error: queue file write error"
    assert box.log_lines()[-1] == (f"warning: {result.queue_id}: header_checks map lookup "
                                   "problem -- message not accepted, try again later")
    assert box.files() == []


def test_pass_stops_further_checks(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"X-Pass": "PASS trusted", "Subject": "REJECT"})
    result, _ = box.send([b"X-Pass: 1", b"Subject: x"])
    assert result.ok
    assert box.log_lines()[0] == (f"{result.queue_id}: pass: header X-Pass: 1 {ORIGIN_TEXT}: "
                                  "trusted")


def test_mime_headers_use_mime_header_checks(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.service.checks = ContentChecks(
        header=lambda text: "REJECT header" if text.startswith("Content-Type") else None,
        mime_header=lambda text: "WARN mime" if text.startswith("Content-Type") else None)
    result, _ = box.send([b"Content-Type: text/plain"])
    assert result.ok
    assert box.log_lines()[0] == (f"{result.queue_id}: warning: header Content-Type: text/plain "
                                  f"{ORIGIN_TEXT}: mime")


def test_body_checks_size_limit(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"bad": "REJECT"}, body_checks_size_limit="20")
    result, _ = box.send([b"Subject: x", b"", b"0123456789", b"0123456789", b"bad"])
    assert result.ok  # "bad" starts at body offset 23 (each line counts len + 1)
    result, _ = box.send([b"Subject: x", b"", b"0123456789", b"bad"])
    assert result.status == CLEANUP_STAT_CONT


def test_body_prepend_and_multiline_header_text(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"tag": "PREPEND X-Tag: yes", "mark": "PREPEND >>"})
    result, records = box.send([b"Subject: tag", b"\tcontinued", b"", b"mark"])
    assert content(records)[1:4] == [b"X-Tag: yes", b"Subject: tag", b"\tcontinued"]
    assert content(records)[-2:] == [b">>", b"mark"]
    assert box.log_lines()[0] == (f"{result.queue_id}: prepend: header Subject: tag\n\tcontinued "
                                  f"{ORIGIN_TEXT}: X-Tag: yes".replace("\n", "?").replace("\t", "?"))


def test_reject_and_strip_characters(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"message_reject_characters": "\\0", "message_strip_characters": "#"})
    result, records = box.send([b"Subject: a#b", b"", b"c#d"])
    assert content(records)[1] == b"Subject: ab" and content(records)[-1] == b"cd"
    result, _ = box.send([b"Subject: x", b"", b"nul\0here"])
    assert reply_text(result) == "550 5.7.1 disallowed character"
    assert box.log_lines()[-1] == (f"{result.queue_id}: reject: content nul?here {ORIGIN_TEXT}: "
                                   "5.7.1 disallowed character")


def test_bounce_flag_keeps_reading_after_a_content_reject(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"Subject": "REJECT"})
    result, _ = box.send([b"Subject: x", b"Message-ID: <later@x>"],
                         flags=CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_FILTER)
    assert result.status == CLEANUP_STAT_CONT
    assert f"{result.queue_id}: message-id=<later@x>" in box.log_lines()
    box = box_with(tmp_path / "smtpd", {"Subject": "REJECT"})
    result, _ = box.send([b"Subject: x", b"Message-ID: <later@x>"])
    assert f"{result.queue_id}: message-id=<later@x>" not in box.log_lines()


def test_act_log_without_client_and_with_internal_addresses(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"Subject": "WARN"}, info_log_address_format="internal")
    result, _ = box.send([b"Subject: x"], sender="a b@example.org", origin=Origin())
    assert box.log_lines()[0] == (f"{result.queue_id}: warning: header Subject: x from unknown; "
                                  "from=<a b@example.org> to=<rcpt@example.com>")
    box = box_with(tmp_path / "ext", {"Subject": "WARN"})
    result, _ = box.send([b"Subject: x"], sender="a b@example.org", origin=Origin())
    assert box.log_lines()[0] == (f"{result.queue_id}: warning: header Subject: x from unknown; "
                                  'from=<"a b"@example.org> to=<rcpt@example.com>')


def test_hold_once_and_not_after_discard(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"X-H": "HOLD", "X-D": "DISCARD"})
    result, records = box.send([b"X-H: 1", b"X-H: 2"])
    assert result.queue == "hold"
    assert [line for line in box.log_lines() if ": hold: " in line] == [
        f"{result.queue_id}: hold: header X-H: 1 {ORIGIN_TEXT}"]
    result, records = box.send([b"X-D: 1", b"X-H: 2"])
    assert result.ok and result.discarded and records == []


def test_dsn_prepend() -> None:
    assert dsn_prepend("5.7.1", "text") == "5.7.1 text"
    assert dsn_prepend("5.7.1", " 4.2.0  text") == "4.2.0 text"
    assert dsn_prepend("5.7.1", "4.2.0text") == "5.7.1 4.2.0text"
    assert dsn_prepend("5.7.1", "5.1234.0 text") == "5.7.1 5.1234.0 text"


def test_bounce_result_flag(tmp_path: Path) -> None:
    box = box_with(tmp_path, {"Subject": "REJECT"})
    result, _ = box.send([b"Subject: x"], flags=CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_FILTER)
    assert result.bounce and not result.ok
    result, _ = box.send([b"Subject: x"])
    assert not result.bounce
    result, _ = box.send([b"Subject: y"], rcpts=(), flags=CLEANUP_FLAG_BOUNCE)
    assert not result.bounce  # no recipients: nothing to bounce to
