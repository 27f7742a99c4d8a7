#!/usr/bin/env python3
"""Record real Postfix trivial-rewrite answers into expected/PROFILE.json.

Usage (as root, with Debian's postfix package installed):

    python3 tests/golden/rewrite/record.py [--profile P ...] [--out DIR] [--verify]

For every profile in cases.py this script builds a throw-away Postfix
instance in a fresh temporary directory (main.cf = postfix/main.cf plus the
profile's settings, master.cf = postfix/master.cf, with @BASE@ and
@FIXTURES@ filled in), starts /usr/lib/postfix/sbin/master -c DIR -d
(root running master directly is not subject to
alternate_config_directories, so /etc/postfix is not touched), connects to
$queue_directory/private/rewrite and sends the profile's requests over
Postfix's attribute protocol (attr_print0: "name\\0value\\0" pairs, an
empty name ends a request):

    request=resolve|verify sender=S address=A   -> flags transport nexthop
                                                   recipient flags
    request=rewrite rule=local|remote address=A -> flags address

It stores every answer, and the trivial-rewrite lines of the mail log
(warnings and the append_dot_mydomain compatibility messages, but not
main.cf's "overriding earlier entry" warnings, which the profiles cause on
purpose and which are not trivial-rewrite's business) with the
instance directory replaced by @BASE@ and the fixtures directory by
@FIXTURES@.  --verify records every profile twice and fails on a
difference.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(HERE))

from cases import PROFILES, Profile, Request  # noqa: E402

MASTER = "/usr/lib/postfix/sbin/master"
QUEUE_DIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
              "incoming", "maildrop", "pid", "private", "public", "saved", "trace")
REPLY_TIMEOUT = 10.0
LOG_LINE = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix-golden/([\w-]+)\[\d+\]: (.*)$")


def main_cf_text(profile: Profile) -> str:
    """The main.cf of a profile, with @BASE@ and @FIXTURES@ still in it."""
    return (HERE / "postfix" / "main.cf").read_text() + "\n" + profile.settings


def fill(text: str, base: Path) -> str:
    return text.replace("@BASE@", str(base)).replace("@FIXTURES@", str(FIXTURES))


def unfill(text: str, base: Path) -> str:
    return text.replace(str(base), "@BASE@").replace(str(FIXTURES), "@FIXTURES@")


def encode_request(request: Request) -> bytes:
    kind, arg, address = request
    names = ("rule",) if kind == "rewrite" else ("sender",)
    pairs = [("request", kind), (names[0], arg), ("address", address)]
    return b"".join(n.encode() + b"\0" + v.encode() + b"\0" for n, v in pairs) + b"\0"


class AttrReader:
    """Read attr_print0 groups ("name\\0value\\0"... "\\0") from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def read(self) -> list[tuple[str, str]]:
        while True:
            pairs: list[tuple[str, str]] = []
            pos = 0
            while True:
                end = self.buf.find(b"\0", pos)
                if end < 0:
                    break
                if end == pos:
                    self.buf = self.buf[end + 1 :]
                    return pairs
                value_end = self.buf.find(b"\0", end + 1)
                if value_end < 0:
                    break
                pairs.append((self.buf[pos:end].decode(),
                              self.buf[end + 1 : value_end].decode("utf-8", "surrogateescape")))
                pos = value_end + 1
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("trivial-rewrite closed the connection")
            self.buf += chunk


def answer(pairs: list[tuple[str, str]], kind: str) -> dict[str, object]:
    """The reply without the leading server flags (always 0 here)."""
    rest = pairs[1:]
    if kind == "rewrite":
        return {"address": dict(rest)["address"]}
    names = [name for name, _ in rest]
    assert names == ["transport", "nexthop", "recipient", "flags"], names
    values = dict(rest)
    return {"transport": values["transport"], "nexthop": values["nexthop"],
            "recipient": values["recipient"], "flags": int(values["flags"])}


