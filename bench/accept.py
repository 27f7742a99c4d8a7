"""Benchmark: accept-to-queue throughput, pyfix against real Postfix.

Starts a pyfix mail system and a real Postfix 3.7 instance side by side,
each with a throw-away configuration and queue on a loopback port, and
drives both with the same smtp-source load (default: 20 sessions, 5000
messages of 1000 bytes).  Every message is fsync'd before its 250.  Real
Postfix sends the mail to "hold" (smtpd_end_of_data_restrictions =
check_client_access static:HOLD) so that neither delivers.  Prints the
rate of each and the ratio.  Real Postfix needs root; without root only
pyfix is measured.

Usage: .venv/bin/python bench/accept.py [-s SESSIONS] [-m MESSAGES] [-l SIZE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cpu

REPO = Path(__file__).resolve().parent.parent
POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"

COMMON = """compatibility_level = 3.7
queue_directory = {base}/spool
data_directory = {base}/data
myhostname = mail.example.com
mydomain = example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {base}/maillog
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def count_files(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file())


def start_pyfix(base: Path, port: int, main_cf: str = "", master_cf: str = "") -> Path:
    etc = base / "etc"
    etc.mkdir(parents=True)
    (base / "data").mkdir()
    (etc / "main.cf").write_text(COMMON.format(base=base) + main_cf)
    (etc / "master.cf").write_text(f"127.0.0.1:{port} inet n - n - - smtpd\n" + master_cf)
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    subprocess.run([str(REPO / ".venv/bin/postfix"), "-c", str(etc), "start"],
                   check=True, env=env, capture_output=True)
    wait_port(port)
    return etc


def stop_pyfix(etc: Path) -> None:
    subprocess.run([str(REPO / ".venv/bin/postfix"), "-c", str(etc), "stop"],
                   capture_output=True, check=False)


HOLD = "smtpd_end_of_data_restrictions = check_client_access static:HOLD\n"


def start_postfix(base: Path, port: int, main_cf: str = HOLD,
                  services: tuple[str, ...] = (),
                  wrap: Callable[[list[str]], list[str]] = list) -> subprocess.Popen[bytes]:
    """A real Postfix master; wrap(argv) may prefix its command (e.g. a
    private resolv.conf, tests/resolverns.py)."""
    etc, spool, data = base / "etc", base / "spool", base / "data"
    for d in (etc, spool, data):
        d.mkdir(parents=True, exist_ok=True)
    (etc / "main.cf").write_text(
        COMMON.format(base=base)
        + "mail_owner = postfix\nsetgid_group = postdrop\nmaillog_file_prefixes = /var\n"
        + main_cf)
    services = [*services, "cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
                "rewrite unix - - n - - trivial-rewrite", "proxymap unix - - n - - proxymap",
                "anvil unix - - n - 1 anvil", "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce",
                "postlog unix-dgram n - n - 1 postlogd"]
    (etc / "master.cf").write_text(f"127.0.0.1:{port} inet n - n - - smtpd\n"
                                   + "\n".join(services) + "\n")
    for q in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
              "incoming", "private", "saved", "trace"):
        subprocess.run(["install", "-d", "-o", "postfix", "-g", "root", "-m", "700",
                        str(spool / q)], check=True)
    subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "2710",
                    str(spool / "public")], check=True)
    subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "1730",
                    str(spool / "maildrop")], check=True)
    subprocess.run(["install", "-d", "-m", "755", str(spool / "pid")], check=True)
    shutil.chown(data, "postfix")
    subprocess.run(["install", "-o", "postfix", "-m", "600", "/dev/null",
                    str(base / "maillog")], check=True)
    proc = subprocess.Popen(wrap([POSTFIX_MASTER, "-c", str(etc), "-d"]), start_new_session=True)
    wait_port(port)
    return proc


def load(port: int, sessions: int, messages: int, size: int) -> float:
    start = time.perf_counter()
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
                    "-f", "sender@example.com", "-t", "rcpt@example.net",
                    f"127.0.0.1:{port}"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-s", type=int, default=20)
    parser.add_argument("-m", type=int, default=5000)
    parser.add_argument("-l", type=int, default=1000)
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix="pyfix-bench-", dir="/var/tmp"))
    os.chmod(top, 0o755)
    results: dict[str, float] = {}
    try:
        port = free_port()
        etc = start_pyfix(top / "pyfix", port)
        try:
            before = cpu.snapshot(etc)
            elapsed = load(port, args.s, args.m, args.l)
            cpu.report(before, cpu.snapshot(etc), args.m)
        finally:
            stop_pyfix(etc)
        queued = count_files(top / "pyfix/spool/incoming")
        results["pyfix"] = args.m / elapsed
        print(f"pyfix:   {args.m} messages in {elapsed:.2f} s = {args.m / elapsed:.0f} msg/s "
              f"({queued} queue files)")
        if os.geteuid() == 0 and os.path.exists(POSTFIX_MASTER):
            port = free_port()
            proc = start_postfix(top / "postfix", port)
            try:
                elapsed = load(port, args.s, args.m, args.l)
                time.sleep(1)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
            held = count_files(top / "postfix/spool/hold")
            results["postfix"] = args.m / elapsed
            print(f"postfix: {args.m} messages in {elapsed:.2f} s = {args.m / elapsed:.0f} msg/s "
                  f"({held} held)")
            print(f"ratio pyfix/postfix: {results['pyfix'] / results['postfix']:.2f} "
                  "(target >= 2.00)")
        else:
            print("real Postfix not measured: needs root and Debian's postfix package")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
