"""The seed's network on loopback: a DMZ server, an internal server, the Internet.

The notebook (/work/shared/seed/000_72c5cbf7dea23ee4.txt) describes a DMZ
mail server that relays mail for hogehoge.ac.jp to an internal server
(192.168.1.2), and an internal server that sends everything it does not
deliver itself back to the DMZ host.  Here:

- the DMZ server is a pyfix instance on 127.0.0.2,
- the internal server is a pyfix instance on 127.0.0.3,
- "the Internet" is smtp-sink(1) on 127.0.0.4 (and 127.0.0.5), which
  dumps each transaction (envelope and message) into a directory,
- names come from tests/dnsserver.py (pyfix_dns_servers).

Ports are free ports, never 25, so next hops are written "[host]:port"
and MX deliveries use smtp_tcp_port.  Domain names use .example where
the notebook has real ones (hogehoge.ac.jp becomes hogehoge.example).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import re
import shutil
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.delivery.smtp.harness import SMTP_SINK, Sink
from tests.dnsserver import DnsServer
from tests.instance import DELIVERY_MASTER_CF, Instance, pyfix_command, wait_for

Make = Callable[..., Instance]

DMZ_HOST = "127.0.0.2"
INTERNAL_HOST = "127.0.0.3"
INTERNET_HOST = "127.0.0.4"
DOMAIN = "hogehoge.example"

# Postfix's stock delivery services, without virtual(8): with an empty
# virtual_mailbox_base it stops at start-up, as Postfix's does.
SEED_MASTER_CF = "".join(line + "\n" for line in DELIVERY_MASTER_CF.splitlines()
                         if not line.startswith(("virtual", "lmtp")))

# Names the notebook resolves through DNS.  A name that is not here gets
# NXDOMAIN (vmware40.abc-u.example: the notebook's unreachable host).
ZONE = """\
aaa.example.            300 MX 10 mx.aaa.example.
mx.aaa.example.         300 A  127.0.0.4
mail.provider.example.  300 MX 10 smtp.provider.example.
mail.provider.example.  300 A  127.0.0.5
smtp.provider.example.  300 A  127.0.0.4
"""

needs_sink = pytest.mark.skipif(not os.path.exists(SMTP_SINK),
                                reason="smtp-sink (Debian package postfix) is not installed")


# The notebook's relay control, with its pop-before-smtp table in the
# configuration directory.  Its main.cf has no compatibility_level: it runs
# at level 0, where these lines alone make the relay decision
# (smtpd_relay_restrictions is empty by default), as in Postfix 3.7.
SEED_RECIPIENT_RESTRICTIONS = (
    "smtpd_recipient_restrictions = permit_mynetworks,reject_non_fqdn_recipient,\n"
    "      check_client_access hash:$config_directory/pop-before-smtp,\n"
    "      check_relay_domains\n")


def common_main_cf(dns: DnsServer, myhostname: str) -> str:
    return ("inet_protocols = ipv4\n"
            f"myhostname = {myhostname}\n"
            f"mydomain = {DOMAIN}\n"
            "mynetworks = 127.0.0.0/8\n"
            + SEED_RECIPIENT_RESTRICTIONS +
            f"pyfix_dns_servers = {dns.spec}\n"
            "smtp_connect_timeout = 5s\n"
            "minimal_backoff_time = 300s\nmaximal_backoff_time = 600s\n"
            "queue_run_delay = 300s\n")


@dataclass
class Dumped:
    """One transaction that smtp-sink captured."""

    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


class Internet:
    """smtp-sink on a loopback address, dumping every transaction."""

    def __init__(self, base: Path, host: str = INTERNET_HOST, port: int = 0) -> None:
        self.dump = base / f"sink-{host}"
        self.dump.mkdir(parents=True)
        os.chmod(self.dump, 0o777)
        self.sink = Sink(dump=self.dump, host=host, port=port)
        self.host = host
        self.port = self.sink.port

    @property
    def nexthop(self) -> str:
        return f"[{self.host}]:{self.port}"

    def transactions(self) -> list[Dumped]:
        # Callers wait for the sender's "status=sent" first: smtp-sink has
        # written the file before its 250 reply to the end of data.
        return [_parse_dump(path.read_bytes()) for path in sorted(self.dump.iterdir())
                if b"\n\n" in path.read_bytes()]

    def wait(self, count: int = 1, timeout: float = 30) -> list[Dumped]:
        if not wait_for(lambda: len(self.transactions()) >= count, timeout):
            raise AssertionError(f"{self.host}: got {len(self.transactions())} of {count}")
        return self.transactions()

    def stop(self) -> None:
        self.sink.stop()


def _parse_dump(data: bytes) -> Dumped:
    """smtp-sink's dump: X-Mail-Args/X-Rcpt-Args lines, then the message."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    sender = str(message.get("X-Mail-Args", "")).split()[0] if message.get("X-Mail-Args") \
        else ""
    rcpts = [str(value).split()[0] for value in message.get_all("X-Rcpt-Args", [])]
    return Dumped(_strip(sender), [_strip(r) for r in rcpts], message)


