"""The sans-I/O SMTP/LMTP client core: fed whole, byte by byte, with trailing data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pyfix.smtp.client import (
    GREETING,
    NEED_DATA,
    ConnectionClosed,
    Data,
    Ehlo,
    EndOfData,
    Helo,
    Lhlo,
    LocalProtocolError,
    MailFrom,
    Message,
    Quit,
    RcptTo,
    Response,
    SmtpClient,
)
from pyfix.smtp.client_reply import ServerReply, parse_ehlo
from pyfix.smtp.client_xfer import Transaction, mail_params, rcpt_params, xtext

Feeder = Callable[[SmtpClient, bytes], list[Response]]


def events(client: SmtpClient) -> list[Response]:
    out: list[Response] = []
    while True:
        event = client.next_event()
        if event is NEED_DATA:
            return out
        assert isinstance(event, Response)
        out.append(event)


def whole(client: SmtpClient, data: bytes) -> list[Response]:
    client.receive_data(data)
    return events(client)


def bytewise(client: SmtpClient, data: bytes) -> list[Response]:
    out: list[Response] = []
    for i in range(len(data)):
        client.receive_data(data[i:i + 1])
        out.extend(events(client))
    return out


FEEDERS = [pytest.param(whole, id="whole"), pytest.param(bytewise, id="bytewise")]
EHLO_REPLY = (b"250-mx.example.net hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n"
              b"250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n")


@pytest.mark.parametrize("feed", FEEDERS)
def test_session_with_pipelining(feed: Feeder) -> None:
    client = SmtpClient()
    [greeting] = feed(client, b"220 mx.example.net ESMTP\r\n")
    assert greeting.command is GREETING and greeting.reply.code == 220
    assert client.send(Ehlo("mail.example.com")) == b"EHLO mail.example.com\r\n"
    [ehlo] = feed(client, EHLO_REPLY)
    features = parse_ehlo(ehlo.reply)
    assert (features.helo_name, features.pipelining, features.size_limit) == (
        "mx.example.net", True, 1000)
    assert features.eightbitmime and features.dsn and features.smtputf8
    batch = client.send_all([MailFrom("a@example.com", ("SIZE=10",)), RcptTo("b@example.net"),
                             Data()])
    assert batch == (b"MAIL FROM:<a@example.com> SIZE=10\r\nRCPT TO:<b@example.net>\r\n"
                     b"DATA\r\n")
    replies = feed(client, b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
    assert [type(r.command) for r in replies] == [MailFrom, RcptTo, Data]
    assert [r.reply.dsn for r in replies] == ["2.1.0", "2.1.5", "5.5.0"]
    body = client.send(Message((b"Subject: x", b"", b".hidden", b"."), 0))
    assert body == b"Subject: x\r\n\r\n..hidden\r\n..\r\n"
    assert client.send(EndOfData()) == b".\r\n"
    [done] = feed(client, b"250 2.0.0 Ok: queued as 4F00\r\n")
    assert done.reply.one_line() == "250 2.0.0 Ok: queued as 4F00"
    assert client.send(Quit()) == b"QUIT\r\n"


@pytest.mark.parametrize("feed", FEEDERS)
def test_multiline_and_garbage_replies(feed: Feeder) -> None:
    client = SmtpClient()
    feed(client, b"220 hi\r\n")
    client.send(Ehlo("me"))
    [reply] = feed(client, b"250-first\r\nnot a reply line\r\n250 last\r\n")
    assert reply.reply.text == "250-first\nnot a reply line\n250 last"
    assert reply.reply.garbage and reply.reply.one_line() == "250-first not a reply line 250 last"
    client.send(MailFrom("a@b"))
    [mail] = feed(client, b"550 5.7.1 bad\x01 sender\r\n")
    assert (mail.reply.code, mail.reply.dsn, mail.reply.text) == (550, "5.7.1",
                                                                  "550 5.7.1 bad? sender")


def test_trailing_data_waits_for_its_command() -> None:
    client = SmtpClient()
    client.receive_data(b"220 hi\r\n250 early\r\n")
    [greeting] = events(client)
    assert greeting.reply.code == 220
    assert client.next_event() is NEED_DATA  # nothing awaits a reply yet
    client.send(Helo("me"))
    [helo] = events(client)
    assert helo.reply.text == "250 early"


def test_status_out_of_step_with_code() -> None:
    assert ServerReply.from_lines(["450 5.1.1 mixed"]).dsn == "4.0.0"
    assert ServerReply.from_lines(["250 ok"]).dsn == "2.0.0"
    assert ServerReply.from_lines(["354 go"]).dsn == "5.5.0"
    assert ServerReply.from_lines(["garbage"]).code == 0


def test_connection_closed_names_the_waiting_command() -> None:
    client = SmtpClient()
    client.receive_data(b"220 hi\r\n")
    events(client)
    client.send(Ehlo("me"))
    client.receive_data(b"250-partial\r\n")
    assert client.next_event() is NEED_DATA
    client.receive_data(b"")
    event = client.next_event()
    assert isinstance(event, ConnectionClosed) and isinstance(event.command, Ehlo)


def test_illegal_commands_raise() -> None:
    client = SmtpClient()
    with pytest.raises(LocalProtocolError):
        client.send(MailFrom("a@b"))  # before the greeting
    client.receive_data(b"220 hi\r\n")
    events(client)
    client.send(Ehlo("me"))
    client.receive_data(b"250 ok\r\n")
    events(client)
    with pytest.raises(LocalProtocolError):
        client.send(Data())  # no MAIL
    client.send_all([MailFrom("a@b"), RcptTo("c@d"), Data()])
    with pytest.raises(LocalProtocolError):
        client.send(EndOfData())  # DATA not answered yet


def test_long_lines_are_broken() -> None:
    encoded = Message((b"x" * 10,), 4).encode()
    assert encoded == b"xxxx\r\n xxx\r\n xxx\r\n"


def test_lmtp_end_of_data_has_one_reply_per_recipient() -> None:
    xfer = Transaction("a@b", (), [("r1@x", ()), ("r2@x", ()), ("r3@x", ())], lmtp=True,
                       pipelining=True)
    client = SmtpClient(lmtp=True)
    client.receive_data(b"220 lmtp\r\n")
    events(client)
    client.send(Lhlo("me"))
    client.receive_data(b"250 ok\r\n")
    events(client)
    client.send_all(xfer.start())
    client.receive_data(b"250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n")
    for response in events(client):
        assert xfer.on_response(response) == []
    assert xfer.need_content and xfer.accepted == [0, 2]
    client.send(Message((b"hi",)))
    client.send(xfer.end_of_data())
    client.receive_data(b"250 2.0.0 r1 saved\r\n452 4.2.2 r3 over quota\r\n")
    for response in events(client):
        xfer.on_response(response)
    assert xfer.finished
    assert {i: (o.ok, o.reply.code, o.request) for i, o in xfer.results.items()} == {
        0: (True, 250, "end of DATA command"), 1: (False, 550, "RCPT TO command"),
        2: (False, 452, "end of DATA command")}


def test_transaction_without_pipelining_stops_after_mail_reject() -> None:
    xfer = Transaction("a@b", (), [("r1@x", ()), ("r2@x", ())])
    [mail] = xfer.start()
    assert isinstance(mail, MailFrom)
    reply = ServerReply.from_lines(["553 5.7.1 sender rejected"])
    assert xfer.on_response(Response(mail, reply)) == []
    assert xfer.finished and xfer.mail_rejected
    assert {o.request for o in xfer.results.values()} == {"MAIL FROM command"}


def test_transaction_steps_without_pipelining() -> None:
    xfer = Transaction("a@b", (), [("r1@x", ()), ("r2@x", ())])
    ok = ServerReply.from_lines(["250 ok"])
    [mail] = xfer.start()
    [rcpt1] = xfer.on_response(Response(mail, ok))
    [rcpt2] = xfer.on_response(Response(rcpt1, ServerReply.from_lines(["450 4.2.0 later"])))
    [data] = xfer.on_response(Response(rcpt2, ok))
    assert isinstance(data, Data)
    assert xfer.on_response(Response(data, ServerReply.from_lines(["554 5.5.1 no"]))) == []
    assert xfer.finished
    assert {i: o.request for i, o in xfer.results.items()} == {
        0: "RCPT TO command", 1: "DATA command"}


def test_esmtp_parameters() -> None:
    features = parse_ehlo(ServerReply.from_lines(
        ["250-x", "250-SIZE", "250-8BITMIME", "250 DSN"]))
    assert mail_params(features, 123, "8bit", "id+1", 2, True) == (
        "SIZE=123", "BODY=8BITMIME", "ENVID=id+2B1", "RET=HDRS")
    assert rcpt_params(features, "", "orig@x", 2 | 4, False) == (
        "ORCPT=rfc822;orig@x", "NOTIFY=SUCCESS,FAILURE")
    assert rcpt_params(parse_ehlo(ServerReply.from_lines(["250 x"])), "", "o@x", 2, False) == ()
    assert xtext("a b=c", "=") == "a+20b+3Dc"
    hidden = parse_ehlo(ServerReply.from_lines(["250-x", "250 PIPELINING"]),
                        frozenset({"PIPELINING"}))
    assert not hidden.pipelining
    bad = parse_ehlo(ServerReply.from_lines(["250-x", "250 SIZE big"]), namaddrport="h[a]:25")
    assert bad.warnings == ['bad EHLO SIZE limit "big" from h[a]:25']


def test_verify_probe_stops_after_rcpt_with_pipelining() -> None:
    xfer = Transaction("", (), [("r1@x", ()), ("r2@x", ())], pipelining=True,
                       verify_only=True)
    commands = xfer.start()
    assert [type(c) for c in commands] == [MailFrom, RcptTo, RcptTo]  # no DATA
    ok = ServerReply.from_lines(["250 2.1.5 Ok"])
    no = ServerReply.from_lines(["550 5.1.1 no such user"])
    assert xfer.on_response(Response(commands[0], ok)) == []
    assert xfer.on_response(Response(commands[1], ok)) == []
    assert not xfer.finished
    assert xfer.on_response(Response(commands[2], no)) == []
    assert xfer.finished and not xfer.need_content
    assert {i: (o.ok, o.reply.code, o.request) for i, o in xfer.results.items()} == {
        0: (True, 250, "RCPT TO command"), 1: (False, 550, "RCPT TO command")}


def test_verify_probe_without_pipelining() -> None:
    xfer = Transaction("", (), [("r1@x", ())], verify_only=True)
    ok = ServerReply.from_lines(["250 ok"])
    [mail] = xfer.start()
    [rcpt] = xfer.on_response(Response(mail, ok))
    assert xfer.on_response(Response(rcpt, ok)) == []
    assert xfer.finished and xfer.results[0].ok


def test_verify_probe_with_mail_rejected_under_pipelining_ends() -> None:
    xfer = Transaction("", (), [("r1@x", ())], pipelining=True, verify_only=True)
    mail, rcpt = xfer.start()
    assert xfer.on_response(Response(mail, ServerReply.from_lines(["553 no"]))) == []
    assert xfer.on_response(Response(rcpt, ServerReply.from_lines(["503 need MAIL"]))) == []
    assert xfer.finished
    assert xfer.results[0].request == "MAIL FROM command"
