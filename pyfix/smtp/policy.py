"""NAME
    pyfix.smtp.policy - the decisions the SMTP server core asks for

SUMMARY
    Policy, PermitPolicy, decide()

DESCRIPTION
    The protocol core checks syntax and sequence; everything else (access
    restrictions, relay control, recipient validation, rate limits,
    queueing) is decided elsewhere.  At each point where Postfix's smtpd
    calls smtpd_check_*(), the core raises a request event
    (events.Request).  Given a Policy, the core asks it directly through
    decide(); without one, the caller answers with SmtpServer.send().

    Policy methods return None to accept or a Reply to reject:

    check_connect    after connect, before the greeting (a reject is
                     remembered: every later command but QUIT gets
                     "503 5.7.0 Error: access denied for ...")
    check_helo       HELO and EHLO (honour smtpd_delay_reject yourself)
    check_mail       MAIL FROM, after syntax and SIZE checks
    check_rcpt       RCPT TO, after syntax and the recipient limit
    check_data       DATA, and the first BDAT chunk of a message
    check_end_of_data  the complete message (smtpd_end_of_data_restrictions;
                     a reject keeps the transaction, as in Postfix)
    commit           queue the accepted message: return its queue ID,
                     or the Reply with which cleanup refused it
    check_vrfy       VRFY (Postfix applies the recipient restrictions)
    check_etrn       ETRN (restrictions and the flush service)
    check_starttls   STARTTLS, when the caller offers it
    tls_handshake    after "220 Ready to start TLS": True when the
                     handshake worked (False ends the session)

    PermitPolicy accepts everything and numbers messages itself; tests
    use it, and it is a base class for partial policies.

    A policy (or shell) that opens the queue file when it accepts the
    first recipient, as Postfix does, sets session.mail.queue_id then,
    so that the core's log lines carry the queue ID instead of NOQUEUE.

    Parameters read: none.

DIAGNOSTICS
    decide() raises TypeError for a request it does not know.
"""

from __future__ import annotations

from typing import Protocol

from pyfix.smtp.events import (
    Accept,
    Bdat,
    Connect,
    Data,
    Ehlo,
    EndOfData,
    Etrn,
    Helo,
    Lost,
    MailFrom,
    NotQueued,
    Queued,
    RcptTo,
    Request,
    StartTls,
    TlsHandshake,
    Verdict,
    Vrfy,
)
from pyfix.smtp.replies import Reply
from pyfix.smtp.session import Session


class Policy(Protocol):
    def check_connect(self, session: Session) -> Reply | None: ...
    def check_helo(self, session: Session, request: Helo | Ehlo) -> Reply | None: ...
    def check_mail(self, session: Session, request: MailFrom) -> Reply | None: ...
    def check_rcpt(self, session: Session, request: RcptTo) -> Reply | None: ...
    def check_data(self, session: Session, request: Data | Bdat) -> Reply | None: ...
    def check_end_of_data(self, session: Session, request: EndOfData) -> Reply | None: ...
    def commit(self, session: Session) -> str | Reply: ...
    def check_vrfy(self, session: Session, request: Vrfy) -> Reply | None: ...
    def check_etrn(self, session: Session, request: Etrn) -> Reply | None: ...
    def check_starttls(self, session: Session, request: StartTls) -> Reply | None: ...
    def tls_handshake(self, session: Session) -> bool: ...


class PermitPolicy:
    """Accept everything; queue IDs are "0000000001", "0000000002", ..."""

    def __init__(self) -> None:
        self.queued = 0

    def check_connect(self, session: Session) -> Reply | None:
        return None

    def check_helo(self, session: Session, request: Helo | Ehlo) -> Reply | None:
        return None

    def check_mail(self, session: Session, request: MailFrom) -> Reply | None:
        return None

    def check_rcpt(self, session: Session, request: RcptTo) -> Reply | None:
        return None

    def check_data(self, session: Session, request: Data | Bdat) -> Reply | None:
        return None

    def check_end_of_data(self, session: Session, request: EndOfData) -> Reply | None:
        return None

    def commit(self, session: Session) -> str | Reply:
        self.queued += 1
        return f"{self.queued:010X}"

    def check_vrfy(self, session: Session, request: Vrfy) -> Reply | None:
        return None

    def check_etrn(self, session: Session, request: Etrn) -> Reply | None:
        return None

    def check_starttls(self, session: Session, request: StartTls) -> Reply | None:
        return None

    def tls_handshake(self, session: Session) -> bool:
        return True


def decide(policy: Policy, session: Session, request: Request) -> Verdict:
    """Ask policy about request; None from the policy means Accept."""
    reply: Reply | None
    match request:
        case Connect():
            reply = policy.check_connect(session)
        case Helo() | Ehlo():
            reply = policy.check_helo(session, request)
        case MailFrom():
            reply = policy.check_mail(session, request)
        case RcptTo():
            reply = policy.check_rcpt(session, request)
        case Data() | Bdat():
            reply = policy.check_data(session, request)
        case EndOfData():
            reply = policy.check_end_of_data(session, request)
            if reply is None:
                result = policy.commit(session)
                return NotQueued(result) if isinstance(result, Reply) else Queued(result)
        case Vrfy():
            reply = policy.check_vrfy(session, request)
        case Etrn():
            reply = policy.check_etrn(session, request)
        case StartTls():
            reply = policy.check_starttls(session, request)
        case TlsHandshake():
            return Accept() if policy.tls_handshake(session) else Lost()
        case _:
            raise TypeError(f"no policy decision for {type(request).__name__}")
    return Accept() if reply is None else reply
