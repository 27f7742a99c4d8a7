"""A small authoritative DNS server for tests, on loopback, UDP and TCP.

Run from the repository root: python -m tests.dnsserver [--port N] [--address A] ZONEFILE
(or --zone TEXT).  It binds UDP and TCP on the same port (0: a free one),
prints "PORT n" on stdout once it serves, and runs until killed.

Zone lines, one record or behaviour per line ("#" starts a comment):

    example.com.        300 MX    10 mx1.example.com.
    mx1.example.com.    300 A     127.0.0.2
    alias.example.com.  300 CNAME mx1.example.com.
    nullmx.example.     300 MX    0 .
    broken.example.     SERVFAIL  (answer SERVFAIL for every type)
    refused.example.    REFUSED
    slow.example.       TIMEOUT   (never answer)

A name that has no line gets NXDOMAIN; a name that exists but has no
record of the asked type gets NOERROR with an empty answer and an SOA in
the authority section (negative TTL 60).  CNAME chains are followed
within the zone.  Use DnsServer (below) from tests; it starts the
process, waits for the port and stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

REPO = Path(__file__).resolve().parents[1]
BEHAVIOURS = {"SERVFAIL", "REFUSED", "TIMEOUT"}
SOA_TEXT = "ns.test. hostmaster.test. 1 3600 600 86400 60"


class Zone:
    def __init__(self, text: str) -> None:
        self.records: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
        self.names: set[dns.name.Name] = set()
        self.behaviour: dict[dns.name.Name, str] = {}
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            name = dns.name.from_text(words[0])
            if len(words) == 2 and words[1].upper() in BEHAVIOURS:
                self.behaviour[name] = words[1].upper()
                continue
            ttl = int(words[1])
            rdtype = dns.rdatatype.from_text(words[2])
            rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, " ".join(words[3:]))
            rrset = self.records.setdefault(
                (name, rdtype), dns.rrset.RRset(name, dns.rdataclass.IN, rdtype))
            rrset.add(rdata, ttl)
            self.names.add(name)

    def answer(self, query: dns.message.Message) -> dns.message.Message | None:
        response = dns.message.make_response(query)
        response.flags |= 0x0400  # AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        name, rdtype = question.name, question.rdtype
        for _ in range(10):
            behaviour = self.behaviour.get(name)
            if behaviour == "TIMEOUT":
                return None
            if behaviour is not None:
                response.set_rcode(dns.rcode.from_text(behaviour))
                return response
            found = self.records.get((name, rdtype))
            if found is not None:
                response.answer.append(found)
                return response
            cname = self.records.get((name, dns.rdatatype.CNAME))
            if cname is None or rdtype == dns.rdatatype.CNAME:
                break
            response.answer.append(cname)
            name = cname[0].target  # type: ignore[attr-defined]
        if name not in self.names:
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = dns.rrset.from_text(name.parent() if len(name) > 1 else name, 60, "IN", "SOA",
                                  SOA_TEXT)
        response.authority.append(soa)
        return response


class UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        response = self.zone.answer(query)
        if response is not None and self.transport is not None:
            self.transport.sendto(response.to_wire(max_size=512), addr)


async def serve(zone: Zone, address: str, port: int) -> None:
    loop = asyncio.get_running_loop()

    async def on_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(2), "big")
                query = dns.message.from_wire(await reader.readexactly(size))
                response = zone.answer(query)
                if response is None:
                    continue
                wire = response.to_wire()
                writer.write(len(wire).to_bytes(2, "big") + wire)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, dns.exception.DNSException):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_tcp, address, port)
    bound = server.sockets[0].getsockname()[1]
    await loop.create_datagram_endpoint(lambda: UdpProtocol(zone), local_addr=(address, bound))
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--zone", default=None)
    parser.add_argument("zonefile", nargs="?")
    args = parser.parse_args()
    text = args.zone if args.zone is not None else Path(args.zonefile).read_text()
    asyncio.run(serve(Zone(text), args.address, args.port))


class DnsServer:
    """A running dnsserver.py process: .address, .port, .spec ("addr:port")."""

    def __init__(self, zone: str, address: str = "127.0.0.1", port: int = 0) -> None:
        self.address = address
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.dnsserver", "--address", address, "--port", str(port),
             "--zone", zone],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"dnsserver.py did not start on {address}:{port}")
        self.port = int(line.split()[1])

    @property
    def spec(self) -> str:
        return f"{self.address}:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def dns_server(zone: str) -> Iterator[DnsServer]:
    server = DnsServer(zone)
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    main()
