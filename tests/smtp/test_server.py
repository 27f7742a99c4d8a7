"""The SMTP server core, fed whole, byte by byte, in halves and with
trailing data (h11 style); the replies and the message content must not
depend on how the input arrives."""

from __future__ import annotations

import pytest

from pyfix.smtp import replies
from pyfix.smtp.events import (
    NEED_DATA,
    PAUSED,
    Accept,
    Closed,
    Connect,
    Data,
    Ehlo,
    EndOfData,
    LogMessage,
    MailFrom,
    MessageData,
    Queued,
    RcptTo,
    Timeout,
)
from pyfix.smtp.policy import PermitPolicy
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import LocalProtocolError, SmtpServer
from pyfix.smtp.session import Session
from tests.smtp.helpers import CLIENT, FEEDS, feed, requests, server, settings

GREETING = b"220 mx.example.test ESMTP Postfix\r\n"
EHLO_REPLY = (
    b"250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
    b"250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
    b"250-SMTPUTF8\r\n250 CHUNKING\r\n"
)

SCENARIOS: dict[str, tuple[bytes, bytes, bytes]] = {
    "data": (
        b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
        b"Subject: hi\r\n\r\n..dot\r\nline\r\n.\r\nQUIT\r\n",
        GREETING + EHLO_REPLY + b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
        b"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000001\r\n"
        b"221 2.0.0 Bye\r\n",
        b"Subject: hi\r\n\r\n.dot\r\nline\r\n",
    ),
    "bdat": (
        b"EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
        b"BDAT 14\r\nSubject: hi\r\n\rBDAT 6 LAST\r\n\nbody\nQUIT\r\n",
        GREETING + EHLO_REPLY + b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: 14 bytes\r\n"
        b"250 2.0.0 Ok: 21 bytes queued as 0000000001\r\n221 2.0.0 Bye\r\n",
        b"Subject: hi\r\n\r\nbody\r\n",
    ),
    "errors": (
        b"FOO\r\nMAIL FROM:<a b@c>\r\nRCPT TO:<x@y>\r\nHELO\r\nNOOP\r\nQUIT\r\n",
        GREETING + b"500 5.5.2 Error: command not recognized\r\n"
        b"501 5.1.7 Bad sender address syntax\r\n503 5.5.1 Error: need MAIL command\r\n"
        b"501 Syntax: HELO hostname\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
        b"",
    ),
    "long_lines": (
        b"NOOP " + b"x" * 3000 + b"\r\nEHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\n"
        b"DATA\r\n" + b"y" * 2050 + b"\r\n.\r\n",
        GREETING + b"250 2.0.0 Ok\r\n" + EHLO_REPLY.replace(b"mx.example.test\r\n250-P", b"mx.example.test\r\n250-P")
        + b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
        b"250 2.0.0 Ok: queued as 0000000001\r\n",
        b"y" * 2048 + b"yy\r\n",
    ),
    "smuggling": (
        b"EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
        b"one\n.\nMAIL FROM:<evil@example.org>\r\n\r\n.\r\n",
        GREETING + EHLO_REPLY + b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
        b"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 0000000001\r\n",
        b"one\r\nMAIL FROM:<evil@example.org>\r\n\r\n",
    ),
}


