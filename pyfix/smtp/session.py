"""NAME
    pyfix.smtp.session - per-connection and per-transaction SMTP state

SUMMARY
    ClientInfo, Session, MailState, RcptState

DESCRIPTION
    Session is everything the SMTP server knows about one connection:
    the client, the HELO name and protocol (SMTP or ESMTP), the stage
    for "lost connection after ..." (where), the error and junk command
    counters, the EHLO keywords discarded for this client, and the
    current mail transaction.

    The transaction is split like Postfix's own resets:
    MailState (sender, MAIL parameters, message size and content errors,
    BDAT state) is replaced by mail_reset(); RcptState (recipient count,
    first recipient, recipient overshoot) by rcpt_reset().  A session is
    "in a mail transaction" while MailState.sender is not None.  A MAIL
    command that fails leaves MailState alone, as in Postfix, so that a
    SIZE= value it parsed is still checked by the next MAIL command.

    ClientInfo.namaddr is Postfix's "name[addr]" (":port" appended with
    smtpd_client_port_logging), used in replies and log lines.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pyfix.smtp.logfields import printable
from pyfix.smtp.params import MailParams
from pyfix.smtp.replies import Reply

NEUTER_CHARACTERS = " <>()\\\";@"


class BdatState(Enum):
    NONE = "none"  # not processing BDAT
    OK = "ok"  # accepting BDAT chunks
    ERROR = "error"  # skipping BDAT chunks until BDAT LAST or RSET


class ContentError(Enum):
    SIZE = "size"  # message_size_limit exceeded
    BARE_LF = "bare_lf"  # bare newline with smtpd_forbid_bare_newline = reject


@dataclass(frozen=True)
class ClientInfo:
    name: str = "unknown"
    addr: str = "unknown"
    port: str = "unknown"
    port_logging: bool = False

    @property
    def namaddr(self) -> str:
        text = f"{self.name}[{self.addr}]"
        if self.port_logging and self.port != "unknown":
            text += f":{self.port}"
        return text


@dataclass
class MailState:
    """What mail_reset() clears."""

    sender: str | None = None
    params: MailParams = field(default_factory=MailParams)
    msg_size: int = 0  # the SIZE= value; kept across a failed MAIL
    act_size: int = 0  # content bytes counted as Postfix does (line + 2)
    errors: set[ContentError] = field(default_factory=set)
    bdat: BdatState = BdatState.NONE
    bdat_pending: bytearray = field(default_factory=bytearray)  # partial line
    bdat_prev_cont: bool = False
    queue_id: str | None = None

    @property
    def smtputf8(self) -> bool:
        return self.params.smtputf8


@dataclass
class RcptState:
    """What rcpt_reset() clears."""

    count: int = 0
    first: str | None = None
    overshoot: int = 0


def neuter_helo(name: str, utf8: bool = True) -> str:
    """printable() then Postfix's NEUTER_CHARACTERS become "?"."""
    return "".join("?" if ch in NEUTER_CHARACTERS else ch for ch in printable(name, utf8))


@dataclass
class Session:
    client: ClientInfo = field(default_factory=ClientInfo)
    helo_name: str | None = None
    protocol: str = "SMTP"
    where: str = "CONNECT"
    reason: str | None = None
    error_count: int = 0
    error_mask: set[str] = field(default_factory=set)
    junk_cmds: int = 0
    access_denied: Reply | None = None
    ill_pipelining: bool = False
    hangup: bool = False
    discard: frozenset[str] = frozenset()
    tls_active: bool = False
    mail: MailState = field(default_factory=MailState)
    rcpt: RcptState = field(default_factory=RcptState)

    @property
    def in_mail_transaction(self) -> bool:
        return self.mail.sender is not None

    @property
    def processing_bdat(self) -> bool:
        return self.mail.bdat is not BdatState.NONE

    @property
    def queue_id_or_noqueue(self) -> str:
        return self.mail.queue_id or "NOQUEUE"

    def mail_reset(self) -> None:
        self.mail = MailState()

    def rcpt_reset(self) -> None:
        self.rcpt = RcptState()

    def helo_reset(self) -> None:
        self.helo_name = None

    def transaction_reset(self) -> None:
        self.mail_reset()
        self.rcpt_reset()

    def set_helo(self, name: str, extended: bool, utf8: bool = True) -> None:
        self.helo_reset()
        self.transaction_reset()
        self.helo_name = neuter_helo(name, utf8)
        if extended:
            self.protocol = "ESMTP"
        elif self.protocol not in ("SMTP", "ESMTP"):
            self.protocol = "SMTP"
