"""Crash tests: kill -9 of qmgr and of the smtp agent in mid-delivery.

smtp-sink plays the remote server and waits a second before it answers
DATA, so that deliveries are in flight when a process is killed; its
dump files (-d) show what arrived.  The master restarts the killed
process.  Every message that got a 250 from pyfix's smtpd must reach
smtp-sink at least once and the queue must end empty: duplicates are
allowed, losses are not (DESIGN.md section 3, Postfix's guarantee).
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests.delivery.smtp.harness import SMTP_SINK, Sink
from tests.delivery_e2e.helpers import (
    AGENTS_CF,
    FAST_RETRY_CF,
    Make,
    scratch_dir,
    service_pids,
    wait_queue_empty,
)
from tests.instance import Instance, wait_for

MESSAGES = 12


def arrived(dump: Path) -> dict[int, int]:
    """How many copies of each numbered message smtp-sink received."""
    counts: dict[int, int] = {}
    for path in dump.iterdir():
        for match in re.finditer(r"^X-Crash-Id: (\d+)$", path.read_text(errors="replace"),
                                 re.MULTILINE):
            number = int(match.group(1))
            counts[number] = counts.get(number, 0) + 1
    return counts


def submit(inst: Instance) -> None:
    with inst.smtp() as client:
        client.ehlo("client.example")
        for number in range(MESSAGES):
            body = f"X-Crash-Id: {number}\r\nSubject: crash {number}\r\n\r\nhello\r\n"
            client.sendmail("sender@example.org", [f"rcpt{number}@remote.example"],
                            body.encode())


def kill_one(inst: Instance, key: str) -> int:
    pids = service_pids(inst, key)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    log = f"process pyfix/{key.split('/')[0]} pid {pids[0]} killed by signal 9"
    inst.wait_log(log)
    # The master starts a new one.
    assert wait_for(lambda: len(service_pids(inst, key)) == 1
                    and service_pids(inst, key) != pids, 10)
    return pids[0]


@pytest.mark.skipif(not os.path.exists(SMTP_SINK), reason="smtp-sink is not installed")
def test_kill_9_of_qmgr_and_smtp_loses_nothing(pyfix_instance: Make) -> None:
    dump = scratch_dir("pyfix-e2e-crash-")
    sink = Sink("-w", "1", dump=dump)
    try:
        inst = pyfix_instance(
            f"relayhost = [127.0.0.1]:{sink.port}\ninet_protocols = ipv4\n"
            "service_throttle_time = 1s\n" + FAST_RETRY_CF, AGENTS_CF)
        submit(inst)
        # qmgr dies while deliveries wait for smtp-sink's DATA reply.
        assert wait_for(lambda: len(list(dump.iterdir())) >= 1, 20), inst.maillog()
        kill_one(inst, "qmgr/unix")
        # The new qmgr takes the active queue back; then the smtp agent dies
        # while it talks to smtp-sink.
        seen = len(list(dump.iterdir()))
        assert wait_for(lambda: len(list(dump.iterdir())) > seen, 20), inst.maillog()
        kill_one(inst, "smtp/unix")
        wait_queue_empty(inst, timeout=40)
        counts = arrived(dump)
        missing = sorted(set(range(MESSAGES)) - set(counts))
        assert not missing, (missing, inst.maillog())
        log = inst.maillog()
        assert "status=sent (250 2.0.0 Ok" in log
        assert not list((inst.spool / "corrupt").iterdir())
    finally:
        sink.stop()
