"""NAME
    pyfix.cli.sendmail_bs - sendmail -bs: SMTP on standard input and output

SUMMARY
    stand_alone_smtp()

DESCRIPTION
    Postfix's "sendmail -bs" runs its SMTP server in stand-alone mode,
    as the invoking user, on the standard input and output.  This module
    does the same with pyfix's SMTP server core (pyfix.smtp.server):

    -   the client is "localhost[127.0.0.1]"; the greeting is
        $smtpd_banner;
    -   as in Postfix's stand-alone mode, no smtpd restrictions, no
        unauthorized-pipelining or bare-newline checks and no TLS apply,
        and ETRN is refused with "458 Unable to queue messages" and a
        warning;
    -   mail goes through postdrop's path (pyfix.pickup.submit) into
        $queue_directory/maildrop, so that no queue write access is
        needed: the maildrop file is opened at the first recipient (its
        queue ID is logged as "ID: client=localhost[127.0.0.1]" and
        named in the Received: header) and completed at the final dot;
        the pickup service then hands it to cleanup, which applies the
        local rewriting context (unqualified addresses get @$myorigin).

    The records are those Postfix's stand-alone smtpd gives postdrop:
    sender, encoding, per recipient notify_flags and dsn_orig_rcpt
    attributes, the recipient, then the Received: header and content.

    Log lines are written as postfix/smtpd (postfix/postdrop for the
    maildrop writer's warnings), like Postfix's.

    Parameters read: smtpd_timeout, queue_directory,
    enable_long_queue_ids, pickup_service_name, myhostname, mail_name,
    and what ServerSettings and the mail log read.

DIAGNOSTICS
    A maildrop write failure answers the transaction with cleanup's
    reply for the status ("451 4.3.0 Error: queue file write error");
    nothing already accepted is lost.  The exit status is 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import select
import sys
import threading
import time
from collections.abc import Iterator
from typing import Final

from pyfix.cleanup.status import CleanupResult
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog, open_maillog
from pyfix.pickup.submit import SubmitResult, submit_records
from pyfix.queue.records import (
    REC_TYPE_ATTR,
    REC_TYPE_CONT,
    REC_TYPE_END,
    REC_TYPE_FROM,
    REC_TYPE_MESG,
    REC_TYPE_NORM,
    REC_TYPE_RCPT,
    REC_TYPE_XTRA,
)
from pyfix.smtp import events as ev
from pyfix.smtp.replies import Reply
from pyfix.smtp.server import SmtpServer
from pyfix.smtp.session import ClientInfo
from pyfix.smtp.settings import ServerSettings
from pyfix.smtpd.received import received_header

READ_SIZE: Final = 65536
DSN_NOTIFY_BITS: Final = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
BODY_ENCODING: Final = {"8BITMIME": "8bit", "7BIT": "7bit"}
ETRN_REFUSED: Final = Reply(458, "", "Unable to queue messages")
NOT_LOGGED: Final = "improper command pipelining after "
WRITE_ERROR: Final = Reply(451, "4.3.0", "Error: queue file write error")
Record = tuple[int, bytes]


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class MaildropSubmission:
    """One message streamed into maildrop by a postdrop writer thread."""

    def __init__(self, config: Config, warn_log: MailLog) -> None:
        self.records: queue.Queue[Record | None] = queue.Queue(maxsize=256)
        self.created: queue.Queue[str | None] = queue.Queue()
        self.result: SubmitResult | None = None
        self.error = ""
        self.warn_log = warn_log
        self.queue_directory = config.get("queue_directory")
        self.long_ids = config.get_bool("enable_long_queue_ids")
        self.pickup = config.get("pickup_service_name")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.queue_id = self.created.get()

    def _warn(self, text: str) -> None:
        sys.stderr.write(f"postdrop: warning: {text}\n")
        sys.stderr.flush()
        self.warn_log.warn(text)

    def _source(self) -> Iterator[Record]:
        while (item := self.records.get()) is not None:
            yield item

    def _run(self) -> None:
        try:
            self.result = submit_records(
                self._source(), self.queue_directory, uid=os.getuid(), warn=self._warn,
                long_ids=self.long_ids, pickup_service=self.pickup,
                on_created=self.created.put)
        except Exception as exc:  # reported as a write error, never a traceback
            self.error = str(exc) or type(exc).__name__
            self.created.put(None)
            while self.records.get() is not None:  # let the writer side finish
                pass

    def put(self, rec_type: int, data: bytes) -> None:
        if self.thread.is_alive():
            self.records.put((rec_type, data))

    def finish(self) -> CleanupResult:
        self.put(REC_TYPE_END, b"")
        self.records.put(None)
        self.thread.join()
        if self.result is None or self.result.status is None:
            return CleanupResult(self.queue_id or "", status=1 << 1)
        return CleanupResult(self.result.queue_id, status=self.result.status)

    def abort(self) -> None:
        if self.thread.is_alive():
            self.records.put(None)
        self.thread.join()


class StandAloneSession:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.log = open_maillog(config, "smtpd")
        self.postdrop_log = open_maillog(config, "postdrop")
        settings = dataclasses.replace(ServerSettings.from_config(config),
                                       forbid_unauth_pipelining=False, require_tls=False)
        self.client = ClientInfo("localhost", "127.0.0.1", "unknown")
        self.server = SmtpServer(settings, self.client, bare_newline_excluded=True)
        self.timeout = float(config.get_time("smtpd_timeout"))
        self.submission: MaildropSubmission | None = None
        self.mail: ev.MailFrom | None = None
        self.recipients: list[str] = []
        self.helo: str | None = None
        self.protocol = "SMTP"
        self.arrival = 0.0

    # Requests ------------------------------------------------------------

    def decide(self, request: ev.Request) -> ev.Verdict:
        if isinstance(request, ev.Helo | ev.Ehlo):
            self.helo = request.name
            self.protocol = "ESMTP" if isinstance(request, ev.Ehlo) else "SMTP"
        elif isinstance(request, ev.MailFrom):
            self.abort()
            self.mail = request
        elif isinstance(request, ev.RcptTo):
            return self.rcpt(request)
        elif isinstance(request, ev.Data | ev.Bdat):
            self.start_content()
        elif isinstance(request, ev.EndOfData):
            return self.end_of_data()
        elif isinstance(request, ev.Etrn):
            self.log.warn('do not use ETRN in "sendmail -bs" mode')
            return ETRN_REFUSED
        return ev.Accept()

    def open(self, mail: ev.MailFrom) -> MaildropSubmission | None:
        submission = MaildropSubmission(self.config, self.postdrop_log)
        if submission.queue_id is None:
            self.log.warn(f"maildrop file: {submission.error}")
            return None
        self.arrival = time.time()
        submission.put(REC_TYPE_FROM, _bytes(mail.address))
        encoding = BODY_ENCODING.get(mail.params.body or "")
        if encoding:
            submission.put(REC_TYPE_ATTR, _bytes(f"encoding={encoding}"))
        return submission

    def rcpt(self, request: ev.RcptTo) -> ev.Verdict:
        assert self.mail is not None
        if self.submission is None:
            self.submission = self.open(self.mail)
            if self.submission is None:
                return WRITE_ERROR
            self.server.session.mail.queue_id = self.submission.queue_id
            self.log.info(f"{self.submission.queue_id}: client={self.client.namaddr}")
        params = request.params
        notify = sum(DSN_NOTIFY_BITS.get(word.upper(), 0) for word in params.notify)
        if notify:
            self.submission.put(REC_TYPE_ATTR, _bytes(f"notify_flags={notify}"))
        if params.orcpt:
            orcpt = f"{params.orcpt[0]};{params.orcpt[1]}"
        else:  # the address as the client wrote it, without its brackets
            raw = request.raw or request.address
            orcpt = "rfc822;" + (raw[1:-1] if raw[:1] == "<" and raw[-1:] == ">" else raw)
        self.submission.put(REC_TYPE_ATTR, _bytes(f"dsn_orig_rcpt={orcpt}"))
        self.submission.put(REC_TYPE_RCPT, _bytes(request.address))
        self.recipients.append(request.address)
        return ev.Accept()

    def start_content(self) -> None:
        assert self.submission is not None and self.submission.queue_id is not None
        self.submission.put(REC_TYPE_MESG, b"")
        cfg = self.config
        for line in received_header(self.helo, self.client.name, self.client.addr,
                                    cfg.get("myhostname"), cfg.get("mail_name"), self.protocol,
                                    self.submission.queue_id, self.recipients, self.arrival):
            self.submission.put(REC_TYPE_NORM, _bytes(line))

    def content(self, event: ev.MessageData) -> None:
        if self.submission is not None:
            for record in event.records:
                self.submission.put(REC_TYPE_CONT if record.kind == ev.REC_CONT
                                    else REC_TYPE_NORM, record.data)

    def end_of_data(self) -> ev.Verdict:
        assert self.submission is not None
        submission, self.submission = self.submission, None
        self.recipients = []
        submission.put(REC_TYPE_XTRA, b"")
        result = submission.finish()
        if result.ok:
            return ev.Queued(result.queue_id)
        return ev.NotQueued(result.reply or WRITE_ERROR)

    def abort(self) -> None:
        self.recipients = []
        if self.submission is not None:
            self.submission.abort()
            self.submission = None

    # I/O -----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(1, view)
            view = view[written:]

    def flush(self, pending: bytearray) -> None:
        data = bytes(pending) + self.server.data_to_send()
        pending.clear()
        if self.server.reply_delay:
            time.sleep(self.server.reply_delay)
        if data:
            self.write(data)

    def read(self) -> bytes | None:
        """Input, b"" at end of file, None after smtpd_timeout."""
        ready, _, _ = select.select([0], [], [], self.timeout)
        if not ready:
            return None
        return os.read(0, READ_SIZE)

    def run(self) -> None:
        pending = bytearray()
        try:
            while True:
                event = self.server.next_event()
                if event is ev.NEED_DATA:
                    try:
                        self.flush(pending)
                        data = self.read()
                    except OSError:
                        self.server.send(ev.Lost())
                        continue
                    if data is None:
                        pending += self.server.send(ev.Timeout())
                    elif data:
                        self.server.receive_data(data)
                    else:
                        self.server.receive_eof()
                elif isinstance(event, ev.Request):
                    pending += self.server.send(self.decide(event))
                elif isinstance(event, ev.MessageData):
                    self.content(event)
                elif isinstance(event, ev.Rset | ev.Quit) or (
                        isinstance(event, ev.ProtocolViolation)
                        and event.command == "END-OF-MESSAGE"):
                    self.abort()  # no maildrop file stays
                elif isinstance(event, ev.LogMessage):
                    if event.text.startswith(NOT_LOGGED):
                        continue  # Postfix's stand-alone smtpd does not look for it
                    (self.log.warn if event.level == "warning" else self.log.info)(event.text)
                elif isinstance(event, ev.Closed):
                    with contextlib.suppress(OSError):
                        self.flush(pending)
                    return
        finally:
            self.abort()


def stand_alone_smtp(config: Config, verbose: int = 0) -> int:
    """Run one SMTP session on standard input and output."""
    StandAloneSession(config).run()
    return 0
