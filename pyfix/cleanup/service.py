"""NAME
    pyfix.cleanup.service - the cleanup library's entry points

SUMMARY
    CleanupService, CleanupStream

DESCRIPTION
    In pyfix, cleanup(8) is a library that smtpd, pickup and bounce call
    in-process (DESIGN.md section 2).  A client makes one CleanupService
    per configuration, usually with CleanupService.for_client(config),
    which uses the configuration of the master.cf service that the
    client's cleanup_service_name names and logs as
    "$syslog_name/cleanup".

    open(sender, flags, origin=..., arrival=...) creates the queue file
    in the incoming queue at once, so that the queue ID is known (smtpd
    logs "QUEUEID: client=..." and puts it in its Received: header), and
    writes the envelope: size placeholder, arrival time, create time,
    the Origin's records and the sender.  smtpd calls it when it accepts
    the first recipient.  Then, on the CleanupStream:

        add_recipient(address, orig, notify, orcpt)
                        one envelope recipient (before the content), or
                        an extracted recipient (after end_content());
        write_line(data, continued=False)
                        one content line without its line ending
                        (continued: part of a longer line); the first
                        call starts the content, the caller's own
                        Received: header first.  Nothing is held in
                        memory but the header being read;
        add_flags(CLEANUP_FLAG_HOLD or _DISCARD)
                        smtpd's HOLD and DISCARD access actions;
        end_content()   optional: the end of the message content;
        close(filter=..., redirect=..., bcc=...)
                        finish the file and make it durable (fsync)
                        before returning; the result is a CleanupResult
                        with the queue ID, or the failure and the SMTP
                        reply for it;
        abort()         remove the file (RSET, QUIT, lost connection).

    After an error, later input is ignored (cleanup "throws away" the
    rest of the message) and close() reports the error; stream.ok tells
    whether the message can still be queued.  With CLEANUP_FLAG_BOUNCE
    (sendmail/pickup) content errors do not stop the processing, and
    Postfix would then send the sender a bounce notice and report
    success; pyfix does not send that notice yet, and says so with
    CleanupResult.bounce.  Nothing half-written
    stays in the queue: a failed, discarded or aborted message leaves no
    file, and a file becomes visible to the queue manager only when it
    is complete.  A message to be held goes to the hold queue.

    The address rewriting (RewriteHook) and content inspection
    (ContentChecks) hooks can be passed in; by default they are
    rewrite.default_rewrite() and tables built from header_checks,
    mime_header_checks and body_checks.  for_client() passes the real
    trivial-rewrite, in the view of the service that the cleanup
    service's own rewrite_service_name names (not the client's).

    Parameters read: rewrite_service_name, those of settings.py, checks.py and the queue
    layout (queue_directory, hash_queue_depth, hash_queue_names,
    enable_long_queue_ids) in the cleanup service's view;
    queue_service_name (qmgr is woken through public/NAME after each
    message that goes to incoming); syslog_name, syslog_facility and maillog_file for its log.

DIAGNOSTICS
    open() raises pyfix.queue.errors.QueueWriteError (with its SMTP
    reply hint) when no queue file can be created.  All later problems
    are reported by close() as CleanupResult.status and .reply, and
    logged as Postfix's cleanup logs them.  Calls in the wrong order
    (content after close(), recipients in the middle of the content)
    are programming errors and raise ValueError.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import replace

from pyfix.cleanup.checks import ContentChecks, checks_from_config
from pyfix.cleanup.envelope import Envelope
from pyfix.cleanup.headers import HeaderTable
from pyfix.cleanup.message import MessageContent
from pyfix.cleanup.origin import Origin
from pyfix.cleanup.output import CleanupOutput
from pyfix.cleanup.rewrite import RewriteHook, default_rewrite
from pyfix.cleanup.settings import CleanupSettings, cleanup_config
from pyfix.cleanup.state import CleanupState
from pyfix.cleanup.status import (
    CLEANUP_FLAG_BOUNCE,
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_HOLD,
    CLEANUP_FLAG_MASK_EXTERNAL,
    CLEANUP_FLAG_MASK_EXTRA,
    CLEANUP_STAT_BAD,
    CLEANUP_STAT_MASK_CANT_BOUNCE,
    CLEANUP_STAT_RCPT,
    CLEANUP_STAT_SIZE,
    CleanupResult,
)
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.queue.errors import QueueWriteError
from pyfix.queue.layout import BOUNCE, DEFER, HOLD, INCOMING, TRACE, QueueLayout
from pyfix.queue.records import REC_TYPE_CONT, REC_TYPE_MESG, REC_TYPE_NORM, SizeRecord
from pyfix.queue.trigger import QMGR_REQ_SCAN_INCOMING, mail_trigger
from pyfix.queue.writer import QueueFileWriter

ENVELOPE = "envelope"
CONTENT = "content"
EXTRACTED = "extracted"
CLOSED = "closed"

Recipient = tuple[str, str | None, int, str | None]


class CleanupQueueFile(QueueFileWriter):
    """A queue file whose size record carries cleanup's own qmgr flags.

    Cleanup derives the flags from the DSN attributes that the client
    sent; recipients that it adds itself (BCC, NOTIFY=NEVER) do not
    count, so the writer's own computation is not used.
    """

    def size_record(self) -> SizeRecord:
        return replace(super().size_record(), qmgr_flags=self.qmgr_flags)


class CleanupService:
    """The cleanup library as configured for one cleanup service."""

    def __init__(self, config: Config, log: MailLog, *, layout: QueueLayout | None = None,
                 rewrite: RewriteHook | None = None, checks: ContentChecks | None = None,
                 sync_directory: bool = True) -> None:
        self.config = config
        self.log = log
        self.settings = CleanupSettings.from_config(config)
        self.layout = layout if layout is not None else QueueLayout.from_config(config)
        self.headers = HeaderTable(self.settings.drop_headers)
        self.rewrite = rewrite if rewrite is not None else default_rewrite(
            self.settings.myorigin, self.settings.remote_header_rewrite_domain)
        self.checks = checks if checks is not None else checks_from_config(config, log.warn)
        self.sync_directory = sync_directory
        self.queue_service = config.get("queue_service_name")

    @classmethod
    def for_client(cls, caller: Config, *, checks: ContentChecks | None = None,
                   ) -> CleanupService:
        """The service that caller's cleanup_service_name names, logging as
        cleanup, with trivial-rewrite as that cleanup service reaches it:
        the view of the cleanup service's own rewrite_service_name."""
        from pyfix.rewrite.service import TrivialRewrite

        view = cleanup_config(caller)
        rewrite = TrivialRewrite.for_client(view).rewrite_addr
        return cls(view, open_maillog(view, "cleanup"), rewrite=rewrite, checks=checks)

    def open(self, sender: str, flags: int = CLEANUP_FLAG_MASK_EXTERNAL, *,
             origin: Origin | None = None, arrival: float | None = None) -> CleanupStream:
        """Create the queue file and write the envelope up to the sender."""
        writer = CleanupQueueFile.create(self.layout, INCOMING,
                                        line_limit=self.settings.line_limit,
                                        sync_directory=self.sync_directory)
        return CleanupStream(self, writer, sender, flags, origin or Origin(),
                             time.time() if arrival is None else arrival)

    def wake_qmgr(self) -> None:
        """Tell qmgr that a new message is in incoming (as cleanup's
        mail_stream_finish() does); a failure is logged as a warning ("unable
        to look up public/qmgr: ..."), and qmgr's periodic scan covers it."""
        failure = mail_trigger(self.layout.queue_directory, "public", self.queue_service,
                               QMGR_REQ_SCAN_INCOMING, timeout=1.0)
        if failure is not None:
            self.log.warn(failure)

    def remove_spurious_logs(self, queue_id: str) -> None:
        """Remove defer/bounce/trace logs left under a reused queue ID."""
        for queue in (DEFER, BOUNCE, TRACE):
            with contextlib.suppress(OSError):
                os.unlink(self.layout.path(queue, queue_id))
                self.log.warn(f"{queue}: removed spurious {queue_id} log")


