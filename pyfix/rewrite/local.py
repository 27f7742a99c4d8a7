"""NAME
    pyfix.rewrite.local - is a domain this mail system's own?

SUMMARY
    LocalDestination, own_addresses(), inet_families()

DESCRIPTION
    LocalDestination(config).resolve_local(domain) says whether mail for
    domain is delivered by this mail system with local(8), as Postfix's
    resolve_local() does.  The resolver, the SMTP server and the
    recipient table lookups use it.

    - One trailing dot is ignored ("example.com." is "example.com"); a
      name that is empty or ends in ".." is never local.
    - A name listed in $mydestination is local (case-insensitive exact
      match; "/file" and "type:table" entries as in every Postfix list).
    - An address literal "[1.2.3.4]" or "[IPv6:2001:db8::1]" ("IPv6:" in
      any case) is local when the address is one that this host
      receives mail on: an address of $inet_interfaces ("all": every
      interface address; "loopback-only": the loopback addresses) or
      of $proxy_interfaces.  An IPv6 literal needs the "IPv6:" prefix;
      an address of a protocol that inet_protocols turns off is never
      local.  Host names in these lists are looked up once, when first
      needed.
    - Anything else is not local.  A literal that is listed verbatim in
      $mydestination ("[192.168.1.1]") is local by the list.

    inet_addresses() gives the addresses of $inet_interfaces alone
    (Postfix's own_inet_addr(), for smtpd's permit_inet_interfaces).

    Parameters read: mydestination, inet_interfaces, proxy_interfaces,
    inet_protocols.

DIAGNOSTICS
    A table lookup failure in $mydestination is reported ("mydestination:
    TYPE:NAME: table lookup problem") and raises
    pyfix.tables.base.TableError (TableRetryError: try again).  A
    malformed address literal is reported as Postfix does
    ("valid_ipv4_hostaddr: invalid octet value: 300.1.1.1") and is not
    local.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from pyfix.address.hostaddr import valid_mailhost_addr
from pyfix.address.matchlist import MatchList, string_list
from pyfix.config.hostinfo import IPInterface, local_interfaces
from pyfix.config.store import Config
from pyfix.log.msg import msg_warn

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
INET_INTERFACES_ALL = "all"
INET_INTERFACES_LOCAL = "loopback-only"
_SEPARATORS = " \t,"


def inet_families(inet_protocols: str) -> frozenset[int]:
    """The IP versions that inet_protocols enables: {4}, {6}, {4, 6} or {}."""
    words = {w.lower() for w in inet_protocols.replace(",", " ").split()}
    if "all" in words:
        return frozenset({4, 6})
    return frozenset(v for v, name in ((4, "ipv4"), (6, "ipv6")) if name in words)


def _split(value: str) -> list[str]:
    for sep in _SEPARATORS[1:]:
        value = value.replace(sep, " ")
    return value.split()


def host_addresses(host: str, families: frozenset[int]) -> list[IPAddress]:
    """The addresses of a numeric address, "[address]" or a host name."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        found: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return []
        found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return [addr for addr in found if addr.version in families]


def own_addresses(
    inet_interfaces: str,
    proxy_interfaces: str,
    families: frozenset[int],
    interfaces: Callable[[], list[IPInterface]] = local_interfaces,
) -> frozenset[IPAddress]:
    """The addresses that this host receives mail on (inet and proxy)."""
    value = inet_interfaces.strip()
    found: set[IPAddress] = set()
    if value in (INET_INTERFACES_ALL, INET_INTERFACES_LOCAL):
        for iface in interfaces():
            if iface.version in families and (value == INET_INTERFACES_ALL
                                              or iface.ip.is_loopback):
                found.add(iface.ip)
    else:
        for host in _split(value):
            found.update(host_addresses(host, families))
    for host in _split(proxy_interfaces):
        found.update(host_addresses(host, families))
    return frozenset(found)


class LocalDestination:
    """resolve_local() with the settings of one configuration."""

    def __init__(
        self,
        config: Config,
        *,
        interfaces: Callable[[], list[IPInterface]] = local_interfaces,
        warn: Callable[[str], None] = msg_warn,
    ) -> None:
        self.warn = warn
        self.mydestination: MatchList = string_list("mydestination",
                                                    config.get("mydestination"), warn)
        self._inet_interfaces = config.get("inet_interfaces")
        self._proxy_interfaces = config.get("proxy_interfaces")
        self.families = inet_families(config.get("inet_protocols"))
        self._interfaces = interfaces
        self._own: frozenset[IPAddress] | None = None
        self._inet: frozenset[IPAddress] | None = None

    def own_addresses(self) -> frozenset[IPAddress]:
        if self._own is None:
            self._own = own_addresses(self._inet_interfaces, self._proxy_interfaces,
                                      self.families, self._interfaces)
        return self._own

    def inet_addresses(self) -> frozenset[IPAddress]:
        """Postfix's own_inet_addr(): the addresses of $inet_interfaces
        only, without $proxy_interfaces (permit_inet_interfaces)."""
        if self._inet is None:
            self._inet = own_addresses(self._inet_interfaces, "", self.families,
                                       self._interfaces)
        return self._inet

    def resolve_local(self, domain: str) -> bool:
        """True when domain is local; TableError when a lookup fails."""
        if domain.endswith("."):
            domain = domain[:-1]
        if not domain or domain.endswith("."):
            return False
        if self.mydestination.match(domain):
            return True
        if len(domain) >= 2 and domain.startswith("[") and domain.endswith("]"):
            return self.is_own_literal(domain[1:-1])
        return False

    __call__ = resolve_local

    def is_own_literal(self, literal: str) -> bool:
        """Is the address of "[literal]" one of this host's?"""
        bare = valid_mailhost_addr(literal, self.warn)
        if bare is None:
            return False
        try:
            addr = ipaddress.ip_address(bare)
        except ValueError:
            return False
        if addr.version not in self.families:
            return False
        return addr in self.own_addresses()

