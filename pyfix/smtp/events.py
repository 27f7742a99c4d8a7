"""NAME
    pyfix.smtp.events - what the SMTP server core reports and accepts

SUMMARY
    Event classes returned by SmtpServer.next_event(); Verdict classes
    passed to SmtpServer.send()

DESCRIPTION
    Every event is a frozen dataclass.  There are three kinds:

    Requests need a decision (a Verdict) before the session can go on:
    Connect (the greeting), Helo, Ehlo, MailFrom, RcptTo, Data, Bdat
    (the first chunk of a message), EndOfData, Vrfy, Etrn, StartTls and
    TlsHandshake.
    The caller answers with send(Accept()) or send(reply).  EndOfData
    is answered with send(Queued(queue_id)) when the message is safely
    queued, send(NotQueued(reply)) when cleanup refused it (the
    transaction ends, as in Postfix), or send(reply) for a rejection by
    smtpd_end_of_data_restrictions (Postfix then keeps the transaction:
    the client must send RSET).  With a policy object (policy.py) the
    core decides by itself and the request is only reported.

    Reports need no answer: Rset, Noop, Quit, Unknown, ProtocolViolation
    (a command that the core rejected), BdatChunk (a chunk follows),
    MessageData (message content),
    LogMessage (a line for the mail log) and Closed (the session is
    over; nothing more will come).

    Sentinels: NEED_DATA (feed more input) and PAUSED (a request waits
    for its verdict).

    Verdicts: Accept, Queued, NotQueued, a replies.Reply (reject), Lost
    (the connection broke; Postfix's "lost connection"),
    Timeout (the client was too slow; the core sends Postfix's 421 and
    closes) and Disconnect (send a reply, such as "421 4.3.0 ... Server
    local data error", and close).

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from pyfix.smtp.params import MailParams, RcptParams
from pyfix.smtp.replies import Reply

REC_NORM = "N"  # a complete line (Postfix REC_TYPE_NORM)
REC_CONT = "L"  # part of a longer line (Postfix REC_TYPE_CONT)


class Record(NamedTuple):
    """One message content record, dot-unstuffed, without CRLF."""

    kind: str  # REC_NORM or REC_CONT
    data: bytes


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of everything next_event() returns."""


@dataclass(frozen=True, slots=True)
class _Sentinel(Event):
    name: str

    def __repr__(self) -> str:
        return self.name


NEED_DATA: Event = _Sentinel("NEED_DATA")
PAUSED: Event = _Sentinel("PAUSED")


# Requests -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request(Event):
    """An event that waits for a verdict."""


@dataclass(frozen=True, slots=True)
class Connect(Request):
    """The client connected; accept to send the greeting."""


@dataclass(frozen=True, slots=True)
class Helo(Request):
    name: str


@dataclass(frozen=True, slots=True)
class Ehlo(Request):
    name: str


@dataclass(frozen=True, slots=True)
class MailFrom(Request):
    address: str  # internal form; "" for the null sender
    raw: str  # the address word as received
    params: MailParams


@dataclass(frozen=True, slots=True)
class RcptTo(Request):
    address: str
    raw: str
    params: RcptParams


@dataclass(frozen=True, slots=True)
class Data(Request):
    """DATA: accept to send 354 and read the message."""


@dataclass(frozen=True, slots=True)
class Bdat(Request):
    """The first BDAT of a message (the DATA-stage check)."""

    size: int
    last: bool


@dataclass(frozen=True, slots=True)
class EndOfData(Request):
    """The message is complete; answer with Queued(queue_id) or a Reply."""

    size: int  # Postfix's message size count (each line + 2)


@dataclass(frozen=True, slots=True)
class Vrfy(Request):
    address: str
    raw: str
    smtputf8: bool


@dataclass(frozen=True, slots=True)
class Etrn(Request):
    domain: str


@dataclass(frozen=True, slots=True)
class StartTls(Request):
    """STARTTLS: accept to reply 220 and reset; the caller starts TLS."""


@dataclass(frozen=True, slots=True)
class TlsHandshake(Request):
    """The 220 for STARTTLS is out; do the handshake, then send(Accept())
    (or send(Lost()) when it failed: the session ends)."""


# Reports --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rset(Event):
    pass


@dataclass(frozen=True, slots=True)
class Noop(Event):
    pass


@dataclass(frozen=True, slots=True)
class Quit(Event):
    pass


@dataclass(frozen=True, slots=True)
class Unknown(Event):
    command: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class ProtocolViolation(Event):
    """The core rejected a command (or input) with reply.

    command is the command name, or the input line when it was rejected
    before it could be taken as a command (bad UTF-8, access denied).
    """

    command: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class BdatChunk(Event):
    """A BDAT chunk follows (stored, or skipped after an error)."""

    size: int
    last: bool


@dataclass(frozen=True, slots=True)
class MessageData(Event):
    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class LogMessage(Event):
    level: str  # "info" or "warning"
    text: str


@dataclass(frozen=True, slots=True)
class Transcript(Event):
    """The session's history since the last reset had errors of a class
    in notify_classes: mail it to the postmaster.  lines are "In:  ..."
    and "Out: ..." entries, as Postfix's smtpd_chat_notify() writes them."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Closed(Event):
    """The session is over; reason is Postfix's (e.g. "lost connection")."""

    reason: str | None


# Verdicts -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accept:
    pass


@dataclass(frozen=True, slots=True)
class Queued:
    queue_id: str


@dataclass(frozen=True, slots=True)
class NotQueued:
    """The queue (cleanup) refused the message; the transaction ends."""

    reply: Reply


@dataclass(frozen=True, slots=True)
class Timeout:
    pass


@dataclass(frozen=True, slots=True)
class Lost:
    """The connection broke (end of file, read or write error)."""


@dataclass(frozen=True, slots=True)
class Disconnect:
    reply: Reply


Verdict = Accept | Queued | NotQueued | Reply | Timeout | Disconnect | Lost
