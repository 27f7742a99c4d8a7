"""NAME
    pyfix.cli.newaliases - rebuild the alias databases

SUMMARY
    newaliases [-v] [-C config_dir] [-oAalias_database] [-bi] [-I]

DESCRIPTION
    Postfix's newaliases(1) is the Sendmail-compatible command
    "sendmail -bi": it changes to the queue directory and runs
    "postalias -- MAP..." on every table named in $alias_database
    (separated by commas and/or white space), or on the one given with
    -oA.  An empty alias_database does nothing.  Messages therefore come
    from "postalias", and relative table names are relative to
    $queue_directory.

    -C names the configuration directory (or its main.cf), as with
    Postfix's sendmail; -v is passed on to postalias; -bi and -I (the
    mode itself) and Sendmail's -o options other than -oA are ignored.

    Parameters read: alias_database, queue_directory, config_directory,
    and those of postalias.

DIAGNOSTICS
    As postalias once postalias runs.  Before that, newaliases' own
    fatal errors ("alias initialization mode requires no recipient",
    a missing main.cf) exit with status 75 (EX_TEMPFAIL), as Postfix's
    sendmail does.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from pyfix.cli import postalias
from pyfix.cli.mapcmd import fatal, load_settings
from pyfix.config.lists import split_list
from pyfix.config.store import ExpansionError
from pyfix.log.msg import FatalError, set_progname
from pyfix.tables.atomic import os_error_text

PROGNAME = "newaliases"
EX_TEMPFAIL = 75


class _Exec(Exception):
    """Hand over to postalias, as sendmail does with exec."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__("exec postalias")
        self.argv = argv


def usage() -> NoReturn:
    fatal("usage: newaliases [-v] [-C config_dir] [-oAalias_database]")


def parse(argv: list[str]) -> tuple[str | None, int, bool]:
    """The -oA map (if any), the -v count, and whether there are
    operands; sets MAIL_CONFIG for -C."""
    alias_map = None
    verbose = 0
    args = argv[1:]
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            index -= 1
            break
        if arg.startswith("-C"):
            value = arg[2:]
            if not value:
                if index >= len(args):
                    usage()
                value = args[index]
                index += 1
            if os.path.basename(value) == "main.cf":
                value = os.path.dirname(value) or "."
            os.environ["MAIL_CONFIG"] = value
        elif arg.startswith("-oA"):
            alias_map = arg[3:]
        elif arg.startswith("-v"):
            verbose += arg.count("v")
    return alias_map, verbose, index < len(args)


def run(argv: list[str]) -> int:
    set_progname(PROGNAME)
    alias_map, verbose, operands = parse(argv)
    settings = load_settings(PROGNAME)
    queue_directory = settings.config.get("queue_directory")
    try:
        os.chdir(queue_directory)
    except OSError as exc:
        fatal(f"chdir {queue_directory}: {os_error_text(exc)}")
    if operands:
        fatal("alias initialization mode requires no recipient")
    if alias_map is not None:
        maps = [alias_map]
    else:
        try:
            maps = split_list(settings.config.get("alias_database"))
        except ExpansionError as exc:
            fatal(str(exc))
    if not maps:
        return 0
    raise _Exec(["postalias", *["-v"] * verbose, "--", *maps])


def main() -> None:
    sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    sys.stderr.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    try:
        status = run(sys.argv)
    except _Exec as handover:
        sys.argv = handover.argv
        postalias.main()
        return
    except (FatalError, KeyboardInterrupt):
        status = EX_TEMPFAIL
    sys.exit(status)


if __name__ == "__main__":
    main()
