"""NAME
    pyfix.smtp.server - the SMTP server protocol state machine (sans I/O)

SUMMARY
    SmtpServer, State, LocalProtocolError

DESCRIPTION
    SmtpServer speaks the server side of SMTP as Postfix 3.7's smtpd(8)
    does, without doing any I/O itself:

        server = SmtpServer(settings, ClientInfo("host", "192.0.2.1"))
        server.receive_data(bytes_from_client)      # b"" or
        server.receive_eof()                        # at end of input
        event = server.next_event()                 # until NEED_DATA
        server.send(verdict)                        # answer a Request
        bytes_to_client = server.data_to_send()

    next_event() reports what happened (events.py).  A Request waits for
    a verdict: send(Accept()), send(Queued(id)) or send(reply); with a
    policy object the core decides at once and only reports the request.
    Replies accumulate until data_to_send() (or send()) returns them.
    reply_delay is the smtpd_error_sleep_time the caller should wait
    before writing the bytes last returned: Postfix sleeps before each
    reply once the session has smtpd_soft_error_limit errors.

    Arguments: client (name, address and port, for replies and logs),
    policy (decide requests synchronously), features (STARTTLS, AUTH,
    XVERP in EHLO), bare_newline_excluded (the client matches
    smtpd_forbid_bare_newline_exclusions), resolve_ok (the address
    resolver's syntax check), discard (smtpd_discard_ehlo_keywords, or
    what smtpd_discard_ehlo_keyword_address_maps says for this client).

    Input is read only when next_event() says NEED_DATA, and a caller
    should not read from the client while a request waits (PAUSED):
    like Postfix, which reads nothing while it decides, the buffer then
    stays small.

    PIPELINING: Postfix sends its replies when it has to wait for input,
    so a caller should write when next_event() says NEED_DATA;
    has_buffered_input says whether unread input is waiting.  Input that
    is already there when a command must be the last of a group (HELO,
    EHLO, DATA, NOOP, VRFY, QUIT; any command before EHLO) is improper
    pipelining: logged, and with smtpd_forbid_unauth_pipelining answered
    with "554 5.5.0 Error: SMTP protocol synchronization" and the end of
    the session.  Bytes that arrive before the greeting count too, so a
    caller should feed what it has received before the first
    next_event().

    The transitions are tables: STEPS gives the reader for each input
    state, VERDICTS what may answer each kind of request, the command
    table (commands.py) the handler for each command; dispatch.py takes
    a command line to its handler and chat.py renders replies and log
    lines.  Calls out of turn raise LocalProtocolError.

    Parameters read: none directly; see settings.py.

DIAGNOSTICS
    LocalProtocolError when the caller sends a verdict that nothing
    waits for, or one of the wrong kind.  Everything the client does
    wrong is answered with Postfix's reply and reported as an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from functools import partial

from pyfix.smtp import cmd_mail, replies
from pyfix.smtp.address import ResolveCheck, resolve_syntax_ok
from pyfix.smtp.chat import Chat, LocalProtocolError
from pyfix.smtp.commands import LIMIT, CommandSpec, CommandStats
from pyfix.smtp.content import BdatReader, DataReader
from pyfix.smtp.dispatch import execute, pipelining_violation
from pyfix.smtp.ehlo import EhloFeatures
from pyfix.smtp.events import (
    NEED_DATA,
    PAUSED,
    Accept,
    BdatChunk,
    Closed,
    Connect,
    Disconnect,
    EndOfData,
    Event,
    Lost,
    MessageData,
    NotQueued,
    ProtocolViolation,
    Queued,
    Request,
    Timeout,
    TlsHandshake,
    Verdict,
)
from pyfix.smtp.lines import InputBuffer
from pyfix.smtp.logfields import (
    disconnect_text,
    lost_connection_text,
    printable,
)
from pyfix.smtp.outcome import Ask, Done, Outcome, Running
from pyfix.smtp.policy import Policy, decide
from pyfix.smtp.replies import Reply
from pyfix.smtp.session import BdatState, ClientInfo, Session
from pyfix.smtp.settings import ServerSettings
from pyfix.smtp.tokens import Token

__all__ = ["STEPS", "VERDICTS", "LocalProtocolError", "SmtpServer", "State"]


class State(Enum):
    CONNECT = "connect"  # before the greeting
    COMMAND = "command"  # reading a command
    SKIP = "skip"  # skipping the rest of an over-long command
    DATA = "data"  # reading DATA content
    BDAT = "bdat"  # reading a BDAT chunk
    BDAT_SKIP = "bdat-skip"  # reading and discarding a BDAT chunk
    VERDICT = "verdict"  # a Request waits for send()
    CLOSED = "closed"


class SmtpServer(Chat):
    def __init__(
        self,
        settings: ServerSettings,
        client: ClientInfo | None = None,
        *,
        policy: Policy | None = None,
        features: EhloFeatures | None = None,
        bare_newline_excluded: bool = False,
        resolve_ok: ResolveCheck | None = None,
        discard: frozenset[str] | None = None,
    ) -> None:
        client = replace(client or ClientInfo(), port_logging=settings.client_port_logging)
        discard = settings.discard_ehlo_keywords if discard is None else discard
        super().__init__(settings, Session(client=client, discard=discard))
        self.policy = policy
        self.features = features or EhloFeatures()
        self.detect_bare_lf = settings.bare_newline_detect and not bare_newline_excluded
        self.reject_bare_lf = settings.bare_newline_reject and not bare_newline_excluded
        self.resolve_ok: ResolveCheck = resolve_ok or partial(
            resolve_syntax_ok, smtputf8_enable=settings.smtputf8_enable
        )
        self.stats = CommandStats()
        self.state = State.CONNECT
        self._input = InputBuffer()
        self._pending: Ask | None = None
        self._request: Request | None = None
        self._command: CommandSpec | None = None
        self._long_line: bytes | None = None
        self._reader: DataReader | BdatReader | None = None
        self._skip: tuple[int, bool, Reply, str | None] = (0, False, replies.OK, None)
        self._closed: Closed | None = None

    # Caller API ------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._input.mark_eof()
        elif self.state is not State.CLOSED:
            self._input.feed(data)

    def receive_eof(self) -> None:
        self._input.mark_eof()

    @property
    def has_buffered_input(self) -> bool:
        return len(self._input) > 0

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    def next_event(self) -> Event:
        while not self._events:
            if self.state is State.CLOSED:
                assert self._closed is not None
                return self._closed
            if self.state is State.VERDICT:
                return PAUSED
            if not STEPS[self.state](self):
                return NEED_DATA
        return self._events.popleft()

    def send(self, verdict: Verdict) -> bytes:
        """Answer the waiting Request (or end the session); return output."""
        if self.state is not State.CLOSED and not self._ends_session(verdict):
            pending = self._pending
            if self.state is not State.VERDICT or pending is None:
                raise LocalProtocolError("no request is waiting for a verdict")
            self._check_verdict(pending.request, verdict)
            self._pending = None
            self.deciding = None
            self.state = State.COMMAND
            self._outcome(pending.resume(verdict))
        return self.data_to_send()

    def _ends_session(self, verdict: Verdict) -> bool:
        """Timeout, Disconnect and Lost end the session in any state."""
        if isinstance(verdict, Timeout):
            self.session.reason = "timeout"
            reply = replies.timeout_exceeded(self.settings.myhostname)
            self.reply(reply)
            self.close(reply)
        elif isinstance(verdict, Disconnect):
            self.reply(verdict.reply)
            self.close()
        elif isinstance(verdict, Lost):
            self.session.reason = "lost connection"
            self.close()
        else:
            return False
        return True

    @staticmethod
    def _check_verdict(request: Request, verdict: Verdict) -> None:
        allowed = VERDICTS.get(type(request), (Accept, Reply))
        if not isinstance(verdict, allowed):
            raise LocalProtocolError(
                f"{type(verdict).__name__} is not an answer to {type(request).__name__}"
            )

    # Services for dispatch.py and the command handlers -----------------

    def peek_input(self, count: int) -> bytes:
        return self._input.peek(count)

    def purge_input(self) -> None:
        self._input.discard(len(self._input))

    def start_data(self, request: Request) -> Outcome:
        s = self.settings
        self.session.where = "DATA content"
        self._reader = DataReader(
            self.session.mail,
            s.message_size_limit,
            s.line_length_limit,
            self.detect_bare_lf,
            self.reject_bare_lf,
        )
        self.state = State.DATA
        return Running(request)

    def start_bdat(self, size: int, last: bool) -> Outcome:
        s = self.settings
        self._reader = BdatReader(
            self.session.mail,
            s.message_size_limit,
            s.line_length_limit,
            self.detect_bare_lf,
            self.reject_bare_lf,
            size,
            last,
        )
        self.state = State.BDAT
        return Running(BdatChunk(size, last))

    def skip_bdat(self, size: int, last: bool, reply: Reply, error_class: str | None) -> Outcome:
        self._skip = (size, last, reply, error_class)
        self.state = State.BDAT_SKIP
        return Running(BdatChunk(size, last))

    # The state machine -------------------------------------------------

    def run_command(self, spec: CommandSpec, argv: list[Token]) -> None:
        self._command = spec
        self._outcome(spec.handler(self, argv))

    def log_event(self, event: Event) -> None:
        self._events.append(event)

    def _emit(self, event: Event | None) -> None:
        if event is not None and event is not self._request:
            self._events.append(event)

    def _ask(self, ask: Ask) -> None:
        self._request = self.deciding = ask.request
        self._events.append(ask.request)
        if self.policy is None:
            self._pending = ask
            self.state = State.VERDICT
            return
        verdict = decide(self.policy, self.session, ask.request)
        self.deciding = None
        if not self._ends_session(verdict):
            self._check_verdict(ask.request, verdict)
            self._outcome(ask.resume(verdict))

    def _outcome(self, outcome: Outcome) -> None:
        if isinstance(outcome, Ask):
            self._ask(outcome)
        elif isinstance(outcome, Running):
            self._emit(outcome.event)
        else:
            self._emit(outcome.event)
            self._finish(outcome.ok)

    def _finish(self, ok: bool) -> None:
        """Postfix's bookkeeping after each command."""
        session, spec = self.session, self._command
        self._command = None
        self._request = None
        if spec is not None:
            if ok:
                self.stats.succeeded(spec.name)
            else:
                session.error_count += 1
            if LIMIT in spec.flags:
                self.count_junk()
        if self.state is State.CLOSED:
            return
        if (spec is not None and spec.name == "QUIT") or session.hangup:
            self.close()
        else:
            self.state = State.COMMAND

    def count_junk(self) -> None:
        session = self.session
        if session.junk_cmds > self.settings.junk_command_limit:
            session.error_count += 1
        session.junk_cmds += 1

    def close(self, last_reply: Reply | None = None) -> None:
        if self.state is State.CLOSED:
            return
        session = self.session
        size = session.mail.act_size
        if isinstance(self._reader, BdatReader):
            size = self._reader.received_size(self._input)
        if session.where == "BDAT content" and (last_reply or not self._reader):
            # Postfix counts its I/O buffer: the last reply if any, else empty.
            size = session.mail.act_size + len(session.mail.bdat_pending)
            size += len(str(last_reply)) if last_reply else 0
        text = lost_connection_text(session.reason, session.where, session.client.namaddr, size)
        if text is not None:
            self.log("info", text)
        self.chat_reset(0)
        self.log("info", disconnect_text(session.client.namaddr, self.stats))
        self._closed = Closed(session.reason)
        self._events.append(self._closed)
        self._pending = self.deciding = None
        self.state = State.CLOSED

    def _lost(self) -> bool:
        self.session.reason = "lost connection"
        self.close()
        return True

    def _step_connect(self) -> bool:
        session = self.session
        self.log("info", f"connect from {session.client.namaddr}")
        self.state = State.COMMAND
        if pipelining_violation(self, "CONNECT"):
            self.reply(replies.PIPELINING_SYNC)
            self._events.append(ProtocolViolation("CONNECT", replies.PIPELINING_SYNC))
            self.close()
            return True

        request = Connect()

        def resume(verdict: Verdict) -> Outcome:
            rejection = self.rejection(verdict)
            if rejection is None:
                self.reply(replies.greeting(self.settings.banner))
            else:
                session.access_denied = rejection
                self.reply(rejection)
                session.error_count += 1
            return Done(True, request)

        self._ask(Ask(request, resume))
        return True

    def _step_command(self) -> bool:
        session, settings = self.session, self.settings
        if session.hangup:  # a 421 or 521 reply went out
            self.close()
            return True
        if session.error_count >= settings.hard_error_limit:
            session.reason = "too many errors"
            session.error_mask.add("protocol")
            self.reply(replies.too_many_errors(settings.myhostname))
            self.close()
            return True
        line = self._input.read_line(settings.line_length_limit, self.detect_bare_lf)
        if line is None:
            return self._lost() if self._input.eof else False
        if not line.complete:
            self._long_line = line.data
            self.state = State.SKIP
            return True
        execute(self, line.data, line.bare_lf)
        return True

    def _step_skip(self) -> bool:
        if not self._input.skip_line():
            return self._lost() if self._input.eof else False
        data, self._long_line = self._long_line or b"", None
        self.state = State.COMMAND
        text = printable(data.decode("utf-8", "surrogateescape"), self.settings.smtputf8_enable)
        text = text[:30]
        limit = self.settings.line_length_limit
        namaddr = self.session.client.namaddr
        self.log("warning", f"{namaddr}: request longer than {limit}: {text}...")
        execute(self, data, False)
        return True

    def _drain_reader(self, reader: DataReader | BdatReader) -> None:
        for level, text in reader.logs:
            self.log(level, text)
        reader.logs.clear()
        records = reader.take()
        if records:
            self._events.append(MessageData(tuple(records)))

    def _step_data(self) -> bool:
        reader = self._reader
        assert isinstance(reader, DataReader)
        if reader.finished:
            # The content has been reported; now the end of the message.
            self._reader = None
            self.session.where = "END-OF-MESSAGE"
            self._outcome(cmd_mail.end_of_message(self, bdat=False))
            return True
        reader.finished = reader.read(self._input)
        self._drain_reader(reader)
        if reader.finished or self._events:
            return True
        return self._lost() if self._input.eof else False

    def _step_bdat(self) -> bool:
        reader = self._reader
        assert isinstance(reader, BdatReader)
        if reader.finished:
            self._reader = None
            self._outcome(cmd_mail.bdat_chunk_done(self, reader.chunk_size, reader.last))
            return True
        reader.finished = reader.read(self._input)
        self._drain_reader(reader)
        if reader.finished or self._events:
            return True
        return self._lost() if self._input.eof else False

    def _step_bdat_skip(self) -> bool:
        remaining, last, reply, error_class = self._skip
        remaining -= self._input.discard(remaining)
        self._skip = (remaining, last, reply, error_class)
        if remaining > 0:
            return self._lost() if self._input.eof else False
        if last:
            self.session.mail_reset()
        else:
            self.session.mail.bdat = BdatState.ERROR
        self._outcome(self.reject("BDAT", reply, error_class))
        return True


# The verdicts that answer each request (Accept or a Reply by default).
VERDICTS: dict[type[Request], tuple[type, ...]] = {
    EndOfData: (Queued, NotQueued, Reply),
    TlsHandshake: (Accept,),
}

STEPS: dict[State, Callable[[SmtpServer], bool]] = {
    State.CONNECT: SmtpServer._step_connect,
    State.COMMAND: SmtpServer._step_command,
    State.SKIP: SmtpServer._step_skip,
    State.DATA: SmtpServer._step_data,
    State.BDAT: SmtpServer._step_bdat,
    State.BDAT_SKIP: SmtpServer._step_bdat_skip,
}
