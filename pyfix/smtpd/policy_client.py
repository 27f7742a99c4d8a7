"""NAME
    pyfix.smtpd.policy_client - the client side of Postfix's policy delegation protocol

SUMMARY
    PolicyEndpoint, parse_endpoint(), PolicyClient

DESCRIPTION
    A policy server (SMTPD_POLICY_README) reads requests made of
    "name=value" lines ended by an empty line, and answers in the same
    form with at least "action=...".  PolicyClient sends such requests
    to one server, "inet:host:port" or "unix:pathname"
    (relative to $queue_directory unless absolute), over connections that
    it keeps open between requests, as Postfix's smtpd does:

        timeout         the limit for connecting, writing the request,
                        and reading the answer, each
        max_idle        an idle connection is closed after this time
        max_ttl         a connection is not reused after this time
        request_limit   a connection is closed after this many requests
                        (0: no limit)
        try_limit       attempts per request before it fails
        retry_delay     the pause between two attempts

    One process serves many SMTP sessions at once, so a client keeps a
    pool of idle connections; a request takes one (or connects) and
    gives it back when the answer came.  A connection that the server
    closed while idle makes that attempt fail, as in Postfix; the next
    attempt connects afresh.

    parse_endpoint() reads check_policy_service's argument: a server
    name, or Postfix 3.x's "{ server, name=value, ... }" form whose
    names override the smtpd_policy_service_* defaults for that server:
    timeout, max_idle, max_ttl, request_limit, try_limit, retry_delay,
    default_action, policy_context ("{ name = value }" for a value with
    spaces).

    Parameters read (by the caller, as the defaults of PolicyEndpoint):
    smtpd_policy_service_timeout, smtpd_policy_service_max_idle,
    smtpd_policy_service_max_ttl, smtpd_policy_service_request_limit,
    smtpd_policy_service_try_limit, smtpd_policy_service_retry_delay,
    smtpd_policy_service_default_action,
    smtpd_policy_service_policy_context, queue_directory.

DIAGNOSTICS
    Postfix's warnings, through the caller's warn(): "connect to NAME:
    ERROR" for each failed connection, "missing attribute action in
    input from NAME" for an answer without action, and "problem talking
    to server NAME: ERROR" for a failed attempt (after a failure that
    only means a stale connection or a missing socket, only when it was
    the last attempt; "Application error" when the server closed the
    connection or gave no action).  PolicyClient.query() returns None
    when every attempt failed; the caller then uses default_action.
    parse_endpoint() raises PolicyConfigError, with the text of Postfix's
    fatal error, for a server that is not inet: or unix: and for a bad
    "{ ... }" form.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from pyfix.config.lists import extract_braces, split_list
from pyfix.config.store import Config
from pyfix.config.types import time_seconds

# Failures after which Postfix tries again without a warning: the server
# closed a kept connection, or its socket is not there (yet).
_QUIET_ERRNOS = (errno.EPIPE, errno.ECONNRESET, errno.ENOENT)
TIMED_OUT = os.strerror(errno.ETIMEDOUT)
APPLICATION_ERROR = "Application error"
# An answer longer than this is not a policy server's.
MAX_ANSWER = 100_000

Warn = Callable[[str], None]


class PolicyConfigError(Exception):
    """check_policy_service's argument cannot be used."""


@dataclass(frozen=True, slots=True)
class PolicyEndpoint:
    server: str  # as configured: inet:host:port, unix:path
    timeout: float = 100
    max_idle: float = 300
    max_ttl: float = 1000
    request_limit: int = 0
    try_limit: int = 2
    retry_delay: float = 1
    default_action: str = "451 4.3.5 Server configuration problem"
    policy_context: str = ""

    @property
    def unix(self) -> bool:
        return self.server.startswith("unix:")

    @property
    def name(self) -> str:
        """The server as Postfix's warnings name it (without inet:/unix:)."""
        return self.server.partition(":")[2]


