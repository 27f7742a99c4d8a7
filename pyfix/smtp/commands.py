"""NAME
    pyfix.smtp.commands - the SMTP server's command table and counters

SUMMARY
    COMMANDS, lookup(), CommandSpec, CommandFlag, CommandStats

DESCRIPTION
    COMMANDS lists the commands that Postfix's SMTP server knows, in its
    order (which is also the order of the "disconnect from" statistics),
    each with its handler and flags:

    LIMIT    counts toward smtpd_junk_command_limit (HELO, EHLO, RSET,
             NOOP, VRFY, ETRN);
    PRE_TLS  allowed before STARTTLS when TLS is required;
    LAST     must be the last command of a pipelined group (RFC 2920:
             HELO, EHLO, DATA, NOOP, VRFY), so input that follows it is
             improper pipelining.

    CommandStats counts, per command and for unknown commands, how often
    each was received and how often it succeeded, and formats Postfix's
    "ehlo=1 mail=1 rcpt=0/1 ... commands=2/3" log field.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Flag
from typing import TYPE_CHECKING

from pyfix.smtp import cmd_mail, cmd_session
from pyfix.smtp.logfields import format_stats
from pyfix.smtp.outcome import Outcome
from pyfix.smtp.tokens import Token, ascii_lower

if TYPE_CHECKING:
    from pyfix.smtp.server import SmtpServer

Handler = Callable[["SmtpServer", list[Token]], Outcome]


class CommandFlag(Flag):
    NONE = 0
    LIMIT = 1
    PRE_TLS = 2
    LAST = 4


LIMIT = CommandFlag.LIMIT
PRE_TLS = CommandFlag.PRE_TLS
LAST = CommandFlag.LAST


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    flags: CommandFlag = CommandFlag.NONE


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("HELO", cmd_session.helo, LIMIT | PRE_TLS | LAST),
    CommandSpec("EHLO", cmd_session.ehlo, LIMIT | PRE_TLS | LAST),
    CommandSpec("XCLIENT", cmd_session.xclient, PRE_TLS),
    CommandSpec("XFORWARD", cmd_session.xforward),
    CommandSpec("STARTTLS", cmd_session.starttls, PRE_TLS),
    CommandSpec("AUTH", cmd_session.auth),
    CommandSpec("MAIL", cmd_mail.mail),
    CommandSpec("RCPT", cmd_mail.rcpt),
    CommandSpec("DATA", cmd_mail.data, LAST),
    CommandSpec("BDAT", cmd_mail.bdat),
    CommandSpec("RSET", cmd_session.rset, LIMIT),
    CommandSpec("NOOP", cmd_session.noop, LIMIT | PRE_TLS | LAST),
    CommandSpec("VRFY", cmd_session.vrfy, LIMIT | LAST),
    CommandSpec("ETRN", cmd_session.etrn, LIMIT),
    CommandSpec("QUIT", cmd_session.quit, PRE_TLS),
)
_BY_NAME = {ascii_lower(spec.name): spec for spec in COMMANDS}
UNKNOWN = "unknown"


def lookup(verb: str) -> CommandSpec | None:
    return _BY_NAME.get(ascii_lower(verb))


class CommandStats:
    """Per-command success and total counts for one session."""

    def __init__(self) -> None:
        self._ok = {spec.name: 0 for spec in COMMANDS} | {UNKNOWN: 0}
        self._total = dict(self._ok)

    def received(self, name: str) -> None:
        self._total[name] += 1

    def succeeded(self, name: str) -> None:
        self._ok[name] += 1

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        for name, total in self._total.items():
            yield name, self._ok[name], total

    def format(self) -> str:
        """" ehlo=1 ... commands=N[/M]" as in "disconnect from" lines."""
        return format_stats(self)
