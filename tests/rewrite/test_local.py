"""resolve_local(): $mydestination and this host's address literals."""

from __future__ import annotations

import ipaddress

import pytest

from pyfix.config.hostinfo import IPInterface
from pyfix.rewrite.local import LocalDestination, inet_families, own_addresses
from pyfix.tables.base import TableRetryError
from tests.rewrite.helpers import Logged, make_config

INTERFACES: list[IPInterface] = [ipaddress.ip_interface(i) for i in (
    "127.0.0.1/8", "192.0.2.2/24", "::1/128", "2001:db8::2/64")]


def local(extra: str = "", log: Logged | None = None) -> LocalDestination:
    log = log or Logged()
    return LocalDestination(make_config(extra), interfaces=lambda: INTERFACES, warn=log.warn)


@pytest.mark.parametrize(("domain", "expected"), [
    ("mail.example.com", True),
    ("MAIL.EXAMPLE.COM", True),
    ("mail.example.com.", True),
    ("mail.example.com..", False),
    ("localhost", True),
    ("localhost.example.com", True),
    ("example.com", False),
    ("sub.mail.example.com", False),
    ("", False),
    (".", False),
    ("[127.0.0.1]", True),
    ("[127.0.0.1].", True),
    ("[192.0.2.1]", True),  # proxy_interfaces
    ("[192.0.2.2]", False),  # an interface, but not in inet_interfaces
    ("[127.0.0.2]", False),
    ("[IPv6:::1]", False),  # inet_protocols = ipv4
    ("[127.0.0.1", False),
    ("127.0.0.1", False),
])
def test_resolve_local(domain: str, expected: bool) -> None:
    assert local().resolve_local(domain) is expected


def test_literals_in_mydestination_and_interfaces_all() -> None:
    dest = local("mydestination = example.com, [192.168.1.1]\ninet_interfaces = all\n"
                 "inet_protocols = all\nproxy_interfaces =\n")
    assert dest.resolve_local("[192.168.1.1]")
    assert dest.resolve_local("[192.0.2.2]")
    assert dest.resolve_local("[IPv6:2001:db8::2]")
    assert dest.resolve_local("[ipv6:::1]")
    assert not dest.resolve_local("[::1]")  # the IPv6: prefix is required
    assert not dest.resolve_local("[IPv6:2001:db8::3]")


def test_loopback_only() -> None:
    dest = local("inet_interfaces = loopback-only\ninet_protocols = all\nproxy_interfaces =\n")
    assert dest.own_addresses() == {ipaddress.ip_address("127.0.0.1"),
                                    ipaddress.ip_address("::1")}


def test_malformed_literals_are_reported() -> None:
    log = Logged()
    dest = local("", log)
    for literal in ("[300.1.1.1]", "[::1]", "[]", "[IPv6:1:2:3:4:5:6:7:8:9]"):
        assert not dest.resolve_local(literal)
    assert log.lines == [
        "warning: valid_ipv4_hostaddr: invalid octet value: 300.1.1.1",
        "warning: valid_ipv4_hostaddr: invalid character 58(decimal): ::1",
        "warning: valid_ipv4_hostaddr: invalid octet count: ",
        "warning: valid_ipv6_hostaddr: too many `:' in IPv6 address: 1:2:3:4:5:6:7:8:9",
    ]


def test_table_failure() -> None:
    log = Logged()
    dest = local("mydestination = fail:dest\n", log)
    with pytest.raises(TableRetryError):
        dest.resolve_local("example.com")
    assert log.lines == ["warning: mydestination: fail:dest: table lookup problem"]


def test_inet_families_and_own_addresses() -> None:
    assert inet_families("all") == {4, 6}
    assert inet_families("ipv4") == {4}
    assert inet_families("ipv6, ipv4") == {4, 6}
    assert inet_families("") == set()
    assert own_addresses("127.0.0.1, [::1]", "192.0.2.9", frozenset({4, 6})) == {
        ipaddress.ip_address(a) for a in ("127.0.0.1", "::1", "192.0.2.9")}
    assert own_addresses("127.0.0.1 [::1]", "", frozenset({4})) == {
        ipaddress.ip_address("127.0.0.1")}
    assert own_addresses("localhost", "", frozenset({4})) == {
        ipaddress.ip_address("127.0.0.1")}
