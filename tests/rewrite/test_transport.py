"""transport(5) entries and lookups (seed S2)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pyfix.rewrite.transport import TransportMaps, apply_transport_entry
from pyfix.tables.base import TableRetryError
from tests.rewrite.helpers import make_service


@pytest.mark.parametrize(("value", "expected"), [
    ("smtp:[192.168.1.2]", ("smtp", "[192.168.1.2]")),
    ("smtp:[mail.example]:2525", ("smtp", "[mail.example]:2525")),
    ("lmtp:unix:/var/run/lmtp", ("lmtp", "unix:/var/run/lmtp")),
    ("relay", ("relay", "rcpt.example")),
    ("relay:", ("relay", "rcpt.example")),
    (":[host.example]", ("old", "[host.example]")),
    (":", ("old", "old-hop")),
    ("error:5.7.1 go away", ("error", "5.7.1 go away")),
    ("error", ("error", "Address is undeliverable")),
    ("retry:", ("retry", "Address is undeliverable")),
])
def test_apply_transport_entry(value: str, expected: tuple[str, str]) -> None:
    assert apply_transport_entry(value, "rcpt.example", "old", "old-hop") == expected


def write_table(path: Path, text: str) -> None:
    """A table file that is not brand new (texthash waits for fresh files)."""
    path.write_text(text)
    os.utime(path, (time.time() - 60, time.time() - 60))


S2_TABLE = """\
hogehoge.ac.jp smtp:[192.168.1.2]
.hogehoge.ac.jp smtp:[192.168.1.2]
"""


def test_s2_domain_and_subdomains_with_separate_entries(tmp_path: Path) -> None:
    write_table(tmp_path / "transport", S2_TABLE)
    service = make_service(f"transport_maps = texthash:{tmp_path}/transport\n")
    for address in ("user@hogehoge.ac.jp", "user@xxx.hogehoge.ac.jp", "user@a.b.hogehoge.ac.jp",
                    "user@HOGEHOGE.AC.JP"):
        reply = service.resolve(address)
        assert (reply.transport, reply.nexthop) == ("smtp", "[192.168.1.2]"), address
    other = service.resolve("user@other.ac.jp")
    assert (other.transport, other.nexthop) == ("smtp", "other.ac.jp")


def test_s2_only_the_domain_entry(tmp_path: Path) -> None:
    write_table(tmp_path / "transport", "hogehoge.ac.jp smtp:[192.168.1.2]\n")
    service = make_service(f"transport_maps = texthash:{tmp_path}/transport\n")
    assert service.resolve("user@hogehoge.ac.jp").nexthop == "[192.168.1.2]"
    # "this does not relay for the subdomains (both lines are needed)"
    assert service.resolve("user@xxx.hogehoge.ac.jp").nexthop == "xxx.hogehoge.ac.jp"
    pdms = make_service(f"transport_maps = texthash:{tmp_path}/transport\n"
                        "parent_domain_matches_subdomains = transport_maps\n")
    assert pdms.resolve("user@xxx.hogehoge.ac.jp").nexthop == "[192.168.1.2]"


def test_s2_hash_map_built_by_postmap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyfix.cli.postmap import run as postmap

    (tmp_path / "main.cf").write_text("")
    monkeypatch.setenv("MAIL_CONFIG", str(tmp_path))
    (tmp_path / "transport").write_text(S2_TABLE)
    assert postmap(["postmap", f"hash:{tmp_path}/transport"]) == 0
    service = make_service(f"transport_maps = hash:{tmp_path}/transport\n")
    assert service.resolve("user@xxx.hogehoge.ac.jp").nexthop == "[192.168.1.2]"


def test_full_address_extension_and_wildcard(tmp_path: Path) -> None:
    write_table(
        tmp_path / "transport",
        "special@remote.example smtp:[special.example]\n"
        "local@mail.example.com relay:[hub.example]\n"
        "* smtp:[star.example]\n")
    service = make_service(f"transport_maps = texthash:{tmp_path}/transport\n"
                           "recipient_delimiter = +\n")
    assert service.resolve("special+ext@remote.example").nexthop == "[special.example]"
    local = service.resolve("local@mail.example.com")
    assert (local.transport, local.nexthop, local.address_class.name) == (  # type: ignore[union-attr]
        "relay", "[hub.example]", "LOCAL")
    # the wild card applies to every class, local mail included
    assert service.resolve("user").nexthop == "[star.example]"


def test_virtual_alias_class_ignores_transport_maps() -> None:
    service = make_service("transport_maps = inline:{ {valias.example = smtp:[x.example]} }\n"
                           "virtual_alias_domains = valias.example\n")
    assert service.resolve("user@valias.example").transport == "error"


def test_wildcard_is_cached_and_retried_after_an_error() -> None:
    now = [0.0]
    maps = TransportMaps("transport_maps", "inline:{ {* = smtp:[star.example]} }",
                         parent_style=False, clock=lambda: now[0])
    assert maps.lookup("u@x.example", "x.example", "smtp", "x.example") == (
        "smtp", "[star.example]")
    failing = TransportMaps("transport_maps", "fail:t", parent_style=False,
                            warn=lambda _text: None)
    with pytest.raises(TableRetryError):
        failing.lookup("u@x.example", "x.example", "smtp", "x.example")
