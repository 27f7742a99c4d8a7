"""NAME
    pyfix.smtpd.relay - relay control and recipient validation

SUMMARY
    RelayPolicy

DESCRIPTION
    The checks that the accept path needs before the full restriction
    engine arrives, with Postfix's replies and log texts:

    - the default smtpd_relay_restrictions, "permit_mynetworks,
      permit_sasl_authenticated, defer_unauth_destination" (the list in
      main.cf is honoured for these three names and reject_unauth_
      destination; other names are refused at start-up by
      unsupported()): a client outside $mynetworks may only send to
      local, virtual or relay domains, otherwise "454 4.7.1 <rcpt>:
      Relay access denied" (554 with reject_unauth_destination);
    - unlisted recipients (unlisted.py), e.g. an unknown user of a local
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

    Parameters read: mynetworks, smtpd_relay_restrictions,
    allow_untrusted_routing, local_header_rewrite_clients, and (smtpd's
    own table search and permit_inet_interfaces) mydestination,
    inet_interfaces, proxy_interfaces, inet_protocols; those of
    unlisted.py; the trivial-rewrite parameters in the rewrite
    service's view (resolve.py).

DIAGNOSTICS
    UnsupportedRestriction for a restriction name that this module does
    not implement yet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.address.matchlist import addr_list
from pyfix.config.lists import split_list
from pyfix.config.store import Config
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import ResolveFlag, ResolveReply
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.replies import Reply
from pyfix.smtpd.resolve import SmtpdResolver
from pyfix.smtpd.unlisted import UnlistedRecipient
from pyfix.tables.base import TableError, TableRetryError

KNOWN_RELAY_RESTRICTIONS = frozenset({
    "permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination",
    "reject_unauth_destination",
})


class UnsupportedRestriction(Exception):
    """A restriction that pyfix does not implement yet."""


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
        self.restrictions = split_list(cfg.get("smtpd_relay_restrictions"))
        unknown = [r for r in self.restrictions if r not in KNOWN_RELAY_RESTRICTIONS]
        if unknown:
            raise UnsupportedRestriction(
                f"smtpd_relay_restrictions: {unknown[0]}: not yet supported by pyfix")
        # smtpd's own resolve_local(): table searches, permit_inet_interfaces.
        self.local = LocalDestination(cfg, warn=self.warn)
        # The address class: trivial-rewrite in the rewrite service's view.
        self.resolver = SmtpdResolver(self.trivial)
        self.unlisted = UnlistedRecipient(cfg, self.local, self.warn)

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

    def check_relay(self, client_addr: str, recipient: str, sender: str = "") -> Reply | None:
        for restriction in self.restrictions:
            if restriction == "permit_mynetworks" and self.mynetworks.match(client_addr):
                return None
            if restriction in ("defer_unauth_destination", "reject_unauth_destination"):
                if self.authorized_destination(sender, recipient):
                    return None
                if restriction == "defer_unauth_destination":
                    return _reply(454, "4.7.1", f"<{recipient}>: Relay access denied")
                return _reply(554, "5.7.1", f"<{recipient}>: Relay access denied")
        return None

    def check_rcpt(self, client_addr: str, recipient: str, sender: str = "") -> Reply | None:
        try:
            return (self.check_relay(client_addr, recipient, sender)
                    or self.unlisted.check(recipient, self.resolve(sender, recipient)))
        except TableError:
            # Postfix's wording for any lookup error here: a table that is
            # unavailable fails as "try again" too (its surrogate table).
            return _reply(451, "4.3.0", f"<{recipient}>: Temporary lookup failure")
