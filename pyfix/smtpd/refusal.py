"""NAME
    pyfix.smtpd.refusal - the log lines of a restriction's verdict

SUMMARY
    log_outcome()

DESCRIPTION
    log_outcome() logs what one stage of the restriction lists decided
    (pyfix.smtpd.checks.smtpd.Outcome) as Postfix's smtpd does: the
    lines of access(5) actions ("hold: ...", "warn: ..."), the
    "reject_warning: ..." lines of warn_if_reject, then the "reject: ..."
    line of the refusal, then the lines that Postfix writes after it.
    The reject line goes through the SMTP core (it knows NOQUEUE or the
    queue ID, from= and to=); the reject_warning lines go to the log at
    once, before whatever the command logs next (a new queue file's
    "client=" line).

    Parameters read: smtputf8_enable (passed in).

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer
from pyfix.smtp.session import neuter_helo
from pyfix.smtpd.checks.smtpd import Outcome


def log_outcome(server: SmtpServer, outcome: Outcome, info: Callable[[str], None],
                smtputf8_enable: bool, sender: str | None = None,
                helo: str | None = None) -> Reply | None:
    """Log outcome; its reply (None: no reject).  sender and helo: the
    MAIL FROM or HELO being checked, which the log lines show although
    the session has not taken them yet."""
    if outcome.reply is not None or outcome.warnings or outcome.notes:
        session = server.session
        saved = session.helo_name
        if helo is not None:
            session.helo_name = neuter_helo(helo, smtputf8_enable)
        try:
            for action, text in outcome.notes:  # access(5) actions: hold, warn, ...
                info(server.reject_line(text, sender, action))
            for reply in outcome.warnings:
                info(server.reject_line(reply, sender, "reject_warning"))
            if outcome.reply is not None:
                server.log_reject(outcome.reply, sender=sender)
        finally:
            session.helo_name = saved
    for level, text in outcome.after:  # after the reject line, through the core
        server.log(level, text)
    return outcome.reply
