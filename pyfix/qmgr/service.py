"""NAME
    pyfix.qmgr.service - the queue manager process

SUMMARY
    serve(), Qmgr

DESCRIPTION
    Entry point that the master calls for the master.cf "qmgr" service
    ("qmgr unix n - n 300 1 qmgr").  At start it moves files left in
    the active queue by an earlier qmgr back to incoming (they are
    delivered again: a crash may duplicate a delivery, never lose one).

    It scans the incoming queue when woken through public/qmgr ("I",
    sent by cleanup after each new message) and on every wakeup-column
    tick, and the deferred queue every $queue_run_delay seconds, taking
    only files whose modification time (the next retry time) has come;
    "A" ignores those times and "F" forgets dead destinations and makes
    the next incoming scan ignore $defer_transports (postqueue -f,
    sendmail -q, postfix flush, and the flush service for ETRN).  A file it takes moves
    into the active queue (its defer log is removed), is read
    (message.py), and its recipients are routed (a redirect or content
    filter request in the file overrides the resolver: reroute.py) and queued for
    delivery (scheduler.py), within $qmgr_message_active_limit
    messages and $qmgr_message_recipient_limit recipients in memory.
    A file with the group-read bit (set by the flush service for
    "postqueue -i") is delivered even to a destination that is dead, as
    Postfix's QMGR_FLUSH_EACH.  Damaged files move to the corrupt queue with Postfix's warning
    "saving corrupt file ...".  When all deliveries of a message are
    done, done.py disposes of it.

    Recipients of a dead destination or an unreachable transport go to
    the retry transport, whose error(8) agent defers them; only when
    that cannot be reached either does qmgr defer them itself, logged
    with relay=none, as in Postfix (scheduler.py).

    Parameters read: cleanup_service_name, rewrite_service_name,
    address_verify_service_name (probes that qmgr settles itself), and
    those of QmgrSettings, TransportSettings, the resolver and the
    bounce library.

DIAGNOSTICS
    Configuration errors are fatal at start; the master throttles.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from typing import TYPE_CHECKING

from pyfix.delivery.agent import Delivery
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.request import FLAG_MTA_VRFY, request_flags
from pyfix.flush.client import flush_init
from pyfix.log.printable import printable
from pyfix.master.runtime import event_loop, preload
from pyfix.qmgr.done import MessageDone, Notices
from pyfix.qmgr.message import RETRY, ActiveMessage, Route, place_recipient, route_recipient
from pyfix.qmgr.reroute import Reroute, filter_nexthop, message_reroute
from pyfix.qmgr.scheduler import Job, Scheduler
from pyfix.qmgr.settings import QmgrSettings, TransportSettings
from pyfix.queue.envelope import Recipient
from pyfix.queue.errors import QueueError, QueueFileCorrupt, QueueFileIncomplete
from pyfix.queue.layout import (
    ACTIVE,
    CORRUPT,
    DEFER,
    DEFERRED,
    INCOMING,
    STAT_UNTHROTTLE,
    QueueLayout,
)
from pyfix.queue.queue_id import queue_id_ok
from pyfix.queue.records import ATTR_TRACE_FLAGS
from pyfix.rewrite.rewrite import LOCAL
from pyfix.rewrite.service import TrivialRewrite

if TYPE_CHECKING:
    from pyfix.config.store import Config
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext


def _notices(config: Config, log: MailLog) -> Notices:
    from pyfix.bounce.service import BounceService

    service: Notices = BounceService(config)
    return service


class Qmgr:
    def __init__(self, config: Config, log: MailLog, notices: Notices | None = None) -> None:
        self.config = config
        self.log = log
        self.layout = QueueLayout.from_config(config)
        self.settings = QmgrSettings.from_config(config)
        flush_init(config, log.warn)  # deferrals qmgr logs itself go to fast-flush logs too
        rewrite = TrivialRewrite.for_client(config)
        self.resolver = rewrite.resolver
        self.verifier = rewrite.verifier  # address_verify_*: verify(8) probes
        self.done = MessageDone(self.layout, self.settings,
                                notices if notices is not None else _notices(config, log), log)
        self.transport_settings: dict[str, TransportSettings] = {}
        self.scheduler: Scheduler | None = None
        self.messages: dict[str, ActiveMessage] = {}
        self.in_core = 0
        self.scan_incoming = asyncio.Event()
        self.scan_deferred = asyncio.Event()
        self.ignore_times = False
        self.flush = False
        self.backlogged = False  # the last scan stopped at the active queue limits
        self.flush_incoming = False  # "F": the next incoming scan is a flush
        self.route_cache: dict[tuple[str, str, bool, bool], Route] = {}
        self.route_time = 0.0

    def settings_for(self, transport: str) -> TransportSettings:
        settings = self.transport_settings.get(transport)
        if settings is None:
            settings = TransportSettings.from_config(self.config, transport)
            self.transport_settings[transport] = settings
        return settings

    # Start-up -----------------------------------------------------------

    def recover_active(self) -> None:
        """Files left in active by an earlier qmgr go back to incoming."""
        for queue_id in list(self.layout.scan(ACTIVE)):
            if queue_id_ok(queue_id):
                with contextlib.suppress(OSError, QueueError):
                    self.layout.rename(queue_id, ACTIVE, INCOMING)

    # Feeding the active queue ----------------------------------------------

    def room(self) -> bool:
        return (len(self.messages) < self.settings.active_limit
                and self.in_core < self.settings.recipient_limit)

    def feed(self, queue: str, *, ignore_times: bool = False) -> int:
        fed = 0
        self.backlogged = False
        now = time.time()
        for queue_id in list(self.layout.scan(queue)):
            if not self.room():
                self.backlogged = True
                break
            if not queue_id_ok(queue_id) or queue_id in self.messages:
                continue
            st = self.layout.open_ok(queue, queue_id)
            if st is None:
                continue
            if queue == DEFERRED and not ignore_times and st.st_mtime > now:
                continue
            try:
                path = self.layout.rename(queue_id, queue, ACTIVE)
            except (OSError, QueueError):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.layout.path(DEFER, queue_id))
            unthrottle = bool(st.st_mode & STAT_UNTHROTTLE)  # postqueue -i
            if unthrottle:
                with contextlib.suppress(OSError):
                    os.chmod(path, st.st_mode & 0o7777 & ~STAT_UNTHROTTLE)
            self.activate(queue_id, unthrottle)
            fed += 1
        return fed

    def corrupt(self, queue_id: str) -> None:
        self.log.warn(f'saving corrupt file "{queue_id}" from queue "{ACTIVE}" '
                      f'to queue "{CORRUPT}"')
        with contextlib.suppress(OSError, QueueError):
            self.layout.rename(queue_id, ACTIVE, CORRUPT)

    def activate(self, queue_id: str, unthrottle: bool = False) -> None:
        try:
            msg = ActiveMessage.load(self.layout, ACTIVE, queue_id, self.log)
        except QueueFileIncomplete:
            return
        except QueueFileCorrupt:
            self.corrupt(queue_id)
            return
        except (OSError, QueueError) as exc:
            self.log.warn(f"{queue_id}: {exc}")
            return
        msg.flush = self.flush
        self.messages[queue_id] = msg
        assert self.scheduler is not None
        groups: dict[tuple[str, str, str], list[tuple[Recipient, str]]] = {}
        reroute = message_reroute(msg.message, self.canonical)
        # a verify(8) probe goes where address_verify_transport_maps & co. say
        probe = bool(request_flags(msg.message.attributes.get(ATTR_TRACE_FLAGS))
                     & FLAG_MTA_VRFY)
        pending = msg.message.pending()
        if reroute is not None and reroute.redirect:  # once, to the redirect address
            pending = pending[:1]
        for rcpt in pending:
            if reroute is None:
                route = self.route(rcpt.address, msg.sender, probe)
            elif reroute.redirect:
                route = self.route(reroute.redirect, msg.sender, probe)
            else:
                route = self.filter_route(reroute, rcpt.address)
            if route.discard:
                self.discard_double_bounce(msg, rcpt, route.address)
                continue
            groups.setdefault((route.transport, route.queue_name, route.nexthop), []).append(
                (rcpt, route.address))
        # One count for the loop itself: a job that scheduler.add() settles at
        # once (dead destination) must not finish the message while more
        # jobs are still being added.
        msg.pending_jobs += 1
        for (transport, queue_name, nexthop), members in groups.items():
            limit = self.settings_for(transport).recipient_limit or len(members)
            for start in range(0, len(members), limit):
                batch = members[start:start + limit]
                job = Job(msg, nexthop, batch)
                msg.pending_jobs += 1
                msg.in_core += len(batch)
                self.in_core += len(batch)
                self.scheduler.add(transport, queue_name, job, unthrottle)
        msg.pending_jobs -= 1
        if msg.pending_jobs == 0:
            self.finish(msg)

    def canonical(self, address: str) -> str:
        return self.resolver.rewriter.rewrite_addr(LOCAL, address)

    def filter_route(self, reroute: Reroute, address: str) -> Route:
        settings = self.settings
        nexthop = filter_nexthop(reroute, address, settings.default_filter_nexthop,
                                 settings.myhostname)
        return place_recipient(
            reroute.transport, nexthop, address, defer_transports=settings.defer_transports,
            flush=self.flush, delimiter=settings.recipient_delimiter,
            recipient_limit=lambda name: self.settings_for(name).recipient_limit)

    def route(self, address: str, sender: str, probe: bool = False) -> Route:
        """route_recipient(), remembered for a second: a burst of mail to
        the same addresses resolves each once (Postfix's resolve client
        keeps its last answer); table changes show within the second."""
        now = time.monotonic()
        if now - self.route_time > 1.0:
            self.route_cache.clear()
            self.route_time = now
        key = (address, sender, self.flush, probe)
        route = self.route_cache.get(key)
        if route is None:
            route = route_recipient(
                self.verifier if probe else self.resolver, address, sender,
                defer_transports=self.settings.defer_transports, flush=self.flush,
                double_bounce_sender=self.settings.double_bounce_sender,
                delimiter=self.settings.recipient_delimiter,
                recipient_limit=lambda name: self.settings_for(name).recipient_limit)
            if len(self.route_cache) < 10000 and route.transport != RETRY:  # no failures
                self.route_cache[key] = route
        return route

    # Deliveries that qmgr settles itself -------------------------------------

    def _delivery(self, job_or_msg: ActiveMessage, recipients: Job | None) -> Delivery:
        assert self.scheduler is not None
        msg = job_or_msg
        job = recipients or Job(msg, "", [])
        request = self.scheduler.request_for(self.scheduler.transport("retry"), job)
        request.handoff_time = 0.0
        delivery = Delivery(request, msg.queue_file, self.layout, self.log, "none",
                            self.config.get_int("delay_logging_resolution_limit"))
        delivery.verify_service = self.config.get("address_verify_service_name")
        return delivery

    def discard_double_bounce(self, msg: ActiveMessage, rcpt: Recipient, address: str) -> None:
        delivery = self._delivery(msg, Job(msg, "", [(rcpt, address)]))
        delivery.sent(delivery.recipients[0],
                      Dsn.sent("undeliverable postmaster notification discarded"))

    def defer_job(self, job: Job, status: str, reason: str) -> None:
        delivery = self._delivery(job.message, job)
        delivery.defer_all(Dsn.defer(reason, status))
        job.message.deferred = True
        self.job_done(job)

    def job_done(self, job: Job) -> None:
        msg = job.message
        msg.pending_jobs -= 1
        msg.in_core -= len(job.recipients)
        self.in_core -= len(job.recipients)
        if msg.pending_jobs == 0:
            self.finish(msg)

    def finish(self, msg: ActiveMessage) -> None:
        self.messages.pop(msg.queue_id, None)
        if self.backlogged:  # room in the active queue again: feed more
            self.scan_incoming.set()
            self.scan_deferred.set()
        if self.done.finish_simple(msg):  # all delivered, no notices: no thread needed
            return
        task = asyncio.ensure_future(asyncio.to_thread(self.done.finish, msg))
        assert self.scheduler is not None
        self.scheduler.tasks.add(task)
        task.add_done_callback(self.scheduler.tasks.discard)

    # Triggers and the main loop ----------------------------------------------

    def trigger(self, data: bytes) -> None:
        if b"F" in data:  # and the next incoming scan ignores defer_transports
            if self.scheduler is not None:
                self.scheduler.forget_dead()
            self.flush_incoming = True
        if b"A" in data:
            self.ignore_times = True
            self.flush = True
        if b"D" in data or b"A" in data:
            self.scan_deferred.set()
        self.scan_incoming.set()

    async def run(self, listeners: list[socket.socket], wakeup: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        private = os.path.join(self.layout.queue_directory, "private")
        self.scheduler = Scheduler(private, self.settings_for, self.settings.min_backoff,
                                   self.defer_job, self.job_done, self.log.warn)
        scheduler = self.scheduler

        async def on_trigger(reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                data = await asyncio.wait_for(reader.read(100), 10)
                self.trigger(data)
            writer.close()

        servers = [await asyncio.start_unix_server(on_trigger, sock=sock)
                   for sock in listeners]
        self.recover_active()
        self.scan_incoming.set()
        self.scan_deferred.set()
        next_deferred = 0.0
        next_incoming = 0.0
        while not stop.is_set():
            now = time.time()
            if self.scan_deferred.is_set() or now >= next_deferred:
                self.scan_deferred.clear()
                ignore, self.ignore_times = self.ignore_times, False
                self.feed(DEFERRED, ignore_times=ignore)
                self.flush = False
                next_deferred = now + self.settings.queue_run_delay
            if self.scan_incoming.is_set() or now >= next_incoming:
                self.scan_incoming.clear()
                self.flush, self.flush_incoming = self.flush_incoming, False
                self.feed(INCOMING)
                self.flush = False
                next_incoming = now + wakeup
            scheduler.dispatch()
            scheduler.wakeup.clear()
            waiters = [asyncio.ensure_future(e.wait()) for e in
                       (stop, scheduler.wakeup, self.scan_incoming, self.scan_deferred)]
            await asyncio.wait(waiters, timeout=max(0.0, min(next_deferred, next_incoming)
                                                     - time.time()),
                               return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        for server in servers:
            server.close()
        await scheduler.drain(60)
        scheduler.agents.close()


def _wakeup(config: Config) -> float:
    entry = config.scope
    column = entry.wakeup.rstrip("?") if entry is not None else "-"
    return float(column) if column.isdigit() and int(column) > 0 else 300.0


def serve(ctx: ServiceContext) -> None:
    try:
        qmgr = Qmgr(ctx.config, ctx.log)
    except Exception as exc:  # configuration errors
        ctx.log.fatal(printable(str(exc)))
        raise SystemExit(1) from None
    preload()
    ctx.drop_privileges()
    loop = event_loop()
    try:
        loop.run_until_complete(qmgr.run(list(ctx.listeners), _wakeup(ctx.config)))
    finally:
        loop.close()
