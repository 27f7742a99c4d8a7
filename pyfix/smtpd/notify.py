"""NAME
    pyfix.smtpd.notify - mail the postmaster a transcript of an SMTP session

SUMMARY
    TranscriptNotice

DESCRIPTION
    When an SMTP session has an error of a class in $notify_classes
    (policy, protocol, resource, software), the SMTP core hands over the
    session's history (pyfix.smtp.chat), and smtpd mails it to
    $error_notice_recipient, as Postfix's smtpd does:

        sender   $double_bounce_sender@$myhostname
        From:    Mail Delivery System <MAILER-DAEMON@$myhostname>
        To:      Postmaster <$error_notice_recipient>
        Subject: $mail_name SMTP server: errors from NAME[ADDR]

        Transcript of session follows.

         Out: 220 ...
         In:  EHLO ...
        ...

        For other details, see the local mail logfile

    The message goes through cleanup (in the cleanup service's view),
    which adds Message-Id:, qualifies the To: address and logs its
    "message-id=" line.

    Parameters read: error_notice_recipient, double_bounce_sender,
    myhostname, mail_name.

DIAGNOSTICS
    A notice that cannot be queued is logged as a warning; the session
    goes on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from pyfix.cleanup.missing import mail_date
from pyfix.cleanup.service import CleanupService
from pyfix.cleanup.status import CLEANUP_FLAG_MASK_INTERNAL
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.queue.errors import QueueError


class TranscriptNotice:
    def __init__(self, config: Config, cleanup: CleanupService, log: MailLog) -> None:
        self.recipient = config.get("error_notice_recipient")
        self.myhostname = config.get("myhostname")
        self.mail_name = config.get("mail_name")
        self.sender = f"{config.get('double_bounce_sender')}@{self.myhostname}"
        self.cleanup = cleanup
        self.log = log

    def lines(self, queue_id: str, namaddr: str, transcript: Sequence[str],
              now: float) -> list[str]:
        date = mail_date(now)
        return [
            f"Received: by {self.myhostname} ({self.mail_name})",
            f"\tid {queue_id}; {date}",
            f"Date: {date}",
            f"From: Mail Delivery System <MAILER-DAEMON@{self.myhostname}>",
            f"To: Postmaster <{self.recipient}>",
            f"Subject: {self.mail_name} SMTP server: errors from {namaddr}",
            "",
            "Transcript of session follows.",
            "",
            *(" " + line for line in transcript),
            "",
            "",
            "For other details, see the local mail logfile",
        ]

    def send(self, namaddr: str, transcript: Sequence[str]) -> None:
        """Queue the notice (blocking: call it from a thread)."""
        now = time.time()
        try:
            with self.cleanup.open(self.sender, CLEANUP_FLAG_MASK_INTERNAL,
                                   arrival=now) as stream:
                stream.add_recipient(self.recipient)
                for line in self.lines(stream.queue_id, namaddr, transcript, now):
                    stream.write_line(line.encode("utf-8", "surrogateescape"))
                result = stream.close()
        except (OSError, QueueError) as exc:
            self.log.warn(f"cannot send transcript of session with {namaddr}: {exc}")
            return
        if not result.ok:
            self.log.warn(f"cannot send transcript of session with {namaddr}: "
                          f"{result.reply}")
