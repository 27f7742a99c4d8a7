"""NAME
    pyfix.verify.service - the verify(8) address verification service

SUMMARY
    serve(), VerifyServer, ProbeSender

DESCRIPTION
    Entry point that the master calls for the master.cf "verify"
    service ("verify unix - - n - 1 verify", socket private/verify).
    It answers the requests of protocol.py from the cache of cache.py:

    query ADDRESS     the cached status and text; when the address is
                      unknown, expired or due for a refresh, a probe is
                      sent right after the reply (see cache.py);
    update ADDRESS STATUS TEXT
                      a delivery agent's report about a probe.

    A probe is a message from $address_verify_sender (the null sender
    when that is empty or "<>") to ADDRESS, written through the cleanup
    library with trace_flags=256 (Postfix's DEL_REQ_FLAG_MTA_VRFY) and
    the content "Received: by $myhostname ($mail_name) id QUEUEID; DATE"
    and "Subject: probe" (cleanup adds the other headers).  qmgr hands it to the delivery agent
    that the address resolves to; the agent does everything except the
    delivery, reports here (update) and logs "status=deliverable" or
    "status=undeliverable", and the probe is removed from the queue
    without a bounce.

    The cache is opened after privileges are dropped, so that it belongs
    to $mail_owner, as with Postfix 2.5 and later.  Every
    $address_verify_cache_cleanup_interval (0: never) the expired
    entries are removed: "cache TYPE:NAME full cleanup: retained=N
    dropped=N entries".

    Parameters read: address_verify_map, address_verify_sender,
    myhostname, mail_name,
    address_verify_cache_cleanup_interval, and those of cache.py and of
    the cleanup library.

DIAGNOSTICS
    Configuration errors are fatal (the process ends with status 1).  A
    cache that cannot be read or written is logged as a warning and the
    request answered VRFY_STAT_FAIL (smtpd then logs "verify service
    failure").  A probe that cannot be queued is logged as a warning
    ("probe for ADDRESS: ..."), and the next query sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from pyfix.cleanup.missing import mail_date
from pyfix.cleanup.origin import Origin
from pyfix.cleanup.service import CleanupService
from pyfix.cleanup.status import CLEANUP_FLAG_MASK_INTERNAL
from pyfix.config.store import Config, ExpansionError
from pyfix.delivery.request import TRACE_MTA_VRFY, read_message, write_message
from pyfix.log.printable import printable
from pyfix.master.runtime import preload, serve_unix
from pyfix.queue.errors import QueueError
from pyfix.tables.base import TableError, TableOpenError
from pyfix.verify.cache import CachePolicy, VerifyCache, open_cache
from pyfix.verify.protocol import (
    ADDR_STATUSES,
    QUERY,
    UPDATE,
    VRFY_STAT_BAD,
    VRFY_STAT_FAIL,
    VRFY_STAT_OK,
    VerifyReply,
)

if TYPE_CHECKING:
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

REQUEST_TIMEOUT = 60.0
PROBE_CONTENT = (b"Subject: probe", b"")


def probe_sender(config: Config) -> str:
    sender = config.get("address_verify_sender").strip()
    return "" if sender in ("", "<>") else sender


class ProbeSender:
    """Queues probe messages through the cleanup library."""

    def __init__(self, config: Config, log: MailLog) -> None:
        self.sender = probe_sender(config)
        self.myhostname = config.get("myhostname")
        self.mail_name = config.get("mail_name")
        self.cleanup = CleanupService.for_client(config)
        self.cleanup.log.prepare()
        self.log = log

    def send(self, address: str) -> bool:
        try:
            stream = self.cleanup.open(self.sender, CLEANUP_FLAG_MASK_INTERNAL,
                                       origin=Origin(trace_flags=TRACE_MTA_VRFY))
            with stream:
                stream.add_recipient(address)
                # the Received: header of mail that Postfix itself posts
                stream.write_line(f"Received: by {self.myhostname} ({self.mail_name})".encode())
                stream.write_line(f"\tid {stream.queue_id}; {mail_date(time.time())}".encode())
                for line in PROBE_CONTENT:
                    stream.write_line(line)
                result = stream.close()
        except (OSError, QueueError) as exc:
            self.log.warn(f"probe for {printable(address)}: cannot create queue file: {exc}")
            return False
        if not result.ok:
            self.log.warn(f"probe for {printable(address)}: {result.reply or result.status}")
        return result.ok


class VerifyServer:
    def __init__(self, config: Config, log: MailLog, probes: ProbeSender) -> None:
        self.config = config
        self.log = log
        self.probes = probes
        self.spec = config.get("address_verify_map")
        self.policy = CachePolicy.from_config(config)
        self.cleanup_interval = config.get_time("address_verify_cache_cleanup_interval")
        self.cache: VerifyCache | None = None

    def open(self) -> None:
        """Open the cache (after privileges are dropped)."""
        self.cache = VerifyCache(open_cache(self.spec), self.policy, self.log.warn)

    def handle(self, data: dict[str, object]) -> tuple[VerifyReply, str | None]:
        """The reply, and the address to probe once the reply is sent."""
        request, address = data.get("request"), data.get("address")
        if not isinstance(address, str):
            return VerifyReply(VRFY_STAT_BAD), None
        now = int(time.time())
        if request == QUERY:
            assert self.cache is not None
            answer = self.cache.query(address, now)
            return (VerifyReply(VRFY_STAT_OK, answer.status, answer.text),
                    address if answer.probe else None)
        if request == UPDATE:
            status, text = data.get("status"), data.get("text")
            if not isinstance(status, int) or status not in ADDR_STATUSES \
                    or not isinstance(text, str):
                return VerifyReply(VRFY_STAT_BAD), None
            assert self.cache is not None
            self.cache.update(address, status, text, now)
            return VerifyReply(VRFY_STAT_OK, status, text), None
        return VerifyReply(VRFY_STAT_BAD), None

    def probe_failed(self, address: str) -> None:
        """The next query for address tries again."""
        try:
            if self.cache is not None:
                self.cache.unprobe(address)
        except TableError as exc:
            self.log.warn(f"{self.spec}: {exc}")

    def cleanup(self) -> None:
        if self.cache is None or self.cleanup_interval <= 0:
            return
        now = int(time.time())
        try:
            if self.cache.last_cleanup() + self.cleanup_interval > now:
                return
            retained, dropped = self.cache.cleanup(now)
        except TableError as exc:
            self.log.warn(f"cache {self.spec}: cleanup: {exc}")
            return
        if self.spec.strip():  # (the in-memory cache is cleaned up silently)
            self.log.info(f"cache {self.spec} full cleanup: retained={retained} "
                          f"dropped={dropped} entries")

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await asyncio.wait_for(read_message(reader), REQUEST_TIMEOUT)
                if data is None:
                    break
                probe = None
                try:
                    reply, probe = self.handle(data)
                except TableError as exc:
                    self.log.warn(f"{self.spec}: {exc}")
                    reply = VerifyReply(VRFY_STAT_FAIL)
                await write_message(writer, reply.to_json())
                if probe is not None and not self.probes.send(probe):  # after the reply
                    self.probe_failed(probe)
        except (TimeoutError, OSError, ConnectionError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError, ConnectionError):
                writer.close()
                await writer.wait_closed()


def serve(ctx: ServiceContext) -> None:
    try:
        server = VerifyServer(ctx.config, ctx.log, ProbeSender(ctx.config, ctx.log))
    except (ExpansionError, ValueError) as exc:
        ctx.log.fatal(str(exc))
        raise SystemExit(1) from None
    ctx.log.prepare()
    preload()
    ctx.drop_privileges()
    try:
        server.open()
    except (TableOpenError, TableError, ValueError) as exc:
        ctx.log.fatal(f"open {server.spec}: {exc}")
        raise SystemExit(1) from None
    server.cleanup()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(serve_unix(ctx.listeners, server.client,
                                           server.cleanup_interval, server.cleanup))
    finally:
        loop.close()
