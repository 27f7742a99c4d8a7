"""DSN (RFC 3461/3464) end to end: smtplib -> smtpd -> qmgr -> agents -> notices.

The client asks for RET=HDRS and ENVID, and per recipient NOTIFY and
ORCPT.  One recipient is delivered (discard), others bounce (error
transport); the notices go to a pipe(8) service that saves them, and
are parsed with the email package.

Postfix 3.7 behaviour checked (bounce(8), sent.c, bounce_notify_service.c):
- NOTIFY=SUCCESS gives a "Successful Mail Delivery Report" with
  Action: delivered for the delivered recipient only;
- NOTIFY=FAILURE gives "Undelivered Mail Returned to Sender" for the
  bounced recipient, and NOTIFY=NEVER recipients are left out of it;
- both are multipart/report; report-type=delivery-status with the
  text/plain explanation, message/delivery-status (Reporting-MTA,
  X-Postfix-Queue-ID, Original-Envelope-Id, Final-Recipient,
  Original-Recipient, Action, Status, Diagnostic-Code) and, for
  RET=HDRS, only the original headers as text/rfc822-headers;
- a message whose recipients all said NOTIFY=NEVER gets no notice.
"""

from __future__ import annotations

import email.message
import re

from tests.delivery_e2e.helpers import (
    AGENTS_CF,
    CATCHER,
    Make,
    caught,
    dsn_parts,
    pipe_service,
    scratch_dir,
    script,
    wait_queue_empty,
)
from tests.instance import Instance, wait_for

BODY = (b"Subject: dsn test\r\nFrom: owner@notice.test\r\nMessage-ID: <dsn@client.example>\r\n"
        b"\r\nThe body that RET=HDRS leaves out.\r\n")


def send_dsn(inst: Instance, rcpts: list[tuple[str, list[str]]]) -> str:
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.has_extn("dsn")
        code, reply = client.mail("owner@notice.test", ["RET=HDRS", "ENVID=abc"])
        assert code == 250, reply
        for rcpt, options in rcpts:
            code, reply = client.rcpt(rcpt, options)
            assert code == 250, reply
        code, reply = client.data(BODY)
        assert code == 250, reply
    match = re.search(rb"queued as (\w+)", reply)
    assert match
    return match.group(1).decode()


def parts(notice: email.message.Message,
          ) -> tuple[str, list[email.message.Message], str]:
    """dsn_parts(), with the original as text/rfc822-headers (RET=HDRS)."""
    text, status, original = dsn_parts(notice)
    assert original.get_content_type() == "text/rfc822-headers"
    headers = original.get_payload()
    assert isinstance(headers, str)
    return text, status, headers


def test_dsn_success_failure_and_never(pyfix_instance: Make) -> None:
    notices = scratch_dir("pyfix-e2e-dsn-")
    catch = script(notices, "catch.sh", CATCHER)
    inst = pyfix_instance(
        # smtpd would refuse bad.test's recipients at RCPT time (error transport).
        "smtpd_reject_unlisted_recipient = no\n"
        "transport_maps = inline:{ ok.test=discard:, notice.test=catcher:, "
        "{bad.test=error:5.1.1 no such user here} }\n",
        AGENTS_CF + pipe_service("catcher", f"{catch} {notices}"))
    want = ["NOTIFY=SUCCESS,FAILURE"]
    qid = send_dsn(inst, [("good@ok.test", [*want, "ORCPT=rfc822;x@y"]),
                          ("bad@bad.test", [*want, "ORCPT=rfc822;bad-orig@y"]),
                          ("quiet@bad.test", ["NOTIFY=NEVER"])])
    never = send_dsn(inst, [("a@bad.test", ["NOTIFY=NEVER"]), ("b@bad.test", ["NOTIFY=NEVER"])])
    inst.wait_log(f"{qid}: removed")
    inst.wait_log(f"{never}: removed")
    wait_queue_empty(inst)
    assert wait_for(lambda: len(caught(notices)) >= 2)
    log = inst.maillog()
    assert log.count(f"{qid}: sender non-delivery notification: ") == 1
    assert log.count(f"{qid}: sender delivery status notification: ") == 1
    assert f"{never}: sender non-delivery notification" not in log
    assert re.search(rf"{never}: to=<a@bad.test>, relay=none, .*dsn=5.1.1, "
                     r"status=bounced \(no such user here\)", log)

    got = {m["Subject"]: m for m in caught(notices)}
    assert sorted(got) == ["Successful Mail Delivery Report",
                           "Undelivered Mail Returned to Sender"], got
    for notice in got.values():
        assert notice["To"] == "owner@notice.test"
        assert notice["From"] == "Mail Delivery System <MAILER-DAEMON@mail.example.com>"

    # Failure: only bad@bad.test (quiet@bad.test said NOTIFY=NEVER).
    text, status, headers = parts(got["Undelivered Mail Returned to Sender"])
    assert "could not\nbe delivered to one or more recipients" in text
    assert "\n<bad@bad.test>: no such user here\n" in text, text
    assert "quiet@bad.test" not in text
    message_fields, *recipients = status
    assert message_fields["Reporting-MTA"] == "dns; mail.example.com"
    assert message_fields["X-Postfix-Queue-ID"] == qid
    assert message_fields["Original-Envelope-Id"] == "abc"
    assert [r["Final-Recipient"] for r in recipients] == ["rfc822; bad@bad.test"]
    assert recipients[0]["Original-Recipient"] == "rfc822;bad-orig@y"
    assert recipients[0]["Action"] == "failed"
    assert recipients[0]["Status"] == "5.1.1"
    assert recipients[0]["Diagnostic-Code"] == "X-Postfix; no such user here"
    # RET=HDRS: the original headers, not the body.
    assert "Message-ID: <dsn@client.example>" in headers
    assert "The body that RET=HDRS leaves out." not in got[
        "Undelivered Mail Returned to Sender"].as_string()

    # Success: only good@ok.test.
    text, status, headers = parts(got["Successful Mail Delivery Report"])
    assert "Your message was successfully delivered" in text
    assert "\n<good@ok.test>: ok.test\n" in text, text  # discard's reason: the next hop
    message_fields, *recipients = status
    assert message_fields["Original-Envelope-Id"] == "abc"
    assert [r["Final-Recipient"] for r in recipients] == ["rfc822; good@ok.test"]
    assert recipients[0]["Original-Recipient"] == "rfc822;x@y"
    assert recipients[0]["Action"] == "delivered"
    assert recipients[0]["Status"] == "2.0.0"
    assert "Subject: dsn test" in headers
