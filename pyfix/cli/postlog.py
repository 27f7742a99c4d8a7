"""NAME
    pyfix.cli.postlog - Postfix-compatible logging utility

SUMMARY
    postlog [-iv] [-c config_dir] [-p priority] [-t tag] [text...]

DESCRIPTION
    Logs the text given on the command line, or each line of standard
    input, to the mail log (maillog_file, or syslog) in Postfix's format,
    as postlog(1) does.  The default tag is "$syslog_name/postlog";
    priority is one of info, warn, error, fatal, panic.  When standard
    error is a terminal the line is also shown there.

    Parameters read: syslog_name, syslog_facility, maillog_file,
    myhostname.

DIAGNOSTICS
    A bad priority or option gets Postfix's usage message.
"""

from __future__ import annotations

import os
import sys

from pyfix.cli.common import run_command
from pyfix.log.msg import msg_fatal, set_progname

USAGE = "usage: postlog [-c config_dir] [-i] [-p priority] [-t tag] [-v] [text]"
PRIORITIES = {"info": "info", "warn": "warning", "warning": "warning", "error": "error",
              "fatal": "fatal", "panic": "panic"}


def run(argv: list[str]) -> int:
    import getopt

    set_progname("postlog")
    try:
        opts, args = getopt.getopt(argv[1:], "c:ip:t:v")
    except getopt.GetoptError:
        msg_fatal(USAGE)
    tag = None
    level = "info"
    for opt, value in opts:
        if opt == "-c":
            os.environ["MAIL_CONFIG"] = value
        elif opt == "-p":
            if value not in PRIORITIES:
                msg_fatal(f"unknown priority value: {value}")
            level = PRIORITIES[value]
        elif opt == "-t":
            tag = value
    from pyfix.config.load import ConfigLoadError, load_config
    from pyfix.log.maillog import MailLog
    from pyfix.log.printable import printable

    try:
        config = load_config(process_name="postlog", need_master=False)
    except ConfigLoadError as exc:
        msg_fatal(str(exc))
    log = MailLog(tag or f"{config.get('syslog_name')}/postlog",
                  host=config.get("myhostname"), maillog_file=config.get("maillog_file"),
                  facility=config.get("syslog_facility"))
    lines = [" ".join(args)] if args else [line.rstrip("\n") for line in sys.stdin]
    for line in lines:
        log.log(line, level)
        if sys.stderr.isatty() and log.maillog_file != "/dev/stderr":
            prefix = "" if level == "info" else f"{level}: "
            sys.stderr.write(f"{log.tag}: {prefix}{printable(line)}\n")
    return 0


def main() -> None:
    run_command(run)

if __name__ == "__main__":
    main()