def endpoint_defaults(config: Config) -> PolicyEndpoint:
    """PolicyEndpoint with main.cf's smtpd_policy_service_* values (no server)."""
    return PolicyEndpoint(
        "",
        timeout=config.get_time("smtpd_policy_service_timeout"),
        max_idle=config.get_time("smtpd_policy_service_max_idle"),
        max_ttl=config.get_time("smtpd_policy_service_max_ttl"),
        request_limit=config.get_int("smtpd_policy_service_request_limit"),
        try_limit=config.get_int("smtpd_policy_service_try_limit"),
        retry_delay=config.get_time("smtpd_policy_service_retry_delay"),
        default_action=config.get("smtpd_policy_service_default_action"),
        policy_context=config.get("smtpd_policy_service_policy_context"),
    )


# (sets: these are not main.cf parameters)
_TIMES = {"timeout", "max_idle", "max_ttl", "retry_delay"}
_COUNTS = {"request_limit", "try_limit"}
_TEXTS = {"default_action", "policy_context"}


def parse_endpoint(arg: str, defaults: PolicyEndpoint) -> PolicyEndpoint:
    """The endpoint that check_policy_service's argument names; errors in
    the words of Postfix's smtpd (which stops at start-up on them)."""
    if not arg.startswith("{"):
        return replace(defaults, server=_server(arg))
    inner, error = extract_braces(arg)
    if error is not None:
        raise PolicyConfigError(f"policy service syntax error: {arg[1:]}")
    words = split_list(inner)
    if not words:
        raise PolicyConfigError(f'need service transport:endpoint instead of "{inner}"')
    changes: dict[str, str | float | int] = {"server": _server(words[0])}
    for word in words[1:]:
        if word.startswith("{"):
            word, error = extract_braces(word)
            if error is not None:
                raise PolicyConfigError(f"policy service syntax error: {word}")
        name, sep, value = (part.strip() for part in word.partition("="))
        if not sep:
            raise PolicyConfigError(
                f"malformed option: missing '=' after attribute name: \"...{word}...\"")
        if name in _TIMES:
            seconds = time_seconds(value, "s")
            if seconds is None:
                raise PolicyConfigError(f"{name}: bad time value or unit: {value}")
            if seconds < 1:
                raise PolicyConfigError(f"invalid {name}: {seconds} (min 1)")
            changes[name] = seconds
        elif name in _COUNTS:
            if not value.lstrip("-").isdigit():
                raise PolicyConfigError(f"bad numerical configuration: {name} = {value}")
            minimum = 1 if name == "try_limit" else 0
            if int(value) < minimum:
                raise PolicyConfigError(
                    f"invalid {name} parameter value {int(value)} < {minimum}")
            changes[name] = int(value)
        elif name in _TEXTS:
            changes[name] = value
        else:
            raise PolicyConfigError(f'unknown option: "{name} = {value}"')
    return replace(defaults, **changes)  # type: ignore[arg-type]


def _server(word: str) -> str:
    """inet:host:port or unix:pathname."""
    transport, sep, endpoint = word.partition(":")
    if not sep or not endpoint:
        raise PolicyConfigError(f'need service transport:endpoint instead of "{word}"')
    if transport not in ("inet", "unix"):
        raise PolicyConfigError(f"invalid transport name: {transport} in service: {word}")
    return word


def encode_request(attributes: Mapping[str, str]) -> bytes:
    """The request: one name=value line per attribute, then an empty line."""
    text = "".join(f"{name}={value}\n" for name, value in attributes.items()) + "\n"
    return text.encode("utf-8", "surrogateescape")


def _strerror(exc: OSError) -> str:
    """The system's text for the error, as Postfix's %m gives it."""
    return os.strerror(exc.errno) if exc.errno else str(exc)


