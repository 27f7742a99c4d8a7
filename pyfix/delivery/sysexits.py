"""NAME
    pyfix.delivery.sysexits - what a command's exit status means for delivery

SUMMARY
    SYS_EXITS, EX_TEMPFAIL, sys_exit_status(), printable_output()

DESCRIPTION
    local(8) and pipe(8) run commands and judge them by their exit
    status, through the table of <sysexits.h> codes that Postfix's
    sys_exits.c has: each code has an RFC 3463 status (4.x.x: try
    again later, 5.x.x: give up) and the text that goes into the
    reason ("temporary failure", "user unknown", ...).  An unknown
    non-zero code is a permanent failure ("unknown mail system error
    N", 5.3.0).

    printable_output() turns what a command printed into the text that
    Postfix puts after "Command output:": invalid UTF-8 and control
    characters become "_", tabs and newlines spaces.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from typing import Final

EX_TEMPFAIL: Final = 75

SYS_EXITS: Final = {
    64: ("5.3.0", "command line usage error"),
    65: ("5.6.0", "data format error"),
    66: ("5.3.0", "cannot open input"),
    67: ("5.1.1", "user unknown"),
    68: ("5.1.2", "host name unknown"),
    69: ("5.3.0", "service unavailable"),
    70: ("5.3.0", "internal software error"),
    71: ("4.3.0", "system resource problem"),
    72: ("5.3.0", "critical OS file missing"),
    73: ("5.2.0", "can't create user output file"),
    74: ("5.3.0", "input/output error"),
    75: ("4.3.0", "temporary failure"),
    76: ("5.5.0", "remote error in protocol"),
    77: ("5.7.0", "permission denied"),
    78: ("5.3.5", "local configuration error"),
}


def sys_exit_status(code: int) -> tuple[str, str]:
    """(DSN status, text) for an exit status other than 0."""
    return SYS_EXITS.get(code, ("5.3.0", f"unknown mail system error {code}"))


_CONTROLS = {code: "_" for code in (*range(32), 127)}


def printable_output(data: bytes) -> str:
    text = data.decode("utf-8", "replace").replace("\ufffd", "_")
    return text.replace("\t", " ").replace("\n", " ").translate(_CONTROLS)
