"""NAME
    pyfix.delivery.local.recipient - local(8)'s delivery switch

SUMMARY
    RecipientSteps

DESCRIPTION
    The steps that decide what happens to one local address, in
    Postfix's order:

    deliver_recipient()
        nesting limit (100 levels: "recipient nesting limit exceeded"),
        duplicate filter, Delivered-To: loop check ("mail forwarding
        loop for ADDRESS", 5.4.6), then splits the address: the local
        part folded to lower case, the domain, the user and the
        extension at recipient_delimiter (an extension with "/" is
        dropped with a warning); an empty user bounces ("null username
        in "ADDRESS"", 5.1.3).
    deliver_switch()
        "\\user" skips aliases and .forward; otherwise the alias for
        user+ext, then (with an extension) for user; an address that an
        owner- alias, an :include: file or a .forward file produced is
        resubmitted (deliver_indirect) unless it is the owner itself;
        then (with require_home_directory) the home directory must be
        there ("cannot access home directory ...", 4.3.0); then
        .forward, the mailbox, and finally deliver_unknown().
    deliver_token_string()
        one alias or .forward value: "|command", /file, ~/file,
        :include:/file or an address; commands and files need the
        expansion type in allow_mail_to_commands / allow_mail_to_files
        ("mail to command is restricted", "mail to file is restricted",
        5.7.1).
    deliver_include()
        :include: files, with Postfix's checks and texts.
    deliver_resolve_addr()
        rewrites an address to canonical form and resolves it: an
        address for this service is delivered here (recursively),
        anything else is resubmitted; the unmatched extension is added
        to the local part.
    deliver_unknown()
        fallback_transport_maps, fallback_transport, luser_relay, the
        "required alias not found" warning for postmaster and
        MAILER-DAEMON, else "unknown user: "USER"" (5.1.1).

    Parameters read: see settings.py.

DIAGNOSTICS
    Warnings in Postfix's words for nesting limits, bad :include:
    files and illegal extensions.
"""

from __future__ import annotations

import os
import pwd
import stat

from pyfix.address.extension import split_localpart
from pyfix.delivery.dsn import Dsn
from pyfix.delivery.local.base import EngineBase, Job, getpwnam, user_attr
from pyfix.delivery.local.forward import pass_to_transport
from pyfix.delivery.local.settings import EXT_PROP_ALIAS, EXT_PROP_INCLUDE
from pyfix.delivery.local.state import EXPAND_INCLUDE, OK, MsgAttr, UserAttr
from pyfix.delivery.local.variables import local_expand
from pyfix.smtp.tok822 import internalize, parse_addresses
from pyfix.tables.base import TableError

NESTING_LIMIT = 100
INCLUDE = ":include:"


