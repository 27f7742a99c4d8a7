"""NAME
    pyfix.tables.unix - unix:passwd.byname and unix:group.byname

SUMMARY
    open_table()

DESCRIPTION
    Looks names up in the system password and group databases and
    returns the entry in /etc/passwd or /etc/group form, as Postfix's
    unix: table does.  The keys are user or group names.

    Parameters read: none.

DIAGNOSTICS
    TableOpenError for an unknown map name ("unknown table:
    unix:NAME").
"""

from __future__ import annotations

import grp
import pwd

from pyfix.tables.base import FIXED, Table, TableOpenError


class PasswdTable(Table):
    dict_type = "unix"
    impl_flags = FIXED

    def lookup(self, key: str) -> str | None:
        try:
            pw = pwd.getpwnam(self.fold(key))
        except KeyError:
            return None
        return ":".join(
            (pw.pw_name, pw.pw_passwd, str(pw.pw_uid), str(pw.pw_gid), pw.pw_gecos, pw.pw_dir,
             pw.pw_shell)
        )


class GroupTable(Table):
    dict_type = "unix"
    impl_flags = FIXED

    def lookup(self, key: str) -> str | None:
        try:
            gr = grp.getgrnam(self.fold(key))
        except KeyError:
            return None
        return f"{gr.gr_name}:{gr.gr_passwd}:{gr.gr_gid}:{','.join(gr.gr_mem)}"


def open_table(name: str, flags: int) -> Table:
    if name == "passwd.byname":
        return PasswdTable(name, flags)
    if name == "group.byname":
        return GroupTable(name, flags)
    raise TableOpenError(f"unknown table: unix:{name}")
