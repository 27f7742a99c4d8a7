"""Unit tests for qmgr's handling of redirect and content filter records
(pyfix/qmgr/reroute.py), the shared placement of a routed recipient
(message.place_recipient) and the retry transport for a throttled
transport (scheduler.py).  tests/qmgr/test_reroute_live.py compares the
whole with a live Postfix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pyfix.qmgr.message import RETRY, ActiveMessage, place_recipient
from pyfix.qmgr.reroute import Reroute, filter_nexthop, message_reroute
from pyfix.qmgr.scheduler import TRANSPORT_UNAVAILABLE, Job, Scheduler
from pyfix.qmgr.settings import TransportSettings
from pyfix.queue.envelope import QueueMessage, Recipient
from pyfix.rewrite.rewrite import LOCAL, Rewriter
from tests.rewrite.helpers import make_config


def canonical(address: str) -> str:
    return Rewriter(make_config(), warn=lambda _text: None).rewrite_addr(LOCAL, address)


def message(**fields: Any) -> QueueMessage:
    return QueueMessage("4A1B2C3D4E", "/nonexistent", **fields)


def test_no_record_no_reroute() -> None:
    assert message_reroute(message(), canonical) is None
    assert message_reroute(message(content_filter="", redirect=""), canonical) is None


def test_redirect_is_rewritten_to_canonical_form() -> None:
    # myorigin defaults to $myhostname.
    assert message_reroute(message(redirect="red"), canonical) == Reroute(
        redirect="red@mail.example.com")
    assert message_reroute(message(redirect="red@example.net"), canonical) == Reroute(
        redirect="red@example.net")


def test_redirect_keeps_a_quoted_local_part_internal() -> None:
    found = message_reroute(message(redirect="a b@example.net"), canonical)
    assert found == Reroute(redirect="a b@example.net")


def test_redirect_wins_over_filter() -> None:
    both = message(redirect="red@example.net", content_filter="smtp:[127.0.0.1]:10025")
    assert message_reroute(both, canonical) == Reroute(redirect="red@example.net")


@pytest.mark.parametrize(("record", "transport", "nexthop"), [
    ("smtp:[127.0.0.1]:10025", "smtp", "[127.0.0.1]:10025"),
    ("scan:localhost:10026", "scan", "localhost:10026"),
    ("smtp:", "smtp", ""),
    ("smtp", "smtp", ""),
])
def test_filter_splits_at_the_first_colon(record: str, transport: str, nexthop: str) -> None:
    found = message_reroute(message(content_filter=record), canonical)
    assert found == Reroute(transport=transport, nexthop=nexthop)


def test_filter_nexthop_fallbacks() -> None:
    explicit = Reroute(transport="smtp", nexthop="[127.0.0.1]:10025")
    bare = Reroute(transport="smtp")
    assert filter_nexthop(explicit, "a@example.net", "dflt.example", "mx.example") == \
        "[127.0.0.1]:10025"
    assert filter_nexthop(bare, "a@example.net", "dflt.example", "mx.example") == "dflt.example"
    assert filter_nexthop(bare, "a@example.net", "", "mx.example") == "example.net"
    assert filter_nexthop(bare, "a", "", "mx.example") == "mx.example"
    assert filter_nexthop(bare, "a@", "", "mx.example") == "mx.example"


def _place(transport: str, address: str, *, defer: frozenset[str] = frozenset(),
           flush: bool = False, limit: int = 50) -> Any:
    return place_recipient(transport, "nexthop.example", address, defer_transports=defer,
                           flush=flush, delimiter="+", recipient_limit=lambda _name: limit)


def test_place_defer_transports_applies_unless_flushed() -> None:
    route = _place("scan", "a@example.net", defer=frozenset({"scan"}))
    assert (route.transport, route.nexthop, route.address) == (
        RETRY, "4.3.2 deferred transport", "a@example.net")
    assert _place("scan", "a@example.net", defer=frozenset({"scan"}), flush=True).transport \
        == "scan"


def test_place_queue_name_per_destination_or_per_recipient() -> None:
    assert _place("scan", "A+x@example.net").queue_name == "nexthop.example"
    assert _place("scan", "A+x@example.net", limit=1).queue_name == "a@nexthop.example"


# The scheduler: a throttled transport's jobs go to the retry transport.

def settings(name: str) -> TransportSettings:
    return TransportSettings(name, 20, 50, 5, 0, 1, 100)


class Recorder:
    def __init__(self) -> None:
        self.deferred: list[tuple[str, str, str]] = []
        self.done: list[Job] = []

    def defer(self, job: Job, status: str, reason: str) -> None:
        self.deferred.append((job.nexthop, status, reason))


def scheduler(recorder: Recorder) -> Scheduler:
    return Scheduler("/nonexistent", settings, 300, recorder.defer, recorder.done.append,
                     lambda _text: None)


def job() -> Job:
    active = ActiveMessage("4A1B2C3D4E", None, message(sender="s@example.org"),  # type: ignore[arg-type]
                           0.0)
    return Job(active, "[127.0.0.1]:10025", [(Recipient("a@example.net"), "a@example.net")])


def test_dead_transport_hands_jobs_to_retry() -> None:
    async def run() -> None:
        recorder = Recorder()
        sched = scheduler(recorder)
        dead = sched.transport("scan")
        dead.dead_until = 2e9
        dead.dead_reason = TRANSPORT_UNAVAILABLE
        sched.add("scan", "[127.0.0.1]:10025", job())
        retry = sched.transports[RETRY]
        queued = retry.destinations["4.3.0 mail transport unavailable"].jobs
        assert [j.nexthop for j in queued] == ["4.3.0 mail transport unavailable"]
        assert not any(dest.jobs for dest in dead.destinations.values())
        assert not recorder.deferred

    asyncio.run(run())


def test_dead_retry_transport_leaves_the_deferral_to_qmgr() -> None:
    async def run() -> None:
        recorder = Recorder()
        sched = scheduler(recorder)
        for name in ("scan", RETRY):
            sched.transport(name).dead_until = 2e9
            sched.transport(name).dead_reason = TRANSPORT_UNAVAILABLE
        sched.add("scan", "[127.0.0.1]:10025", job())
        assert recorder.deferred == [("[127.0.0.1]:10025", "4.3.0",
                                      TRANSPORT_UNAVAILABLE)]

    asyncio.run(run())


def test_unreachable_agent_moves_the_job_and_its_queue_to_retry() -> None:
    """No private/scan socket: the job in progress and the one waiting go
    to retry, and neither is counted done twice."""
    async def run() -> None:
        recorder = Recorder()
        sched = scheduler(recorder)
        first, second = job(), job()
        sched.add("scan", "[127.0.0.1]:10025", first)
        sched.add("scan", "[127.0.0.1]:10025", second)
        scan = sched.transports["scan"]
        scan.settings = TransportSettings("scan", 1, 50, 1, 0, 1, 1)  # one at a time
        sched.transports[RETRY] = type(scan)(settings(RETRY), dead_until=2e9,
                                              dead_reason=TRANSPORT_UNAVAILABLE)
        sched.dispatch()
        await sched.drain(10)
        assert scan.dead
        assert recorder.deferred == [("[127.0.0.1]:10025", "4.3.0",
                                      TRANSPORT_UNAVAILABLE)] * 2
        assert recorder.done == []  # the deferrer counts them done, not _deliver

    asyncio.run(run())
