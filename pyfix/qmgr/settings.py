"""NAME
    pyfix.qmgr.settings - the queue manager's parameters

SUMMARY
    QmgrSettings, TransportSettings

DESCRIPTION
    QmgrSettings holds what qmgr(8) reads from main.cf once at start;
    TransportSettings what it reads per delivery transport: the
    per-transport parameters "<transport>_destination_concurrency_limit",
    "<transport>_destination_recipient_limit",
    "<transport>_initial_destination_concurrency",
    "<transport>_destination_rate_delay" and
    "<transport>_destination_concurrency_failed_cohort_limit" fall back
    to their default_* parameters, as in Postfix, and the transport's
    master.cf process limit caps its concurrent deliveries.

    Parameters read: qmgr_message_active_limit,
    qmgr_message_recipient_limit, queue_run_delay, minimal_backoff_time,
    maximal_backoff_time, maximal_queue_lifetime, bounce_queue_lifetime,
    delay_warning_time, defer_transports, double_bounce_sender,
    recipient_delimiter, default_filter_nexthop, myhostname,
    default_process_limit,
    default_destination_concurrency_limit,
    default_destination_recipient_limit, initial_destination_concurrency,
    default_destination_rate_delay,
    default_destination_concurrency_failed_cohort_limit, and the
    per-transport forms above.

DIAGNOSTICS
    ConfigValueError for a value out of range.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyfix.config import types
from pyfix.config.store import Config


@dataclass(frozen=True)
class QmgrSettings:
    active_limit: int
    recipient_limit: int
    queue_run_delay: int
    min_backoff: int
    max_backoff: int
    max_queue_lifetime: int
    bounce_queue_lifetime: int
    delay_warning_time: int
    defer_transports: frozenset[str]
    double_bounce_sender: str
    recipient_delimiter: str
    default_filter_nexthop: str
    myhostname: str

    @classmethod
    def from_config(cls, config: Config) -> QmgrSettings:
        return cls(
            active_limit=config.get_int("qmgr_message_active_limit"),
            recipient_limit=config.get_int("qmgr_message_recipient_limit"),
            queue_run_delay=config.get_time("queue_run_delay"),
            min_backoff=config.get_time("minimal_backoff_time"),
            max_backoff=config.get_time("maximal_backoff_time"),
            max_queue_lifetime=config.get_time("maximal_queue_lifetime"),
            bounce_queue_lifetime=config.get_time("bounce_queue_lifetime"),
            delay_warning_time=config.get_time("delay_warning_time"),
            defer_transports=frozenset(config.get_list("defer_transports")),
            double_bounce_sender=config.get("double_bounce_sender"),
            recipient_delimiter=config.get("recipient_delimiter"),
            default_filter_nexthop=config.get("default_filter_nexthop"),
            myhostname=config.get("myhostname"),
        )


def _per_transport(config: Config, transport: str, suffix: str, default_name: str) -> str:
    name = f"{transport}_{suffix}"
    if config.lookup(name) is not None:
        return config.expand(config.lookup(name) or "")
    return config.get(default_name)


@dataclass(frozen=True)
class TransportSettings:
    name: str
    concurrency_limit: int
    recipient_limit: int
    initial_concurrency: int
    rate_delay: int
    cohort_limit: int
    process_limit: int

    @classmethod
    def from_config(cls, config: Config, transport: str) -> TransportSettings:
        def number(suffix: str, default_name: str) -> int:
            text = _per_transport(config, transport, suffix, default_name)
            return types.to_int(f"{transport}_{suffix}", text, 0, 0)

        rate = _per_transport(config, transport, "destination_rate_delay",
                              "default_destination_rate_delay")
        process_limit = config.get_int("default_process_limit")
        for entry in config.master:
            if entry.name == transport and entry.type == "unix":
                if entry.process_limit != "-":
                    process_limit = int(entry.process_limit) or 0
                break
        return cls(
            name=transport,
            concurrency_limit=number("destination_concurrency_limit",
                                     "default_destination_concurrency_limit"),
            recipient_limit=number("destination_recipient_limit",
                                   "default_destination_recipient_limit"),
            initial_concurrency=number("initial_destination_concurrency",
                                       "initial_destination_concurrency"),
            rate_delay=types.to_time(f"{transport}_destination_rate_delay", rate, "s", 0, 0),
            cohort_limit=number("destination_concurrency_failed_cohort_limit",
                                "default_destination_concurrency_failed_cohort_limit"),
            process_limit=process_limit,
        )
