"""NAME
    pyfix.log.msg - diagnostics for command-line programs

SUMMARY
    msg_warn(), msg_fatal() and msg_info() in Postfix's wording.

DESCRIPTION
    Command-line tools (postconf, postfix, postmap, ...) report problems
    on the standard error stream as "progname: warning: text" or
    "progname: fatal: text", exactly as Postfix's msg_vstream does.
    The program name is set once with set_progname(); Postfix uses the
    command name ("postconf") or a tag such as "postfix/postfix-script".
    The text passes through printable() (printable.py), as Postfix's
    msg_vprintf() does.

    msg_fatal() raises FatalError; each command's main() catches it at
    one boundary, so that a fatal error never shows a traceback and
    always exits with status 1.

    Parameters read: none.

DIAGNOSTICS
    None of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from pyfix.log.printable import printable

_progname = "pyfix"


class FatalError(Exception):
    """A fatal error that has already been reported on stderr."""


def set_progname(name: str) -> None:
    """Set the program name that prefixes every message."""
    global _progname
    _progname = name


def progname() -> str:
    return _progname


def _emit(level: str, text: str) -> None:
    prefix = f"{_progname}: {level}: " if level else f"{_progname}: "
    sys.stderr.write(prefix + printable(text) + "\n")
    sys.stderr.flush()


def msg_info(text: str) -> None:
    _emit("", text)


def msg_warn(text: str) -> None:
    _emit("warning", text)


def msg_fatal(text: str) -> NoReturn:
    _emit("fatal", text)
    raise FatalError(text)


Warn = Callable[[str], None]
