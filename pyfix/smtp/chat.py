"""NAME
    pyfix.smtp.chat - replies and log lines of one SMTP session

SUMMARY
    Chat, LocalProtocolError

DESCRIPTION
    Chat is the part of the server that talks: it renders replies into
    the output buffer and queues log lines and events.  The state
    machine (server.py) and the command handlers use it; callers read
    the output with data_to_send().

    reply() follows Postfix's smtpd_chat_reply(): with soft_bounce a 5xx
    reply goes out as 4xx, a 4xx or 5xx reply gets smtpd_reject_footer
    (footer.py; not in the log), and with smtputf8_enable = no what is not
    printable ASCII goes out as spaces; once the session has
    smtpd_soft_error_limit errors, every reply adds smtpd_error_sleep_time
    to reply_delay (the caller sleeps; the core never does); a 421 or 521
    reply ends the session after it is sent.

    The history (Postfix's session transcript) records each command line
    received ("In:  ") and each reply line sent ("Out: ").  chat_reset()
    is called where Postfix resets it: on HELO, EHLO and RSET (before
    their reply), after a message is queued, and at the end of the
    session (threshold 0).  When the history then has more than
    threshold lines and the session had an error of a class in
    notify_classes (error_mask), a Transcript event asks the caller to
    mail it to the postmaster; either way the history and error_mask
    start again.

    Parameters read: none directly (ServerSettings: soft_bounce,
    smtpd_reject_footer, smtpd_soft_error_limit, smtpd_error_sleep_time,
    smtputf8_enable, notify_classes, smtpd_history_flush_threshold).

DIAGNOSTICS
    LocalProtocolError for a verdict of the wrong kind.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from pyfix.smtp.events import (
    Accept,
    Event,
    LogMessage,
    MailFrom,
    ProtocolViolation,
    RcptTo,
    Request,
    Transcript,
    Verdict,
    Vrfy,
)
from pyfix.smtp.footer import with_footer
from pyfix.smtp.logfields import log_address, printable, whatsup
from pyfix.smtp.outcome import Done
from pyfix.smtp.replies import Reply
from pyfix.smtp.session import Session
from pyfix.smtp.settings import ServerSettings


class LocalProtocolError(Exception):
    """The caller used the server out of turn."""


class Chat:
    def __init__(self, settings: ServerSettings, session: Session) -> None:
        self.settings = settings
        self.session = session
        self.command_text = ""  # the command being processed, as received
        self.reply_delay = 0.0
        self._out: list[bytes] = []
        self._delay = 0.0
        self._events: deque[Event] = deque()
        self.deciding: Request | None = None  # the request awaiting its verdict
        self.history: list[str] = []
        # the shell's clock for smtpd_reject_footer's $localtime
        self.localtime: Callable[[], str] = lambda: ""

    def data_to_send(self) -> bytes:
        """The replies so far; reply_delay says how long to wait first."""
        data = b"".join(self._out)
        self._out.clear()
        self.reply_delay, self._delay = self._delay, 0.0
        return data

    def reply(self, reply: Reply) -> None:
        if self.session.error_count >= self.settings.soft_error_limit:
            self._delay += self.settings.error_sleep_time
        out = self.outgoing(reply)
        if self.settings.reject_footer:
            client = self.session.client
            out = with_footer(out, self.settings.reject_footer, {
                "client_address": client.addr, "client_port": client.port,
                "localtime": self.localtime(), "server_name": self.settings.myhostname},
                lambda text: self.log("warning", text))
        rendered = out.render()
        self._out.append(rendered)
        self.history.extend("Out: " + line for line in
                            rendered.decode("utf-8", "surrogateescape").split("\r\n")[:-1])
        if reply.hangs_up:
            self.session.hangup = True

    def record_command(self, text: str) -> None:
        self.history.append("In:  " + printable(text, self.settings.smtputf8_enable))

    def chat_reset(self, threshold: int) -> None:
        """Postfix's chat_reset(): notify the postmaster of the errors in
        a history longer than threshold lines, and start a new one."""
        if len(self.history) > threshold:
            if self.session.error_mask & self.settings.notify_classes:
                self._events.append(Transcript(tuple(self.history)))
            self.session.error_mask.clear()
            self.history.clear()

    def outgoing(self, reply: Reply) -> Reply:
        """reply as the client gets it: 4xx with soft_bounce; with
        smtputf8_enable = no, each byte that is not printable ASCII becomes
        a space, as in Postfix's smtpd_chat_reply()."""
        reply = self.softened(reply)
        text = reply.text
        if not self.settings.smtputf8_enable and not (text.isascii() and text.isprintable()):
            text = "\n".join(printable(line, False, " ") for line in reply.lines)
            reply = Reply(reply.code, reply.enhanced, text)
        return reply

    def softened(self, reply: Reply) -> Reply:
        """reply as soft_bounce turns it into a 4xx."""
        return reply.softened() if self.settings.soft_bounce else reply

    def reject(self, command: str, reply: Reply, error_class: str | None) -> Done:
        """Send reply for a failed command; note the error class."""
        self.reply(reply)
        if error_class:
            self.session.error_mask.add(error_class)
        return Done(False, ProtocolViolation(command, reply))

    def violation(self, reply: Reply, error_class: str | None, command: str = "") -> None:
        self.reply(reply)
        if error_class:
            self.session.error_mask.add(error_class)
        self._events.append(ProtocolViolation(command or self.command_text, reply))

    def rejection(self, verdict: Verdict) -> Reply | None:
        """None for Accept, the reply for a Reply verdict."""
        if isinstance(verdict, Accept):
            return None
        if isinstance(verdict, Reply):
            self.session.error_mask.add(verdict.error_class)
            return verdict
        raise LocalProtocolError(f"unexpected verdict {verdict!r}")

    def log(self, level: str, text: str) -> None:
        self._events.append(LogMessage(level, text))

    def illegal_address(self, word: str) -> None:
        session = self.session
        self.log(
            "warning",
            f"Illegal address syntax from {session.client.namaddr} in {session.where} "
            f"command: {printable(word, self.settings.smtputf8_enable)}",
        )

    def log_reject(self, text: str | Reply, sender: str | None = None) -> None:
        """Log reject_line() through the core's events."""
        self.log("info", self.reject_line(text, sender))

    def reject_line(self, text: str | Reply, sender: str | None = None,
                    action: str = "reject") -> str:
        """Postfix's "NOQUEUE: reject: CMD from client: text; from=<> ..." line;
        action replaces "reject" for the lines of smtpd's access(5)
        actions ("hold", "warn", "filter", ...) and for what warn_if_reject
        let through ("reject_warning"), which have the same shape.

        text is a refusal's Reply (logged as the client gets it: see
        outgoing()) or the protocol's own reason ("bare <LF>
        received").  While a request waits for its verdict (a restriction
        refusing it), from= and to= name what Postfix's restrictions name:
        the sender of a MAIL command, the address of a RCPT or VRFY
        command, and at the other stages (DATA, BDAT, END-OF-MESSAGE) the
        transaction's recipient only when exactly one RCPT was accepted.
        Otherwise (the protocol's own refusals) to= is the transaction's
        first accepted recipient.  sender overrides from=.
        """
        s = self.session
        request = self.deciding
        if isinstance(text, Reply):
            text = str(self.outgoing(text))
        if sender is None and isinstance(request, MailFrom):
            sender = request.address
        if sender is None:
            sender = s.mail.sender
        recipient = s.rcpt.first
        if isinstance(request, RcptTo | Vrfy):
            recipient = request.address
        elif request is not None and s.rcpt.count != 1:
            recipient = None
        tail = whatsup(log_address(sender), log_address(recipient), s.protocol, s.helo_name)
        return (f"{s.queue_id_or_noqueue}: {action}: {s.where} from {s.client.namaddr}: "
                f"{text};{tail}")
