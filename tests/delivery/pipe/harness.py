"""Run the pipe, error and discard agents directly on real queue files.

PipeHarness writes a throw-away main.cf, the master.cf that real Postfix
was recorded with (golden/master.cf, see golden/record.py), and a
queue; it queues messages with the cleanup library and hands
DeliveryRequests to an agent the way the service shell does
(AgentShell.handle).  The commands really run, as user "nobody" when
the tests run as root.

The agent under test runs inside the pytest process, so its switch of
the effective user to $mail_owner (a process-wide change) is skipped:
owner_switched is set before the first delivery.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import time
from pathlib import Path

from pyfix.cleanup.service import CleanupService
from pyfix.config.load import load_config
from pyfix.config.store import Config
from pyfix.delivery.agent import Agent, Delivery
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.pipe import PipeAgent
from pyfix.delivery.request import DeliveryRequest, DeliveryResponse, RequestRecipient
from pyfix.log.maillog import MailLog
from pyfix.queue.layout import INCOMING
from pyfix.queue.reader import QueueFile
from tests.instance import world_traversable_dir

GOLDEN = Path(__file__).resolve().parent / "golden"
CAPTURE = GOLDEN / "capture"
# The message body of golden/record.py, after its two headers.
RECEIVED = b"Received: from client.example by mail.example.com; Fri, 1 Nov 2024 00:00:00 +0000"
BODY = [b"From me", b".dot", b"..two", b"normal line", b">From quoted"]


def golden_results() -> dict[str, str]:
    data: dict[str, str] = json.loads((GOLDEN / "results.json").read_text())
    return data


def golden_status(rcpt: str) -> str:
    """ "dsn=..., status=... (...)" as real Postfix logged it for rcpt."""
    text = golden_results()[rcpt]
    return text[text.index("dsn="):].replace("GOLDEN", str(GOLDEN))


def golden_warnings() -> list[str]:
    return (GOLDEN / "warnings.txt").read_text().splitlines()


class PipeHarness:
    def __init__(self, main_cf: str = "") -> None:
        self.root = world_traversable_dir("pyfix-pipe-")
        self.out = self.root / "out"
        self.out.mkdir()
        os.chmod(self.out, 0o1777)
        self.maillog = self.root / "maillog"
        golden_main = (GOLDEN / "main.cf").read_text()
        keep = [line for line in golden_main.splitlines()
                if line.split(" ", 1)[0] in ("recipient_delimiter",
                                             "flagsall_destination_recipient_limit",
                                             "loop_destination_recipient_limit",
                                             "slow_time_limit")]
        (self.root / "main.cf").write_text(
            "compatibility_level = 3.7\n"
            f"queue_directory = {self.root}/spool\n"
            f"maillog_file = {self.maillog}\n"
            "myhostname = mail.example.com\n"
            "mail_owner = postfix\nsetgid_group = postdrop\n"
            + "\n".join(keep) + "\n" + main_cf)
        master = (GOLDEN / "master.cf").read_text()
        master = master.replace("CAPTURE_SH OUTDIR", f"{GOLDEN / 'capture.sh'} {self.out}")
        master = master.replace("EXITWITH", str(GOLDEN / "exitwith.sh"))
        (self.root / "master.cf").write_text(master)
        self.config = load_config(str(self.root))
        self.log = MailLog("postfix/pipe", host="mail", maillog_file=str(self.maillog))
        self.cleanup = CleanupService(self.config, MailLog("postfix/cleanup", host="mail",
                                      maillog_file=str(self.maillog)), sync_directory=False)
        self.layout = self.cleanup.layout
        self.layout.create_directories()

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def service(self, name: str) -> Config:
        return self.config.for_service(name, "unix")

    def pipe_agent(self, name: str) -> PipeAgent:
        agent = PipeAgent(self.service(name), self.log)
        agent.owner_switched = True  # see the module docstring
        return agent

    def submit(self, rcpts: list[str], sender: str = "s@example.org",
               headers: list[bytes] | None = None, body: list[bytes] | None = None) -> str:
        stream = self.cleanup.open(sender)
        for rcpt in rcpts:
            stream.add_recipient(rcpt, rcpt)
        for line in [RECEIVED, *(headers or []), b"Subject: test", b"X-Test: yes", b""] + (
                BODY if body is None else body):
            stream.write_line(line)
        result = stream.close()
        assert result.ok, result
        return result.queue_id

    def request(self, queue_id: str, transport: str, nexthop: str, flags: int = 0,
                client: dict[str, str] | None = None) -> DeliveryRequest:
        with QueueFile.open(self.layout, INCOMING, queue_id) as queue_file:
            env = queue_file.read_envelope()
        now = time.time()
        return DeliveryRequest(
            INCOMING, queue_id, transport, nexthop, env.sender or "",
            [RequestRecipient(r.address, r.orig_address or r.address, r.offset, r.dsn_orcpt,
                              r.dsn_notify) for r in env.pending()],
            arrival_time=now, active_time=now, handoff_time=now,
            data_offset=env.content_offset, data_size=env.content_size, flags=flags,
            client=client or {})

    async def deliver_async(self, agent: Agent, request: DeliveryRequest,
                            relay: str) -> DeliveryResponse:
        queue_file = QueueFile.open(self.layout, request.queue_name, request.queue_id)
        delivery = Delivery(request, queue_file, self.layout, self.log, relay, 2)
        try:
            site = await agent.deliver(delivery)
        finally:
            delivery.defer_all(Dsn.defer("unknown mail transport error", "4.3.0"), "none")
            queue_file.close()
        return delivery.response(site)

    def deliver(self, agent: Agent, queue_id: str, transport: str, nexthop: str,
                relay: str, flags: int = 0,
                client: dict[str, str] | None = None) -> DeliveryResponse:
        request = self.request(queue_id, transport, nexthop, flags, client)
        return asyncio.run(self.deliver_async(agent, request, relay))

    def pipe(self, name: str, rcpts: list[str], sender: str = "s@example.org",
             headers: list[bytes] | None = None, nexthop: str | None = None,
             client: dict[str, str] | None = None) -> tuple[str, DeliveryResponse]:
        """Queue a message and deliver it with pipe service name."""
        queue_id = self.submit(rcpts, sender, headers)
        domain = rcpts[0].rsplit("@", 1)[1]
        response = self.deliver(self.pipe_agent(name), queue_id, name,
                                nexthop if nexthop is not None else domain, name,
                                client=client)
        return queue_id, response

    def log_lines(self) -> list[str]:
        if not self.maillog.exists():
            return []
        return [line.split("]: ", 1)[1] for line in self.maillog.read_text().splitlines()
                if "]: " in line]

    def status_of(self, rcpt: str) -> str:
        """The "dsn=..., status=..." text of the delivery line for rcpt."""
        for line in self.log_lines():
            if f"to=<{rcpt}>" in line and "dsn=" in line:
                return line[line.index("dsn="):]
        raise AssertionError(f"no delivery line for {rcpt}:\n" + "\n".join(self.log_lines()))

    def relay_of(self, rcpt: str) -> str:
        for line in self.log_lines():
            if f"to=<{rcpt}>" in line:
                match = re.search(r", relay=([^,]*),", line)
                assert match
                return match.group(1)
        raise AssertionError(rcpt)

    def captured(self, name: str, kind: str) -> bytes:
        return (self.out / f"{name}.{kind}").read_bytes()
