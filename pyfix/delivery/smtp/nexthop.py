"""NAME
    pyfix.delivery.smtp.nexthop - from a next-hop destination to server addresses

SUMMARY
    Target, LookupFailure, parse_destination(), HostFinder

DESCRIPTION
    parse_destination() reads one destination as Postfix's smtp(8)
    does: "domain", "[host]", "host:port", "[host]:port" (a port may be a
    service name from /etc/services); brackets turn off the MX lookup.

    HostFinder turns it into the list of servers to try, each a Target
    (host name, address, port, MX preference):

    - domain_addr(): MX lookup (RFC 5321); MX hosts in preference order,
      equal preferences in random order (smtp_randomize_addresses), then
      their addresses; without MX records, the domain's own addresses;
      a null MX (RFC 7505) is a bounce;
    - host_addr(): the addresses of one host, or the host itself when it
      is a numeric address.
    Addresses come from DNS and/or the system resolver, as
    smtp_host_lookup says, for the families that inet_protocols enables.

    When the destination port is 25 (SMTP only), an MX list that names
    this machine (an address of inet_interfaces) is cut at that
    preference; with nothing left the mail "loops back to myself".

    Failures are a LookupFailure with Postfix's enhanced status (5.4.4
    host not found, 4.4.3 try again, 5.1.0 null MX, 5.4.6 loop, ...) and
    its text.

    Parameters read: none (see settings.py).

DIAGNOSTICS
    ValueError for a malformed destination or an unknown service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from dataclasses import dataclass

from pyfix.config.hostinfo import local_interfaces
from pyfix.delivery.smtp.settings import SmtpSettings
from pyfix.dns import (
    DNS_FAIL,
    DNS_INVAL,
    DNS_NOTFOUND,
    DNS_NULLMX,
    DNS_RETRY,
    DnsLookupError,
    Resolver,
)


@dataclass(frozen=True)
class Target:
    host: str
    addr: str
    port: int  # 0 for a UNIX-domain socket
    pref: int = 0

    @property
    def namaddr(self) -> str:
        return f"{self.host}[{self.addr}]"

    @property
    def namaddrport(self) -> str:
        return f"{self.namaddr}:{self.port}" if self.port else self.namaddr


class LookupFailure(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    @property
    def soft(self) -> bool:
        return self.status.startswith("4")

    @property
    def loop(self) -> bool:
        return self.status[1:] == ".4.6"


def parse_destination(dest: str, default_service: str) -> tuple[str, int, bool]:
    """(host, port, bracketed) of "host", "[host]", "host:port", "[host]:port"."""
    bracketed = dest.startswith("[")
    if bracketed:
        host, sep, rest = dest[1:].partition("]")
        if not sep:
            raise ValueError(f"missing \"]\" in server description: {dest}")
        if rest and not rest.startswith(":"):
            raise ValueError(f"garbage after \"]\" in server description: {dest}")
        service = rest[1:] or default_service
    else:
        host, sep, service = dest.rpartition(":") if dest.count(":") == 1 else (dest, "", "")
        if not sep:
            host, service = dest, default_service
        service = service or default_service
    if not host:
        raise ValueError(f"missing host name in server description: {dest}")
    if service.isdigit():
        port = int(service)
        if not 0 < port < 65536:
            raise ValueError(f"bad network port: {service} for destination: {dest}")
    else:
        try:
            port = socket.getservbyname(service, "tcp")
        except OSError:
            raise ValueError(f"unknown service: {service}/tcp") from None
    return host, port, bracketed


def _numeric(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = host[5:] if host.lower().startswith("ipv6:") else host
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class HostFinder:
    """Address lookups for one delivery, as Postfix's smtp_addr.c."""

    def __init__(self, settings: SmtpSettings, resolver: Resolver,
                 interfaces: list[str] | None = None) -> None:
        self.settings = settings
        self.resolver = resolver
        self._own = interfaces

    def own_addresses(self) -> set[str]:
        if self._own is None:
            self._own = [str(i.ip) for i in local_interfaces()]
        return set(self._own)

    def _families(self) -> list[str]:
        protocols = self.settings.inet_protocols
        return [rtype for rtype, name in (("A", "ipv4"), ("AAAA", "ipv6")) if name in protocols]

    async def host_addr(self, host: str, port: int, loop_detect: bool) -> list[Target]:
        targets = await self._addr_one(host, port, 0, None)
        if loop_detect and any(t.addr in self.own_addresses() for t in targets):
            raise LookupFailure("5.4.6", f"mail for {host} loops back to myself")
        return self._order(targets)

    async def _addr_one(self, host: str, port: int, pref: int,
                        previous: LookupFailure | None) -> list[Target]:
        """One host's addresses; LookupFailure (softened by an earlier soft one)."""
        numeric = _numeric(host)
        family = "" if numeric is None else "ipv4" if numeric.version == 4 else "ipv6"
        if numeric is not None and family in self.settings.inet_protocols:
            return [Target(host, str(numeric), port, pref)]
        soft_before = previous is not None and previous.soft
        failure: LookupFailure | None = None
        lookup = self.settings.host_lookup
        if "dns" in lookup and self.settings.dns_enabled:
            try:
                return await self._dns_addresses(host, port, pref)
            except DnsLookupError as exc:
                status = {DNS_RETRY: "4.4.3", DNS_FAIL: "5.4.3", DNS_INVAL: "5.4.4",
                          DNS_NOTFOUND: "5.4.4"}.get(exc.status, "4.4.3")
                if soft_before or exc.status == DNS_RETRY:
                    status = "4" + status[1:]
                failure = LookupFailure(status, exc.text)
                if exc.status != DNS_NOTFOUND:
                    raise failure from None
        if "native" in lookup:
            return await self._native_addresses(host, port, pref, soft_before)
        raise failure or LookupFailure("4.3.0", f"unable to look up host {host}")

    async def _dns_addresses(self, host: str, port: int, pref: int) -> list[Target]:
        found: list[Target] = []
        best: DnsLookupError | None = None
        for rtype in self._families():
            try:
                records = await self.resolver.lookup(host, rtype)
            except DnsLookupError as exc:
                if best is None or exc.status >= best.status:
                    best = exc
                continue
            found.extend(Target(host, r.data, port, pref) for r in records)
        if found:
            return found
        if best is None:
            raise DnsLookupError(DNS_FAIL, "all network protocols are disabled")
        raise best

    async def _native_addresses(self, host: str, port: int, pref: int,
                                soft_before: bool) -> list[Target]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            nohost = exc.errno in (socket.EAI_AGAIN, socket.EAI_NONAME,
                                   getattr(socket, "EAI_NODATA", -5))
            soft = soft_before or exc.errno == socket.EAI_AGAIN
            status = ("4.4.4" if nohost else "4.3.0") if soft else (
                "5.4.4" if nohost else "5.3.0")
            raise LookupFailure(status, f"unable to look up host {host}: "
                                        f"{exc.strerror}") from None
        wanted = {socket.AF_INET: "ipv4", socket.AF_INET6: "ipv6"}
        found = [Target(host, str(info[4][0]), port, pref) for info in infos
                 if wanted.get(info[0]) in self.settings.inet_protocols]
        if not found:
            raise LookupFailure("4.4.4" if soft_before else "5.4.4",
                                f"{host}: host not found")
        return list(dict.fromkeys(found))

    async def domain_addr(self, name: str, port: int, loop_detect: bool,
                          ) -> tuple[list[Target], bool]:
        """MX targets in order, and whether this machine is one of the MX hosts."""
        try:
            mx = await self.resolver.lookup(name, "MX")
        except DnsLookupError as exc:
            if exc.status == DNS_NOTFOUND:
                return await self.host_addr(name, port, loop_detect), False
            status = {DNS_NULLMX: "5.1.0", DNS_FAIL: "5.4.3", DNS_INVAL: "5.4.4"}.get(
                exc.status, "4.4.3")
            raise LookupFailure(status, exc.text) from None
        mx = sorted(mx, key=lambda r: r.pref)
        best_pref = mx[0].pref
        targets: list[Target] = []
        failure: LookupFailure | None = None
        for record in mx:
            try:
                targets.extend(await self._addr_one(record.data, port, record.pref, failure))
            except LookupFailure as exc:
                failure = exc if failure is None or not failure.soft else LookupFailure(
                    "4" + exc.status[1:], exc.reason)
        if not targets:
            assert failure is not None
            raise failure
        found_myself = False
        if loop_detect:
            own = self.own_addresses()
            mine = [t.pref for t in targets if t.addr in own]
            if mine:
                found_myself = True
                cut = min(mine)
                best_found = targets[0].pref
                targets = [t for t in targets if t.pref < cut]
                if not targets:
                    if best_pref != best_found:
                        raise LookupFailure("4.4.4", f"unable to find primary relay for {name}")
                    raise LookupFailure("5.4.6", f"mail for {name} loops back to myself")
        return self._order(targets), found_myself

    def _order(self, targets: list[Target]) -> list[Target]:
        if self.settings.randomize:
            targets = list(targets)
            random.shuffle(targets)
        return sorted(targets, key=lambda t: t.pref)
