"""spawn(8) side by side with real Postfix 3.7: the same master.cf services
(a command that prints its identity and environment, one that fails, one
killed by a signal, one that outlives its ${service}_time_limit), the same
bytes back on the connection, and the same spawn warnings in the log
(process ids and each side's own paths masked)."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import pytest

from tests.instance import world_traversable_dir
from tests.smtpd.differential import Differential, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

SCRIPTS = {
    "whoami": "#!/bin/sh\nid\nenv | sort\npwd\numask\n",
    "failer": "#!/bin/sh\necho hello\nexit 3\n",
    "killer": "#!/bin/sh\nkill -9 $$\n",
    "echoer": "#!/bin/sh\nread line\necho \"you said $line\"\n",
}
SPAWN_LINE = re.compile(r"\S+/spawn\[\d+\]: (.*)$")


def _talk(path: Path, send: bytes = b"", wait: float = 10) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.settimeout(wait)
        if send:
            sock.sendall(send)
        data = b""
        try:
            while chunk := sock.recv(4096):
                data += chunk
        except TimeoutError:
            data += b"(timeout)"
        return data


def _spawn_log(text: str, since: int) -> list[str]:
    lines = []
    for line in text.splitlines()[since:]:
        match = SPAWN_LINE.search(line)
        if match:
            lines.append(re.sub(r"process id \d+", "process id PID", match.group(1)))
    return lines


def test_spawn_like_postfix() -> None:
    bin_dir = world_traversable_dir("pyfix-spawn-")
    for name, text in SCRIPTS.items():
        (bin_dir / name).write_text(text)
        os.chmod(bin_dir / name, 0o755)
    master_cf = "".join(
        f"{name} unix - n n - 0 spawn user=nobody argv={bin_dir / name}\n" for name in SCRIPTS)
    master_cf += "sleeper unix - n n - 0 spawn user=nobody:nogroup argv=/bin/sleep 30\n"
    with Differential("sleeper_time_limit = 2s\n", master_cf=master_cf) as diff:
        sides = {
            "postfix": (diff.postfix.instance.base / "queue",
                        lambda: (diff.postfix.instance.base / "maillog").read_text(
                            errors="replace"),
                        str(diff.postfix.instance.base / "conf")),
            "pyfix": (diff.pyfix.instance.spool, diff.pyfix.instance.maillog,
                      str(diff.pyfix.instance.etc)),
        }
        seen: dict[str, tuple[list[bytes], list[str]]] = {}
        for side, (queue, log, conf) in sides.items():
            since = len(log().splitlines())
            outputs = [_talk(queue / "private" / name, b"hi there\n" if name == "echoer" else b"")
                       for name in SCRIPTS]
            # Killed at its time limit: no output.  (Postfix's spawn then
            # keeps the client's connection open for a while; pyfix's
            # closes it, so only the silence is compared.)
            outputs.append(_talk(queue / "private" / "sleeper", wait=4).replace(b"(timeout)", b""))
            time.sleep(1)
            # LANG: Postfix's master imports LANG=C (import_environment);
            # pyfix's master keeps the caller's LANG, which export_environment
            # passes on: a difference of the master, not of spawn.
            masked = [re.sub(rb"LANG=\S*", b"LANG=LANG", out.replace(str(queue).encode(), b"QUEUE")
                             .replace(conf.encode(), b"CONF")) for out in outputs]
            seen[side] = masked, _spawn_log(log(), since)
    assert seen["pyfix"][1] == seen["postfix"][1]
    assert seen["pyfix"][0] == seen["postfix"][0]
    assert seen["postfix"][1] == [
        f"warning: command {bin_dir}/failer exit status 3",
        f"warning: command {bin_dir}/killer killed by signal 9",
        "warning: /bin/sleep: process id PID: command time limit exceeded"]
