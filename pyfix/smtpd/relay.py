"""NAME
    pyfix.smtpd.relay - relay control and recipient validation

SUMMARY
    RelayPolicy

DESCRIPTION
    What relay control and recipient validation need from smtpd's
    point of view (the restriction lists themselves are
    pyfix.smtpd.checks):

    - mynetworks; smtpd's own $relay_domains, which check_relay_domains
      matches the client hostname against;
    - whether a recipient is an authorized destination
      (authorized_destination(): local, virtual or relay class) and
      whether it is one by the relay class alone (relay_class());
    - unlisted recipients and senders (unlisted.py), e.g. an unknown user of a local
      domain when local_recipient_maps is not empty (S12, S24).

    The address class of a recipient (local: $mydestination and this
    host's address literals such as [192.168.1.1], seed S17; virtual
    alias, virtual mailbox, relay: $relay_domains; default) is
    trivial-rewrite's answer (resolve.py), in the view of the service
    that smtpd's rewrite_service_name names, as in Postfix: smtpd's own
    -o relay_domains, mydestination, ... do not change it.  A source
    routed recipient (user%remote@local, remote!user@local) is not an
    authorized destination unless allow_untrusted_routing = yes.

    A table lookup failure (retry, or a table that is unavailable) gives
    "451 4.3.0 <rcpt>: Temporary lookup failure"; smtpd's own tables log
    'TYPE:NAME lookup error for "KEY"' through warn.

    Parameters read: mynetworks, relay_domains (smtpd's own, for
    check_relay_domains), parent_domain_matches_subdomains,
    allow_untrusted_routing, local_header_rewrite_clients, and (smtpd's
    own table search and permit_inet_interfaces) mydestination,
    inet_interfaces, proxy_interfaces, inet_protocols; those of
    unlisted.py; the trivial-rewrite parameters in the rewrite
    service's view (resolve.py).

DIAGNOSTICS
    TableRetryError from resolve() when trivial-rewrite fails; table
    errors of the unlisted-recipient check become 451 replies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from pyfix.address.matchlist import MatchList, addr_list, domain_list, parent_style
from pyfix.config.lists import split_list
from pyfix.config.store import Config
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import ResolveFlag, ResolveReply
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.replies import Reply
from pyfix.smtpd.resolve import SmtpdResolver
from pyfix.smtpd.unlisted import RECIPIENT, Role, Unlisted, UnlistedAddress
from pyfix.tables.base import TableError, TableRetryError


def _reply(code: int, enhanced: str, text: str) -> Reply:
    return Reply(code, enhanced, text)


@dataclass
class RelayPolicy:
    config: Config
    trivial: TrivialRewrite
    warn: Callable[[str], None] = msg_warn

    def __post_init__(self) -> None:
        cfg = self.config
        self.mynetworks = addr_list("mynetworks", cfg.get("mynetworks"))
        self.allow_untrusted_routing = cfg.get_bool("allow_untrusted_routing")
        # smtpd's own resolve_local(): table searches, permit_inet_interfaces.
        self.local = LocalDestination(cfg, warn=self.warn)
        # The address class: trivial-rewrite in the rewrite service's view.
        self.resolver = SmtpdResolver(self.trivial)
        self.unlisted = Unlisted(cfg, self.local, self.warn)

    @cached_property
    def relay_domains(self) -> MatchList:
        """smtpd's own $relay_domains, which only check_relay_domains reads
        (for the client hostname); read when first needed, so that relay
        decisions visibly come from trivial-rewrite alone."""
        cfg = self.config
        return domain_list("relay_domains", cfg.get("relay_domains"),
                           parent_style(cfg.get("parent_domain_matches_subdomains"),
                                        "relay_domains"))

    def rewrite_context(self, client_addr: str) -> str:
        """"local" when local_header_rewrite_clients lets the client's headers
        be rewritten (permit_inet_interfaces: an address of $inet_interfaces,
        not of $proxy_interfaces; permit_mynetworks), else "remote"."""
        for item in split_list(self.config.get("local_header_rewrite_clients")):
            if item == "permit_inet_interfaces" and self._own_address(client_addr):
                return "local"
            if item == "permit_mynetworks" and self.mynetworks.match(client_addr):
                return "local"
        return "remote"

    def _own_address(self, addr: str) -> bool:
        try:
            return ipaddress.ip_address(addr) in self.local.inet_addresses()
        except ValueError:
            return False

    def resolve(self, sender: str, recipient: str) -> ResolveReply:
        reply = self.resolver.resolve(sender, recipient)
        if reply.failed:
            raise TableRetryError(f"<{recipient}>: address resolver failure")
        return reply

    def authorized_destination(self, sender: str, recipient: str) -> bool:
        """permit_auth_destination: local, virtual or relay class."""
        reply = self.resolve(sender, recipient)
        if "@" not in reply.recipient:
            return True
        if reply.routed and not self.allow_untrusted_routing:
            return False
        return bool(reply.final or reply.flags & ResolveFlag.CLASS_RELAY)

    def relay_class(self, sender: str, recipient: str) -> bool:
        """Is recipient an authorized destination by the relay class alone
        (not local, not virtual)?"""
        reply = self.resolve(sender, recipient)
        return not reply.final and bool(reply.flags & ResolveFlag.CLASS_RELAY)

    def check_unlisted(self, address: str, sender: str = "",
                       role: Role = RECIPIENT) -> UnlistedAddress | None:
        """The unlisted-address check (unlisted.py) for a recipient or a
        sender, with table errors as replies (relay control is
        pyfix.smtpd.checks)."""
        try:
            return self.unlisted.check(address, self.resolve(sender, address), role)
        except TableError:
            # Postfix's wording for any lookup error here: a table that is
            # unavailable fails as "try again" too (its surrogate table).
            return UnlistedAddress(_reply(451, "4.3.0", f"<{address}>: Temporary lookup failure"))
