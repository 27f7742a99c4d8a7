"""A throw-away real Postfix mail system for live differential tests.

PostfixInstance writes main.cf and master.cf under a fresh directory,
creates the queue directories with Postfix's owners and modes, and runs
``/usr/lib/postfix/sbin/master -c DIR -d`` as a child process (root
running master directly is not subject to alternate_config_directories,
so /etc/postfix is not touched).  Its log goes to maillog_file through
postlogd.  The pyfix side of a comparison is tests/instance.Instance with
the same main.cf text; normalize() masks what differs between any two
runs (times, host, PIDs, queue IDs, delays).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

from tests.instance import Instance, free_port, wait_for
from tests.oracle import MASTER, master_skip_reason

QUEUE_DIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
              "incoming", "maildrop", "pid", "private", "public", "saved", "trace")

# Postfix's stock services that a delivery needs, and postlogd for maillog_file.
POSTFIX_MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
postlog   unix-dgram n  -       n       -       1       postlogd
scache    unix  -       -       n       -       1       scache
"""


skip_reason = master_skip_reason


class PostfixInstance(Instance):
    """One real Postfix mail system: configuration, queue, log.  The
    observations (maillog, wait_log, queue_files, smtp) are Instance's."""

    def __init__(self, root: Path, main_cf: str, master_cf: str = POSTFIX_MASTER_CF,
                 host: str = "127.0.0.1") -> None:
        # Not Instance.__init__: that writes pyfix's main.cf.
        self.root = root
        self.host = host
        self.port = free_port(host)
        self.expect_unsupported = False
        self.etc = root / "etc"
        self.spool = root / "spool"
        self.master: subprocess.Popen[bytes] | None = None
        self.etc.mkdir(parents=True)
        os.chmod(root, 0o755)
        (self.etc / "main.cf").write_text(
            f"queue_directory = {self.spool}\n"
            f"data_directory = {root}/data\n"
            f"maillog_file = {root}/maillog\n"
            f"maillog_file_prefixes = {root}\n"
            "inet_interfaces = loopback-only\n"
            "inet_protocols = ipv4\n" + main_cf)
        (self.etc / "master.cf").write_text(
            f"{host}:{self.port} inet n - n - - smtpd\n" + master_cf)
        for name in QUEUE_DIRS:
            (self.spool / name).mkdir(parents=True)
            if name != "pid":
                shutil.chown(self.spool / name, "postfix")
        shutil.chown(self.spool / "maildrop", "postfix", "postdrop")
        shutil.chown(self.spool / "public", "postfix", "postdrop")
        os.chmod(self.spool / "maildrop", 0o730)
        os.chmod(self.spool / "public", 0o710)
        for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                     "incoming", "private", "saved", "trace"):
            os.chmod(self.spool / name, 0o700)
        (root / "data").mkdir()
        shutil.chown(root / "data", "postfix")

    def start(self) -> None:
        self.master = subprocess.Popen(
            [str(MASTER), "-c", str(self.etc), "-d"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        if not wait_for(self._listening, 20):
            raise AssertionError("Postfix smtpd did not start:\n" + self.maillog())

    def stop(self) -> None:
        if self.master is None:
            return
        self.master.send_signal(signal.SIGTERM)
        try:
            self.master.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.master.kill()
            self.master.wait()
        self.master = None


_LINE = re.compile(r"^\S+ (?:\S+ )?(?:[\d:.]+ )?\S+ [\w./-]+/(\w[\w-]*)\[\d+\]: (.*)$")
_QUEUE_ID = re.compile(r"\b[0-9A-F]{8,12}\b|\b[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{12,}z"
                       r"[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]+\b")
_MASKS = (
    (re.compile(r"\bdelay=[\d.]+"), "delay=D"),
    (re.compile(r"\bdelays=[\d./]+"), "delays=D"),
    (re.compile(r"\bconn_use=\d+"), "conn_use=N"),
    (re.compile(r"\bsize=\d+"), "size=N"),
    (re.compile(r"\[127\.0\.0\.1\]:\d+"), "[127.0.0.1]:PORT"),
)


def normalize(log: str, programs: tuple[str, ...] = ("qmgr", "smtp", "error")) -> list[str]:
    """The lines of programs, as "program: text" with variable parts masked."""
    out = []
    for line in log.splitlines():
        match = _LINE.match(line)
        if match is None or match.group(1) not in programs:
            continue
        text = _QUEUE_ID.sub("QUEUEID", match.group(2))
        for pattern, replacement in _MASKS:
            text = pattern.sub(replacement, text)
        out.append(f"{match.group(1)}: {text}")
    return out
