"""The fields of smtpd's reject lines, as Postfix 3.7 writes them.

A shell (or policy) that refuses a request logs the refusal with
server.log_reject(reply) while the request waits for its verdict; the
core fills in from= and to= as real Postfix does (observed live, see
tests/smtpd/test_reject_log_live.py and test_vrfy_live.py, where the
same rules are compared with Postfix itself):
- RCPT and VRFY: to= is the address being refused, not an earlier one;
- MAIL: from= is the refused sender;
- DATA, BDAT, END-OF-MESSAGE: to= only when exactly one RCPT was accepted;
- the protocol's own refusals (bare <LF>): to= is the first accepted one;
- the logged reply is the one sent (soft_bounce: 4xx).
"""

from __future__ import annotations

from pyfix.smtp.events import NEED_DATA, PAUSED, Accept, Closed, LogMessage, Request
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer
from tests.smtp.helpers import CLIENT, feed, server, settings

NAMADDR = "client.example[192.0.2.10]"
REFUSE = Reply(550, "5.1.1", "refused")


def converse(data: bytes, refuse: tuple[str, ...], queue_id: str | None = None,
             **changes: object) -> list[str]:
    """Feed data; refuse the requests whose type name is in refuse (logging
    the refusal as the smtpd shell does); return the reject lines."""
    srv = SmtpServer(settings(**changes), CLIENT)
    srv.receive_data(data)
    srv.receive_eof()
    lines: list[str] = []
    while (event := srv.next_event()) is not NEED_DATA and not isinstance(event, Closed):
        if isinstance(event, LogMessage) and ": reject: " in event.text:
            lines.append(event.text)
        elif isinstance(event, Request) and event is not PAUSED:
            name = type(event).__name__
            if name in refuse or str(getattr(event, "address", "")).startswith("bad"):
                srv.log_reject(REFUSE)
                srv.send(REFUSE)
                continue
            if name == "RcptTo" and queue_id:
                srv.session.mail.queue_id = queue_id  # as the shell, at the first recipient
            srv.send(Accept())
    return lines


def tail(stage: str, text: str, fields: str, queue_id: str = "NOQUEUE") -> str:
    return f"{queue_id}: reject: {stage} from {NAMADDR}: {text}; {fields}"


def test_rcpt_names_the_refused_recipient() -> None:
    lines = converse(b"EHLO c\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<bad@example.com>\r\n"
                     b"RCPT TO:<ok@example.com>\r\nRCPT TO:<bad2@example.com>\r\nQUIT\r\n",
                     (), queue_id="4F00D")
    assert lines == [
        tail("RCPT", "550 5.1.1 refused",
             "from=<s@example.org> to=<bad@example.com> proto=ESMTP helo=<c>"),
        tail("RCPT", "550 5.1.1 refused",
             "from=<s@example.org> to=<bad2@example.com> proto=ESMTP helo=<c>", "4F00D"),
    ]


def test_vrfy_outside_and_inside_a_transaction() -> None:
    lines = converse(b"VRFY bad\r\nHELO c\r\nMAIL FROM:<>\r\nVRFY bad2\r\nQUIT\r\n", ())
    assert lines == [
        tail("VRFY", "550 5.1.1 refused", "to=<bad> proto=SMTP"),
        tail("VRFY", "550 5.1.1 refused", "from=<> to=<bad2> proto=SMTP helo=<c>"),
    ]


def test_mail_names_the_refused_sender() -> None:
    lines = converse(b"EHLO c\r\nMAIL FROM:<bad@example.org>\r\nQUIT\r\n", ())
    assert lines == [tail("MAIL", "550 5.1.1 refused",
                          "from=<bad@example.org> proto=ESMTP helo=<c>")]


def test_data_names_the_recipient_only_when_there_is_one() -> None:
    one = converse(b"EHLO c\r\nMAIL FROM:<s@x.org>\r\nRCPT TO:<bad@x.org>\r\n"
                   b"RCPT TO:<u@x.org>\r\nDATA\r\nQUIT\r\n", ("Data",), queue_id="4F00D")
    assert one[-1] == tail("DATA", "550 5.1.1 refused",
                           "from=<s@x.org> to=<u@x.org> proto=ESMTP helo=<c>", "4F00D")
    two = converse(b"EHLO c\r\nMAIL FROM:<s@x.org>\r\nRCPT TO:<u@x.org>\r\n"
                   b"RCPT TO:<u@x.org>\r\nDATA\r\nQUIT\r\n", ("Data",), queue_id="4F00D")
    assert two == [tail("DATA", "550 5.1.1 refused", "from=<s@x.org> proto=ESMTP helo=<c>",
                        "4F00D")]


def test_bare_newline_names_the_first_accepted_recipient() -> None:
    lines = converse(b"EHLO c\r\nMAIL FROM:<s@x.org>\r\nRCPT TO:<u@x.org>\r\n"
                     b"RCPT TO:<bad@x.org>\r\nRCPT TO:<v@x.org>\r\nNOOP\n", (),
                     queue_id="4F00D", forbid_bare_newline="reject")
    assert lines[-1] == tail("RCPT", "bare <LF> received",
                             "from=<s@x.org> to=<u@x.org> proto=ESMTP helo=<c>", "4F00D")


def test_soft_bounce_is_logged_as_sent() -> None:
    lines = converse(b"EHLO c\r\nMAIL FROM:<s@x.org>\r\nRCPT TO:<bad@x.org>\r\nQUIT\r\n", (),
                     soft_bounce=True)
    assert lines == [tail("RCPT", "450 4.1.1 refused",
                          "from=<s@x.org> to=<bad@x.org> proto=ESMTP helo=<c>")]


def test_smtputf8_disabled_reply_text_is_printable_ascii() -> None:
    # Postfix 3.7, smtputf8_enable = no: "VRFY göst" -> "252 2.0.0 g  st"
    # (each byte of the UTF-8 ö becomes a space), in the reply and in the
    # reject line's copy of it.
    ascii_only = feed(server(smtputf8_enable=False), ["VRFY göst\r\nQUIT\r\n".encode()])
    assert b"252 2.0.0 g  st\r\n" in ascii_only.output
    utf8 = feed(server(), ["VRFY göst\r\nQUIT\r\n".encode()])
    assert "252 2.0.0 göst\r\n".encode() in utf8.output
    srv = server(smtputf8_enable=False)
    srv.log_reject(Reply(550, "5.1.1", "<bäd@x.org>: Recipient address rejected"))
    logged = feed(srv, [b"QUIT\r\n"]).log
    assert f"NOQUEUE: reject: CONNECT from {NAMADDR}: 550 5.1.1 <b  d@x.org>: Recipient " \
           "address rejected; proto=SMTP" in logged
