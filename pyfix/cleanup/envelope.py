"""NAME
    pyfix.cleanup.envelope - the envelope and extracted segments

SUMMARY
    Envelope

DESCRIPTION
    Envelope writes what cleanup's envelope and extracted-segment code
    (cleanup_envelope.c, cleanup_addr.c, cleanup_out_recipient.c,
    cleanup_extracted.c) writes:

    - time(): the arrival time record, followed by cleanup's own
      "create_time" attribute (the base for the queue lifetime);
    - record(): a named attribute or other envelope record as received.
      An attribute with an empty value is ignored with a warning.
      "rewrite_context" chooses how headers are rewritten: "local", or
      "remote", which rewrites headers only when
      remote_header_rewrite_domain is set.  At most
      queue_file_attribute_count_limit attributes are accepted (the DSN
      envelope ID and RET flags, which must be printable and 1 or 2, do
      not count).  VERP delimiters are accepted once, for a non-null
      sender, when both characters are in verp_delimiter_filter;
    - sender(): the sender, rewritten in the local context;
      MAILER-DAEMON@$myorigin becomes the null sender;
    - recipient(): one recipient, rewritten in the local context (the
      null recipient becomes $empty_address_recipient).  Before the
      first recipient comes a delay warning time record when
      delay_warning_time is set and the sender is not null.  The DSN
      original recipient defaults to "rfc822;ADDRESS".  A duplicate
      recipient is written once: duplicates are recognized without
      regard to case, by address alone or, with
      enable_original_recipient, by address, original recipient and DSN
      attributes; the first duplicate_filter_limit recipients are
      remembered;
    - extracted(): the extracted segment after the content: the
      client's own records (FILTER, REDIRECT, BCC from smtpd access
      actions), then what header/body_checks decided (content filter,
      redirect), the message encoding, always_bcc and BCC-action
      recipients, and the end record.

    The rewriting goes through the RewriteHook (rewrite.py).

    Parameters read (through CleanupSettings): always_bcc,
    delay_warning_time, duplicate_filter_limit, empty_address_recipient,
    enable_original_recipient, queue_file_attribute_count_limit,
    remote_header_rewrite_domain, smtputf8_enable, verp_delimiter_filter.

DIAGNOSTICS
    A malformed request (bad rewriting context, too many attributes)
    sets CLEANUP_STAT_BAD and logs a warning in Postfix's words
    ("QUEUEID: message rejected: bad rewriting context: ...").
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pyfix.cleanup.output import CleanupOutput
from pyfix.cleanup.rewrite import RewriteHook, rewrite_internal
from pyfix.cleanup.settings import CleanupSettings
from pyfix.cleanup.state import SMTPUTF8_FLAG_REQUESTED, SMTPUTF8_FLAG_SENDER, CleanupState
from pyfix.cleanup.status import (
    CLEANUP_FLAG_AUTOUTF8,
    CLEANUP_FLAG_BCC_OK,
    CLEANUP_FLAG_MASK_EXTRA,
    CLEANUP_STAT_BAD,
)
from pyfix.log.maillog import MailLog
from pyfix.queue.records import (
    REC_TYPE_ATTR,
    REC_TYPE_END,
    REC_TYPE_FILT,
    REC_TYPE_FROM,
    REC_TYPE_FULL,
    REC_TYPE_ORCP,
    REC_TYPE_RCPT,
    REC_TYPE_RDR,
    REC_TYPE_TIME,
    REC_TYPE_VERP,
    REC_TYPE_WARN,
    REC_TYPE_XTRA,
    format_time,
    format_warn,
    qmgr_read_flag_from_dsn,
)

DSN_NOTIFY_NEVER = 1
_DSN_ATTRS = frozenset({"envelope_id", "ret_flags"})
MAIL_ADDR_MAIL_DAEMON = "MAILER-DAEMON"


def dsn_notify_ok(notify: int) -> bool:
    return notify == DSN_NOTIFY_NEVER or (0 < notify < 16 and not notify & DSN_NOTIFY_NEVER)


def _utf8_address(address: str) -> bool:
    """A non-ASCII address that is valid UTF-8."""
    if address.isascii():
        return False
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:  # surrogate escapes: not valid UTF-8
        return False
    return True


class Envelope:
    def __init__(self, state: CleanupState, out: CleanupOutput, settings: CleanupSettings,
                 rewrite: RewriteHook, log: MailLog) -> None:
        self.state = state
        self.out = out
        self.settings = settings
        self.rewrite = rewrite
        self.log = log
        self.in_rcpt = False
        self.warn_seen = False
        self.verp_seen = False
        self.dups: set[str] = set()

    def reject(self, why: str) -> None:
        self.log.warn(f"{self.state.queue_id}: message rejected: {why}")
        self.state.errs |= CLEANUP_STAT_BAD

    # Envelope records ------------------------------------------------------

    def time(self, arrival: float) -> None:
        seconds = int(arrival)
        micros = min(round((arrival - seconds) * 1_000_000), 999_999)
        self.state.arrival = (seconds, micros)
        self.out.out(REC_TYPE_TIME, format_time(seconds, micros))
        self.out.out_string(REC_TYPE_ATTR, f"create_time={int(time.time())}")

    def record(self, rec_type: int, text: str) -> None:
        """One envelope record from the client, other than sender and recipients."""
        state = self.state
        if rec_type == REC_TYPE_FULL:
            if state.fullname is None:
                state.fullname = text
                self.out.out_string(rec_type, text)
            return
        if rec_type == REC_TYPE_VERP:
            self.verp(text)
            return
        if rec_type != REC_TYPE_ATTR:
            self.out.out_string(rec_type, text)
            return
        name, _, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not value:
            self.log.warn(f'{state.queue_id}: spurious null attribute value for "{name}" '
                          "-- ignored")
            return
        if name in _DSN_ATTRS:
            self.dsn_attribute(name, value, text)
            return
        if name == "create_time":  # cleanup writes its own
            return
        limit = self.settings.attribute_count_limit
        if len(state.attrs) >= limit:
            self.reject(f"attribute count exceeds limit {limit}")
            return
        if name == "rewrite_context":
            if value == "local":
                state.hdr_rewrite_context = "local"
            elif value == "remote":
                state.hdr_rewrite_context = (
                    "remote" if self.settings.remote_header_rewrite_domain else None)
            else:
                self.reject(f"bad rewriting context: {value[:100]}")
                return
        state.attrs[name] = value
        self.out.out_string(REC_TYPE_ATTR, f"{name}={value}")

    def dsn_attribute(self, name: str, value: str, text: str) -> None:
        """envelope_id and ret_flags: checked, written, not counted."""
        if name == "envelope_id" and not value.isprintable():
            self.reject("bad DSN envelope ID record")
            return
        if name == "ret_flags" and value not in ("1", "2"):
            self.reject(f"bad DSN RET record <{text[:200]}>")
            return
        self.out.out_string(REC_TYPE_ATTR, f"{name}={value}")

    def verp(self, delims: str) -> None:
        state = self.state
        if self.verp_seen:
            return
        if not state.sender:
            self.log.warn(f"{state.queue_id}: ignoring VERP request for null sender")
            return
        allowed = self.settings.verp_filter
        if len(delims) != 2 or delims[0] not in allowed or delims[1] not in allowed:
            self.log.warn(f'{state.queue_id}: ignoring bad VERP request: "{delims[:100]}"')
            return
        self.verp_seen = True
        self.out.out_string(REC_TYPE_VERP, delims)

    def sender(self, address: str) -> None:
        state = self.state
        clean = rewrite_internal(self.rewrite, "local", address)
        if clean[:len(MAIL_ADDR_MAIL_DAEMON) + 1].upper() == MAIL_ADDR_MAIL_DAEMON + "@":
            daemon = rewrite_internal(self.rewrite, "local", MAIL_ADDR_MAIL_DAEMON)
            if clean.lower() == daemon.lower():
                clean = ""
        if self.settings.smtputf8_enable and _utf8_address(clean):
            state.smtputf8 |= SMTPUTF8_FLAG_SENDER
            if state.flags & CLEANUP_FLAG_AUTOUTF8:
                state.smtputf8 |= SMTPUTF8_FLAG_REQUESTED
        self.out.out_string(REC_TYPE_FROM, clean)
        state.sender = clean

    # Recipients -------------------------------------------------------------

    def recipient(self, address: str, orig: str | None = None, notify: int = 0,
                  orcpt: str | None = None) -> None:
        """An envelope recipient (cleanup_addr_recipient())."""
        state = self.state
        if not self.in_rcpt:
            self.in_rcpt = True
            delay = self.settings.delay_warning_time
            if not self.warn_seen and state.sender and delay > 0:
                self.out.out(REC_TYPE_WARN, format_warn(state.arrival[0] + delay))
        if notify and not dsn_notify_ok(notify):
            self.log.warn(f"{state.queue_id}: ignoring malformed DSN notify record <{notify}>")
            notify = 0
        state.qmgr_opts |= qmgr_read_flag_from_dsn(notify)
        self._add_recipient(address, address if orig is None else orig, notify, orcpt)

    def _add_recipient(self, address: str, orig: str, notify: int, orcpt: str | None) -> None:
        state = self.state
        clean = rewrite_internal(self.rewrite, "local",
                                 address or self.settings.empty_address_recipient)
        utf8 = _utf8_address(clean)
        if self.settings.smtputf8_enable and utf8 and state.flags & CLEANUP_FLAG_AUTOUTF8:
            state.smtputf8 |= SMTPUTF8_FLAG_REQUESTED
        if orcpt is None and clean:
            kind = "utf-8" if utf8 and state.smtputf8 & SMTPUTF8_FLAG_REQUESTED else "rfc822"
            orcpt = f"{kind};{clean}"
        self.out_recipient(orcpt or "", notify, orig, clean)
        state.recip = clean

    def out_recipient(self, orcpt: str, notify: int, orig: str, address: str) -> None:
        """cleanup_out_recipient(): write a recipient unless it is a duplicate."""
        if self.settings.enable_original_recipient:
            key = f"{orcpt}\n{notify}\n{orig}\n{address}".lower()
        else:
            key = address.lower()
        if key in self.dups:
            return
        limit = self.settings.duplicate_filter_limit
        if limit <= 0 or len(self.dups) < limit:
            self.dups.add(key)
        out = self.out
        if notify:
            out.out_string(REC_TYPE_ATTR, f"notify_flags={notify}")
        if orcpt:
            out.out_string(REC_TYPE_ATTR, f"dsn_orig_rcpt={orcpt}")
        out.out_string(REC_TYPE_ORCP, orig)
        out.out_string(REC_TYPE_RCPT, address)

    def bcc(self, address: str) -> None:
        """An automatic BCC recipient (cleanup_addr_bcc())."""
        clean = rewrite_internal(self.rewrite, "local", address)
        if _utf8_address(clean) and self.state.flags & CLEANUP_FLAG_AUTOUTF8:
            self.state.smtputf8 |= SMTPUTF8_FLAG_REQUESTED
        self.out_recipient("", DSN_NOTIFY_NEVER, clean, clean)

    # The extracted segment ----------------------------------------------------

    def extracted(self, extra_flags: int = 0, filter_: str | None = None,
                  redirect: str | None = None, bcc: Sequence[str] = (),
                  recipients: Sequence[tuple[str, str | None, int, str | None]] = ()) -> None:
        """Write the extracted segment, from the X record to the end record."""
        state = self.state
        out = self.out
        out.out(REC_TYPE_XTRA, b"")
        if filter_:
            out.out_string(REC_TYPE_FILT, filter_)
        if redirect:
            out.out_string(REC_TYPE_RDR, redirect)
        self.in_rcpt = False
        for index, address in enumerate(bcc):
            # smtpd sends each BCC recipient followed by notify_flags=NEVER,
            # which the next recipient gets: all but the first.
            self._start_extracted_recipients()
            self._add_recipient(address, address, DSN_NOTIFY_NEVER if index else 0, None)
            state.qmgr_opts |= qmgr_read_flag_from_dsn(DSN_NOTIFY_NEVER)
        for address, orig, notify, orcpt in recipients:
            self._start_extracted_recipients()
            state.qmgr_opts |= qmgr_read_flag_from_dsn(notify)
            self._add_recipient(address, address if orig is None else orig, notify, orcpt)
        if extra_flags & ~CLEANUP_FLAG_MASK_EXTRA:
            self.log.warn(f"{state.queue_id}: ignoring bad extra flags: {extra_flags:#x}")
        else:
            state.flags |= extra_flags
        self._start_extracted_recipients()
        if state.flags & CLEANUP_FLAG_BCC_OK and state.recip is not None \
                and self.settings.always_bcc:
            self.bcc(self.settings.always_bcc)
        if state.hbc_rcpt:
            if state.out_ok and state.recip is not None:
                for address in state.hbc_rcpt:
                    self.bcc(address)
            state.hbc_rcpt = []
        out.out(REC_TYPE_END, b"")

    def _start_extracted_recipients(self) -> None:
        """On the first recipient (or the end): what the content decided."""
        if self.in_rcpt:
            return
        self.in_rcpt = True
        state = self.state
        if state.filter is not None:
            self.out.out_string(REC_TYPE_FILT, state.filter)
        if state.redirect is not None:
            self.out.out_string(REC_TYPE_RDR, state.redirect)
        encoding = state.attrs.get("encoding")
        if encoding is not None:
            self.out.out_string(REC_TYPE_ATTR, f"encoding={encoding}")