class CleanupStream:
    """One message on its way into the queue."""

    def __init__(self, service: CleanupService, writer: QueueFileWriter, sender: str,
                 flags: int, origin: Origin, arrival: float) -> None:
        self.service = service
        self.writer = writer
        self.queue_id = writer.queue_id
        self.log = service.log
        settings = service.settings
        state = CleanupState.create(writer.queue_id, flags)
        state.created = writer.created[0]
        state.info_log_external = settings.info_log_external
        self.state = state
        self.out = CleanupOutput(writer, state, settings, service.log)
        self.envelope = Envelope(state, self.out, settings, service.rewrite, service.log)
        self.content: MessageContent | None = None
        self.phase = ENVELOPE
        self.extracted: list[Recipient] = []
        service.remove_spurious_logs(writer.queue_id)
        self.envelope.time(arrival)
        for rec_type, text in origin.before_sender(writer.queue_id):
            self.envelope.record(rec_type, text)
        self.envelope.sender(sender)
        for rec_type, text in origin.after_sender():
            self.envelope.record(rec_type, text)

    @property
    def ok(self) -> bool:
        """True while the message can still be queued."""
        return self.state.out_ok

    def add_recipient(self, address: str, orig: str | None = None, notify: int = 0,
                      orcpt: str | None = None) -> None:
        """One recipient (internal form); orig defaults to address, orcpt
        to "rfc822;ADDRESS", notify is a DSN_NOTIFY_* bit mask."""
        if self.phase == ENVELOPE:
            if self.state.out_ok:
                self.envelope.recipient(address, orig, notify, orcpt)
        elif self.phase == EXTRACTED:
            self.extracted.append((address, orig, notify, orcpt))
        else:
            raise ValueError(f"recipient in the {self.phase} phase")

    def add_flags(self, flags: int) -> None:
        """HOLD or DISCARD, as smtpd's access actions request them."""
        if flags & ~CLEANUP_FLAG_MASK_EXTRA:
            self.log.warn(f"{self.queue_id}: ignoring bad extra flags: {flags:#x}")
            return
        self.state.flags |= flags

    def write_line(self, data: bytes, continued: bool = False) -> None:
        """One content record: a line without CRLF, or part of a longer one."""
        if self.phase != CONTENT:
            if self.phase != ENVELOPE:
                raise ValueError(f"content in the {self.phase} phase")
            self.phase = CONTENT
            svc = self.service
            self.out.out(REC_TYPE_MESG, b"")
            self.content = MessageContent(self.state, self.out, svc.settings, svc.headers,
                                          svc.checks, svc.rewrite, svc.log)
        if self.state.out_ok:
            assert self.content is not None
            self.content.record(REC_TYPE_CONT if continued else REC_TYPE_NORM, data)

    def write_lines(self, records: Sequence[tuple[bytes, bool]]) -> None:
        """Several content records: (line, continued) pairs.  Once the
        headers are done, body lines that no check reads go in one batch."""
        batch = True
        for index, (data, continued) in enumerate(records):
            content = self.content
            if batch and self.phase == CONTENT and content is not None \
                    and not content.in_header:
                if content.body_lines(records[index:]):
                    return
                batch = False  # checks apply: one line at a time from here on
            self.write_line(data, continued)

    def end_content(self) -> None:
        if self.phase != CONTENT:
            raise ValueError(f"end of content in the {self.phase} phase")
        assert self.content is not None
        if self.state.out_ok:
            self.content.end()
        self.phase = EXTRACTED

    def close(self, *, filter: str | None = None, redirect: str | None = None,
              bcc: Sequence[str] = ()) -> CleanupResult:
        """Finish the queue file; filter, redirect and bcc are smtpd's
        end-of-data access actions (FILTER, REDIRECT, BCC)."""
        state = self.state
        if self.phase == CLOSED:
            raise ValueError("close() of a finished stream")
        if self.phase == ENVELOPE:
            self.log.warn(f"{self.queue_id}: message rejected: "
                          f"unexpected record type {ord('E')} in envelope")
            state.errs |= CLEANUP_STAT_BAD
        elif self.phase == CONTENT:
            self.end_content()
        if self.phase == EXTRACTED and state.out_ok:
            self.envelope.extracted(0, filter, redirect, bcc, self.extracted)
        self.phase = CLOSED
        return self.flush()

    def flush(self) -> CleanupResult:
        """cleanup_flush(): final checks, then commit or remove the file."""
        state = self.state
        writer = self.writer
        if state.out_ok and state.recip is None:
            state.errs |= CLEANUP_STAT_RCPT
        discard = bool(state.flags & CLEANUP_FLAG_DISCARD)
        if discard:
            state.errs = 0
        if state.errs or discard:
            writer.abort()
            if state.errs & CLEANUP_STAT_SIZE:
                # Postfix's file size limit leaves its queue stream in error:
                # closing it fails once more, and says so.
                self.log.warn("mail_stream_cleanup: close error")
            bounce = (bool(state.errs) and not state.errs & CLEANUP_STAT_MASK_CANT_BOUNCE
                      and state.sender is not None and bool(state.flags & CLEANUP_FLAG_BOUNCE))
            return CleanupResult(self.queue_id, state.errs, state.reason, None, discard, bounce)
        queue = HOLD if state.flags & CLEANUP_FLAG_HOLD else INCOMING
        writer.qmgr_flags = state.qmgr_opts
        writer.smtputf8 = state.smtputf8
        try:
            writer.commit(queue)
        except QueueWriteError as exc:
            self.out.failed(exc)
            return CleanupResult(self.queue_id, state.errs, state.reason)
        except ValueError as exc:  # an empty content segment
            writer.abort()
            self.log.warn(f"{self.queue_id}: message rejected: {exc}")
            state.errs |= CLEANUP_STAT_BAD
            return CleanupResult(self.queue_id, state.errs, state.reason)
        if queue == INCOMING:
            self.service.wake_qmgr()
        return CleanupResult(self.queue_id, 0, state.reason, queue)

    def abort(self) -> None:
        """Remove the queue file; the stream is finished."""
        self.writer.abort()
        self.phase = CLOSED

    def __enter__(self) -> CleanupStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.phase != CLOSED:
            self.abort()
