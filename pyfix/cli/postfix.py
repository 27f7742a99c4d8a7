"""NAME
    pyfix.cli.postfix - Postfix control program

SUMMARY
    postfix [-c config_dir] [-Dv] command

DESCRIPTION
    The administrator's front end, as Postfix's postfix(1).  Commands:

    check       validate main.cf, master.cf, the typed parameter values and
                the directories they name (see postfix_check.py);
    start, start-fg, stop, abort, reload, status
                control the master process (see postfix_control.py).

    flush       postqueue -f, run in the queue directory (postfix-script).

    The installation commands (set-permissions, ...) are not there yet.
    An unknown command gets Postfix's usage message.

    Parameters read: config_directory (via -c or $MAIL_CONFIG), and those
    of the command.

DIAGNOSTICS
    "postfix: fatal: ..." or "postfix/postfix-script: fatal: ..." on
    stderr, exit status 1.
"""

from __future__ import annotations

import os
import sys

from pyfix.cli.common import run_command
from pyfix.log.msg import msg_fatal, set_progname

USAGE = "usage: postfix [-c config_dir] [-Dv] command"
SCRIPT_USAGE = (
    "Usage: postfix start (or stop, reload, abort, flush, check, status, "
    "set-permissions, upgrade-configuration, logrotate)"
)
CONTROL = ("start", "start-fg", "stop", "abort", "reload", "status")
KNOWN_LATER = ("set-permissions", "upgrade-configuration", "logrotate")


def run(argv: list[str]) -> int:
    set_progname("postfix")
    index = 1
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-":
        arg = argv[index]
        if arg == "--":
            index += 1
            break
        for pos, opt in enumerate(arg[1:], start=1):
            if opt == "c":
                value = arg[pos + 1 :] or (argv[index + 1] if index + 1 < len(argv) else None)
                if value is None:
                    msg_fatal(USAGE)
                if not arg[pos + 1 :]:
                    index += 1
                os.environ["MAIL_CONFIG"] = value
                break
            if opt not in "Dv":
                sys.stderr.write(f"postfix: invalid option -- '{opt}'\n")
                msg_fatal(USAGE)
        index += 1
    command = argv[index] if index < len(argv) else ""
    if command == "check":
        from pyfix.cli.postfix_check import check

        return check()
    if command in CONTROL:
        from pyfix.cli.postfix_control import control

        return control(command, os.environ.get("MAIL_CONFIG") or "/etc/postfix")
    if command == "flush":
        return _flush()
    if command in KNOWN_LATER:
        msg_fatal(f"command not yet available in pyfix: '{command}'")
    set_progname("postfix/postfix-script")
    msg_fatal(f"unknown command: '{command}'. {SCRIPT_USAGE}")


def _flush() -> int:
    from pyfix.cli import postqueue
    from pyfix.config.load import ConfigLoadError, load_config
    from pyfix.log.msg import FatalError

    try:
        queue_directory = load_config(os.environ.get("MAIL_CONFIG"), process_name="postfix",
                                      need_master=False).get("queue_directory")
    except ConfigLoadError as exc:
        msg_fatal(str(exc))
    try:
        os.chdir(queue_directory)
    except OSError:
        set_progname("postfix/postfix-script")
        msg_fatal(f"no Postfix queue directory {queue_directory}!")
    try:
        return postqueue.run(["postqueue", "-f"])
    except FatalError:
        return postqueue.EX_UNAVAILABLE


def main() -> None:
    run_command(run)

if __name__ == "__main__":
    main()
