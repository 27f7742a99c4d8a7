"""NAME
    pyfix.smtp.cmd_session - HELO, EHLO, RSET, NOOP, QUIT, VRFY, ETRN,
    STARTTLS, AUTH, XCLIENT and XFORWARD

SUMMARY
    one handler per command, called from the command table (commands.py)

DESCRIPTION
    Each handler checks its command in Postfix's order and either
    rejects it with Postfix's reply, or asks for a verdict (policy.py)
    and then answers:

    HELO/EHLO name
        "501 Syntax: HELO hostname" without a name (several words are
        joined); on acceptance the transaction is reset, the name is
        remembered (non-printable and special characters become "?"),
        and EHLO switches the protocol to ESMTP and lists the keywords
        (ehlo.py).  HELO after EHLO keeps ESMTP.
    RSET, NOOP, QUIT
        RSET takes no argument; NOOP ignores them; QUIT always says Bye.
    VRFY address [SMTPUTF8]
        disabled by disable_vrfy_command; the address must parse like a
        recipient; the reply echoes the argument with code 252.
    ETRN domain
        needs HELO with smtpd_helo_required, no mail transaction, one
        argument that is a host name or address literal (a leading "@"
        or "#" is dropped).
    STARTTLS, AUTH, XCLIENT, XFORWARD
        STARTTLS is offered when the caller enables it (EhloFeatures);
        on acceptance the core replies 220, forgets buffered input (the
        plaintext injection defense), resets the session and waits for
        the TlsHandshake verdict: the command succeeds only when the
        handshake did.  AUTH,
        XCLIENT and XFORWARD are answered as Postfix does when they are
        not enabled or not authorized.

    Parameters read: none directly (ServerSettings: myhostname,
    smtpd_helo_required, disable_vrfy_command, smtputf8_enable,
    strict_smtputf8, message_size_limit, smtpd_discard_ehlo_keywords).

DIAGNOSTICS
    Rejections are counted as errors by the caller; VRFY logs
    "Illegal address syntax" warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyfix.smtp import replies
from pyfix.smtp.address import extract_address
from pyfix.smtp.ehlo import ehlo_lines, mask_names
from pyfix.smtp.events import (
    Ehlo,
    Etrn,
    Helo,
    Noop,
    Quit,
    Request,
    Rset,
    StartTls,
    TlsHandshake,
    Verdict,
    Vrfy,
)
from pyfix.smtp.hostname import valid_hostname, valid_mailhost_literal
from pyfix.smtp.outcome import Ask, Done, Outcome
from pyfix.smtp.replies import Reply
from pyfix.smtp.tokens import Token, ascii_lower

if TYPE_CHECKING:
    from pyfix.smtp.server import SmtpServer


def ask(srv: SmtpServer, request: Request, accepted: Callable[[], Outcome]) -> Ask:
    """Ask for a verdict on request; a Reply verdict is sent as the answer."""

    def resume(verdict: Verdict) -> Outcome:
        rejection = srv.rejection(verdict)
        if rejection is not None:
            srv.reply(rejection)
            return Done(False, request)
        return accepted()

    return Ask(request, resume)


def joined(argv: list[Token]) -> str:
    """Postfix's collapse_args(): the words joined by one space."""
    return " ".join(token.text for token in argv)


def helo(srv: SmtpServer, argv: list[Token]) -> Outcome:
    if len(argv) < 2:
        return srv.reject("HELO", replies.HELO_SYNTAX, "protocol")
    srv.chat_reset(srv.settings.history_flush_threshold)
    name = joined(argv[1:])
    request = Helo(name)

    def accepted() -> Outcome:
        srv.session.set_helo(name, extended=False, utf8=srv.settings.smtputf8_enable)
        srv.reply(replies.helo_ok(srv.settings.myhostname))
        return Done(True, request)

    return ask(srv, request, accepted)


def ehlo(srv: SmtpServer, argv: list[Token]) -> Outcome:
    if len(argv) < 2:
        return srv.reject("EHLO", replies.EHLO_SYNTAX, "protocol")
    srv.chat_reset(srv.settings.history_flush_threshold)
    name = joined(argv[1:])
    request = Ehlo(name)

    def accepted() -> Outcome:
        session, settings = srv.session, srv.settings
        discard = session.discard
        if discard and "SILENT-DISCARD" not in discard and "ENHANCEDSTATUSCODES" not in discard:
            srv.log("info", f"discarding EHLO keywords: {mask_names(discard)}")
        session.set_helo(name, extended=True, utf8=settings.smtputf8_enable)
        lines = ehlo_lines(
            settings.myhostname,
            discard,
            message_size_limit=settings.message_size_limit,
            disable_vrfy=settings.disable_vrfy,
            smtputf8_enable=settings.smtputf8_enable,
            features=srv.features,
        )
        srv.reply(Reply(250, "", "\n".join(lines)))
        return Done(True, request)

    return ask(srv, request, accepted)


