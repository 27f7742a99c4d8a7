"""NAME
    pyfix.rewrite.classes - address classes and their transports

SUMMARY
    AddressClasses, Personality, REGULAR, VERIFY, Route, ResolveFailure

DESCRIPTION
    The resolver sorts a recipient domain into one of Postfix's address
    classes (ADDRESS_CLASS_README) and takes the class's transport and
    next hop:

    local           $mydestination, this host's [address] literals
                    (decided by the resolver loop): local_transport, next
                    hop the domain;
    virtual alias   $virtual_alias_domains: error, "5.1.1 User unknown
                    in virtual alias table" (without "in virtual alias
                    table" when show_user_unknown_table_name = no);
    virtual mailbox $virtual_mailbox_domains: virtual_transport, next
                    hop the domain;
    relay           $relay_domains (subdomains as
                    parent_domain_matches_subdomains says):
                    relay_transport;
    default         everything else: default_transport, or the entry for
                    the sender in sender_dependent_default_transport_maps
                    ("DUNNO": default_transport; the null sender is
                    looked up as $empty_address_default_transport_maps_
                    lookup_key).

    For relay and default the next hop is the sender's entry in
    sender_dependent_relayhost_maps (unless "DUNNO"; the null sender as
    $empty_address_relayhost_maps_lookup_key), else $relayhost, else the
    domain.  A domain in several lists is reported with helpful_warnings;
    the first class in the order above wins.

    A Personality names the parameters a kind of request reads: REGULAR
    (local_transport, ...) or VERIFY (address_verify_local_transport,
    ...), as Postfix's "resolve" and "verify" requests do.

    Parameters read: virtual_alias_domains, virtual_mailbox_domains,
    relay_domains, parent_domain_matches_subdomains, helpful_warnings,
    show_user_unknown_table_name, recipient_delimiter, myorigin,
    empty_address_relayhost_maps_lookup_key,
    empty_address_default_transport_maps_lookup_key, and per
    personality local_transport, virtual_transport, relay_transport,
    default_transport, relayhost, sender_dependent_relayhost_maps,
    sender_dependent_default_transport_maps (or their address_verify_
    forms).

DIAGNOSTICS
    A table lookup failure is reported ("NAME lookup failure") and
    raises ResolveFailure; the resolver answers FAIL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.address.matchlist import MatchList, domain_list, parent_style, string_list
from pyfix.config.store import Config
from pyfix.log.msg import msg_warn
from pyfix.rewrite.local import LocalDestination
from pyfix.rewrite.reply import AddressClass, ResolveFlag
from pyfix.rewrite.transport import MAIL_SERVICE_ERROR
from pyfix.tables import search
from pyfix.tables.base import DEFAULT_FLAGS, NO_REGSUB, TableError
from pyfix.tables.maps import Maps


@dataclass(frozen=True)
class Personality:
    """Which parameters a kind of request reads (RES_CONTEXT)."""

    local_transport: str
    virtual_transport: str
    relay_transport: str
    default_transport: str
    sender_dependent_default_transport_maps: str
    relayhost: str
    sender_dependent_relayhost_maps: str
    transport_maps: str


REGULAR = Personality(
    "local_transport", "virtual_transport", "relay_transport", "default_transport",
    "sender_dependent_default_transport_maps", "relayhost",
    "sender_dependent_relayhost_maps", "transport_maps")
VERIFY = Personality(
    "address_verify_local_transport", "address_verify_virtual_transport",
    "address_verify_relay_transport", "address_verify_default_transport",
    "address_verify_sender_dependent_default_transport_maps", "address_verify_relayhost",
    "address_verify_sender_dependent_relayhost_maps", "address_verify_transport_maps")


class ResolveFailure(Exception):
    """A table lookup failed (already reported): the answer is FAIL."""


@dataclass(frozen=True)
class Route:
    """A class's answer: its flag, transport (maybe "transport:nexthop"),
    next hop, and the parameter to blame for an empty transport."""

    flag: ResolveFlag
    transport: str
    nexthop: str
    blame: str


def optional_maps(config: Config, name: str, flags: int,
                  warn: Callable[[str], None]) -> Maps | None:
    spec = config.get(name)
    return Maps(name, spec, flags, warn) if spec else None


class AddressClasses:
    """The domain lists and class transports of one personality."""

    def __init__(
        self,
        config: Config,
        personality: Personality,
        local: LocalDestination,
        *,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        self.personality = personality
        self.local = local
        self.warn = warn
        get = config.get
        self.helpful_warnings = config.get_bool("helpful_warnings")
        self.show_unknown_table = config.get_bool("show_user_unknown_table_name")
        self.recipient_delimiter = get("recipient_delimiter")
        self.myorigin = get("myorigin")
        self.null_relay_key = get("empty_address_relayhost_maps_lookup_key")
        self.null_xport_key = get("empty_address_default_transport_maps_lookup_key")
        pdms = get("parent_domain_matches_subdomains")
        alias, mailbox, relay = (get("virtual_alias_domains"), get("virtual_mailbox_domains"),
                                 get("relay_domains"))
        self.alias_domains = string_list("virtual_alias_domains", alias,
                                         warn) if alias else None
        self.mailbox_domains = string_list("virtual_mailbox_domains", mailbox,
                                           warn) if mailbox else None
        self.relay_domains = domain_list("relay_domains", relay,
                                         parent_style(pdms, "relay_domains"),
                                         warn) if relay else None
        p = personality
        self.transports = {name: get(name) for name in (
            p.local_transport, p.virtual_transport, p.relay_transport, p.default_transport)}
        self.relayhost = get(p.relayhost)
        flags = DEFAULT_FLAGS | NO_REGSUB
        self.sender_xport_maps = optional_maps(
            config, p.sender_dependent_default_transport_maps, flags, warn)
        self.sender_relay_maps = optional_maps(config, p.sender_dependent_relayhost_maps,
                                               flags, warn)

    def resolve_class(self, domain: str) -> AddressClass | None:
        """The class of domain; None when a table lookup fails."""
        try:
            if self.local.resolve_local(domain):
                return AddressClass.LOCAL
            for domains, klass in ((self.alias_domains, AddressClass.ALIAS),
                                   (self.mailbox_domains, AddressClass.VIRTUAL),
                                   (self.relay_domains, AddressClass.RELAY)):
                if domains is not None and domains.match(domain):
                    return klass
        except TableError:
            return None
        return AddressClass.DEFAULT

    # Routes ------------------------------------------------------------

    def local_route(self, domain: str) -> Route:
        self._nag(domain, "mydestination", [(self.alias_domains, "virtual_alias_domains"),
                                            (self.mailbox_domains, "virtual_mailbox_domains")])
        name = self.personality.local_transport
        return Route(ResolveFlag.CLASS_LOCAL, self.transports[name], domain, name)

    def remote_route(self, domain: str, sender: str) -> Route:
        p = self.personality
        if self._match(self.alias_domains, "virtual_alias_domains", domain):
            self._nag(domain, "virtual_alias_domains", [
                (self.mailbox_domains, "virtual_mailbox_domains"),
                (self.relay_domains, "relay_domains")])
            table = " in virtual alias table" if self.show_unknown_table else ""
            return Route(ResolveFlag.CLASS_ALIAS, MAIL_SERVICE_ERROR,
                         f"5.1.1 User unknown{table}", "")
        if self._match(self.mailbox_domains, "virtual_mailbox_domains", domain):
            self._nag(domain, "virtual_mailbox_domains", [(self.relay_domains,
                                                           "relay_domains")])
            return Route(ResolveFlag.CLASS_VIRTUAL, self.transports[p.virtual_transport],
                         domain, p.virtual_transport)
        if self._match(self.relay_domains, "relay_domains", domain):
            flag, blame = ResolveFlag.CLASS_RELAY, p.relay_transport
            transport = self.transports[blame]
        else:
            flag, blame = ResolveFlag.CLASS_DEFAULT, p.default_transport
            transport = self.transports[blame]
            if self.sender_xport_maps is not None:
                xport = self.find_address(self.sender_xport_maps, sender or self.null_xport_key)
                if xport is not None:
                    transport = transport if xport.lower() == "dunno" else xport
                    blame = p.sender_dependent_default_transport_maps
        relay = None
        if self.sender_relay_maps is not None:
            relay = self.find_address(self.sender_relay_maps, sender or self.null_relay_key)
            if relay is not None and relay.lower() == "dunno":
                relay = None
        return Route(flag, transport, relay or self.relayhost or domain, blame)

    # Lookups -----------------------------------------------------------

    def find_address(self, maps: Maps, address: str) -> str | None:
        """mail_addr_find() with its default search order."""
        try:
            value, _ = search.find_address(
                maps, address, search.DEFAULT, recipient_delimiter=self.recipient_delimiter,
                is_local_domain=self._is_local_or_origin)
        except TableError:
            self.warn(f"{maps.title} lookup failure")
            raise ResolveFailure from None
        return value

    def _is_local_or_origin(self, domain: str) -> bool:
        return domain.lower() == self.myorigin.lower() or self.local.resolve_local(domain)

    def _match(self, domains: MatchList | None, name: str, domain: str) -> bool:
        try:
            return domains is not None and domains.match(domain)
        except TableError:
            self.warn(f"{name} lookup failure")
            raise ResolveFailure from None

    def _nag(self, domain: str, first: str, others: list[tuple[MatchList | None, str]]) -> None:
        if not self.helpful_warnings:
            return
        for domains, name in others:
            try:
                listed = domains is not None and domains.match(domain)
            except TableError:
                listed = False
            if listed:
                self.warn(f"do not list domain {domain} in BOTH {first} and {name}")
