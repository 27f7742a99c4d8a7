"""S15: the queue manager's concurrency, recipient and rate limits.

Deliveries go to pipe(8) services and to local(8) aliases that run a
recorder script (helpers.RECORDER): each run writes its start and end
time, so the test can measure how many deliveries to one destination
were in progress at once.  All messages are first held with
defer_transports and then released together with postqueue -f, so that
the queue manager sees the whole backlog at once.

Postfix 3.7 behaviour checked (qmgr(8), postconf(5)):
- $default_destination_concurrency_limit caps every transport without
  its own limit; $<transport>_destination_concurrency_limit overrides
  it; local(8) is limited per recipient by
  $local_destination_concurrency_limit (local's recipient limit is 1,
  so the destination is the recipient);
- $<transport>_destination_recipient_limit caps recipients per
  delivery (pipe's ${recipient} expands to one argument each);
- $<transport>_destination_rate_delay spaces deliveries to one
  destination at least that far apart.
"""

from __future__ import annotations

import itertools

from tests.delivery_e2e.helpers import (
    AGENTS_CF,
    RECORDER,
    Make,
    flush,
    intervals,
    max_overlap,
    pipe_service,
    scratch_dir,
    script,
    send,
    send_many,
    wait_queue_empty,
)
from tests.instance import wait_for

PER_DESTINATION = 6


def test_concurrency_recipient_and_rate_limits(pyfix_instance: Make) -> None:
    out = scratch_dir("pyfix-e2e-conc-")
    rec = script(out, "record.sh", RECORDER)
    (out / "aliases").write_text(f'bob "|{rec} {out}/local.log 1 0 bob"\n')
    master_cf = (AGENTS_CF
                 + pipe_service("pconc", f"{rec} {out}/pconc.log 1 0 ${{recipient}}")
                 + pipe_service("pdef", f"{rec} {out}/pdef.log 1 0 ${{recipient}}")
                 + pipe_service("prcpt", f"{rec} {out}/prcpt.log 0 0 ${{recipient}}")
                 + pipe_service("prate", f"{rec} {out}/prate.log 0 0 ${{recipient}}"))
    inst = pyfix_instance(
        "mydestination = localhost\n"
        f"alias_maps = texthash:{out}/aliases\nalias_database =\n"
        "transport_maps = inline:{ conc.test=pconc:, def.test=pdef:, rcpt.test=prcpt:, "
        "rate.test=prate: }\n"
        "defer_transports = pconc, pdef, prcpt, prate, local\n"
        "default_destination_concurrency_limit = 3\n"
        "pconc_destination_concurrency_limit = 2\n"
        "local_destination_concurrency_limit = 2\n"
        "prcpt_destination_recipient_limit = 2\n"
        "prate_destination_rate_delay = 1s\n"
        "minimal_backoff_time = 300s\nmaximal_backoff_time = 300s\n",
        master_cf)
    messages: list[list[str]] = []
    for number in range(PER_DESTINATION):
        messages += [[f"c{number}@conc.test"], [f"d{number}@def.test"], ["bob@localhost"]]
    messages += [["r@rate.test"]] * 3
    send_many(inst, messages)
    messages.append([f"u{n}@rcpt.test" for n in range(5)])
    send(inst, messages[-1])
    # qmgr logs one "deferred transport" line per recipient: wait for all
    # of them, the last message's five included, before the flush.
    inst.wait_log("status=deferred (deferred transport)",
                  count=sum(len(recipients) for recipients in messages))
    flush(inst)
    wait_queue_empty(inst, timeout=30)

    conc, dflt, local = (intervals(out / f"{name}.log") for name in ("pconc", "pdef", "local"))
    assert len(conc) == len(dflt) == len(local) == PER_DESTINATION, inst.maillog()
    # Limits are never exceeded, and deliveries do run in parallel up to them.
    assert max_overlap(conc) == 2, conc
    assert max_overlap(dflt) == 3, dflt
    assert max_overlap(local) == 2, local

    # Recipient limit: 5 recipients in batches of at most 2.
    batches = sorted(len(args.split()) for _s, _e, args in intervals(out / "prcpt.log"))
    assert batches == [1, 2, 2]
    got = sorted(r for _s, _e, a in intervals(out / "prcpt.log") for r in a.split())
    assert got == [f"u{n}@rcpt.test" for n in range(5)]

    # Rate delay: one delivery at a time, at least 1s apart.
    assert wait_for(lambda: len(intervals(out / "prate.log")) == 3)
    starts = sorted(start for start, _e, _a in intervals(out / "prate.log"))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.9 for gap in gaps), gaps
