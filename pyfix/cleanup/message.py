"""NAME
    pyfix.cleanup.message - the message content: headers and body

SUMMARY
    MessageContent

DESCRIPTION
    MessageContent takes the content records of one message, as the
    client sends them (REC_TYPE_NORM for a line, REC_TYPE_CONT for part
    of a longer line), and writes the content segment the way Postfix's
    cleanup_message.c and mime_state.c do:

    - With cleanup_replace_stray_cr_lf (pyfix default: yes) each CR or
      LF inside a record becomes a space, so that the stored message has
      no bare CR or LF for an SMTP smuggling attack.
    - With header/body checks enabled (CLEANUP_FLAG_FILTER),
      message_reject_characters rejects a record that contains one of
      them, and message_strip_characters are removed.
    - The primary header is collected one header at a time: a line that
      starts with "Name:" starts a header (blanks before the colon are
      removed), a line that starts with a space or tab continues it, and
      anything else ends the header section.  Text beyond
      header_size_limit is dropped.  A non-empty line that ends the
      header section (a body without the empty separator line, or a
      mailbox "From " line) gets an empty line in front of it.
    - Each complete header goes through header_checks (MIME headers
      through mime_header_checks), then: Received: headers are counted
      against hopcount_limit; Message-Id: and Resent-Message-Id: are
      logged ("QUEUEID: message-id=<...>"); "Content-Transfer-Encoding:
      8bit" or "binary" marks the message as 8-bit (with
      detect_8bit_encoding_header); a Resent- header makes the added
      headers Resent- ones; sender and recipient headers have their
      addresses rewritten (rewrite.py); message_drop_headers are
      deleted.  At the end of the header section missing headers are
      added (missing.py).
    - Body records go through body_checks while the body offset is below
      body_checks_size_limit, and are written as they come.

    MIME structure (multipart boundaries, nested message headers and
    their mime_header_checks/nested_header_checks) is not parsed yet:
    everything after the primary header is body.

    Parameters read (through CleanupSettings): body_checks_size_limit,
    cleanup_replace_stray_cr_lf, detect_8bit_encoding_header,
    header_address_token_limit, header_size_limit, hopcount_limit,
    message_reject_characters, message_strip_characters.

DIAGNOSTICS
    "QUEUEID: message rejected: hopcount exceeded" (too many hops: the
    client replies 554 5.4.0); "QUEUEID: header_checks map lookup
    problem -- message not accepted, try again later" for a table
    failure (a temporary error).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyfix.cleanup.checks import (
    CONTEXT_ANY,
    CONTEXT_BODY,
    CONTEXT_HEADER,
    ContentCheck,
    ContentChecks,
    act,
)
from pyfix.cleanup.headers import (
    HDR_CONTENT_TRANSFER_ENCODING,
    HDR_MESSAGE_ID,
    HDR_OPT_DROP,
    HDR_OPT_MIME,
    HDR_OPT_RECIP,
    HDR_OPT_RR,
    HDR_OPT_SENDER,
    HDR_RECEIVED,
    HDR_RESENT_MESSAGE_ID,
    HeaderOpts,
    HeaderTable,
    is_header,
)
from pyfix.cleanup.missing import add_missing_headers
from pyfix.cleanup.output import CleanupOutput
from pyfix.cleanup.rewrite import RewriteHook, rewrite_header_addresses
from pyfix.cleanup.settings import CleanupSettings
from pyfix.cleanup.state import CleanupState
from pyfix.cleanup.status import CLEANUP_FLAG_FILTER, CLEANUP_STAT_HOPS, CLEANUP_STAT_WRITE
from pyfix.log.maillog import MailLog
from pyfix.queue.records import REC_TYPE_CONT, REC_TYPE_NORM
from pyfix.tables.base import TableError

_STRAY = b"\r\n"
_BLANKS = b" \t"
_SPACES = b" \t\n\r\f\v"
# Content-Transfer-Encoding values that make a message 8-bit (RFC 2045).
_EIGHT_BIT = frozenset({b"8bit", b"binary"})
_LOGGED_IDS = {HDR_MESSAGE_ID: "message-id", HDR_RESENT_MESSAGE_ID: "resent-message-id"}


class MessageContent:
    def __init__(self, state: CleanupState, out: CleanupOutput, settings: CleanupSettings,
                 table: HeaderTable, checks: ContentChecks, rewrite: RewriteHook,
                 log: MailLog) -> None:
        self.state = state
        self.out = out
        self.settings = settings
        self.table = table
        self.checks = checks
        self.rewrite = rewrite
        self.log = log
        self.in_header = True
        self.header = bytearray()
        self.prev_type = 0
        self.body_offset = 0

    # Input ---------------------------------------------------------------

    def record(self, rec_type: int, data: bytes) -> None:
        """One content record: REC_TYPE_NORM (a line) or REC_TYPE_CONT."""
        settings = self.settings
        if settings.replace_stray_cr_lf and (b"\r" in data or b"\n" in data):
            data = data.replace(b"\r", b" ").replace(b"\n", b" ")
        if self.state.flags & CLEANUP_FLAG_FILTER:
            reject = settings.reject_chars
            if reject and len(data.translate(None, reject)) != len(data):
                act(self.state, self.log, self.out, CONTEXT_ANY, data,
                    "REJECT disallowed character", "character reject")
                return
            if settings.strip_chars:
                data = data.translate(None, settings.strip_chars)
        if not self.in_header:
            self.prev_type = rec_type
            self.body(rec_type, data)
            return
        header = self.header
        if header:
            if self.prev_type == REC_TYPE_CONT or data[:1] in (b" ", b"\t"):
                if len(header) < settings.header_size_limit:
                    if self.prev_type != REC_TYPE_CONT:
                        header += b"\n"
                    header += data
                self.prev_type = rec_type
                return
            self.flush_header()
        name_length = is_header(data)
        if name_length:
            self.header = bytearray(data[:name_length])
            self.header += data[name_length:].lstrip(_BLANKS)
            self.prev_type = rec_type
            return
        self.end_of_header()
        if data:
            self.body(REC_TYPE_NORM, b"")
        self.prev_type = rec_type
        self.body(rec_type, data)

    def body_lines(self, records: Sequence[tuple[bytes, bool]]) -> bool:
        """Many content records at once, when they can only be body lines
        that no check looks at; False: the caller goes one at a time."""
        state = self.state
        settings = self.settings
        if self.in_header or not state.out_ok:
            return False
        if state.flags & CLEANUP_FLAG_FILTER and (
                settings.reject_chars or settings.strip_chars or self.checks.body is not None):
            return False
        self.body_offset += self.out.out_body(records, settings.replace_stray_cr_lf)
        if records:
            self.prev_type = REC_TYPE_CONT if records[-1][1] else REC_TYPE_NORM
        return True

    def end(self) -> None:
        """The end of the content (before the extracted segment)."""
        if self.prev_type == REC_TYPE_CONT:
            self.record(REC_TYPE_NORM, b"")
        if self.in_header:
            if self.header:
                self.flush_header()
            self.end_of_header()

    # Headers -------------------------------------------------------------

    def flush_header(self) -> None:
        header = bytes(self.header)
        self.header = bytearray()
        self.prev_type = 0
        self.process_header(header)

    def end_of_header(self) -> None:
        self.in_header = False
        add_missing_headers(self.state, self.out, self.settings, self.log)

    def inspect(self, check: ContentCheck, title: str, context: str,
                text: bytes) -> bytes | None:
        """Apply one checks table to text; return what to write (None: drop)."""
        state = self.state
        try:
            value = check(text.decode("utf-8", "surrogateescape"))
        except TableError:
            self.log.warn(f"{state.queue_id}: {title} map lookup problem -- "
                          "message not accepted, try again later")
            state.errs |= CLEANUP_STAT_WRITE
            return text
        if value is None:
            return text
        return act(state, self.log, self.out, context, text, value, title)

    def process_header(self, header: bytes) -> None:
        """cleanup_header_callback(): one complete primary header."""
        state = self.state
        opts = self.table.find(header)
        mime = opts is not None and bool(opts.flags & HDR_OPT_MIME)
        if opts is not None and opts.type == HDR_RECEIVED:
            state.hop_count += 1
        if state.flags & CLEANUP_FLAG_FILTER:
            check = self.checks.mime_header if mime else self.checks.header
            if check is not None:
                title = "mime_header_checks" if mime else "header_checks"
                result = self.inspect(check, title, CONTEXT_HEADER, header)
                if result is None:
                    return
                if result is not header:
                    header = result
                    opts = self.table.find(header)
        if opts is None:
            self.out.out_header(header)
            return
        value = header[len(opts.name) + 1 :].lstrip(_SPACES)
        if (opts.type == HDR_CONTENT_TRANSFER_ENCODING
                and self.settings.detect_8bit_encoding_header
                and value.lower() in _EIGHT_BIT):
            state.attrs["encoding"] = "8bit"
        if mime:
            self.out.out_header(header)
            return
        self.known_header(opts, header, value)

    def known_header(self, opts: HeaderOpts, header: bytes, value: bytes) -> None:
        state = self.state
        state.headers_seen |= 1 << opts.type
        if opts.type in _LOGGED_IDS:
            text = value.decode("utf-8", "surrogateescape")
            self.log.info(f"{state.queue_id}: {_LOGGED_IDS[opts.type]}={text}")
        elif opts.type == HDR_RECEIVED and state.hop_count >= self.settings.hopcount_limit:
            self.log.warn(f"{state.queue_id}: message rejected: hopcount exceeded")
            state.errs |= CLEANUP_STAT_HOPS
        if not state.out_ok:
            return
        if opts.flags & HDR_OPT_RR:
            state.resent = "Resent-"
        context = state.hdr_rewrite_context
        if context is not None and opts.flags & (HDR_OPT_SENDER | HDR_OPT_RECIP):
            rewritten = rewrite_header_addresses(
                header, len(opts.name), self.rewrite, context, self.settings.token_limit,
                self.log.warn)
            if rewritten is not None:
                header = rewritten
        if not opts.flags & HDR_OPT_DROP:
            self.out.out_header(header)

    # Body ------------------------------------------------------------------

    def body(self, rec_type: int, data: bytes) -> None:
        """cleanup_body_callback(): one body record."""
        offset = self.body_offset
        self.body_offset += len(data) + 1
        state = self.state
        if not state.out_ok:
            return
        check = self.checks.body
        limit = self.settings.body_checks_size_limit
        if (check is not None and state.flags & CLEANUP_FLAG_FILTER
                and (limit == 0 or offset < limit)):
            result = self.inspect(check, "body_checks", CONTEXT_BODY, data)
            if result is None:
                return
            data = result
        self.out.out(rec_type, data)
