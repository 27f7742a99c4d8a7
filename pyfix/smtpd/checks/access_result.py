"""NAME
    pyfix.smtpd.checks.access_result - what an access(5) result does

SUMMARY
    access_verdict(), map_dsn()

DESCRIPTION
    access_verdict() turns the value that a check_*_access table (or a
    policy server) returned into a Verdict, as Postfix's smtpd does:

        OK, all-numerical   permit
        DUNNO               as not found (the search stops)
        REJECT [text]       "$access_map_reject_code 5.7.1 <what>: Class
                            rejected: text" (text: Access denied)
        DEFER [text]        the same with $access_map_defer_code 4.7.1
        4NN/5NN [x.y.z] [text]
                            that reply (421 and 521 end the session)
        HOLD [text]         the message goes on hold; logged once per
                            transaction as "hold: ... <what>: Class text"
                            (text: triggers HOLD action); DUNNO
        DISCARD [text]      the message is discarded; logged once as
                            "discard: ..."; OK, and the transaction's
                            later restrictions are not evaluated
        FILTER t:d, REDIRECT addr, BCC addr
                            FILTER and REDIRECT: the last one wins; each
                            BCC adds a recipient; logged as "filter: ...
                            <what>: Class triggers FILTER t:d"; DUNNO
        PREPEND header      a header line before Received:; DUNNO (in
                            smtpd_end_of_data_restrictions a warning)
        WARN [text], INFO [text]
                            logged as "warn: ... text" / "info: ..."; DUNNO
        anything else       a restriction list (a restriction class),
                            evaluated in place; names that pyfix does
                            not know fail closed as unknown restrictions.

    An enhanced status code in a reply is mapped to the class of the
    subject, with Postfix's "mapping DSN status X into Class status Y"
    log line: for a sender X.1.1-X.1.4 and X.1.6 become X.1.7, X.1.2
    X.1.8, other X.1.y X.1.0; for a recipient X.1.7 becomes X.1.3, X.1.8
    X.1.2, X.1.9 X.1.0; for a client, HELO or ETRN name any X.1.y is
    X.0.0.

    With smtpd_delay_reject = no the actions on the message (HOLD,
    DISCARD, FILTER, REDIRECT, BCC, PREPEND) in client or HELO
    restrictions are skipped with Postfix's warning: there is no mail
    transaction yet.

    Parameters read: access_map_reject_code, access_map_defer_code,
    smtpd_delay_reject.

DIAGNOSTICS
    A FILTER without "transport:destination", a REDIRECT or BCC without
    "user@domain", a PREPEND without "header: text": Postfix's warning
    ('access table TYPE:NAME entry "KEY" requires ...'), and the entry
    counts as not found.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pyfix.smtpd.checks.engine import (
    CLIENT,
    DUNNO,
    END_OF_DATA,
    HELO,
    OK,
    RECIPIENT,
    SENDER,
    Context,
    Request,
    Verdict,
    evaluate,
    parse_list,
)

_NUMERIC = re.compile(r"([45])\d\d(?:\s+([245]\.\d{1,3}\.\d{1,3}))?(?:\s+(.*))?$", re.DOTALL)
_DSN = re.compile(r"([245]\.\d{1,3}\.\d{1,3})(?:\s+(.*))?$", re.DOTALL)
_HEADER = re.compile(r"[\x21-\x39\x3b-\x7e]+:")

# X.1.y for a sender (Sender address) and a recipient (Recipient address).
_SENDER_DSN = {"1": "7", "2": "8", "3": "7", "4": "7", "6": "7", "7": "7", "8": "8"}
_RECIPIENT_DSN = {"0": "0", "1": "1", "2": "2", "3": "3", "4": "4", "5": "5", "6": "6",
                  "7": "3", "8": "2"}


def map_dsn(ctx: Context, enhanced: str, reply_class: str) -> str:
    """The enhanced code as the subject's class has it, logged when changed."""
    klass, subject, detail = enhanced.split(".")
    if subject != "1":
        return enhanced
    if reply_class == SENDER.reply_class:
        mapped = f"{klass}.1.{_SENDER_DSN.get(detail, '0')}"
    elif reply_class == RECIPIENT.reply_class:
        mapped = f"{klass}.1.{_RECIPIENT_DSN.get(detail, '0')}"
    else:
        mapped = f"{klass}.0.0"
    if mapped != enhanced:
        ctx.info(f"mapping DSN status {enhanced} into {reply_class} status {mapped}")
    return mapped


def _reply(ctx: Context, request: Request, code: int, text: str, subject: tuple[str, str],
           default_enhanced: str) -> Verdict:
    """A reject or defer reply; text may start with an enhanced code."""
    enhanced = default_enhanced
    match = _DSN.match(text)
    if match is not None:
        enhanced, text = match.group(1), match.group(2) or ""
    if enhanced[0] != str(code)[0]:
        enhanced = f"{str(code)[0]}{enhanced[1:]}"
    enhanced = map_dsn(ctx, enhanced, subject[1])
    text = text or "Access denied"
    if code < 500:
        return request.defer(text, code, enhanced, subject)
    return request.reject(text, code, enhanced, subject)


