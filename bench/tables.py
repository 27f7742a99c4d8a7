"""Benchmark: a 1,000,000-entry table, pyfix against real Postfix.

One source file of N entries ("userI@domainJ.example" -> a transport
value, in random order) is built by:

  - real postmap hash:   (Berkeley DB, NAME.db)
  - real postmap lmdb:   (NAME.lmdb; the like-for-like comparison)
  - pyfix postmap hash:  (which pyfix keeps in NAME.lmdb)
  - real and pyfix postmap cdb:

each in a directory of its own, and the wall time of each build is
reported.  Then, for each table:

  - warm lookups per second, K random keys (90% present), measured the
    same way for both: one "postmap -q -" process reads all K keys from
    standard input (a file), looks each up and prints the hits; the
    rate is K / (time for K keys - time for 1 key), which removes the
    process start-up and the table open;
  - pyfix also in-process, the way a pyfix daemon uses a table: open the
    table once, look up the K keys, K / elapsed;
  - the memory of a process that holds the table open: the same
    "postmap -q -" process, after the K lookups, still waiting on its
    standard input; VmRSS, with RssAnon (private memory) and RssFile
    (pages of the mapped table and program files) from
    /proc/PID/status.

Usage: .venv/bin/python bench/tables.py [-n ENTRIES] [-k LOOKUPS] [--keep DIR]
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

POSTMAP = "/usr/sbin/postmap"
PYFIX_POSTMAP = str(Path(sys.executable).with_name("postmap"))


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    version = subprocess.run([POSTMAP.replace("postmap", "postconf"), "-dh", "mail_version"],
                             capture_output=True, text=True, check=False).stdout.strip()
    return (f"{model}, {os.cpu_count()} CPUs, {mem_kb / 1024 / 1024:.1f} GiB RAM,"
            f" Linux {platform.release()}, Python {platform.python_version()},"
            f" Postfix {version or '?'}")


def make_source(path: Path, entries: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    keys = [f"user{i}@domain{i % 5000}.example" for i in range(entries)]
    rng.shuffle(keys)
    with open(path, "w") as fp:
        for n, key in enumerate(keys):
            fp.write(f"{key}\tsmtp:[relay{n % 97}.example.net]:25\n")
    return keys


def make_keys(path: Path, keys: list[str], count: int, seed: int = 2) -> None:
    rng = random.Random(seed)
    with open(path, "w") as fp:
        for n in range(count):
            key = rng.choice(keys) if n % 10 else f"absent{n}@nowhere.example"
            fp.write(key.upper() if n % 3 == 0 else key)
            fp.write("\n")


def env_for(confdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    env["MAIL_CONFIG"] = str(confdir)
    return env


def timed(argv: list[str], env: dict[str, str], cwd: Path, stdin: Path | None = None) -> float:
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as fp:
        subprocess.run(argv, env=env, cwd=cwd, stdin=fp, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=stdin is None)
    return time.perf_counter() - start


def status_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile"):
            values[name] = int(rest.split()[0])
    return values


def held_rss(argv: list[str], env: dict[str, str], cwd: Path, keys: Path) -> dict[str, int]:
    """RSS of a postmap -q - process after all lookups, stdin still open."""
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    drain = threading.Thread(target=proc.stdout.read, daemon=True)
    drain.start()
    proc.stdin.write(keys.read_bytes())
    proc.stdin.flush()
    # Wait until the process sits idle, blocked reading its standard input:
    # every key has been looked up and the table is still open.
    last = None
    for _ in range(1200):
        time.sleep(0.25)
        io = Path(f"/proc/{proc.pid}/io").read_text()
        state = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "S" and io == last:
            break
        last = io
    values = status_kb(proc.pid)
    proc.stdin.close()
    proc.wait()
    drain.join()
    return values


def in_process(dict_type: str, name: Path, keys: Path) -> tuple[float, dict[str, int]]:
    """pyfix lookups in this process, as a daemon would make them."""
    code = f"""
import os, sys, time
from pyfix.tables.open import open_table
from pyfix.tables.base import DEFAULT_FLAGS
keys = open({str(keys)!r}).read().split("\\n")[:-1]
def anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
before = anon()
table = open_table({f"{dict_type}:{name}"!r}, DEFAULT_FLAGS, surrogate=False)
table.lookup(keys[0])
start = time.perf_counter()
hits = 0
for key in keys:
    if table.lookup(key) is not None:
        hits += 1
elapsed = time.perf_counter() - start
status = {{}}
for line in open("/proc/self/status"):
    n, _, rest = line.partition(":")
    if n in ("VmRSS", "RssAnon", "RssFile"):
        status[n] = int(rest.split()[0])
