#!/usr/bin/env python3
"""Record SMTP dialogues from a real Postfix smtpd into expected/*.json.

Usage (as root, with Debian's postfix package installed):

    python3 tests/golden/smtp/record.py [--profile P] [--only NAME ...]
                                        [--out DIR] [--verify]

For every profile that the selected dialogues (dialogues.py) use, this
script builds a throw-away Postfix instance under a fresh temporary
directory: main.cf is postfix/main.cf followed by profiles/P.cf, master.cf
is postfix/master.cf, with @BASE@ and @PORT@ replaced.  It starts
/usr/lib/postfix/sbin/master -c DIR -d as a child process (no changes to
/etc/postfix are needed: root running master directly is not subject to
alternate_config_directories), warms it up with one mail transaction,
plays the dialogues one at a time from 127.0.0.1, and stops master.

What is stored per dialogue: the bytes that the client sent per step and
the bytes that the server replied to that step, whether the server closed
the connection, and the smtpd log lines of the session (from
maillog_file).  Queue IDs are replaced with @QUEUEID@ in both.

Replies are collected until a complete reply (a line "NNN text") has
arrived and the server has then been quiet for QUIET seconds, or the
server closed the connection; steps that expect no reply wait QUIET
seconds; "timeout" steps send nothing and wait for smtpd_timeout.
The TLS profiles get a throw-away self-signed certificate (openssl).  --verify records every dialogue twice and fails on a difference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dialogues import DIALOGUES, Dialogue, Step  # noqa: E402

MASTER = "/usr/lib/postfix/sbin/master"
QUIET = 0.3
FIRST_REPLY_TIMEOUT = 15.0
COMPLETE_REPLY = re.compile(rb"(?m)^\d{3}(?: [^\r\n]*)?\r\n")
QUEUE_DIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
              "incoming", "maildrop", "pid", "private", "public", "saved", "trace")
LOG_PREFIX = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix-golden/(\w+)\[\d+\]: (.*)$")
QUEUE_ID_PATTERNS = (
    re.compile(rb"queued as ([0-9A-F]{6,})"),
)
LOG_QUEUE_ID = re.compile(r"^([0-9A-F]{6,}): ")


def encode(data: bytes) -> str:
    return data.decode("latin-1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """One throw-away Postfix instance for one profile."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.base = Path(tempfile.mkdtemp(prefix=f"pyfix-golden-{profile}-"))
        self.port = free_port()
        self.master: subprocess.Popen[bytes] | None = None
        # A command prefix for the master (tests/resolverns.py's DnsWorld.wrap).
        self.wrap: Callable[[list[str]], list[str]] = lambda argv: argv
        self.log = LogTail(self.base / "maillog")

    def main_cf(self) -> str:
        text = (HERE / "postfix" / "main.cf").read_text()
        text += "\n# profile " + self.profile + "\n"
        text += (HERE / "profiles" / f"{self.profile}.cf").read_text()
        return text.replace("@BASE@", str(self.base)).replace("@PORT@", str(self.port))

    def setup(self) -> None:
        conf = self.base / "conf"
        conf.mkdir()
        (conf / "main.cf").write_text(self.main_cf())
        master_cf = (HERE / "postfix" / "master.cf").read_text()
        (conf / "master.cf").write_text(master_cf.replace("@PORT@", str(self.port)))
        queue = self.base / "queue"
        for name in QUEUE_DIRS:
            (queue / name).mkdir(parents=True)
        (self.base / "data").mkdir()
        if "cert.pem" in self.main_cf():
            make_certificate(self.base)
        for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                     "incoming", "private", "saved", "trace"):
            shutil.chown(queue / name, "postfix")
        shutil.chown(queue / "maildrop", "postfix", "postdrop")
        shutil.chown(queue / "public", "postfix", "postdrop")
        shutil.chown(self.base / "data", "postfix")
        os.chmod(queue / "maildrop", 0o730)
        os.chmod(queue / "public", 0o710)
        os.chmod(queue / "private", 0o700)
        os.chmod(self.base, 0o755)

    def start(self) -> None:
        self.setup()
        self.master = subprocess.Popen(
            self.wrap([MASTER, "-c", str(self.base / "conf"), "-d"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"master for {self.profile} did not start listening")
        self.wait_disconnect()
        # Warm up: spawn smtpd, cleanup, trivial-rewrite, flush and anvil.
        warm = Dialogue("warm-up", self.profile, [
            Step(b"EHLO warm.example\r\n"),
            Step(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"),
            Step(b"Subject: warm\r\n\r\nx\r\n.\r\n"),
            Step(b"ETRN example.com\r\n"),
            Step(b"QUIT\r\n"),
        ])
        play(self, warm)

    def stop(self) -> None:
        if self.master is not None:
            self.master.send_signal(signal.SIGTERM)
            try:
                self.master.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    # Logging ---------------------------------------------------------

    def read_log(self) -> list[str]:
        return self.log.read()

    def wait_disconnect(self, timeout: float = 10.0) -> list[str]:
        """The smtpd log lines up to and including "disconnect from"."""
        return self.log.until_disconnect(timeout)


class LogTail:
    """The lines that a mail log file gained since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> list[str]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        return data[:end].decode("latin-1").splitlines()

    def until_disconnect(self, timeout: float = 10.0) -> list[str]:
        """The lines up to and including smtpd's "disconnect from"."""
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines.extend(self.read())
            if any(" disconnect from " in line for line in lines):
                break
            time.sleep(0.05)
        return lines


def make_certificate(base: Path) -> None:
    """A throw-away self-signed certificate for the TLS profiles."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=mail.example.test", "-keyout", str(base / "key.pem"),
         "-out", str(base / "cert.pem")],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def collect(sock: socket.socket, expect: str) -> tuple[bytes, bool]:
    """Read the server's replies to one step; return (data, closed)."""
    data = b""
    start = time.monotonic()
    while True:
        if expect != "none" and not COMPLETE_REPLY.search(data):
            timeout = FIRST_REPLY_TIMEOUT - (time.monotonic() - start)
            if timeout <= 0:
                return data, False
        else:
            timeout = QUIET
        sock.settimeout(timeout)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if expect != "none" and not COMPLETE_REPLY.search(data):
                continue
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


def play(instance: Instance, dialogue: Dialogue) -> dict[str, object]:
    sock = socket.create_connection(("127.0.0.1", instance.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if dialogue.pre_greeting:
        sock.sendall(dialogue.pre_greeting)
    greeting, closed = collect(sock, "reply")
    steps: list[dict[str, str]] = [
        {"client": encode(dialogue.pre_greeting), "server": encode(greeting), "expect": "reply"}
    ]
    for step in dialogue.steps:
        if closed:
            break
        try:
            if step.send:
                sock.sendall(step.send)
        except OSError:
            closed = True
            break
        reply, closed = collect(sock, step.expect)
        steps.append({"client": encode(step.send), "server": encode(reply), "expect": step.expect})
    sock.close()
    log = instance.wait_disconnect()
    return {
        "name": dialogue.name,
        "profile": dialogue.profile,
        "notes": dialogue.notes,
        "steps": steps,
        "server_closed": closed,
        "log": normalize_log(log),
    }


def normalize_log(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        match = LOG_PREFIX.match(line)
        if match is None or match.group(1) != "smtpd":
            continue
        if "overriding earlier entry" in match.group(2):
            continue
        out.append(match.group(2))
    return out


def normalize_queue_ids(record: dict[str, object]) -> dict[str, object]:
    ids: set[str] = set()
    steps = record["steps"]
    assert isinstance(steps, list)
    for step in steps:
        for pattern in QUEUE_ID_PATTERNS:
            ids.update(m.decode() for m in pattern.findall(step["server"].encode("latin-1")))
    log = record["log"]
    assert isinstance(log, list)
    for line in log:
        match = LOG_QUEUE_ID.match(line)
        if match:
            ids.add(match.group(1))
    for queue_id in sorted(ids, key=len, reverse=True):
        for step in steps:
            step["server"] = step["server"].replace(queue_id, "@QUEUEID@")
        record["log"] = log = [line.replace(queue_id, "@QUEUEID@") for line in log]
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="append", default=[])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--out", default=str(HERE / "expected"))
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("record.py must run as root (it starts a Postfix master)", file=sys.stderr)
        return 1
    if not os.access(MASTER, os.X_OK):
        print(f"{MASTER} not found: install Debian's postfix package", file=sys.stderr)
        return 1
    selected = [d for d in DIALOGUES
                if (not args.only or d.name in args.only)
                and (not args.profile or d.profile in args.profile)]
    names = [d.name for d in DIALOGUES]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        print(f"duplicate dialogue names: {sorted(dupes)}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for profile in sorted({d.profile for d in selected}):
        instance = Instance(profile)
        try:
            instance.start()
            for dialogue in (d for d in selected if d.profile == profile):
                record = normalize_queue_ids(play(instance, dialogue))
                if args.verify:
                    again = normalize_queue_ids(play(instance, dialogue))
                    if again != record:
                        print(f"UNSTABLE {dialogue.name}", file=sys.stderr)
                        failures += 1
                        continue
                path = out / f"{dialogue.name}.json"
                path.write_text(json.dumps(record, indent=1, ensure_ascii=True) + "\n")
                print(f"recorded {dialogue.name} ({profile})")
        finally:
            instance.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
