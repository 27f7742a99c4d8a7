"""NAME
    pyfix.smtp.dispatch - from a command line to a command handler

SUMMARY
    execute(), pipelining_violation(), is_header()

DESCRIPTION
    execute() does for one complete command line what the body of
    Postfix's smtpd_proto() loop does, in its order:

    1. a line that ended in a bare LF, with smtpd_forbid_bare_newline =
       reject: "550 5.5.2 HOST Error: bare <LF> received" and the end of
       the session;
    2. with smtputf8_enable, malformed UTF-8: "500 5.5.2 Error: bad UTF-8
       syntax" (the command is not counted);
    3. the line is cut at the first NUL and split into words (tokens.py);
       no words: "500 5.5.2 Error: bad syntax";
    4. smtpd_noop_commands: "250 2.0.0 Ok";
    5. the command is looked up and counted; an unknown command that
       looks like a message header or matches smtpd_forbidden_commands
       ends the session with "221 2.7.0 Error: I can break rules, too.
       Goodbye.";
    6. a client rejected at connect time gets "503 5.7.0 Error: access
       denied for CLIENT" (QUIT still works);
    7. unknown commands: "500 5.5.2 Error: command not recognized";
    8. smtpd_tls_security_level = encrypt: "530 5.7.0 Must issue a
       STARTTLS command first" before STARTTLS, except for HELO, EHLO,
       NOOP, QUIT, STARTTLS and XCLIENT;
    9. improper pipelining (see server.py) is logged once; with
       smtpd_forbid_unauth_pipelining it is "554 5.5.0 Error: SMTP
       protocol synchronization" and the end of the session;
    10. the command handler runs.

    Parameters read: none directly (ServerSettings: smtputf8_enable,
    smtpd_noop_commands, smtpd_forbidden_commands, smtpd_enforce_tls,
    smtpd_forbid_unauth_pipelining, smtpd_forbid_bare_newline_reject_code).

DIAGNOSTICS
    Logs "non-SMTP command from CLIENT: TEXT" and "improper command
    pipelining after CMD from CLIENT: TEXT" as Postfix does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfix.smtp import replies
from pyfix.smtp.commands import LAST, PRE_TLS, UNKNOWN, lookup
from pyfix.smtp.events import Noop, Unknown
from pyfix.smtp.hostname import valid_utf8_bytes
from pyfix.smtp.logfields import escape
from pyfix.smtp.tokens import tokenize

if TYPE_CHECKING:
    from pyfix.smtp.server import SmtpServer


def is_header(word: str) -> bool:
    """Postfix's is_header(): "Name:" or "Name :", printable ASCII."""
    state = "init"
    for ch in word:
        if ch in " \t":
            if state == "init":
                return False
            state = "space"
        elif ch == ":":
            return state != "init"
        elif not (" " < ch < "\x7f") or state == "space":
            return False
        else:
            state = "char"
    return False


def pipelining_violation(srv: SmtpServer, where: str) -> bool:
    """Log improper pipelining (once); True when it ends the session."""
    session = srv.session
    if session.ill_pipelining or not srv.has_buffered_input:
        return False
    session.ill_pipelining = True
    srv.log(
        "info",
        f"improper command pipelining after {where} from {session.client.namaddr}: "
        f"{escape(srv.peek_input(100))}",
    )
    return srv.settings.forbid_unauth_pipelining


def execute(srv: SmtpServer, raw: bytes, bare_lf: bool) -> None:
    session, settings = srv.session, srv.settings
    text = raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    srv.command_text = text
    srv.record_command(text)
    if srv.reject_bare_lf and bare_lf:
        srv.log_reject("bare <LF> received")
        reply = replies.bare_lf(settings.bare_newline_reject_code, settings.myhostname)
        srv.violation(reply, "protocol")
        srv.close()
        return
    if settings.smtputf8_enable and not valid_utf8_bytes(raw):
        srv.violation(replies.BAD_UTF8, "protocol")
        session.error_count += 1
        return
    argv = tokenize(text)
    if not argv:
        srv.violation(replies.BAD_SYNTAX, "protocol")
        session.error_count += 1
        return
    verb = argv[0].text
    if settings.noop_commands(verb):
        srv.reply(replies.OK)
        srv.count_junk()
        srv.log_event(Noop())
        return
    spec = lookup(verb)
    srv.stats.received(spec.name if spec else UNKNOWN)
    if spec is None:
        session.where = "UNKNOWN"
        if is_header(verb) or settings.forbidden_commands(verb):
            text = escape(raw)[:100]
            srv.log("warning", f"non-SMTP command from {session.client.namaddr}: {text}")
            srv.violation(replies.NON_SMTP_COMMAND, None)
            srv.close()
            return
    denied = session.access_denied
    if denied is not None and (spec is None or spec.name != "QUIT"):
        if str(denied.code)[1:] == "21":
            srv.violation(denied, None)
        else:
            srv.violation(replies.access_denied(session.client.namaddr), None)
            session.error_count += 1
        return
    if spec is None:
        srv.reply(replies.UNKNOWN_COMMAND)
        session.error_mask.add("protocol")
        session.error_count += 1
        srv.log_event(Unknown(verb, replies.UNKNOWN_COMMAND))
        return
    if settings.require_tls and not session.tls_active and PRE_TLS not in spec.flags:
        srv.violation(replies.TLS_REQUIRED, None)
        session.error_count += 1
        return
    session.where = spec.name
    checked = session.protocol != "ESMTP" or LAST in spec.flags
    if checked and pipelining_violation(srv, spec.name):
        srv.violation(replies.PIPELINING_SYNC, None)
        srv.close()
        return
    srv.run_command(spec, argv)
