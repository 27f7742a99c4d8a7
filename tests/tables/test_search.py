"""Unit tests for Maps and Postfix's key search orders."""

from __future__ import annotations

import pytest

from pyfix.tables import search
from pyfix.tables.base import TableConfigError, TableRetryError
from pyfix.tables.maps import Maps


def maps(*entries: str) -> Maps:
    body = ", ".join("{" + e + "}" for e in entries)
    return Maps("test_maps", "inline:{" + body + "}")


def test_maps_order_and_errors() -> None:
    m = Maps("t", "inline:{a=1}, inline:{a=2, b=3}")
    assert m.find("a") == "1"
    assert m.find("b") == "3"
    assert m.find("c") is None
    assert m.find("") is None
    warnings: list[str] = []
    failing = Maps("t", "inline:{a=1}, fail:x, inline:{z=9}", warn=warnings.append)
    with pytest.raises(TableRetryError):
        failing.find("z")
    assert warnings[-1] == 'fail:x lookup error for "z"'
    assert failing.find("a") == "1"


def test_surrogate_is_config_error() -> None:
    warnings: list[str] = []
    m = Maps("t", "inline:{x}", warn=warnings.append)
    with pytest.raises(TableConfigError):
        m.find("k")
    assert warnings[0].startswith("inline:{x} is unavailable.")


def test_access_order_s8() -> None:
    m = maps("user+ext@example.com=FULL")
    assert search.find_address(m, "user+ext@example.com", search.ACCESS)[0] == "FULL"
    m = maps("user@example.com=NOEXT")
    assert search.find_address(m, "user+ext@example.com", search.ACCESS,
                               recipient_delimiter="+") == ("NOEXT", "+ext")
    m = maps("example.com=DOMAIN", "user@=LOCAL")
    assert search.find_address(m, "x@example.com", search.ACCESS | search.PDMS)[0] == "DOMAIN"
    assert search.find_address(m, "user@other.org", search.ACCESS | search.PDMS)[0] == "LOCAL"
    sub = "x@mail.sub.example.com"
    assert search.find_address(m, sub, search.ACCESS | search.PDMS)[0] == "DOMAIN"
    assert search.find_address(m, sub, search.ACCESS | search.PDDMDS)[0] is None
    dotted = maps(".example.com=DOT")
    assert search.find_address(dotted, sub, search.ACCESS | search.PDDMDS)[0] == "DOT"


def test_transport_s2_domain_and_subdomains_are_separate() -> None:
    m = maps("hogehoge.ac.jp=smtp:[192.168.1.2]", ".hogehoge.ac.jp=smtp:[192.168.1.3]")
    assert search.find_transport(m, "u@hogehoge.ac.jp", False) == "smtp:[192.168.1.2]"
    assert search.find_transport(m, "u@a.b.hogehoge.ac.jp", False) == "smtp:[192.168.1.3]"
    assert search.find_transport(m, "u@xhogehoge.ac.jp", False) is None
    wildcard = maps("*=relay:[10.0.0.1]", "example.com=local:")
    assert search.find_transport(wildcard, "u@example.com", False) == "local:"
    assert search.find_transport(wildcard, "u@other.net", False) == "relay:[10.0.0.1]"


def test_virtual_order() -> None:
    m = maps("user@example.com=A", "local=B", "@example.com=C")
    assert search.find_address(m, "user@example.com")[0] == "A"

    def local(domain: str) -> bool:
        return domain == "my.host"

    assert search.find_address(m, "local@my.host", is_local_domain=local)[0] == "B"
    assert search.find_address(m, "local@example.org", is_local_domain=local)[0] is None
    assert search.find_address(m, "other@example.com", is_local_domain=local)[0] == "C"


def test_extension_not_split_for_owner_and_postmaster() -> None:
    m = maps("owner@example.com=WRONG", "postmaster@example.com=PM")
    assert search.find_address(m, "owner-list@example.com",
                               recipient_delimiter="-")[0] is None
    assert search.find_address(m, "postmaster@example.com", recipient_delimiter="+")[0] == "PM"


def test_quoted_local_part_is_looked_up_in_external_form_first() -> None:
    m = maps('"a b"@example.com=QUOTED')
    assert search.find_address(m, "a b@example.com")[0] == "QUOTED"


def test_client_address_octets_and_ipv6() -> None:
    m = maps("192.168=NET", "10.1.2.3=HOST")
    assert search.find_client_address(m, "192.168.1.2") == "NET"
    assert search.find_client_address(m, "10.1.2.3") == "HOST"
    assert search.find_client_address(m, "10.1.2.4") is None
    v6 = maps("2001:db8=V6")
    assert search.find_client_address(v6, "2001:db8::1") == "V6"


def test_domain_parents_and_numeric() -> None:
    m = maps("example.com=P")
    assert search.find_domain(m, "a.b.example.com", parent_style=True) == "P"
    assert search.find_domain(m, "a.b.example.com", parent_style=False) is None
    assert search.find_domain(maps(".example.com=D"), "a.example.com", parent_style=False) == "D"
    assert search.find_domain(maps("1.2.3=X"), "1.2.3.4", parent_style=True) is None


def test_empty_result_is_config_error() -> None:
    warnings: list[str] = []
    m = Maps("virtual_alias_maps", "inline:{{a = }}", warn=warnings.append)
    with pytest.raises(TableConfigError):
        m.find("a")
    assert warnings == [
        "virtual_alias_maps lookup of a returns an empty string result",
        "virtual_alias_maps should return NO RESULT in case of NOT FOUND",
    ]
