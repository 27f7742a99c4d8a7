"""NAME
    pyfix.delivery.agent - the service shell that every delivery agent shares

SUMMARY
    serve_agent(), Agent, Delivery, format_delay(), delivery_log_line()

DESCRIPTION
    A delivery agent module (local, virtual, smtp, lmtp, pipe, error,
    discard) provides an Agent: an object made before root privileges
    are dropped (so it can open its tables and logs) whose async
    deliver(delivery) delivers one DeliveryRequest.  serve_agent() runs
    it: it accepts qmgr's connections on the inherited listener, reads
    one request per connection, opens the queue file with a shared lock,
    calls the agent and writes the DeliveryResponse.

    The agent reports each recipient with Delivery.sent(), defer() or
    bounce(), as Postfix's agents call sent(), defer_append() and
    bounce_append().  Each call:
    - logs "QUEUEID: to=<...>, orig_to=<...>, relay=..., delay=...,
      delays=a/b/c/d, dsn=X.Y.Z, status=sent|deferred|bounced (reason)"
      with Postfix's number formatting (format_tv(): two significant
      digits, at most $delay_logging_resolution_limit decimals);
    - sent: appends a "delivered" entry to the trace log when the
      recipient asked for DSN SUCCESS notification or the request has
      FLAG_RECORD, then marks the recipient done in the queue file;
    - bounce: appends to the bounce log, then marks the recipient done;
    - defer: appends to the defer log; the recipient stays to do; and,
      as Postfix's defer_append(), the queue ID is added to the
      fast-flush log of the recipient's domain (pyfix.flush) when
      flush_init() was called in this process (AgentShell does).
    A trace-only request (a verify(8) probe, sendmail -bv) is reported
    instead (delivery/verify.py): "status=deliverable" for sent,
    "status=undeliverable" for bounce and defer; the recipient is done
    either way, so that a probe is neither retried nor bounced.
    If the bounce or defer log cannot be written, the recipient stays
    in the queue for a later attempt (nothing is lost).  An agent that
    runs as root (local, virtual, pipe) writes these logs with
    mail_owner's effective ids, so that qmgr can read and remove them.

    Recipients for which the agent reported nothing are deferred with
    "unknown mail transport error"; an exception in the agent defers the
    rest with "mail transport unavailable" after a warning is logged.

    Parameters read: delay_logging_resolution_limit,
    info_log_address_format, address_verify_service_name, and what the
    QueueLayout reads; the agent reads its own.

DIAGNOSTICS
    Malformed requests are logged as warnings and the connection is
    closed; qmgr then defers the recipients.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import signal
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from pyfix.bounce.logfile import LogEntry, append_log
from pyfix.delivery.dsn import DSN_NOTIFY_SUCCESS, Dsn
from pyfix.delivery.request import (
    FLAG_RECORD,
    TRACE_ONLY,
    DeliveryRequest,
    DeliveryResponse,
    RecipientResult,
    RequestRecipient,
    read_message,
    write_message,
)
from pyfix.delivery.verify import report_verify, trace_dsn
from pyfix.flush.client import flush_add_recipient, flush_init
from pyfix.log.printable import printable
from pyfix.master.runtime import event_loop, preload
from pyfix.queue.errors import QueueError
from pyfix.queue.layout import QueueLayout
from pyfix.queue.reader import QueueFile
from pyfix.smtp.logfields import log_address
from pyfix.verify.protocol import DEL_RCPT_STAT_BOUNCE, DEL_RCPT_STAT_DEFER, DEL_RCPT_STAT_OK

if TYPE_CHECKING:
    from pyfix.config.store import Config
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

MILLION = 1_000_000


def format_delay(seconds: float, max_dig: int = 2, sig_dig: int = 2) -> str:
    """Postfix's format_tv(): small values with two significant digits."""
    seconds = max(seconds, 0.0)
    sec = int(seconds)
    usec = min(round((seconds - sec) * MILLION), MILLION - 1)
    ures = MILLION // 10**max_dig
    wid = 10**sig_dig
    if ures < MILLION:
        if sec > 0:
            n = 1
            while sec >= n and n <= wid // 10:
                n *= 10
            ures = (MILLION // wid) * n
        else:
            while usec >= wid * ures:
                ures *= 10
    if ures > 1:
        usec += ures // 2
        if usec >= MILLION:
            sec += 1
            usec -= MILLION
    out = str(sec)
    if usec >= ures:
        digits = []
        rem, n = usec, MILLION // 10
        while rem >= ures and n > 0:
            digits.append("0123456789"[rem // n])
            rem %= n
            n //= 10
        out += "." + "".join(digits)
    return out


def delivery_log_line(
    queue_id: str, rcpt: RequestRecipient, relay: str, times: tuple[float, float, float,
                                                                     float, float],
    dsn: Dsn, status: str, max_dig: int = 2, conn_use: int = 0, external: bool = True,
) -> str:
    """Postfix's log_adhoc() text.  times: arrival, active, handoff, conn_done, now.
    Addresses are quoted (external form) unless info_log_address_format is internal."""
    arrival, active, handoff, conn_done, now = times

    def form(address: str) -> str:
        return (log_address(address) or "") if external else address

    text = f"{queue_id}: to=<{form(rcpt.address)}>"
    if rcpt.orig_address and rcpt.orig_address.lower() != rcpt.address.lower():
        text += f", orig_to=<{form(rcpt.orig_address)}>"
    text += f", relay={relay}"
    if conn_use > 1:
        text += f", conn_use={conn_use}"
    delay = now - arrival
    sdelay = xdelay = adelay = 0.0
    if active > 0:
        pdelay = active - arrival
        if handoff > 0:
            adelay = handoff - active
            if conn_done > 0:
                sdelay = conn_done - handoff
                xdelay = now - conn_done
            else:
                xdelay = now - handoff
        else:
            adelay = now - active
    else:
        pdelay = now - arrival
    fmt = [format_delay(value, max_dig) for value in (delay, pdelay, adelay, sdelay, xdelay)]
    text += f", delay={fmt[0]}, delays={fmt[1]}/{fmt[2]}/{fmt[3]}/{fmt[4]}"
    return text + f", dsn={dsn.status}, status={status} ({dsn.reason})"


def mail_owner_ids(config: Config) -> tuple[int, int] | None:
    try:
        pw = pwd.getpwnam(config.get("mail_owner"))
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


@contextlib.contextmanager
def as_user(ids: tuple[int, int] | None) -> Iterator[None]:
    """Run a short synchronous step with the effective ids of mail_owner, so
    that the logs an agent running as root writes belong to mail_owner (qmgr
    reads and removes them).  No await may happen inside: the switch is
    process-wide."""
    if ids is None or os.geteuid() != 0:
        yield
        return
    old_uid, old_gid = os.geteuid(), os.getegid()
    os.setegid(ids[1])
    os.seteuid(ids[0])
    try:
        yield
    finally:
        os.seteuid(old_uid)
        os.setegid(old_gid)


class Delivery:
    """One delivery request in progress, and the agent's reports about it."""

    def __init__(self, request: DeliveryRequest, queue_file: QueueFile | None,
                 layout: QueueLayout, log: MailLog, relay: str, max_dig: int) -> None:
        self.request = request
        self.queue_file = queue_file
        self.layout = layout
        self.log = log
        self.relay = relay  # default relay= text; agents may pass another per report
        self.max_dig = max_dig
        self.conn_done = 0.0
        self.conn_use = 0
        self.external = True  # info_log_address_format
        self.owner: tuple[int, int] | None = None  # mail_owner, when running as root
        self.results: dict[int, RecipientResult] = {}
        self.verify_service = "verify"  # address_verify_service_name

    def append_trace(self, rcpt: RequestRecipient, dsn: Dsn) -> bool:
        return self._append("trace", rcpt, dsn)

    @property
    def recipients(self) -> list[RequestRecipient]:
        return self.request.recipients

    def pending(self) -> list[RequestRecipient]:
        return [r for r in self.request.recipients if r.offset not in self.results]

    def connected(self) -> None:
        """Connection set-up done: the time stamp for the third "delays" field."""
        self.conn_done = time.time()

    def _log(self, rcpt: RequestRecipient, dsn: Dsn, status: str, relay: str | None) -> None:
        req = self.request
        times = (req.arrival_time, req.active_time, req.handoff_time, self.conn_done,
                 time.time())
        line = delivery_log_line(req.queue_id, rcpt, relay or self.relay, times, dsn, status,
                                 self.max_dig, self.conn_use, self.external)
        self.log.info(printable(line))

    def _entry(self, rcpt: RequestRecipient, dsn: Dsn) -> LogEntry:
        return LogEntry(rcpt.address, rcpt.orig_address, rcpt.offset, rcpt.dsn_orcpt,
                        rcpt.dsn_notify, dsn)

    def _append(self, kind: str, rcpt: RequestRecipient, dsn: Dsn) -> bool:
        try:
            with as_user(self.owner):
                append_log(self.layout, kind, self.request.queue_id, self._entry(rcpt, dsn))
        except OSError as exc:
            self.log.warn(f"{self.request.queue_id}: append file {kind} "
                          f"{self.request.queue_id}: {exc.strerror or exc}")
            return False
        return True

    def _done(self, rcpt: RequestRecipient) -> None:
        if self.queue_file is None or rcpt.offset <= 0:
            return
        try:
            self.queue_file.mark_done(rcpt.offset)
        except (OSError, QueueError) as exc:
            self.log.warn(f"{self.request.queue_id}: update queue file: {exc}")

    def _record(self, rcpt: RequestRecipient, status: str, dsn: Dsn) -> None:
        self.results[rcpt.offset] = RecipientResult(rcpt.offset, rcpt.address, status, dsn)

    def _verify(self, rcpt: RequestRecipient, dsn: Dsn, relay: str | None,
                addr_status: int) -> None:
        """A trace-only request (verify.py): report instead of delivering."""
        result = report_verify(self, rcpt, dsn, relay or self.relay, addr_status)
        if result is None:  # not reported: the probe stays for a later attempt
            self._record(rcpt, "deferred", dsn)
            return
        self._log(rcpt, dsn, result, relay)
        self._done(rcpt)
        self._record(rcpt, "sent" if addr_status == DEL_RCPT_STAT_OK else "bounced", dsn)

    def sent(self, rcpt: RequestRecipient, dsn: Dsn, relay: str | None = None) -> None:
        if rcpt.offset in self.results:
            return
        if self.request.flags & TRACE_ONLY:
            self._verify(rcpt, dsn, relay, DEL_RCPT_STAT_OK)
            return
        record = self.request.flags & FLAG_RECORD
        entry = trace_dsn(dsn, relay or self.relay) if record else dsn
        if (rcpt.dsn_notify & DSN_NOTIFY_SUCCESS or record) \
                and not self._append("trace", rcpt, entry):
            self.defer(rcpt, Dsn.defer("cannot update mail queue trace log", "4.3.0"), relay)
            return
        self._log(rcpt, dsn, "sent", relay)
        self._done(rcpt)
        self._record(rcpt, "sent", dsn)

    def bounce(self, rcpt: RequestRecipient, dsn: Dsn, relay: str | None = None) -> None:
        if rcpt.offset in self.results:
            return
        if self.request.flags & TRACE_ONLY:
            self._verify(rcpt, dsn, relay, DEL_RCPT_STAT_BOUNCE)
            return
        if not self._append("bounce", rcpt, dsn):
            self.defer(rcpt, Dsn.defer("cannot update mail queue bounce log", "4.3.0"), relay)
            return
        self._log(rcpt, dsn, "bounced", relay)
        self._done(rcpt)
        self._record(rcpt, "bounced", dsn)

    def defer(self, rcpt: RequestRecipient, dsn: Dsn, relay: str | None = None) -> None:
        if rcpt.offset in self.results:
            return
        if self.request.flags & TRACE_ONLY:
            self._verify(rcpt, dsn, relay, DEL_RCPT_STAT_DEFER)
            return
        self._append("defer", rcpt, dsn)
        self._log(rcpt, dsn, "deferred", relay)
        self._record(rcpt, "deferred", dsn)
        flush_add_recipient(rcpt.address, self.request.queue_id, self.log.warn)

    def defer_all(self, dsn: Dsn, relay: str | None = None) -> None:
        for rcpt in self.pending():
            self.defer(rcpt, dsn, relay)

    def bounce_all(self, dsn: Dsn, relay: str | None = None) -> None:
        for rcpt in self.pending():
            self.bounce(rcpt, dsn, relay)

    def response(self, site_failure: str = "") -> DeliveryResponse:
        return DeliveryResponse(list(self.results.values()), site_failure)


class Agent(Protocol):
    async def deliver(self, delivery: Delivery) -> str:
        """Deliver; return "" or, when the destination failed as a whole, the reason."""
        ...


class AgentShell:
    """Runs an Agent behind the service socket."""

    def __init__(self, ctx: ServiceContext, agent: Agent, relay: str) -> None:
        self.ctx = ctx
        self.agent = agent
        self.relay = relay
        self.layout = QueueLayout.from_config(ctx.config)
        self.max_dig = ctx.config.get_int("delay_logging_resolution_limit")
        self.external = ctx.config.get("info_log_address_format").lower() != "internal"
        self.owner = mail_owner_ids(ctx.config) if os.geteuid() == 0 else None
        self.verify_service = ctx.config.get("address_verify_service_name")
        flush_init(ctx.config, ctx.log.warn)
        self.idle: set[asyncio.StreamWriter] = set()  # connections between requests
        self.stopping = False

    def open_queue_file(self, request: DeliveryRequest) -> QueueFile:
        queue_file = QueueFile.open(self.layout, request.queue_name, request.queue_id)
        queue_file.lock(exclusive=False, wait=True)
        queue_file.content_offset = request.data_offset  # qmgr read the envelope already
        return queue_file

    async def handle(self, request: DeliveryRequest) -> DeliveryResponse:
        log = self.ctx.log
        try:
            queue_file: QueueFile | None = self.open_queue_file(request)
        except (OSError, QueueError) as exc:
            log.warn(f"{request.queue_id}: open queue file: {exc}")
            queue_file = None
        delivery = Delivery(request, queue_file, self.layout, log, self.relay, self.max_dig)
        delivery.external = self.external
        delivery.owner = self.owner
        delivery.verify_service = self.verify_service
        site_failure = ""
        try:
            if queue_file is None:
                delivery.defer_all(Dsn.defer("mail system error: cannot open queue file",
                                             "4.3.0"), "none")
            else:
                site_failure = await self.agent.deliver(delivery) or ""
        except Exception as exc:  # an agent bug must not lose the message
            log.warn(f"{request.queue_id}: {type(exc).__name__}: {printable(str(exc))}")
            delivery.defer_all(Dsn.defer("mail transport unavailable", "4.3.0"), "none")
        finally:
            delivery.defer_all(Dsn.defer("unknown mail transport error", "4.3.0"), "none")
            if queue_file is not None:  # no fsync of the done marks, as Postfix:
                queue_file.close()       # a crash may repeat a delivery, never lose one
        return delivery.response(site_failure)

    async def on_connect(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        """Serve requests on one connection until qmgr closes it (qmgr
        keeps connections for the next request, as Postfix's does)."""
        try:
            while not self.stopping:
                self.idle.add(writer)
                try:
                    data = await read_message(reader)
                finally:
                    self.idle.discard(writer)
                if data is None:
                    return
                request = DeliveryRequest.from_json(data)
                response = await self.handle(request)
                await write_message(writer, response.to_json())
        except (ValueError, OSError) as exc:
            self.ctx.log.warn(f"delivery request: {exc}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        tasks: set[asyncio.Task[None]] = set()

        async def on_connect(reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await self.on_connect(reader, writer)
            finally:
                tasks.discard(task)

        servers = [await asyncio.start_unix_server(on_connect, sock=sock, limit=1 << 24)
                   for sock in self.ctx.listeners]
        await stop.wait()
        self.stopping = True
        for server in servers:
            server.close()
        for writer in list(self.idle):  # connections waiting for a request: done
            writer.close()
        if tasks:  # let deliveries in progress finish
            await asyncio.wait(set(tasks), timeout=3600)


def serve_agent(ctx: ServiceContext, make_agent: Callable[[Config, MailLog], Agent],
                relay: str = "none", *, drop_privileges: bool = True) -> None:
    """The serve() of a delivery agent module."""
    try:
        agent = make_agent(ctx.config, ctx.log)
        shell = AgentShell(ctx, agent, relay)
    except Exception as exc:  # configuration errors: fatal, and the master throttles
        ctx.log.fatal(printable(str(exc)))
        raise SystemExit(1) from None
    preload()
    if drop_privileges:
        ctx.drop_privileges()
    else:
        ctx.ready()
    loop = event_loop()
    try:
        loop.run_until_complete(shell.run())
    finally:
        loop.close()
