"""showq and postqueue -p / -j against queues that real Postfix 3.7 left.

tests/golden/mailq/VARIANT/queue holds queue files and defer logs that
real Postfix wrote (record.py beside them), and p.txt / j.txt what real
postqueue printed for them with TZ=UTC.  The queue is copied into a pyfix
instance whose master runs only the showq service; pyfix's postqueue,
mailq and sendmail -bp must print the same bytes.  Messages of one queue
come in directory order in both, which a copy need not keep, so blocks
are compared as a sorted list after the heading and summary are checked.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyfix.queue.layout import QueueLayout
from pyfix.showq.listing import scan_queue
from pyfix.showq.report import MailqFormatter
from tests.instance import REPO, Instance, world_traversable_dir

GOLDEN = REPO / "tests" / "golden" / "mailq"
SHOWQ_ONLY = "showq     unix  n       -       n       -       -       showq\n"


def _settings(variant: str) -> str:
    keep = ("enable_long_queue_ids", "hash_queue_depth", "hash_queue_names")
    lines = (GOLDEN / variant / "main.cf").read_text().splitlines()
    return "".join(line + "\n" for line in lines if line.split(" ")[0] in keep)


def _copy_queue(variant: str, spool: Path) -> None:
    for path in sorted((GOLDEN / variant / "queue").rglob("*")):
        target = spool / path.relative_to(GOLDEN / variant / "queue")
        if path.is_dir():
            target.mkdir(mode=0o700, exist_ok=True)
        else:
            shutil.copyfile(path, target)
            os.chmod(target, 0o744 if "maildrop" in path.parts else 0o700)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postfix")
        for path in spool.rglob("*"):
            if path.parts[-1] not in ("pid",) and "pid" not in path.parts:
                os.lchown(path, owner.pw_uid, owner.pw_gid)


def _blocks(text: str) -> tuple[str, list[str], str]:
    head, _, rest = text.partition("\n")
    body, _, summary = rest.rpartition("\n\n")
    return head, sorted(body.split("\n\n")), summary


def _run(inst: Instance, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    env.update(MAIL_CONFIG=str(inst.etc), TZ="UTC")
    return subprocess.run([sys.executable, "-m", f"pyfix.cli.{module}", *args], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("variant", ["short", "long"])
def test_listing_matches_postfix(pyfix_instance: Callable[..., Instance], variant: str) -> None:
    inst = pyfix_instance(_settings(variant), SHOWQ_ONLY, start=False)
    assert inst.postfix("check").returncode == 0
    _copy_queue(variant, inst.spool)
    inst.start()
    expected = (GOLDEN / variant / "p.txt").read_text()
    for module, args in (("postqueue", ["-p"]), ("mailq", []), ("sendmail", ["-bp"])):
        result = _run(inst, module, *args)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert _blocks(result.stdout) == _blocks(expected), module
    result = _run(inst, "postqueue", "-j")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(
        (GOLDEN / variant / "j.txt").read_text().splitlines())
    for line in result.stdout.splitlines():
        json.loads(line)


def test_empty_queue(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("", SHOWQ_ONLY)
    result = _run(inst, "postqueue", "-p")
    assert (result.returncode, result.stdout) == (0, (GOLDEN / "short" / "empty-p.txt").read_text())
    result = _run(inst, "postqueue", "-j")
    assert (result.returncode, result.stdout) == (0, "")


def test_direct_listing_matches_down_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """What root's postqueue prints when showq is down: the queue read directly."""
    base = world_traversable_dir("pyfix-showq-")
    try:
        (base / "spool").mkdir()
        _copy_queue("short", base / "spool")
        layout = QueueLayout.with_names(str(base / "spool"), 1, "deferred, defer, hold", False)
        out = io.StringIO()
        formatter = MailqFormatter(out, long_ids=False)
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        warnings: list[str] = []
        for entry in scan_queue(layout, warn=warnings.append):
            formatter.message(entry)
        formatter.finish()
    finally:
        shutil.rmtree(base)
        monkeypatch.undo()
        time.tzset()
    assert warnings == []
    assert _blocks(out.getvalue()) == _blocks((GOLDEN / "short" / "down-p.txt").read_text())
