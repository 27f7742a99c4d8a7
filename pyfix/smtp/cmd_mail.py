"""NAME
    pyfix.smtp.cmd_mail - MAIL, RCPT, DATA and BDAT, and the end of a message

SUMMARY
    mail(), rcpt(), data(), bdat(), end_of_message(), bdat_chunk_done()

DESCRIPTION
    The mail transaction commands, checked in Postfix 3.7's order:

    MAIL FROM:<address> [parameters]
        smtpd_helo_required, nested MAIL, MAIL after BDAT, syntax, the
        address (address.py; SMTPUTF8 among the parameters is looked at
        first, since it decides what address syntax is allowed), the
        parameters (params.py), message_size_limit against SIZE=, then
        the verdict, then strict_smtputf8.
    RCPT TO:<address> [parameters]
        a transaction must be open and no BDAT sent; syntax, address,
        parameters, smtpd_recipient_limit ("452 4.5.3 Error: too many
        recipients", which counts as a success until
        smtpd_recipient_overshoot_limit is passed), strict_smtputf8,
        then the verdict.
    DATA
        "503 5.5.1 Error: need RCPT command" outside a transaction,
        "554 5.5.1 Error: no valid recipients" inside one without
        accepted recipients, then the verdict and "354".
    BDAT size [LAST]
        with CHUNKING discarded or bad syntax, "521" and the session
        ends (the chunk that follows could not be told from commands);
        a chunk that cannot be accepted is read and thrown away before
        the reply, and later chunks are thrown away until BDAT LAST or
        RSET.  The first chunk of a message asks the DATA verdict.

    end_of_message() asks for the EndOfData verdict (Queued or a reply),
    or, when the content was in error, replies "552 5.3.4 Error: message
    file too big" or the bare newline reject.  A queued message forgives
    the session's earlier errors, as Postfix does.

    Parameters read: none directly (ServerSettings: smtpd_helo_required,
    strict_rfc821_envelopes, smtputf8_enable, strict_smtputf8,
    message_size_limit, smtpd_recipient_limit,
    smtpd_recipient_overshoot_limit, smtpd_forbid_bare_newline_reject_code,
    verp_delimiter_filter, default_verp_delimiters).

DIAGNOSTICS
    Address syntax errors, malformed and null BDAT requests and chunks
    over the size limit are logged as Postfix logs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyfix.smtp import replies
from pyfix.smtp.address import extract_address
from pyfix.smtp.cmd_session import ask
from pyfix.smtp.events import (
    Bdat,
    Data,
    EndOfData,
    MailFrom,
    NotQueued,
    ProtocolViolation,
    Queued,
    RcptTo,
    Verdict,
)
from pyfix.smtp.logfields import printable
from pyfix.smtp.outcome import Ask, Done, Outcome
from pyfix.smtp.params import (
    MailOptions,
    ParamError,
    parse_mail_params,
    parse_rcpt_params,
    wants_smtputf8,
)
from pyfix.smtp.replies import Reply
from pyfix.smtp.session import BdatState, ContentError
from pyfix.smtp.tokens import Token, ascii_lower, is_ascii_digits

if TYPE_CHECKING:
    from pyfix.smtp.server import SmtpServer

OFF_T_MAX = (1 << 63) - 1


def _param_error(srv: SmtpServer, command: str, error: ParamError) -> Outcome:
    if error.warning is not None:
        srv.log("warning", error.warning)
    return srv.reject(command, error.reply, error.error_class)


def mail(srv: SmtpServer, argv: list[Token]) -> Outcome:
    settings, session = srv.settings, srv.session
    if settings.helo_required and session.helo_name is None:
        return srv.reject("MAIL", replies.SEND_HELO_FIRST, "policy")
    if session.in_mail_transaction:
        return srv.reject("MAIL", replies.NESTED_MAIL, "protocol")
    if session.processing_bdat:
        return srv.reject("MAIL", replies.MAIL_AFTER_BDAT, "protocol")
    if len(argv) < 3 or ascii_lower(argv[1].text) != "from:":
        return srv.reject("MAIL", replies.MAIL_SYNTAX, "protocol")
    if argv[2].bad:
        return srv.reject("MAIL", replies.BAD_SENDER, "protocol")
    args = [token.text for token in argv[3:]]
    utf8_ok = settings.smtputf8_enable and "SMTPUTF8" not in session.discard
    smtputf8 = wants_smtputf8(args, utf8_ok)
    word = argv[2].text
    result = extract_address(
        word,
        allow_empty=True,
        strict=settings.strict_rfc821_envelopes,
        smtputf8=smtputf8,
        resolve_ok=srv.resolve_ok,
    )
    if result.bad:
        srv.illegal_address(word)
        return srv.reject("MAIL", replies.BAD_SENDER, "protocol")
    options = MailOptions(
        smtputf8=utf8_ok,
        dsn="DSN" not in session.discard,
        verp_allowed=srv.features.verp,
        verp_filter=settings.verp_filter,
        verp_default=settings.verp_default,
    )
    params, error = parse_mail_params(args, options)
    if params.size is not None:
        session.mail.msg_size = params.size
    if error is not None:
        return _param_error(srv, "MAIL", error)
    limit = settings.message_size_limit
    if limit > 0 and session.mail.msg_size > limit:
        srv.log_reject(replies.SIZE_FIXED_LIMIT, sender=result.address)
        return srv.reject("MAIL", replies.SIZE_FIXED_LIMIT, "policy")
    if params.verp is not None and not result.address:
        return srv.reject("MAIL", replies.VERP_NULL_SENDER, None)
    request = MailFrom(result.address, word, params)

    def accepted() -> Outcome:
        if settings.strict_smtputf8 and not params.smtputf8 and not result.address.isascii():
            srv.reply(replies.NEED_SMTPUTF8)
            return Done(False, request)
        session.mail.sender = result.address
        session.mail.params = params
        srv.reply(replies.MAIL_OK)
        return Done(True, request)

    return ask(srv, request, accepted)


def rcpt(srv: SmtpServer, argv: list[Token]) -> Outcome:
    settings, session = srv.settings, srv.session
    if not session.in_mail_transaction:
        return srv.reject("RCPT", replies.NEED_MAIL, "protocol")
    if session.processing_bdat:
        return srv.reject("RCPT", replies.RCPT_AFTER_BDAT, "protocol")
    if len(argv) < 3 or ascii_lower(argv[1].text) != "to:":
        return srv.reject("RCPT", replies.RCPT_SYNTAX, "protocol")
    if argv[2].bad:
        return srv.reject("RCPT", replies.BAD_RECIPIENT, "protocol")
    word = argv[2].text
    result = extract_address(
        word,
        allow_empty=False,
        strict=settings.strict_rfc821_envelopes,
        smtputf8=session.mail.smtputf8,
        resolve_ok=srv.resolve_ok,
    )
    if result.bad:
        srv.illegal_address(word)
        return srv.reject("RCPT", replies.BAD_RECIPIENT, "protocol")
    params = parse_rcpt_params([t.text for t in argv[3:]], "DSN" not in session.discard)
    if isinstance(params, ParamError):
        return _param_error(srv, "RCPT", params)
    rcpt_state = session.rcpt
    if settings.recipient_limit and rcpt_state.count >= settings.recipient_limit:
        srv.reply(replies.TOO_MANY_RECIPIENTS)
        event = ProtocolViolation("RCPT", replies.TOO_MANY_RECIPIENTS)
        rcpt_state.overshoot += 1
        if rcpt_state.overshoot <= settings.recipient_overshoot_limit:
            return Done(True, event)  # Postfix counts these as successes
        session.error_mask.add("policy")
        return Done(False, event)
    if settings.strict_smtputf8 and not session.mail.smtputf8 and not result.address.isascii():
        return srv.reject("RCPT", replies.NEED_SMTPUTF8, None)
    request = RcptTo(result.address, word, params)

    def accepted() -> Outcome:
        session.rcpt.count += 1
        if session.rcpt.first is None:
            session.rcpt.first = result.address
        srv.reply(replies.RCPT_OK)
        return Done(True, request)

    return ask(srv, request, accepted)


def _no_recipients(srv: SmtpServer) -> tuple[Reply, str | None]:
    if not srv.session.in_mail_transaction:
        return replies.NEED_RCPT, "protocol"
    return replies.NO_VALID_RECIPIENTS, None


def data(srv: SmtpServer, argv: list[Token]) -> Outcome:
    session = srv.session
    if session.processing_bdat:
        return srv.reject("DATA", replies.DATA_AFTER_BDAT, "protocol")
    if session.rcpt.count == 0:
        return srv.reject("DATA", *_no_recipients(srv))
    if len(argv) != 1:
        return srv.reject("DATA", replies.DATA_SYNTAX, "protocol")
    request = Data()

    def accepted() -> Outcome:
        srv.reply(replies.START_DATA)
        return srv.start_data(request)

    return ask(srv, request, accepted)


def bdat(srv: SmtpServer, argv: list[Token]) -> Outcome:
    settings, session = srv.settings, srv.session
    if "CHUNKING" in session.discard:
        return srv.reject("BDAT", replies.BDAT_NOT_IMPLEMENTED, "protocol")
    size = int(argv[1].text) if len(argv) > 1 and is_ascii_digits(argv[1].text) else -1
    last = len(argv) == 3
    if (
        len(argv) not in (2, 3)
        or size < 0
        or size > OFF_T_MAX
        or (last and ascii_lower(argv[2].text) != "last")
    ):
        srv.log(
            "warning",
            f"{session.queue_id_or_noqueue}: malformed BDAT command syntax from "
            f"{session.client.namaddr}: "
            f"{printable(srv.command_text, settings.smtputf8_enable)[:100]}",
        )
        return srv.reject("BDAT", replies.BDAT_SYNTAX, "protocol")
    if size == 0 and not last:
        srv.log(
            "warning",
            f"{session.queue_id_or_noqueue}: null BDAT request from {session.client.namaddr}",
        )
        return srv.skip_bdat(size, last, replies.NULL_BDAT, None)
    if session.mail.bdat is BdatState.ERROR:
        return srv.skip_bdat(size, last, replies.bdat_discarded(size), None)
    if session.processing_bdat:
        return _bdat_chunk(srv, size, last)
    if session.rcpt.count == 0:
        return srv.skip_bdat(size, last, *_no_recipients(srv))
    request = Bdat(size, last)

    def resume(verdict: Verdict) -> Outcome:
        rejection = srv.rejection(verdict)
        if rejection is not None:
            return srv.skip_bdat(size, last, rejection, None)
        return _bdat_chunk(srv, size, last)

    return Ask(request, resume)


def _bdat_chunk(srv: SmtpServer, size: int, last: bool) -> Outcome:
    session = srv.session
    limit = srv.settings.message_size_limit
    if limit > 0 and session.mail.act_size > limit - size:
        srv.log(
            "warning",
            f"{session.queue_id_or_noqueue}: BDAT request from {session.client.namaddr} "
            "exceeds message size limit",
        )
        return srv.skip_bdat(size, last, replies.CHUNK_TOO_BIG, "policy")
    if not session.processing_bdat:
        session.mail.bdat_pending.clear()
        session.mail.bdat_prev_cont = False
    session.mail.bdat = BdatState.OK
    session.where = "BDAT content"
    return srv.start_bdat(size, last)


def bdat_chunk_done(srv: SmtpServer, size: int, last: bool) -> Outcome:
    """A BDAT chunk has been read completely."""
    session = srv.session
    if last:
        session.where = "END-OF-MESSAGE"
        return end_of_message(srv, bdat=True)
    if session.mail.errors:
        outcome = _content_error(srv)
        session.mail.bdat = BdatState.ERROR
        return outcome
    srv.reply(replies.bdat_chunk_ok(size))
    return Done(True, None)


def _content_error(srv: SmtpServer) -> Outcome:
    session, settings = srv.session, srv.settings
    errors = session.mail.errors
    if ContentError.BARE_LF in errors:
        srv.log_reject("bare <LF> received")
        reply = replies.bare_lf(settings.bare_newline_reject_code, settings.myhostname)
        error_class = "protocol"
    else:
        reply, error_class = replies.MESSAGE_TOO_BIG, "bounce"
    srv.reply(reply)
    session.error_mask.add(error_class)
    session.transaction_reset()
    return Done(False, ProtocolViolation("END-OF-MESSAGE", reply))


def end_of_message(srv: SmtpServer, bdat: bool) -> Outcome:
    session = srv.session
    if session.mail.errors:
        return _content_error(srv)
    request = EndOfData(session.mail.act_size)

    def resume(verdict: Verdict) -> Outcome:
        if isinstance(verdict, Queued):
            size = session.mail.act_size
            session.mail.queue_id = verdict.queue_id
            if bdat:
                srv.reply(replies.bdat_queued(size, verdict.queue_id))
            else:
                srv.reply(replies.queued(verdict.queue_id))
            session.error_count = 0
            session.error_mask.clear()
            session.junk_cmds = 0
            session.transaction_reset()
            srv.chat_reset(srv.settings.history_flush_threshold)
            return Done(True, request)
        if isinstance(verdict, NotQueued):
            srv.reply(verdict.reply)
            session.error_mask.add(verdict.reply.error_class)
            session.transaction_reset()
            srv.chat_reset(srv.settings.history_flush_threshold)
            return Done(False, request)
        # smtpd_end_of_data_restrictions: Postfix keeps the transaction.
        rejection = srv.rejection(verdict)
        assert rejection is not None
        srv.reply(rejection)
        return Done(False, request)

    return Ask(request, resume)

