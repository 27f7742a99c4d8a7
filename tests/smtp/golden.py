"""Replay recorded real-Postfix SMTP dialogues against pyfix's SMTP core.

tests/golden/smtp/expected/NAME.json holds, per dialogue, the profile
(postfix/main.cf + profiles/P.cf), the client bytes of each step and the
bytes real Postfix 3.7 smtpd replied, and smtpd's log lines.  replay()
builds the same settings from the same main.cf text through pyfix's
configuration engine, feeds the same client bytes and collects pyfix's
replies and log lines for comparison.

The recording's restrictions run through pyfix's own evaluator
(GoldenPolicy: pyfix.smtpd.checks on the recording's main.cf), and their
reject lines are compared with Postfix's.  What differs on purpose: queue
IDs (both sides use @QUEUEID@), and log lines that pyfix's shell writes
rather than the protocol core (the "QUEUEID: client=..." line of the
cleanup connection, and the ETRN flush service's warnings).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.ehlo import EhloFeatures
from pyfix.smtp.events import (
    NEED_DATA,
    Bdat,
    Closed,
    Data,
    Ehlo,
    EndOfData,
    Etrn,
    Helo,
    LogMessage,
    MailFrom,
    MessageData,
    RcptTo,
    Request,
    Timeout,
    Vrfy,
)
from pyfix.smtp.policy import PermitPolicy, decide
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer, State
from pyfix.smtp.session import ClientInfo, Session
from pyfix.smtp.settings import ServerSettings
from pyfix.smtpd.checks.smtpd import Facts, SessionChecks, SmtpdChecks
from pyfix.smtpd.refusal import log_outcome
from pyfix.smtpd.relay import RelayPolicy

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "smtp"
EXPECTED = GOLDEN / "expected"
QUEUE_ID = "@QUEUEID@"
CLIENT = ClientInfo("localhost", "127.0.0.1", "54321")
CLIENT_ADDR = ipaddress.ip_address("127.0.0.1")

# Log lines that come from outside the protocol core.
NOT_CORE_LOG = (
    re.compile(r"^\S+: client=\S+$"),  # cleanup connection (the shell)
    re.compile(r"^warning: reject: ETRN "),  # the flush service
    re.compile(r"^SSL_accept error from "),  # the TLS layer
)


def decode(text: str) -> bytes:
    return text.encode("latin-1")


@dataclass
class Dialogue:
    name: str
    profile: str
    steps: list[tuple[bytes, bytes]]
    server_closed: bool
    log: list[str]
    expects: list[str] = field(default_factory=list)
    path: Path = field(default=Path())

    @classmethod
    def load(cls, path: Path) -> Dialogue:
        data = json.loads(path.read_text())
        steps = [(decode(s["client"]), decode(s["server"])) for s in data["steps"]]
        log = [decode(line).decode("utf-8", "surrogateescape") for line in data["log"]]
        expects = [s["expect"] for s in data["steps"]]
        return cls(
            data["name"], data["profile"], steps, data["server_closed"], log, expects, path
        )


def dialogues() -> list[Dialogue]:
    return [Dialogue.load(path) for path in sorted(EXPECTED.glob("*.json"))]


def main_cf_text(profile: str) -> str:
    text = (GOLDEN / "postfix" / "main.cf").read_text()
    text += "\n" + (GOLDEN / "profiles" / f"{profile}.cf").read_text()
    return text.replace("@BASE@", "/nonexistent").replace("@PORT@", "10025")


def profile_config(profile: str) -> Config:
    main = parse_main_cf("main.cf", main_cf_text(profile), lambda _text: None)
    return Config(main)


def in_mynetworks(config: Config) -> bool:
    for item in config.get_list("mynetworks"):
        if CLIENT_ADDR in ipaddress.ip_network(item, strict=False):
            return True
    return False


class GoldenPolicy(PermitPolicy):
    """The recording instance's decisions: its restrictions through pyfix's
    own evaluator (pyfix.smtpd.checks) on the same main.cf, logged as
    pyfix's smtpd logs them (pyfix.smtpd.refusal); what comes from other
    services stays a fact of the recording: the flush service's answer to
    ETRN for an address literal, cleanup's body_checks.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        relay = RelayPolicy(config, TrivialRewrite.for_client(config))
        self.checks = SmtpdChecks(config, relay)
        self.body_checks = "REJECTME" in config.get("body_checks")
        self.content: list[bytes] = []
        self.server: SmtpServer | None = None
        self.stages: SessionChecks | None = None

    def attach(self, server: SmtpServer) -> None:
        """The server whose session the restrictions check and log into."""
        self.server = server
        self.stages = self.checks.session(lambda text: server.log("info", text),
                                          lambda text: server.log("warning", text))

    def _facts(self, session: Session, helo: str | None = None,
               sender: str | None = None) -> Facts:
        assert self.server is not None
        client = session.client
        return Facts(client.name, client.addr, client.namaddr, helo or session.helo_name,
                     sender or session.mail.sender, pipelined=self.server.has_buffered_input,
                     protocol=session.protocol)

    def _stage(self, name: str, *args: object, sender: str | None = None,
               helo: str | None = None) -> Reply | None:
        """Run one stage of the checks to completion; log its verdict."""
        assert self.server is not None and self.stages is not None
        server = self.server
        outcome = asyncio.run(getattr(self.stages, name)(*args))
        return log_outcome(server, outcome, lambda text: server.log("info", text),
                           server.settings.smtputf8_enable, sender, helo)

    def check_connect(self, session: Session) -> Reply | None:
        return self._stage("connect", self._facts(session))

    def check_helo(self, session: Session, request: Helo | Ehlo) -> Reply | None:
        facts = self._facts(session, helo=request.name)
        facts.protocol = "ESMTP" if isinstance(request, Ehlo) else "SMTP"
        return self._stage("helo", facts, helo=request.name)

    def check_mail(self, session: Session, request: MailFrom) -> Reply | None:
        return self._stage("mail", self._facts(session, sender=request.address),
                           sender=request.address)

    def check_rcpt(self, session: Session, request: RcptTo) -> Reply | None:
        reply = self._stage("recipient", self._facts(session), request.address)
        # The first accepted recipient opens the queue file (its ID is logged).
        if reply is None and session.mail.queue_id is None:
            session.mail.queue_id = QUEUE_ID
        return reply

    def check_vrfy(self, session: Session, request: Vrfy) -> Reply | None:
        return self._stage("recipient", self._facts(session), request.address)

    def check_data(self, session: Session, request: Data | Bdat) -> Reply | None:
        return self._stage("data", self._facts(session))

    def check_end_of_data(self, session: Session, request: EndOfData) -> Reply | None:
        reply = self._stage("end_of_data", self._facts(session))
        if reply is not None:
            self.content.clear()
        return reply

    def check_etrn(self, session: Session, request: Etrn) -> Reply | None:
        reply = self._stage("etrn", self._facts(session), request.domain)
        if reply is None and request.domain.startswith("["):
            # fast_flush_domains = $relay_domains matches domains, not literals.
            return Reply(459, "", f"<{request.domain}>: service unavailable")
        return reply

    def commit(self, session: Session) -> str | Reply:
        content, self.content = self.content, []
        if self.body_checks and any(line.startswith(b"REJECTME") for line in content):
            return Reply(550, "5.7.1", "go away")
        return QUEUE_ID

    def tls_handshake(self, session: Session) -> bool:
        return False  # the recorder does not speak TLS


