"""A throw-away mail system for agent-level tests of local(8) and virtual(8).

LocalBox writes main.cf/master.cf under a world-traversable directory,
creates the queue, queues messages through the real cleanup library, and
runs an agent's deliver() on them through the real Delivery object of
pyfix.delivery.agent, as the service shell does.  LocalUsers makes real
passwd users (useradd) when the tests run as root.
"""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from pyfix.cleanup import CLEANUP_FLAG_MASK_EXTERNAL, CleanupService
from pyfix.config.load import load_config
from pyfix.config.store import Config
from pyfix.delivery.agent import Delivery
from pyfix.delivery.request import DeliveryRequest, RequestRecipient
from pyfix.log.maillog import MailLog
from pyfix.queue.layout import QueueLayout
from pyfix.queue.reader import QueueFile
from tests.instance import world_traversable_dir

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (set-uid deliveries)")


class AgentLike(Protocol):
    async def deliver(self, delivery: Delivery) -> str: ...


@dataclass
class Outcome:
    queue_id: str
    delivery: Delivery
    log: list[str]

    def status(self, address: str) -> str:
        for result in self.delivery.results.values():
            if result.address == address:
                return result.status
        raise KeyError(address)


class LocalBox:
    def __init__(self, root: Path, main_cf: str = "", service: str = "local") -> None:
        self.root = root
        self.etc = root / "etc"
        self.etc.mkdir(parents=True)
        self.spool_dir = root / "mail"
        self.spool_dir.mkdir()
        os.chmod(self.spool_dir, 0o1777)
        self.maillog = root / "maillog"
        (self.etc / "main.cf").write_text(
            "compatibility_level = 3.7\n"
            f"queue_directory = {root}/spool\n"
            f"mail_spool_directory = {self.spool_dir}\n"
            "myhostname = mail.example.com\n"
            "mydomain = example.com\n"
            "mydestination = $myhostname, localhost\n"
            "biff = no\n"
            "deliver_lock_attempts = 2\n"
            "deliver_lock_delay = 1s\n" + (main_cf if "alias_maps" in main_cf
                                             else main_cf + "alias_maps =\n"))
        (self.etc / "master.cf").write_text("local unix - n n - - local\n"
                                            "virtual unix - n n - - virtual\n")
        self.service = service
        self.config: Config = load_config(str(self.etc)).for_service(service, "unix")
        self.layout = QueueLayout.from_config(self.config)
        owner = pwd.getpwnam("postfix") if IS_ROOT else None
        self.layout.create_directories(owner.pw_uid if owner else None,
                                       grp.getgrnam("postdrop").gr_gid
                                       if owner and _has_group("postdrop") else None)
        self.log = MailLog(f"postfix/{service}", host="mail", maillog_file=str(self.maillog))
        self.log.prepare()  # as the master's child does, before any identity change
        self.cleanup = CleanupService(self.config, MailLog(
            "postfix/cleanup", host="mail", maillog_file=str(self.maillog)),
            sync_directory=False)

    def log_lines(self) -> list[str]:
        if not self.maillog.exists():
            return []
        return [line.split("]: ", 1)[1] for line in self.maillog.read_text().splitlines()]

    def enqueue(self, rcpts: list[str], body: list[bytes] | None = None,
                sender: str = "sender@example.org", notify: int = 0,
                headers: list[bytes] | None = None) -> str:
        stream = self.cleanup.open(sender, CLEANUP_FLAG_MASK_EXTERNAL)
        for rcpt in rcpts:
            stream.add_recipient(rcpt, None, notify)
        stream.write_line(b"Received: by client.example.org (Postfix) id 1")
        for line in headers if headers is not None else [b"Subject: test",
                                                         b"From: sender@example.org"]:
            stream.write_line(line)
        stream.write_line(b"")
        for line in body if body is not None else [b"hello"]:
            stream.write_line(line)
        result = stream.close()
        assert result.status == 0, result.reason
        return stream.queue_id

    def request(self, queue_id: str, flags: int = 0) -> DeliveryRequest:
        with QueueFile.open(self.layout, "incoming", queue_id, writable=False) as queue_file:
            message = queue_file.read_envelope()
        rcpts = [RequestRecipient(r.address, r.orig_address, r.offset, r.dsn_orcpt, r.dsn_notify)
                 for r in message.recipients if not r.done]
        now = time.time()
        return DeliveryRequest("incoming", queue_id, self.service, "mail.example.com",
                               message.sender or "", rcpts, arrival_time=now - 1,
                               active_time=now - 0.5, handoff_time=now, flags=flags)

    def deliver(self, agent: AgentLike, queue_id: str, flags: int = 0) -> Outcome:
        request = self.request(queue_id, flags)
        queue_file = QueueFile.open(self.layout, "incoming", queue_id)
        queue_file.lock(exclusive=False, wait=True)
        delivery = Delivery(request, queue_file, self.layout, self.log, self.service, 2)
        before = len(self.log_lines())
        try:
            asyncio.run(agent.deliver(delivery))
        finally:
            queue_file.close()
        return Outcome(queue_id, delivery, self.log_lines()[before:])

    def undone(self, queue_id: str) -> list[str]:
        with QueueFile.open(self.layout, "incoming", queue_id, writable=False) as queue_file:
            return [r.address for r in queue_file.read_envelope().recipients if not r.done]

    def queue_ids(self) -> list[str]:
        return sorted(self.layout.scan("incoming"))

    def read_queued(self, queue_id: str) -> tuple[str, list[str], list[bytes]]:
        with QueueFile.open(self.layout, "incoming", queue_id, writable=False) as queue_file:
            message = queue_file.read_envelope()
            return (message.sender or "", [r.address for r in message.recipients],
                    list(queue_file.iter_lines()))

    def bounce_log(self, queue_id: str, kind: str = "bounce") -> str:
        path = Path(self.layout.path(kind, queue_id))
        return path.read_text() if path.exists() else ""


def _has_group(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


class LocalUsers:
    """Real passwd users with home directories under a temporary directory."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.made: list[str] = []

    def add(self, name: str) -> pwd.struct_passwd:
        home = self.base / name
        if shutil.which("useradd") is None:
            pytest.skip("useradd (Debian package passwd) is not installed")
        subprocess.run(["userdel", name], capture_output=True, check=False)
        subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", name],
                       check=True, capture_output=True)
        self.made.append(name)
        pw = pwd.getpwnam(name)
        home.mkdir()
        os.chown(home, pw.pw_uid, pw.pw_gid)
        os.chmod(home, 0o755)
        return pw

    def remove_all(self) -> None:
        for name in self.made:
            subprocess.run(["userdel", name], capture_output=True, check=False)


def users_fixture(prefix: str) -> Iterator[LocalUsers]:
    if not IS_ROOT:
        pytest.skip("creating passwd users needs root")
    base = world_traversable_dir(prefix)
    users = LocalUsers(base)
    try:
        yield users
    finally:
        users.remove_all()
        shutil.rmtree(base, ignore_errors=True)
