"""NAME
    pyfix.delivery.local.targets - local(8) mailbox, file and command deliveries

SUMMARY
    TargetSteps

DESCRIPTION
    deliver_mailbox() handles a user found in the passwd database, in
    Postfix's order: mailbox_transport_maps / mailbox_transport (the
    recipient is passed to that transport), mailbox_command_maps,
    mailbox_command (run as the user), home_mailbox ending in "/"
    (Maildir in the home directory), mail_spool_directory ending in
    "/" (Maildir per user), else a UNIX mailbox: $home/$home_mailbox,
    or $mail_spool_directory/USER.  A user that is not in the passwd
    database is not handled here (deliver_unknown() is next).

    A mailbox in the spool directory is created and locked as the user
    when the directory is world-writable, as the user with the
    directory's group when it is group-writable, and otherwise as root
    (then chown()ed to the user); the message is always written with
    the user's rights.  Mailbox delivery refuses a file that is not
    regular ("destination PATH is not a regular file", 5.2.0) or,
    with strict_mailbox_ownership, not owned by the user
    ("destination PATH is not owned by recipient", 4.2.0).  Failures
    read "cannot update mailbox PATH for user USER. REASON".

    deliver_file() appends to /file/name (allow_mail_to_files
    permitting; a name ending in "/" is a Maildir), refusing executable
    files ("file is executable"); failures read "cannot append message
    to file PATH: REASON".  deliver_maildir() failures read "maildir
    delivery failed: REASON".  deliver_command() runs "|command" with
    the environment that local(8) documents; the DSN status of the
    command's result decides between bounce and defer.

    Files and Maildirs are written in a child process with the
    recipient's IDs (or the alias owner's, or default_privs instead of
    root) and RLIMIT_FSIZE = mailbox_size_limit, so that a mailbox that
    would grow past it fails with "File too large" (5.2.2) and is
    truncated to its old size.

    Success texts: "delivered to mailbox", "delivered to maildir",
    "delivered to file: PATH", "delivered to command: COMMAND".

    Parameters read: see settings.py.

DIAGNOSTICS
    "maildir access problem for UID/GID=U/G: REASON" and "perhaps you
    need to create the maildirs in advance" when a Maildir is not
    accessible; "specify "strict_mailbox_ownership = no" to ignore
    mailbox ownership mismatch".
"""

from __future__ import annotations

import errno
import os
import stat
import time

from pyfix.delivery.dsn import Dsn
from pyfix.delivery.local.base import EngineBase, Job, getpwnam, user_attr
from pyfix.delivery.local.command import (
    PIPE_CORRUPT,
    PIPE_OK,
    CommandSpec,
    run_command,
)
from pyfix.delivery.local.forward import pass_to_transport
from pyfix.delivery.local.settings import HDR_COMMAND, HDR_FILE
from pyfix.delivery.local.state import FAIL, MsgAttr, UserAttr
from pyfix.delivery.local.variables import ERROR, censor, local_expand
from pyfix.delivery.mailbox import (
    COPY_DELIVERED,
    COPY_FROM,
    COPY_MBOX,
    COPY_ORIG_RCPT,
    COPY_RETURN_PATH,
    COPY_TOFILE,
    CopyAttrs,
    MboxTarget,
    WriteResult,
    append_mbox,
    envelope_headers,
    run_in_child,
    write_maildir,
)
from pyfix.delivery.request import TRACE_ONLY
from pyfix.tables.base import TableError


