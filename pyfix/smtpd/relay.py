"""NAME
    pyfix.smtpd.relay - relay control and recipient validation

SUMMARY
    RelayPolicy

DESCRIPTION
    The address classes that relay control needs (the restriction lists
    themselves are pyfix.smtpd.checks), and the unlisted-recipient
    check, with Postfix's replies and log texts:

    - mynetworks, and whether a domain is an authorized destination
      (local, virtual or relay: authorized_destination());
    - local recipients: a domain in $mydestination, or an address literal
      of this host ([192.168.1.1], seed S17), is local; when
      local_recipient_maps is not empty, an unknown local user gets
      "$unknown_local_recipient_reject_code 5.1.1 <rcpt>: Recipient address
      rejected: User unknown in local recipient table" (S12, S24); with
      local_recipient_maps empty every local user is accepted (S4, S6),
      and with smtpd_reject_unlisted_recipient = no this check is off;
      postmaster, MAILER-DAEMON and $double_bounce_sender (any case) are
      always known;
    - relay domains: $relay_domains, matching subdomains as
      parent_domain_matches_subdomains says.

    A table lookup failure (retry, or a table that is unavailable) gives
    "451 4.3.0 <rcpt>: Temporary lookup failure"; local_recipient_maps
    lookup errors are logged through warn ("TYPE:NAME lookup error for
    "KEY"").  The table search order is Postfix's (tables/search.py).

    Parameters read: mynetworks, mydestination, relay_domains,
    virtual_alias_domains, virtual_mailbox_domains, local_recipient_maps,
    unknown_local_recipient_reject_code,
    parent_domain_matches_subdomains, inet_interfaces, proxy_interfaces,
    recipient_delimiter, local_header_rewrite_clients,
    smtpd_reject_unlisted_recipient, double_bounce_sender.

DIAGNOSTICS
    Table errors propagate from check_local_recipient().
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.address.matchlist import addr_list, domain_list, parent_style, string_list
from pyfix.config.lists import split_list
from pyfix.config.store import Config
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.smtp.replies import Reply
from pyfix.tables.base import TableError
from pyfix.tables.maps import Maps
from pyfix.tables.search import find_address


def _reply(code: int, enhanced: str, text: str) -> Reply:
    return Reply(code, enhanced, text)


@dataclass
class RelayPolicy:
    config: Config
    warn: Callable[[str], None] = msg_warn

    def __post_init__(self) -> None:
        cfg = self.config
        pdms = cfg.get("parent_domain_matches_subdomains")
        self.mynetworks = addr_list("mynetworks", cfg.get("mynetworks"))
        self.mydestination = string_list("mydestination", cfg.get("mydestination"))
        self.relay_domains = domain_list("relay_domains", cfg.get("relay_domains"),
                                         parent_style(pdms, "relay_domains"))
        self.virtual_domains = string_list(
            "virtual_domains",
            f"{cfg.get('virtual_alias_domains')} {cfg.get('virtual_mailbox_domains')}")
        local_maps = cfg.get("local_recipient_maps")
        self.local_recipient_maps = (Maps("local_recipient_maps", local_maps, warn=self.warn)
                                     if local_maps else None)
        self.unknown_local_code = cfg.get_int("unknown_local_recipient_reject_code")
        self.recipient_delimiter = cfg.get("recipient_delimiter")
        self.reject_unlisted_recipient = cfg.get_bool("smtpd_reject_unlisted_recipient")
        # Local users that exist without a table entry (qmgr and bounce own them).
        self.always_known = frozenset({"postmaster", "mailer-daemon",
                                       cfg.get("double_bounce_sender").lower()})
        self.local = LocalDestination(cfg)

    def rewrite_context(self, client_addr: str) -> str:
        """"local" when local_header_rewrite_clients lets the client's headers
        be rewritten (permit_inet_interfaces, permit_mynetworks), else "remote"."""
        for item in split_list(self.config.get("local_header_rewrite_clients")):
            if item == "permit_inet_interfaces" and self._own_address(client_addr):
                return "local"
            if item == "permit_mynetworks" and self.mynetworks.match(client_addr):
                return "local"
        return "remote"

    def _own_address(self, addr: str) -> bool:
        try:
            return ipaddress.ip_address(addr) in self.local.own_addresses()
        except ValueError:
            return False

    def is_local_domain(self, domain: str) -> bool:
        """trivial-rewrite's resolve_local(): $mydestination, and address
        literals of this host ([192.168.1.1], [IPv6:::1]) per inet_interfaces
        and proxy_interfaces."""
        return self.local.resolve_local(domain)

    def authorized_destination(self, domain: str) -> bool:
        return (self.is_local_domain(domain) or self.virtual_domains.match(domain)
                or self.relay_domains.match(domain))

    def check_local_recipient(self, recipient: str) -> Reply | None:
        domain = recipient.rpartition("@")[2] if "@" in recipient else ""
        if self.local_recipient_maps is None or (domain and not self.is_local_domain(domain)):
            return None
        local = recipient.rpartition("@")[0] if "@" in recipient else recipient
        if local.lower() in self.always_known:
            return None
        found, _ = find_address(self.local_recipient_maps, recipient,
                                recipient_delimiter=self.recipient_delimiter,
                                is_local_domain=self.is_local_domain)
        if found is not None:
            return None
        code = self.unknown_local_code
        enhanced = f"{code // 100}.1.1"
        return _reply(code, enhanced, f"<{recipient}>: Recipient address rejected: "
                                      "User unknown in local recipient table")

    def check_rcpt(self, client_addr: str, recipient: str) -> Reply | None:
        """The unlisted-recipient check with table errors as replies
        (relay control is pyfix.smtpd.checks)."""
        try:
            if self.reject_unlisted_recipient:
                return self.check_local_recipient(recipient)
            return None
        except TableError:
            # Postfix's wording for any lookup error here, an unavailable table too.
            return _reply(451, "4.3.0", f"<{recipient}>: Temporary lookup failure")
