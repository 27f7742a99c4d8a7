"""NAME
    pyfix.dns.resolver - asynchronous DNS lookups with a TTL cache

SUMMARY
    Resolver, preload()

DESCRIPTION
    Resolver.lookup(name, rtype) asks the configured servers (see
    servers.py) for one record type, follows CNAME chains (at most ten
    links, as Postfix does), and returns the records of the requested
    type.  It classifies failures as the C library's resolver does for
    Postfix:

    - NXDOMAIN: "Host not found", and NOERROR without data: "Host found
      but no data record of requested type" -- DNS_NOTFOUND (hard);
    - SERVFAIL, or no answer within timeout x attempts: "Host not found,
      try again" -- DNS_RETRY (soft);
    - FORMERR, NOTIMP, REFUSED: "Non-recoverable error" -- DNS_FAIL;
    - an MX record with the root as exchange (RFC 7505): DNS_NULLMX.

    Each query goes to the servers in order (UDP, TCP when truncated),
    for "attempts" rounds.  Answers are cached for their smallest TTL;
    "not found" answers for the SOA minimum of the authority section;
    soft failures are not cached.  Concurrent lookups of the same name
    and type share one query.

    dnspython imports its record-type modules and its asyncio backend on
    first use; preload() imports them at start-up, because a service
    that has dropped root privileges may not be able to read them.

    Parameters read: none (the caller passes Nameservers).

DIAGNOSTICS
    DnsLookupError (records.py) with Postfix's status and text.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Awaitable

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from pyfix.dns.records import (
    DNS_FAIL,
    DNS_NOTFOUND,
    DNS_RETRY,
    HOST_NOT_FOUND,
    NO_DATA,
    NO_RECOVERY,
    TRY_AGAIN,
    DnsLookupError,
    Record,
    lookup_error,
    malformed_error,
    nullmx_error,
)
from pyfix.dns.servers import Nameservers

MAX_CNAME = 10
CACHE_LIMIT = 10000

_Result = list[Record] | DnsLookupError
LAZY_MODULES = ("dns._asyncio_backend", "dns.rdtypes.IN.A", "dns.rdtypes.IN.AAAA",
                "dns.rdtypes.ANY.MX", "dns.rdtypes.ANY.CNAME", "dns.rdtypes.ANY.SOA",
                "dns.rdtypes.ANY.TXT", "dns.rdtypes.ANY.PTR", "dns.rdtypes.ANY.NS",
                "dns.rdtypes.IN.SRV", "dns.rdtypes.ANY.TLSA")


def preload() -> None:
    """Import what dnspython would import lazily (before dropping privileges)."""
    for name in LAZY_MODULES:
        importlib.import_module(name)


def _record(rrset: dns.rrset.RRset, rtype: str, owner: str) -> list[Record]:
    out: list[Record] = []
    for rdata in rrset:
        if rtype == "MX":
            exchange = rdata.exchange
            if exchange == dns.name.root:
                raise nullmx_error(owner)
            out.append(Record(owner, rtype, exchange.to_text(omit_final_dot=True).lower(),
                              int(rdata.preference), rrset.ttl))
        elif rtype in ("A", "AAAA"):
            out.append(Record(owner, rtype, str(rdata.address), 0,
                              rrset.ttl))
        else:
            out.append(Record(owner, rtype, rdata.to_text(), 0, rrset.ttl))
    return out


def _negative_ttl(response: dns.message.Message) -> int:
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            for rdata in rrset:
                return min(rrset.ttl, int(rdata.minimum))
    return 0


class Resolver:
    """One per process: servers, cache and queries in flight."""

    def __init__(self, nameservers: Nameservers, cache_limit: int = CACHE_LIMIT) -> None:
        self.nameservers = nameservers
        self.cache_limit = cache_limit
        self._cache: dict[tuple[str, str], tuple[float, _Result]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[_Result]] = {}
        self.queries_sent = 0  # for tests and statistics

    async def lookup(self, name: str, rtype: str) -> list[Record]:
        """The records of type rtype for name; DnsLookupError otherwise."""
        name = name.rstrip(".")
        key = (name.lower(), rtype.upper())
        cached = self._cache.get(key)
        if cached is not None:
            if cached[0] > time.monotonic():
                return self._unwrap(cached[1])
            del self._cache[key]
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._lookup_and_store(key, name, rtype.upper()))
            self._inflight[key] = future
            future.add_done_callback(lambda _f: self._inflight.pop(key, None))
        return self._unwrap(await asyncio.shield(future))

    @staticmethod
    def _unwrap(result: _Result) -> list[Record]:
        if isinstance(result, DnsLookupError):
            raise DnsLookupError(result.status, result.text, result.negative_ttl)
        return list(result)

    async def _lookup_and_store(self, key: tuple[str, str], name: str, rtype: str) -> _Result:
        try:
            result: _Result = await self._resolve(name, rtype)
        except DnsLookupError as exc:
            result = exc
        ttl = self._ttl(result)
        if ttl > 0:
            if len(self._cache) >= self.cache_limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (time.monotonic() + ttl, result)
        return result

    @staticmethod
    def _ttl(result: _Result) -> int:
        if isinstance(result, DnsLookupError):
            return result.negative_ttl if result.status == DNS_NOTFOUND else 0
        return min((record.ttl for record in result), default=0)

    async def _resolve(self, name: str, rtype: str) -> list[Record]:
        qname = name
        for _ in range(MAX_CNAME):
            response = await self._query(qname, rtype)
            rcode = response.rcode()
            target = dns.name.from_text(qname)
            found: list[Record] = []
            for _ in range(MAX_CNAME):  # CNAME links within this answer
                cname = None
                for rrset in response.answer:
                    if rrset.name != target:
                        continue
                    if rrset.rdtype == dns.rdatatype.from_text(rtype):
                        found.extend(_record(rrset, rtype, name))
                    elif rrset.rdtype == dns.rdatatype.CNAME:
                        cname = rrset[0].target
                if found or cname is None:
                    break
                target = cname
            if found:
                return found
            alias = target.to_text(omit_final_dot=True)
            if alias.lower() != qname.lower():
                qname = alias  # the answer ends in an alias: ask for its target
                continue
            negative = _negative_ttl(response)
            if rcode == dns.rcode.NXDOMAIN:
                raise lookup_error(DNS_NOTFOUND, qname, rtype, HOST_NOT_FOUND, negative)
            raise lookup_error(DNS_NOTFOUND, qname, rtype, NO_DATA, negative)
        raise DnsLookupError(DNS_NOTFOUND, f"Name server loop for {name}")

    async def _query(self, qname: str, rtype: str) -> dns.message.Message:
        """One answer with rcode NOERROR or NXDOMAIN, or DnsLookupError."""
        try:
            query = dns.message.make_query(qname, rtype, dns.rdataclass.IN,
                                           flags=dns.flags.RD)
        except (dns.exception.DNSException, ValueError):
            raise malformed_error(qname, rtype) from None
        failure = TRY_AGAIN
        servers = self.nameservers.servers
        for _ in range(max(1, self.nameservers.attempts)):
            timed_out = False
            for addr, port in servers:
                self.queries_sent += 1
                try:
                    response, _tcp = await self._send(
                        dns.asyncquery.udp_with_fallback(
                            query, addr, timeout=self.nameservers.timeout, port=port))
                except (TimeoutError, dns.exception.Timeout):
                    timed_out = True
                    continue
                except (OSError, dns.exception.DNSException):
                    failure = TRY_AGAIN
                    continue
                rcode = response.rcode()
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return response
                failure = TRY_AGAIN if rcode == dns.rcode.SERVFAIL else NO_RECOVERY
            if not timed_out:
                break
        status = DNS_RETRY if failure == TRY_AGAIN else DNS_FAIL
        raise lookup_error(status, qname, rtype, failure)

    async def _send(self, coro: Awaitable[tuple[dns.message.Message, bool]],
                    ) -> tuple[dns.message.Message, bool]:
        return await asyncio.wait_for(coro, self.nameservers.timeout + 1)
