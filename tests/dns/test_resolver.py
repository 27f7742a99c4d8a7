"""pyfix.dns against a real DNS server process on loopback (tests/dnsserver.py)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator

import pytest

from pyfix.config.load import load_config
from pyfix.dns import (
    DNS_FAIL,
    DNS_NOTFOUND,
    DNS_NULLMX,
    DNS_RETRY,
    DnsLookupError,
    Nameservers,
    Resolver,
    servers_from_config,
)
from pyfix.dns.servers import parse_resolv_conf, parse_server
from tests.dnsserver import DnsServer
from tests.instance import world_traversable_dir

ZONE = """
example.test.        300 MX 20 mx2.example.test.
example.test.        300 MX 10 mx1.example.test.
example.test.        300 A  127.0.0.9
mx1.example.test.    300 A  127.0.0.2
mx2.example.test.    300 A  127.0.0.3
mx2.example.test.    300 AAAA ::1
alias.example.test.  300 CNAME mx1.example.test.
chain.example.test.  300 CNAME alias.example.test.
nullmx.test.         300 MX 0 .
nodata.test.         300 TXT "no mail here"
servfail.test.       SERVFAIL
refused.test.        REFUSED
slow.test.           TIMEOUT
"""


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    srv = DnsServer(ZONE)
    yield srv
    srv.stop()


def resolver(server: DnsServer, timeout: float = 0.3, attempts: int = 1) -> Resolver:
    return Resolver(Nameservers([(server.address, server.port)], timeout, attempts))


def lookup(res: Resolver, name: str, rtype: str) -> list[tuple[str, int]]:
    records = asyncio.run(res.lookup(name, rtype))
    return [(r.data, r.pref) for r in records]


def failure(res: Resolver, name: str, rtype: str) -> DnsLookupError:
    with pytest.raises(DnsLookupError) as info:
        asyncio.run(res.lookup(name, rtype))
    return info.value


def test_mx_records_with_preferences(server: DnsServer) -> None:
    found = sorted(lookup(resolver(server), "example.test", "MX"), key=lambda r: r[1])
    assert found == [("mx1.example.test", 10), ("mx2.example.test", 20)]


def test_address_records(server: DnsServer) -> None:
    res = resolver(server)
    assert lookup(res, "mx2.example.test", "A") == [("127.0.0.3", 0)]
    assert lookup(res, "mx2.example.test.", "AAAA") == [("::1", 0)]


def test_cname_chain_is_followed(server: DnsServer) -> None:
    records = asyncio.run(resolver(server).lookup("chain.example.test", "A"))
    assert [r.data for r in records] == ["127.0.0.2"]
    assert records[0].name == "chain.example.test"


def test_nxdomain_is_hard_with_postfix_text(server: DnsServer) -> None:
    err = failure(resolver(server), "example.invalid", "MX")
    assert err.status == DNS_NOTFOUND and not err.soft
    assert err.text == ("Host or domain name not found. Name service error for "
                        "name=example.invalid type=MX: Host not found")


def test_nodata_is_not_found(server: DnsServer) -> None:
    err = failure(resolver(server), "nodata.test", "A")
    assert err.status == DNS_NOTFOUND
    assert err.text.endswith("name=nodata.test type=A: "
                             "Host found but no data record of requested type")


def test_servfail_is_soft(server: DnsServer) -> None:
    err = failure(resolver(server), "servfail.test", "MX")
    assert err.status == DNS_RETRY and err.soft
    assert err.text.endswith("name=servfail.test type=MX: Host not found, try again")


def test_timeout_is_soft(server: DnsServer) -> None:
    err = failure(resolver(server, timeout=0.2, attempts=2), "slow.test", "A")
    assert err.status == DNS_RETRY
    assert err.text.endswith("type=A: Host not found, try again")


def test_refused_is_non_recoverable(server: DnsServer) -> None:
    err = failure(resolver(server), "refused.test", "A")
    assert err.status == DNS_FAIL
    assert err.text.endswith("type=A: Non-recoverable error")


def test_null_mx(server: DnsServer) -> None:
    err = failure(resolver(server), "nullmx.test", "MX")
    assert err.status == DNS_NULLMX
    assert err.text == "Domain nullmx.test does not accept mail (nullMX)"


def test_no_server_listening_is_soft() -> None:
    res = Resolver(Nameservers([("127.0.0.1", 9)], 0.2, 1))
    assert failure(res, "example.test", "MX").status == DNS_RETRY


def test_cache_and_inflight_deduplication(server: DnsServer) -> None:
    res = resolver(server)

    async def many() -> list[list[str]]:
        results = await asyncio.gather(*(res.lookup("example.test", "A") for _ in range(5)))
        again = await res.lookup("EXAMPLE.test", "A")
        return [[r.data for r in rs] for rs in [*results, again]]

    assert asyncio.run(many()) == [["127.0.0.9"]] * 6
    assert res.queries_sent == 1


def test_soft_failures_are_not_cached_but_nxdomain_is(server: DnsServer) -> None:
    res = resolver(server)
    failure(res, "servfail.test", "A")
    failure(res, "servfail.test", "A")
    assert res.queries_sent == 2
    failure(res, "gone.test", "A")
    failure(res, "gone.test", "A")
    assert res.queries_sent == 3


def test_server_parsing() -> None:
    assert parse_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_server("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_server("[::1]:5353") == ("::1", 5353)
    assert parse_server("::1") == ("::1", 53)
    for bad in ("dns.example:53", "127.0.0.1:0", "[::1", "127.0.0.1:x"):
        with pytest.raises(ValueError):
            parse_server(bad)
    conf = parse_resolv_conf("# c\nnameserver 10.0.0.1\nnameserver ::1\n"
                             "options timeout:1 attempts:3 rotate\n")
    assert conf.servers == [("10.0.0.1", 53), ("::1", 53)]
    assert (conf.timeout, conf.attempts) == (1.0, 3)
    assert parse_resolv_conf("").servers == [("127.0.0.1", 53)]


def test_pyfix_dns_servers_parameter() -> None:
    etc = world_traversable_dir("pyfix-dns-")
    (etc / "master.cf").write_text("")
    (etc / "main.cf").write_text("pyfix_dns_servers = 127.0.0.1:5353, [::1]:53\n")
    config = load_config(str(etc))
    assert servers_from_config(config).servers == [("127.0.0.1", 5353), ("::1", 53)]
    (etc / "main.cf").write_text("")
    resolv = etc / "resolv.conf"
    resolv.write_text("nameserver 192.0.2.1\n")
    assert servers_from_config(load_config(str(etc)), str(resolv)).servers == [
        ("192.0.2.1", 53)]
    shutil.rmtree(etc)
