"""NAME
    pyfix.cli.common - what every pyfix command shares

SUMMARY
    getopt(), run_command()

DESCRIPTION
    getopt() is POSIX getopt(3) with Postfix's "+" convention: options
    end at the first operand.  Its errors read "PROG: invalid option --
    'x'" and "PROG: option requires an argument -- 'x'", followed by
    the command's usage text as a fatal error.

    run_command() is the one boundary where a command's fatal error
    (FatalError, already reported on stderr) becomes its exit status,
    so that no command ever shows a traceback.  With block_stdout,
    standard output is written in Postfix's 4096-byte blocks and what is
    pending at a fatal error is dropped (see pyfix.log.vstream).

    Parameters read: none.

DIAGNOSTICS
    None of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from pyfix.log.msg import FatalError


def getopt(argv: list[str], optstring: str, usage: Callable[[], NoReturn],
           progname: str) -> tuple[list[tuple[str, str]], list[str]]:
    """POSIX getopt: ([(option, argument)], operands)."""
    options: list[tuple[str, str]] = []
    index = 1
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        pos = 1
        while pos < len(arg):
            opt = arg[pos]
            where = optstring.find(opt)
            if opt == ":" or where < 0:
                sys.stderr.write(f"{progname}: invalid option -- '{opt}'\n")
                usage()
            if where + 1 < len(optstring) and optstring[where + 1] == ":":
                if pos + 1 < len(arg):
                    value = arg[pos + 1:]
                elif index + 1 < len(argv):
                    index += 1
                    value = argv[index]
                else:
                    sys.stderr.write(f"{progname}: option requires an argument -- '{opt}'\n")
                    usage()
                options.append((opt, value))
                break
            options.append((opt, ""))
            pos += 1
        index += 1
    return options, argv[index:]


def run_command(
    run: Callable[[list[str]], int], *, block_stdout: bool = False, fatal_status: int = 1
) -> NoReturn:
    sys.stderr.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    stdout = None
    if block_stdout:
        from pyfix.log.vstream import install_block_stdout

        stdout = install_block_stdout()
    else:
        sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
    try:
        status = run(sys.argv)
        if stdout is not None:
            stdout.finish()
        else:
            sys.stdout.flush()
    except FatalError:
        if stdout is not None:
            stdout.discard()
        status = fatal_status
    except (BrokenPipeError, KeyboardInterrupt):
        status = 1
    sys.exit(status)
