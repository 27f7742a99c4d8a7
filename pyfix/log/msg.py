"""NAME
    pyfix.log.msg - diagnostics for command-line programs

SUMMARY
    msg_warn(), msg_error(), msg_fatal() and msg_info() in Postfix's
    wording; set_sink().

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

    A daemon has no terminal: set_sink() sends these messages to its mail
    log instead (pyfix.master.child does so once the log is open), as
    Postfix's daemons send theirs to syslog.  Table code that reports
    through msg_warn() and msg_error() (a duplicate entry, a table that
    cannot be opened) then reaches the mail log of the service that
    opened the table.

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
Sink = Callable[[str, str], None]  # (level, text); level "" is info
_sink: Sink | None = None


class FatalError(Exception):
    """A fatal error that has already been reported on stderr."""


def set_progname(name: str) -> None:
    """Set the program name that prefixes every message."""
    global _progname
    _progname = name


def progname() -> str:
    return _progname


def set_sink(sink: Sink | None) -> None:
    """Send every message to sink(level, text) instead of the standard
    error stream (a daemon's mail log); None restores the stream."""
    global _sink
    _sink = sink


def _emit(level: str, text: str) -> None:
    if _sink is not None:
        _sink(level, text)
        return
    prefix = f"{_progname}: {level}: " if level else f"{_progname}: "
    sys.stderr.write(prefix + printable(text) + "\n")
    sys.stderr.flush()


def msg_info(text: str) -> None:
    _emit("", text)


def msg_warn(text: str) -> None:
    _emit("warning", text)


def msg_error(text: str) -> None:
    _emit("error", text)


def msg_fatal(text: str) -> NoReturn:
    _emit("fatal", text)
    raise FatalError(text)


Warn = Callable[[str], None]
