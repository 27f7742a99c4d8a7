"""NAME
    pyfix.smtpd.milter_gate - smtpd_milters while pyfix has no Milter client

SUMMARY
    MilterGate, milter_gate()

DESCRIPTION
    pyfix does not speak the Milter protocol yet.  When smtpd_milters is
    set, smtpd therefore behaves as Postfix's smtpd does when none of
    its milters can be reached, and milter_default_action decides:

        accept      mail passes unchecked (smtpd warns at start that
                    smtpd_milters is not supported)
        tempfail    MAIL FROM gets 451 4.7.1 Service unavailable - try
                    again later

    With reject Postfix's smtpd greets with "554 ... not accepting
    connections", offers a reduced EHLO and answers MAIL FROM with 550
    5.5.0; pyfix's SMTP engine has no such mode yet, so with reject or
    quarantine (or with smtpd_milter_maps) smtpd does not start at all:
    pyfix.config.support lists those as guards.

    The log lines are Postfix's (recorded in tests/golden/support/):

        NOQUEUE: milter-reject: CONNECT from host[addr]: 451 4.7.1 ...; proto=SMTP
        NOQUEUE: milter-reject: EHLO from host[addr]: 451 4.7.1 ...; proto=SMTP helo=<name>
        NOQUEUE: milter-reject: MAIL from host[addr]: 451 4.7.1 ...; from=<sender>
            proto=ESMTP helo=<name>

    Only the MAIL FROM reply changes; CONNECT and HELO/EHLO are logged
    and answered as usual, as Postfix does.

    Parameters read: smtpd_milters, milter_default_action.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.smtp.events import Connect, Ehlo, Helo, MailFrom, Request
from pyfix.smtp.logfields import log_address, whatsup
from pyfix.smtp.replies import Reply
from pyfix.smtp.session import Session

# milter_default_action -> the reply to MAIL FROM (None: mail passes)
DEFAULT_ACTION_REPLIES: Final[dict[str, Reply | None]] = {
    "accept": None,
    "tempfail": Reply(451, "4.7.1", "Service unavailable - try again later"),
}


@dataclass(frozen=True, slots=True)
class MilterGate:
    reply: Reply

    def verdict(self, session: Session, request: Request, log: MailLog) -> Reply | None:
        """The reply for request (None: go on), after Postfix's log line."""
        if isinstance(request, Connect):
            self._log(log, session, "CONNECT", whatsup(None, None, session.protocol, None))
        elif isinstance(request, Helo | Ehlo):
            where = "EHLO" if isinstance(request, Ehlo) else "HELO"
            self._log(log, session, where, whatsup(None, None, session.protocol, request.name))
        elif isinstance(request, MailFrom):
            tail = whatsup(log_address(request.address), None, session.protocol,
                           session.helo_name)
            self._log(log, session, "MAIL", tail)
            return self.reply
        return None

    def _log(self, log: MailLog, session: Session, where: str, tail: str) -> None:
        reply = self.reply
        log.info(f"NOQUEUE: milter-reject: {where} from {session.client.namaddr}: "
                 f"{reply.code} {reply.enhanced} {reply.text};{tail}")


def milter_gate(config: Config) -> MilterGate | None:
    """The gate for this smtpd, or None when mail passes (no milters, or
    milter_default_action = accept)."""
    if not config.get("smtpd_milters").strip():
        return None
    action = config.get("milter_default_action").strip().lower()
    reply = DEFAULT_ACTION_REPLIES.get(action)
    return None if reply is None else MilterGate(reply)
