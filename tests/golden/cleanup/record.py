#!/usr/bin/env python3
"""Record what real Postfix cleanup(8) writes, for tests/cleanup/.

Usage (as root, with Debian's postfix 3.7 installed):

    TZ=UTC python3 tests/golden/cleanup/record.py [OUTDIR [GROUP...]]

OUTDIR defaults to tests/golden/cleanup, and GROUP to every group.  For each group in cases.py the
script builds a throw-away Postfix instance under /var/tmp (main.cf =
cases.BASE_MAIN_CF plus the group's settings, table files from
cases.TABLES, a master.cf without qmgr so that queued mail stays in the
incoming queue), starts its master(8) in the foreground as root:

    /usr/lib/postfix/sbin/master -c ETC -d

and submits each case of that group over SMTP from 127.0.0.1 with
Python's smtplib (the message content is sent raw, dot-stuffed, with
CRLF).  It saves, per case, in OUTDIR/GROUP/CASE/:

    reply.txt       the reply to the end of DATA
    queue-id        the queue ID (from smtpd's "client=" log line)
    queue           "incoming", "hold" or "none" (no queue file)
    queue-file      the queue file, byte for byte (when there is one)
    postcat.txt     /usr/sbin/postcat -c ETC -q ID output (TZ=UTC)
    maillog         the instance's log lines for this queue ID, and
                    cleanup's other lines logged during the transaction
                    (except its warnings about the absent qmgr)

and OUTDIR/GROUP/main.cf.  The instance is removed afterwards.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
MASTER = "/usr/lib/postfix/sbin/master"
POSTCAT = "/usr/sbin/postcat"

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def load_cases() -> ModuleType:
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("cleanup_golden_cases", HERE / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*argv: str) -> None:
    subprocess.run(argv, check=True)


@contextlib.contextmanager
def instance(cases: ModuleType, group: str) -> Iterator[tuple[Path, Path, int]]:
    """A running Postfix instance: (etc, spool, port)."""
    base = Path(tempfile.mkdtemp(prefix="pyfix-cleanup-record.", dir="/var/tmp"))
    base.chmod(0o755)
    etc, spool, data = base / "etc", base / "spool", base / "data"
    for path in (etc, spool, data):
        path.mkdir()
    port = free_port()
    settings = {**cases.BASE_MAIN_CF, **cases.GROUPS[group]}
    settings.update(
        queue_directory=str(spool),
        data_directory=str(data),
        maillog_file=str(base / "maillog"),
        maillog_file_prefixes="/var",
    )
    text = "".join(f"{name} = {value}\n" for name, value in settings.items())
    (etc / "main.cf").write_text(text.replace("$config_directory", str(etc)))
    (etc / "master.cf").write_text(MASTER_CF.format(port=port))
    for name, table in cases.TABLES.items():
        (etc / name).write_text(table)
    for queue in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                  "incoming", "private", "saved", "trace"):
        run("install", "-d", "-o", "postfix", "-g", "root", "-m", "700", str(spool / queue))
    run("install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "1730", str(spool / "maildrop"))
    run("install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "2710", str(spool / "public"))
    run("install", "-d", "-o", "root", "-g", "root", "-m", "755", str(spool / "pid"))
    shutil.chown(data, "postfix")
    run("install", "-o", "postfix", "-g", "root", "-m", "600", "/dev/null", str(base / "maillog"))
    master = subprocess.Popen([MASTER, "-c", str(etc), "-d"], start_new_session=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield etc, spool, port
    finally:
        master.terminate()
        master.wait()
        shutil.rmtree(base)


def wire(lines: tuple[bytes, ...]) -> bytes:
    """DATA content as sent: dot-stuffed lines with CRLF, then the final dot."""
    out = bytearray()
    for line in lines:
        if line.startswith(b"."):
            out += b"."
        out += line + b"\r\n"
    return bytes(out) + b".\r\n"


def submit(port: int, case: object) -> str:
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo(case.helo)  # type: ignore[attr-defined]
        code, text = smtp.mail(case.sender, list(case.mail_options))  # type: ignore[attr-defined]
        assert code == 250, (code, text)
        for rcpt in case.rcpts:  # type: ignore[attr-defined]
            code, text = smtp.rcpt(rcpt.address, rcpt.options())
            assert code == 250, (code, text)
        code, text = smtp.docmd("DATA")
        assert code == 354, (code, text)
        smtp.send(wire(case.lines))  # type: ignore[attr-defined]
        code, text = smtp.getreply()
        return f"{code} {text.decode()}"


def relevant(line: str, queue_id: str) -> bool:
    """A log line about this message, or a cleanup warning without queue ID
    (but not the complaint about the missing qmgr)."""
    if f" {queue_id}: " in line:
        return True
    return "postfix/cleanup[" in line and "public/qmgr" not in line


def log_lines(maillog: Path, start: int) -> list[str]:
    with open(maillog, "rb") as stream:
        stream.seek(start)
        return stream.read().decode("utf-8", "replace").splitlines()


def record_group(cases: ModuleType, group: str, outdir: Path) -> None:
    with instance(cases, group) as (etc, spool, port):
        maillog = etc.parent / "maillog"
        group_dir = outdir / group
        group_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(etc / "main.cf", group_dir / "main.cf")
        for case in cases.CASES:
            if case.group != group:
                continue
            start = maillog.stat().st_size
            reply = submit(port, case)
            time.sleep(0.2)  # postlogd writes asynchronously
            lines = log_lines(maillog, start)
            queue_id = ""
            for line in lines:
                found = re.search(r"smtpd\[\d+\]: ([0-9A-F]+): client=", line)
                if found:
                    queue_id = found.group(1)
            assert queue_id, lines
            out = group_dir / case.name
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            (out / "reply.txt").write_text(reply + "\n")
            (out / "queue-id").write_text(queue_id + "\n")
            (out / "maillog").write_text(
                "".join(line + "\n" for line in lines if relevant(line, queue_id)))
            where = "none"
            for queue in ("incoming", "hold"):
                for path in (spool / queue).rglob(queue_id):
                    where = queue
                    shutil.copy(path, out / "queue-file")
                    (out / "queue-file").chmod(0o644)
                    postcat = subprocess.run(
                        [POSTCAT, "-c", str(etc), "-q", queue_id],
                        capture_output=True, check=True, env={**os.environ, "TZ": "UTC"})
                    (out / "postcat.txt").write_bytes(postcat.stdout)
                    break
            (out / "queue").write_text(where + "\n")
            print(f"{group}/{case.name}: {reply} ({where})")


def main() -> int:
    if os.geteuid() != 0:
        print("record.py: must run as root", file=sys.stderr)
        return 1
    os.environ["TZ"] = "UTC"
    time.tzset()
    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    cases = load_cases()
    for group in sys.argv[2:] or list(cases.GROUPS):
        record_group(cases, group, outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
