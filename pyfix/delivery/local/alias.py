"""NAME
    pyfix.delivery.local.alias - aliases(5) and .forward expansion

SUMMARY
    AliasSteps, table_owner()

DESCRIPTION
    deliver_alias() looks a name up in each alias_maps table in turn,
    as Postfix's local does:

    - a name found in its own expansion is delivered to the user
      instead ("root: root, other");
    - past 100 levels: "alias database loop for NAME" (5.4.6);
    - "|command" and /file destinations run with the rights of the
      alias database owner, or of default_privs when root owns it;
    - with owner_request_special, an "owner-NAME" alias becomes the
      envelope sender of the expansion (its value with
      expand_owner_alias), and then the DSN envelope ID, RET and the
      original recipient are not passed on; the expansion is then
      resubmitted as a new message;
    - NOTIFY=SUCCESS is not passed on; instead an "expanded" DSN
      ("delivered" for a list with owner-) is recorded in the trace
      log ("alias expanded");
    - an alias without any address: "no recipient in alias lookup
      result for NAME" (warning), deferred "alias database
      unavailable"; a table error defers with the same text.

    deliver_dotforward() searches forward_path for the first file that
    exists and delivers its contents with the user's rights; the file
    must be a regular file owned by the user (or root) and not world
    writable, or it is ignored with a warning.  An empty .forward means
    normal mailbox delivery.  A .forward that names the user delivers to
    the mailbox.

    Parameters read: see settings.py.

DIAGNOSTICS
    Postfix's warnings: "TYPE:NAME: lookup of 'KEY' failed", "file PATH
    is not a regular file", "file PATH has bad owner uid N", "file PATH
    is world writable", "cannot open file PATH: REASON".
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import stat

from pyfix.delivery.dsn import DSN_NOTIFY_SUCCESS, Dsn
from pyfix.delivery.local.base import EngineBase, Job, getpwnam, user_attr
from pyfix.delivery.local.forward import strip_success
from pyfix.delivery.local.settings import EXT_PROP_FORWARD
from pyfix.delivery.local.state import EXPAND_ALIAS, EXPAND_FORWARD, OK, MsgAttr, UserAttr
from pyfix.delivery.local.variables import ERROR, EXTENSION_MATCHED, UNDEF, local_expand
from pyfix.delivery.request import FLAG_MTA_VRFY
from pyfix.tables.base import Table, TableError

NESTING_LIMIT = 100
_INDEX_SUFFIXES = (".db", ".lmdb", ".cdb", "")


def table_owner(table: Table) -> int:
    """The uid that owns a table's file (0 when there is no file)."""
    if not table.name.startswith("/"):
        return 0
    for suffix in _INDEX_SUFFIXES:
        try:
            return os.stat(table.name + suffix).st_uid
        except OSError:
            continue
    return 0


