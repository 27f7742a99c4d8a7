"""NAME
    pyfix.delivery.virtual - the virtual(8) delivery agent

SUMMARY
    python -m pyfix.master.child ... virtual/unix  (serve()), VirtualAgent

DESCRIPTION
    virtual(8) delivers to mailboxes of virtual domains, as Postfix's
    virtual does:

    - the recipient address, folded to lower case, is looked up in
      virtual_mailbox_maps (full address, address without extension,
      "@domain"); the result, relative to virtual_mailbox_base, is a
      UNIX mailbox, or a Maildir when it ends in "/"; a result with
      "/../" is refused;
    - virtual_uid_maps and virtual_gid_maps give the owner ("static:N"
      for all); a uid below virtual_minimum_uid, or gid 0, is refused;
    - a message whose Delivered-To: headers already list the recipient
      bounces ("mail forwarding loop for ADDRESS", 5.4.6);
    - mailboxes are locked with virtual_mailbox_lock, written as the
      owner with RLIMIT_FSIZE = virtual_mailbox_limit, and a Maildir is
      written tmp/ -> new/; every file gets Return-Path:,
      X-Original-To: and Delivered-To:, a mailbox also the From_ line;
    - an address not in virtual_mailbox_maps bounces with
      "unknown user: "ADDRESS"" (5.1.1).

    Log lines say relay=virtual and "delivered to mailbox" or
    "delivered to maildir".  Failures read "delivery failed to mailbox
    PATH: REASON" or "maildir delivery failed: REASON"; a temporary
    problem (4.x.x) defers, a permanent one bounces.

    Not running as root (the embedded set-up), the agent cannot change
    its user ID: it writes as itself, after the same uid checks.

    Parameters read: virtual_mailbox_base, virtual_mailbox_maps,
    virtual_uid_maps, virtual_gid_maps, virtual_minimum_uid,
    virtual_mailbox_limit, virtual_mailbox_lock, message_size_limit,
    strict_mailbox_ownership, enable_original_recipient,
    recipient_delimiter, mail_owner, deliver_lock_attempts,
    deliver_lock_delay, stale_lock_time, and mydestination & co. for
    the address search order.

DIAGNOSTICS
    Configuration problems with one recipient defer it with "mail
    system configuration error" (4.3.5) and a warning naming the table:
    "recipient ADDRESS: not found in virtual_uid_maps", "recipient
    ADDRESS: bad uid N in virtual_uid_maps", "recipient ADDRESS: bad
    mailbox path PATH in virtual_mailbox_maps".  A relative
    virtual_mailbox_base and bad size limits are fatal at start.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from typing import TYPE_CHECKING

from pyfix.config.store import Config
from pyfix.delivery.agent import Delivery, serve_agent
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.local.service import delivered_addresses
from pyfix.delivery.local.settings import check_size_limits
from pyfix.delivery.mailbox import (
    COPY_DELIVERED,
    COPY_MBOX,
    COPY_ORIG_RCPT,
    COPY_RETURN_PATH,
    COPY_TOFILE,
    CopyAttrs,
    LockPolicy,
    MboxTarget,
    WriteResult,
    append_mbox,
    run_in_child,
    write_maildir,
)
from pyfix.delivery.mailbox.worker import effective_ids
from pyfix.delivery.request import FLAG_MTA_VRFY, FLAG_USR_VRFY, RequestRecipient
from pyfix.log.maillog import MailLog
from pyfix.queue.errors import QueueError
from pyfix.rewrite.local import LocalDestination
from pyfix.tables.base import TableError
from pyfix.tables.maps import Maps
from pyfix.tables.search import find_address

if TYPE_CHECKING:
    from pyfix.master.child import ServiceContext

CONFIG_ERROR = "mail system configuration error"


class VirtualAgent:
    """The virtual(8) delivery agent for one master.cf service."""

    def __init__(self, config: Config, log: MailLog) -> None:
        import pwd

        self.log = log
        self.base = config.get("virtual_mailbox_base")
        if not self.base.startswith("/"):
            raise ValueError("do not specify relative pathname: virtual_mailbox_base = "
                             f"{self.base}")
        self.limit = config.get_long("virtual_mailbox_limit")
        check_size_limits("virtual_mailbox_limit", self.limit,
                          config.get_long("message_size_limit"))
        self.mailbox_maps = Maps("virtual_mailbox_maps", config.get("virtual_mailbox_maps"),
                                 warn=log.warn)
        self.uid_maps = Maps("virtual_uid_maps", config.get("virtual_uid_maps"), warn=log.warn)
        self.gid_maps = Maps("virtual_gid_maps", config.get("virtual_gid_maps"), warn=log.warn)
        self.minimum_uid = config.get_int("virtual_minimum_uid")
        self.policy = LockPolicy.from_config(config, "virtual_mailbox_lock")
        self.strict_owner = config.get_bool("strict_mailbox_ownership")
        self.enable_orcpt = config.get_bool("enable_original_recipient")
        self.delimiter = config.get("recipient_delimiter")
        self.local = LocalDestination(config, warn=log.warn)
        self.owner_ids: tuple[int, int] | None = None
        if os.geteuid() == 0:
            owner = pwd.getpwnam(config.get("mail_owner"))
            self.owner_ids = (owner.pw_uid, owner.pw_gid)

    def _find(self, maps: Maps, address: str) -> str | None:
        value, _ = find_address(maps, address, recipient_delimiter=self.delimiter,
                                is_local_domain=self.local.resolve_local)
        return value

    def _number(self, maps: Maps, address: str, kind: str) -> int | str:
        """The uid or gid for address, or the warning that refuses it."""
        found = self._find(maps, address)
        if found is None:
            return f"recipient {address}: not found in {maps.title}"
        try:
            number = int(found)
        except ValueError:
            number = -1
        bad = number < 0 or number == 0xFFFFFFFF or (
            number < self.minimum_uid if kind == "uid" else number == 0)
        if bad or not found.isdigit():
            return f"recipient {address}: bad {kind} {found} in {maps.title}"
        return number

    async def deliver(self, delivery: Delivery) -> str:
        queue_file = delivery.queue_file
        assert queue_file is not None
        try:
            loop_info = delivered_addresses(queue_file.iter_lines())
        except (OSError, QueueError) as exc:
            self.log.warn(f"{delivery.request.queue_id}: {exc}")
            return ""
        for rcpt in delivery.recipients:
            await self.deliver_recipient(delivery, rcpt, loop_info)
        return ""

    def _report(self, delivery: Delivery, rcpt: RequestRecipient, dsn: Dsn) -> None:
        with effective_ids(self.owner_ids):
            if dsn.status.startswith("2"):
                delivery.sent(rcpt, dsn)
            elif dsn.status.startswith("4"):
                delivery.defer(rcpt, Dsn.defer(dsn.reason, dsn.status))
            else:
                delivery.bounce(rcpt, Dsn.bounce(dsn.reason, dsn.status))

    async def deliver_recipient(self, delivery: Delivery, rcpt: RequestRecipient,
                                loop_info: frozenset[str]) -> None:
        user = rcpt.address.lower()
        if user in loop_info:
            self._report(delivery, rcpt, Dsn.bounce(f"mail forwarding loop for {rcpt.address}",
                                                    "5.4.6"))
            return
        try:
            found = self._find(self.mailbox_maps, user)
            uid = self._number(self.uid_maps, user, "uid") if found is not None else 0
            gid = self._number(self.gid_maps, user, "gid") if found is not None else 0
        except TableError:
            self.log.warn(f"table {self.mailbox_maps.title}: lookup {user}: "
                          "table lookup problem")
            self._report(delivery, rcpt, Dsn.defer(CONFIG_ERROR, "4.3.5"))
            return
        if found is None:
            self._report(delivery, rcpt, Dsn.bounce(f'unknown user: "{user}"', "5.1.1"))
            return
        mailbox = f"{self.base}/{found}"
        problem = None
        if "/../" in mailbox[len(self.base):]:
            problem = f"recipient {user}: bad mailbox path {found} in {self.mailbox_maps.title}"
        elif isinstance(uid, str):
            problem = uid
        elif isinstance(gid, str):
            problem = gid
        if problem is not None or isinstance(uid, str) or isinstance(gid, str):
            self.log.warn(problem or CONFIG_ERROR)
            self._report(delivery, rcpt, Dsn.defer(CONFIG_ERROR, "4.3.5"))
            return
        if delivery.request.flags & (FLAG_MTA_VRFY | FLAG_USR_VRFY):
            what = "maildir" if mailbox.endswith("/") else "mailbox"
            self._report(delivery, rcpt, Dsn.sent(f"delivers to {what}"))
            return
        dsn = await self._write(delivery, rcpt, mailbox, uid, gid)
        if dsn is not None:
            self._report(delivery, rcpt, dsn)

    async def _write(self, delivery: Delivery, rcpt: RequestRecipient, mailbox: str,
                     uid: int, gid: int) -> Dsn | None:
        queue_file = delivery.queue_file
        assert queue_file is not None
        attrs = CopyAttrs(delivery.request.sender, rcpt.orig_address, rcpt.address,
                          self.enable_orcpt)
        ids = (uid, gid) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
        result: WriteResult
        if mailbox.endswith("/"):
            flags = COPY_TOFILE | COPY_RETURN_PATH | COPY_ORIG_RCPT | COPY_DELIVERED
            start = time.time()
            result = await run_in_child(
                lambda: write_maildir(mailbox, queue_file.iter_lines(), attrs, flags, start,
                                      "4.2.0"), *ids, self.limit)
            prefix, success = "maildir delivery failed: ", "delivered to maildir"
            if not result.ok and result.errno == errno.EACCES:
                self.log.warn(f"maildir access problem for UID/GID={uid}/{gid}: "
                              f"{result.reason}")
                self.log.warn("perhaps you need to create the maildirs in advance")
        else:
            target = MboxTarget(mailbox, ids, ids, None, self.policy, default_status="4.2.0")
            strict, owner = self.strict_owner, ids[0]

            def check(st: os.stat_result) -> tuple[str, str] | None:
                if not stat.S_ISREG(st.st_mode):
                    return "5.3.5", CONFIG_ERROR
                if strict and st.st_uid != owner:
                    return "4.2.0", f"destination {mailbox} is not owned by recipient"
                return None

            result = await run_in_child(
                lambda: append_mbox(target, queue_file.iter_lines(), attrs, COPY_MBOX, check),
                *ids, self.limit)
            prefix, success = f"delivery failed to mailbox {mailbox}: ", "delivered to mailbox"
            if not result.ok and result.reason == CONFIG_ERROR:
                self.log.warn(f"recipient {rcpt.address}: destination {mailbox} is not a "
                              "regular file")
                return Dsn.bounce(CONFIG_ERROR, result.status)
            if not result.ok and result.reason.endswith("is not owned by recipient"):
                self.log.warn('specify "strict_mailbox_ownership = no" to ignore mailbox '
                              "ownership mismatch")
                return Dsn.defer(result.reason, result.status)
        for warning in result.warnings:
            self.log.warn(warning)
        if result.corrupt:
            self.log.warn(f"{delivery.request.queue_id}: {result.reason}")
            return None
        if result.ok:
            return Dsn.sent(success)
        return Dsn.bounce(prefix + result.reason, result.status)


def serve(ctx: ServiceContext) -> None:
    serve_agent(ctx, VirtualAgent, relay=ctx.service, drop_privileges=False)
