"""NAME
    pyfix.bounce.service - the bounce library: non-delivery, delay and
    success notices

SUMMARY
    BounceService

DESCRIPTION
    pyfix runs bounce(8) as a library that the queue manager calls
    in-process, as it calls cleanup.  BounceService takes the caller's
    configuration and uses the view of the master.cf service that the
    caller's bounce_service_name names, with that service's -o options
    and not the caller's (main.cf alone when master.cf lacks it); it
    logs as "postfix/bounce".
    Everything is opened when the service is made, before the caller
    drops privileges.

    bounce_flush(message)
        All recipients have been tried and $queue_directory/bounce/QID
        exists: the sender gets a non-delivery notice for the entries
        that asked for NOTIFY=FAILURE (or gave no NOTIFY), with the
        original message (only its headers for RET=HDRS or above
        $bounce_size_limit); with "bounce" in $notify_classes the
        $bounce_notice_recipient gets a copy with all entries and the
        original headers.  Mail from the null sender is a bounce
        itself: its notice goes to $2bounce_notice_recipient when
        $notify_classes has "bounce" or "2bounce" (as Postfix does),
        and is dropped otherwise; a notice about a postmaster notice
        (sender $double_bounce_sender@$myhostname) is never sent.  The
        bounce log is removed afterwards.
    defer_flush(message)
        The message expired: the same notice made from defer/QID (and
        bounce/QID, if still there); the recipients are marked done in
        the queue file and the logs are removed.
    delay_warning(message)
        The delay notice ("Delayed Mail (still being retried)") for the
        entries of defer/QID that asked for NOTIFY=DELAY (or gave no
        NOTIFY), with the original headers; with "delay" in
        $notify_classes a copy to $delay_notice_recipient.  The log
        stays.
    trace_flush(message, flags=0)
        The success notice ("Successful Mail Delivery Report") for the
        entries of trace/QID; the "verify" template for sendmail -v
        and -bv (FLAG_RECORD, FLAG_USR_VRFY).  The log is removed.

    Each notice is a new queue file from the null sender (the double-
    bounce address for postmaster notices), written with the cleanup
    library as configured for the bounce service's
    $cleanup_service_name, and logged as Postfix logs it ("QID: sender
    non-delivery notification: NEWQID", "sender delay notification",
    "sender delivery status notification", "postmaster non-delivery
    notification", "postmaster delay notification").  A notice without
    any recipient to report is not sent, and counts as done.

    Parameters read: bounce_service_name (of the caller); see
    pyfix.bounce.settings, and the queue layout
    and cleanup parameters of the respective views.

DIAGNOSTICS
    The methods return True when the work is done, and False (after a
    warning) on a temporary failure: the queue manager keeps the message
    and the log, and tries again later.  A bad configuration raises
    ValueError from the constructor.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pyfix.address.quote import quote_822_local
from pyfix.bounce.logfile import LogEntry, read_log, remove_log
from pyfix.bounce.notice import Notice, NoticeInfo, Report, iter_reports, mime_encoding
from pyfix.bounce.original import Original
from pyfix.bounce.settings import BounceSettings
from pyfix.bounce.template import DELAY, FAILURE, SUCCESS, VERIFY, TemplateError, expand_text
from pyfix.cleanup.service import CleanupService
from pyfix.cleanup.status import (
    CLEANUP_FLAG_FILTER,
    CLEANUP_FLAG_MASK_INTERNAL,
    CLEANUP_FLAG_MILTER,
    CLEANUP_FLAG_SMTPUTF8,
)
from pyfix.config.store import Config
from pyfix.delivery.dsn import (
    DSN_NOTIFY_DELAY,
    DSN_NOTIFY_FAILURE,
    DSN_NOTIFY_NEVER,
    DSN_NOTIFY_SUCCESS,
    DSN_RET_HDRS,
)
from pyfix.delivery.request import FLAG_RECORD, FLAG_USR_VRFY
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.queue.envelope import QueueMessage
from pyfix.queue.errors import QueueError
from pyfix.queue.layout import BOUNCE, DEFER, TRACE, QueueLayout
from pyfix.queue.reader import QueueFile

NOTIFY_ALL = DSN_NOTIFY_NEVER | DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY
COMPAT = {BOUNCE: ("5.0.0", "failed"), DEFER: ("4.0.0", "delayed"),
          TRACE: ("2.0.0", "delivered")}


@dataclass(frozen=True)
class _Job:
    """One notice to write."""

    kind: str  # template: failure, delay, success, verify
    sender: str  # envelope sender of the notice
    recipient: str
    postmaster: bool
    notify_filter: int
    headers_only: bool
    what: str  # for the log line: "sender non-delivery notification", ...


class BounceService:
    def __init__(self, config: Config, log: MailLog | None = None) -> None:
        view = config.library_view(config.get("bounce_service_name") or "bounce", "bounce")
        self.config = view
        self.log = log if log is not None else open_maillog(view, "bounce")
        self.log.prepare()
        self.settings = BounceSettings.from_config(view, self.log.warn)
        self.layout = QueueLayout.from_config(view)
        self.cleanup = CleanupService.for_client(view)
        self.cleanup.log.prepare()

    # Entry points ------------------------------------------------------------

    def bounce_flush(self, message: QueueMessage) -> bool:
        entries = read_log(self.layout, BOUNCE, message.queue_id)
        return self._notify(message, FAILURE, [(BOUNCE, entries)], delete_recipients=False)

    def defer_flush(self, message: QueueMessage) -> bool:
        logs = [(BOUNCE, read_log(self.layout, BOUNCE, message.queue_id)),
                (DEFER, read_log(self.layout, DEFER, message.queue_id))]
        return self._notify(message, FAILURE, logs, delete_recipients=True)

    def delay_warning(self, message: QueueMessage) -> bool:
        entries = read_log(self.layout, DEFER, message.queue_id)
        return self._notify(message, DELAY, [(DEFER, entries)], delete_recipients=False)

    def trace_flush(self, message: QueueMessage, flags: int = 0) -> bool:
        s = self.settings
        qid = message.queue_id
        sender = message.sender or ""
        if sender.lower() == s.double_bounce_address.lower():
            self.log.info(f"{qid}: not sending trace/success notification for "
                          "double-bounce message")
            remove_log(self.layout, TRACE, qid)
            return True
        if not sender:
            if "2bounce" not in s.notify_classes:
                self.log.info(f"{qid}: not sending trace/success notification "
                              "for single-bounce message")
                remove_log(self.layout, TRACE, qid)
                return True
            notice_sender, recipient = s.double_bounce_address, s.double_bounce_notice_recipient
        else:
            notice_sender, recipient = "", sender
        if not os.path.exists(self.layout.path(TRACE, qid)):
            return True
        entries = read_log(self.layout, TRACE, qid)
        kind = VERIFY if flags & (FLAG_USR_VRFY | FLAG_RECORD) else SUCCESS
        job = _Job(kind, notice_sender, recipient, False, NOTIFY_ALL, True,
                   "sender delivery status notification")
        if not self._post(message, job, [(TRACE, entries)]):
            return False
        remove_log(self.layout, TRACE, qid)
        return True

    # Failure and delay notices -------------------------------------------------

    def _notify(self, message: QueueMessage, kind: str,
                logs: Sequence[tuple[str, list[LogEntry]]], delete_recipients: bool) -> bool:
        s = self.settings
        qid = message.queue_id
        sender = message.sender or ""
        failure = kind == FAILURE
        noun = "non-delivery" if failure else "delay"
        pm_class = "bounce" if failure else "delay"
        pm_rcpt = s.bounce_notice_recipient if failure else s.delay_notice_recipient
        ok = True
        if sender.lower() == s.double_bounce_address.lower():
            self.log.warn(f"{qid}: undeliverable postmaster notification discarded")
        elif not sender:
            wanted = ({"bounce", "2bounce"} if failure else {"delay"}) & s.notify_classes
            if wanted:
                job = _Job(kind, s.double_bounce_address,
                           s.double_bounce_notice_recipient if failure else pm_rcpt,
                           True, NOTIFY_ALL, False, f"postmaster {noun} notification")
                ok = self._post(message, job, logs)
        else:
            notify = DSN_NOTIFY_FAILURE if failure else DSN_NOTIFY_DELAY
            headers_only = not failure or message.dsn_ret == DSN_RET_HDRS
            job = _Job(kind, "", sender, False, notify, headers_only,
                       f"sender {noun} notification")
            ok = self._post(message, job, logs)
            if ok and pm_class in s.notify_classes:
                copy = _Job(kind, s.double_bounce_address, pm_rcpt, True, NOTIFY_ALL, True,
                            f"postmaster {noun} notification")
                if not self._post(message, copy, logs):
                    verb = "bouncing to" if failure else "warning"
                    self.log.warn(f"{qid}: postmaster notice failed while {verb} {sender}")
        if not ok or not failure:
            return ok
        if delete_recipients:
            self._delete_recipients(message, logs)
        for queue, _entries in logs:
            try:
                remove_log(self.layout, queue, qid)
            except OSError as exc:
                self.log.warn(f"remove {queue} {qid}: {exc.strerror or exc}")
                return False
        return True

    def _delete_recipients(self, message: QueueMessage,
                           logs: Sequence[tuple[str, list[LogEntry]]]) -> None:
        offsets = {entry.offset for _queue, entries in logs for entry in entries
                   if entry.offset > 0}
        if not offsets:
            return
        try:
            with QueueFile.open_path(message.path, message.queue_id) as queue_file:
                for offset in sorted(offsets):
                    queue_file.mark_done(offset)
        except (OSError, QueueError) as exc:
            self.log.warn(f"{message.queue_id}: update queue file: {exc}")

    # Writing one notice ------------------------------------------------------

    def _reports(self, job: _Job, logs: Sequence[tuple[str, list[LogEntry]]]) -> list[Report]:
        utf8 = self.settings.smtputf8_enable
        return [report for queue, entries in logs
                for report in iter_reports(entries, job.notify_filter, COMPAT[queue], utf8)]

    def _info(self, message: QueueMessage, original: Original, now: int) -> NoticeInfo:
        s = self.settings
        sender = message.sender or ""
        encoding = message.encoding
        if encoding not in ("", "7bit", "8bit"):
            self.log.warn(f"{message.queue_id}: unknown encoding: {encoding[:200]}")
        orig_msgid = original.message_id(self.log.warn) if s.threaded_bounces else ""
        return NoticeInfo(
            queue_id=message.queue_id,
            sender=quote_822_local(sender) if sender else s.mail_daemon_address,
            arrival=max(message.arrival_time[0], 0),
            envid=message.dsn_envid,
            smtputf8=message.size.smtputf8,
            encoding=mime_encoding(s.smtputf8_enable, encoding),
            boundary=f"{message.queue_id}.{now}/{s.myhostname}",
            myhostname=s.myhostname,
            mail_name=s.mail_name,
            max_queue_time=s.maximal_queue_lifetime,
            orig_msgid=orig_msgid,
        )

    def _post(self, message: QueueMessage, job: _Job,
              logs: Sequence[tuple[str, list[LogEntry]]]) -> bool:
        """Write one notice; True when it is queued or there is nothing to say."""
        s = self.settings
        qid = message.queue_id
        reports = self._reports(job, logs)
        log_missing = job.kind == FAILURE and not any(entries for _q, entries in logs)
        if not reports and not log_missing:
            return True
        template = s.templates.get(job.kind)
        try:
            text = [] if job.postmaster else expand_text(
                template, self.config.lookup, {
                    "delay_warning_time": s.delay_warning_time,
                    "maximal_queue_lifetime": s.maximal_queue_lifetime}, self.log.warn)
        except TemplateError as exc:
            self.log.warn(f"{qid}: {exc}")
            return False
        flags = CLEANUP_FLAG_MASK_INTERNAL
        if s.filter_notices:
            flags |= CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MILTER
        if message.size.smtputf8 & 1:
            flags |= CLEANUP_FLAG_SMTPUTF8
        now = time.time()
        original = Original(message.path, qid)
        try:
            info = self._info(message, original, int(now))
            try:
                stream = self.cleanup.open(job.sender, flags, arrival=now)
            except (OSError, QueueError) as exc:
                self.log.warn(f"{qid}: cannot create {job.what}: {exc}")
                return False
            with stream:
                stream.add_recipient(job.recipient)
                notice = Notice(stream.write_line, info, template)
                notice.header(stream.queue_id, job.recipient, job.postmaster, now,
                              s.header_from_format)
                notice.boilerplate(text)
                notice.recipient_log(reports, log_missing)
                notice.header_dsn()
                notice.recipient_dsn(reports)
                notice.original(original, job.headers_only, s.bounce_size_limit)
                result = stream.close()
        finally:
            original.close()
        if not result.ok:
            self.log.warn(f"{qid}: {job.what} failed: {result.reply or result.status}")
            return False
        self.log.info(f"{qid}: {job.what}: {result.queue_id}")
        return True
