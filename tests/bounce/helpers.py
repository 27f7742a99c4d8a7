"""A throw-away queue with one message, its delivery logs, and the bounce
library that turns them into notices."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from pyfix.bounce.logfile import LogEntry, append_log
from pyfix.bounce.service import BounceService
from pyfix.cleanup import CLEANUP_FLAG_MASK_EXTERNAL, CleanupService, Origin
from pyfix.config.load import load_config
from pyfix.delivery.dsn import Dsn
from pyfix.log.maillog import MailLog
from pyfix.queue.envelope import QueueMessage
from pyfix.queue.layout import INCOMING
from pyfix.queue.reader import QueueFile

ARRIVAL = 1700000000.0
BODY = [b"Received: from client.example (client.example [192.0.2.1])",
        b"\tby mail.example.com (Postfix) with ESMTP id TEST",
        b"\tfor <rcpt@remote.example>; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)",
        b"From: sender@client.example", b"To: rcpt@remote.example",
        b"Subject: test message", b"Message-ID: <orig@client.example>", b"",
        b"Hello.", b"Second line."]


@dataclass
class Rcpt:
    address: str
    notify: int = 0
    orcpt: str | None = None
    orig: str | None = None


@dataclass
class Notice:
    queue_id: str
    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def parts(self) -> list[EmailMessage]:
        return list(self.message.iter_parts())  # type: ignore[arg-type]


@dataclass
class Sandbox:
    root: Path
    main_cf: dict[str, str] = field(default_factory=dict)
    master_cf: str = ""

    def __post_init__(self) -> None:
        self.etc = self.root / "etc"
        self.etc.mkdir(parents=True, exist_ok=True)
        self.maillog = self.root / "maillog"
        settings = {
            "compatibility_level": "3.7",
            "myhostname": "mail.example.com",
            "mydomain": "example.com",
            "myorigin": "$myhostname",
            "queue_directory": str(self.root / "spool"),
            "maillog_file": str(self.maillog),
            **self.main_cf,
        }
        (self.etc / "main.cf").write_text(
            "".join(f"{name} = {value}\n" for name, value in settings.items()))
        if self.master_cf:
            (self.etc / "master.cf").write_text(self.master_cf)
        self.config = load_config(str(self.etc), need_master=False)
        self.cleanup = CleanupService(self.config, MailLog("postfix/cleanup", host="mail",
                                      maillog_file=str(self.maillog)), sync_directory=False)
        self.layout = self.cleanup.layout
        self.layout.create_directories()

    def bounce(self) -> BounceService:
        return BounceService(self.config)

    def submit(self, sender: str = "sender@client.example", rcpts: list[Rcpt] | None = None,
               body: list[bytes] | None = None, *, ret: int = 0, envid: str | None = None,
               ) -> QueueMessage:
        """Queue the original message and return its envelope."""
        origin = Origin(rewrite_context="local", dsn_ret=ret, dsn_envid=envid)
        stream = self.cleanup.open(sender, CLEANUP_FLAG_MASK_EXTERNAL, origin=origin,
                                   arrival=ARRIVAL)
        for rcpt in rcpts or [Rcpt("rcpt@remote.example")]:
            stream.add_recipient(rcpt.address, rcpt.orig, rcpt.notify, rcpt.orcpt)
        for line in BODY if body is None else body:
            stream.write_line(line)
        result = stream.close()
        assert result.ok, result
        path = self.layout.path(INCOMING, result.queue_id)
        with QueueFile.open_path(path, result.queue_id, writable=False) as queue_file:
            return queue_file.read_envelope()

    def log(self, kind: str, message: QueueMessage, dsn: Dsn, rcpt_index: int = 0) -> None:
        rcpt = message.recipients[rcpt_index]
        append_log(self.layout, kind, message.queue_id,
                   LogEntry(rcpt.address, rcpt.orig_address, rcpt.offset, rcpt.dsn_orcpt,
                            rcpt.dsn_notify, dsn))

    def notices(self, exclude: QueueMessage | None = None) -> list[Notice]:
        """Every queue file in incoming except the original, parsed."""
        out = []
        for path in sorted(Path(self.layout.path(INCOMING, "x")).parent.rglob("*")):
            if not path.is_file() or (exclude and path.name == exclude.queue_id):
                continue
            with QueueFile.open_path(str(path), writable=False) as queue_file:
                env = queue_file.read_envelope()
                raw = b"".join(line + b"\n" for line in queue_file.iter_lines())
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(Notice(env.queue_id, env.sender or "",
                              [r.address for r in env.recipients], raw, parsed))
        return out

    def log_lines(self) -> list[str]:
        if not self.maillog.exists():
            return []
        return [line.split("]: ", 1)[1] for line in self.maillog.read_text().splitlines()]