def _strip(arg: str) -> str:
    match = re.fullmatch(r"(?:FROM:|TO:)?<?([^<>]*)>?", arg, re.IGNORECASE)
    return match.group(1) if match else arg


class Seed:
    """The DNS server and the outside world; the pyfix servers come from make."""

    def __init__(self, make: Make, base: Path) -> None:
        self.make = make
        self.base = base
        self.dns = DnsServer(ZONE)
        self.internets: list[Internet] = []

    def internet(self, host: str = INTERNET_HOST, port: int = 0) -> Internet:
        found = Internet(self.base / f"n{len(self.internets)}", host, port)
        self.internets.append(found)
        return found

    def server(self, host: str, myhostname: str, main_cf: str = "",
               files: dict[str, str] | None = None, start: bool = True) -> Instance:
        """A pyfix instance on host; files are written into its config directory first."""
        inst = self.make(common_main_cf(self.dns, myhostname) + main_cf, SEED_MASTER_CF,
                         host=host, start=False)
        as_notebook(inst)
        for name, text in (files or {}).items():
            (inst.etc / name).write_text(text.replace("$ETC", str(inst.etc)))
        if start:
            inst.start()
        return inst

    def close(self) -> None:
        for internet in self.internets:
            internet.stop()
        self.dns.stop()


def seed_fixture(make: Make) -> Iterator[Seed]:
    probe = make(start=False)
    base = probe.root.parent / "seed"
    base.mkdir()
    os.chmod(base, 0o755)
    seed = Seed(make, base)
    try:
        yield seed
    finally:
        seed.close()
        shutil.rmtree(base, ignore_errors=True)


def as_notebook(inst: Instance) -> None:
    """The instance's main.cf as the notebook's: no compatibility_level line
    (the harness's is dropped), each parameter set once, and an empty
    pop-before-smtp table for SEED_RECIPIENT_RESTRICTIONS (the
    pop-before-smtp daemon fills it with the addresses of POP clients)."""
    path = inst.etc / "main.cf"
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines()
                            if line.split("=", 1)[0].strip() != "compatibility_level"))
    dedupe_main_cf(inst)
    (inst.etc / "pop-before-smtp").write_text("")
    postmap(inst, f"hash:{inst.etc}/pop-before-smtp")


def dedupe_main_cf(inst: Instance) -> None:
    """Keep the last setting of each parameter, so that tools do not warn
    "overriding earlier entry" about the harness's defaults."""
    path = inst.etc / "main.cf"
    lines = path.read_text().splitlines()
    names = [line.split("=", 1)[0].strip() for line in lines]
    kept = [line for i, line in enumerate(lines)
            if not names[i] or names[i].startswith("#") or names[i] not in names[i + 1:]]
    path.write_text("".join(line + "\n" for line in kept))


def postmap(inst: Instance, *args: str) -> None:
    result = pyfix_command("postmap", inst.etc, "-c", str(inst.etc), *args)
    assert result.returncode == 0, result.stderr


def sendmail(inst: Instance, args: list[str], message: bytes) -> None:
    result = pyfix_command("sendmail", inst.etc, *args, input=message)
    assert result.returncode == 0, result.stderr
    # Wake pickup now rather than at its next 60-second scan.
    pyfix_command("postqueue", inst.etc, "-f")


def connect(inst: Instance) -> smtplib.SMTP:
    """An SMTP session with the instance.  A connection closed before the
    greeting is tried again (nothing was sent yet): right after "postfix
    reload" pyfix sometimes drops about one connection in a hundred (reported
    to the master's maintainer; Postfix lets running smtpd processes finish)."""
    for _ in range(2):
        try:
            return inst.smtp()
        except smtplib.SMTPServerDisconnected:
            time.sleep(0.5)
    return inst.smtp()


def smtp_send(inst: Instance, sender: str, rcpts: list[str], message: bytes) -> str:
    """Send one message over SMTP; return the queue ID from the 250 reply."""
    with connect(inst) as client:
        client.ehlo("client.example")
        assert client.mail(sender)[0] == 250
        for rcpt in rcpts:
            code, text = client.rcpt(rcpt)
            assert code == 250, text
        code, text = client.data(message)
        assert code == 250, text
    match = re.search(rb"queued as (\w+)", text)
    assert match, text
    return match.group(1).decode()


def log_lines(inst: Instance, queue_id: str) -> list[str]:
    """The mail log lines about queue_id, without date and host."""
    return [line.split(" ", 4)[4] for line in inst.maillog().splitlines()
            if f": {queue_id}: " in line]
