"""NAME
    pyfix.delivery.error - the error(8) and retry delivery agents

SUMMARY
    serve(), ErrorAgent, NexthopReasonAgent, dsn_valid(), dsn_split(), checked_dsn(),
    command_arguments()

DESCRIPTION
    The error agent fails every recipient of a request with the next
    hop as the reason: "error:5.7.1 go away" in transport_maps bounces
    with status 5.7.1 and reason "go away".  The reason may start with
    an RFC 3463 status followed by white space; without one the status
    is 5.0.0.  The same program running as the master.cf service named
    "retry" defers instead, with 4.0.0 as the default status.  The
    delivery log line has relay=none.

    As Postfix's bounce_append() and defer_append(), a status of the
    wrong class is replaced (5.0.0 for a bounce, 4.0.0 for a deferral)
    after a warning.

    This module also holds the small helpers that the error, discard
    and pipe agents share: dsn_valid() and dsn_split() (an optional
    leading "X.Y.Z" status in free text), checked_dsn() (the class
    check above) and command_arguments() (the master.cf command
    arguments after the daemon options).

    Parameters read: none beyond what every delivery agent reads.

DIAGNOSTICS
    Fatal errors, logged with Postfix's text when the service starts:
    "unexpected command-line argument: ARG" (the service takes none)
    and "bad error service name: NAME" (a service name other than
    error or retry).  An empty next hop is logged as Postfix does
    ("fatal: empty nexthop hostname") and defers the recipients.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pyfix.delivery.agent import Delivery, serve_agent
from pyfix.delivery.dsn import Dsn

if TYPE_CHECKING:
    from pyfix.config.mastercf import MasterEntry
    from pyfix.config.store import Config
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

_DSN_CODE = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}(?=[ \t\n\r\v\f]|\Z)")
_SPACE = " \t\n\r\v\f"
# Delivery.sent/bounce/defer: the status class each requires, the default
# status and the name Postfix's warning uses.
_CLASS = {"sent": ("2", "2.0.0", "sent"),
          "bounce": ("5", "5.0.0", "bounce_append"),
          "defer": ("4", "4.0.0", "defer_append")}


class AgentConfigError(Exception):
    """A fatal service configuration error; str() is Postfix's text."""


def dsn_valid(text: str) -> int:
    """The length of the RFC 3463 status at the start of text, or 0."""
    match = _DSN_CODE.match(text)
    return match.end() if match else 0


def dsn_split(default: str, text: str) -> tuple[str, str]:
    """(status, rest): the status that text starts with, else default."""
    text = text.lstrip(_SPACE)
    length = dsn_valid(text)
    if length:
        return text[:length], text[length + 1:].lstrip(_SPACE)
    return default, text


def checked_dsn(kind: str, dsn: Dsn, log: MailLog) -> Dsn:
    """Replace a status of the wrong class for kind (sent/bounce/defer)."""
    first, default, name = _CLASS[kind]
    if dsn.status[:1] == first and dsn_valid(dsn.status) == len(dsn.status):
        return dsn
    log.warn(f'{name}: ignoring dsn code "{dsn.status}"')
    return Dsn(default, dsn.action, dsn.reason, dsn.dtype, dsn.dtext, dsn.mtype, dsn.mname)


def command_arguments(entry: MasterEntry | None) -> list[str]:
    """The master.cf command arguments that follow the daemon options."""
    if entry is None:
        return []
    args = entry.argv[8:]
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return args[index + 1:]
        if not arg.startswith("-") or arg == "-":
            break
        index += 2 if arg == "-o" else 1
    return args[index:]


class NexthopReasonAgent:
    """An agent that reports every recipient with the next hop as the
    reason: "sent" (discard), "bounce" (error) or "defer" (retry)."""

    kind = "sent"

    def __init__(self, config: Config, log: MailLog) -> None:
        args = command_arguments(config.scope)
        if args:
            raise AgentConfigError(f"unexpected command-line argument: {args[0]}")
        self.log = log

    async def deliver(self, delivery: Delivery) -> str:
        nexthop = delivery.request.nexthop
        if not nexthop:
            self.log.fatal("empty nexthop hostname")
            delivery.defer_all(Dsn.defer("mail transport unavailable", "4.3.0"), "none")
            return ""
        kind = self.kind
        status, text = dsn_split(_CLASS[kind][1], nexthop)
        report = {"sent": delivery.sent, "bounce": delivery.bounce, "defer": delivery.defer}[kind]
        action = {"sent": "delivered", "bounce": "failed", "defer": "delayed"}[kind]
        for rcpt in delivery.pending():  # Postfix checks (and warns) per recipient
            report(rcpt, checked_dsn(kind, Dsn(status, action, text), self.log), "none")
        return ""


class ErrorAgent(NexthopReasonAgent):
    """Bounce (service "error") or defer (service "retry") every recipient."""

    def __init__(self, config: Config, log: MailLog) -> None:
        super().__init__(config, log)
        service = config.scope.service_name if config.scope is not None else "error"
        if service == "error":
            self.kind = "bounce"
        elif service == "retry":
            self.kind = "defer"
        else:
            raise AgentConfigError(f"bad error service name: {service}")


def serve(ctx: ServiceContext) -> None:
    serve_agent(ctx, ErrorAgent, relay="none")
