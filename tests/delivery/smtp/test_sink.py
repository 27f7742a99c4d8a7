"""The smtp agent against Postfix's smtp-sink(1) and a test DNS server, on loopback."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.delivery.request import FLAG_CONN_STORE
from pyfix.queue.layout import INCOMING
from pyfix.queue.reader import QueueFile
from tests.delivery.smtp.harness import SMTP_SINK, Sink, SmtpHarness
from tests.dnsserver import DnsServer
from tests.instance import free_port

pytestmark = pytest.mark.skipif(not os.path.exists(SMTP_SINK),
                                reason="smtp-sink (Debian package postfix) is not installed")

ZONE = """
twomx.test.      60 MX 10 mx1.twomx.test.
twomx.test.      60 MX 20 mx2.twomx.test.
mx1.twomx.test.  60 A  127.0.0.2
mx2.twomx.test.  60 A  127.0.0.1
nullmx.test.     60 MX 0 .
broken.test.     SERVFAIL
"""
DELAYS = r"delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+"


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(ZONE)
    yield server
    server.stop()


@pytest.fixture
def harness(dns: DnsServer) -> Iterator[SmtpHarness]:
    h = SmtpHarness(f"pyfix_dns_servers = {dns.spec}\n")
    yield h
    h.close()


@pytest.fixture
def sinks() -> Iterator[list[Sink]]:
    made: list[Sink] = []
    yield made
    for sink in made:
        sink.stop()


def status_line(h: SmtpHarness, queue_id: str) -> str:
    lines = [line for line in h.log_lines() if line.startswith(f"{queue_id}: to=")]
    assert lines, h.log_lines()
    return lines[-1]


def pending(h: SmtpHarness, queue_id: str) -> list[str]:
    with QueueFile.open(h.layout, INCOMING, queue_id) as queue_file:
        return [r.address for r in queue_file.read_envelope().pending()]


def test_delivered(harness: SmtpHarness, sinks: list[Sink]) -> None:
    dump = harness.root / "dump"
    dump.mkdir()
    os.chmod(dump, 0o777)
    sinks.append(sink := Sink(dump=dump))
    queue_id = harness.submit(["rcpt@remote.example"])
    response = harness.deliver(queue_id, sink.nexthop)
    assert [r.status for r in response.results] == ["sent"] and not response.site_failure
    assert re.fullmatch(
        rf"{queue_id}: to=<rcpt@remote.example>, relay=127.0.0.1\[127.0.0.1\]:{sink.port}, "
        rf"{DELAYS}, dsn=2.0.0, status=sent \(250 2.0.0 Ok\)", status_line(harness, queue_id))
    assert pending(harness, queue_id) == []
    [dumped] = list(dump.iterdir())
    data = dumped.read_bytes()
    assert b"\n.a line that starts with a dot\n" in data and b"\n.\n" in data


def test_hard_and_soft_rejects(harness: SmtpHarness, sinks: list[Sink]) -> None:
    sinks.append(hard := Sink("-f", "RCPT"))
    queue_id = harness.submit(["user@remote.example"])
    response = harness.deliver(queue_id, hard.nexthop)
    assert [r.status for r in response.results] == ["bounced"]
    line = status_line(harness, queue_id)
    assert re.search(r"dsn=5\.\d\.\d, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] "
                     r"said: 5\d\d .* \(in reply to RCPT TO command\)\)$", line), line
    sinks.append(soft := Sink("-r", "MAIL"))
    queue_id = harness.submit(["user@remote.example"])
    response = harness.deliver(queue_id, soft.nexthop)
    assert [r.status for r in response.results] == ["deferred"]
    assert response.site_failure == ""  # a message failure does not throttle the site
    assert re.search(r"status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 4\d\d .* "
                     r"\(in reply to MAIL FROM command\)\)$", status_line(harness, queue_id))
    assert pending(harness, queue_id) == ["user@remote.example"]


def test_connection_refused_is_a_site_failure(harness: SmtpHarness) -> None:
    port = free_port()
    queue_id = harness.submit(["user@remote.example"])
    response = harness.deliver(queue_id, f"[127.0.0.1]:{port}")
    reason = f"connect to 127.0.0.1[127.0.0.1]:{port}: Connection refused"
    assert response.site_failure == reason
    assert re.fullmatch(rf"{queue_id}: to=<user@remote.example>, relay=none, {DELAYS}, "
                        rf"dsn=4.4.1, status=deferred \({re.escape(reason)}\)",
                        status_line(harness, queue_id))


def test_greeting_timeout_and_lost_connection(harness: SmtpHarness, sinks: list[Sink]) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        queue_id = harness.submit(["user@remote.example"])
        response = harness.deliver(queue_id, f"[127.0.0.1]:{port}")
    assert response.site_failure == ("conversation with 127.0.0.1[127.0.0.1] timed out "
                                     "while receiving the initial server greeting")
    assert f"relay=127.0.0.1[127.0.0.1]:{port}," in status_line(harness, queue_id)
    sinks.append(sink := Sink("-q", "MAIL"))
    queue_id = harness.submit(["user@remote.example"])
    response = harness.deliver(queue_id, sink.nexthop)
    assert response.site_failure == ("lost connection with 127.0.0.1[127.0.0.1] "
                                     "while sending MAIL FROM")


def test_5xx_greeting_is_skipped_as_soft(harness: SmtpHarness, sinks: list[Sink]) -> None:
    sinks.append(sink := Sink("-f", "CONNECT"))
    queue_id = harness.submit(["user@remote.example"])
    response = harness.deliver(queue_id, sink.nexthop)
    line = status_line(harness, queue_id)
    assert [r.status for r in response.results] == ["deferred"], line
    assert re.search(r"dsn=4\.\d\.\d, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] "
                     r"refused to talk to me: 5\d\d ", line), line


def test_mx_hosts_in_preference_order(harness: SmtpHarness, sinks: list[Sink]) -> None:
    sinks.append(sink := Sink())
    queue_id = harness.submit(["user@twomx.test"])
    response = harness.deliver(queue_id, f"twomx.test:{sink.port}")
    assert [r.status for r in response.results] == ["sent"]
    log = harness.log_lines()
    assert f"connect to mx1.twomx.test[127.0.0.2]:{sink.port}: Connection refused" in log
    assert f"relay=mx2.twomx.test[127.0.0.1]:{sink.port}," in status_line(harness, queue_id)


@pytest.mark.parametrize(("domain", "status", "dsn", "reason"), [
    ("nowhere.test", "bounced", "5.4.4", "Host or domain name not found. Name service error "
                                         "for name=nowhere.test type=A: Host not found"),
    ("broken.test", "deferred", "4.4.3", "Host or domain name not found. Name service error "
                                         "for name=broken.test type=MX: Host not found, try again"),
    ("nullmx.test", "bounced", "5.1.0", "Domain nullmx.test does not accept mail (nullMX)"),
])
def test_dns_failures(harness: SmtpHarness, domain: str, status: str, dsn: str,
                      reason: str) -> None:
    queue_id = harness.submit([f"user@{domain}"])
    response = harness.deliver(queue_id, domain)
    assert [r.status for r in response.results] == [status]
    assert re.fullmatch(rf"{queue_id}: to=<user@{domain}>, relay=none, {DELAYS}, dsn={dsn}, "
                        rf"status={status} \({re.escape(reason)}\)",
                        status_line(harness, queue_id))
    assert response.site_failure == (reason if status == "deferred" else "")


def test_loop_detection_on_port_25(harness: SmtpHarness, sinks: list[Sink]) -> None:
    queue_id = harness.submit(["user@remote.example"])
    harness.deliver(queue_id, "[127.0.0.1]")  # an address of this machine
    assert "dsn=5.4.6, status=bounced (mail for 127.0.0.1 loops back to myself)" in \
        status_line(harness, queue_id)
    try:
        sinks.append(Sink("-h", "mail.example.com", port=25, host="127.0.0.5"))
    except RuntimeError:
        pytest.skip("cannot run smtp-sink on 127.0.0.5:25")
    queue_id = harness.submit(["user@remote.example"])
    harness.deliver(queue_id, "[127.0.0.5]")
    assert ("warning: host 127.0.0.5[127.0.0.5]:25 replied to HELO/EHLO with my own hostname "
            "mail.example.com") in harness.log_lines()
    assert "status=bounced (mail for [127.0.0.5] loops back to myself)" in \
        status_line(harness, queue_id)


def test_connection_cache_reuses_the_session(harness: SmtpHarness, sinks: list[Sink]) -> None:
    sinks.append(sink := Sink())
    first = harness.submit(["one@remote.example"])
    second = harness.submit(["two@remote.example"])

    async def both() -> None:
        for queue_id in (first, second):
            request = harness.request(queue_id, sink.nexthop, FLAG_CONN_STORE)
            response = await harness.deliver_async(request)
            assert [r.status for r in response.results] == ["sent"]

    asyncio.run(both())
    assert "conn_use=" not in status_line(harness, first)
    assert ", conn_use=2, " in status_line(harness, second)


def test_size_limit_of_server(harness: SmtpHarness, pyfix_instance) -> None:  # type: ignore[no-untyped-def]
    inst = pyfix_instance("message_size_limit = 1000\n", master_cf="")
    queue_id = harness.submit(["user@remote.example"], body=[b"Received: from x by y; Fri, 1 Nov 2024 00:00:00 +0000", b"Subject: big", b""] +
                              [b"x" * 70] * 30)
    response = harness.deliver(queue_id, f"[127.0.0.1]:{inst.port}")
    assert [r.status for r in response.results] == ["bounced"]
    assert re.search(r"dsn=5\.3\.4, status=bounced \(message size \d+ exceeds size limit 1000 "
                     r"of server 127\.0\.0\.1\[127\.0\.0\.1\]\)$", status_line(harness, queue_id))
    assert Path(inst.root).exists()
