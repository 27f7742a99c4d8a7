"""NAME
    pyfix.smtp.client_xfer - one mail transaction of the SMTP/LMTP client

SUMMARY
    Transaction, Outcome, mail_params(), rcpt_params(), xtext(), uxtext()

DESCRIPTION
    Transaction decides what the client sends for one message and what
    each reply means for each recipient, as Postfix's smtp_loop() does,
    without doing I/O.  start() returns the first commands: with
    PIPELINING, MAIL FROM, every RCPT TO and DATA in one batch;
    without, MAIL FROM alone.  on_response() takes each reply and
    returns the commands that come next (none while the batch is being
    answered).  When DATA was accepted (354), need_content is set: the
    caller sends the content and end_of_data().  With verify_only (an
    address verification probe, smtp_address_verify_target = rcpt) no
    DATA is sent: the reply to each RCPT TO is that recipient's outcome.

    The outcome of each recipient (by index) is recorded in results:

    - MAIL FROM rejected: every recipient fails with that reply, and the
      replies to the pipelined RCPT TO and DATA commands are ignored;
    - RCPT TO rejected: that recipient fails;
    - DATA rejected: every recipient that is still open fails;
    - end of data: SMTP has one reply for every accepted recipient;
      LMTP one reply per accepted recipient, in order.

    A failure keeps the reply and the command it answered (Postfix's
    "(in reply to RCPT TO command)"); whether it means defer, bounce
    or "try the next server" is the caller's decision.

    mail_params() and rcpt_params() build the ESMTP parameters that
    Postfix sends: SIZE (when the server announced SIZE), BODY=8BITMIME
    or BODY=7BIT (8BITMIME), ENVID and RET (DSN), SMTPUTF8; NOTIFY and
    ORCPT (DSN) with xtext encoding.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.smtp.client import (
    Command,
    Data,
    EndOfData,
    MailFrom,
    RcptTo,
    Response,
)
from pyfix.smtp.client_reply import ServerFeatures, ServerReply

NOTIFY_NAMES = ((1 << 0, "NEVER"), (1 << 1, "SUCCESS"), (1 << 2, "FAILURE"), (1 << 3, "DELAY"))
RET_NAMES = {1 << 0: "FULL", 1 << 1: "HDRS"}


def xtext(text: str, extra: str = "") -> str:
    """RFC 3461 xtext: "+", "=", controls, space and non-ASCII as +XX."""
    out = []
    for byte in text.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        if byte < 33 or byte > 126 or char == "+" or char in extra:
            out.append(f"+{byte:02X}")
        else:
            out.append(char)
    return "".join(out)


def uxtext(text: str) -> str:
    """RFC 6533 unitext: "+", "=", "\\", controls and space as \\x{HEX}."""
    return "".join(f"\\x{{{ord(ch):X}}}" if ord(ch) < 33 or ord(ch) == 127 or ch in "+=\\"
                   else ch for ch in text)


def notify_text(mask: int) -> str:
    return ",".join(name for bit, name in NOTIFY_NAMES if mask & bit)


def mail_params(features: ServerFeatures, size: int, encoding: str, envid: str, ret: int,
                smtputf8: bool) -> tuple[str, ...]:
    params: list[str] = []
    if features.size:
        params.append(f"SIZE={size}")
    if features.eightbitmime:
        if encoding == "8bit":
            params.append("BODY=8BITMIME")
        elif encoding == "7bit":
            params.append("BODY=7BIT")
    if features.dsn:
        if envid:
            params.append("ENVID=" + xtext(envid, "+="))
        if ret in RET_NAMES:
            params.append("RET=" + RET_NAMES[ret])
    if features.smtputf8 and smtputf8:
        params.append("SMTPUTF8")
    return tuple(params)


def rcpt_params(features: ServerFeatures, orcpt: str, orig_address: str, notify: int,
                smtputf8: bool) -> tuple[str, ...]:
    if not features.dsn:
        return ()
    params: list[str] = []
    if not orcpt and orig_address:
        kind = "utf-8" if smtputf8 and not orig_address.isascii() else "rfc822"
        orcpt = f"{kind};{orig_address}"
    if orcpt:
        if orcpt[:6].lower() == "utf-8;":
            params.append("ORCPT=" + orcpt[:6] + uxtext(orcpt[6:]))
        else:
            params.append("ORCPT=" + xtext(orcpt, "="))
    if notify:
        params.append("NOTIFY=" + notify_text(notify))
    return tuple(params)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reply: ServerReply
    request: str  # "RCPT TO command", ...


@dataclass
class Transaction:
    sender: str
    mail_params: tuple[str, ...]
    recipients: list[tuple[str, tuple[str, ...]]]  # address, RCPT parameters
    lmtp: bool = False
    pipelining: bool = False
    results: dict[int, Outcome] = field(default_factory=dict)
    need_content: bool = False
    finished: bool = False
    mail_rejected: bool = False
    accepted: list[int] = field(default_factory=list)  # indexes, in order
    _rcpt_replies: int = 0
    _dot_replies: int = 0
    _sent_rcpts: int = 0
    verify_only: bool = False  # an address probe: no DATA, RCPT TO decides

    def start(self) -> list[Command]:
        commands: list[Command] = [MailFrom(self.sender, self.mail_params)]
        if self.pipelining:
            commands.extend(self._rcpt(i) for i in range(len(self.recipients)))
            if not self.verify_only:
                commands.append(Data())
            self._sent_rcpts = len(self.recipients)
        return commands

    def _rcpt(self, index: int) -> RcptTo:
        address, params = self.recipients[index]
        return RcptTo(address, params)

    def _fail_open(self, reply: ServerReply, request: str) -> None:
        for index in range(len(self.recipients)):
            if index not in self.results:
                self.results[index] = Outcome(False, reply, request)

    def _next_rcpt(self) -> list[Command]:
        if self.verify_only and self._rcpt_replies == len(self.recipients):
            self.finished = True  # every RCPT TO answered: that is the outcome
            return []
        if self.pipelining:
            return []
        if self._sent_rcpts < len(self.recipients):
            self._sent_rcpts += 1
            return [self._rcpt(self._sent_rcpts - 1)]
        if self.accepted:
            return [Data()]
        self.finished = True
        return []

    def on_response(self, response: Response) -> list[Command]:
        command, reply = response.command, response.reply
        if isinstance(command, MailFrom):
            if reply.kind != 2:
                self._fail_open(reply, command.request)
                self.mail_rejected = True
                if not self.pipelining:
                    self.finished = True
                    return []
            return self._next_rcpt()
        if isinstance(command, RcptTo):
            index = self._rcpt_replies
            self._rcpt_replies += 1
            if not self.mail_rejected:
                if reply.kind == 2:
                    self.accepted.append(index)
                    if self.verify_only:
                        self.results[index] = Outcome(True, reply, command.request)
                else:
                    self.results[index] = Outcome(False, reply, command.request)
            return self._next_rcpt()
        if isinstance(command, Data):
            if reply.kind == 3 and self.accepted and not self.mail_rejected:
                self.need_content = True
                return []
            if self.accepted and not self.mail_rejected:
                self._fail_open(reply, command.request)
            self.finished = True
            return []
        if isinstance(command, EndOfData):
            return self._on_dot(reply, command.request)
        return []

    def end_of_data(self) -> EndOfData:
        self.need_content = False
        return EndOfData(len(self.accepted) if self.lmtp else 1)

    def _on_dot(self, reply: ServerReply, request: str) -> list[Command]:
        if self.lmtp:
            index = self.accepted[self._dot_replies]
            self._dot_replies += 1
            self.results[index] = Outcome(reply.kind == 2, reply, request)
            self.finished = self._dot_replies >= len(self.accepted)
            return []
        if reply.kind == 2:
            for index in self.accepted:
                self.results.setdefault(index, Outcome(True, reply, request))
        else:
            self._fail_open(reply, request)
        self.finished = True
        return []

    @property
    def clean(self) -> bool:
        """The session is back in a state where another MAIL may follow."""
        return self.finished and not self.need_content
