"""NAME
    pyfix.delivery.local.base - the parts of local(8) that every step uses

SUMMARY
    Job, EngineBase, user_attr(), getpwnam()

DESCRIPTION
    Job is one top-level recipient of a delivery request on its way
    through the expansion tree: the RecipientRun that reports, the
    Forwarder that collects resubmitted addresses, the Delivered-To:
    addresses already in the message (for loop detection), and access
    to the message content.

    EngineBase holds what the steps share (settings, address rewriting
    and resolution, the service name) and declares the steps that the
    modules recipient.py, alias.py and targets.py implement, so that
    each can call the others.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

import pwd
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.delivery.local.state import MsgAttr, RecipientRun, UserAttr

if TYPE_CHECKING:
    from pyfix.delivery.local.forward import Forwarder
    from pyfix.delivery.local.settings import LocalSettings
    from pyfix.log.maillog import MailLog
    from pyfix.queue.reader import QueueFile
    from pyfix.rewrite.reply import ResolveReply


def getpwnam(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except (KeyError, ValueError):
        return None


def user_attr(pw: pwd.struct_passwd) -> UserAttr:
    return UserAttr(pw.pw_uid, pw.pw_gid, pw.pw_dir, pw.pw_name, pw.pw_shell)


@dataclass
class Job:
    run: RecipientRun
    forwarder: Forwarder
    loop_info: frozenset[str]
    queue_file: QueueFile

    def lines(self) -> Iterator[bytes]:
        return self.queue_file.iter_lines()


class EngineBase:
    settings: LocalSettings
    relay: str  # this service's name: addresses that resolve to it stay here
    log: MailLog
    rewrite: Callable[[str, str], str]  # trivial-rewrite's rewrite_addr(context, external)
    resolve: Callable[[str], ResolveReply]  # trivial-rewrite's resolve (internal form)

    def canonical(self, address: str) -> str:
        """canon_addr_internal(): user -> user@$myorigin, internal form."""
        return unquote_822_local(self.rewrite("local", quote_822_local(address)))

    def default_ids(self, usr: UserAttr) -> tuple[int, int]:
        """The uid/gid for files and commands: default_privs instead of root."""
        uid = usr.uid or self.settings.default_uid
        gid = usr.gid or self.settings.default_gid
        return uid, gid

    # Steps, implemented in recipient.py, alias.py and targets.py ---------------

    async def deliver_recipient(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        raise NotImplementedError

    async def deliver_indirect(self, job: Job, attr: MsgAttr) -> int:
        raise NotImplementedError

    async def deliver_token_string(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   text: str) -> tuple[int, int]:
        raise NotImplementedError

    async def deliver_token_stream(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   data: bytes) -> tuple[int, int]:
        raise NotImplementedError

    async def deliver_resolve_addr(self, job: Job, attr: MsgAttr, usr: UserAttr,
                                   address: str) -> int:
        raise NotImplementedError

    async def deliver_alias(self, job: Job, attr: MsgAttr, usr: UserAttr,
                            name: str) -> int | None:
        raise NotImplementedError

    async def deliver_dotforward(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int | None:
        raise NotImplementedError

    async def deliver_mailbox(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int | None:
        raise NotImplementedError

    async def deliver_file(self, job: Job, attr: MsgAttr, usr: UserAttr, path: str) -> int:
        raise NotImplementedError

    async def deliver_command(self, job: Job, attr: MsgAttr, usr: UserAttr,
                              command: str) -> int:
        raise NotImplementedError

    async def deliver_unknown(self, job: Job, attr: MsgAttr, usr: UserAttr) -> int:
        raise NotImplementedError
