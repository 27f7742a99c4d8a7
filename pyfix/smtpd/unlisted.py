"""NAME
    pyfix.smtpd.unlisted - reject recipients that the address class does not list

SUMMARY
    UnlistedRecipient

DESCRIPTION
    UnlistedRecipient(config, local).check(recipient, reply) is Postfix's
    smtpd_reject_unlisted_recipient check for one RCPT TO address,
    given trivial-rewrite's answer for it (pyfix.smtpd.resolve): the
    address class and the final recipient come from the rewrite
    service; the tables, reply codes and the local-domain test of the
    table search belong to smtpd itself (its own view, -o overrides
    included).

    - A recipient that recipient_canonical_maps, canonical_maps or
      virtual_alias_maps lists is accepted.
    - A recipient that trivial-rewrite sends to the "error" transport
      (virtual alias domains; transport_maps or relocated_maps
      entries) is refused with the transport's text: "550 5.1.1 <rcpt>:
      Recipient address rejected: User unknown in virtual alias table"
      ($unknown_virtual_alias_reject_code for the virtual alias class);
      "retry" gives 450.  The status is fixed as Postfix's
      smtpd_dsn_fix() does, and its first digit follows the reply code.
    - Then by class: local ($local_recipient_maps, except the
      postmaster, MAILER-DAEMON and $double_bounce_sender users),
      virtual mailbox ($virtual_mailbox_maps) and relay
      ($relay_recipient_maps); an empty table list accepts everyone.
      An unknown user gets "$unknown_..._reject_code 5.1.1 <rcpt>:
      Recipient address rejected: User unknown in local recipient
      table" (virtual mailbox table, relay recipient table; no table
      name with show_user_unknown_table_name = no).

    Tables are searched for the final recipient with the default
    search order, the bare local part only when the domain is local to
    smtpd ($myorigin, or $mydestination and the address literals of
    smtpd's own inet_interfaces and proxy_interfaces).

    Parameters read: smtpd_reject_unlisted_recipient,
    recipient_canonical_maps, canonical_maps, virtual_alias_maps,
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

from pyfix.config.store import Config
from pyfix.delivery.error import dsn_split
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import ResolveFlag, ResolveReply
from pyfix.rewrite.transport import MAIL_SERVICE_ERROR, MAIL_SERVICE_RETRY
from pyfix.smtp.replies import Reply
from pyfix.tables import search
from pyfix.tables.maps import Maps

# The rcpt_dsn column of Postfix's smtpd_dsn_fix() table, by the last digit
# of an X.1.Y status.
RCPT_DSN_DETAIL = {"1": "1.1", "2": "1.2", "3": "1.3", "4": "1.4", "5": "1.5", "6": "1.6",
                   "7": "1.3", "8": "1.2"}
# (class flag, table parameter, reply code parameter, table name in the reply)
CLASS_TABLES = (
    (ResolveFlag.CLASS_LOCAL, "local_recipient_maps", "unknown_local_recipient_reject_code",
     "local recipient table"),
    (ResolveFlag.CLASS_VIRTUAL, "virtual_mailbox_maps", "unknown_virtual_mailbox_reject_code",
     "virtual mailbox table"),
    (ResolveFlag.CLASS_RELAY, "relay_recipient_maps", "unknown_relay_recipient_reject_code",
     "relay recipient table"),
)


def rcpt_dsn_fix(status: str) -> str:
    """smtpd_dsn_fix() for a recipient: X.1.Y becomes the recipient form."""
    if status[1:4] != ".1.":
        return status
    return f"{status[0]}.{RCPT_DSN_DETAIL.get(status[4:], '1.0')}"


def _maps(config: Config, name: str, warn: Callable[[str], None]) -> Maps | None:
    spec = config.get(name)
    return Maps(name, spec, warn=warn) if spec else None


class UnlistedRecipient:
    def __init__(self, config: Config, local: LocalDestination,
                 warn: Callable[[str], None] = msg_warn) -> None:
        self.enabled = config.get_bool("smtpd_reject_unlisted_recipient")
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
        self.by_class = [(flag, _maps(config, table, warn), config.get_int(code), title)
                         for flag, table, code, title in CLASS_TABLES]

    def _is_local(self, domain: str) -> bool:
        return domain.lower() == self.myorigin or self.local.resolve_local(domain)

    def _listed(self, maps: Maps, address: str) -> bool:
        value, _ = search.find_address(maps, address, search.DEFAULT,
                                       recipient_delimiter=self.recipient_delimiter,
                                       is_local_domain=self._is_local)
        return value is not None

    def check(self, recipient: str, reply: ResolveReply) -> Reply | None:
        """None to accept; the reply that refuses the recipient."""
        if not self.enabled:
            return None
        final = reply.recipient
        if any(self._listed(maps, final) for maps in self.accepting):
            return None
        if reply.transport in (MAIL_SERVICE_ERROR, MAIL_SERVICE_RETRY):
            error = reply.transport == MAIL_SERVICE_ERROR
            status, text = dsn_split("5.1.1" if error else "4.1.1", reply.nexthop)
            code = 450
            if error:
                code = self.alias_code if reply.flags & ResolveFlag.CLASS_ALIAS else 550
            status = str(code)[0] + rcpt_dsn_fix(status)[1:]
            return Reply(code, status, f"<{recipient}>: Recipient address rejected: {text}")
        for flag, maps, code, title in self.by_class:
            if not reply.flags & flag or maps is None:
                continue
            if flag == ResolveFlag.CLASS_LOCAL and final.lower().startswith(self.exempt):
                return None
            if self._listed(maps, final):
                return None
            table = f" in {title}" if self.show_table else ""
            return Reply(code, f"{str(code)[0]}.1.1",
                         f"<{recipient}>: Recipient address rejected: User unknown{table}")
        return None
