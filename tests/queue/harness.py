"""Shared helpers for the queue tests: temporary queues, golden files, postcat."""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyfix.queue.layout import QueueLayout
from pyfix.queue.records import REC_TYPE_SIZE, iter_records
from pyfix.queue.writer import QueueFileWriter

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests/golden/queue"
VARIANTS = ("short-depth1", "long-depth2")
POSTCAT = "/usr/sbin/postcat"


@dataclass(frozen=True)
class Golden:
    """One queue file recorded from real Postfix by tests/golden/queue/record.sh."""

    name: str

    @property
    def dir(self) -> Path:
        return GOLDEN / self.name

    def text(self, name: str) -> str:
        return (self.dir / name).read_text()

    @property
    def data(self) -> bytes:
        return (self.dir / "queue-file").read_bytes()

    @property
    def queue_id(self) -> str:
        return self.text("queue-id").strip()

    @property
    def main_cf(self) -> dict[str, str]:
        params = {}
        for line in self.text("main.cf").splitlines():
            name, _, value = line.partition("=")
            params[name.strip()] = value.strip()
        return params

    def layout(self, queue_directory: str | Path) -> QueueLayout:
        params = self.main_cf
        return QueueLayout.with_names(
            str(queue_directory),
            int(params["hash_queue_depth"]),
            params["hash_queue_names"],
            params["enable_long_queue_ids"] == "yes",
        )


GOLDENS = [Golden(name) for name in VARIANTS]


@dataclass
class TempQueue:
    """A throw-away queue directory with a main.cf that points at it."""

    root: Path
    layout: QueueLayout

    @property
    def confdir(self) -> Path:
        return self.root / "etc"

    def write_main_cf(self) -> None:
        self.confdir.mkdir(exist_ok=True)
        layout = self.layout
        (self.confdir / "main.cf").write_text(
            "compatibility_level = 3.7\n"
            f"queue_directory = {layout.queue_directory}\n"
            f"hash_queue_depth = {layout.hash_queue_depth}\n"
            f"hash_queue_names = {', '.join(sorted(layout.hash_queue_names))}\n"
            f"enable_long_queue_ids = {'yes' if layout.long_queue_ids else 'no'}\n"
        )
        # Postfix waits while main.cf is younger than a second or so (it
        # may still be being written); date it back to keep postcat fast.
        past = time.time() - 60
        os.utime(self.confdir / "main.cf", (past, past))

    def files(self) -> list[str]:
        """Every file below the queue directory, relative to it."""
        top = Path(self.layout.queue_directory)
        return sorted(str(p.relative_to(top)) for p in top.rglob("*") if p.is_file())


def make_queue(
    tmp_path: Path,
    depth: int = 1,
    names: str = "deferred, defer, hold",
    long_ids: bool = False,
) -> TempQueue:
    layout = QueueLayout.with_names(str(tmp_path / "spool"), depth, names, long_ids)
    layout.create_directories()
    queue = TempQueue(tmp_path, layout)
    queue.write_main_cf()
    return queue


def copy_records(writer: QueueFileWriter, data: bytes) -> None:
    """Write every record of a queue file except its size record."""
    for record in iter_records(data):
        if record.type != REC_TYPE_SIZE:
            writer.put(record.type, record.data)


def need_postcat() -> None:
    if not os.path.exists(POSTCAT):
        pytest.skip("real Postfix (postcat) is not installed")
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        pytest.skip("postcat needs the postfix user (mail_owner) to exist")


def postcat(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    env["TZ"] = "UTC"
    return subprocess.run(
        [POSTCAT, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        errors="surrogateescape",
    )


def install_file(queue: TempQueue, data: bytes, relative: str, mode: int = 0o700) -> Path:
    """Put bytes into the queue as a file at relative, with mode."""
    path = Path(queue.layout.queue_directory) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path
