"""Benchmark: start-up cost of pyfix's postconf against a bare interpreter.

Runs `postconf -c DIR -h myhostname` (pyfix), `python -c pass` (the same
interpreter) and, when installed, Postfix's own /usr/sbin/postconf, each
N times in turn, and prints the median wall time per run and the ratios.
The issue's target: pyfix postconf costs at most 3x a bare `python -c pass`.

Usage: .venv/bin/python bench/startup.py [-n RUNS]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=40)
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "pyfix")], check=True)
    with tempfile.TemporaryDirectory() as confdir:
        Path(confdir, "main.cf").write_text("myhostname = mail.example.com\n")
        Path(confdir, "master.cf").write_text("smtp inet n - n - - smtpd\n")
        postconf = str(Path(sys.executable).with_name("postconf"))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pyfix postconf -h myhostname": [postconf, "-c", confdir, "-h", "myhostname"],
        }
        if shutil.which("postconf", path="/usr/sbin"):
            commands["postfix postconf -h myhostname"] = [
                "/usr/sbin/postconf", "-c", confdir, "-h", "myhostname"]
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.n):
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["python -c pass"]
    for name, value in medians.items():
        print(f"{name:34s} {value * 1000:7.1f} ms  {value / base:5.2f}x python")
    ratio = medians["pyfix postconf -h myhostname"] / base
    print(f"ratio pyfix postconf / python -c pass: {ratio:.2f} (target <= 3.00)")


if __name__ == "__main__":
    main()