print(len(keys) / elapsed, hits, status["VmRSS"], status["RssAnon"], status["RssFile"],
      status["RssAnon"] - before)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    rate = float(out[0])
    return rate, {"VmRSS": int(out[2]), "RssAnon": int(out[3]), "RssFile": int(out[4]),
                  "growth": int(out[5])}


def lookup_rate(argv: list[str], env: dict[str, str], cwd: Path, keys: Path,
                one_key: Path, repeat: int = 3) -> float:
    full = min(timed(argv, env, cwd, keys) for _ in range(repeat))
    base = min(timed(argv, env, cwd, one_key) for _ in range(repeat))
    count = keys.read_bytes().count(b"\n")
    return count / max(full - base, 1e-9)


def mb(kb: int) -> str:
    return f"{kb / 1024:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1_000_000, help="table entries")
    parser.add_argument("-k", type=int, default=200_000, help="lookups")
    parser.add_argument("--keep", help="work directory to keep (default: a temporary one)")
    args = parser.parse_args()
    if not os.access(POSTMAP, os.X_OK):
        sys.exit("bench/tables.py: real Postfix (/usr/sbin/postmap) is needed")
    top = Path(args.keep or tempfile.mkdtemp(prefix="pyfix-bench-"))
    top.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"entries: {args.n}, lookups: {args.k}, work: {top}")
    source = top / "source"
    keys = make_source(source, args.n)
    make_keys(top / "keys", keys, args.k)
    (top / "one-key").write_text(keys[0] + "\n")
    print(f"source: {source.stat().st_size / 1e6:.1f} MB")
    runs = [  # label, program, type, directory
        ("postfix hash (Berkeley DB)", POSTMAP, "hash", "postfix-hash"),
        ("postfix lmdb", POSTMAP, "lmdb", "postfix-lmdb"),
        ("pyfix hash (LMDB file)", PYFIX_POSTMAP, "hash", "pyfix-hash"),
        ("postfix cdb", POSTMAP, "cdb", "postfix-cdb"),
        ("pyfix cdb", PYFIX_POSTMAP, "cdb", "pyfix-cdb"),
    ]
    results: dict[str, dict[str, object]] = {}
    for label, program, dict_type, dirname in runs:
        work = top / dirname
        work.mkdir(exist_ok=True)
        (work / "main.cf").write_text("compatibility_level = 3.6\n")
        shutil.copy(source, work / "map")
        env = env_for(work)
        build = timed([program, f"{dict_type}:map"], env, work)
        argv = [program, "-q", "-", f"{dict_type}:map"]
        rate = lookup_rate(argv, env, work, top / "keys", top / "one-key")
        rss = held_rss(argv, env, work, top / "keys")
        files = sum(p.stat().st_size for p in work.iterdir() if p.name.startswith("map."))
        row: dict[str, object] = {"build": build, "rate": rate, "rss": rss, "size": files}
        if program == PYFIX_POSTMAP:
            row["inproc"] = in_process(dict_type, work / "map", top / "keys")
        results[label] = row
        print(f"{label}: build {build:.1f} s, postmap -q - {rate:,.0f} lookups/s,"
              f" held RSS {mb(rss['VmRSS'])} MB (anon {mb(rss['RssAnon'])},"
              f" file {mb(rss['RssFile'])}), table {files / 1e6:.1f} MB", flush=True)
        if "inproc" in row:
            inrate, inrss = row["inproc"]  # type: ignore[misc]
            print(f"    in-process: {inrate:,.0f} lookups/s, RSS {mb(inrss['VmRSS'])} MB"
                  f" (anon {mb(inrss['RssAnon'])}, file {mb(inrss['RssFile'])});"
                  f" anon growth from opening the table and the lookups"
                  f" {mb(inrss['growth'])} MB", flush=True)
    print()
    pairs = [("pyfix hash (LMDB file)", "postfix hash (Berkeley DB)"),
             ("pyfix hash (LMDB file)", "postfix lmdb"),
             ("pyfix cdb", "postfix cdb")]
    for mine, theirs in pairs:
        a, b = results[mine], results[theirs]
        print(f"{mine} vs {theirs}:"
              f" build {a['build'] / b['build']:.2f}x time,"  # type: ignore[operator]
              f" postmap -q - rate {a['rate'] / b['rate']:.2f}x,"  # type: ignore[operator]
              f" held RSS {a['rss']['VmRSS'] / b['rss']['VmRSS']:.2f}x"  # type: ignore[index]
              f" (anon {a['rss']['RssAnon'] - b['rss']['RssAnon']:+,} kB)")  # type: ignore[index]
    if not args.keep:
        shutil.rmtree(top)


if __name__ == "__main__":
    main()
