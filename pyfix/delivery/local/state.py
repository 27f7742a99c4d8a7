"""NAME
    pyfix.delivery.local.state - what local(8) knows while it expands a recipient

SUMMARY
    MsgAttr, UserAttr, RecipientRun, EXPAND_*

DESCRIPTION
    Local delivery of one recipient walks a tree: aliases, :include:
    files and .forward files expand into commands, files, mailboxes
    and other addresses.  As in Postfix, the attributes travel down the
    tree by value: MsgAttr (the address being delivered and how it got
    there: the expansion type, the owner, the Delivered-To: address)
    and UserAttr (whose rights to use for files and commands) are
    frozen dataclasses, and each step makes a changed copy.

    RecipientRun is the state shared by the whole tree of one top-level
    recipient: the duplicate filter (duplicate_filter_limit entries),
    and the reports.  Each report logs one "to=<...>, relay=local, ...,
    status=..." line immediately and appends the bounce, defer or trace
    log, as Postfix's sent(), bounce_append() and defer_append() do;
    the address in the line is the one being delivered (the original
    recipient as orig_to).  Only at the end does the run decide about
    the queue file: the recipient is done when nothing in the tree was
    deferred (bounced is done too), and stays in the queue otherwise.
    A trace-only request (verify probe, sendmail -bv) reports each
    outcome instead (delivery/verify.py) and is done.

    Parameters read: none; the agent passes duplicate_filter_limit.

DIAGNOSTICS
    A bounce log that cannot be written turns the bounce into a
    deferral ("cannot update mail queue bounce log"); a trace log that
    cannot be written makes the run not done.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from pyfix.bounce.logfile import LogEntry, append_log
from pyfix.delivery.agent import delivery_log_line
from pyfix.delivery.dsn import DSN_NOTIFY_SUCCESS, Dsn
from pyfix.delivery.mailbox.worker import effective_ids
from pyfix.delivery.request import FLAG_RECORD, TRACE_ONLY, RecipientResult, RequestRecipient
from pyfix.delivery.verify import report_verify, trace_dsn
from pyfix.log.printable import printable
from pyfix.verify.protocol import DEL_RCPT_STAT_BOUNCE, DEL_RCPT_STAT_DEFER, DEL_RCPT_STAT_OK

if TYPE_CHECKING:
    from pyfix.delivery.agent import Delivery

EXPAND_ALIAS: Final = 1 << 0
EXPAND_FORWARD: Final = 1 << 1
EXPAND_INCLUDE: Final = 1 << 2

OK: Final = 0
FAIL: Final = 1


@dataclass(frozen=True)
class UserAttr:
    """Whose rights: uid 0 means "not chosen" (default_privs then)."""
    uid: int = 0
    gid: int = 0
    home: str | None = None
    logname: str | None = None
    shell: str | None = None


@dataclass(frozen=True)
class MsgAttr:
    rcpt: RequestRecipient
    sender: str
    delivered: str = ""
    local: str = ""  # folded local part, extension included
    domain: str = ""
    user: str = ""  # local part without the extension
    extension: str | None = None  # without the delimiter
    unmatched: str | None = None  # extension still to propagate
    owner: str | None = None
    exp_type: int = 0
    exp_from: str | None = None
    level: int = 0
    dsn_envid: str = ""
    dsn_ret: int = 0

    def replace(self, **changes: object) -> MsgAttr:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_address(self, address: str) -> MsgAttr:
        return self.replace(rcpt=dataclasses.replace(self.rcpt, address=address))

    def deeper(self) -> MsgAttr:
        return self.replace(level=self.level + 1)


@dataclass
class RecipientRun:
    """The expansion tree of one recipient of the request."""

    delivery: Delivery
    top: RequestRecipient
    relay: str
    dup_limit: int = 1000
    seen: set[str] = field(default_factory=set)
    status: int = OK
    last_dsn: Dsn | None = None
    outcome: str = "sent"
    owner_ids: tuple[int, int] | None = None  # mail_owner: who creates the logs

    # Duplicate filter -------------------------------------------------------

    def been_here(self, key: str) -> bool:
        key = key.lower()
        if key in self.seen:
            return True
        if self.dup_limit <= 0 or len(self.seen) < self.dup_limit:
            self.seen.add(key)
        return False

    def been_here_check(self, key: str) -> bool:
        return key.lower() in self.seen

    # Reports ----------------------------------------------------------------

    def _log(self, rcpt: RequestRecipient, dsn: Dsn, status: str) -> None:
        d = self.delivery
        req = d.request
        line = delivery_log_line(req.queue_id, rcpt, self.relay,
                                 (req.arrival_time, req.active_time, req.handoff_time,
                                  d.conn_done, time.time()), dsn, status, d.max_dig)
        d.log.info(printable(line))

    def _append(self, kind: str, rcpt: RequestRecipient, dsn: Dsn) -> bool:
        d = self.delivery
        queue_id = d.request.queue_id
        entry = LogEntry(rcpt.address, rcpt.orig_address, self.top.offset, rcpt.dsn_orcpt,
                         rcpt.dsn_notify, dsn)
        try:
            with effective_ids(self.owner_ids):
                append_log(d.layout, kind, queue_id, entry)
        except OSError as exc:
            d.log.warn(f"{queue_id}: append file {kind} {queue_id}: {exc.strerror or exc}")
            return False
        return True

    def _verify(self, attr: MsgAttr, dsn: Dsn, addr_status: int) -> int:
        """A trace-only request: report (delivery/verify.py), never deliver."""
        word = report_verify(self.delivery, attr.rcpt, dsn, self.relay, addr_status)
        if word is None:
            self.outcome = "deferred"
            self.last_dsn = Dsn.defer("mail system error", "4.3.0")
            return FAIL
        self._log(attr.rcpt, dsn, word)
        if self.last_dsn is None:
            self.last_dsn = dsn
        return OK

    def sent(self, attr: MsgAttr, dsn: Dsn) -> int:
        if self.delivery.request.flags & TRACE_ONLY:
            return self._verify(attr, dsn, DEL_RCPT_STAT_OK)
        rcpt = attr.rcpt
        record = self.delivery.request.flags & FLAG_RECORD
        entry = trace_dsn(dsn, self.relay) if record else dsn
        if (rcpt.dsn_notify & DSN_NOTIFY_SUCCESS or record) \
                and not self._append("trace", rcpt, entry):
            return self.defer(attr, Dsn.defer("cannot update mail queue trace log", "4.3.0"))
        self._log(rcpt, dsn, "sent")
        if self.last_dsn is None:
            self.last_dsn = dsn
        return OK

    def trace(self, attr: MsgAttr, dsn: Dsn) -> None:
        """trace_append() without a log line: DSN "expanded"/"delivered" notices."""
        self._append("trace", attr.rcpt, dsn)

    def bounce(self, attr: MsgAttr, dsn: Dsn) -> int:
        if self.delivery.request.flags & TRACE_ONLY:
            return self._verify(attr, dsn, DEL_RCPT_STAT_BOUNCE)
        if not self._append("bounce", attr.rcpt, dsn):
            return self.defer(attr, Dsn.defer("cannot update mail queue bounce log", "4.3.0"))
        self._log(attr.rcpt, dsn, "bounced")
        if self.outcome != "deferred":
            self.outcome = "bounced"
            self.last_dsn = dsn
        return OK

    def defer(self, attr: MsgAttr, dsn: Dsn) -> int:
        if self.delivery.request.flags & TRACE_ONLY:
            return self._verify(attr, dsn, DEL_RCPT_STAT_DEFER)
        self._append("defer", attr.rcpt, dsn)
        self._log(attr.rcpt, dsn, "deferred")
        self.outcome = "deferred"
        self.last_dsn = dsn
        return FAIL

    def note(self, outcome: str, dsn: Dsn) -> int:
        """Account for a report that another agent made (mailbox_transport)."""
        if outcome == "deferred":
            self.outcome = "deferred"
            self.last_dsn = dsn
            return FAIL
        if outcome == "bounced" and self.outcome != "deferred":
            self.outcome = "bounced"
            self.last_dsn = dsn
        elif self.last_dsn is None:
            self.last_dsn = dsn
        return OK

    def by_class(self, attr: MsgAttr, dsn: Dsn) -> int:
        """defer or bounce, as the DSN status says."""
        if dsn.status.startswith("4"):
            return self.defer(attr, Dsn.defer(dsn.reason, dsn.status))
        return self.bounce(attr, Dsn.bounce(dsn.reason, dsn.status))

    # The end --------------------------------------------------------------

    def finish(self, status: int) -> None:
        """Mark the recipient done or not, and record the result for qmgr."""
        d = self.delivery
        top = self.top
        if status == OK and self.outcome == "deferred":
            status = FAIL
        if status == OK:
            if d.queue_file is not None and top.offset > 0:
                try:
                    d.queue_file.mark_done(top.offset)
                except Exception as exc:
                    d.log.warn(f"{d.request.queue_id}: update queue file: {exc}")
            outcome = "bounced" if self.outcome == "bounced" else "sent"
            dsn = self.last_dsn or Dsn.sent("delivered")
        else:
            outcome = "deferred"
            dsn = self.last_dsn if self.outcome == "deferred" and self.last_dsn else \
                Dsn.defer("mail system error", "4.3.0")
        d.results[top.offset] = RecipientResult(top.offset, top.address, outcome, dsn)
