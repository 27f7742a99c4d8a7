"""S22: retry schedule, queue lifetimes and the delay warning.

A pipe(8) service whose command records each attempt and exits 75
(EX_TEMPFAIL) keeps a message deferred.  Notices go to a second pipe
service that saves each message (helpers.CATCHER).

Postfix 3.7 behaviour checked (qmgr(8), postconf(5), qmgr_active.c):
- after a failed attempt the message waits in the deferred queue until
  now + its age, limited to $minimal_backoff_time ..
  $maximal_backoff_time (the queue file's modification time), and the
  deferred queue is scanned every $queue_run_delay;
- a message older than $maximal_queue_lifetime is logged as
  "QUEUEID: from=<sender>, status=expired, returned to sender" and
  bounced with a non-delivery notice;
- mail from the null sender uses $bounce_queue_lifetime instead, and
  an expired bounce is dropped, not bounced again (notify_classes has
  no "bounce" or "2bounce" by default);
- a message still queued after $delay_warning_time gets one
  "Delayed Mail (still being retried)" notice, and only one.
"""

from __future__ import annotations

import itertools
import re

from tests.delivery_e2e.helpers import (
    AGENTS_CF,
    CATCHER,
    RECORDER,
    Make,
    caught,
    dsn_parts,
    intervals,
    pipe_service,
    scratch_dir,
    script,
    send,
    wait_queue_empty,
)

MIN_BACKOFF, MAX_BACKOFF, RUN_DELAY, LIFETIME = 1, 3, 1, 6


def test_retry_schedule_delay_warning_and_expiry(pyfix_instance: Make) -> None:
    out = scratch_dir("pyfix-e2e-retry-")
    notices = scratch_dir("pyfix-e2e-notices-")
    rec = script(out, "record.sh", RECORDER)
    catch = script(out, "catch.sh", CATCHER)
    inst = pyfix_instance(
        "transport_maps = inline:{ later.test=tempfail:, notice.test=catcher: }\n"
        f"minimal_backoff_time = {MIN_BACKOFF}s\nmaximal_backoff_time = {MAX_BACKOFF}s\n"
        f"queue_run_delay = {RUN_DELAY}s\nmaximal_queue_lifetime = {LIFETIME}s\n"
        "bounce_queue_lifetime = 2s\ndelay_warning_time = 2s\n",
        AGENTS_CF
        + pipe_service("tempfail", f"{rec} {out}/attempts.log 0 75 ${{queue_id}}")
        + pipe_service("catcher", f"{catch} {notices}"))
    qid = send(inst, ["user@later.test"], sender="owner@notice.test")
    bounce_qid = send(inst, ["user@later.test"], sender="")

    log = inst.wait_log(f"{qid}: from=<owner@notice.test>, status=expired, "
                        "returned to sender", timeout=LIFETIME + 2 * MAX_BACKOFF + 2)
    inst.wait_log(f"{bounce_qid}: from=<>, status=expired, returned to sender")
    wait_queue_empty(inst)
    log = inst.maillog()

    # Each attempt was logged as a deferral, on the backoff schedule.
    assert re.search(rf"postfix/pipe\[\d+\]: {qid}: to=<user@later.test>, "
                     r"relay=tempfail, delay=[\d.]+, delays=[\d./]+, dsn=4.3.0, "
                     r"status=deferred \(temporary failure\)", log), log
    starts = sorted(start for start, _e, args in intervals(out / "attempts.log")
                    if args == qid)
    assert len(starts) >= 3, starts
    # The wait after an attempt is the message's age (whole seconds since
    # arrival), limited to the backoff range, plus up to one queue run delay.
    for earlier, later in itertools.pairwise(starts):
        age = earlier - starts[0]
        low = max(MIN_BACKOFF, min(age, MAX_BACKOFF))
        high = max(MIN_BACKOFF, min(age + 1, MAX_BACKOFF)) + RUN_DELAY
        assert low - 0.3 <= later - earlier <= high + 0.5, (starts, earlier, later)
    assert starts[-1] - starts[-2] >= MAX_BACKOFF - 0.8, starts  # the backoff grew
    # No attempt after the lifetime ran out; expiry at the first attempt after it.
    assert starts[-2] - starts[0] < LIFETIME <= starts[-1] - starts[0] + 1
    assert log.count(f"{qid}: to=<user@later.test>") == len(starts)

    # The bounce expired after bounce_queue_lifetime and was dropped.
    bounce_starts = [s for s, _e, args in intervals(out / "attempts.log") if args == bounce_qid]
    assert 2 <= len(bounce_starts) < len(starts), (bounce_starts, starts)
    assert re.search(rf"postfix/qmgr\[\d+\]: {bounce_qid}: removed", log)
    assert f"{bounce_qid}: sender non-delivery" not in log
    assert f"{bounce_qid}: postmaster non-delivery" not in log
    assert f"{bounce_qid}: sender delay notification" not in log

    # One delay warning, then the non-delivery notice, both to the sender.
    assert log.count(f"{qid}: sender delay notification: ") == 1
    assert log.count(f"{qid}: sender non-delivery notification: ") == 1
    got = caught(notices)
    assert [m["Subject"] for m in got] == ["Delayed Mail (still being retried)",
                                          "Undelivered Mail Returned to Sender"], got
    assert all(m["To"] == "owner@notice.test" for m in got)
    delay_text, delay_status, delay_headers = dsn_parts(got[0])
    assert "THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE." in delay_text
    rcpt_fields = delay_status[1]
    assert rcpt_fields["Action"] == "delayed" and rcpt_fields["Status"] == "4.3.0"
    assert rcpt_fields["Diagnostic-Code"] == "x-unix; temporary failure"  # pipe_command.c
    assert rcpt_fields["Will-Retry-Until"]
    assert delay_headers.get_content_type() == "text/rfc822-headers"
    report = dsn_parts(got[1])[0]
    assert "<user@later.test>: temporary failure" in report
    # The notices went through the queue from the null sender.
    for match in re.finditer(rf"{qid}: sender \w+ notification: (\w+)", log):
        assert re.search(rf"{match.group(1)}: from=<>, size=", log)
    # Nothing is left behind: no defer or bounce logs.
    assert not [p for q in ("defer", "bounce") for p in (inst.spool / q).rglob("*")
                if p.is_file()]
