"""NAME
    pyfix.qmgr.scheduler - per-transport, per-destination delivery scheduling

SUMMARY
    Scheduler, Job, Destination, Transport

DESCRIPTION
    Recipients of active messages wait in Destination queues, one per
    (transport, destination), in batches (Jobs) of at most the
    transport's destination recipient limit, all from one message.
    The scheduler starts a delivery when
    - the destination has fewer deliveries in progress than its
      concurrency window, which starts at
      $initial_destination_concurrency, grows by 1/window after each
      success and shrinks by 1/window after each failure, between 1
      and $<transport>_destination_concurrency_limit (Postfix's default
      "+1/concurrency, -1/concurrency" feedback);
    - the transport has fewer deliveries in progress than its master.cf
      process limit;
    - $<transport>_destination_rate_delay has passed since the last
      delivery to that destination ended (a rate delay implies
      concurrency 1).

    A delivery that reports a site failure (the destination as a whole
    failed) counts 1/window failed cohorts; at
    $<transport>_destination_concurrency_failed_cohort_limit cohorts
    the destination is "dead": the recipients waiting for it are
    deferred with "delivery temporarily suspended: REASON", and so are
    new ones, until $minimal_backoff_time has passed or the queue is
    flushed.  A transport whose agent cannot be reached is throttled
    the same way ("mail transport unavailable").  As with Postfix,
    those deferrals are not logged by qmgr: the jobs go to the "retry"
    transport with next hop "STATUS REASON", and its error(8) agent
    defers and logs them; only when retry is throttled too does qmgr
    defer them itself (relay=none).  A delivery started
    while more jobs wait for the same destination carries
    FLAG_CONN_STORE, so that the agent keeps its connection for the
    next one (smtp_connection_cache_on_demand).

    Parameters read: through TransportSettings only.

DIAGNOSTICS
    None; delivery failures become deferrals.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pyfix.delivery.request import (
    FLAG_CONN_STORE,
    AgentConnections,
    AgentUnavailable,
    DeliveryRequest,
    DeliveryResponse,
    RequestRecipient,
    request_flags,
)
from pyfix.qmgr.message import ERROR, RETRY, ActiveMessage
from pyfix.qmgr.settings import TransportSettings
from pyfix.queue.envelope import Recipient
from pyfix.queue.records import ATTR_TRACE_FLAGS

TRANSPORT_UNAVAILABLE = "mail transport unavailable"


@dataclass(eq=False)
class Job:
    message: ActiveMessage
    nexthop: str
    recipients: list[tuple[Recipient, str]]  # (queue file recipient, resolved address)


@dataclass(eq=False)
class Destination:
    transport: Transport
    name: str
    window: float
    jobs: deque[Job] = field(default_factory=deque)
    active: int = 0
    fail_cohorts: float = 0.0
    dead_until: float = 0.0
    dead_reason: str = ""
    next_time: float = 0.0  # rate delay

    @property
    def dead(self) -> bool:
        return self.dead_until > time.time()

    def limit(self) -> int:
        if self.transport.settings.rate_delay:
            return 1
        cap = self.transport.settings.concurrency_limit
        window = int(self.window)
        return max(1, min(window, cap) if cap else window)


@dataclass(eq=False)
class Transport:
    settings: TransportSettings
    destinations: dict[str, Destination] = field(default_factory=dict)
    active: int = 0
    dead_until: float = 0.0
    dead_reason: str = ""

    @property
    def dead(self) -> bool:
        return self.dead_until > time.time()

    def has_room(self) -> bool:
        limit = self.settings.process_limit
        return not limit or self.active < limit


Deferrer = Callable[[Job, str, str], None]  # job, dsn status, reason
Finisher = Callable[[ActiveMessage], Awaitable[None]]


class Scheduler:
    def __init__(self, private_dir: str, settings_for: Callable[[str], TransportSettings],
                 min_backoff: int, defer_job: Deferrer, job_done: Callable[[Job], None],
                 warn: Callable[[str], None]) -> None:
        self.agents = AgentConnections(private_dir)
        self.settings_for = settings_for
        self.min_backoff = min_backoff
        self.defer_job = defer_job
        self.job_done = job_done
        self.warn = warn
        self.transports: dict[str, Transport] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.wakeup = asyncio.Event()
        self.timer: asyncio.TimerHandle | None = None

    def transport(self, name: str) -> Transport:
        transport = self.transports.get(name)
        if transport is None:
            transport = self.transports[name] = Transport(self.settings_for(name))
        return transport

    def recipient_limit(self, transport: str) -> int:
        return self.transport(transport).settings.recipient_limit

    def add(self, transport_name: str, queue_name: str, job: Job,
            unthrottle: bool = False) -> None:
        """Queue a job; unthrottle: try even a dead destination (postqueue -i)."""
        transport = self.transport(transport_name)
        dest = transport.destinations.get(queue_name)
        if dest is None:
            dest = transport.destinations[queue_name] = Destination(
                transport, queue_name, float(max(1, transport.settings.initial_concurrency)))
        if unthrottle:
            transport.dead_until = dest.dead_until = 0.0
            dest.fail_cohorts = 0.0
        if transport.dead:
            self._to_retry(transport_name, job, "4.3.0", transport.dead_reason)
            return
        if dest.dead:
            self._to_retry(transport_name, job, "4.4.1" if dest.dead_reason.startswith("connect")
                           else "4.3.0", f"delivery temporarily suspended: {dest.dead_reason}")
            return
        dest.jobs.append(job)
        self.wakeup.set()

    def forget_dead(self) -> None:
        for transport in self.transports.values():
            transport.dead_until = 0.0
            for dest in transport.destinations.values():
                dest.dead_until = 0.0
                dest.fail_cohorts = 0.0

    # Dispatch --------------------------------------------------------------

    def dispatch(self) -> None:
        now = time.time()
        soonest = 0.0
        for transport in self.transports.values():
            for dest in list(transport.destinations.values()):
                while dest.jobs and dest.active < dest.limit() and transport.has_room():
                    if dest.next_time > now:
                        soonest = min(soonest or dest.next_time, dest.next_time)
                        break
                    job = dest.jobs.popleft()
                    dest.active += 1
                    transport.active += 1
                    # A backlog: ask the agent to keep its connection (on-demand cache).
                    flags = FLAG_CONN_STORE if dest.jobs else 0
                    task = asyncio.ensure_future(self._deliver(transport, dest, job, flags))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                if not dest.jobs and not dest.active and not dest.dead:
                    del transport.destinations[dest.name]
        if soonest:
            loop = asyncio.get_running_loop()
            if self.timer is not None:
                self.timer.cancel()
            self.timer = loop.call_later(max(0.0, soonest - now), self.wakeup.set)

    def request_for(self, transport: Transport, job: Job) -> DeliveryRequest:
        msg = job.message
        message = msg.message
        recipients = [RequestRecipient(address, rcpt.orig_address or rcpt.address,
                                       rcpt.offset, rcpt.dsn_orcpt, rcpt.dsn_notify)
                      for rcpt, address in job.recipients]
        client = {key.removeprefix("client_"): value for key, value in message.attributes.items()
                  if key.startswith("client_")}
        for key in ("helo_name", "protocol_name", "reverse_client_name"):
            if key in message.attributes:
                client[key] = message.attributes[key]
        return DeliveryRequest(
            queue_name="active", queue_id=msg.queue_id, transport=transport.settings.name,
            nexthop=job.nexthop, sender=msg.sender, recipients=recipients,
            arrival_time=msg.arrival, active_time=msg.active_time, handoff_time=time.time(),
            data_offset=message.content_offset, data_size=message.size.cont_length,
            dsn_envid=message.dsn_envid, dsn_ret=message.dsn_ret, encoding=message.encoding,
            smtputf8=message.size.smtputf8, client=client,
            attributes={k: v for k, v in message.attributes.items()
                        if not k.startswith("client_")},
            flags=request_flags(message.attributes.get(ATTR_TRACE_FLAGS)),
        )

    async def _call_agent(self, transport: Transport, request: DeliveryRequest,
                          ) -> DeliveryResponse | None:
        try:
            return await self.agents.call(transport.settings.name, request)
        except AgentUnavailable as exc:
            self.warn(str(exc))
            return None

    async def _deliver(self, transport: Transport, dest: Destination, job: Job,
                       flags: int = 0) -> None:
        handed_over = False
        try:
            request = self.request_for(transport, job)
            request.flags |= flags
            response = await self._call_agent(transport, request)
            if response is None:  # no agent: throttle the transport
                transport.dead_until = time.time() + self.min_backoff
                transport.dead_reason = TRANSPORT_UNAVAILABLE
                handed_over = True  # settled or queued again: not done here
                name = transport.settings.name
                self._to_retry(name, job, "4.3.0", TRANSPORT_UNAVAILABLE)
                for other in transport.destinations.values():
                    while other.jobs:
                        self._to_retry(name, other.jobs.popleft(), "4.3.0",
                                       TRANSPORT_UNAVAILABLE)
            else:
                self._feedback(dest, job, response)
        finally:
            if transport.settings.rate_delay:  # the pause runs from the end of a delivery
                dest.next_time = time.time() + transport.settings.rate_delay
            dest.active -= 1
            transport.active -= 1
            if not handed_over:
                self.job_done(job)
            self.wakeup.set()

    def _to_retry(self, transport_name: str, job: Job, status: str, reason: str) -> None:
        """A job that a throttled transport or destination cannot take goes
        to the retry transport with next hop "STATUS REASON", so that the
        error(8) agent defers and logs it, as Postfix's qmgr does; when
        retry is throttled too, or is the throttled one, qmgr defers the
        job itself."""
        if transport_name in (RETRY, ERROR) or self.transport(RETRY).dead:
            self.defer_job(job, status, reason)
            return
        job.nexthop = f"{status} {reason}"
        self.add(RETRY, job.nexthop, job)

    def _feedback(self, dest: Destination, job: Job, response: DeliveryResponse) -> None:
        handled = {result.offset for result in response.results}
        if any(result.status == "deferred" for result in response.results) \
                or len(handled) < len(job.recipients):
            job.message.deferred = True
        if not response.site_failure:
            dest.fail_cohorts = 0.0
            dest.window += 1.0 / dest.window
            limit = dest.transport.settings.concurrency_limit
            if limit:
                dest.window = min(dest.window, float(limit))
            return
        dest.fail_cohorts += 1.0 / max(dest.window, 1.0)
        dest.window = max(1.0, dest.window - 1.0 / dest.window)
        if dest.fail_cohorts >= max(dest.transport.settings.cohort_limit, 1) or dest.window <= 1:
            dest.dead_until = time.time() + self.min_backoff
            dest.dead_reason = response.site_failure
            while dest.jobs:
                self._to_retry(dest.transport.settings.name, dest.jobs.popleft(), "4.4.1",
                               f"delivery temporarily suspended: {response.site_failure}")

    async def drain(self, timeout: float) -> None:
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=timeout)
