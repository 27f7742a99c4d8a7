"""Benchmark: the cost per RCPT of a typical restriction list, pyfix against
real Postfix.

Each mail system runs twice with the same main.cf: once with only the relay
check (smtpd_relay_restrictions = reject_unauth_destination), once with
LIST in smtpd_recipient_restrictions as well: ten restrictions, three hash
maps of MAP_ENTRIES entries each (no entry matches the client) and one DNS
blocklist whose answer (the client is not listed) the first RCPT puts in
the cache.  One smtp-source session at a time sends MESSAGES messages of
RCPTS recipients each; the cost per RCPT is the difference between the two
runs' smtpd CPU times (from /proc; for Postfix the smtpd processes, with
max_use high enough that none exits during the load) divided by the number
of RCPTs; the wall-time difference is printed too, but it is noisy.

The blocklist comes from a DNS server on loopback (tests/dnsserver.py):
real Postfix runs in a private mount namespace whose /etc/resolv.conf
names it (tests/resolverns.py); pyfix is pointed at it with
pyfix_dns_servers.  Needs root and Debian's postfix package.

Usage: .venv/bin/python bench/restrictions.py [-m MESSAGES] [-r RCPTS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cpu
from accept import POSTFIX_MASTER, free_port, start_postfix, start_pyfix, stop_pyfix

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.resolverns import DnsWorld  # noqa: E402

MAP_ENTRIES = 1000
MAPS = ("client_access", "pop_before_smtp", "blocklist")
LIST = """smtpd_recipient_restrictions =
    reject_non_fqdn_sender,
    reject_non_fqdn_recipient,
    permit_mynetworks,
    permit_sasl_authenticated,
    check_client_access hash:{maps}/client_access,
    check_client_access hash:{maps}/pop_before_smtp,
    check_client_access hash:{maps}/blocklist,
    reject_rbl_client bl.test,
    reject_unauth_destination,
    permit
