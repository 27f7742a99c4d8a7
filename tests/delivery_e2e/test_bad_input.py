"""Bad input during delivery: a damaged queue file, a missing transport,
a relay host that refuses connections.

Postfix 3.7 behaviour checked:
- qmgr_transport.c: a transport without a master.cf entry (no
  private/TRANSPORT socket) gives "warning: connect to transport
  private/NAME: No such file or directory" and hands its recipients to
  the retry transport, whose error(8) agent defers them with dsn=4.3.0
  "mail transport unavailable" (qmgr logs that itself only when retry
  cannot be reached either; tests/qmgr/test_reroute_live.py compares
  this with a live Postfix);
- smtp(8): a refused connection defers with dsn=4.4.1 "connect to
  HOST[ADDR]:PORT: Connection refused"; once the destination has
  failed a whole cohort of deliveries qmgr marks it dead and defers the
  mail waiting for it, and mail that arrives while it is dead, with
  "delivery temporarily suspended: REASON", which the retry transport's
  error(8) agent logs with relay=none (Postfix 3.7, checked live: the
  lines come from postfix/error, dsn=4.4.1);
- a queue file that is damaged while a delivery reads it is never
  delivered as if it were complete; nothing crashes; the file ends in
  the corrupt queue with qmgr's 'saving corrupt file "ID" from queue
  "active" to queue "corrupt"', and other mail is delivered.
"""

from __future__ import annotations

import os
import re
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
    scratch_dir,
    send,
    send_many,
    wait_queue_empty,
)
from tests.instance import free_port, wait_for


def test_transport_without_master_cf_entry_defers(pyfix_instance: Make) -> None:
    inst = pyfix_instance("transport_maps = inline:{ nowhere.test=nosuch: }\n"
                          "minimal_backoff_time = 300s\n", AGENTS_CF)
    qid = send(inst, ["user@nowhere.test"])
    log = inst.wait_log(f"{qid}: to=<user@nowhere.test>, relay=none")
    assert re.search(r"postfix/qmgr\[\d+\]: warning: connect to transport private/nosuch: "
                     r"No such file or directory", log), log
    assert re.search(rf"postfix/error\[\d+\]: {qid}: to=<user@nowhere.test>, relay=none, "
                     r"delay=[\d.]+, delays=[\d./]+, dsn=4.3.0, "
                     r"status=deferred \(mail transport unavailable\)", log), log
    assert wait_for(lambda: [p.name for p in inst.queue_files("deferred")] == [qid])


def test_refused_relayhost_is_deferred_and_marked_dead(pyfix_instance: Make) -> None:
    port = free_port()  # nothing listens there
    refused = f"connect to 127.0.0.1[127.0.0.1]:{port}: Connection refused"
    inst = pyfix_instance(f"relayhost = [127.0.0.1]:{port}\ninet_protocols = ipv4\n"
                          "defer_transports = smtp\nminimal_backoff_time = 60s\n"
                          "maximal_backoff_time = 60s\n", AGENTS_CF)
    # Hold a backlog, then release it at once, as "postqueue -f" does.
    qids = send_many(inst, [[f"u{n}@remote.example"] for n in range(12)])
    inst.wait_log("status=deferred (deferred transport)", count=len(qids))
    flush(inst)
    log = inst.wait_log(f"delivery temporarily suspended: {refused})")
    assert re.search(r"postfix/smtp\[\d+\]: \w+: to=<u\d@remote.example>, relay=none, "
                     rf"delay=[\d.]+, delays=[\d./]+, dsn=4.4.1, status=deferred \({re.escape(refused)}\)",
                     log), log
    assert re.search(r"postfix/error\[\d+\]: \w+: to=<u\d@remote.example>, relay=none, "
                     r"delay=[\d.]+, delays=[\d./]+, dsn=4.4.1, status=deferred "
                     rf"\(delivery temporarily suspended: {re.escape(refused)}\)", log), log
    assert wait_for(lambda: all(
        delivery_lines(inst.maillog(), qid, "deferred") for qid in qids))
    # Mail that arrives while the destination is dead is not even tried.
    late = send(inst, ["late@remote.example"])
    inst.wait_log(f"{late}: to=<late@remote.example>, relay=none")
    assert mail_trigger(str(inst.spool), "public", "qmgr", b"A") is None  # no "F"
    log = inst.wait_log(f"{late}: to=<late@remote.example>, relay=none", count=2)
    assert re.search(rf"postfix/error\[\d+\]: {late}: to=<late@remote.example>, relay=none, "
                     r"delay=[\d.]+, delays=[\d./]+, dsn=4.4.1, status=deferred "
                     rf"\(delivery temporarily suspended: {re.escape(refused)}\)", log), log
    assert wait_for(lambda: len(inst.queue_files("deferred")) == len(qids) + 1)


@pytest.mark.skipif(not os.path.exists(SMTP_SINK), reason="smtp-sink is not installed")
def test_queue_file_damaged_during_delivery(pyfix_instance: Make) -> None:
    dump = scratch_dir("pyfix-e2e-damaged-")
    sink = Sink("-W", "ehlo:1", dump=dump)
    try:
        inst = pyfix_instance(f"relayhost = [127.0.0.1]:{sink.port}\ninet_protocols = ipv4\n"
                              "transport_maps = inline:{ local.test=discard: }\n"
                              + FAST_RETRY_CF, AGENTS_CF)
        filler = b"".join(b"X-Filler: %06d %s\r\n" % (n, b"f" * 60) for n in range(800))
        victim = send(inst, ["victim@remote.example"],
                      body=b"Subject: victim\r\n" + filler + b"\r\nbody\r\n")
        inst.wait_log(f"{victim}: from=<sender@example.org>, size=")
        # The smtp agent now waits 1s for the EHLO reply: damage the file.
        path = next(p for p in inst.queue_files("active") if p.name == victim)
        os.truncate(path, path.stat().st_size // 2)
        other = send(inst, ["other@local.test"])
        inst.wait_log(f"{other}: removed")
        # As Postfix's smtp(8): bounced as unreadable, never sent incomplete.
        inst.wait_log(f"{victim}: removed", timeout=30)
        after = send(inst, ["after@remote.example"])
        inst.wait_log(f"{after}: removed", timeout=30)
        wait_queue_empty(inst)
        log = inst.maillog()
        assert not delivery_lines(log, victim, "sent"), log
        assert delivery_lines(log, after, "sent"), log
        assert "status=bounced (unreadable mail queue entry)" in log, log
        assert f"{victim}: sender non-delivery notification: " in log, log
        assert "killed by signal" not in log and "exit status" not in log, log
        assert "Traceback" not in log
        # smtp-sink never got the damaged message as a complete one.
        time.sleep(0.5)
        assert not [p for p in dump.iterdir() if b"Subject: victim" in p.read_bytes()]
    finally:
        sink.stop()
