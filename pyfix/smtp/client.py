"""NAME
    pyfix.smtp.client - the SMTP and LMTP client protocol, without I/O

SUMMARY
    SmtpClient, commands (Ehlo, Helo, Lhlo, MailFrom, RcptTo, Data,
    Message, EndOfData, Rset, Quit), events (Response, ConnectionClosed,
    NEED_DATA), LocalProtocolError

DESCRIPTION
    SmtpClient is the client half of an SMTP or LMTP session as a state
    machine (the h11 model): send(command) returns the bytes to write;
    receive_data(bytes) takes what the server sent (b"" for end of
    file); next_event() returns Response(command, reply) for the oldest
    command that awaits a reply, NEED_DATA, or ConnectionClosed when the
    server went away first.  The greeting is the reply to GREETING, the
    command that every session starts with.

    Replies are matched to commands in order, so the caller may send
    several commands before it reads their replies (PIPELINING, RFC
    2920), as Postfix does with MAIL, RCPT and DATA.  EndOfData(n)
    awaits n replies: one for SMTP, one per accepted recipient for LMTP
    (RFC 2033).  Message() encodes content lines as Postfix's
    smtp_text_out(): each line ends in CRLF, a leading "." is doubled,
    and with a line length limit (smtp_line_length_limit) a longer line
    is broken with CRLF SPACE.

    The rules of the session are the table TRANSITIONS, keyed by the
    client state and the command class; anything else raises
    LocalProtocolError.  A command that needs the server's answer first
    (EHLO, HELO, LHLO, DATA) moves to a waiting state that its reply
    resolves: 2xx to HELLO and 354 to content, anything else back.

    Parameters read: none (callers pass line_length_limit and
    smtp_line_length_limit).

DIAGNOSTICS
    LocalProtocolError for a command that the session state does not
    allow (a bug in the caller).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from pyfix.smtp.client_reply import ReplyReader, ServerReply
from pyfix.smtp.lines import InputBuffer


class LocalProtocolError(Exception):
    """The caller sent a command that the session state does not allow."""


# Commands -----------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    # "while ..." texts (Postfix's xfer_states) and "in reply to ..." texts
    where: ClassVar[str] = ""
    request: ClassVar[str] = ""

    def encode(self) -> bytes:
        raise NotImplementedError


@dataclass(frozen=True)
class Greeting(Command):
    where: ClassVar[str] = "receiving the initial server greeting"
    request: ClassVar[str] = "initial server greeting"

    def encode(self) -> bytes:
        return b""


GREETING = Greeting()


def _line(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape") + b"\r\n"


@dataclass(frozen=True)
class Ehlo(Command):
    name: str
    where: ClassVar[str] = "performing the EHLO handshake"
    request: ClassVar[str] = "EHLO command"

    def encode(self) -> bytes:
        return _line(f"EHLO {self.name}")


@dataclass(frozen=True)
class Helo(Command):
    name: str
    where: ClassVar[str] = "performing the HELO handshake"
    request: ClassVar[str] = "HELO command"

    def encode(self) -> bytes:
        return _line(f"HELO {self.name}")


@dataclass(frozen=True)
class Lhlo(Command):
    name: str
    where: ClassVar[str] = "performing the LHLO handshake"
    request: ClassVar[str] = "LHLO command"

    def encode(self) -> bytes:
        return _line(f"LHLO {self.name}")


@dataclass(frozen=True)
class MailFrom(Command):
    sender: str
    params: tuple[str, ...] = ()
    where: ClassVar[str] = "sending MAIL FROM"
    request: ClassVar[str] = "MAIL FROM command"

    def encode(self) -> bytes:
        return _line(" ".join([f"MAIL FROM:<{self.sender}>", *self.params]))


@dataclass(frozen=True)
class RcptTo(Command):
    address: str
    params: tuple[str, ...] = ()
    where: ClassVar[str] = "sending RCPT TO"
    request: ClassVar[str] = "RCPT TO command"

    def encode(self) -> bytes:
        return _line(" ".join([f"RCPT TO:<{self.address}>", *self.params]))


@dataclass(frozen=True)
class Data(Command):
    where: ClassVar[str] = "sending DATA command"
    request: ClassVar[str] = "DATA command"

    def encode(self) -> bytes:
        return b"DATA\r\n"


@dataclass(frozen=True)
class Message(Command):
    """Message content lines, without line ends; no reply is awaited."""

    lines: tuple[bytes, ...] = ()
    line_limit: int = 0  # smtp_line_length_limit; 0: no limit
    where: ClassVar[str] = "sending message body"

    def encode(self) -> bytes:
        out: list[bytes] = []
        limit = self.line_limit
        for line in self.lines:
            if line[:1] == b".":
                line = b"." + line
            while limit > 0 and len(line) > limit:
                out.append(line[:limit])
                line = b" " + line[limit:]
            out.append(line)
        out.append(b"")
        return b"\r\n".join(out)


@dataclass(frozen=True)
class EndOfData(Command):
    replies: int = 1  # LMTP: one per accepted recipient
    where: ClassVar[str] = "sending end of data -- message may be sent more than once"
    request: ClassVar[str] = "end of DATA command"

    def encode(self) -> bytes:
        return b".\r\n"


@dataclass(frozen=True)
class Rset(Command):
    where: ClassVar[str] = "sending final RSET"
    request: ClassVar[str] = "final RSET command"

    def encode(self) -> bytes:
        return b"RSET\r\n"


@dataclass(frozen=True)
class Quit(Command):
    where: ClassVar[str] = "sending QUIT"
    request: ClassVar[str] = "QUIT command"

    def encode(self) -> bytes:
        return b"QUIT\r\n"


# Events -------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    command: Command
    reply: ServerReply


@dataclass(frozen=True)
class ConnectionClosed:
    command: Command | None  # the command that was waiting for a reply


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = _NeedData()
Event = Response | ConnectionClosed | _NeedData

# States and rules ------------------------------------------------------------

GREETING_WAIT = "greeting"
HELLO = "hello"  # send EHLO/HELO/LHLO
HELLO_WAIT = "hello-wait"
READY = "ready"  # no transaction
MAIL = "mail"  # MAIL sent: RCPT, DATA or RSET
DATA_WAIT = "data-wait"
CONTENT = "content"
CLOSED = "closed"

TRANSITIONS: dict[str, dict[type[Command], str]] = {
    GREETING_WAIT: {Quit: CLOSED},
    HELLO: {Ehlo: HELLO_WAIT, Helo: HELLO_WAIT, Lhlo: HELLO_WAIT, Quit: CLOSED},
    HELLO_WAIT: {Quit: CLOSED},
    READY: {MailFrom: MAIL, Rset: READY, Quit: CLOSED},
    MAIL: {RcptTo: MAIL, Data: DATA_WAIT, Rset: READY, Quit: CLOSED},
    DATA_WAIT: {Rset: READY, Quit: CLOSED},
    CONTENT: {Message: CONTENT, EndOfData: READY},
    CLOSED: {},
}

# Reply-driven moves: (state, command class) -> (state on success, on failure)
REPLY_MOVES: dict[tuple[str, type[Command]], tuple[int, str, str]] = {
    (GREETING_WAIT, Greeting): (2, HELLO, HELLO),
    (HELLO_WAIT, Ehlo): (2, READY, HELLO),
    (HELLO_WAIT, Helo): (2, READY, HELLO),
    (HELLO_WAIT, Lhlo): (2, READY, HELLO),
    (DATA_WAIT, Data): (3, CONTENT, MAIL),
}


@dataclass
class SmtpClient:
    lmtp: bool = False
    line_limit: int = 2048  # line_length_limit, for replies
    state: str = GREETING_WAIT
    _buffer: InputBuffer = field(default_factory=InputBuffer)
    _pending: deque[Command] = field(default_factory=deque)
    _reader: ReplyReader | None = None

    def __post_init__(self) -> None:
        self._reader = ReplyReader(self._buffer, self.line_limit)
        self._pending.append(GREETING)

    @property
    def awaiting(self) -> Command | None:
        """The command whose reply comes next."""
        return self._pending[0] if self._pending else None

    def send(self, command: Command) -> bytes:
        new_state = TRANSITIONS[self.state].get(type(command))
        if new_state is None:
            raise LocalProtocolError(
                f"{type(command).__name__} not allowed in state {self.state}")
        self.state = new_state
        if isinstance(command, EndOfData):
            self._pending.extend([command] * max(0, command.replies))
        elif not isinstance(command, Message):
            self._pending.append(command)
        return command.encode()

    def send_all(self, commands: Iterable[Command]) -> bytes:
        return b"".join(self.send(command) for command in commands)

    def receive_data(self, data: bytes) -> None:
        if data:
            self._buffer.feed(data)
        else:
            self._buffer.mark_eof()

    def next_event(self) -> Event:
        if not self._pending:
            return NEED_DATA
        assert self._reader is not None
        reply = self._reader.read()
        if reply is None:
            if self._buffer.eof:
                command = self._pending.popleft()
                self._pending.clear()
                self.state = CLOSED
                return ConnectionClosed(command)
            return NEED_DATA
        command = self._pending.popleft()
        move = REPLY_MOVES.get((self.state, type(command)))
        if move is not None:
            wanted, good, bad = move
            self.state = good if reply.kind == wanted else bad
        return Response(command, reply)
