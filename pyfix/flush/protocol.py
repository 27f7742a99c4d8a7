"""NAME
    pyfix.flush.protocol - the wire format between flush(8) and its clients

SUMMARY
    flush_request(), encode_request(), parse_request(), status_line(),
    FLUSH_STAT_*, FLUSH_REQ_*

DESCRIPTION
    The flush service answers every connection with the greeting
    {"protocol": "flush"} on one line.  The client then sends one
    request as a JSON object on one line, and the server answers
    {"status": N} and closes the connection.

    The requests and status codes are Postfix's (global/flush_clnt.h):
    "add" (site, queue_id), "send_site" (site), "send_file" (queue_id),
    "rfrsh" and "purge"; FLUSH_STAT_OK 0, FLUSH_STAT_FAIL -1 (also what
    a client reports when the server cannot be reached or answers
    nonsense), FLUSH_STAT_BAD 3 (invalid request parameter) and
    FLUSH_STAT_DENY 4 (the site is not eligible).  A client that sends
    just "W" (with or without a null byte, no newline), as a trigger
    does, asks for a refresh, as with Postfix's master wakeup.

    Parameters read: none; flush_request() gets the queue directory and
    service name from its caller.

DIAGNOSTICS
    flush_request() returns FLUSH_STAT_FAIL when the service is down,
    after the warning "connect to public/flush: ERROR" (or "write/read
    public/flush: ERROR"), as Postfix's mail_command_client();
    parse_request() returns None for a request it cannot read.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Final

FLUSH_STAT_FAIL: Final = -1
FLUSH_STAT_OK: Final = 0
FLUSH_STAT_BAD: Final = 3
FLUSH_STAT_DENY: Final = 4

FLUSH_REQ_ADD: Final = "add"
FLUSH_REQ_SEND_SITE: Final = "send_site"
FLUSH_REQ_SEND_FILE: Final = "send_file"
FLUSH_REQ_REFRESH: Final = "rfrsh"
FLUSH_REQ_PURGE: Final = "purge"

PROTOCOL_LINE: Final = b'{"protocol": "flush"}\n'
WAKEUP_REQUESTS: Final = (b"W", b"W\0")
MAX_LINE: Final = 4096

# request name -> the string attributes it must carry
REQUEST_ATTRS: Final[dict[str, tuple[str, ...]]] = {
    FLUSH_REQ_ADD: ("site", "queue_id"),
    FLUSH_REQ_SEND_SITE: ("site",),
    FLUSH_REQ_SEND_FILE: ("queue_id",),
    FLUSH_REQ_REFRESH: (),
    FLUSH_REQ_PURGE: (),
}


def encode_request(request: str, **attrs: str) -> bytes:
    return json.dumps({"request": request, **attrs}, ensure_ascii=True).encode() + b"\n"


def parse_request(line: bytes) -> tuple[str, dict[str, str]] | None:
    """(request, attributes) from a client's line; None when it is malformed."""
    if line in WAKEUP_REQUESTS:
        return FLUSH_REQ_REFRESH, {}
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    request = data.get("request")
    if not isinstance(request, str) or request not in REQUEST_ATTRS:
        return None
    attrs: dict[str, str] = {}
    for name in REQUEST_ATTRS[request]:
        value = data.get(name)
        if not isinstance(value, str):
            return None
        attrs[name] = value
    return request, attrs


def status_line(status: int) -> bytes:
    return json.dumps({"status": status}).encode() + b"\n"


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < MAX_LINE:
        chunk = sock.recv(MAX_LINE)
        if not chunk:
            break
        data += chunk
    return data


def flush_request(queue_directory: str, service: str, request: str,
                  timeout: float = 60.0, warn: Callable[[str], None] | None = None,
                  **attrs: str) -> int:
    """Send one request to public/SERVICE; the server's status, or FLUSH_STAT_FAIL
    (with mail_command_client()'s warning "connect to public/SERVICE: ...")."""
    relative = f"public/{service}"
    complaint = ""
    status = FLUSH_STAT_FAIL
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(os.path.join(queue_directory, relative))
        except OSError as exc:
            complaint = f"connect to {relative}: {exc.strerror or exc}"
        else:
            try:
                if _read_line(sock) == PROTOCOL_LINE:
                    sock.sendall(encode_request(request, **attrs))
                    answer = json.loads(_read_line(sock))
                    value = answer.get("status") if isinstance(answer, dict) else None
                    status = value if isinstance(value, int) else FLUSH_STAT_FAIL
            except (OSError, ValueError) as exc:
                complaint = f"write/read {relative}: {getattr(exc, 'strerror', None) or exc}"
    if complaint and warn is not None:
        warn(complaint)
    return status