def _what(subject: tuple[str, str]) -> str:
    return f"<{subject[0]}>: {subject[1]}"


# (ctx, request, text after the keyword, subject, table, entry)
Action = Callable[[Context, Request, str, tuple[str, str], str, str], Verdict]


def _flag(keyword: str, verdict: Verdict) -> Action:
    """HOLD and DISCARD: set once per transaction, and logged then."""
    name = keyword.lower()

    def act(ctx: Context, request: Request, text: str, subject: tuple[str, str],
            table: str, entry: str) -> Verdict:
        if not getattr(ctx.actions, name):
            setattr(ctx.actions, name, True)
            ctx.note(name, f"{_what(subject)} {text or f'triggers {keyword} action'}")
        return verdict

    return act


def _bad(ctx: Context, table: str, entry: str, problem: str) -> Verdict:
    """An action without its argument: a warning, and as not found."""
    ctx.warn(f'access table {table} entry "{entry}" {problem}')
    return DUNNO


def _routing(keyword: str) -> Action:
    """FILTER, REDIRECT (the last one wins) and BCC (each one counts);
    each is logged."""

    def act(ctx: Context, request: Request, text: str, subject: tuple[str, str],
            table: str, entry: str) -> Verdict:
        if keyword == "FILTER" and not text:
            return _bad(ctx, table, entry, "has FILTER entry without value")
        if keyword == "FILTER" and ":" not in text:
            return _bad(ctx, table, entry, "requires transport:destination")
        if keyword != "FILTER" and "@" not in text:
            return _bad(ctx, table, entry, "requires user@domain target")
        if keyword == "BCC":
            ctx.actions.bcc.append(text)
        else:
            setattr(ctx.actions, keyword.lower(), text)
        ctx.note(keyword.lower(), f"{_what(subject)} triggers {keyword} {text}")
        return DUNNO

    return act


def _prepend(ctx: Context, request: Request, text: str, subject: tuple[str, str],
             table: str, entry: str) -> Verdict:
    if not _HEADER.match(text):
        return _bad(ctx, table, entry, "requires header: text")
    if request.stage is END_OF_DATA:  # the headers are gone
        ctx.warn(f"access table {table}: action PREPEND must be used before "
                 f"{END_OF_DATA.parameter}")
        return DUNNO
    ctx.actions.prepend.append(text)
    return DUNNO


def _log(action: str) -> Action:
    def act(ctx: Context, request: Request, text: str, subject: tuple[str, str],
            table: str, entry: str) -> Verdict:
        ctx.note(action, text)
        return DUNNO

    return act


# The actions on the message, which need a mail transaction.
MESSAGE_ACTIONS = ("HOLD", "DISCARD", "FILTER", "REDIRECT", "BCC", "PREPEND")
ACTIONS: dict[str, Action] = {
    "HOLD": _flag("HOLD", DUNNO),
    "DISCARD": _flag("DISCARD", OK),
    "FILTER": _routing("FILTER"),
    "REDIRECT": _routing("REDIRECT"),
    "BCC": _routing("BCC"),
    "PREPEND": _prepend,
    "WARN": _log("warn"),
    "INFO": _log("info"),
}


async def access_verdict(ctx: Context, request: Request, value: str, subject: tuple[str, str],
                         table: str, entry: str = "") -> Verdict:
    """What an access(5) value means for subject (what, reply class);
    entry is what was looked up in table (warnings name it)."""
    value = value.strip()
    word, _, rest = value.partition(" ")
    rest = rest.strip()
    keyword = word.upper()
    settings = ctx.settings
    if keyword == "OK" or value.isdigit():
        return OK
    if keyword == "DUNNO":
        return DUNNO
    if keyword == "REJECT":
        return _reply(ctx, request, settings.access_map_reject_code, rest, subject, "5.7.1")
    if keyword == "DEFER":
        return _reply(ctx, request, settings.access_map_defer_code, rest, subject, "4.7.1")
    if keyword in ("DEFER_IF_PERMIT", "DEFER_IF_REJECT"):
        # defer_if_permit and defer_if_reject (generic.py) with this reply
        reply = request.reply(settings.access_map_defer_code, "4.7.1",
                              rest or "Service unavailable", subject)
        return (ctx.defer_if_permit(reply) if keyword == "DEFER_IF_PERMIT"
                else ctx.defer_if_reject(reply))
    action = ACTIONS.get(keyword)
    if action is not None:
        if keyword in MESSAGE_ACTIONS and request.stage in (CLIENT, HELO) \
                and not settings.delay_reject:
            # No mail transaction to act on at CONNECT or HELO.
            ctx.warn(f"access table {table}: with smtpd_delay_reject=no, action {keyword} "
                     "is always skipped in Client host or Helo command restrictions")
            return DUNNO
        return action(ctx, request, rest, subject, table, entry or subject[0])
    match = _NUMERIC.match(value)
    if match is not None:
        return _reply(ctx, request, int(value[:3]), value[3:].strip(), subject,
                      f"{match.group(1)}.7.1")
    # A restriction list, worded for this lookup ("Client host rejected").
    return await evaluate(ctx, parse_list(table, value), request.about(subject))