"""
# Outside mynetworks, mail for a relay domain.
SETTINGS = """mynetworks = 127.0.0.2/32
relay_domains = example.net
smtpd_relay_restrictions = reject_unauth_destination
"""
ZONE = """
2.0.0.127.bl.test. 300 A 127.0.0.2
"""


def build_maps(directory: Path, postmap: str) -> None:
    directory.mkdir(parents=True)
    os.chmod(directory, 0o755)
    for name in MAPS:
        source = directory / name
        source.write_text("".join(f"192.0.{i // 250}.{i % 250 + 1} REJECT\n"
                                  for i in range(MAP_ENTRIES)))
        subprocess.run([postmap, f"hash:{source}"], check=True)
        for path in directory.iterdir():
            os.chmod(path, 0o644)


def check_log(base: Path) -> None:
    """Every RCPT must have been accepted, without an smtpd warning: a list that
    fails (a 451 for an unknown restriction, a table error) would be
    measured as cheap."""
    log = (base / "maillog").read_text(errors="replace")
    smtpd = [line for line in log.splitlines() if "/smtpd[" in line]
    bad = [line for line in smtpd if " reject: " in line
           or ("warning:" in line and "overriding earlier entry" not in line)]
    if bad:
        sys.exit(f"{base.name}: the list did not accept everything:\n" + "\n".join(bad[:5]))


def load(port: int, messages: int, rcpts: int) -> float:
    start = time.perf_counter()
    subprocess.run(["smtp-source", "-s", "1", "-m", str(messages), "-r", str(rcpts),
                    "-l", "100", "-f", "sender@example.com", "-t", "rcpt@example.net",
                    f"127.0.0.1:{port}"], check=True)
    return time.perf_counter() - start


class Subject:
    """One running mail system: its port and its smtpd CPU seconds so far."""

    def __init__(self, name: str, base: Path, port: int) -> None:
        self.name, self.base, self.port = name, base, port

    def smtpd_cpu(self) -> float:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class Pyfix(Subject):
    def __init__(self, name: str, base: Path, main_cf: str) -> None:
        super().__init__(name, base, free_port())
        self.etc = start_pyfix(base, self.port, main_cf)

    def smtpd_cpu(self) -> float:
        return sum(used for key, used in cpu.snapshot(self.etc).items() if "inet" in key[1])

    def stop(self) -> None:
        stop_pyfix(self.etc)


class Postfix(Subject):
    def __init__(self, name: str, base: Path, main_cf: str, dns: DnsWorld) -> None:
        super().__init__(name, base, free_port())
        # max_use high: no smtpd process exits (and takes its CPU time along)
        self.proc = start_postfix(base, self.port, "max_use = 1000000\n" + main_cf,
                                  wrap=dns.wrap)

    def smtpd_cpu(self) -> float:
        """The smtpd processes of this master (pgrep -s: its session)."""
        listing = subprocess.run(["pgrep", "-s", str(self.proc.pid), "-x", "smtpd"],
                                 capture_output=True, text=True, check=False).stdout
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in listing.split():
            try:
                with open(f"/proc/{pid}/stat") as fp:
                    fields = fp.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def measure(subject: Subject, args: argparse.Namespace) -> tuple[float, float]:
    """Wall time and smtpd CPU seconds of one load."""
    before = subject.smtpd_cpu()
    elapsed = load(subject.port, args.m, args.r)
    return elapsed, subject.smtpd_cpu() - before


def evaluator_cost(main_cf: str, rcpts: int, rounds: int = 20000) -> float:
    """CPU seconds per RCPT of pyfix's restriction lists alone (no
    sockets): SessionChecks.recipient() in a loop, one session, the DNS
    answer cached after the first call, the recipients named as
    smtp-source names them (1rcpt@ to RCPTSrcpt@)."""
    import asyncio

    from pyfix.config.maincf import parse_main_cf
    from pyfix.config.store import Config
    from pyfix.rewrite.service import TrivialRewrite
    from pyfix.smtpd.checks.smtpd import Facts, SmtpdChecks
    from pyfix.smtpd.relay import RelayPolicy

    text = ("compatibility_level = 3.7\nmydestination =\nalias_maps =\nalias_database =\n"
            "local_recipient_maps =\n" + main_cf)
    cfg = Config(parse_main_cf("main.cf", text, lambda _t: None), {})
    checks = SmtpdChecks(cfg, RelayPolicy(cfg, TrivialRewrite.for_client(cfg)))
    session = checks.session(lambda _t: None, lambda text: print("warning:", text))
    facts = Facts("unknown", "127.0.0.1", "unknown[127.0.0.1]", "client.example",
                  "sender@example.com")

    async def run() -> float:
        await session.recipient(facts, "1rcpt@example.net")
        start = time.process_time()
        for index in range(rounds):
            outcome = await session.recipient(facts, f"{index % rcpts + 1}rcpt@example.net")
            assert outcome.reply is None, outcome.reply
        return (time.process_time() - start) / rounds

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-m", type=int, default=200, help="messages per load")
    parser.add_argument("-r", type=int, default=50, help="recipients per message")
    parser.add_argument("-n", type=int, default=3, help="loads of each system (the least "
                                                        "CPU time counts)")
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.path.exists(POSTFIX_MASTER):
        sys.exit("needs root and Debian's postfix package (real Postfix runs beside pyfix)")
    rcpts = args.m * args.r
    top = Path(tempfile.mkdtemp(prefix="pyfix-bench-", dir="/var/tmp"))
    os.chmod(top, 0o755)
    dns = DnsWorld(ZONE)
    subjects: list[Subject] = []
    try:
        build_maps(top / "maps-pyfix", str(REPO / ".venv/bin/postmap"))
        build_maps(top / "maps-postfix", "/usr/sbin/postmap")
        pyfix_dns = f"pyfix_dns_servers = {dns.address}\n"
        pyfix_list = SETTINGS + LIST.format(maps=top / "maps-pyfix")
        subjects = [
            Pyfix("pyfix bare", top / "pyfix-bare", pyfix_dns + SETTINGS),
            Pyfix("pyfix list", top / "pyfix-list", pyfix_dns + pyfix_list),
            Postfix("postfix bare", top / "postfix-bare", SETTINGS, dns),
            Postfix("postfix list", top / "postfix-list",
                    SETTINGS + LIST.format(maps=top / "maps-postfix"), dns)]
        for subject in subjects:
            load(subject.port, 2, args.r)  # warm-up: modules, tables, DNS cache
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.n):
            for subject in subjects:
                elapsed, used = measure(subject, args)
                old = best.get(subject.name)
                best[subject.name] = (min(elapsed, old[0]) if old else elapsed,
                                      min(used, old[1]) if old else used)
        for subject in subjects:
            subject.stop()
            check_log(subject.base)
        subjects = []
        for name, (elapsed, used) in best.items():
            print(f"{name:12}: {rcpts} RCPTs in {elapsed:.2f} s, "
                  f"smtpd CPU {used / rcpts * 1e6:.0f} us per RCPT (least of {args.n})")
        for side in ("pyfix", "postfix"):
            cpu_cost = (best[f"{side} list"][1] - best[f"{side} bare"][1]) / rcpts * 1e6
            wall_cost = (best[f"{side} list"][0] - best[f"{side} bare"][0]) / rcpts * 1e6
            print(f"{side}: the list costs {cpu_cost:.0f} us of smtpd CPU per RCPT "
                  f"({wall_cost:.0f} us wall time)")
        bare = evaluator_cost(pyfix_dns + SETTINGS, args.r)
        listed = evaluator_cost(pyfix_dns + pyfix_list, args.r)
        print(f"pyfix evaluator alone (CPU): {bare * 1e6:.0f} us per RCPT bare, "
              f"{listed * 1e6:.0f} us with the list: the list costs "
              f"{(listed - bare) * 1e6:.0f} us")
    finally:
        for subject in subjects:
            subject.stop()
        dns.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
