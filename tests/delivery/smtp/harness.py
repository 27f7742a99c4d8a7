"""Run the smtp/lmtp agent directly on real queue files, against real servers.

SmtpHarness writes a throw-away main.cf and queue, queues messages with
the cleanup library, and hands DeliveryRequests to an SmtpAgent the way
the agent service shell does (AgentShell.handle).  Sink starts Postfix's
smtp-sink(1) on a loopback port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from pyfix.cleanup.service import CleanupService
from pyfix.config.load import load_config
from pyfix.delivery.agent import Delivery
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.request import DeliveryRequest, DeliveryResponse, RequestRecipient
from pyfix.delivery.smtp.service import SmtpAgent
from pyfix.log.maillog import MailLog
from pyfix.queue.layout import INCOMING
from pyfix.queue.reader import QueueFile
from tests.instance import free_port, wait_for, world_traversable_dir

SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
BODY = [b"Received: from client.example by mail.example.com; Fri, 1 Nov 2024 00:00:00 +0000",
        b"From: sender@client.example", b"To: rcpt@remote.example", b"Subject: test",
        b"", b"Hello.", b".a line that starts with a dot", b"."]


class SmtpHarness:
    def __init__(self, main_cf: str = "", lmtp: bool = False) -> None:
        self.root = world_traversable_dir("pyfix-smtp-")
        self.maillog = self.root / "maillog"
        (self.root / "main.cf").write_text(
            "compatibility_level = 3.7\n"
            f"queue_directory = {self.root}/spool\n"
            f"maillog_file = {self.maillog}\n"
            "myhostname = mail.example.com\n"
            "inet_protocols = ipv4\n"
            "smtp_connect_timeout = 2s\nlmtp_connect_timeout = 2s\n"
            "smtp_helo_timeout = 3s\nlmtp_lhlo_timeout = 3s\n"
            "smtp_data_done_timeout = 5s\n" + main_cf)
        self.config = load_config(str(self.root), need_master=False)
        self.log = MailLog("postfix/lmtp" if lmtp else "postfix/smtp", host="mail",
                           maillog_file=str(self.maillog))
        self.cleanup = CleanupService(self.config, MailLog("postfix/cleanup", host="mail",
                                      maillog_file=str(self.maillog)), sync_directory=False)
        self.layout = self.cleanup.layout
        self.layout.create_directories()
        self.agent = SmtpAgent(self.config, self.log, lmtp)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def submit(self, rcpts: list[str], sender: str = "sender@client.example",
               body: list[bytes] | None = None, notify: int = 0) -> str:
        stream = self.cleanup.open(sender)
        for rcpt in rcpts:
            stream.add_recipient(rcpt, rcpt, notify)
        for line in BODY if body is None else body:
            stream.write_line(line)
        result = stream.close()
        assert result.ok, result
        return result.queue_id

    def request(self, queue_id: str, nexthop: str, flags: int = 0) -> DeliveryRequest:
        with QueueFile.open(self.layout, INCOMING, queue_id) as queue_file:
            env = queue_file.read_envelope()
        now = time.time()
        return DeliveryRequest(
            INCOMING, queue_id, "smtp", nexthop, env.sender or "",
            [RequestRecipient(r.address, r.orig_address, r.offset, r.dsn_orcpt, r.dsn_notify)
             for r in env.pending()],
            arrival_time=now, active_time=now, handoff_time=now,
            data_offset=env.content_offset, data_size=env.content_size,
            dsn_envid=env.dsn_envid, dsn_ret=env.dsn_ret, encoding=env.encoding,
            flags=flags)

    async def deliver_async(self, request: DeliveryRequest) -> DeliveryResponse:
        queue_file = QueueFile.open(self.layout, request.queue_name, request.queue_id)
        delivery = Delivery(request, queue_file, self.layout, self.log, "none", 2)
        try:
            site = await self.agent.deliver(delivery)
        finally:
            delivery.defer_all(Dsn.defer("unknown mail transport error", "4.3.0"), "none")
            queue_file.close()
        return delivery.response(site)

    def deliver(self, queue_id: str, nexthop: str, flags: int = 0) -> DeliveryResponse:
        return asyncio.run(self.deliver_async(self.request(queue_id, nexthop, flags)))

    def log_lines(self) -> list[str]:
        if not self.maillog.exists():
            return []
        return [line.split("]: ", 1)[1] for line in self.maillog.read_text().splitlines()
                if "]: " in line]


class Sink:
    """smtp-sink on 127.0.0.1:port with the given options."""

    def __init__(self, *options: str, port: int = 0, dump: Path | None = None,
                 host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port()
        args = [SMTP_SINK, *(["-u", "postfix"] if os.geteuid() == 0 else []), *options]
        if dump is not None:
            args += ["-d", str(dump / "%M%S.")]
        self.proc = subprocess.Popen([*args, f"{host}:{self.port}", "10"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_for(self._up, 5):
            self.stop()
            raise RuntimeError("smtp-sink did not start")

    def _up(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    @property
    def nexthop(self) -> str:
        return f"[{self.host}]:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