def make_server(profile: str, pending: bool = False) -> tuple[SmtpServer, GoldenPolicy]:
    config = profile_config(profile)
    settings = ServerSettings.from_config(config)
    features = EhloFeatures(
        starttls=config.get("smtpd_tls_security_level") in ("may", "encrypt"),
        verp="127.0.0.1" in config.get_list("smtpd_authorized_verp_clients"),
    )
    policy = GoldenPolicy(config)
    server = SmtpServer(
        settings,
        CLIENT,
        policy=None if pending else policy,
        features=features,
        bare_newline_excluded=in_mynetworks(config),
    )
    policy.attach(server)
    return server, policy


def log_line(event: LogMessage) -> str:
    return f"warning: {event.text}" if event.level == "warning" else event.text


@dataclass
class Replay:
    replies: list[bytes]
    closed: bool
    log: list[str]


class Session_:
    """The server under test, its policy and the log it produced.

    With pending=True the server has no policy: every Request comes out
    of next_event() and is answered with send(), as an asyncio shell does.
    """

    def __init__(self, profile: str, pending: bool = False) -> None:
        self.server, self.policy = make_server(profile, pending)
        self.log: list[str] = []
        self.output = b""
        self.ended: Closed | None = None

    def drain(self) -> None:
        while True:
            event = self.server.next_event()
            if isinstance(event, Request):
                if self.server.state is State.VERDICT:
                    verdict = decide(self.policy, self.server.session, event)
                    self.output += self.server.send(verdict)
            elif isinstance(event, LogMessage):
                self.log.append(log_line(event))
            elif isinstance(event, MessageData):
                self.policy.content.extend(record.data for record in event.records)
            elif isinstance(event, Closed):
                self.ended = event
            if event is NEED_DATA or isinstance(event, Closed):
                return


Feeder = Callable[[Session_, bytes], None]


def feed_whole(run: Session_, data: bytes) -> None:
    if data:
        run.server.receive_data(data)
    run.drain()


def feed_bytewise(run: Session_, data: bytes) -> None:
    for index in range(len(data)):
        run.server.receive_data(data[index : index + 1])
        run.drain()
    run.drain()


def feed_pending(run: Session_, data: bytes) -> None:
    feed_whole(run, data)


def replay(dialogue: Dialogue, feed: Feeder = feed_whole) -> Replay:
    run = Session_(dialogue.profile, pending=feed is feed_pending)
    server, log = run.server, run.log
    replies: list[bytes] = []
    for index, (client, _server) in enumerate(dialogue.steps):
        if server.closed:
            break
        if dialogue.expects[index] == "timeout":
            output = server.send(Timeout())
            run.drain()
        else:
            feed(run, client)
            output = b""
        replies.append(run.output + output + server.data_to_send())
        run.output = b""
    # Whether the server closed the connection by itself, as the recording
    # says of Postfix: taken before the client's end of file.  A session
    # that ended as a "lost connection" was ended by the client: here the
    # TLS handshake that GoldenPolicy fails, where the recorder's client
    # hung up after "220 Ready to start TLS".
    closed = run.ended is not None and run.ended.reason != "lost connection"
    if not server.closed:
        server.receive_eof()
        run.drain()
        server.data_to_send()
    return Replay(replies, closed, log)


def core_log(lines: list[str]) -> list[str]:
    return [line for line in lines if not any(p.search(line) for p in NOT_CORE_LOG)]


def iter_mismatches(dialogue: Dialogue, result: Replay) -> Iterator[str]:
    for index, (client, expected) in enumerate(dialogue.steps):
        got = result.replies[index] if index < len(result.replies) else None
        if got != expected:
            yield f"step {index} client={client[:200]!r}\n  postfix={expected!r}\n  pyfix  ={got!r}"
    if dialogue.server_closed != result.closed:
        yield f"server closed: postfix={dialogue.server_closed} pyfix={result.closed}"
