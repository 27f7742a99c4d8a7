"""NAME
    pyfix.delivery.pipe - the pipe(8) delivery agent

SUMMARY
    serve(), PipeAgent

DESCRIPTION
    A pipe service delivers mail to an external command named in its
    master.cf entry, for example

        mailman unix - n n - - pipe
          flags=FRX user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py
          ${nexthop} ${user}

    The command attributes are parsed once, at start-up (pipe_attr.py);
    a bad one is fatal.  Each delivery request then goes through the
    checks of Postfix's pipe(8), in this order:

    - the D and O flags need one recipient per request: with more,
      every recipient is deferred (4.3.5 "mail system configuration
      error") after the warning "pipe flag `D' requires
      SERVICE_destination_recipient_limit = 1";
    - a message larger than size= bounces (5.2.3 "message too large");
    - an address verification request is answered without running the
      command ("delivers to command: PROGRAM");
    - with the D flag, a message that already has "Delivered-To:" with
      the recipient bounces (5.4.6 "mail forwarding loop for ADDR");
    - the argument vector is expanded (pipe_expand.py); a bad macro
      defers every recipient (4.3.5);
    - the command runs (pipe_command.py) with the message as prepared by
      pipe_copy.py, within $SERVICE_time_limit (default
      $command_time_limit).

    Every recipient of the request gets the same outcome.  Success is
    logged as "relay=SERVICE, ..., status=sent (delivered via SERVICE
    service)", with " (OUTPUT)" added (first 100 characters) when the
    command printed something; the DSN action is "relayed", or
    "delivered" with the X flag.  Failures are deferred or bounced by
    the class of their status, also with relay=SERVICE.

    Privileges: as Postfix's pipe, the agent runs as root (master.cf
    unprivileged column "n") with $mail_owner as its effective
    identity, so that queue and log files belong to $mail_owner; the
    command runs as the user= user.  When the mail system does not run
    as root, commands run as the mail system's own user and user= is
    only checked, not applied.

    Parameters read: SERVICE_time_limit, command_time_limit,
    export_environment, queue_directory, enable_original_recipient,
    recipient_delimiter, owner_request_special, double_bounce_sender,
    mail_owner, setgid_group, config_directory.

DIAGNOSTICS
    Fatal at start-up, with Postfix's texts: a missing or bad user=,
    missing argv=, an unknown flag or attribute, a bad size=.  Macro
    errors and the D/O recipient-count rule are warnings that defer the
    mail.  A damaged queue file leaves the recipients to the queue
    manager.
"""

from __future__ import annotations

import os
import pwd
from typing import TYPE_CHECKING

from pyfix.delivery.agent import Delivery, serve_agent
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.error import command_arguments
from pyfix.delivery.pipe_attr import PipeAttr, parse_pipe_attr
from pyfix.delivery.pipe_command import (
    CORRUPT,
    OK,
    CommandRun,
    build_environment,
    run_pipe_command,
)
from pyfix.delivery.pipe_copy import envelope_headers, has_delivered_to, message_chunks
from pyfix.delivery.pipe_expand import ArgvExpander, MacroError, SplitRules
from pyfix.delivery.request import FLAG_MTA_VRFY, FLAG_USR_VRFY, RequestRecipient
from pyfix.queue.errors import QueueFileCorrupt

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyfix.config.store import Config
    from pyfix.log.maillog import MailLog
    from pyfix.master.child import ServiceContext

CONFIG_ERROR = "mail system configuration error"