def rset(srv: SmtpServer, argv: list[Token]) -> Outcome:
    if len(argv) != 1:
        return srv.reject("RSET", replies.RSET_SYNTAX, "protocol")
    srv.chat_reset(srv.settings.history_flush_threshold)
    srv.session.transaction_reset()
    srv.reply(replies.OK)
    return Done(True, Rset())


def noop(srv: SmtpServer, argv: list[Token]) -> Outcome:
    srv.reply(replies.OK)
    return Done(True, Noop())


def quit(srv: SmtpServer, argv: list[Token]) -> Outcome:
    srv.reply(replies.BYE)
    return Done(True, Quit())


def vrfy(srv: SmtpServer, argv: list[Token]) -> Outcome:
    settings, session = srv.settings, srv.session
    if settings.disable_vrfy:
        return srv.reject("VRFY", replies.VRFY_DISABLED, "policy")
    smtputf8 = False
    if (
        settings.smtputf8_enable
        and "SMTPUTF8" not in session.discard
        and len(argv) > 1
        and ascii_lower(argv[-1].text) == "smtputf8"
    ):
        argv = argv[:-1]
        smtputf8 = True
    if len(argv) < 2:
        return srv.reject("VRFY", replies.vrfy_syntax(settings.smtputf8_enable), "protocol")
    word = joined(argv[1:])
    result = extract_address(
        word, allow_empty=False, strict=False, smtputf8=smtputf8, resolve_ok=srv.resolve_ok
    )
    if result.bad:
        srv.illegal_address(word)
        return srv.reject("VRFY", replies.BAD_RECIPIENT, "protocol")
    if not smtputf8 and settings.strict_smtputf8 and not result.address.isascii():
        session.mail_reset()
        return srv.reject("VRFY", replies.NEED_SMTPUTF8, None)
    request = Vrfy(result.address, word, smtputf8)

    def accepted() -> Outcome:
        srv.reply(replies.vrfy_ok(word))
        return Done(True, request)

    return ask(srv, request, accepted)


def etrn(srv: SmtpServer, argv: list[Token]) -> Outcome:
    session = srv.session
    if srv.settings.helo_required and session.helo_name is None:
        return srv.reject("ETRN", replies.ETRN_HELO_FIRST, "policy")
    if session.in_mail_transaction:
        return srv.reject("ETRN", replies.ETRN_IN_MAIL, "protocol")
    if len(argv) != 2:
        return srv.reject("ETRN", replies.ETRN_SYNTAX, "protocol")
    domain = argv[1].text
    if domain[:1] in ("@", "#"):
        domain = domain[1:]
    if not valid_hostname(domain) and not valid_mailhost_literal(domain):
        return srv.reject("ETRN", replies.ETRN_BAD_DOMAIN, "protocol")
    request = Etrn(domain)

    def accepted() -> Outcome:
        srv.reply(replies.ETRN_OK)
        return Done(True, request)

    return ask(srv, request, accepted)


def starttls(srv: SmtpServer, argv: list[Token]) -> Outcome:
    session = srv.session
    if len(argv) != 1:
        return srv.reject("STARTTLS", replies.STARTTLS_SYNTAX, "protocol")
    if session.tls_active:
        return srv.reject("STARTTLS", replies.TLS_ACTIVE, "protocol")
    if not srv.features.starttls or "STARTTLS" in session.discard:
        return srv.reject("STARTTLS", replies.NOT_IMPLEMENTED, "protocol")
    request = StartTls()

    def accepted() -> Outcome:
        srv.reply(replies.STARTTLS_READY)
        srv.purge_input()  # no plaintext may be read as if it came over TLS
        session.helo_reset()
        session.transaction_reset()
        return Ask(TlsHandshake(), handshake_done)

    def handshake_done(verdict: Verdict) -> Outcome:
        session.tls_active = True
        return Done(True, request)

    return ask(srv, request, accepted)


def auth(srv: SmtpServer, argv: list[Token]) -> Outcome:
    # Hook: SASL authentication is not part of the protocol core yet.
    if srv.settings.helo_required and srv.session.helo_name is None:
        return srv.reject("AUTH", replies.SEND_HELO_FIRST, "policy")
    return srv.reject("AUTH", replies.AUTH_NOT_ENABLED, "protocol")


def _unauthorized(srv: SmtpServer, argv: list[Token], command: str) -> Outcome:
    if srv.session.in_mail_transaction:
        return srv.reject(command, replies.IN_MAIL_TRANSACTION, "protocol")
    if len(argv) < 2:
        return srv.reject(command, replies.xclient_syntax(command), "protocol")
    return srv.reject(command, replies.INSUFFICIENT_AUTHORIZATION, "policy")


def xclient(srv: SmtpServer, argv: list[Token]) -> Outcome:
    return _unauthorized(srv, argv, "XCLIENT")


def xforward(srv: SmtpServer, argv: list[Token]) -> Outcome:
    return _unauthorized(srv, argv, "XFORWARD")
