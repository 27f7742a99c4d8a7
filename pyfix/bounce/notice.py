"""NAME
    pyfix.bounce.notice - compose one RFC 3464 delivery status notice

SUMMARY
    Notice, NoticeInfo, Report, iter_reports(), present(), line_wrap(),
    mime_encoding()

DESCRIPTION
    Notice writes the content of one notice, line by line, to a
    put(data, continued) function (the cleanup stream of the new queue
    file), in the shape and with the texts of Postfix's bounce(8):

        Received: by $myhostname ($mail_name) / id NEWID; DATE
        Date:, From:, Subject:, To: (the template's), References: and
        In-Reply-To: (threaded bounces), Auto-Submitted: (auto-replied,
        or auto-generated for a postmaster copy), MIME-Version:,
        Content-Type: multipart/report; report-type=delivery-status,
        Content-Transfer-Encoding:
        "This is a MIME-encapsulated message."
        part 1, "Notification", text/plain: the template text (not in
            postmaster copies), then per recipient "<rcpt>: reason" or
            "<rcpt> (expanded from <orig>): reason";
        part 2, "Delivery report", message/delivery-status:
            Reporting-MTA, Original-Envelope-Id, X-$mail_name-Queue-ID,
            X-$mail_name-Sender, Arrival-Date; per recipient
            Final-Recipient, Original-Recipient, Action, Status,
            Remote-MTA, Diagnostic-Code, and for delay notices
            Will-Retry-Until;
        part 3, "[Undelivered ]Message[ Headers]": the original as
            message/rfc822, or only its headers as text/rfc822-headers
            (DSN RET=HDRS, or larger than $bounce_size_limit), with a
            Return-Path: header first; "message/global*" types when the
            original requested SMTPUTF8.

    Long report lines are wrapped at 79 columns with a 4-space indent,
    as Postfix's line_wrap().  A Report is one recipient's entry in
    presentation form: addresses in quoted form, control characters
    masked, and Postfix's placeholders for missing fields.

    Parameters read: none; the caller passes NoticeInfo.

DIAGNOSTICS
    None; output errors are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pyfix.address.quote import quote_822_local
from pyfix.bounce.logfile import LogEntry
from pyfix.bounce.original import Original
from pyfix.bounce.template import DELAY, FAILURE, Template
from pyfix.cleanup.missing import mail_date
from pyfix.smtp.logfields import printable

SMTPUTF8_REQUESTED = 1 << 0
WRAP_LENGTH = 79
WRAP_INDENT = 4

Put = Callable[[bytes, bool], None]


@dataclass(frozen=True)
class Report:
    """One recipient's log entry, as the notice shows it."""

    address: str
    orig_address: str
    dsn_orcpt: str
    status: str
    action: str
    reason: str
    dtype: str = ""
    dtext: str = ""
    mtype: str = ""
    mname: str = ""


def present(entry: LogEntry, compat_status: str, compat_action: str,
            utf8: bool = True) -> Report:
    """What bounce(8) makes of a log entry (printable, with placeholders)."""
    def clean(text: str) -> str:
        return printable(text, utf8)

    def quoted(address: str) -> str:
        return clean(quote_822_local(address)) if address else "(MAILER-DAEMON)"

    dsn = entry.dsn
    address = quoted(entry.recipient)
    return Report(
        address=address or "(recipient address unavailable)",
        orig_address=quoted(entry.orig_recipient) if entry.orig_recipient else "",
        dsn_orcpt=clean(entry.dsn_orcpt),
        status=clean(dsn.status) or compat_status,
        action=clean(dsn.action) or compat_action,
        reason=clean(dsn.reason) or "(description unavailable)",
        dtype=clean(dsn.dtype), dtext=clean(dsn.dtext),
        mtype=clean(dsn.mtype), mname=clean(dsn.mname))


