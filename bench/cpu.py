"""CPU time of a pyfix instance's service processes, for the benchmarks.

snapshot(etc) reads user+system time of every `pyfix.master.child ETC ...`
process from /proc; report() prints the CPU microseconds per message that
each service used between two snapshots.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

Snapshot = dict[tuple[str, str], float]


def snapshot(etc: Path) -> Snapshot:
    out: Snapshot = {}
    listing = subprocess.run(["pgrep", "-af", f"pyfix.master.child {etc} "],
                             capture_output=True, text=True, check=False).stdout
    ticks = os.sysconf("SC_CLK_TCK")
    for line in listing.splitlines():
        pid, *argv = line.split()
        try:
            with open(f"/proc/{pid}/stat") as fp:
                fields = fp.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[(pid, argv[-1])] = (int(fields[11]) + int(fields[12])) / ticks
    return out


def report(before: Snapshot, after: Snapshot, messages: int) -> None:
    per_service: dict[str, float] = {}
    for key, seconds in after.items():
        service = key[1].split("/")[0] if "inet" not in key[1] else "smtpd"
        per_service[service] = per_service.get(service, 0.0) + seconds - before.get(key, 0.0)
    parts = [f"{name} {used / messages * 1e6:.0f}" for name, used in sorted(per_service.items())
             if used > 0]
    total = sum(per_service.values()) / messages * 1e6
    print(f"pyfix CPU per message (us): {', '.join(parts)}; total {total:.0f}")
