"""Real Postfix postsuper(1) agrees with pyfix about where queue files live.

"postsuper -s" moves every file whose name does not match its inode
number, or that sits in the wrong hashed subdirectory.  Run over a queue
that pyfix wrote, it must find nothing to do; and files that we misplace
on purpose must end up exactly where QueueLayout says.  postsuper is
reserved for the superuser, so these tests skip for ordinary users.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.queue.writer import QueueFileWriter
from tests import oracle
from tests.queue.harness import GOLDENS, TempQueue, copy_records, make_queue


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory that the postfix user can reach (pytest's is private)."""
    oracle.need(oracle.POSTSUPER, root=True, postfix_user=True)
    path = Path(tempfile.mkdtemp(prefix="pyfix-postsuper-", dir="/tmp"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def _give_to_postfix(queue: TempQueue) -> None:
    uid = pwd.getpwnam("postfix").pw_uid
    top = Path(queue.layout.queue_directory)
    for path in [top, *top.rglob("*")]:
        os.chown(path, uid, -1)


def _postsuper(queue: TempQueue, *args: str) -> subprocess.CompletedProcess[str]:
    return oracle.run(oracle.POSTSUPER, queue.confdir, *args)


@pytest.mark.parametrize(
    ("depth", "long_ids"), [(1, False), (2, False), (2, True), (3, True)]
)
def test_postsuper_finds_pyfix_files_in_place(
    shared_tmp: Path, depth: int, long_ids: bool
) -> None:
    queue = make_queue(shared_tmp, depth, "deferred, defer, hold, incoming, active", long_ids)
    layout = queue.layout
    placed = {}
    for target in ("hold", "deferred", "incoming", "active", "hold", "deferred"):
        with QueueFileWriter.create(layout) as writer:
            copy_records(writer, GOLDENS[1].data)
            writer.commit(target)
        placed[writer.queue_id] = target
    _give_to_postfix(queue)
    before = queue.files()
    result = _postsuper(queue, "-s")
    assert (result.returncode, result.stderr) == (0, "")
    assert queue.files() == before

    # Misplace every file at the top of its queue: postsuper -s moves it
    # back to the hashed directory that pyfix computes.
    for queue_id, target in placed.items():
        os.rename(layout.path(target, queue_id), os.path.join(layout.top(target), queue_id))
    result = _postsuper(queue, "-s")
    assert result.returncode == 0, result.stderr
    assert queue.files() == before


def test_postsuper_moves_pyfix_file_between_hold_and_deferred(shared_tmp: Path) -> None:
    queue = make_queue(shared_tmp, 2, "deferred, defer, hold", True)
    with QueueFileWriter.create(queue.layout) as writer:
        copy_records(writer, GOLDENS[0].data)
        writer.commit("hold")
    _give_to_postfix(queue)
    result = _postsuper(queue, "-H", writer.queue_id)
    assert result.returncode == 0, result.stderr
    assert queue.files() == [queue.layout.relative_path("deferred", writer.queue_id)]
    result = _postsuper(queue, "-h", writer.queue_id)
    assert queue.files() == [queue.layout.relative_path("hold", writer.queue_id)]
    result = _postsuper(queue, "-d", writer.queue_id)
    assert "Deleted: 1 message" in result.stderr
    assert queue.files() == []
