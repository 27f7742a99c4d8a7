"""The cleanup library behind pyfix's sans-I/O SMTP server core.

This is how pyfix/smtpd/session.py drives cleanup: the queue file is
opened at the first accepted recipient, recipients are added one by one,
content records are streamed, close() comes before the 250 reply, and
RSET/QUIT abort.  No sockets: the SmtpServer core gets its input here.
"""

from __future__ import annotations

from pathlib import Path

from pyfix.cleanup import CleanupResult, CleanupStream, Origin, SmtpClient
from pyfix.smtp import events as ev
from pyfix.smtp.server import SmtpServer
from tests.cleanup.helpers import SMTPD_FLAGS, Sandbox, content, named
from tests.smtp.helpers import CLIENT, SETTINGS

NOTIFY_BITS = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}


class Session:
    """The decisions that session.py makes, with the cleanup library."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.stream: CleanupStream | None = None
        self.mail: ev.MailFrom | None = None
        self.helo = ""
        self.queued: list[str] = []

    def decide(self, request: ev.Request) -> ev.Verdict:
        if isinstance(request, ev.Ehlo):
            self.helo = request.name
        elif isinstance(request, ev.MailFrom):
            self.abort()
            self.mail = request
        elif isinstance(request, ev.RcptTo):
            assert self.mail is not None
            if self.stream is None:
                params = self.mail.params
                client = SmtpClient(name=CLIENT.name, addr=CLIENT.addr, port=CLIENT.port,
                                    helo=self.helo, protocol="ESMTP")
                origin = Origin(rewrite_context="remote", log_ident=True, client=client,
                                dsn_envid=params.envid,
                                dsn_ret={"FULL": 1, "HDRS": 2}.get(params.ret or "", 0))
                self.stream = self.box.service.open(self.mail.address, SMTPD_FLAGS,
                                                    origin=origin)
            notify = sum(NOTIFY_BITS[word] for word in request.params.notify)
            orcpt = request.params.orcpt
            self.stream.add_recipient(
                request.address, None, notify,
                f"{orcpt[0]};{orcpt[1]}" if orcpt else f"rfc822;{request.address}")
        elif isinstance(request, ev.Data):
            assert self.stream is not None
            self.stream.write_line(b"Received: from " + self.helo.encode())
        elif isinstance(request, ev.EndOfData):
            assert self.stream is not None
            result = self.stream.close()
            self.stream = None
            if result.ok:
                self.queued.append(result.queue_id)
                return ev.Queued(result.queue_id)
            assert result.reply is not None
            return ev.NotQueued(result.reply)
        return ev.Accept()

    def abort(self) -> None:
        if self.stream is not None:
            self.stream.abort()
            self.stream = None

    def run(self, dialogue: bytes) -> bytes:
        srv = SmtpServer(SETTINGS, CLIENT)  # no policy: every request waits for a verdict
        srv.receive_data(dialogue)
        srv.receive_eof()
        output = b""
        while True:
            event = srv.next_event()
            if event is ev.NEED_DATA:
                break
            if isinstance(event, ev.Request):
                output += srv.send(self.decide(event))
            elif isinstance(event, ev.MessageData):
                assert self.stream is not None
                for record in event.records:
                    self.stream.write_line(record.data, record.kind == ev.REC_CONT)
            elif isinstance(event, ev.Rset | ev.Quit):
                self.abort()
            elif isinstance(event, ev.Closed):
                break
        self.abort()
        return output + srv.data_to_send()


def test_two_messages_one_reset(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    session = Session(box)
    output = session.run(
        b"EHLO helo.example\r\n"
        b"MAIL FROM:<a@example.org> RET=HDRS ENVID=e1\r\n"
        b"RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE\r\n"
        b"RCPT TO:<c@example.com>\r\n"
        b"DATA\r\n"
        b"Subject: one\r\n\r\n..dot\r\n" + b"x" * 3000 + b"\r\n.\r\n"
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nRSET\r\n"
        b"MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: two\r\n.\r\n"
        b"QUIT\r\n")
    replies = [line for line in output.split(b"\r\n") if line.startswith(b"250 2.0.0 Ok: q")]
    assert replies == [f"250 2.0.0 Ok: queued as {qid}".encode() for qid in session.queued]
    assert len(box.files()) == 2  # the reset transaction left nothing behind
    first = box.records(CleanupResult(session.queued[0], queue="incoming"))
    assert ("named_attribute", "envelope_id=e1") in named(first)
    assert ("named_attribute", "notify_flags=6") in named(first)
    lines = content(first)
    assert lines[:2] == [b"Received: from helo.example", b"Subject: one"]
    assert lines[-4:] == [b"", b".dot", b"x" * 2048, b"x" * 952]
    # Remote client, no remote_header_rewrite_domain: nothing added.
    assert not any(line.startswith(b"Message-Id:") for line in lines)


def test_cleanup_refusal_becomes_the_end_of_data_reply(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, {"hopcount_limit": "2"})
    session = Session(box)
    output = session.run(
        b"EHLO helo.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
        b"DATA\r\nReceived: elsewhere\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    assert b"554 5.4.0 Error: too many hops\r\n" in output
    assert box.files() == []
