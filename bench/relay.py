"""Benchmark: relay throughput, smtp-source -> MTA -> smtp-sink, pyfix against Postfix.

Each MTA gets the same load (default: smtp-source -s 20 -m 5000 -l 1000)
and relays everything to smtp-sink on a loopback port through its smtp
client (relayhost = [127.0.0.1]:PORT); smtp-sink -M N exits after the
N-th message.  The rate is N divided by the time from the first
connection of smtp-source to the exit of smtp-sink, so it covers
accepting (with fsync before each 250), queue management and delivery.
Real Postfix needs root; without root only pyfix is measured.

Usage: .venv/bin/python bench/relay.py [-s SESSIONS] [-m MESSAGES] [-l SIZE]
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
from accept import (
    POSTFIX_MASTER,
    free_port,
    start_postfix,
    start_pyfix,
    stop_pyfix,
)

RELAY = "relayhost = [127.0.0.1]:{sink}\nsmtp_connection_cache_on_demand = yes\n"
PYFIX_SERVICES = """\
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
"""
POSTFIX_SERVICES = ("smtp unix - - n - - smtp", "relay unix - - n - - smtp",
                    "error unix - - n - - error", "retry unix - - n - - error",
                    "scache unix - - n - 1 scache", "tlsmgr unix - - n 1000? 1 tlsmgr")


def relay(port: int, sink: subprocess.Popen[bytes], sessions: int, messages: int,
          size: int) -> float:
    start = time.perf_counter()
    subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(messages), "-l", str(size),
                    "-f", "sender@example.com", "-t", "rcpt@example.net",
                    f"127.0.0.1:{port}"], check=True)
    if sink.wait(timeout=600) != 0:
        raise RuntimeError(f"smtp-sink failed with status {sink.returncode}")
    return time.perf_counter() - start


def start_sink(messages: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    user = ["-u", "postfix"] if os.geteuid() == 0 else []
    sink = subprocess.Popen(["smtp-sink", *user, "-M", str(messages), f"127.0.0.1:{port}",
                             "256"], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    return sink, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-s", type=int, default=20)
    parser.add_argument("-m", type=int, default=5000)
    parser.add_argument("-l", type=int, default=1000)
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix="pyfix-relay-", dir="/var/tmp"))
    os.chmod(top, 0o755)
    rates: dict[str, float] = {}
    try:
        sink, sink_port = start_sink(args.m)
        port = free_port()
        etc = start_pyfix(top / "pyfix", port, RELAY.format(sink=sink_port), PYFIX_SERVICES)
        try:
            before = cpu.snapshot(etc)
            elapsed = relay(port, sink, args.s, args.m, args.l)
            cpu.report(before, cpu.snapshot(etc), args.m)
        finally:
            stop_pyfix(etc)
            sink.kill()
        rates["pyfix"] = args.m / elapsed
        print(f"pyfix:   {args.m} messages relayed in {elapsed:.2f} s = "
              f"{rates['pyfix']:.0f} msg/s")
        if os.geteuid() == 0 and os.path.exists(POSTFIX_MASTER):
            sink, sink_port = start_sink(args.m)
            port = free_port()
            proc = start_postfix(top / "postfix", port, RELAY.format(sink=sink_port),
                                 POSTFIX_SERVICES)
            try:
                elapsed = relay(port, sink, args.s, args.m, args.l)
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
                sink.kill()
            rates["postfix"] = args.m / elapsed
            print(f"postfix: {args.m} messages relayed in {elapsed:.2f} s = "
                  f"{rates['postfix']:.0f} msg/s")
            print(f"ratio pyfix/postfix: {rates['pyfix'] / rates['postfix']:.2f} "
                  "(target >= 1.50)")
        else:
            print("real Postfix not measured: needs root and Debian's postfix package")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
