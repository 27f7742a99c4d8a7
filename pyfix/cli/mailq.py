"""NAME
    pyfix.cli.mailq - mailq(1): list the mail queue

SUMMARY
    mailq [-v] [-C config_dir]

DESCRIPTION
    Postfix installs mailq as another name of sendmail(1), which in
    that name behaves as "sendmail -bp" and so runs "postqueue -p".
    This entry point does the same through pyfix.cli.sendmail, so that
    options and error messages are sendmail's and postqueue's.

    Parameters read: those of sendmail and postqueue -p.

DIAGNOSTICS
    As sendmail and postqueue.
"""

from __future__ import annotations

from pyfix.cli.common import run_command
from pyfix.cli.sendmail import EX_TEMPFAIL
from pyfix.cli.sendmail import run as sendmail_run


def run(argv: list[str]) -> int:
    return sendmail_run(["mailq", *argv[1:]])


def main() -> None:
    run_command(run, fatal_status=EX_TEMPFAIL)


if __name__ == "__main__":
    main()
