"""sendmail -bv end to end in pyfix, against what real Postfix 3.7.11 did
with the same configuration (tests/golden/verify/record.sh): the delivery
agents report instead of delivering (status=deliverable/undeliverable;
nothing reaches the sinks or a mailbox), and the sender gets the "Mail
Delivery Status Report" that Postfix sends: the same lines once dates,
queue IDs, ports and the MIME boundary are masked (the recipients come in
the order their deliveries finished, on both sides).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.delivery.smtp.harness import Sink
from tests.instance import Instance, free_port, wait_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "verify"
MASTER_CF = """\
pickup    unix  n - n 60 1 pickup
qmgr      unix  n - n 300 1 qmgr
smtp      unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
local     unix  - n n - - local
"""
REASON = (None if os.geteuid() == 0 else "needs root (local delivery to root's mailbox)") or (
    None if shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists()
    else "smtp-sink is missing")
QUEUE_ID = re.compile(r"\b[0-9A-F]{10,12}\b")


def mask(text: str, ports: tuple[int, int, int]) -> str:
    names: dict[str, str] = {}

    def queue_id(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"QUEUEID{len(names) + 1}")

    text = QUEUE_ID.sub(queue_id, text)
    for port, name in zip(ports, ("ACCEPT", "REJECT", "DOWN"), strict=True):
        text = text.replace(f":{port}", f":{name}")
    for port, name in zip((26101, 26102, 26103), ("ACCEPT", "REJECT", "DOWN"), strict=True):
        text = text.replace(f":{port}", f":{name}")
    text = re.sub(r"\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000 \(UTC\)", "DATE", text)
    text = re.sub(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", "DATE", text)
    text = re.sub(r"<\d{14}\.", "<TIMESTAMP.", text)
    text = re.sub(r"\.\d{10}/mail\.example\.test", ".TIME/mail.example.test", text)
    return re.sub(r"delay=[\d.]+, delays=[\d./]+", "delay=D, delays=D", text)


class World:
    """A pyfix with pickup, qmgr, smtp and local, and the three destinations."""

    def __init__(self, make: Callable[..., Instance]) -> None:
        self.accept, self.reject = Sink(), Sink("-f", "RCPT")
        self.ports = (self.accept.port, self.reject.port, free_port())
        accept, reject, down = self.ports
        inst = make(
            "myhostname = mail.example.test\nmydomain = example.test\n"
            "mydestination = $myhostname, localhost\n"
            "relay_domains = accept.test reject.test down.test\n"
            f"transport_maps = inline:{{accept.test=smtp:[127.0.0.1]:{accept}, "
            f"reject.test=smtp:[127.0.0.1]:{reject}, down.test=smtp:[127.0.0.1]:{down}}}\n"
            "smtp_connect_timeout = 2s\n", MASTER_CF, start=False)
        self.mail = inst.root / "mail"
        self.mail.mkdir()
        os.chmod(self.mail, 0o1777)
        with (inst.etc / "main.cf").open("a") as main:
            main.write(f"mail_spool_directory = {self.mail}\n")
        inst.start()
        self.inst = inst

    def stop(self) -> None:
        self.accept.stop()
        self.reject.stop()

    def mailbox(self, messages: int) -> str:
        box = self.mail / "root"
        assert wait_for(lambda: box.exists() and box.read_text().count("\nFrom ") + 1 >= messages
                        and box.read_text().rstrip().endswith("--"), 30), self.inst.maillog()
        return box.read_text()

    def same_report(self, report: str, golden: str) -> None:
        want = mask(golden, self.ports).splitlines()
        got = mask(report, self.ports).splitlines()
        # the recipients are reported in the order their deliveries finished,
        # which varies on both sides: the same lines, and the same head
        head = next(i for i, line in enumerate(want) if line.startswith("<"))
        assert got[:head] == want[:head]
        assert sorted(got) == sorted(want)


@pytest.fixture
def world(pyfix_instance: Callable[..., Instance]) -> Iterator[World]:
    w = World(pyfix_instance)
    try:
        yield w
    finally:
        w.stop()


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_sendmail_bv_mails_the_report(world: World) -> None:
    inst = world.inst
    result = inst.command("sendmail", "-f", "root@mail.example.test", "-bv", "u@accept.test",
                          "u@reject.test", "u@down.test", "root@mail.example.test")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "bv-stdout").read_text()
    report = world.mailbox(1)
    inst.wait_log(": removed", count=2)  # the message and the report
    # one message in the mailbox: the report (the probe itself was not delivered)
    assert report.startswith("From MAILER-DAEMON") and report.count("\nFrom ") == 0
    world.same_report(report, (GOLDEN / "bv-report").read_text())
    log = [re.sub(r"^\w{3} [ \d]\d [\d:]{8} \S+ (\S+)\[\d+\]: ", r"\1: ", line)
           for line in inst.maillog().splitlines()]
    ours = sorted(mask(line, world.ports) for line in log
                  if re.match(r"postfix/(local|smtp|bounce|qmgr): ", line)
                  and "scache" not in line and "daemon started" not in line)
    theirs = sorted(mask(line, world.ports)
                    for line in (GOLDEN / "bv-log").read_text().splitlines())
    assert ours == theirs
    assert inst.queue_files("active") == [] and inst.queue_files("deferred") == []


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_sendmail_v_mails_the_same_report_after_delivering(world: World) -> None:
    result = world.inst.command("sendmail", "-f", "root@mail.example.test", "-v",
                                "root@mail.example.test", "u@accept.test",
                                input="Subject: v test\n\nhello\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "v-stdout").read_text()
    box = world.mailbox(2)
    message, report = box.split("\nFrom MAILER-DAEMON ")
    assert "Subject: v test" in message and message.rstrip().endswith("hello")
    golden = (GOLDEN / "v-mailbox").read_text().split("\nFrom MAILER-DAEMON ")[1]
    world.same_report("From MAILER-DAEMON " + report, "From MAILER-DAEMON " + golden)
