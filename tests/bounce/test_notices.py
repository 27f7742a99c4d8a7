"""The structure of each kind of notice, parsed with Python's email package."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

from pyfix.bounce.logfile import LogEntry, append_log
from pyfix.delivery.dsn import (
    DSN_NOTIFY_DELAY,
    DSN_NOTIFY_FAILURE,
    DSN_NOTIFY_NEVER,
    DSN_NOTIFY_SUCCESS,
    DSN_RET_HDRS,
    Dsn,
)
from pyfix.delivery.request import FLAG_RECORD
from pyfix.queue.reader import QueueFile
from pyfix.queue.records import REC_TYPE_DONE
from tests.bounce.helpers import BODY, Notice, Rcpt, Sandbox

ALL_CLASSES = "bounce, 2bounce, delay, resource, software"
UNKNOWN = Dsn("5.1.1", "failed", "User unknown")
REMOTE = Dsn("5.1.1", "failed", "host mx.remote.example[192.0.2.9] said: 550 5.1.1 "
             "<rcpt@remote.example>: Recipient address rejected: User unknown in virtual "
             "mailbox table (in reply to RCPT TO command)",
             "smtp", "550 5.1.1 <rcpt@remote.example>: Recipient address rejected: "
             "User unknown in virtual mailbox table", "dns", "mx.remote.example")
LATER = Dsn("4.4.1", "delayed", "connect to mx.remote.example[192.0.2.9]:25: Connection refused")


def fields(part: EmailMessage) -> list[list[tuple[str, str]]]:
    """The field groups of a message/delivery-status part."""
    payload = part.get_payload()
    assert isinstance(payload, list)
    return [[(name, str(value)) for name, value in group.items()] for group in payload]


def check_report(notice: Notice, subject: str, to: str, original_type: str) -> None:
    msg = notice.message
    assert notice.sender == ""
    assert msg["From"] == "Mail Delivery System <MAILER-DAEMON@mail.example.com>"
    assert msg["Subject"] == subject
    assert msg["To"] == to
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-Id"] and msg["Date"]
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    types = [part.get_content_type() for part in notice.parts]
    assert types == ["text/plain", "message/delivery-status", original_type]
    assert notice.parts[0]["Content-Description"] == "Notification"
    assert notice.parts[1]["Content-Description"] == "Delivery report"


def test_failure_notice_fields(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit("sender@client.example", [
        Rcpt("rcpt@remote.example", DSN_NOTIFY_FAILURE, "rfc822;orig@remote.example"),
        Rcpt("alias-member@remote.example", orig="alias@remote.example")],
        envid="ENV-1")
    box.log("bounce", message, REMOTE, 0)
    member = message.recipients[1]  # an entry without DSN ORCPT: orig_to is shown
    append_log(box.layout, "bounce", message.queue_id,
               LogEntry(member.address, member.orig_address, member.offset, dsn=UNKNOWN))
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices(exclude=message)
    assert notice.recipients == ["sender@client.example"]
    check_report(notice, "Undelivered Mail Returned to Sender", "sender@client.example",
                 "message/rfc822")
    text = notice.parts[0].get_content()
    assert text.startswith("This is the mail system at host mail.example.com.\n")
    assert ("<alias-member@remote.example> (expanded from <alias@remote.example>): "
            "User\n    unknown\n") in text
    # Long reasons wrap at 79 columns with a 4-space indent.
    assert "<rcpt@remote.example>: host mx.remote.example[192.0.2.9] said: 550 5.1.1\n    " \
        in text
    assert all(len(line) <= 79 for line in text.splitlines())
    per_message, first, second = fields(notice.parts[1])
    assert per_message[:3] == [("Reporting-MTA", "dns; mail.example.com"),
                               ("Original-Envelope-Id", "ENV-1"),
                               ("X-Postfix-Queue-ID", message.queue_id)]
    assert ("X-Postfix-Sender", "rfc822; sender@client.example") in per_message
    assert [name for name, _ in per_message][-1] == "Arrival-Date"
    assert dict(first)["Final-Recipient"] == "rfc822; rcpt@remote.example"
    assert dict(first)["Original-Recipient"] == "rfc822;orig@remote.example"
    assert dict(first)["Action"] == "failed" and dict(first)["Status"] == "5.1.1"
    assert dict(first)["Remote-MTA"] == "dns; mx.remote.example"
    assert dict(first)["Diagnostic-Code"].startswith("smtp; 550 5.1.1 <rcpt@remote.example>")
    assert dict(second)["Original-Recipient"] == "rfc822; alias@remote.example"
    assert dict(second)["Diagnostic-Code"] == "X-Postfix; User unknown"
    returned = notice.parts[2].get_content()
    assert returned["Return-Path"] == "<sender@client.example>"
    assert returned["Subject"] == "test message"
    assert returned.get_content() == "Hello.\nSecond line.\n"
    # The bounce log is gone; the log line names the notice.
    assert not os.path.exists(box.layout.path("bounce", message.queue_id))
    assert (f"{message.queue_id}: sender non-delivery notification: {notice.queue_id}"
            in box.log_lines())


def test_ret_hdrs_returns_headers_only(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit(ret=DSN_RET_HDRS)
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices(exclude=message)
    check_report(notice, "Undelivered Mail Returned to Sender", "sender@client.example",
                 "text/rfc822-headers")
    assert notice.parts[2]["Content-Description"] == "Undelivered Message Headers"
    headers = notice.parts[2].get_content()
    assert "Subject: test message" in headers and "Hello." not in headers


def test_bounce_size_limit(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"bounce_size_limit": "1000"})
    message = box.submit(body=[*BODY[:3], b"Subject: big", b"", *[b"y" * 80] * 20])
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices(exclude=message)
    assert notice.parts[2].get_content_type() == "text/rfc822-headers"
    assert b"y" * 80 not in notice.raw
    small = box.submit(body=[*BODY[:3], b"Subject: small", b"", b"z" * 80])
    box.log("bounce", small, UNKNOWN)
    assert box.bounce().bounce_flush(small)
    [second] = [n for n in box.notices(exclude=small) if n.queue_id != notice.queue_id
                and n.queue_id != message.queue_id]
    assert second.parts[2].get_content_type() == "message/rfc822"


def test_notify_never_and_success_only_get_no_failure_notice(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit(rcpts=[Rcpt("a@remote.example", DSN_NOTIFY_NEVER),
                                Rcpt("b@remote.example", DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY)])
    box.log("bounce", message, UNKNOWN, 0)
    box.log("bounce", message, UNKNOWN, 1)
    assert box.bounce().bounce_flush(message)
    assert box.notices(exclude=message) == []
    assert not os.path.exists(box.layout.path("bounce", message.queue_id))
    assert not any("notification" in line for line in box.log_lines())


def test_postmaster_copy_reports_every_recipient(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"notify_classes": "bounce", "bounce_notice_recipient": "hostmaster"})
    message = box.submit(rcpts=[Rcpt("a@remote.example", DSN_NOTIFY_NEVER),
                                Rcpt("b@remote.example", DSN_NOTIFY_FAILURE)])
    box.log("bounce", message, UNKNOWN, 0)
    box.log("bounce", message, UNKNOWN, 1)
    assert box.bounce().bounce_flush(message)
    notices = {n.recipients[0]: n for n in box.notices(exclude=message)}
    sender_notice = notices["sender@client.example"]
    assert "<a@remote.example>" not in sender_notice.parts[0].get_content()
    copy = notices["hostmaster@mail.example.com"]
    assert copy.sender == "double-bounce@mail.example.com"
    assert copy.message["Subject"] == "Postmaster Copy: Undelivered Mail"
    assert copy.message["Auto-Submitted"] == "auto-generated"
    text = copy.parts[0].get_content()
    assert "This is the mail system" not in text
    assert "<a@remote.example>: User unknown" in text and "<b@remote.example>" in text
    assert copy.parts[2].get_content_type() == "text/rfc822-headers"
    assert any(line.startswith(f"{message.queue_id}: postmaster non-delivery notification: ")
               for line in box.log_lines())


def test_bounce_of_a_bounce(tmp_path: Path) -> None:
    # notify_classes without bounce/2bounce: dropped silently.
    box = Sandbox(tmp_path)
    message = box.submit(sender="")
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    assert box.notices(exclude=message) == []
    assert not os.path.exists(box.layout.path("bounce", message.queue_id))
    # A failed postmaster notice is never reported.
    pm_notice = box.submit(sender="double-bounce@mail.example.com")
    box.log("bounce", pm_notice, UNKNOWN)
    assert box.bounce().bounce_flush(pm_notice)
    assert box.notices(exclude=pm_notice) == [] or all(
        n.queue_id == message.queue_id for n in box.notices(exclude=pm_notice))
    assert (f"warning: {pm_notice.queue_id}: undeliverable postmaster notification discarded"
            in box.log_lines())


def test_bounce_of_a_bounce_to_2bounce_recipient(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"notify_classes": "2bounce", "2bounce_notice_recipient": "abuse"})
    message = box.submit(sender="")
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices(exclude=message)
    assert notice.sender == "double-bounce@mail.example.com"
    assert notice.recipients == ["abuse@mail.example.com"]
    assert notice.message["Subject"] == "Postmaster Copy: Undelivered Mail"
    assert notice.parts[2].get_content_type() == "message/rfc822"
    per_message = dict(fields(notice.parts[1])[0])
    assert per_message["X-Postfix-Sender"] == "rfc822; MAILER-DAEMON@mail.example.com"


def test_delay_warning(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"delay_warning_time": "4h", "maximal_queue_lifetime": "3d"})
    message = box.submit(rcpts=[Rcpt("a@remote.example", DSN_NOTIFY_DELAY),
                                Rcpt("b@remote.example", DSN_NOTIFY_FAILURE),
                                Rcpt("c@remote.example")])
    for index in range(3):
        box.log("defer", message, LATER, index)
    assert box.bounce().delay_warning(message)
    [notice] = box.notices(exclude=message)
    check_report(notice, "Delayed Mail (still being retried)", "sender@client.example",
                 "text/rfc822-headers")
    text = notice.parts[0].get_content()
    assert "Your message could not be delivered for more than 4 hour(s)." in text
    assert "It will be retried until it is 3 day(s) old." in text
    assert "<a@remote.example>" in text and "<c@remote.example>" in text
    assert "<b@remote.example>" not in text
    groups = fields(notice.parts[1])[1:]
    assert [dict(g)["Action"] for g in groups] == ["delayed", "delayed"]
    assert all("Will-Retry-Until" in dict(g) for g in groups)
    assert notice.parts[2]["Content-Description"] == "Undelivered Message Headers"
    assert os.path.exists(box.layout.path("defer", message.queue_id))  # kept for mailq
    assert (f"{message.queue_id}: sender delay notification: {notice.queue_id}"
            in box.log_lines())


def test_defer_flush_fails_and_marks_recipients(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit(rcpts=[Rcpt("a@remote.example"), Rcpt("b@remote.example")])
    box.log("defer", message, LATER, 0)
    box.log("defer", message, LATER, 1)
    assert box.bounce().defer_flush(message)
    [notice] = box.notices(exclude=message)
    check_report(notice, "Undelivered Mail Returned to Sender", "sender@client.example",
                 "message/rfc822")
    groups = fields(notice.parts[1])[1:]
    assert [(dict(g)["Action"], dict(g)["Status"]) for g in groups] == [("failed", "4.4.1")] * 2
    assert not os.path.exists(box.layout.path("defer", message.queue_id))
    with QueueFile.open_path(message.path, writable=False) as queue_file:
        assert all(r.status == REC_TYPE_DONE for r in queue_file.read_envelope().recipients)


def test_success_notice(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit(rcpts=[Rcpt("a@remote.example", DSN_NOTIFY_SUCCESS)])
    box.log("trace", message, Dsn.sent("delivered to mailbox"))
    assert box.bounce().trace_flush(message)
    [notice] = box.notices(exclude=message)
    check_report(notice, "Successful Mail Delivery Report", "sender@client.example",
                 "text/rfc822-headers")
    assert "<a@remote.example>: delivered to mailbox" in notice.parts[0].get_content()
    group = dict(fields(notice.parts[1])[1])
    assert (group["Action"], group["Status"]) == ("delivered", "2.0.0")
    assert notice.parts[2]["Content-Description"] == "Message Headers"
    assert not os.path.exists(box.layout.path("trace", message.queue_id))
    assert (f"{message.queue_id}: sender delivery status notification: {notice.queue_id}"
            in box.log_lines())


def test_verify_report_for_sendmail_v(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit()
    box.log("trace", message, Dsn.sent("delivered to mailbox"))
    assert box.bounce().trace_flush(message, FLAG_RECORD)
    [notice] = box.notices(exclude=message)
    assert notice.message["Subject"] == "Mail Delivery Status Report"
    assert "Enclosed is the mail delivery report that you requested." in \
        notice.parts[0].get_content()


def test_success_notice_for_a_bounce(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit(sender="", rcpts=[Rcpt("a@remote.example", DSN_NOTIFY_SUCCESS)])
    box.log("trace", message, Dsn.sent("delivered to mailbox"))
    assert box.bounce().trace_flush(message)
    assert box.notices(exclude=message) == []
    assert (f"{message.queue_id}: not sending trace/success notification for "
            "single-bounce message") in box.log_lines()


def test_7bit_without_smtputf8(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"smtputf8_enable": "no"})
    message = box.submit()
    box.log("bounce", message, UNKNOWN)
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices(exclude=message)
    assert "Content-Transfer-Encoding" not in notice.message
    assert notice.parts[0].get_content_charset() == "us-ascii"
    assert all("Content-Transfer-Encoding" not in part for part in notice.parts)


def test_missing_original(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit()
    box.log("bounce", message, UNKNOWN)
    os.unlink(message.path)
    assert box.bounce().bounce_flush(message)
    [notice] = box.notices()
    assert b"\t--- Undelivered message unavailable ---" in notice.raw


def test_cleanup_failure_keeps_the_log(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    message = box.submit()
    box.log("bounce", message, UNKNOWN)
    service = box.bounce()
    incoming = Path(box.layout.path("incoming", "x")).parent
    incoming.chmod(0o500)
    try:
        if os.geteuid() == 0:  # root ignores the mode: take the directory away
            incoming.chmod(0o700)
            incoming.rename(incoming.with_name("gone"))
        assert service.bounce_flush(message) is False
    finally:
        if incoming.with_name("gone").exists():
            incoming.with_name("gone").rename(incoming)
        incoming.chmod(0o700)
    assert os.path.exists(box.layout.path("bounce", message.queue_id))
