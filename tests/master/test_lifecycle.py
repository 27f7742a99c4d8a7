"""postfix start / status / reload / stop / abort as an ordinary process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def postfix(confdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    return subprocess.run([sys.executable, "-m", "pyfix.cli.postfix", "-c", str(confdir), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60,
                          check=False)


@pytest.fixture
def confdir(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir()
    (tmp_path / "spool").mkdir()
    (tmp_path / "data").mkdir()
    (etc / "main.cf").write_text(
        "compatibility_level = 3.7\n"
        f"queue_directory = {tmp_path}/spool\n"
        f"data_directory = {tmp_path}/data\n"
        f"maillog_file = {tmp_path}/maillog\n"
        "myhostname = mail.example.com\n"
    )
    # Only services pyfix does not run yet: the master must start, log and
    # keep running without them.
    (etc / "master.cf").write_text(
        "anvil     unix  -       -       y       -       1       anvil\n"
        "tlsmgr    unix  -       -       y       1000?   1       tlsmgr\n"
    )
    return etc


def maillog(confdir: Path) -> str:
    path = confdir.parent / "maillog"
    return path.read_text() if path.exists() else ""


def wait_for(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_status_when_not_running(confdir: Path) -> None:
    result = postfix(confdir, "status")
    assert result.returncode == 1
    assert result.stderr == "postfix/postfix-script: the Postfix mail system is not running\n"
    result = postfix(confdir, "stop")
    assert result.returncode == 1
    assert result.stderr == "postfix/postfix-script: fatal: the Postfix mail system is not running\n"


def test_start_reload_stop(confdir: Path) -> None:
    started = postfix(confdir, "start")
    try:
        assert started.returncode == 0, started.stderr
        assert started.stderr == "postfix/postfix-script: starting the Postfix mail system\n"
        status = postfix(confdir, "status")
        assert status.returncode == 0
        pid = int((confdir.parent / "spool/pid/master.pid").read_text())
        assert status.stderr == (
            f"postfix/postfix-script: the Postfix mail system is running: PID: {pid}\n")
        again = postfix(confdir, "start")
        assert again.returncode == 1
        assert again.stderr == (
            "postfix/postfix-script: fatal: the Postfix mail system is already running\n")
        log = maillog(confdir)
        assert f"postfix/master[{pid}]: daemon started -- version pyfix" in log
        assert "anvil/unix: command anvil is not provided by pyfix; service not started" in log
        reload = postfix(confdir, "reload")
        assert reload.returncode == 0
        assert reload.stderr == "postfix/postfix-script: refreshing the Postfix mail system\n"
        assert wait_for(lambda: "reload -- version pyfix" in maillog(confdir))
    finally:
        stopped = postfix(confdir, "stop")
    assert stopped.returncode == 0
    assert stopped.stderr.startswith("postfix/postfix-script: stopping the Postfix mail system\n")
    assert "terminating on signal 15" in maillog(confdir)
    assert postfix(confdir, "status").returncode == 1
    assert not (confdir.parent / "spool/pid/master.pid").exists()


def test_abort(confdir: Path) -> None:
    assert postfix(confdir, "start").returncode == 0
    result = postfix(confdir, "abort")
    assert result.returncode == 0
    assert result.stderr == "postfix/postfix-script: aborting the Postfix mail system\n"
    assert wait_for(lambda: postfix(confdir, "status").returncode == 1)


def test_bad_configuration_fails_start_without_traceback(confdir: Path) -> None:
    with open(confdir / "main.cf", "a") as fh:
        fh.write("this is not a setting\n")
    result = postfix(confdir, "start")
    assert result.returncode == 1
    assert "missing '=' after attribute name" in result.stderr
    assert "Traceback" not in result.stderr
    assert postfix(confdir, "status").returncode == 1


def test_library_services_are_neither_started_nor_reported(confdir: Path) -> None:
    (confdir / "master.cf").write_text(
        "cleanup   unix  n       -       y       -       0       cleanup\n"
        "rewrite   unix  -       -       y       -       -       trivial-rewrite\n"
        "bounce    unix  -       -       y       -       0       bounce\n"
        "anvil     unix  -       -       y       -       1       anvil\n")
    assert postfix(confdir, "start").returncode == 0
    try:
        assert wait_for(lambda: "daemon started" in maillog(confdir))
        log = maillog(confdir)
        assert "anvil/unix: command anvil is not provided by pyfix" in log
        for command in ("cleanup", "trivial-rewrite", "bounce"):
            assert f"command {command} is not provided" not in log
    finally:
        postfix(confdir, "stop")
