"""NAME
    pyfix.delivery.smtp.session - one connection to an SMTP or LMTP server

SUMMARY
    Session, SessionError, ConnectFailure, open_session()

DESCRIPTION
    The asyncio shell around the sans-I/O SmtpClient (pyfix.smtp.client):
    it connects (TCP, optionally from smtp_bind_address, or a UNIX-domain
    socket for LMTP), writes what the client core produces and feeds it
    what the server sends, with the time limit that Postfix applies to
    each command's reply (smtp_helo_timeout for the greeting and
    EHLO/HELO, smtp_mail_timeout, smtp_rcpt_timeout,
    smtp_data_init_timeout, smtp_data_xfer_timeout for the content,
    smtp_data_done_timeout, smtp_rset_timeout, smtp_quit_timeout).

    A Session also remembers what the server offered (features), how
    often it was used (reuse_count, for "conn_use=N"), and when it was
    made, for the connection cache.

    Parameters read: none (see settings.py).

DIAGNOSTICS
    ConnectFailure with Postfix's "connect to host[addr]:port: reason"
    text; SessionError ("eof" or "timeout", and the "while ..." text of
    the command that was waiting).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from pyfix.delivery.smtp.nexthop import Target
from pyfix.delivery.smtp.settings import SmtpSettings
from pyfix.smtp.client import (
    Command,
    ConnectionClosed,
    Data,
    EndOfData,
    MailFrom,
    Message,
    Quit,
    RcptTo,
    Response,
    Rset,
    SmtpClient,
)
from pyfix.smtp.client_reply import ServerFeatures

READ_SIZE = 65536

TIMEOUT_OF: dict[type[Command], str] = {
    MailFrom: "mail", RcptTo: "rcpt", Data: "data_init", EndOfData: "data_done",
    Rset: "rset", Quit: "quit", Message: "data_xfer",
}


class ConnectFailure(Exception):
    pass


class SessionError(Exception):
    def __init__(self, kind: str, where: str) -> None:
        super().__init__(f"{kind} while {where}")
        self.kind = kind  # "eof" or "timeout"
        self.where = where


class Session:
    def __init__(self, target: Target, settings: SmtpSettings, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.target = target
        self.settings = settings
        self.reader = reader
        self.writer = writer
        self.client = SmtpClient(lmtp=settings.lmtp, line_limit=settings.line_limit)
        self.features = ServerFeatures()
        self.best_mx = False
        self.reuse_count = 0
        self.created = time.monotonic()
        self.cacheable = True
        self.broken = False  # lost or timed out: close without QUIT
        self.cache_key = ""  # the destination it serves, for the connection cache

    def timeout_for(self, command: Command) -> float | None:
        name = TIMEOUT_OF.get(type(command), "helo")
        value = self.settings.timeouts[name]
        return float(value) if value > 0 else None

    async def send(self, commands: list[Command]) -> None:
        if not commands:
            return
        data = self.client.send_all(commands)
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.timeout_for(commands[-1]))
        except TimeoutError:
            raise SessionError("timeout", commands[-1].where) from None
        except OSError:
            raise SessionError("eof", commands[-1].where) from None

    async def send_content(self, lines: list[bytes]) -> None:
        message = Message(tuple(lines), self.settings.smtp_line_limit)
        await self.send([message])

    async def response(self) -> Response:
        command = self.client.awaiting
        assert command is not None
        timeout = self.timeout_for(command)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            event = self.client.next_event()
            if isinstance(event, Response):
                return event
            if isinstance(event, ConnectionClosed):
                self.cacheable = False
                raise SessionError("eof", command.where)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                data = await asyncio.wait_for(self.reader.read(READ_SIZE), remaining)
            except TimeoutError:
                self.cacheable = False
                raise SessionError("timeout", command.where) from None
            except OSError:
                data = b""
            self.client.receive_data(data)

    async def quit(self) -> None:
        """QUIT, and its reply unless smtp_skip_quit_response; errors are ignored."""
        with contextlib.suppress(SessionError, OSError, ValueError, Exception):
            await self.send([Quit()])
            if not self.settings.skip_quit_response:
                await self.response()
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):
            self.writer.close()

    @property
    def alive(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()


async def open_session(target: Target, settings: SmtpSettings, unix_path: str = "") -> Session:
    timeout = float(settings.timeouts["connect"]) or None
    try:
        if unix_path:
            opener = asyncio.open_unix_connection(unix_path, limit=READ_SIZE)
        else:
            bind = settings.bind_address6 if ":" in target.addr else settings.bind_address
            local = (bind, 0) if bind else None
            opener = asyncio.open_connection(target.addr, target.port, local_addr=local,
                                             limit=READ_SIZE)
        reader, writer = await asyncio.wait_for(opener, timeout)
    except TimeoutError:
        raise ConnectFailure(f"connect to {target.namaddrport}: "
                             f"{os.strerror(110)}") from None
    except OSError as exc:
        text = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
        raise ConnectFailure(f"connect to {target.namaddrport}: {text}") from None
    return Session(target, settings, reader, writer)