class _AttemptFailed(Exception):
    def __init__(self, error: str | None, quiet: bool = False) -> None:
        super().__init__(error)
        self.error = error  # None: no system error (closed, no action)
        self.quiet = quiet or error is None


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    loop: asyncio.AbstractEventLoop
    opened: float
    used: float
    requests: int = 0
    timer: asyncio.TimerHandle | None = None  # max_idle, while idle

    def close(self) -> None:
        self.disarm()
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class PolicyClient:
    """Requests to one policy server (see the module docstring)."""

    def __init__(self, endpoint: PolicyEndpoint, queue_directory: str = "") -> None:
        self.endpoint = endpoint
        path = endpoint.server.partition(":")[2]
        self.path = path if not endpoint.unix or os.path.isabs(path) \
            else os.path.join(queue_directory, path)
        self.idle: list[_Connection] = []

    async def query(self, attributes: Mapping[str, str],
                    warn: Warn) -> dict[str, str] | None:
        """The server's answer (with "action"), or None when every attempt failed."""
        ep = self.endpoint
        payload = encode_request(attributes)
        for attempt in range(1, ep.try_limit + 1):
            conn: _Connection | None = None
            try:
                conn = await self._connection(warn)
                answer = await self._exchange(conn, payload, warn)
            except asyncio.CancelledError:  # the session went away meanwhile
                if conn is not None:
                    conn.close()
                raise
            except _AttemptFailed as failed:
                if conn is not None:
                    conn.close()
                last = attempt == ep.try_limit
                if last or not failed.quiet:
                    warn(f"problem talking to server {ep.name}: "
                         f"{failed.error or APPLICATION_ERROR}")
                if last:
                    return None
                await asyncio.sleep(ep.retry_delay)
                continue
            self._release(conn)
            return answer
        return None

    async def _connection(self, warn: Warn) -> _Connection:
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            conn.disarm()
            if conn.loop is loop and now - conn.opened < self.endpoint.max_ttl \
                    and now - conn.used < self.endpoint.max_idle:
                if conn.reader.at_eof():  # closed by the server while idle
                    conn.close()
                    raise _AttemptFailed(None)
                return conn
            if conn.loop is loop or conn.loop.is_closed():
                conn.close()
        try:
            if self.endpoint.unix:
                opening = asyncio.open_unix_connection(self.path)
            else:
                host, _, port = self.endpoint.name.rpartition(":")
                opening = asyncio.open_connection(host.strip("[]") or "localhost", port)
            reader, writer = await asyncio.wait_for(opening, self.endpoint.timeout)
        except TimeoutError:
            warn(f"connect to {self.endpoint.name}: {TIMED_OUT}")
            raise _AttemptFailed(TIMED_OUT) from None
        except OSError as exc:
            text = _strerror(exc)
            warn(f"connect to {self.endpoint.name}: {text}")
            raise _AttemptFailed(text, exc.errno in _QUIET_ERRNOS) from None
        return _Connection(reader, writer, loop, now, now)

    async def _exchange(self, conn: _Connection, payload: bytes,
                        warn: Warn) -> dict[str, str]:
        timeout = self.endpoint.timeout
        try:
            conn.writer.write(payload)
            await asyncio.wait_for(conn.writer.drain(), timeout)
            answer: dict[str, str] = {}
            size = 0
            while True:
                line = await asyncio.wait_for(conn.reader.readline(), timeout)
                size += len(line)
                if not line.endswith(b"\n") or size > MAX_ANSWER:
                    raise _AttemptFailed(None)  # closed (or not a policy server)
                text = line.decode("utf-8", "surrogateescape").rstrip("\r\n")
                if not text:
                    break
                name, _, value = text.partition("=")
                answer[name] = value
        except TimeoutError:
            raise _AttemptFailed(TIMED_OUT) from None
        except ValueError:  # a line longer than the reader's limit
            raise _AttemptFailed(None) from None
        except OSError as exc:
            raise _AttemptFailed(_strerror(exc),
                                 exc.errno in _QUIET_ERRNOS) from None
        if "action" not in answer:
            warn(f"missing attribute action in input from {self.endpoint.name}")
            raise _AttemptFailed(None)
        return answer

    def _release(self, conn: _Connection) -> None:
        conn.requests += 1
        conn.used = time.monotonic()
        limit = self.endpoint.request_limit
        if (limit and conn.requests >= limit) or \
                conn.used - conn.opened >= self.endpoint.max_ttl:
            conn.close()
            return
        self.idle.append(conn)
        conn.timer = conn.loop.call_later(self.endpoint.max_idle, self._expire, conn)

    def _expire(self, conn: _Connection) -> None:
        """max_idle: close a connection that nobody took since."""
        conn.timer = None
        if any(c is conn for c in self.idle):
            self.idle.remove(conn)
            conn.close()

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()