class Instance:
    def __init__(self, name: str, profile: Profile) -> None:
        self.name = name
        self.profile = profile
        self.base = Path(tempfile.mkdtemp(prefix=f"pyfix-rewrite-{name}-"))
        self.master: subprocess.Popen[bytes] | None = None

    def setup(self) -> None:
        conf = self.base / "conf"
        conf.mkdir()
        (conf / "main.cf").write_text(fill(main_cf_text(self.profile), self.base))
        shutil.copy(HERE / "postfix" / "master.cf", conf / "master.cf")
        queue = self.base / "queue"
        for name in QUEUE_DIRS:
            (queue / name).mkdir(parents=True)
        (self.base / "data").mkdir()
        for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                     "incoming", "private", "saved", "trace"):
            shutil.chown(queue / name, "postfix")
        shutil.chown(queue / "maildrop", "postfix", "postdrop")
        shutil.chown(queue / "public", "postfix", "postdrop")
        shutil.chown(self.base / "data", "postfix")
        os.chmod(queue / "private", 0o700)
        os.chmod(queue / "public", 0o710)
        os.chmod(self.base, 0o755)

    def start(self) -> socket.socket:
        self.setup()
        self.master = subprocess.Popen(
            [MASTER, "-c", str(self.base / "conf"), "-d"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        path = str(self.base / "queue" / "private" / "rewrite")
        deadline = time.monotonic() + 20
        while True:
            try:
                sock = socket.socket(socket.AF_UNIX)
                sock.settimeout(REPLY_TIMEOUT)
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline or self.master.poll() is not None:
                    raise SystemExit(f"{self.name}: trivial-rewrite did not start; "
                                     f"see {self.base}/maillog") from None
                time.sleep(0.1)

    def log(self) -> list[str]:
        """trivial-rewrite's log lines, once the log has been quiet a while."""
        path = self.base / "maillog"
        size, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < 0.5:
            now = path.stat().st_size if path.exists() else 0
            if now != size:
                size, quiet_since = now, time.monotonic()
            time.sleep(0.05)
        lines = path.read_text("utf-8", "surrogateescape").splitlines() if path.exists() else []
        out = []
        for line in lines:
            match = LOG_LINE.match(line)
            if (match and match.group(1) == "trivial-rewrite"
                    and "overriding earlier entry" not in match.group(2)):
                out.append(unfill(match.group(2), self.base))
        return out

    def stop(self) -> None:
        if self.master is not None:
            self.master.send_signal(signal.SIGTERM)
            try:
                self.master.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.master.kill()
                self.master.wait()
        shutil.rmtree(self.base, ignore_errors=True)


def record(name: str, profile: Profile) -> dict[str, object]:
    instance = Instance(name, profile)
    try:
        sock = instance.start()
        reader = AttrReader(sock)
        announce = reader.read()
        assert announce == [("protocol", "trivial_rewrite_protocol")], announce
        replies = []
        for request in profile.requests:
            sock.sendall(encode_request(request))
            kind, arg, address = request
            entry: dict[str, object] = {"request": kind,
                                        ("rule" if kind == "rewrite" else "sender"): arg,
                                        "address": address}
            try:
                entry["reply"] = answer(reader.read(), kind)
            except (TimeoutError, EOFError) as exc:
                raise SystemExit(f"{name}: no answer to {request!r} ({exc}); log:\n"
                                 + "\n".join(instance.log())) from None
            replies.append(entry)
        sock.close()
        return {"profile": name, "notes": profile.notes,
                "main_cf": main_cf_text(profile), "replies": replies, "log": instance.log()}
    finally:
        instance.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="append", default=[])
    parser.add_argument("--out", default=str(HERE / "expected"))
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("record.py must run as root (it starts a Postfix master)", file=sys.stderr)
        return 1
    if not os.access(MASTER, os.X_OK):
        print(f"{MASTER} not found: install Debian's postfix package", file=sys.stderr)
        return 1
    unknown = [p for p in args.profile if p not in PROFILES]
    if unknown:
        print(f"unknown profiles: {unknown}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name in args.profile or sorted(PROFILES):
        result = record(name, PROFILES[name])
        if args.verify and record(name, PROFILES[name]) != result:
            print(f"UNSTABLE {name}", file=sys.stderr)
            failures += 1
            continue
        text = json.dumps(result, indent=1, ensure_ascii=True) + "\n"
        (out / f"{name}.json").write_text(text)
        print(f"recorded {name}: {len(result['replies'])} answers",  # type: ignore[arg-type]
              flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
