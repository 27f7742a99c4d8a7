"""NAME
    pyfix.qmgr.done - what qmgr does with a message after its deliveries

SUMMARY
    MessageDone

DESCRIPTION
    When every delivery of an active message has finished, qmgr
    disposes of it as Postfix's qmgr_active_done() does:
    1. a non-empty bounce log gets a non-delivery notice now (bounce
       library), even when other recipients were deferred;
    2. when some recipients remain and the message is older than
       $maximal_queue_lifetime ($bounce_queue_lifetime for mail from
       the null sender), it logs "QUEUEID: from=<sender>,
       status=expired, returned to sender", returns the remaining
       recipients with a notice made from the defer log, and the
       message is finished;
    3. otherwise, when some recipients remain and the warning time has
       come ($delay_warning_time), a delay notice is sent once;
    4. when nothing remains, recipients that asked for DSN SUCCESS get
       their notice from the trace log (a delivery report for sendmail
       -bv and -v, whose trace_flags say so), the queue file is removed and
       "QUEUEID: removed" is logged;
    5. otherwise the message moves to the deferred queue with its
       modification time set to the next attempt: now plus its age,
       limited to $minimal_backoff_time .. $maximal_backoff_time.
    A notice that cannot be sent leaves the message deferred, so that
    the notice is tried again with the message.

    Parameters read: through QmgrSettings and the bounce library.

DIAGNOSTICS
    Failures are logged as warnings; the message is then kept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Protocol

from pyfix.delivery.request import request_flags
from pyfix.log.maillog import MailLog
from pyfix.qmgr.message import ActiveMessage
from pyfix.qmgr.settings import QmgrSettings
from pyfix.queue.envelope import QueueMessage
from pyfix.queue.layout import ACTIVE, BOUNCE, DEFERRED, TRACE, QueueLayout
from pyfix.queue.records import ATTR_TRACE_FLAGS
from pyfix.smtp.logfields import log_address


class Notices(Protocol):
    def bounce_flush(self, message: QueueMessage) -> bool: ...
    def defer_flush(self, message: QueueMessage) -> bool: ...
    def delay_warning(self, message: QueueMessage) -> bool: ...
    def trace_flush(self, message: QueueMessage, flags: int = 0) -> bool: ...


def _nonempty(path: str) -> bool:
    try:
        return os.stat(path).st_size > 0
    except OSError:
        return False


class MessageDone:
    def __init__(self, layout: QueueLayout, settings: QmgrSettings, notices: Notices,
                 log: MailLog) -> None:
        self.layout = layout
        self.settings = settings
        self.notices = notices
        self.log = log

    def _notice(self, call: Callable[[QueueMessage], bool], message: QueueMessage) -> bool:
        try:
            return bool(call(message))
        except OSError as exc:
            self.log.warn(f"{message.queue_id}: cannot send notice: {exc}")
            return False

    def finish_simple(self, msg: ActiveMessage) -> bool:
        """The common case, done without blocking: every recipient is
        finished and there is no notice to send.  False: use finish()."""
        qid = msg.queue_id
        if msg.deferred or any(os.path.exists(self.layout.path(log, qid))
                               for log in (BOUNCE, TRACE)):
            return False
        msg.close()
        if self.layout.remove(ACTIVE, qid):
            self.log.info(f"{qid}: removed")
        return True

    def finish(self, msg: ActiveMessage) -> None:
        """Dispose of the message (blocking: run it in a worker thread)."""
        try:
            self._finish(msg)
        finally:
            msg.close()

    def _finish(self, msg: ActiveMessage) -> None:
        qid = msg.queue_id
        message = msg.message
        keep = msg.deferred
        bounce_log = self.layout.path(BOUNCE, qid)
        if _nonempty(bounce_log):
            if not self._notice(self.notices.bounce_flush, message):
                keep = True
        elif os.path.exists(bounce_log):
            os.unlink(bounce_log)
        if keep:
            lifetime = (self.settings.max_queue_lifetime if msg.sender
                        else self.settings.bounce_queue_lifetime)
            if time.time() >= msg.create_time + lifetime:
                self.log.info(f"{qid}: from=<{log_address(msg.sender)}>, status=expired, "
                              "returned to sender")
                keep = not self._notice(self.notices.defer_flush, message)
            elif (message.warn_time > 0 and time.time() >= message.warn_time - 1
                  and self._notice(self.notices.delay_warning, message)):
                try:
                    msg.queue_file.set_warn_time(0, sync=True)
                except (OSError, ValueError) as exc:
                    self.log.warn(f"{qid}: update warning time: {exc}")
        trace = _nonempty(self.layout.path(TRACE, qid))
        flags = request_flags(message.attributes.get(ATTR_TRACE_FLAGS))
        if not keep and trace and not self._notice(
                lambda m: self.notices.trace_flush(m, flags), message):
            keep = True
        if keep:
            self.defer(msg)
            return
        if self.layout.remove(ACTIVE, qid):
            self.log.info(f"{qid}: removed")
        else:
            self.log.warn(f"{qid}: remove {qid} from {ACTIVE}: No such file or directory")

    def defer(self, msg: ActiveMessage) -> None:
        settings = self.settings
        if msg.create_time > 0:
            delay = int(time.time()) - msg.create_time
            delay = max(settings.min_backoff, min(delay, settings.max_backoff))
        else:
            delay = settings.min_backoff
        when = time.time() + delay
        path = self.layout.path(ACTIVE, msg.queue_id)
        try:
            os.utime(path, (when, when))
            self.layout.rename(msg.queue_id, ACTIVE, DEFERRED)
        except OSError as exc:
            self.log.warn(f"{msg.queue_id}: rename {msg.queue_id} from {ACTIVE} to "
                          f"{DEFERRED}: {exc.strerror or exc}")
