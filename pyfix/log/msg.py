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

_progname = "pyfix"


class FatalError(Exception):
    """A fatal error that has already been reported on stderr."""


def set_progname(name: str) -> None:
    """Set the program name that prefixes every message."""
    global _progname
    _progname = name


def progname() -> str:
    return _progname


_CONTROLS = {code: "?" for code in (*range(32), 127)}


def printable(text: str) -> str:
    """Replace control characters and bytes that are not UTF-8 with "?".

    Diagnostics never carry raw CR, LF or other control characters, so a
    client cannot forge log lines; valid UTF-8 text stays readable.
    """
    if text.isascii() and text.isprintable():  # the common case, at C speed
        return text
    data = text.encode("utf-8", "surrogateescape")
    clean = data.decode("utf-8", "replace").replace("\ufffd", "?")
    return clean.translate(_CONTROLS)


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
