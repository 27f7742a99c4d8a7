"""Regressions: qmgr finishes a message once, even when its destination is
dead; the smtp agent bounces a damaged queue file as Postfix's smtp_proto.c
does ("unreadable mail queue entry"); the master restarts a busy service
that was killed at once, throttling only one that died before it was
ready (Postfix's master_spawn.c).
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from pyfix.queue.trigger import mail_trigger
from tests.delivery.smtp.harness import SMTP_SINK, Sink
from tests.delivery_e2e.helpers import (
    AGENTS_CF,
    FAST_RETRY_CF,
    Make,
    delivery_lines,
    flush,
    send,
    send_many,
    service_pids,
    wait_queue_empty,
)
from tests.instance import free_port, wait_for


def test_message_for_dead_destination_is_finished_once(pyfix_instance: Make) -> None:
    port = free_port()  # nothing listens there
    inst = pyfix_instance(f"relayhost = [127.0.0.1]:{port}\ninet_protocols = ipv4\n"
                          "defer_transports = smtp\nminimal_backoff_time = 60s\n"
                          "maximal_backoff_time = 60s\nmaximal_queue_lifetime = 3s\n"
                          "transport_maps = inline:{ notice.test=discard: }\n", AGENTS_CF)
    started = time.time()
    qids = send_many(inst, [[f"u{n}@remote.example"] for n in range(12)],
                     sender="owner@notice.test")
    last_sent = time.time()
    inst.wait_log("status=deferred (deferred transport)", count=len(qids))
    flush(inst)  # five deliveries are refused, the destination is dead
    inst.wait_log("delivery temporarily suspended: ")
    assert wait_for(lambda: len(inst.queue_files("deferred")) == len(qids))
    # Every message older than maximal_queue_lifetime, however slow the machine.
    time.sleep(max(0.0, started + 4 - time.time(), last_sent + 3.5 - time.time()))
    # Activated again while the destination is dead, and now too old.
    assert mail_trigger(str(inst.spool), "public", "qmgr", b"A") is None
    wait_queue_empty(inst)
    time.sleep(0.5)
    log = inst.maillog()
    for qid in qids:
        assert log.count(f"{qid}: from=<owner@notice.test>, status=expired") == 1, log
        assert log.count(f"{qid}: sender non-delivery notification: ") == 1, log
    assert "No such file or directory" not in log


@pytest.mark.skipif(not os.path.exists(SMTP_SINK), reason="smtp-sink is not installed")
def test_damaged_content_bounces_as_unreadable(pyfix_instance: Make) -> None:
    sink = Sink("-W", "ehlo:1")
    try:
        inst = pyfix_instance(f"relayhost = [127.0.0.1]:{sink.port}\ninet_protocols = ipv4\n"
                              + FAST_RETRY_CF, AGENTS_CF)
        filler = b"".join(b"X-Filler: %06d %s\r\n" % (n, b"f" * 60) for n in range(800))
        victim = send(inst, ["victim@remote.example"],
                      body=b"Subject: victim\r\n" + filler + b"\r\nbody\r\n")
        inst.wait_log(f"{victim}: from=<sender@example.org>, size=")
        path = next(p for p in inst.queue_files("active") if p.name == victim)
        os.truncate(path, path.stat().st_size // 2)
        log = inst.wait_log(f"{victim}: to=<victim@remote.example>")
        assert f"warning: {victim}: bad record type: -1 in message content" in log
        assert re.search(rf"{victim}: to=<victim@remote.example>, relay=127.0.0.1"
                         r"\[127.0.0.1\]:\d+, .*dsn=5.3.0, "
                         r"status=bounced \(unreadable mail queue entry\)", log), log
        assert delivery_lines(log, victim, "bounced")
    finally:
        sink.stop()


def test_busy_qmgr_killed_early_is_restarted_at_once(pyfix_instance: Make) -> None:
    inst = pyfix_instance("transport_maps = inline:{ example.net=discard: }\n", AGENTS_CF)
    first = send(inst, ["a@example.net"])
    inst.wait_log(f"{first}: removed")  # qmgr is up and has worked
    pids = service_pids(inst, "qmgr/unix")
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    inst.wait_log(f"process pyfix/qmgr pid {pids[0]} killed by signal 9")
    second = send(inst, ["b@example.net"])
    inst.wait_log(f"{second}: removed", timeout=4)
    assert "bad command startup" not in inst.maillog()
