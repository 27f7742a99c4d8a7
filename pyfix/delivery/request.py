"""NAME
    pyfix.delivery.request - what qmgr asks a delivery agent, and the answer

SUMMARY
    DeliveryRequest, RequestRecipient, RecipientResult, DeliveryResponse,
    read_message(), write_message(), call_agent(), AgentUnavailable

DESCRIPTION
    qmgr connects to $queue_directory/private/TRANSPORT and sends one
    DeliveryRequest; the agent delivers and sends one DeliveryResponse
    on the same connection, then closes it.  Each message is one line of
    JSON (UTF-8, surrogate escapes for non-UTF-8 address bytes) ending
    in a newline.  A connection that closes before the response means
    the agent died: qmgr defers the recipients ("unknown mail transport
    error"), so a crash can duplicate a delivery but never lose one.

    A request names the queue file (queue name and ID; the agent opens
    it itself) and carries what Postfix's deliver_request carries: the
    next hop, the envelope sender, DSN envelope ID and RET, the content
    encoding and SMTPUTF8 flag, the client attributes, the recipients
    with their queue-file offsets, the time stamps for the "delays="
    log field, and the request flags.

    The response has one RecipientResult per recipient that the agent
    handled (sent, deferred or bounced) and, when the whole destination
    failed (could not connect, every MX host down), site_failure with
    the reason: qmgr then throttles that destination.

    Parameters read: none.

DIAGNOSTICS
    ValueError for a malformed message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from dataclasses import dataclass, field, fields
from typing import Any, Final

from pyfix.delivery.dsn import Dsn

# Request flags (Postfix's DEL_REQ_FLAG_*), as far as pyfix uses them.
FLAG_MTA_VRFY: Final = 1 << 0  # address verification probe: do not deliver
FLAG_USR_VRFY: Final = 1 << 1  # sendmail -bv: report, do not deliver
FLAG_RECORD: Final = 1 << 2  # sendmail -v: record delivery in the trace log
FLAG_CONN_STORE: Final = 1 << 8
FLAG_BOUNCE_NONE: Final = 1 << 16  # never send a notice (double bounce)
TRACE_ONLY: Final = FLAG_MTA_VRFY | FLAG_USR_VRFY  # report, never deliver

# The queue file's trace_flags attribute holds Postfix's own bits
# (DEL_REQ_FLAG_MTA_VRFY, _USR_VRFY, _RECORD); qmgr turns them into the
# request flags above (request_flags()).
TRACE_MTA_VRFY: Final = 1 << 8  # verify(8) probe
TRACE_USR_VRFY: Final = 1 << 9  # sendmail -bv
TRACE_RECORD: Final = 1 << 10  # sendmail -v
_TRACE_TO_FLAGS: Final = ((TRACE_MTA_VRFY, FLAG_MTA_VRFY), (TRACE_USR_VRFY, FLAG_USR_VRFY),
                          (TRACE_RECORD, FLAG_RECORD))

MAX_LINE: Final = 64 * 1024 * 1024


def request_flags(trace_flags: str | None) -> int:
    """The request flags for a queue file's trace_flags attribute."""
    try:
        bits = int(trace_flags or "0")
    except ValueError:
        return 0
    return sum(flag for trace, flag in _TRACE_TO_FLAGS if bits & trace)


@dataclass
class RequestRecipient:
    address: str
    orig_address: str = ""
    offset: int = 0  # of the recipient record in the queue file
    dsn_orcpt: str = ""
    dsn_notify: int = 0


@dataclass
class DeliveryRequest:
    queue_name: str
    queue_id: str
    transport: str
    nexthop: str
    sender: str
    recipients: list[RequestRecipient]
    arrival_time: float = 0.0  # message arrival (incoming)
    active_time: float = 0.0  # when qmgr moved it into the active queue
    handoff_time: float = 0.0  # when qmgr sent this request
    data_offset: int = 0  # content start
    data_size: int = 0  # content size, as the size record says
    dsn_envid: str = ""
    dsn_ret: int = 0
    encoding: str = ""  # "7bit", "8bit" or ""
    smtputf8: int = 0
    flags: int = 0
    client: dict[str, str] = field(default_factory=dict)  # name, addr, helo, protocol...
    attributes: dict[str, str] = field(default_factory=dict)  # sasl_*, log_ident...

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _REQUEST_FIELDS}
        data["recipients"] = [r.__dict__ for r in self.recipients]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryRequest:
        try:
            recipients = [RequestRecipient(**item) for item in data.pop("recipients")]
            return cls(recipients=recipients, **data)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed delivery request: {exc}") from None


