"""NAME
    pyfix.smtpd.unlisted - reject addresses that their address class does not list

SUMMARY
    Unlisted, UnlistedAddress, dsn_fix(), RECIPIENT, SENDER

DESCRIPTION
    Unlisted(config, local).check(address, reply, role) is Postfix's
    test behind reject_unlisted_recipient and reject_unlisted_sender
    (and smtpd_reject_unlisted_recipient / smtpd_reject_unlisted_sender)
    for one address, given trivial-rewrite's answer for it
    (pyfix.smtpd.resolve): the address class and the final address
    come from the rewrite service; the tables, reply codes and the
    local-domain test of the table search belong to smtpd itself (its
    own view, -o overrides included).  role is RECIPIENT or SENDER: it
    gives the reply's wording ("Recipient address rejected", "Sender
    address rejected") and the enhanced status codes.

    - An address that recipient_canonical_maps, canonical_maps or
      virtual_alias_maps lists is known (a sender also when
      sender_canonical_maps lists it).
    - An address that trivial-rewrite sends to the "error" transport
      (virtual alias domains; transport_maps or relocated_maps
      entries) is refused with the transport's text: "550 5.1.1 <rcpt>:
      Recipient address rejected: User unknown in virtual alias table"
      ($unknown_virtual_alias_reject_code for the virtual alias class);
      "retry" gives 450.  The status is fixed as Postfix's smtpd does
      for the address's role (dsn_fix(): X.1.1 is 5.1.7 for a sender,
      X.1.7 is X.1.3 for a recipient, ...), with the info line "mapping
      DSN status 5.1.1 into Sender address status 5.1.7" when it
      changes; its first digit follows the reply code.
    - Then by class: local ($local_recipient_maps, except the
      postmaster, MAILER-DAEMON and $double_bounce_sender users),
      virtual mailbox ($virtual_mailbox_maps) and relay
      ($relay_recipient_maps); an empty table list accepts everyone.
      An unknown user gets "$unknown_..._reject_code 5.1.1 <rcpt>:
      Recipient address rejected: User unknown in local recipient
      table" (virtual mailbox table, relay recipient table; no table
      name with show_user_unknown_table_name = no); a sender
      "... X.1.0 <sender>: Sender address rejected: User unknown in
      ...".

    Tables are searched for the final address with the default
    search order, the bare local part only when the domain is local to
    smtpd ($myorigin, or $mydestination and the address literals of
    smtpd's own inet_interfaces and proxy_interfaces).

    Whether smtpd runs the test without an explicit restriction
    (smtpd_reject_unlisted_recipient, smtpd_reject_unlisted_sender) is
    pyfix.smtpd.checks.smtpd's business.

    Parameters read: recipient_canonical_maps,
    sender_canonical_maps, canonical_maps, virtual_alias_maps,
    local_recipient_maps, virtual_mailbox_maps, relay_recipient_maps,
    unknown_local_recipient_reject_code,
    unknown_virtual_alias_reject_code,
    unknown_virtual_mailbox_reject_code,
    unknown_relay_recipient_reject_code, show_user_unknown_table_name,
    double_bounce_sender, recipient_delimiter, myorigin.

DIAGNOSTICS
    Table lookup failures raise pyfix.tables.base.TableError
    (TableRetryError: try again), for the caller to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.config.store import Config
from pyfix.delivery.error import dsn_split
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import ResolveFlag, ResolveReply
from pyfix.rewrite.transport import MAIL_SERVICE_ERROR, MAIL_SERVICE_RETRY
from pyfix.smtp.replies import Reply
from pyfix.tables import search
from pyfix.tables.maps import Maps


@dataclass(frozen=True, slots=True)
class Role:
    """Whose address is checked: the reply wording and, by the last digit
    of an X.1.Y status, the detail that smtpd gives such an address
    (measured on Postfix 3.7: tests/smtpd/test_unlisted_live.py)."""

    reply_class: str
    dsn_detail: dict[str, str]
    # the status of "User unknown in ... table" for this role
    unknown_detail: str


RECIPIENT = Role("Recipient address", {"1": "1.1", "2": "1.2", "3": "1.3", "4": "1.4", "5": "1.5",
                                       "6": "1.6", "7": "1.3", "8": "1.2"}, "1.1")
SENDER = Role("Sender address", {"1": "1.7", "2": "1.8", "3": "1.7", "4": "1.7", "6": "1.7",
                                 "7": "1.7", "8": "1.8"}, "1.0")
# (class flag, table parameter, reply code parameter, table name in the reply)
CLASS_TABLES = (
    (ResolveFlag.CLASS_LOCAL, "local_recipient_maps", "unknown_local_recipient_reject_code",
     "local recipient table"),
    (ResolveFlag.CLASS_VIRTUAL, "virtual_mailbox_maps", "unknown_virtual_mailbox_reject_code",
     "virtual mailbox table"),
    (ResolveFlag.CLASS_RELAY, "relay_recipient_maps", "unknown_relay_recipient_reject_code",
     "relay recipient table"),
)


def dsn_fix(status: str, role: Role = RECIPIENT) -> str:
    """An X.1.Y status in the form that smtpd gives the role's address."""
    if status[1:4] != ".1.":
        return status
    return f"{status[0]}.{role.dsn_detail.get(status[4:], '1.0')}"