class TargetSteps(EngineBase):

    def copy_attrs(self, attr: MsgAttr) -> CopyAttrs:
        return CopyAttrs(attr.sender, attr.rcpt.orig_address, attr.delivered,
                         self.settings.enable_original_recipient)

    def _report(self, job: Job, attr: MsgAttr, result: WriteResult, prefix: str,
                success: str) -> int:
        for warning in result.warnings:
            self.log.warn(warning)
        if result.corrupt:
            self.log.warn(f"{job.run.delivery.request.queue_id}: {result.reason}")
            return FAIL
        if result.ok:
            return job.run.sent(attr, Dsn.sent(success))
        return job.run.by_class(attr, Dsn.bounce(prefix + result.reason, result.status))

    async def deliver_mailbox(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int | None:
        run = job.run
        settings = self.settings
        attr = attr.deeper()
        if run.been_here(f"mailbox {attr.local}"):
            return 0
        if settings.mailbox_transport_maps is not None:
            try:
                transport = settings.mailbox_transport_maps.find(attr.user)
            except TableError:
                return run.defer(attr, Dsn.defer("table lookup failure", "4.3.0"))
            if transport is not None:
                return await pass_to_transport(run, attr, transport, settings.queue_directory)
        if settings.mailbox_transport:
            return await pass_to_transport(run, attr, settings.mailbox_transport,
                                           settings.queue_directory)
        pw = getpwnam(attr.user)
        if pw is None:
            return None
        usr = user_attr(pw)
        command = None
        if settings.mailbox_command_maps is not None:
            try:
                command = settings.mailbox_command_maps.find(attr.user)
            except TableError:
                return run.defer(attr, Dsn.defer("table lookup failure", "4.3.0"))
        if command is not None:
            return await self.deliver_command(job, attr, usr, command)
        if settings.mailbox_command:
            return await self.deliver_command(job, attr, usr, settings.mailbox_command)
        if settings.home_mailbox.endswith("/"):
            return await self.deliver_maildir(job, attr, usr,
                                              f"{usr.home}/{settings.home_mailbox}")
        if settings.mail_spool_directory.endswith("/"):
            return await self.deliver_maildir(
                job, attr, usr, f"{settings.mail_spool_directory}{attr.user}/")
        return await self.deliver_mailbox_file(job, attr, usr)

    async def deliver_mailbox_file(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        settings = self.settings
        if job.run.delivery.request.flags & TRACE_ONLY:
            return job.run.sent(attr, Dsn.sent("delivers to mailbox"))
        if not settings.frozen_delivered_to:
            attr = attr.replace(delivered=attr.rcpt.address)
        user_ids = (usr.uid, usr.gid)
        if settings.home_mailbox:
            mailbox = f"{usr.home}/{settings.home_mailbox}"
            open_ids = user_ids
        else:
            mailbox = f"{settings.mail_spool_directory}/{attr.user}"
            open_ids = self._spool_ids(usr)
        chown = None if open_ids[0] == usr.uid else user_ids
        flags = COPY_MBOX if settings.deliver_hdr_mask & HDR_FILE else COPY_MBOX & ~COPY_DELIVERED
        target = MboxTarget(mailbox, open_ids, user_ids, chown, settings.lock_policy)
        strict = settings.strict_mailbox_ownership

        def check(st: os.stat_result) -> tuple[str, str] | None:
            if not stat.S_ISREG(st.st_mode):
                return "5.2.0", f"destination {mailbox} is not a regular file"
            if strict and st.st_uid != usr.uid:
                return "4.2.0", f"destination {mailbox} is not owned by recipient"
            return None

        lines = job.lines
        copy = self.copy_attrs(attr)
        result = await run_in_child(lambda: append_mbox(target, lines(), copy, flags, check),
                                    *open_ids, settings.mailbox_size_limit)
        if not result.ok and result.reason.endswith("is not owned by recipient"):
            self.log.warn('specify "strict_mailbox_ownership = no" to ignore mailbox '
                          "ownership mismatch")
        return self._report(job, attr, result,
                            f"cannot update mailbox {mailbox} for user {attr.user}. ",
                            "delivered to mailbox")

    def _spool_ids(self, usr: UserAttr) -> tuple[int, int]:
        try:
            st = os.stat(self.settings.mail_spool_directory)
        except OSError:
            return usr.uid, usr.gid
        if st.st_mode & stat.S_IWOTH:
            return usr.uid, usr.gid
        if st.st_mode & stat.S_IWGRP:
            return usr.uid, st.st_gid
        return 0, 0

    async def deliver_maildir(self, job: Job, attr: MsgAttr, usr: UserAttr, path: str) -> int:
        settings = self.settings
        if job.run.delivery.request.flags & TRACE_ONLY:
            return job.run.sent(attr, Dsn.sent("delivers to maildir"))
        if not settings.frozen_delivered_to:
            attr = attr.replace(delivered=attr.rcpt.address)
        flags = COPY_TOFILE | COPY_RETURN_PATH | COPY_ORIG_RCPT
        if settings.deliver_hdr_mask & HDR_FILE:
            flags |= COPY_DELIVERED
        uid, gid = self.default_ids(usr)
        lines = job.lines
        copy = self.copy_attrs(attr)
        start = time.time()
        result = await run_in_child(lambda: write_maildir(path, lines(), copy, flags, start),
                                    uid, gid, settings.mailbox_size_limit)
        if not result.ok and result.errno == errno.EACCES:
            self.log.warn(f"maildir access problem for UID/GID={uid}/{gid}: {result.reason}")
            self.log.warn("perhaps you need to create the maildirs in advance")
        return self._report(job, attr, result, "maildir delivery failed: ",
                            "delivered to maildir")

    async def deliver_file(self, job: Job, attr: MsgAttr, usr: UserAttr, path: str) -> int:
        run = job.run
        settings = self.settings
        attr = attr.deeper()
        uid, gid = self.default_ids(usr)
        if run.been_here(f"file {uid} {path}"):
            return 0
        if not settings.file_deliver_mask & attr.exp_type:
            return run.bounce(attr, Dsn.bounce("mail to file is restricted", "5.7.1"))
        if run.delivery.request.flags & TRACE_ONLY:
            return run.sent(attr, Dsn.sent(f"delivers to file: {path}"))
        if path.endswith("/"):
            return await self.deliver_maildir(job, attr, UserAttr(uid, gid, usr.home), path)
        flags = COPY_MBOX if settings.deliver_hdr_mask & HDR_FILE else COPY_MBOX & ~COPY_DELIVERED
        target = MboxTarget(path, (uid, gid), (uid, gid), None, settings.lock_policy,
                            dotlock_may_fail=True)

        def check(st: os.stat_result) -> tuple[str, str] | None:
            if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
                return "5.7.1", "file is executable"
            return None

        lines = job.lines
        copy = self.copy_attrs(attr)
        result = await run_in_child(lambda: append_mbox(target, lines(), copy, flags, check),
                                    uid, gid, settings.mailbox_size_limit)
        return self._report(job, attr, result, f"cannot append message to file {path}: ",
                            f"delivered to file: {path}")

    def command_environment(self, job: Job, attr: MsgAttr, usr: UserAttr) -> dict[str, str]:
        req = job.run.delivery.request
        env: dict[str, str] = {}
        if usr.home:
            env["HOME"] = usr.home
        env.update({"LOGNAME": attr.user, "USER": attr.user, "SENDER": attr.sender,
                    "RECIPIENT": attr.rcpt.address, "LOCAL": attr.local})
        if usr.shell:
            env["SHELL"] = usr.shell
        if attr.domain:
            env["DOMAIN"] = attr.domain
        if attr.extension:
            env["EXTENSION"] = attr.extension
        if attr.rcpt.orig_address:
            env["ORIGINAL_RECIPIENT"] = attr.rcpt.orig_address
        for name, key in (("CLIENT_HOSTNAME", "name"), ("CLIENT_ADDRESS", "addr"),
                          ("CLIENT_HELO", "helo"), ("CLIENT_PROTOCOL", "protocol")):
            if req.client.get(key):
                env[name] = req.client[key]
        for name, key in (("SASL_METHOD", "sasl_method"), ("SASL_SENDER", "sasl_sender"),
                          ("SASL_USERNAME", "sasl_username")):
            if req.attributes.get(key):
                env[name] = req.attributes[key]
        allowed = self.settings.command_filter
        return {name: censor(value, allowed) for name, value in env.items()}

    async def deliver_command(self, job: Job, attr: MsgAttr, usr: UserAttr,
                              command: str) -> int:
        run = job.run
        settings = self.settings
        attr = attr.deeper()
        uid, gid = self.default_ids(usr)
        if run.been_here(f"command {uid}:{gid} {command}"):
            return 0
        if run.delivery.request.flags & TRACE_ONLY:
            return run.sent(attr, Dsn.sent(f"delivers to command: {command}"))
        flags = COPY_FROM | COPY_RETURN_PATH | COPY_ORIG_RCPT
        if settings.deliver_hdr_mask & HDR_COMMAND:
            flags |= COPY_DELIVERED
        cwd = settings.queue_directory
        if settings.exec_directory:
            cwd, status = local_expand(settings.exec_directory, attr, usr, settings,
                                       settings.exec_directory_filter, self.log.warn)
            if status & ERROR:
                self.log.warn("bad parameter value syntax for command_execution_directory: "
                              f"{settings.exec_directory}")
                return run.defer(attr, Dsn.defer("mail system configuration error", "4.3.5"))
        spec = CommandSpec(command, uid, gid, self.command_environment(job, attr, usr),
                           settings.export_environment, settings.local_command_shell, cwd,
                           settings.command_time_limit)
        result = await run_command(spec, envelope_headers(self.copy_attrs(attr), flags),
                                   job.lines())
        if result.fatal:
            self.log.fatal(result.fatal)  # Postfix's child logs this before it exits
        if result.status == PIPE_OK:
            return run.sent(attr, Dsn.sent(f"delivered to command: {command}"))
        if result.status == PIPE_CORRUPT:
            return FAIL
        return run.by_class(attr, Dsn.bounce(result.reason, result.dsn))
