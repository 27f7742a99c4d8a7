"""Drive an SmtpServer in tests: feed input in different ways, collect output."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pyfix.smtp.events import (
    NEED_DATA,
    PAUSED,
    Closed,
    Event,
    LogMessage,
    MessageData,
    Request,
)
from pyfix.smtp.policy import PermitPolicy, Policy
from pyfix.smtp.server import SmtpServer
from pyfix.smtp.session import ClientInfo
from pyfix.smtp.settings import ServerSettings

SETTINGS = ServerSettings(
    myhostname="mx.example.test",
    banner="mx.example.test ESMTP Postfix",
    error_sleep_time=0.0,
    forbid_unauth_pipelining=False,
)
CLIENT = ClientInfo("client.example", "192.0.2.10", "40000")


def settings(**changes: object) -> ServerSettings:
    return replace(SETTINGS, **changes)  # type: ignore[arg-type]


def server(policy: Policy | None = None, **changes: object) -> SmtpServer:
    return SmtpServer(settings(**changes), CLIENT, policy=policy or PermitPolicy())


@dataclass
class Run:
    output: bytes = b""
    events: list[Event] = field(default_factory=list)

    @property
    def content(self) -> bytes:
        """The message records, one line each, joined with CRLF."""
        lines: list[bytes] = []
        for event in self.events:
            if isinstance(event, MessageData):
                for record in event.records:
                    lines.append(record.data + (b"\r\n" if record.kind == "N" else b""))
        return b"".join(lines)

    @property
    def log(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, LogMessage)]

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


def pump(srv: SmtpServer, run: Run) -> None:
    while True:
        event = srv.next_event()
        if event is NEED_DATA or event is PAUSED:
            break
        run.events.append(event)
        if isinstance(event, Closed):
            break
    run.output += srv.data_to_send()


def feed(srv: SmtpServer, chunks: Iterable[bytes], *, eof: bool = True) -> Run:
    run = Run()
    pump(srv, run)
    for chunk in chunks:
        srv.receive_data(chunk)
        pump(srv, run)
    if eof:
        srv.receive_eof()
        pump(srv, run)
    return run


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def halves(data: bytes) -> list[bytes]:
    middle = len(data) // 2
    return [data[:middle], data[middle:]]


FEEDS = {"whole": whole, "bytewise": bytewise, "halves": halves}


def requests(run: Run) -> list[Request]:
    return [e for e in run.events if isinstance(e, Request)]
