"""Postfix match lists: mydestination, relay_domains, mynetworks semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.address.matchlist import (
    MatchListError,
    addr_list,
    domain_list,
    namadr_list,
    parent_style,
    string_list,
)
from pyfix.address.quote import quote_822_local, unquote_822_local
from pyfix.tables.base import TableConfigError


def test_string_list_mydestination_s17() -> None:
    lst = string_list("mydestination", "mail.example.com, localhost, [192.168.1.1], Example.COM")
    assert lst.match("MAIL.example.com")
    assert lst.match("[192.168.1.1]")
    assert lst.match("example.com")
    assert not lst.match("sub.example.com")


def test_domain_list_parent_styles() -> None:
    parent = domain_list("relay_domains", "example.com", parent=True)
    assert parent.match("example.com") and parent.match("a.b.example.com")
    assert not parent.match("badexample.com")
    dotted = domain_list("relay_domains", "example.com, .sub.org", parent=False)
    assert dotted.match("example.com") and not dotted.match("a.example.com")
    assert dotted.match("x.sub.org") and not dotted.match("sub.org")


def test_negation_and_first_match_wins() -> None:
    lst = domain_list("relay_domains", "!bad.example.com, example.com", parent=True)
    assert lst.match("good.example.com")
    assert not lst.match("bad.example.com")
    with pytest.raises(MatchListError, match="relay_domains: no pattern after '!'"):
        domain_list("relay_domains", "!", parent=True)


def test_tables_and_parents() -> None:
    lst = domain_list("relay_domains", "inline:{example.com=ok}", parent=True)
    assert lst.match("mail.example.com")
    assert not lst.match("example.org")


def test_files(tmp_path: Path) -> None:
    path = tmp_path / "domains"
    path.write_text("# comment\none.example, two.example\nthree.example\n")
    lst = string_list("mydestination", f"{path}, four.example")
    assert all(lst.match(d) for d in ("one.example", "two.example", "three.example", "four.example"))
    missing = string_list("mydestination", str(tmp_path / "nope"))
    with pytest.raises(TableConfigError, match=r"open file .*nope: No such file or directory"):
        missing.match("x")


def test_addr_list_mynetworks_s8() -> None:
    lst = addr_list("mynetworks", "127.0.0.0/8, 192.168.1.0/24 [::1]/128 [2001:db8::]/32 10.1.2.3")
    for addr in ("127.0.0.1", "192.168.1.77", "::1", "2001:db8::5", "10.1.2.3"):
        assert lst.match(addr), addr
    for addr in ("192.168.2.1", "10.1.2.4", "2001:db9::1", "not-an-address"):
        assert not lst.match(addr), addr


def test_namadr_list() -> None:
    lst = namadr_list("debug_peer_list", "example.com, 10.0.0.0/8", parent=True)
    assert lst.match("host.example.com", "1.2.3.4")
    assert lst.match("unknown", "10.9.9.9")
    assert not lst.match("unknown", "11.0.0.1")


def test_parent_style_default() -> None:
    default = ("debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,"
               "qmqpd_authorized_clients,relay_domains,smtpd_access_maps")
    assert parent_style(default, "relay_domains")
    assert not parent_style(default, "transport_maps")


def test_quoting() -> None:
    assert quote_822_local("a b@x") == '"a b"@x'
    assert quote_822_local(".a@x") == '".a"@x'
    assert quote_822_local("a..b@x") == '"a..b"@x'
    assert quote_822_local("user@x") == "user@x"
    assert unquote_822_local('"a\\"b"@x') == 'a"b@x'
    assert unquote_822_local('"a b"@x') == "a b@x"