class PipeAgent:
    """Deliver to the external command of one pipe service."""

    def __init__(self, config: Config, log: MailLog) -> None:
        entry = config.scope
        self.service = entry.service_name if entry is not None else "pipe"
        self.log = log
        self.mail_owner = config.get("mail_owner")
        self.attr: PipeAttr = parse_pipe_attr(command_arguments(entry), self.mail_owner,
                                              config.get("setgid_group"))
        limit_name = f"{self.service}_time_limit"
        self.time_limit = (config.get_time(limit_name) if config.info(limit_name)
                           else config.get_time("command_time_limit"))
        self.env = build_environment(config.get("export_environment").replace(",", " ")
                                     .split())
        self.queue_directory = config.get("queue_directory")
        self.enable_orcpt = config.get_bool("enable_original_recipient")
        self.expander = ArgvExpander(
            self.service, f"file {config.get('config_directory')}/master.cf",
            self.attr.flags,
            SplitRules(config.get("recipient_delimiter"),
                       config.get_bool("owner_request_special"),
                       config.get("double_bounce_sender")),
            log.warn)
        self.owner_switched = False

    def become_owner(self) -> None:
        """Keep root as the real identity; act as $mail_owner otherwise."""
        if self.owner_switched or os.getuid() != 0 or os.geteuid() != 0:
            return
        try:
            pw = pwd.getpwnam(self.mail_owner)
        except KeyError:
            return
        os.setgroups([pw.pw_gid])
        os.setegid(pw.pw_gid)
        os.seteuid(pw.pw_uid)
        self.owner_switched = True

    def _defer_config(self, delivery: Delivery) -> None:
        delivery.defer_all(Dsn.defer(CONFIG_ERROR, "4.3.5"), self.service)

    def _scalars(self, delivery: Delivery, sender: str) -> dict[str, str]:
        req = delivery.request
        client, attrs = req.client, req.attributes
        others = {
            "size": str(req.data_size),
            "queue_id": req.queue_id,
            "client_address": client.get("address", client.get("addr", "")),
            "client_hostname": client.get("name", ""),
            "client_port": client.get("port", ""),
            "client_protocol": client.get("protocol_name", client.get("protocol", "")),
            "client_helo": client.get("helo_name", client.get("helo", "")),
            "sasl_method": attrs.get("sasl_method", ""),
            "sasl_username": attrs.get("sasl_username", ""),
            "sasl_sender": attrs.get("sasl_sender", ""),
        }
        return self.expander.scalar_values(sender, req.nexthop, others)

    def _chunks(self, delivery: Delivery, sender: str,
                first: RequestRecipient) -> Iterator[bytes]:
        attr = self.attr
        yield envelope_headers(attr.flags, sender, first.orig_address, first.address,
                               attr.eol, self.enable_orcpt)
        assert delivery.queue_file is not None
        yield from message_chunks(delivery.queue_file.iter_lines(), attr.flags, attr.eol)

    async def deliver(self, delivery: Delivery) -> str:
        self.become_owner()
        attr, service, req = self.attr, self.service, delivery.request
        rcpts = delivery.pending()
        if not rcpts:
            return ""
        if not req.nexthop:
            self.log.fatal("empty nexthop hostname")
            self._defer_config(delivery)
            return ""
        for flag in ("D", "O"):
            if attr.has(flag) and len(rcpts) > 1:
                self._defer_config(delivery)
                self.log.warn(f"pipe flag `{flag}' requires "
                              f"{service}_destination_recipient_limit = 1")
                return ""
        if attr.size_limit and req.data_size > attr.size_limit:
            delivery.bounce_all(Dsn.bounce("message too large", "5.2.3"), service)
            return ""
        if req.flags & (FLAG_MTA_VRFY | FLAG_USR_VRFY):
            dsn = Dsn.sent(f"delivers to command: {attr.command[0]}")
            for rcpt in rcpts:
                delivery.sent(rcpt, dsn, service)
            return ""
        if attr.has("D") and delivery.queue_file is not None:
            try:
                looped = has_delivered_to(delivery.queue_file.iter_lines(), rcpts[0].address)
            except QueueFileCorrupt as exc:
                self.log.warn(str(exc))
                return ""
            if looped:
                delivery.bounce_all(Dsn.bounce(f"mail forwarding loop for {rcpts[0].address}",
                                               "5.4.6"), service)
                return ""
        sender = req.sender or attr.null_sender
        try:
            argv = self.expander.expand(attr.command, self._scalars(delivery, sender),
                                        [(r.address, r.orig_address) for r in rcpts])
        except MacroError:
            self._defer_config(delivery)
            return ""
        run = CommandRun(argv, attr.uid, attr.gid, self.time_limit,
                         attr.exec_dir or self.queue_directory, attr.chroot_dir, self.env)
        outcome = await run_pipe_command(run, self._chunks(delivery, sender, rcpts[0]),
                                         self.log.warn, self.log.fatal)
        self._report(delivery, rcpts, outcome.status, outcome.dsn, outcome.output)
        return ""

    def _report(self, delivery: Delivery, rcpts: list[RequestRecipient], status: str,
                dsn: Dsn | None, output: str) -> None:
        service = self.service
        if status == CORRUPT:
            return  # the queue manager defers the recipients
        if status == OK or dsn is None:
            trimmed = output.rstrip(" \t\n\r\v\f")
            extra = f" ({trimmed[:100]})" if trimmed else ""
            action = "delivered" if self.attr.has("X") else "relayed"
            sent = Dsn.sent(f"delivered via {service} service{extra}", "2.0.0", action)
            for rcpt in rcpts:
                delivery.sent(rcpt, sent, service)
            return
        for rcpt in rcpts:
            if dsn.status.startswith("4"):
                delivery.defer(rcpt, dsn, service)
            else:
                delivery.bounce(rcpt, dsn, service)


def serve(ctx: ServiceContext) -> None:
    entry = ctx.config.scope
    service = entry.service_name if entry is not None else ctx.service
    serve_agent(ctx, PipeAgent, relay=service, drop_privileges=ctx.unprivileged)
