"""postqueue -f/-p/-i/-s, sendmail -q and postfix flush: triggers and errors.

The flush tests listen on public/qmgr and public/pickup themselves and
check the request bytes that arrive: Postfix's mail_flush_deferred()
sends "FADI" to the queue manager, mail_flush_maildrop() "W" to pickup.
The error texts are those real postqueue printed (tests/golden/mailq/
VARIANT/*-f.txt.stderr) or, for a user who may not read the queue,
Postfix's fixed text.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.instance import REPO, world_traversable_dir

GOLDEN = REPO / "tests" / "golden" / "mailq"


@pytest.fixture
def confdir() -> Iterator[Path]:
    base = world_traversable_dir("pyfix-postqueue-")
    (base / "etc").mkdir()
    (base / "spool" / "public").mkdir(parents=True)
    (base / "etc" / "main.cf").write_text(f"queue_directory = {base}/spool\n")
    (base / "etc" / "master.cf").write_text("")
    yield base
    import shutil

    shutil.rmtree(base)


def run(base: Path, module: str, *args: str, user: str | None = None,
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    env["MAIL_CONFIG"] = str(base / "etc")
    return subprocess.run([sys.executable, "-m", f"pyfix.cli.{module}", *args], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
                          user=user)


class Listener:
    """A UNIX socket in public/ that records what each client sends."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(5)
        self.sock.settimeout(10)
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            data = b""
            while chunk := conn.recv(100):
                data += chunk
            self.received.append(data)

    def result(self) -> list[bytes]:
        self.thread.join(10)
        self.sock.close()
        return self.received


@pytest.mark.parametrize("command", [("postqueue", "-f"), ("sendmail", "-q"),
                                     ("postfix", "flush")])
def test_flush_triggers_qmgr_and_pickup(confdir: Path, command: tuple[str, str]) -> None:
    qmgr = Listener(confdir / "spool" / "public" / "qmgr")
    pickup = Listener(confdir / "spool" / "public" / "pickup")
    result = run(confdir, *command)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert qmgr.result() == [b"FADI"]
    assert pickup.result() == [b"W"]


def test_flush_without_qmgr_socket(confdir: Path) -> None:
    result = run(confdir, "postqueue", "-f")
    assert result.returncode == 69
    assert result.stderr == (GOLDEN / "short" / "nosocket-f.txt.stderr").read_text()


def test_flush_with_mail_system_down(confdir: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(confdir / "spool" / "public" / "qmgr"))
    dead.close()  # the socket file stays, nobody listens: connection refused
    result = run(confdir, "postqueue", "-f")
    assert result.returncode == 69
    assert result.stderr == (GOLDEN / "short" / "down-f.txt.stderr").read_text()
    assert run(confdir, "sendmail", "-q").stderr == result.stderr


def test_listing_without_showq_as_user(confdir: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """An unprivileged user cannot read the queue: Postfix's fixed error.

    Run in-process with a non-root effective uid, because the test's
    interpreter may not be executable by another user.
    """
    from pyfix.cli import postqueue
    from pyfix.log.msg import FatalError

    monkeypatch.chdir(confdir)
    monkeypatch.setenv("MAIL_CONFIG", str(confdir / "etc"))
    monkeypatch.setattr(os, "geteuid", lambda: 65534)
    with pytest.raises(FatalError):
        postqueue.run(["postqueue", "-p"])
    assert capsys.readouterr().err == (
        "postqueue: fatal: Queue report unavailable - mail system is down"
        " (Connect to the Postfix showq service: No such file or directory)\n")


def test_listing_without_showq_as_root(confdir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the direct queue listing is for root")
    result = run(confdir, "postqueue", "-p")
    assert (result.returncode, result.stdout) == (0, "Mail queue is empty\n")
    assert result.stderr == (
        "postqueue: warning: Mail system is down -- accessing queue directly"
        " (Connect to the Postfix showq service: No such file or directory)\n")


@pytest.mark.parametrize(("args", "text"), [
    ((), "usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p"
         " | postqueue -s site"),
    (("-p", "-f"), "usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p"
                   " | postqueue -s site"),
    (("-p", "extra"), "usage: postqueue -f | postqueue -i queueid | postqueue -j"
                      " | postqueue -p | postqueue -s site"),
    (("-s", "bad..site"), 'Cannot flush mail queue - invalid destination: "bad..site"'),
    (("-i", "not/an/id"), 'Cannot flush queue ID - invalid name: "not/an/id"'),
    (("-s", "example.com"), 'Flush service is not configured for destination "example.com"'),
])
def test_errors(confdir: Path, args: tuple[str, ...], text: str) -> None:
    result = run(confdir, "postqueue", *args)
    assert result.returncode == 69
    assert result.stderr.endswith(f"postqueue: fatal: {text}\n")


def test_sendmail_queue_options(confdir: Path) -> None:
    assert run(confdir, "sendmail", "-q30m").returncode == 0  # a daemon interval: ignored
    result = run(confdir, "sendmail", "-qX")
    assert result.stderr == "sendmail: fatal: -qX is not implemented\n"
    result = run(confdir, "sendmail", "-qR")
    assert result.stderr == "sendmail: fatal: specify: -qRsitename\n"
    result = run(confdir, "sendmail", "-qIbad/id")
    assert result.stderr == 'postqueue: fatal: Cannot flush queue ID - invalid name: "bad/id"\n'
    result = run(confdir, "sendmail", "-bp", "someone")
    assert result.stderr == "sendmail: fatal: display queue mode requires no recipient\n"
