"""The token list of one address, and the additions to pyfix.address."""

from __future__ import annotations

import pytest

from pyfix.address.hostaddr import ipv4_problem, ipv6_problem, valid_mailhost_addr
from pyfix.address.matchlist import string_list
from pyfix.address.quote import quote_822_address
from pyfix.rewrite.tokens import AddressTokens, Token
from pyfix.tables.base import TableRetryError


@pytest.mark.parametrize(("text", "types", "internal"), [
    ("user@example.com", ["atom", "@", "atom", ".", "atom"], "user@example.com"),
    ('"a b"@x', ["qstring", "@", "atom"], "a b@x"),
    ('"a@b"@x', ["qstring", "@", "atom"], "a@b@x"),
    ("u@[1.2.3.4]", ["atom", "@", "domlit"], "u@[1.2.3.4]"),
    ("@a,@b:u@d", ["@", "atom", ",", "@", "atom", ":", "atom", "@", "atom"], "@a, @b:u@d"),
    ("first last", ["atom", "atom"], "first last"),
    ("(c)u@x", ["comment", "atom", "@", "atom"], "(c) u@x"),
])
def test_scan_and_internalize(text: str, types: list[str], internal: str) -> None:
    tree = AddressTokens.scan(text)
    assert tree.types() == types
    assert tree.internalize() == internal


def test_tokens_added_to_an_empty_list_are_joined_without_space() -> None:
    tree = AddressTokens()
    tree.append([Token("atom", "a"), Token("atom", "b")])
    tree.append([Token("@")])
    assert tree.internalize() == "ab@"
    assert tree.externalize() == "ab@"
    loose = AddressTokens([Token("atom", "a"), Token("atom", "b")])
    loose.append([Token("@")])
    assert loose.externalize() == '"a b"@'


def test_find_and_edit() -> None:
    tree = AddressTokens.scan("a!b@c")
    assert (tree.find("!"), tree.rfind("@"), tree.find("%")) == (1, 3, -1)
    assert [t.type for t in tree.keep_before(3)] == ["@", "atom"]
    assert tree.internalize() == "a!b"
    tree.keep_after(1)
    assert tree.internalize() == "b"


@pytest.mark.parametrize(("address", "quoted"), [
    ("user@x", "user@x"),
    ("a b@x", '"a b"@x'),
    ("@r,@s:a b@x", '@r,@s:"a b"@x'),
    ("@r:user@x", "@r:user@x"),
    ("", '""'),
    ("@", '""@'),
    ('a"b@x', '"a\\"b"@x'),
    ("a\rb@x", '"a\\\rb"@x'),
    ("j\u00fcrgen@x", "j\u00fcrgen@x"),
])
def test_quote_822_address(address: str, quoted: str) -> None:
    assert quote_822_address(address) == quoted


@pytest.mark.parametrize(("addr", "problem"), [
    ("1.2.3.4", None),
    ("0.0.0.0", None),
    ("0.1.2.3", "bad initial octet value"),
    ("1.2.3", "invalid octet count"),
    ("1.2.3.4.", "misplaced dot"),
    ("1..3.4", "misplaced dot"),
    ("256.1.1.1", "invalid octet value"),
    ("1.2.3.x", "invalid character 120(decimal)"),
    ("1.2.3.\u00fc", "invalid character 195(decimal)"),
])
def test_ipv4_problem(addr: str, problem: str | None) -> None:
    expected = None if problem is None else f"valid_ipv4_hostaddr: {problem}: {addr}"
    assert ipv4_problem(addr) == expected


@pytest.mark.parametrize(("addr", "problem"), [
    ("::1", None),
    ("2001:db8::1", None),
    ("::ffff:1.2.3.4", None),
    ("1:2:3:4:5:6:7:8", None),
    ("1:2", "too few `:' in IPv6 address"),
    (":1:2::3", "bad null first field in IPv6 address"),
    ("1:2:3:4:5:6:7:8:9", "too many `:' in IPv6 address"),
    ("1::2::3", "too many `::' in IPv6 address"),
    ("12345::1", "malformed IPv6 address"),
    ("1:2:", "bad null last field in IPv6 address"),
    ("::g", "invalid character 103(decimal) in IPv6 address"),
    ("1:2:3:4:5:6:7:1.1.1.1", "malformed IPv4-in-IPv6 address"),
    ("1.1.1.1", "malformed IPv4-in-IPv6 address"),
])
def test_ipv6_problem(addr: str, problem: str | None) -> None:
    expected = None if problem is None else f"valid_ipv6_hostaddr: {problem}: {addr}"
    assert ipv6_problem(addr) == expected


def test_valid_mailhost_addr() -> None:
    warnings: list[str] = []
    assert valid_mailhost_addr("IPv6:::1", warnings.append) == "::1"
    assert valid_mailhost_addr("ipv6:::1", warnings.append) == "::1"
    assert valid_mailhost_addr("1.2.3.4", warnings.append) == "1.2.3.4"
    assert valid_mailhost_addr("::1", warnings.append) is None
    assert valid_mailhost_addr("IPv6:1.2.3.4") is None
    assert warnings == ["valid_ipv4_hostaddr: invalid character 58(decimal): ::1"]


def test_match_list_reports_table_problems_when_asked() -> None:
    warnings: list[str] = []
    with pytest.raises(TableRetryError):
        string_list("relay_domains", "fail:relay", warnings.append).match("x")
    assert warnings == ["relay_domains: fail:relay: table lookup problem"]
    with pytest.raises(TableRetryError):
        string_list("relay_domains", "fail:relay").match("x")
