"""NAME
    pyfix.delivery.pipe_attr - the command attributes of a pipe(8) service

SUMMARY
    PipeAttr, parse_pipe_attr(), unescape()

DESCRIPTION
    A pipe service's master.cf command arguments (after the daemon
    options) are its attributes, as pipe(8) describes them:

        flags=BDFORXhqu.>   message and argument processing flags
        user=name[:group]   required; the command's privileges
        size=N              bounce messages larger than N bytes
        eol=STRING          output line end, with C escapes (default \\n)
        directory=PATH      working directory (default $queue_directory)
        chroot=PATH         root directory for the command
        null_sender=TEXT    what the null sender becomes (MAILER-DAEMON)
        argv=COMMAND ...    required and last: the command and arguments

    Attribute names are matched without regard to case, as Postfix does.
    "{ ... }" around an argument (arguments with spaces, empty ones) is
    removed by the master.cf parser before this module sees it.

    The user must not be root nor $mail_owner, and the group must not
    be 0, the $mail_owner's group nor the $setgid_group.

    Parameters read: mail_owner, setgid_group (passed in by the caller).

DIAGNOSTICS
    PipeConfigError with Postfix's fatal text ("missing user=
    command-line attribute", "get_service_attr: unknown username: X",
    "unknown flag: Z (ignored)", "unknown attribute name: X", ...).
"""

from __future__ import annotations

import grp
import pwd
from dataclasses import dataclass
from typing import Final

from pyfix.delivery.error import AgentConfigError

FLAG_CHARS: Final = "BDFORXhqu.>"
_ESCAPES: Final = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                   "v": "\v"}
MAIL_ADDR_MAIL_DAEMON: Final = "MAILER-DAEMON"


class PipeConfigError(AgentConfigError):
    """A bad pipe(8) attribute; str() is Postfix's fatal text."""


@dataclass(frozen=True)
class PipeAttr:
    command: tuple[str, ...]
    uid: int
    gid: int
    flags: frozenset[str] = frozenset()
    exec_dir: str | None = None
    chroot_dir: str | None = None
    eol: bytes = b"\n"
    null_sender: str = MAIL_ADDR_MAIL_DAEMON
    size_limit: int = 0

    def has(self, flag: str) -> bool:
        return flag in self.flags


def unescape(text: str) -> str:
    """C-style backslash escapes: \\a \\b \\f \\n \\r \\t \\v \\ddd, \\x -> x."""
    out: list[str] = []
    index = 0
    while index < len(text):
        ch = text[index]
        index += 1
        if ch != "\\":
            out.append(ch)
            continue
        if index >= len(text):
            break
        ch = text[index]
        index += 1
        if ch in "01234567":
            value = int(ch)
            for _ in range(2):
                if index < len(text) and text[index] in "01234567":
                    value = value * 8 + int(text[index])
                    index += 1
                else:
                    break
            out.append(chr(value & 0xFF))
        else:
            out.append(_ESCAPES.get(ch, ch))
    return "".join(out)


def _size(text: str) -> int:
    if not text or not text.isascii() or not text.isdigit():
        raise PipeConfigError(f"get_service_attr: bad size= value: {text}")
    return int(text)


def _user(spec: str) -> tuple[int, int]:
    user, sep, group = spec.partition(":")
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        raise PipeConfigError(f"get_service_attr: unknown username: {user}") from None
    gid = pw.pw_gid
    if sep and group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise PipeConfigError(f"get_service_attr: unknown group: {group}") from None
    return pw.pw_uid, gid


def _owner_ids(mail_owner: str) -> tuple[int, int]:
    try:
        pw = pwd.getpwnam(mail_owner)
    except KeyError:
        return -1, -1
    return pw.pw_uid, pw.pw_gid


def _group_id(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return -1


def parse_pipe_attr(args: list[str], mail_owner: str, setgid_group: str) -> PipeAttr:
    """The attributes in args (the command arguments), checked."""
    flags: set[str] = set()
    ids: tuple[int, int] | None = None
    command: tuple[str, ...] | None = None
    exec_dir: str | None = None
    chroot_dir: str | None = None
    eol = b"\n"
    null_sender = MAIL_ADDR_MAIL_DAEMON
    size_limit = 0
    for index, arg in enumerate(args):
        name, sep, value = arg.partition("=")
        key = name.lower() if sep else ""
        if key == "flags":
            for ch in value:
                if ch not in FLAG_CHARS:
                    raise PipeConfigError(f"unknown flag: {ch} (ignored)")
                flags.add(ch)
        elif key == "user":
            ids = _user(value)
        elif key == "directory":
            exec_dir = value
        elif key == "chroot":
            chroot_dir = value
        elif key == "eol":
            eol = unescape(value).encode("latin-1", "replace")
        elif key == "null_sender":
            null_sender = value
        elif key == "size":
            size_limit = _size(value)
        elif key == "argv":
            command = (value, *args[index + 1:])
            break
        else:
            raise PipeConfigError(f"unknown attribute name: {arg}")
    if ids is None:
        raise PipeConfigError("missing user= command-line attribute")
    if command is None:
        raise PipeConfigError("missing argv= command-line attribute")
    uid, gid = ids
    owner_uid, owner_gid = _owner_ids(mail_owner)
    if uid == 0:
        raise PipeConfigError("user= command-line attribute specifies root privileges")
    if uid == owner_uid:
        raise PipeConfigError(
            f"user= command-line attribute specifies mail system owner {mail_owner}")
    if gid == 0:
        raise PipeConfigError(
            "user= command-line attribute specifies privileged group id 0")
    if gid == owner_gid:
        raise PipeConfigError(f"user= command-line attribute specifies mail system owner "
                              f"{mail_owner} group id {gid}")
    if gid == _group_id(setgid_group):
        raise PipeConfigError(f"user= command-line attribute specifies mail system "
                              f"{setgid_group} group id {gid}")
    return PipeAttr(command, uid, gid, frozenset(flags), exec_dir, chroot_dir, eol,
                    null_sender, size_limit)