@dataclass(frozen=True)
class NoticeInfo:
    """What a notice says about the original message."""

    queue_id: str
    sender: str  # presentation form: quoted, or MAILER-DAEMON@$myhostname
    arrival: int  # seconds; 0: unknown
    envid: str
    smtputf8: int
    encoding: str | None  # "7bit", "8bit", or None: say nothing
    boundary: str
    myhostname: str
    mail_name: str
    max_queue_time: int
    orig_msgid: str = ""  # threaded bounces

    @property
    def mail_atom(self) -> str:
        """$mail_name as an RFC 822 atom, for the X- fields."""
        return "".join("-" if ch in ' \t\r\n()<>@,;:\\".[]' else ch for ch in self.mail_name)


def mime_encoding(smtputf8_enable: bool, encoding: str) -> str | None:
    """The MIME encoding that a notice declares (None: none at all)."""
    if smtputf8_enable or encoding == "8bit":
        return "8bit"
    if encoding == "7bit":
        return "7bit"
    return None


def line_wrap(text: str, length: int = WRAP_LENGTH, indent: int = WRAP_INDENT) -> list[str]:
    """Break text at blanks into lines of at most length columns; lines
    after the first are indented (a single word may be longer)."""
    out: list[str] = []
    width, prefix = length, ""
    start = 0
    pos = 0
    while True:
        space = len(text)
        for sep in (" ", "\t"):
            found = text.find(sep, pos)
            if 0 <= found < space:
                space = found
        if pos > start and space - start > width:
            out.append(prefix + text[start:pos].rstrip())
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if not out[1:]:
                prefix, width = " " * indent, length - indent
            start = pos
        if space >= len(text):
            break
        pos = space + 1
    out.append(prefix + text[start:].rstrip())
    return out


