"""Replay recorded real-Postfix SMTP dialogues against pyfix's SMTP core.

tests/golden/smtp/expected/NAME.json holds, per dialogue, the profile
(postfix/main.cf + profiles/P.cf), the client bytes of each step and the
bytes real Postfix 3.7 smtpd replied, and smtpd's log lines.  replay()
builds the same settings from the same main.cf text through pyfix's
configuration engine, feeds the same client bytes and collects pyfix's
replies and log lines for comparison.

What differs on purpose: queue IDs (both sides use @QUEUEID@), and log
lines that pyfix's shell or policy code writes rather than the protocol
core (the "QUEUEID: client=..." line of the cleanup connection, and the
ETRN flush service's warnings).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
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
    MessageData,
    RcptTo,
    Request,
    Timeout,
)
from pyfix.smtp.policy import PermitPolicy, decide
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer, State
from pyfix.smtp.session import ClientInfo, Session
from pyfix.smtp.settings import ServerSettings

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "smtp"
EXPECTED = GOLDEN / "expected"
QUEUE_ID = "@QUEUEID@"
CLIENT = ClientInfo("localhost", "127.0.0.1", "54321")
CLIENT_ADDR = ipaddress.ip_address("127.0.0.1")

# Log lines that come from outside the protocol core.
NOT_CORE_LOG = (
    re.compile(r"^\S+: client=\S+$"),  # cleanup connection (the shell)
    re.compile(r"^warning: reject: ETRN "),  # the flush service
    re.compile(r"^\S+: reject: \S+ from \S+: \d{3} \d\.\d\.\d <.*(rejected|denied)"),  # restrictions
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
    """What the recording instance's restrictions and services decided.

    The profiles use Postfix restrictions with fixed outcomes (reject,
    an inline access map, body_checks); this mimics them so that the
    core's handling of each verdict can be compared.
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.early = not config.get_bool("smtpd_delay_reject")
        self.client_reject = self.early and config.get("smtpd_client_restrictions") == "reject"
        self.helo_access = "bad.example=REJECT" in config.get("smtpd_helo_restrictions")
        self.data_reject = config.get("smtpd_data_restrictions") == "reject"
        self.eod_reject = config.get("smtpd_end_of_data_restrictions") == "reject"
        self.body_checks = "REJECTME" in config.get("body_checks")
        self.content: list[bytes] = []

    def check_connect(self, session: Session) -> Reply | None:
        if self.client_reject:
            text = f"<{session.client.namaddr}>: Client host rejected: Access denied"
            return Reply(554, "5.7.1", text)
        return None

    def check_helo(self, session: Session, request: Helo | Ehlo) -> Reply | None:
        if self.early and self.helo_access and request.name == "bad.example":
            return Reply(554, "5.7.1", f"<{request.name}>: Helo command rejected: Access denied")
        return None

    def check_rcpt(self, session: Session, request: RcptTo) -> Reply | None:
        # reject_unauth_destination refuses routed addresses (u%v@dom).
        address = request.address
        at = address.rfind("@")
        if at > 0:
            cut = min((address.find(ch) for ch in "@!%" if ch in address), default=at)
            if address[cut + 1 :] != address[at + 1 :]:
                return Reply(554, "5.7.1", f"<{request.raw.strip('<>')}>: Relay access denied")
        # The first accepted recipient opens the queue file (its ID is logged).
        if session.mail.queue_id is None:
            session.mail.queue_id = QUEUE_ID
        return None

    def check_data(self, session: Session, request: Data | Bdat) -> Reply | None:
        if self.data_reject:
            return Reply(554, "5.7.1", "<DATA>: Data command rejected: Access denied")
        return None

    def check_end_of_data(self, session: Session, request: EndOfData) -> Reply | None:
        if self.eod_reject:
            self.content.clear()
            return Reply(554, "5.7.1", "<END-OF-MESSAGE>: End-of-data rejected: Access denied")
        return None

    def check_etrn(self, session: Session, request: Etrn) -> Reply | None:
        # fast_flush_domains = $relay_domains matches domains, not literals.
        if request.domain.startswith("["):
            return Reply(459, "", f"<{request.domain}>: service unavailable")
        return None

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