_REQUEST_FIELDS = tuple(f.name for f in fields(DeliveryRequest))


@dataclass
class RecipientResult:
    offset: int  # identifies the recipient in the request
    address: str
    status: str  # "sent", "deferred", "bounced"
    dsn: Dsn

    def to_json(self) -> dict[str, Any]:
        return {"offset": self.offset, "address": self.address,
                "status": self.status, "dsn": self.dsn.to_dict()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecipientResult:
        try:
            return cls(int(data["offset"]), str(data["address"]), str(data["status"]),
                       Dsn.from_dict(data["dsn"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed delivery result: {exc}") from None


@dataclass
class DeliveryResponse:
    results: list[RecipientResult] = field(default_factory=list)
    site_failure: str = ""  # non-empty: the destination as a whole failed

    def to_json(self) -> dict[str, Any]:
        return {"results": [r.to_json() for r in self.results],
                "site_failure": self.site_failure}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeliveryResponse:
        try:
            return cls([RecipientResult.from_json(r) for r in data["results"]],
                       str(data.get("site_failure", "")))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed delivery response: {exc}") from None


def encode(data: dict[str, Any]) -> bytes:
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        data = json.loads(line.decode("utf-8", "surrogateescape"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed message: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("malformed message: not an object")
    return data


async def read_message(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """One message, or None at end of file."""
    line = await reader.readline()
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise ValueError("malformed message: truncated")
    return decode(line)


async def write_message(writer: asyncio.StreamWriter, data: dict[str, Any]) -> None:
    writer.write(encode(data))
    await writer.drain()


class AgentUnavailable(Exception):
    """The agent's socket could not be reached; str() is the reason."""


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _connect(private_dir: str, transport: str) -> Connection:
    path = os.path.join(private_dir, transport)
    try:
        return await asyncio.open_unix_connection(path, limit=MAX_LINE)
    except OSError as exc:
        raise AgentUnavailable(f"connect to transport private/{transport}: "
                               f"{exc.strerror or exc}") from None


async def _exchange(connection: Connection, request: DeliveryRequest) -> DeliveryResponse | None:
    """One request and its response; None when the agent went away."""
    reader, writer = connection
    try:
        await write_message(writer, request.to_json())
        data = await read_message(reader)
        return DeliveryResponse.from_json(data) if data is not None else None
    except (OSError, ValueError):
        return None


def _close(connection: Connection) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        connection[1].close()


async def call_agent(private_dir: str, transport: str,
                     request: DeliveryRequest) -> DeliveryResponse:
    """Send request to private/TRANSPORT over a new connection and wait for
    the response.  AgentUnavailable when the socket cannot be reached; an
    empty response when the agent goes away without answering (its
    recipients are then deferred by the caller)."""
    connection = await _connect(private_dir, transport)
    try:
        return await _exchange(connection, request) or DeliveryResponse()
    finally:
        _close(connection)


class AgentConnections:
    """qmgr's connections to the delivery agents, kept between requests as
    Postfix's qmgr keeps them: a connection goes back to its transport's
    idle list after each answer; one the agent has closed meanwhile (it
    was restarted or reloaded) is dropped before use."""

    def __init__(self, private_dir: str) -> None:
        self.private_dir = private_dir
        self.idle: dict[str, list[Connection]] = {}

    def _take(self, transport: str) -> Connection | None:
        idle = self.idle.get(transport)
        while idle:
            connection = idle.pop()
            if not connection[0].at_eof() and not connection[1].is_closing():
                return connection
            _close(connection)
        return None

    async def call(self, transport: str, request: DeliveryRequest) -> DeliveryResponse:
        """As call_agent(), over a kept connection when there is one."""
        connection = self._take(transport) or await _connect(self.private_dir, transport)
        response = await _exchange(connection, request)
        if response is None:
            _close(connection)
            return DeliveryResponse()
        self.idle.setdefault(transport, []).append(connection)
        return response

    def close(self) -> None:
        for idle in self.idle.values():
            for connection in idle:
                _close(connection)
        self.idle.clear()