def _is_utf8_address(address: str) -> bool:
    if not address or address.isascii():
        return False
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Notice:
    """The line producer for one notice."""

    def __init__(self, put: Put, info: NoticeInfo, template: Template) -> None:
        self._put = put
        self.info = info
        self.template = template

    def line(self, text: str = "") -> None:
        self._put(text.encode("utf-8", "surrogateescape"), False)

    def wrapped(self, text: str) -> None:
        for piece in line_wrap(text):
            self.line(piece)

    @property
    def not_7bit(self) -> bool:
        return self.info.encoding is not None and self.info.encoding != "7bit"

    @property
    def global_types(self) -> bool:
        return bool(self.info.smtputf8 & SMTPUTF8_REQUESTED)

    def _addr_type(self, address: str) -> str:
        return "utf-8" if self.info.smtputf8 and _is_utf8_address(address) else "rfc822"

    def header(self, new_id: str, recipient: str, postmaster_copy: bool, now: float,
               header_from_format: str) -> None:
        info, tp = self.info, self.template
        date = mail_date(now)
        self.line(f"Received: by {info.myhostname} ({info.mail_name})")
        self.line(f"\tid {new_id}; {date}")
        self.line(f"Date: {date}")
        self.line(f"From: {tp.sender_header(header_from_format)}")
        subject = tp.postmaster_subject if postmaster_copy and tp.postmaster_subject \
            else tp.subject
        self.line(f"Subject: {subject}")
        self.line(f"To: {quote_822_local(recipient)}")
        if info.orig_msgid:
            self.line(f"References: {info.orig_msgid}")
            self.line(f"In-Reply-To: {info.orig_msgid}")
        self.line("Auto-Submitted: " + ("auto-generated" if postmaster_copy else "auto-replied"))
        self.line("MIME-Version: 1.0")
        self.line("Content-Type: multipart/report; report-type=delivery-status;")
        self.line(f'\tboundary="{info.boundary}"')
        if info.encoding is not None:
            self.line("Content-Transfer-Encoding: "
                      + (tp.encoding if info.encoding == "7bit" else info.encoding))
        self.line()
        self.line("This is a MIME-encapsulated message.")
        self.line()
        self.line(f"--{info.boundary}")
        self.line("Content-Description: Notification")
        if tp.charset.lower() != "us-ascii":
            charset = tp.charset
        else:
            charset = "utf-8" if self.not_7bit else "us-ascii"
        self.line(f"Content-Type: text/plain; charset={charset}")
        if self.not_7bit:
            self.line(f"Content-Transfer-Encoding: {info.encoding}")
        self.line()

    def boilerplate(self, text: Sequence[str]) -> None:
        for line in text:
            self.line(line)

    def recipient_log(self, reports: Sequence[Report], log_missing: bool) -> None:
        if log_missing:
            self.line()
            self.line("\t--- Delivery report unavailable ---")
            return
        for report in reports:
            self.line()
            if report.orig_address:
                self.wrapped(f"<{report.address}> (expanded from <{report.orig_address}>): "
                             f"{report.reason}")
            else:
                self.wrapped(f"<{report.address}>: {report.reason}")

    def header_dsn(self) -> None:
        info = self.info
        self.line()
        self.line(f"--{info.boundary}")
        self.line("Content-Description: Delivery report")
        kind = "global-" if self.global_types else ""
        self.line(f"Content-Type: message/{kind}delivery-status")
        if self.not_7bit and self.global_types:
            self.line(f"Content-Transfer-Encoding: {info.encoding}")
        self.line()
        self.line(f"Reporting-MTA: dns; {info.myhostname}")
        if info.envid:
            self.line(f"Original-Envelope-Id: {info.envid}")
        self.line(f"X-{info.mail_atom}-Queue-ID: {info.queue_id}")
        if info.sender:
            self.line(f"X-{info.mail_atom}-Sender: {self._addr_type(info.sender)}; "
                      f"{info.sender}")
        if info.arrival > 0:
            self.line(f"Arrival-Date: {mail_date(info.arrival)}")

    def recipient_dsn(self, reports: Sequence[Report]) -> None:
        info = self.info
        for report in reports:
            self.line()
            self.line(f"Final-Recipient: {self._addr_type(report.address)}; {report.address}")
            if report.dsn_orcpt:
                self.line(f"Original-Recipient: {report.dsn_orcpt}")
            elif report.orig_address:
                self.line(f"Original-Recipient: {self._addr_type(report.orig_address)}; "
                          f"{report.orig_address}")
            action = "failed" if self.template.kind == FAILURE else report.action
            self.line(f"Action: {action}")
            self.line(f"Status: {report.status}")
            if report.mtype and report.mname:
                self.wrapped(f"Remote-MTA: {report.mtype}; {report.mname}")
            if report.dtype and report.dtext:
                self.wrapped(f"Diagnostic-Code: {report.dtype}; {report.dtext}")
            else:
                self.wrapped(f"Diagnostic-Code: X-{info.mail_atom}; {report.reason}")
            if self.template.kind == DELAY:
                self.line("Will-Retry-Until: "
                          + mail_date(info.arrival + info.max_queue_time))

    def original(self, original: Original, headers_only: bool, size_limit: int) -> None:
        info = self.info
        if size_limit > 0 and original.available and not 0 < original.size <= size_limit:
            headers_only = True
        self.line()
        self.line(f"--{info.boundary}")
        undelivered = "Undelivered " if self.template.kind in (FAILURE, DELAY) else ""
        what = "Message Headers" if headers_only else "Message"
        self.line(f"Content-Description: {undelivered}{what}")
        if self.global_types:
            self.line("Content-Type: message/" + ("global-headers" if headers_only
                                                  else "global"))
        else:
            self.line("Content-Type: " + ("text/rfc822-headers" if headers_only
                                          else "message/rfc822"))
        if self.not_7bit:
            self.line(f"Content-Transfer-Encoding: {info.encoding}")
        self.line()
        if not original.available:
            self.line("\t--- Undelivered message unavailable ---")
            return
        self.line(f"Return-Path: <{info.sender}>")
        original.copy(self._put, headers_only)
        self.line()
        self.line(f"--{info.boundary}--")


def iter_reports(entries: Sequence[LogEntry], notify_filter: int, compat: tuple[str, str],
                 utf8: bool = True) -> Iterator[Report]:
    """The entries that a notice reports: those without NOTIFY (old
    clients) and those whose NOTIFY bits meet the filter."""
    for entry in entries:
        if entry.dsn_notify == 0 or entry.dsn_notify & notify_filter:
            yield present(entry, compat[0], compat[1], utf8)