@pytest.mark.parametrize("mode", sorted(FEEDS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario(name: str, mode: str) -> None:
    data, expected, content = SCENARIOS[name]
    run = feed(server(), FEEDS[mode](data))
    assert run.output == expected
    assert run.content == content
    assert isinstance(run.events[-1], Closed)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_with_trailing_data(name: str) -> None:
    data, expected, content = SCENARIOS[name]
    if data.endswith(b"QUIT\r\n"):
        trailing = b"NOOP\r\nNO"
        run = feed(server(), [data + trailing])
        assert run.output == expected  # input after QUIT is ignored
    else:
        run = feed(server(), [data + b"NOOP\r\nRSET"], eof=False)
        assert run.output == expected + b"250 2.0.0 Ok\r\n"
        assert not any(isinstance(e, Closed) for e in run.events)
    assert run.content == content


def test_content_arrives_before_end_of_message() -> None:
    srv = server()
    run = feed(
        srv,
        [b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n", b"first\r\nsec"],
        eof=False,
    )
    assert run.content == b"first\r\n"
    assert srv.has_buffered_input
    assert not any(isinstance(e, EndOfData) for e in run.events)


def test_pending_verdicts_without_policy() -> None:
    srv = SmtpServer(settings(), CLIENT)
    assert isinstance(srv.next_event(), LogMessage)  # connect from ...
    assert isinstance(srv.next_event(), Connect)
    assert srv.next_event() is PAUSED
    assert srv.send(Accept()) == GREETING
    srv.receive_data(b"EHLO c\r\nMAIL FROM:<a@example.org>\r\n")
    assert isinstance(srv.next_event(), LogMessage)  # improper pipelining (logged only)
    assert srv.next_event() == Ehlo("c")
    with pytest.raises(LocalProtocolError):
        srv.send(Queued("X"))
    assert srv.send(Accept()) == EHLO_REPLY
    event = srv.next_event()
    assert isinstance(event, MailFrom) and event.address == "a@example.org"
    assert srv.send(Reply(550, "5.7.1", "go away")) == b"550 5.7.1 go away\r\n"
    assert srv.next_event() is NEED_DATA
    assert srv.session.error_count == 1
    with pytest.raises(LocalProtocolError):
        srv.send(Accept())


def test_queue_verdict() -> None:
    srv = SmtpServer(settings(), CLIENT)
    srv.next_event()
    srv.next_event()
    srv.send(Accept())
    srv.receive_data(b"MAIL FROM:<>\r\nRCPT TO:<u@example.com>\r\nDATA\r\nx\r\n.\r\n")
    seen = []
    while (event := srv.next_event()) is not NEED_DATA:
        seen.append(type(event))
        if isinstance(event, (MailFrom, RcptTo, Data)):
            srv.send(Accept())
        elif isinstance(event, EndOfData):
            with pytest.raises(LocalProtocolError):
                srv.send(Accept())
            assert srv.send(Queued("4ABCDEF")) == b"250 2.0.0 Ok: queued as 4ABCDEF\r\n"
    assert MessageData in seen and EndOfData in seen


class RejectRcpt(PermitPolicy):
    def check_rcpt(self, session: Session, request: RcptTo) -> Reply | None:
        if request.address.startswith("bad"):
            return Reply(550, "5.1.1", f"<{request.address}>: Recipient address rejected")
        return None


def test_policy_rejections_count_and_no_valid_recipients() -> None:
    run = feed(
        server(RejectRcpt()),
        [b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<bad@example.com>\r\nDATA\r\nQUIT\r\n"],
    )
    assert run.output.endswith(
        b"550 5.1.1 <bad@example.com>: Recipient address rejected\r\n"
        b"554 5.5.1 Error: no valid recipients\r\n221 2.0.0 Bye\r\n"
    )
    assert run.log[-1] == (
        "disconnect from client.example[192.0.2.10] ehlo=1 mail=1 rcpt=0/1 data=0/1 quit=1 "
        "commands=3/5"
    )
    assert [type(r).__name__ for r in requests(run)] == [
        "Connect", "Ehlo", "MailFrom", "RcptTo",
    ]


def test_error_sleep_hint() -> None:
    srv = server(soft_error_limit=2, error_sleep_time=1.5, hard_error_limit=10)
    feed(srv, [b"FOO\r\nFOO\r\n"], eof=False)
    assert srv.reply_delay == 0.0
    srv.receive_data(b"FOO\r\nFOO\r\n")
    while srv.next_event() is not NEED_DATA:
        pass
    assert srv.data_to_send().count(b"500 5.5.2") == 2
    assert srv.reply_delay == 3.0


def test_timeout() -> None:
    srv = server()
    run = feed(srv, [b"EHLO c\r\nMAIL FROM:<>\r\n"], eof=False)
    out = srv.send(Timeout())
    assert out == b"421 4.4.2 mx.example.test Error: timeout exceeded\r\n"
    while not isinstance(closed := srv.next_event(), Closed):
        assert isinstance(closed, LogMessage)
    assert closed.reason == "timeout"
    assert run.output.startswith(GREETING)


def test_timeout_log_line() -> None:
    srv = server()
    feed(srv, [b"EHLO c\r\n"], eof=False)
    srv.send(Timeout())
    texts = []
    while not isinstance(event := srv.next_event(), Closed):
        texts.append(getattr(event, "text", ""))
    assert "timeout after EHLO from client.example[192.0.2.10]" in texts


def test_starttls_discards_pipelined_plaintext() -> None:
    from pyfix.smtp.ehlo import EhloFeatures

    srv = SmtpServer(settings(), CLIENT, policy=PermitPolicy(), features=EhloFeatures(starttls=True))
    run = feed(srv, [b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@example.org>\r\n"], eof=False)
    assert b"250-STARTTLS\r\n" in run.output
    assert run.output.endswith(b"220 2.0.0 Ready to start TLS\r\n")
    assert not srv.has_buffered_input
    assert srv.session.tls_active and srv.session.helo_name is None


def test_bare_newline_modes() -> None:
    message = b"EHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nx\n.\nQUIT\r\n"
    normalize = feed(server(), [message], eof=False)
    assert normalize.output.endswith(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    plain = feed(server(forbid_bare_newline="no"), [message])
    assert plain.output.endswith(b"250 2.0.0 Ok: queued as 0000000001\r\n221 2.0.0 Bye\r\n")
    excluded = SmtpServer(settings(), CLIENT, policy=PermitPolicy(), bare_newline_excluded=True)
    assert feed(excluded, [message]).output == plain.output
    reject = feed(server(forbid_bare_newline="reject"), [message + b".\r\nQUIT\r\n"])
    assert b"550 5.5.2 mx.example.test Error: bare <LF> received\r\n" in reject.output


def test_pipelining_forbidden() -> None:
    run = feed(server(forbid_unauth_pipelining=True), [b"EHLO c\r\nNOOP\r\n"])
    assert run.output == GREETING + replies.PIPELINING_SYNC.render()
    assert run.log[1] == (
        "improper command pipelining after EHLO from client.example[192.0.2.10]: NOOP\\r\\n"
    )


def test_input_before_greeting() -> None:
    srv = server(forbid_unauth_pipelining=True)
    srv.receive_data(b"EHLO c\r\n")
    run = feed(srv, [])
    assert run.output == replies.PIPELINING_SYNC.render()


def test_message_size_limit_reads_to_the_end() -> None:
    run = feed(
        server(message_size_limit=100),
        [b"MAIL FROM:<>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n" + b"x" * 200 + b"\r\n.\r\nQUIT\r\n"],
    )
    assert run.output.endswith(b"552 5.3.4 Error: message file too big\r\n221 2.0.0 Bye\r\n")
    assert run.content == b""
    assert "NOQUEUE: queue file size limit exceeded" in run.log


def test_receive_data_empty_means_eof() -> None:
    srv = server()
    feed(srv, [b"EHLO c\r\n"], eof=False)
    srv.receive_data(b"")
    events = []
    while not isinstance(event := srv.next_event(), Closed):
        events.append(event)
    assert event.reason == "lost connection"
    assert srv.next_event() is event