@dataclass(frozen=True, slots=True)
class UnlistedAddress:
    """Why an address is refused: the reply, and the info line that
    Postfix logs before the reject when it fixed the status."""

    reply: Reply
    note: str | None = None


def _maps(config: Config, name: str, warn: Callable[[str], None]) -> Maps | None:
    spec = config.get(name)
    return Maps(name, spec, warn=warn) if spec else None


class Unlisted:
    def __init__(self, config: Config, local: LocalDestination,
                 warn: Callable[[str], None] = msg_warn) -> None:
        self.local = local
        self.myorigin = config.get("myorigin").lower()
        self.recipient_delimiter = config.get("recipient_delimiter")
        self.show_table = config.get_bool("show_user_unknown_table_name")
        self.alias_code = config.get_int("unknown_virtual_alias_reject_code")
        self.exempt = tuple(f"{user.lower()}@" for user in (
            "postmaster", "MAILER-DAEMON", config.get("double_bounce_sender")))
        self.accepting = [m for m in (_maps(config, name, warn) for name in (
            "recipient_canonical_maps", "canonical_maps", "virtual_alias_maps"))
            if m is not None]
        self.sender_canonical = _maps(config, "sender_canonical_maps", warn)
        self.by_class = [(flag, _maps(config, table, warn), config.get_int(code), title)
                         for flag, table, code, title in CLASS_TABLES]

    def is_local_domain(self, domain: str) -> bool:
        """Does the bare local part count in a table search (unlisted.py's
        and smtpd_sender_login_maps')?"""
        return domain.lower() == self.myorigin or self.local.resolve_local(domain)

    def _listed(self, maps: Maps, address: str) -> bool:
        value, _ = search.find_address(maps, address, search.DEFAULT,
                                       recipient_delimiter=self.recipient_delimiter,
                                       is_local_domain=self.is_local_domain)
        return value is not None

    def _known(self, final: str, role: Role) -> bool:
        accepting = list(self.accepting)
        if role is SENDER and self.sender_canonical is not None:
            accepting.insert(0, self.sender_canonical)
        return any(self._listed(maps, final) for maps in accepting)

    def check(self, address: str, reply: ResolveReply,
              role: Role = RECIPIENT) -> UnlistedAddress | None:
        """None when the address is listed (or its class lists nobody);
        else why it is refused."""
        final = reply.recipient
        if self._known(final, role):
            return None
        what = f"<{address}>: {role.reply_class} rejected:"
        if reply.transport in (MAIL_SERVICE_ERROR, MAIL_SERVICE_RETRY):
            error = reply.transport == MAIL_SERVICE_ERROR
            status, text = dsn_split("5.1.1" if error else "4.1.1", reply.nexthop)
            code = 450
            if error:
                code = self.alias_code if reply.flags & ResolveFlag.CLASS_ALIAS else 550
            fixed = dsn_fix(status, role)
            note = (f"mapping DSN status {status} into {role.reply_class} status {fixed}"
                    if fixed != status else None)
            status = str(code)[0] + fixed[1:]
            return UnlistedAddress(Reply(code, status, f"{what} {text}"), note)
        for flag, maps, code, title in self.by_class:
            if not reply.flags & flag or maps is None:
                continue
            if flag == ResolveFlag.CLASS_LOCAL and final.lower().startswith(self.exempt):
                return None
            if self._listed(maps, final):
                return None
            table = f" in {title}" if self.show_table else ""
            return UnlistedAddress(Reply(code, f"{str(code)[0]}.{role.unknown_detail}",
                                         f"{what} User unknown{table}"))
        return None
