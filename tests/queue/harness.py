"""Shared helpers for the queue tests: temporary queues, golden files, postcat."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pyfix.queue.layout import QueueLayout
from pyfix.queue.records import REC_TYPE_SIZE, iter_records
from pyfix.queue.writer import QueueFileWriter
from tests import oracle

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests/golden/queue"
VARIANTS = ("short-depth1", "long-depth2")


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
        layout = self.layout
        oracle.config_dir(
            self.confdir,
            f"queue_directory = {layout.queue_directory}\n"
            f"hash_queue_depth = {layout.hash_queue_depth}\n"
            f"hash_queue_names = {', '.join(sorted(layout.hash_queue_names))}\n"
            f"enable_long_queue_ids = {'yes' if layout.long_queue_ids else 'no'}\n",
        )

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
    oracle.need(oracle.POSTCAT, postfix_user=True)


def postcat(queue: TempQueue, *args: str) -> subprocess.CompletedProcess[str]:
    """Real postcat -c (the queue's configuration directory) args..., in UTC."""
    return oracle.run(oracle.POSTCAT, queue.confdir, *args, env=oracle.environ(TZ="UTC"))


def install_file(queue: TempQueue, data: bytes, relative: str, mode: int = 0o700) -> Path:
    """Put bytes into the queue as a file at relative, with mode."""
    path = Path(queue.layout.queue_directory) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    return path
