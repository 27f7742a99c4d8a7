"""Helpers for the delivery robustness and scheduling tests.

Everything here drives real processes: a pyfix mail system started by
tests/instance.py, smtplib as the client, pipe(8) services that run
small recorder scripts, and Postfix's smtp-sink as a remote server.
"""

from __future__ import annotations

import email
import email.message
import os
import re
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from pyfix.queue.trigger import mail_trigger
from tests.instance import Instance, wait_for, world_traversable_dir

Make = Callable[..., Instance]

# The services that these tests need: qmgr and the delivery agents.
AGENTS_CF = """\
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
"""

# Fast retries, so that a test sees several attempts within seconds.
FAST_RETRY_CF = """\
minimal_backoff_time = 1s
maximal_backoff_time = 1s
queue_run_delay = 1s
"""

# A pipe(8) command that records when it ran: "START END ARGS..." per line.
RECORDER = """\
#!/bin/sh
# record.sh LOG SLEEP EXIT ARGS...: swallow the message, sleep, record, exit.
log=$1 nap=$2 code=$3
shift 3
start=$(date +%s.%N)
cat > /dev/null
sleep "$nap"
echo "$start $(date +%s.%N) $*" >> "$log"
exit "$code"
"""

# A pipe(8) command that keeps each message it gets in its own file.
CATCHER = """\
#!/bin/sh
# catch.sh DIR: save the message on stdin as DIR/<unique name>.
cat > "$1/$(date +%s%N).$$"
"""


def scratch_dir(prefix: str) -> Path:
    """A directory that the pipe commands (user=nobody) may write to."""
    path = world_traversable_dir(prefix)
    os.chmod(path, 0o1777)
    return path


def script(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return path


def pipe_service(name: str, argv: str, user: str = "nobody", flags: str = "") -> str:
    """A master.cf pipe(8) entry."""
    flag_attr = f"flags={flags} " if flags else ""
    return f"{name} unix - n n - - pipe\n  {flag_attr}user={user} argv={argv}\n"


def send(inst: Instance, rcpts: Sequence[str], sender: str = "sender@example.org",
         body: bytes = b"Subject: test\r\n\r\nhello\r\n",
         mail_options: Sequence[str] = (), rcpt_options: Sequence[str] = ()) -> str:
    """Submit one message through pyfix's smtpd; return its queue ID."""
    with inst.smtp() as client:
        client.ehlo("client.example")
        code, reply = client.mail(sender, list(mail_options))
        assert code == 250, reply
        for rcpt in rcpts:
            code, reply = client.rcpt(rcpt, list(rcpt_options))
            assert code == 250, reply
        code, reply = client.data(body)
        assert code == 250, reply
    match = re.search(rb"queued as (\w+)", reply)
    assert match, reply
    return match.group(1).decode()


def service_pids(inst: Instance, key: str) -> list[int]:
    """Process IDs of the master's children for one master.cf service ("smtp/unix")."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (b"pyfix.master.child" in argv and str(inst.etc).encode() in argv
                and key.encode() in argv):
            pids.append(int(entry.name))
    return pids


def queue_empty(inst: Instance) -> bool:
    return not any(inst.queue_files(q) for q in ("incoming", "active", "deferred"))


def wait_queue_empty(inst: Instance, timeout: float = 20.0) -> None:
    if not wait_for(lambda: queue_empty(inst), timeout):
        files = [str(p) for q in ("incoming", "active", "deferred") for p in inst.queue_files(q)]
        raise AssertionError(f"queue not empty: {files}\n{inst.maillog()}")


def delivery_lines(log: str, qid: str, status: str | None = None) -> list[str]:
    """The to=<...> lines of one message (optionally with one status)."""
    lines = [line for line in log.splitlines() if f": {qid}: to=<" in line]
    if status is not None:
        lines = [line for line in lines if f", status={status} " in line]
    return lines


def intervals(log: Path) -> list[tuple[float, float, str]]:
    """What RECORDER wrote: (start, end, arguments) per run."""
    if not log.exists():
        return []
    runs = []
    for line in log.read_text().splitlines():
        start, end, *args = line.split(" ")
        runs.append((float(start), float(end), " ".join(args)))
    return runs


def max_overlap(runs: Sequence[tuple[float, float, str]]) -> int:
    """The largest number of runs in progress at one moment."""
    events = sorted([(start, 1) for start, _e, _a in runs] + [(end, -1) for _s, end, _a in runs])
    active = peak = 0
    for _when, step in events:  # an end sorts before a start at the same time
        active += step
        peak = max(peak, active)
    return peak


def send_many(inst: Instance, messages: Sequence[Sequence[str]],
              sender: str = "sender@example.org") -> list[str]:
    """Submit several messages in one SMTP session; return their queue IDs."""
    qids = []
    with inst.smtp() as client:
        client.ehlo("client.example")
        for number, rcpts in enumerate(messages):
            code, reply = client.mail(sender)
            assert code == 250, reply
            for rcpt in rcpts:
                code, reply = client.rcpt(rcpt)
                assert code == 250, reply
            code, reply = client.data(f"Subject: message {number}\r\n\r\nhello\r\n".encode())
            assert code == 250, reply
            match = re.search(rb"queued as (\w+)", reply)
            assert match, reply
            qids.append(match.group(1).decode())
    return qids


def flush(inst: Instance) -> None:
    """What postqueue -f asks of qmgr: deliver the deferred queue now,
    ignoring retry times and defer_transports."""
    assert mail_trigger(str(inst.spool), "public", "qmgr", b"FA") is None


def caught(directory: Path) -> list[email.message.Message]:
    """The messages that CATCHER saved, oldest first, parsed."""
    return [email.message_from_bytes(path.read_bytes())
            for path in sorted(directory.iterdir(), key=lambda p: p.name)
            if not path.name.endswith((".sh", ".log"))]


def dsn_parts(notice: email.message.Message,
              ) -> tuple[str, list[email.message.Message], email.message.Message]:
    """(explanation, delivery-status field groups, original) of an RFC 3464 notice.
    The first field group is the per-message one, then one per recipient."""
    assert notice.get_content_type() == "multipart/report"
    assert notice.get_param("report-type") == "delivery-status"
    payload = notice.get_payload()
    assert isinstance(payload, list) and len(payload) == 3, payload
    text, status, original = (part for part in payload
                              if isinstance(part, email.message.Message))
    assert text.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    explanation = text.get_payload()
    groups = status.get_payload()
    assert isinstance(explanation, str) and isinstance(groups, list)
    return explanation, [g for g in groups if isinstance(g, email.message.Message)], original
