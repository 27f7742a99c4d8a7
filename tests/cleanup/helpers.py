"""A throw-away cleanup service for the unit tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pyfix.cleanup import (
    CLEANUP_FLAG_MASK_EXTERNAL,
    CLEANUP_FLAG_SMTP_REPLY,
    CleanupResult,
    CleanupService,
    CleanupStream,
    Origin,
    SmtpClient,
)
from pyfix.config.load import load_config
from pyfix.log.maillog import MailLog
from pyfix.queue.records import Record, iter_records, rec_type_name

SMTPD_FLAGS = CLEANUP_FLAG_MASK_EXTERNAL | CLEANUP_FLAG_SMTP_REPLY
CLIENT = SmtpClient(name="client.example.org", addr="192.0.2.1", port="4321",
                    server_addr="192.0.2.25", server_port="25", helo="helo.example.org",
                    protocol="ESMTP")
RECEIVED = b"Received: from helo.example.org (client.example.org [192.0.2.1])"


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
            **self.main_cf,
        }
        (self.etc / "main.cf").write_text(
            "".join(f"{name} = {value}\n" for name, value in settings.items()))
        if self.master_cf:
            (self.etc / "master.cf").write_text(self.master_cf)
        self.config = load_config(str(self.etc), need_master=False)
        self.log = MailLog("postfix/cleanup", host="mail", maillog_file=str(self.maillog))
        self.service = CleanupService(self.config, self.log, sync_directory=False)
        self.service.layout.create_directories()

    def log_lines(self, qmgr: bool = False) -> list[str]:
        """The log lines without prefix; without cleanup's complaint that it
        cannot wake the qmgr (none runs here) unless qmgr is true."""
        if not self.maillog.exists():
            return []
        lines = [line.split("]: ", 1)[1] for line in self.maillog.read_text().splitlines()]
        return [line for line in lines if qmgr or "public/qmgr" not in line]

    def open(self, sender: str = "sender@example.org", flags: int = SMTPD_FLAGS,
             origin: Origin | None = None, arrival: float = 1700000000.25) -> CleanupStream:
        if origin is None:
            origin = Origin(rewrite_context="local", log_ident=True, client=CLIENT)
        return self.service.open(sender, flags, origin=origin, arrival=arrival)

    def files(self) -> list[str]:
        """Every file in the queue directory, relative to it."""
        spool = self.root / "spool"
        return sorted(str(path.relative_to(spool)) for path in spool.rglob("*") if path.is_file())

    def send(self, lines: list[bytes], *, rcpts: tuple[str, ...] = ("rcpt@example.com",),
             received: bool = True, **kwargs: object) -> tuple[CleanupResult, list[Record]]:
        stream = self.open(**kwargs)  # type: ignore[arg-type]
        for rcpt in rcpts:
            stream.add_recipient(rcpt)
        if received:
            stream.write_line(RECEIVED)
        for line in lines:
            stream.write_line(line)
        result = stream.close()
        return result, self.records(result)

    def records(self, result: CleanupResult) -> list[Record]:
        if result.queue is None:
            return []
        path = self.service.layout.path(result.queue, result.queue_id)
        return list(iter_records(Path(path).read_bytes()))


def content(records: list[Record]) -> list[bytes]:
    """The message content lines (records between M and X)."""
    out: list[bytes] = []
    inside = False
    for record in records:
        name = rec_type_name(record.type)
        if name == "message_content":
            inside = True
        elif name == "extracted_info":
            break
        elif inside:
            out.append(record.data)
    return out


def named(records: list[Record]) -> list[tuple[str, str]]:
    return [(rec_type_name(record.type), record.text) for record in records]


def queue_mode(path: str) -> int:
    return os.stat(path).st_mode & 0o7777
