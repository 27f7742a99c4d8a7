"""NAME
    pyfix.delivery.local.service - the local(8) delivery agent

SUMMARY
    python -m pyfix.master.child ... local/unix  (serve()), LocalAgent

DESCRIPTION
    local(8) delivers to the users of this machine: aliases(5),
    .forward files, :include: lists, commands, files, UNIX mailboxes
    and Maildirs, as Postfix's local does (see local(8) and
    aliases(5); the modules of this package describe each step).

    For each recipient of a request, LocalAgent walks the expansion
    tree (recipient.py, alias.py, targets.py), resubmits the addresses
    that leave this machine's local delivery as new messages
    (forward.py, "status=sent (forwarded as QUEUEID)"), and then marks
    the recipient done in the queue file, or leaves it for a later
    attempt when anything in the tree was deferred.  Log lines say
    "relay=local" (the master.cf service name).

    The Delivered-To: headers of the message (at most 1000, primary
    header only) are read once per request; a recipient already listed
    there bounces with "mail forwarding loop for ADDRESS".

    Identity: the service runs as root (master.cf unpriv "n"); mailbox,
    file and Maildir deliveries run in child processes with the
    recipient's IDs, commands with the recipient's (or the alias or
    :include: owner's, or default_privs's) IDs; queue files and logs
    that the agent creates belong to mail_owner.  Run as an ordinary
    user, everything happens as that user.

    Parameters read: see settings.py, and delay_logging_resolution_limit,
    rewrite_service_name (address rewriting and resolution for
    expansions), cleanup_service_name (resubmission).

DIAGNOSTICS
    Configuration errors are fatal when the service starts.  Problems
    with one delivery are logged and reported per recipient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyfix.cleanup.service import CleanupService
from pyfix.config.store import Config
from pyfix.delivery.agent import Delivery, serve_agent
from pyfix.delivery.local.alias import AliasSteps
from pyfix.delivery.local.base import Job
from pyfix.delivery.local.forward import Forwarder
from pyfix.delivery.local.recipient import RecipientSteps
from pyfix.delivery.local.settings import HDR_FORWARD, LocalSettings
from pyfix.delivery.local.state import MsgAttr, RecipientRun, UserAttr
from pyfix.delivery.local.targets import TargetSteps
from pyfix.log.maillog import MailLog
from pyfix.queue.errors import QueueError
from pyfix.rewrite.service import TrivialRewrite

if TYPE_CHECKING:
    from pyfix.master.child import ServiceContext

DELIVERED_HDR_LIMIT = 1000
_HEADER = re.compile(rb"[!-9;-~]+[ \t]*:")
_DELIVERED_TO = re.compile(rb"delivered-to[ \t]*:", re.I)


def delivered_addresses(lines: Iterable[bytes]) -> frozenset[str]:
    """The Delivered-To: addresses of the primary header, folded."""
    found: set[str] = set()
    for line in lines:
        if len(found) >= DELIVERED_HDR_LIMIT:
            break
        if _HEADER.match(line):
            match = _DELIVERED_TO.match(line)
            if match:
                value = line[match.end():].lstrip(b" \t\r\n\v\f")
                found.add(value.decode("utf-8", "surrogateescape").lower())
        elif line[:1] in (b" ", b"\t"):
            continue
        else:
            break
    return frozenset(found)


class LocalAgent(RecipientSteps, AliasSteps, TargetSteps):
    """The local(8) delivery agent for one master.cf service."""

    def __init__(self, config: Config, log: MailLog, service: str = "local") -> None:
        self.config = config
        self.log = log
        self.relay = service
        self.settings: LocalSettings = LocalSettings.from_config(config, log.warn)
        trivial = TrivialRewrite.for_client(config)
        self.rewrite = trivial.rewrite_addr
        self.resolve = trivial.resolve
        self.cleanup = CleanupService.for_client(config)

    def _cleanup(self) -> CleanupService:
        return self.cleanup

    async def deliver(self, delivery: Delivery) -> str:
        queue_file = delivery.queue_file
        assert queue_file is not None
        settings = self.settings
        request = delivery.request
        try:
            loop_info = delivered_addresses(queue_file.iter_lines())
        except (OSError, QueueError) as exc:
            self.log.warn(f"{request.queue_id}: {exc}")
            return ""
        for rcpt in request.recipients:
            run = RecipientRun(delivery, rcpt, self.relay, settings.duplicate_filter_limit,
                               owner_ids=settings.owner_ids)
            forwarder = Forwarder(self._cleanup, request, settings.myhostname,
                                  settings.mail_name,
                                  bool(settings.deliver_hdr_mask & HDR_FORWARD),
                                  settings.owner_ids)
            job = Job(run, forwarder, loop_info, queue_file)
            top = MsgAttr(rcpt=rcpt, sender=request.sender, dsn_envid=request.dsn_envid,
                          dsn_ret=request.dsn_ret)
            try:
                status = await self.deliver_recipient(job, top, UserAttr())
            except BaseException:
                forwarder.finish(run, top, job.lines, 1)  # remove the new queue files
                raise
            status |= forwarder.finish(run, top, job.lines, status)
            run.finish(status)
        return ""


def serve(ctx: ServiceContext) -> None:
    serve_agent(ctx, lambda config, log: LocalAgent(config, log, ctx.service),
                relay=ctx.service, drop_privileges=False)
