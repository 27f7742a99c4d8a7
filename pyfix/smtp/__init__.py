"""NAME
    pyfix.smtp - SMTP protocol cores without I/O

SUMMARY
    SmtpServer (server.py) and its events, replies, settings and policy

DESCRIPTION
    The server side of SMTP as Postfix 3.7's smtpd(8) speaks it, as a
    state machine that is fed bytes and hands back events and reply
    bytes (the h11 model).  The asyncio shell that owns the sockets, the
    restriction engine and the queue are elsewhere; they meet this core
    through events.py (what happened), policy.py (decisions) and
    settings.py (main.cf parameters).

    Modules: server (state machine), dispatch (command line to handler),
    chat (replies and log lines), commands (command table and
    statistics), cmd_session and cmd_mail (command handlers), content
    (DATA and BDAT content), lines (line reader), tokens (command words),
    tok822 and address (envelope addresses), hostname (name syntax),
    params (ESMTP parameters), ehlo (EHLO keywords), replies, events,
    outcome, session, settings, policy, wordlist and logfields.

    Nothing in this package imports asyncio or does I/O
    (tests/smtp/test_no_io.py enforces it).

    Parameters read: see settings.py.

DIAGNOSTICS
    See server.py.
"""

from pyfix.smtp.events import (
    NEED_DATA,
    PAUSED,
    Accept,
    Disconnect,
    Lost,
    NotQueued,
    Queued,
    Timeout,
)
from pyfix.smtp.policy import PermitPolicy, Policy
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import LocalProtocolError, SmtpServer
from pyfix.smtp.session import ClientInfo
from pyfix.smtp.settings import ServerSettings

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "Accept",
    "ClientInfo",
    "Disconnect",
    "LocalProtocolError",
    "Lost",
    "NotQueued",
    "PermitPolicy",
    "Policy",
    "Queued",
    "Reply",
    "ServerSettings",
    "SmtpServer",
    "Timeout",
]
