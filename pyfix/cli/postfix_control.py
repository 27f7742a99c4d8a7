"""NAME
    pyfix.cli.postfix_control - postfix start, start-fg, stop, abort, reload, status

SUMMARY
    control()

DESCRIPTION
    The mail-system commands of postfix(1), with postfix-script's
    messages:

    start      check the configuration, then start the master in the
               background and wait until it has bound its listeners;
    start-fg   the same, in the foreground;
    stop       graceful stop (SIGTERM), waiting up to 5 seconds;
    abort      immediate stop (SIGQUIT: services are killed);
    reload     re-read the configuration (SIGHUP);
    status     report whether the master runs, and its pid.

    Parameters read: queue_directory, process_id_directory.

DIAGNOSTICS
    "postfix/postfix-script: fatal: the Postfix mail system is not
    running" and the other postfix-script texts; exit status 1 on
    failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from pyfix.config.load import ConfigLoadError, load_config
from pyfix.log.msg import msg_fatal
from pyfix.master.pidfile import running_pid

SCRIPT = "postfix/postfix-script"


def _info(text: str) -> None:
    sys.stderr.write(f"{SCRIPT}: {text}\n")


def _fatal(text: str) -> int:
    sys.stderr.write(f"{SCRIPT}: fatal: {text}\n")
    return 1


def _pid_path(confdir: str) -> str:
    try:
        config = load_config(confdir, process_name="postfix")
    except ConfigLoadError as exc:
        msg_fatal(str(exc))
    return os.path.join(config.get("queue_directory"), config.get("process_id_directory"),
                        "master.pid")


def _start(confdir: str, foreground: bool) -> int:
    from pyfix.cli.postfix_check import check
    from pyfix.master.master import run_master

    if running_pid(_pid_path(confdir)) is not None:
        return _fatal("the Postfix mail system is already running")
    check()
    _info("starting the Postfix mail system")
    if foreground:
        try:
            return run_master(confdir)
        except Exception as exc:  # a start-up failure must not show a traceback
            return _fatal(f"mail system startup failed: {exc}")
    rfd, wfd = os.pipe()
    if os.fork() > 0:
        os.close(wfd)
        status = b""
        while chunk := os.read(rfd, 4096):
            status += chunk
        os.close(rfd)
        if status != b"ok":
            reason = status.decode(errors="replace")
            return _fatal("mail system startup failed" + (f": {reason}" if reason else ""))
        return 0
    os.close(rfd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        code = run_master(confdir, notify_fd=wfd)
    except BaseException as exc:  # reported through the pipe, never a traceback
        with contextlib.suppress(OSError):
            os.write(wfd, str(exc).encode())
        code = 1
    os._exit(code)


def _signal(confdir: str, signum: int, message: str) -> tuple[int, int | None]:
    pid = running_pid(_pid_path(confdir))
    if pid is None:
        return _fatal("the Postfix mail system is not running"), None
    _info(message)
    os.kill(pid, signum)
    return 0, pid


def control(command: str, confdir: str) -> int:
    if command in ("start", "start-fg"):
        return _start(confdir, command == "start-fg")
    if command == "status":
        pid = running_pid(_pid_path(confdir))
        if pid is None:
            _info("the Postfix mail system is not running")
            return 1
        _info(f"the Postfix mail system is running: PID: {pid}")
        return 0
    if command == "stop":
        status, pid = _signal(confdir, signal.SIGTERM, "stopping the Postfix mail system")
        path = _pid_path(confdir)
        for _ in range(50):
            if running_pid(path) is None:
                return status
            time.sleep(0.1)
        sys.stderr.write(f"{SCRIPT}: warning: stopping the Postfix mail system with force\n")
        if pid:
            os.kill(pid, signal.SIGKILL)
        return status
    if command == "abort":
        return _signal(confdir, signal.SIGQUIT, "aborting the Postfix mail system")[0]
    if command == "reload":
        return _signal(confdir, signal.SIGHUP, "refreshing the Postfix mail system")[0]
    raise ValueError(command)
