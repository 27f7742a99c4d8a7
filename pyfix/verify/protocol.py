"""NAME
    pyfix.verify.protocol - talk to the verify(8) service

SUMMARY
    VerifyReply, verify_query(), verify_update(), DEL_RCPT_STAT_*,
    VRFY_STAT_*, QUERY, UPDATE

DESCRIPTION
    A client connects to $queue_directory/private/$address_verify_service_name
    and sends one request per line, as a JSON object (the framing of
    pyfix.delivery.request): {"request": "query", "address": A} or
    {"request": "update", "address": A, "status": S, "text": T}.  The
    service answers each with {"status": V, "addr_status": S, "text": T}.

    V is the request status: VRFY_STAT_OK, VRFY_STAT_FAIL (the service
    could not do it, for example a cache error) or VRFY_STAT_BAD (a
    malformed request).  S is the address status, with Postfix's values:

        DEL_RCPT_STAT_OK      0  deliverable
        DEL_RCPT_STAT_DEFER   1  the probe was deferred (undeliverable now)
        DEL_RCPT_STAT_BOUNCE  2  the probe bounced
        DEL_RCPT_STAT_TODO    3  a probe is in progress

    verify_query() is a coroutine (smtpd waits for it); verify_update()
    is a plain call, for the delivery agents that report a probe.  A
    service that cannot be reached gives VerifyReply(VRFY_STAT_FAIL).

    Parameters read: none (callers pass queue_directory and
    address_verify_service_name).

DIAGNOSTICS
    None: failures are a VRFY_STAT_FAIL reply, which the caller logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass
from typing import Any, Final

from pyfix.delivery.request import decode, encode, read_message, write_message

DEL_RCPT_STAT_OK: Final = 0
DEL_RCPT_STAT_DEFER: Final = 1
DEL_RCPT_STAT_BOUNCE: Final = 2
DEL_RCPT_STAT_TODO: Final = 3
ADDR_STATUSES: Final = frozenset({DEL_RCPT_STAT_OK, DEL_RCPT_STAT_DEFER, DEL_RCPT_STAT_BOUNCE,
                                  DEL_RCPT_STAT_TODO})

VRFY_STAT_OK: Final = 0
VRFY_STAT_FAIL: Final = -1
VRFY_STAT_BAD: Final = -2

QUERY: Final = "query"
UPDATE: Final = "update"
TIMEOUT: Final = 10.0


@dataclass(frozen=True, slots=True)
class VerifyReply:
    status: int
    addr_status: int = DEL_RCPT_STAT_TODO
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "addr_status": self.addr_status, "text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerifyReply:
        try:
            return cls(int(data["status"]), int(data["addr_status"]), str(data["text"]))
        except (KeyError, TypeError, ValueError):
            return cls(VRFY_STAT_FAIL)


def service_path(queue_directory: str, service: str) -> str:
    return os.path.join(queue_directory, "private", service)


async def verify_query(queue_directory: str, service: str, address: str,
                       timeout: float = TIMEOUT) -> VerifyReply:
    """The service's status for address (it sends a probe when needed)."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_unix_connection(
                service_path(queue_directory, service))
            await write_message(writer, {"request": QUERY, "address": address})
            data = await read_message(reader)
    except (OSError, TimeoutError, ValueError):
        return VerifyReply(VRFY_STAT_FAIL)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return VerifyReply(VRFY_STAT_FAIL) if data is None else VerifyReply.from_json(data)


def verify_update(queue_directory: str, service: str, address: str, addr_status: int,
                  text: str, timeout: float = TIMEOUT) -> int:
    """Report a probe's outcome; returns the request status."""
    request = encode({"request": UPDATE, "address": address, "status": addr_status,
                      "text": text})
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(service_path(queue_directory, service))
            sock.sendall(request)
            with sock.makefile("rb") as stream:
                line = stream.readline()
        return VerifyReply.from_json(decode(line)).status if line else VRFY_STAT_FAIL
    except (OSError, ValueError):
        return VRFY_STAT_FAIL
