"""NAME
    pyfix.dns.servers - which DNS servers to ask

SUMMARY
    Nameservers, servers_from_config(), parse_resolv_conf(), parse_server()

DESCRIPTION
    Postfix asks the servers of /etc/resolv.conf, with its "options
    timeout:N attempts:N" (defaults 5 seconds and 2 rounds, as the C
    library's resolver).  pyfix does the same, unless the pyfix-only
    parameter pyfix_dns_servers names servers: a list of "address",
    "address:port" or "[address]:port" (IPv6) entries, which tests use
    to point pyfix at a DNS server that they run on loopback.

    Parameters read: pyfix_dns_servers.

DIAGNOSTICS
    ValueError (with the bad entry) for a malformed pyfix_dns_servers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyfix.config.store import Config

RESOLV_CONF = "/etc/resolv.conf"
DEFAULT_TIMEOUT = 5.0
DEFAULT_ATTEMPTS = 2


@dataclass(frozen=True)
class Nameservers:
    servers: list[tuple[str, int]] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT  # per query sent
    attempts: int = DEFAULT_ATTEMPTS  # rounds over all servers


def parse_server(text: str) -> tuple[str, int]:
    """"addr", "addr:port", "[addr]:port" -> (addr, port)."""
    host, port = text, "53"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad DNS server: {text}")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise ValueError(f"bad DNS server: {text}") from None
    if not 0 < number < 65536:
        raise ValueError(f"bad DNS server: {text}")
    return host, number


def parse_resolv_conf(text: str) -> Nameservers:
    servers: list[tuple[str, int]] = []
    timeout, attempts = DEFAULT_TIMEOUT, DEFAULT_ATTEMPTS
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                servers.append(parse_server(words[1].split("%", 1)[0]))
            except ValueError:
                continue
        elif words and words[0] == "options":
            for option in words[1:]:
                name, _, value = option.partition(":")
                if name == "timeout" and value.isdigit():
                    timeout = float(max(1, int(value)))
                elif name == "attempts" and value.isdigit():
                    attempts = max(1, int(value))
    if not servers:  # the C library's fallback
        servers = [("127.0.0.1", 53)]
    return Nameservers(servers, timeout, attempts)


def servers_from_config(config: Config, resolv_conf: str = RESOLV_CONF) -> Nameservers:
    wanted = config.get_list("pyfix_dns_servers")
    if wanted:
        return Nameservers([parse_server(item) for item in wanted])
    try:
        with open(resolv_conf, encoding="utf-8", errors="replace") as fp:
            return parse_resolv_conf(fp.read())
    except OSError:
        return parse_resolv_conf("")
