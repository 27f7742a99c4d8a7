"""qmgr end to end: a real pyfix master, smtplib as the client, real agents.

The mail log lines are compared with the texts that Postfix 3.7.11's qmgr
and delivery agents write (qmgr/qmgr_message.c "(queue active)",
qmgr/qmgr_active.c "removed" and "status=expired, returned to sender",
global/log_adhoc.c for the "to=<...>" lines).
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyfix.queue.trigger import mail_trigger
from tests.instance import Instance, wait_for

MESSAGE = b"Subject: test\r\nFrom: a@b.example\r\n\r\nhello\r\n"
Make = Callable[..., Instance]

SMTPD_QMGR = """\
qmgr      unix  n       -       n       300     1       qmgr
"""
AGENTS = """\
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
"""


def send(inst: Instance, rcpts: list[str], sender: str = "a@b.example") -> str:
    with inst.smtp() as client:
        client.ehlo("client.example")
        code, text = client.mail(sender)
        assert code == 250
        for rcpt in rcpts:
            assert client.rcpt(rcpt)[0] == 250
        code, text = client.data(MESSAGE)
        assert code == 250, text
    match = re.search(rb"queued as (\w+)", text)
    assert match
    return match.group(1).decode()


def test_unreachable_transport_defers_with_backoff(pyfix_instance: Make) -> None:
    inst = pyfix_instance("minimal_backoff_time = 100s\nmaximal_backoff_time = 200s\n"
                          "mydestination = $myhostname\n", SMTPD_QMGR)
    started = time.time()
    qid = send(inst, ["user@mail.example.com"])
    log = inst.wait_log(f"{qid}: to=<user@mail.example.com>, relay=none")
    assert f"{qid}: from=<a@b.example>, size=" in log and "nrcpt=1 (queue active)" in log
    assert re.search(rf"{qid}: to=<user@mail.example.com>, relay=none, delay=[\d.]+, "
                     r"delays=[\d.]+/[\d.]+/0/0, dsn=4.3.0, "
                     r"status=deferred \(mail transport unavailable\)", log)
    assert "warning: connect to transport private/local: " in log
    assert wait_for(lambda: len(inst.queue_files("deferred")) == 1)
    deferred = inst.queue_files("deferred")[0]
    assert deferred.name == qid
    # Next attempt: the message's age, at least minimal_backoff_time.
    assert started + 95 <= deferred.stat().st_mtime <= time.time() + 101
    defer_log = (inst.spool / "defer").rglob(qid)
    assert "reason=mail transport unavailable" in next(defer_log).read_text()
    assert not inst.queue_files("active") and not inst.queue_files("incoming")


def test_discard_delivers_and_removes(pyfix_instance: Make) -> None:
    inst = pyfix_instance("transport_maps = inline:{ example.net=discard:gone }\n",
                          SMTPD_QMGR + AGENTS)
    qid = send(inst, ["x@example.net", "y@example.net"])
    log = inst.wait_log(f"{qid}: removed")
    for rcpt in ("x@example.net", "y@example.net"):
        assert re.search(rf"postfix/discard\[\d+\]: {qid}: to=<{rcpt}>, relay=none, "
                         r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2.0.0, "
                         r"status=sent \(gone\)", log), log
    assert re.search(rf"postfix/qmgr\[\d+\]: {qid}: removed", log)
    assert not inst.queue_files("active") and not inst.queue_files("deferred")


def test_retry_until_expired_then_returned(pyfix_instance: Make) -> None:
    inst = pyfix_instance(
        # smtpd would refuse the "retry" transport's recipients at RCPT time.
        "smtpd_reject_unlisted_recipient = no\n"
        "transport_maps = inline:{ {example.net=retry:4.4.1 try later} }\n"
        "minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_run_delay = 1s\n"
        "maximal_queue_lifetime = 4s\n", SMTPD_QMGR + AGENTS)
    qid = send(inst, ["x@example.net"])
    log = inst.wait_log(f"{qid}: from=<a@b.example>, status=expired, returned to sender",
                        timeout=30)
    attempts = log.count(f"{qid}: to=<x@example.net>, relay=none")
    assert attempts >= 2, log  # retried on the short schedule before expiry
    assert "status=deferred (try later)" in log
    inst.wait_log(f"{qid}: removed")
    assert "sender non-delivery notification" in inst.wait_log("sender non-delivery")


def test_flush_retries_deferred_mail_now(pyfix_instance: Make) -> None:
    inst = pyfix_instance("minimal_backoff_time = 1000s\nmaximal_backoff_time = 1000s\n"
                          "transport_maps = inline:{ example.net=discard }\n"
                          "defer_transports = discard\n", SMTPD_QMGR + AGENTS)
    qid = send(inst, ["x@example.net"])
    inst.wait_log("status=deferred (deferred transport)")
    assert wait_for(lambda: len(inst.queue_files("deferred")) == 1)
    # postqueue -f: a flush ignores defer_transports and the retry time.
    assert mail_trigger(str(inst.spool), "public", "qmgr", b"FAD") is None
    inst.wait_log(f"{qid}: removed")
    assert not inst.queue_files("deferred")


def test_corrupt_queue_file_is_set_aside(pyfix_instance: Make) -> None:
    inst = pyfix_instance("", SMTPD_QMGR)
    bad = inst.spool / "incoming" / "ABCDEF12345"
    bad.write_bytes(b"this is not a queue file")
    os.chmod(bad, 0o700)
    if os.geteuid() == 0:  # qmgr runs as mail_owner
        owner = pwd.getpwnam("postfix")
        os.chown(bad, owner.pw_uid, owner.pw_gid)
    mail_trigger(str(inst.spool), "public", "qmgr", b"I")
    inst.wait_log('saving corrupt file "ABCDEF12345" from queue "active" to queue "corrupt"')
    assert [p.name for p in inst.queue_files("corrupt")] == ["ABCDEF12345"]


def _qmgr_pid(inst: Instance) -> int:
    for line in reversed(inst.maillog().splitlines()):
        match = re.search(r"postfix/qmgr\[(\d+)\]", line)
        if match:
            return int(match.group(1))
    raise AssertionError("no qmgr in the log")


def test_kill_9_of_qmgr_loses_nothing(pyfix_instance: Make) -> None:
    inst = pyfix_instance("transport_maps = inline:{ example.net=discard }\n"
                          "defer_transports = discard\nminimal_backoff_time = 1s\n"
                          "maximal_backoff_time = 1s\nqueue_run_delay = 1s\n",
                          SMTPD_QMGR + AGENTS)
    qids = [send(inst, [f"u{i}@example.net"]) for i in range(5)]
    inst.wait_log("status=deferred (deferred transport)", count=5)
    os.kill(_qmgr_pid(inst), signal.SIGKILL)
    # The master restarts qmgr; mail that was active goes back to incoming.
    (inst.etc / "main.cf").write_text(
        (inst.etc / "main.cf").read_text().replace("defer_transports = discard\n", ""))
    assert inst.postfix("reload").returncode == 0
    for qid in qids:
        inst.wait_log(f"{qid}: removed", timeout=30)
    files: list[Path] = [p for q in ("incoming", "active", "deferred")
                         for p in inst.queue_files(q)]
    assert files == []


@pytest.mark.parametrize("limit", [1])
def test_per_recipient_queues_for_recipient_limit_one(pyfix_instance: Make,
                                                      limit: int) -> None:
    inst = pyfix_instance(f"discard_destination_recipient_limit = {limit}\n"
                          "transport_maps = inline:{ example.net=discard }\n",
                          SMTPD_QMGR + AGENTS)
    qid = send(inst, ["a@example.net", "b@example.net", "c@example.net"])
    log = inst.wait_log(f"{qid}: removed")
    assert log.count(f"{qid}: to=<") == 3


def test_etrn_retries_deferred_mail_for_fast_flush_domains(pyfix_instance: Make) -> None:
    # The flush service logs the deferred queue ID for example.net, and on
    # ETRN moves that file to incoming and triggers qmgr ("F", then "I").
    flush = "flush     unix  n       -       y       1000?   0       flush\n"
    inst = pyfix_instance("minimal_backoff_time = 1000s\nmaximal_backoff_time = 1000s\n"
                          "relay_domains = example.net\n"
                          "smtpd_reject_unlisted_recipient = no\n"
                          "transport_maps = inline:{ example.net=retry:x }\n",
                          SMTPD_QMGR + AGENTS + flush)
    qid = send(inst, ["x@example.net"])
    inst.wait_log(f"{qid}: to=<x@example.net>")
    assert wait_for(lambda: len(inst.queue_files("deferred")) == 1)
    main_cf = inst.etc / "main.cf"
    main_cf.write_text(main_cf.read_text().replace("retry:x", "discard"))
    assert inst.postfix("reload").returncode == 0
    inst.wait_log("reload -- version pyfix")
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.docmd("ETRN", "other.example") == (
            459, b"<other.example>: service unavailable")
        assert client.docmd("ETRN", "example.net") == (250, b"Queuing started")
    log = inst.wait_log(f"{qid}: removed")
    assert "warning: reject: ETRN other.example... from localhost[127.0.0.1]" in log


@pytest.mark.skipif(not os.path.exists("/usr/sbin/smtp-sink"), reason="smtp-sink not installed")
def test_postqueue_i_delivers_one_message_to_a_dead_destination(pyfix_instance: Make) -> None:
    from tests.delivery.smtp.harness import Sink
    from tests.instance import free_port

    port = free_port()  # nothing listens there yet
    inst = pyfix_instance(f"relayhost = [127.0.0.1]:{port}\ninet_protocols = ipv4\n"
                          "initial_destination_concurrency = 1\n"
                          "minimal_backoff_time = 1000s\nmaximal_backoff_time = 1000s\n")
    first = send(inst, ["a@remote.example"])
    inst.wait_log(f"{first}: to=<a@remote.example>, relay=none")
    second = send(inst, ["b@remote.example"])
    inst.wait_log(f"{second}: to=<b@remote.example>, relay=none")
    assert "delivery temporarily suspended: connect to 127.0.0.1" in inst.maillog()
    assert wait_for(lambda: len(inst.queue_files("deferred")) == 2)
    sink = Sink(port=port)
    try:
        # The destination is still dead for qmgr; -i makes it try this one.
        result = inst.command("postqueue", "-i", second)
        assert result.returncode == 0, result.stderr
        log = inst.wait_log(f"{second}: removed")
        assert re.search(rf"{second}: to=<b@remote.example>, relay=127.0.0.1\[127.0.0.1\]:"
                         rf"{port}, .*status=sent", log), log
        assert [p.name for p in inst.queue_files("deferred")] == [first]
    finally:
        sink.stop()


def test_reload_during_deliveries_delivers_each_message_once(pyfix_instance: Make) -> None:
    """The old qmgr finishes what it has in the active queue before the new
    one starts (maxproc 1), so a reload does not deliver anything twice."""
    from tests.instance import world_traversable_dir

    out = world_traversable_dir("pyfix-reload-")
    os.chmod(out, 0o777)
    user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    slow = (f"slow unix - n n - - pipe\n  flags=q user={user} argv=/bin/sh -c "
            f"{{sleep 2; echo $$0 >> {out}/log}} ${{queue_id}}\n")
    inst = pyfix_instance("transport_maps = inline:{ example.net=slow: }\n",
                          SMTPD_QMGR + AGENTS + slow)
    qids = [send(inst, [f"u{n}@example.net"]) for n in range(3)]
    inst.wait_log("(queue active)", count=3)
    time.sleep(0.5)  # the deliveries are running
    assert inst.postfix("reload").returncode == 0
    for qid in qids:
        inst.wait_log(f"{qid}: removed", timeout=30)
    time.sleep(3)  # a second delivery would show up by now
    delivered = (out / "log").read_text().split()
    assert sorted(delivered) == sorted(qids), inst.maillog()
