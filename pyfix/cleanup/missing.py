"""NAME
    pyfix.cleanup.missing - add missing message headers

SUMMARY
    add_missing_headers(), mail_date(), message_id()

DESCRIPTION
    At the end of the primary message headers, cleanup adds the headers
    that a message lacks (cleanup_header_done_callback()).  It does so
    only for mail whose headers it may rewrite (header rewriting context
    "local", or "remote" with remote_header_rewrite_domain set), or for
    all mail with always_add_missing_headers = yes.  Mail from sendmail
    and pickup is local; SMTP mail is local when the client matches
    local_header_rewrite_clients.

    When the message has a Resent- header, the Resent- variants are
    added instead of the plain ones:

        (Resent-)Message-Id: <YYYYMMDDHHMMSS.QUEUEID@$myhostname>
                             (<QUEUEID@$myhostname> with long queue IDs;
                             the time is the queue file's creation time
                             in UTC)
        (Resent-)Date:       the arrival time, as mail_date() writes it
        (Resent-)From:       the sender, with its full name when known
                             (header_from_format), or MAILER-DAEMON for
                             the null sender
        $undisclosed_recipients_header, when there is no To:, Cc:,
                             Resent-To: or Resent-Cc: header

    The log gets "QUEUEID: message-id=<ID>" (or resent-message-id=) for
    an added Message-Id, and "QUEUEID: message-id=<>" when the message
    has none at all.

    A message without any Received: header is refused: every cleanup
    client (smtpd, pickup, bounce) prepends its own.

    mail_date() formats a time as Postfix's mail_date():
    "Sat,  1 Jan 2024 12:00:00 +0000 (UTC)" (the day of the month is
    space-padded).

    Parameters read (through CleanupSettings): always_add_missing_headers,
    enable_long_queue_ids, header_from_format, myhostname,
    undisclosed_recipients_header.

DIAGNOSTICS
    "QUEUEID: message rejected: no Received: header" (CLEANUP_STAT_BAD);
    a malformed undisclosed_recipients_header is logged as a warning and
    not added.
"""

from __future__ import annotations

import time

from pyfix.address.quote import quote_822_local
from pyfix.cleanup.headers import (
    HDR_CC,
    HDR_DATE,
    HDR_FROM,
    HDR_MESSAGE_ID,
    HDR_RESENT_CC,
    HDR_RESENT_DATE,
    HDR_RESENT_FROM,
    HDR_RESENT_MESSAGE_ID,
    HDR_RESENT_TO,
    HDR_TO,
    is_header,
)
from pyfix.cleanup.output import CleanupOutput
from pyfix.cleanup.rewrite import externalize
from pyfix.cleanup.settings import CleanupSettings
from pyfix.cleanup.state import CleanupState
from pyfix.cleanup.status import CLEANUP_STAT_BAD
from pyfix.log.maillog import MailLog
from pyfix.queue.records import REC_TYPE_NORM
from pyfix.smtp.tok822 import Tok, parse_addresses, scan

VISIBLE_RCPT = (1 << HDR_TO) | (1 << HDR_RESENT_TO) | (1 << HDR_CC) | (1 << HDR_RESENT_CC)
LEX_822_SPECIALS = '()<>@,;:\\".[]'


def mail_date(when: float) -> str:
    """RFC 5322 date in local time, as Postfix's mail_date() writes it."""
    local = time.localtime(when)
    offset = (local.tm_gmtoff or 0) // 60
    hours = int(offset / 60)  # C division: towards zero
    return (time.strftime("%a, %e %b %Y %H:%M:%S ", local)
            + f"{hours:+03d}{abs(offset) % 60:02d}" + time.strftime(" (%Z)", local))


def message_id(state: CleanupState, settings: CleanupSettings) -> str:
    if settings.long_queue_ids:
        return f"{state.queue_id}@{settings.myhostname}"
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(state.created))
    return f"{stamp}.{state.queue_id}@{settings.myhostname}"


def from_header(state: CleanupState, settings: CleanupSettings) -> str:
    sender = state.sender or ""
    address = quote_822_local(sender or "MAILER-DAEMON")
    fullname = state.fullname
    if not (sender and fullname):
        return f"{state.resent}From: {address}"
    fullname = fullname.replace("\r", " ").replace("\n", " ")
    if settings.header_from_format != "obsolete":
        if any(ch in "%!" + LEX_822_SPECIALS for ch in fullname):
            phrase = externalize([Tok("qstring", fullname)])
        else:
            phrase = externalize(scan(fullname))
        phrase = phrase + " " if phrase else ""
        return f"{state.resent}From: {phrase}<{address}>"
    comment = externalize(parse_addresses(f"({fullname})"))
    return f"{state.resent}From: {address} {comment}"


def add_missing_headers(state: CleanupState, out: CleanupOutput,
                        settings: CleanupSettings, log: MailLog) -> None:
    if not state.out_ok:
        return
    if state.hop_count < 1:
        log.warn(f"{state.queue_id}: message rejected: no Received: header")
        state.errs |= CLEANUP_STAT_BAD
        return
    add = state.hdr_rewrite_context is not None or settings.always_add_missing_headers
    resent = state.resent
    id_type = HDR_RESENT_MESSAGE_ID if resent else HDR_MESSAGE_ID
    if add and not state.seen(id_type):
        text = message_id(state, settings)
        out.out_string(REC_TYPE_NORM, f"{resent}Message-Id: <{text}>")
        log.info(f"{state.queue_id}: {'resent-' if resent else ''}message-id=<{text}>")
        state.headers_seen |= 1 << id_type
    if not state.seen(HDR_MESSAGE_ID):
        log.info(f"{state.queue_id}: message-id=<>")
    if add and not state.seen(HDR_RESENT_DATE if resent else HDR_DATE):
        out.out_string(REC_TYPE_NORM, f"{resent}Date: {mail_date(state.arrival[0])}")
    if add and not state.seen(HDR_RESENT_FROM if resent else HDR_FROM):
        out.out_string(REC_TYPE_NORM, from_header(state, settings))
    witheld = settings.undisclosed_recipients_header
    if add and not state.headers_seen & VISIBLE_RCPT and witheld:
        if not is_header(witheld.encode("utf-8", "surrogateescape")):
            log.warn(f'bad undisclosed_recipients_header header text "{witheld}" -- '
                     'need "headername: headervalue"')
        else:
            out.out_string(REC_TYPE_NORM, witheld)