class AliasSteps(EngineBase):

    async def deliver_alias(self, job: Job, attr: MsgAttr, usr: UserAttr,
                            name: str) -> int | None:
        run = job.run
        maps = self.settings.alias_maps
        attr = attr.deeper()
        if attr.exp_from is not None and attr.exp_from.lower() == name.lower():
            return None
        if attr.level > NESTING_LIMIT:
            self.log.warn(f"alias database loop for {name}")
            return run.bounce(attr, Dsn.bounce(f"alias database loop for {name}", "5.4.6"))
        if maps is None:
            return None
        attr = attr.replace(exp_from=name)
        maps.refresh()
        for table in maps.tables:
            try:
                value = table.lookup(name)
            except TableError:
                self.log.warn(f"{table.dict_type}:{table.name}: lookup of '{name}' failed")
                return run.defer(attr, Dsn.defer("alias database unavailable", "4.3.0"))
            if value is None:
                continue
            return await self._expand_alias(job, attr, usr, name, table, value)
        return None

    async def _expand_alias(self, job: Job, attr: MsgAttr, usr: UserAttr, name: str,
                            table: Table, value: str) -> int:
        run = job.run
        settings = self.settings
        if job.run.delivery.request.flags & FLAG_MTA_VRFY:
            return run.sent(attr, Dsn.sent(f"aliased to {value}"))
        attr = attr.replace(exp_type=EXPAND_ALIAS)
        owner_uid = table_owner(table)
        if owner_uid == 0:
            usr = UserAttr()
        else:
            try:
                usr = user_attr(pwd.getpwuid(owner_uid))
            except KeyError:
                self.log.warn(f"cannot find alias database owner for {table.spec}")
                return run.defer(attr, Dsn.defer("cannot find alias database owner", "4.3.0"))
        canon_owner = None
        if settings.owner_request_special:
            assert settings.alias_maps is not None
            try:
                owner_rhs = settings.alias_maps.find(f"owner-{name}")
            except TableError:
                return run.defer(attr, Dsn.defer("alias database unavailable", "4.3.0"))
            if owner_rhs is not None:
                canon_owner = self.canonical(owner_rhs if settings.expand_owner_alias
                                             else f"owner-{name}")
                attr = attr.replace(owner=canon_owner, sender=canon_owner)
            elif settings.reset_owner_alias:
                attr = attr.replace(owner=None)
        if not settings.frozen_delivered_to:
            attr = attr.replace(delivered=attr.rcpt.address)
        saved = attr
        rcpt = dataclasses.replace(attr.rcpt, dsn_notify=strip_success(attr.rcpt.dsn_notify))
        if canon_owner is not None:
            rcpt = dataclasses.replace(rcpt, dsn_orcpt="", orig_address="")
            attr = attr.replace(dsn_envid="", dsn_ret=0)
        attr = attr.replace(rcpt=rcpt)
        status, count = await self.deliver_token_string(job, attr, usr, value)
        if count < 1:
            self.log.warn(f"no recipient in alias lookup result for {name}")
            return run.defer(attr, Dsn.defer("alias database unavailable", "4.3.0"))
        if saved.rcpt.dsn_notify & DSN_NOTIFY_SUCCESS:
            run.trace(saved, Dsn("2.0.0", "delivered" if canon_owner else "expanded",
                                 "alias expanded"))
        return status

    async def deliver_dotforward(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int | None:
        run = job.run
        settings = self.settings
        attr = attr.deeper()
        if not settings.forward_path.strip():
            return None
        pw = getpwnam(attr.user)
        if pw is None:
            return None
        if not settings.frozen_delivered_to:
            attr = attr.replace(delivered=attr.rcpt.address)
        usr = user_attr(pw)
        attr = attr.replace(exp_type=EXPAND_FORWARD, owner=attr.user)
        found_path = None
        st = None
        for entry in settings.forward_path.replace(",", " ").split():
            path, status = local_expand(entry, attr, usr, settings, settings.forward_filter,
                                        self.log.warn)
            if status & (ERROR | UNDEF):
                continue
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if status & EXTENSION_MATCHED or not settings.ext_prop_mask & EXT_PROP_FORWARD:
                attr = attr.replace(unmatched=None)
            found_path = path
            break
        if found_path is None or st is None:
            return None
        if run.delivery.request.flags & FLAG_MTA_VRFY:
            return run.sent(attr, Dsn.sent(f"forward via file: {found_path}"))
        if run.been_here(f"forward {found_path}"):
            return OK if run.been_here_check(f"forward-done {found_path}") else None
        attr = attr.replace(exp_from=attr.local)
        data = self._read_forward(found_path, st, usr)
        if data is None:
            return None
        saved_notify = attr.rcpt.dsn_notify
        attr = attr.replace(rcpt=dataclasses.replace(attr.rcpt,
                                                     dsn_notify=strip_success(saved_notify)))
        status, count = await self.deliver_token_stream(job, attr, usr, data)
        if count <= 0:
            return None
        run.been_here(f"forward-done {found_path}")
        if status == OK and saved_notify & DSN_NOTIFY_SUCCESS:
            run.trace(attr.replace(rcpt=dataclasses.replace(attr.rcpt, dsn_notify=saved_notify)),
                      Dsn("2.0.0", "expanded", "alias expanded"))
        return status

    def _read_forward(self, path: str, st: os.stat_result, usr: UserAttr) -> bytes | None:
        if not stat.S_ISREG(st.st_mode):
            self.log.warn(f"file {path} is not a regular file")
        elif st.st_uid != 0 and st.st_uid != usr.uid:
            self.log.warn(f"file {path} has bad owner uid {st.st_uid}")
        elif st.st_mode & 0o002:
            self.log.warn(f"file {path} is world writable")
        else:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError as exc:
                self.log.warn(f"cannot open file {path}: {exc.strerror}")
                return None
            with os.fdopen(fd, "rb") as fp:
                return fp.read()
        return None