class RecipientSteps(EngineBase):

    async def deliver_recipient(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        run = job.run
        attr = attr.deeper()
        address = attr.rcpt.address
        if attr.level > NESTING_LIMIT:
            self.log.warn(f"recipient nesting limit exceeded for {address}")
            return run.bounce(attr, Dsn.bounce("recipient nesting limit exceeded", "5.4.6"))
        if run.been_here(f"recipient {attr.level} {address}"):
            return OK
        if address.lower() in job.loop_info:
            return run.by_class(attr, Dsn.bounce(f"mail forwarding loop for {address}",
                                                 "5.4.6"))
        if not attr.delivered:
            attr = attr.replace(delivered=address)
        local = address.lower()
        at = local.rfind("@")
        domain = ""
        if at < 0:
            self.log.warn(f"no @ in recipient address: {local}")
        else:
            local, domain = local[:at], local[at + 1:]
        user, extension = local, None
        delim = self.settings.recipient_delimiter
        if delim:
            split = split_localpart(local, delim, owner_request_special=self.settings
                                    .owner_request_special)
            if split is not None:
                user, extension = split[0], split[1][1:]
                if "/" in extension:
                    self.log.warn(f"{job.run.delivery.request.queue_id}: address with "
                                  f"illegal extension: {local}")
                    local, extension = user, None
        attr = attr.replace(local=local, domain=domain, user=user, extension=extension,
                            unmatched=extension)
        if not user:
            return run.bounce(attr, Dsn.bounce(f'null username in "{address}"', "5.1.3"))
        return await self.deliver_switch(job, attr, usr)

    async def deliver_switch(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        attr = attr.deeper()
        settings = self.settings
        if attr.rcpt.address.startswith("\\"):
            attr = attr.with_address(attr.rcpt.address[1:]).replace(
                local=attr.local.lstrip("\\"), user=attr.user.lstrip("\\"))
            status = await self.deliver_mailbox(job, attr, usr)
            return status if status is not None else await self.deliver_unknown(job, attr, usr)
        attr = attr.replace(unmatched=None)
        status = await self.deliver_alias(job, attr, usr, attr.local)
        if status is not None:
            return status
        if attr.extension is not None:
            if settings.ext_prop_mask & EXT_PROP_ALIAS:
                attr = attr.replace(unmatched=attr.extension)
            status = await self.deliver_alias(job, attr, usr, attr.user)
            if status is not None:
                return status
            attr = attr.replace(unmatched=attr.extension)
        if attr.owner is not None and attr.owner.lower() != attr.user.lower():
            return await self.deliver_indirect(job, attr)
        if attr.exp_type == EXPAND_INCLUDE:
            return await self.deliver_indirect(job, attr)
        if settings.require_home_directory:
            pw = getpwnam(attr.user)
            if pw is not None:
                try:
                    os.stat(pw.pw_dir)
                except OSError as exc:
                    return job.run.defer(attr, Dsn.defer(
                        f"cannot access home directory {pw.pw_dir}: {exc.strerror}", "4.3.0"))
        status = await self.deliver_dotforward(job, attr, usr)
        if status is None:
            status = await self.deliver_mailbox(job, attr, usr)
        if status is None:
            status = await self.deliver_unknown(job, attr, usr)
        return status

    async def deliver_indirect(self, job: Job, attr: MsgAttr) -> int:
        if job.run.been_here(f"indirect {attr.rcpt.address}"):
            return OK
        if not job.forwarder.append(attr):
            return job.run.defer(attr, Dsn.defer("unable to forward message", "4.3.0"))
        return OK

    # Alias and .forward values ------------------------------------------------

    async def deliver_token_string(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   text: str) -> tuple[int, int]:
        """(status, number of addresses) for one value."""
        status = OK
        count = 0
        for node in parse_addresses(text):
            if node.type != "addr":
                continue
            count += 1
            status |= await self.deliver_token(job, attr, usr, internalize(node.children))
        return status, count

    async def deliver_token(self, job: Job, attr: MsgAttr, usr: UserAttr, token: str) -> int:
        run = job.run
        if token.startswith("/"):
            return await self.deliver_file(job, attr, usr, token)
        if token.startswith("~"):
            if token[1:2] != "/":
                self.log.warn(f"bad home directory syntax for: {token}")
                return run.bounce(attr, Dsn.bounce("mail system configuration error", "5.3.5"))
            if usr.home is None:
                self.log.warn(f"unknown home directory for: {token}")
                return run.bounce(attr, Dsn.bounce("mail system configuration error", "5.3.5"))
            home = "" if usr.home == "/" else usr.home
            return await self.deliver_file(job, attr, usr, home + token[1:])
        if token.startswith("|"):
            if not self.settings.cmd_deliver_mask & attr.exp_type:
                return run.bounce(attr, Dsn.bounce("mail to command is restricted", "5.7.1"))
            return await self.deliver_command(job, attr, usr, token[1:])
        if token[:len(INCLUDE)].lower() == INCLUDE:
            return await self.deliver_include(job, attr, usr, token[len(INCLUDE):])
        return await self.deliver_resolve_addr(job, attr, usr, token)

    async def deliver_include(self, job: Job, attr: MsgAttr, usr: UserAttr, path: str) -> int:
        run = job.run
        attr = attr.deeper()
        config_error = Dsn.bounce("mail system configuration error", "5.3.5")
        if attr.level > NESTING_LIMIT:
            self.log.warn(f":include: nesting limit exceeded for {path}")
            return run.bounce(attr, Dsn.bounce(":include: nesting limit exceeded", "5.4.6"))
        if run.been_here(f"include {usr.uid} {path}"):
            return OK
        attr = attr.replace(exp_from=attr.local)
        if not path.startswith("/"):
            self.log.warn(f":include:{path} uses a relative path")
            return run.bounce(attr, config_error)
        try:
            st = os.stat(path)
        except OSError as exc:
            self.log.warn(f"unable to lookup :include: file {path}: {exc.strerror}")
            return run.bounce(attr, config_error)
        if not stat.S_ISREG(st.st_mode):
            self.log.warn(f":include: file {path} is not a regular file")
            return run.bounce(attr, config_error)
        if st.st_mode & stat.S_IWOTH:
            self.log.warn(f":include: file {path} is world writable")
            return run.bounce(attr, config_error)
        attr = attr.replace(exp_type=EXPAND_INCLUDE)
        if usr.uid == 0 and st.st_uid != 0:
            owner = getpwnam_by_uid(st.st_uid)
            if owner is None:
                self.log.warn(f"cannot find username for uid {st.st_uid}")
                self.log.warn(f"{path}: cannot find :include: file owner username")
                return run.defer(attr, Dsn.defer("mail system configuration error", "4.3.5"))
            usr = owner
        if attr.owner is None:
            attr = attr.replace(owner=attr.rcpt.address)
        try:
            with open(path, "rb") as fp:
                data = fp.read()
        except OSError as exc:
            self.log.warn(f"cannot open include file {path}: {exc.strerror}")
            return run.bounce(attr, config_error)
        if not self.settings.ext_prop_mask & EXT_PROP_INCLUDE:
            attr = attr.replace(unmatched=None)
        status, _count = await self.deliver_token_stream(job, attr, usr, data)
        return status

    async def deliver_token_stream(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   data: bytes) -> tuple[int, int]:
        """The lines of an :include: or .forward file; "#" lines are comments."""
        status = OK
        count = 0
        for raw in data.split(b"\n"):
            line = raw.decode("utf-8", "surrogateescape").rstrip("\r")
            if line.startswith("#"):
                continue
            status, found = await self.deliver_token_string(job, attr, usr, line)
            count += found
            if status != OK:
                break
        return status, count

    # Addresses ----------------------------------------------------------------

    async def deliver_resolve_addr(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   address: str) -> int:
        run = job.run
        attr = attr.deeper()
        try:
            canonical = self.canonical(address)
            reply = self.resolve(canonical)
        except (TableError, ValueError):
            return run.defer(attr, Dsn.defer("address resolver failure", "4.3.0"))
        if reply.failed:
            return run.defer(attr, Dsn.defer("address resolver failure", "4.3.0"))
        if reply.error:
            return run.bounce(attr, Dsn.bounce(
                f"bad recipient address syntax: {reply.recipient}", "5.1.3"))
        recipient = reply.recipient
        if attr.unmatched:
            delim = attr.local[len(attr.user):len(attr.user) + 1] or \
                self.settings.recipient_delimiter[:1]
            at = recipient.rfind("@")
            if at < 0:
                recipient = f"{recipient}{delim}{attr.unmatched}"
            else:
                recipient = f"{recipient[:at]}{delim}{attr.unmatched}{recipient[at:]}"
        attr = attr.with_address(recipient)
        if reply.transport == self.relay:
            return await self.deliver_recipient(job, attr, usr)
        return await self.deliver_indirect(job, attr)

    async def deliver_unknown(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        run = job.run
        settings = self.settings
        attr = attr.deeper()
        if run.been_here(f"deliver_unknown {attr.local}"):
            return OK
        if settings.fallback_transport_maps is not None:
            try:
                transport = settings.fallback_transport_maps.find(attr.user)
            except TableError:
                return run.defer(attr, Dsn.defer("table lookup failure", "4.3.0"))
            if transport is not None:
                return await pass_to_transport(run, attr, transport, settings.queue_directory)
        if settings.fallback_transport:
            return await pass_to_transport(run, attr, settings.fallback_transport,
                                           settings.queue_directory)
        if settings.luser_relay:
            attr = attr.replace(unmatched=None)
            relay, _ = local_expand(settings.luser_relay, attr, usr, settings, None)
            if self.canonical(relay) == attr.rcpt.address:
                return run.bounce(attr, Dsn.bounce(f'unknown user: "{attr.user}"', "5.1.1"))
            return await self.deliver_resolve_addr(job, attr, usr, relay)
        # Postfix compares the folded user with "MAILER-DAEMON" and "postmaster":
        # only the second can match.
        if attr.user == "postmaster":
            self.log.warn(f"required alias not found: {attr.user}")
            return run.sent(attr, Dsn.sent("discarded"))
        return run.bounce(attr, Dsn.bounce(f'unknown user: "{attr.user}"', "5.1.1"))


def getpwnam_by_uid(uid: int) -> UserAttr | None:
    try:
        return user_attr(pwd.getpwuid(uid))
    except KeyError:
        return None

