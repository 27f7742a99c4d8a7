#!/usr/bin/env python3
"""Record mailq / postqueue output and sendmail -bs dialogues from real Postfix.

Usage (as root, with Debian's postfix 3.7 installed; /etc/postfix is not
touched):

    python3 tests/golden/mailq/record.py

For each variant (short: enable_long_queue_ids = no, hash_queue_depth = 1;
long: enable_long_queue_ids = yes, hash_queue_depth = 2) the script
builds a throw-away Postfix instance under /var/tmp, starts its master
directly (root running master -c DIR -d needs no
alternate_config_directories entry) and:

  1. saves "postqueue -p" and "postqueue -j" of the empty queue;
  2. submits message A over SMTP (two recipients, one of them twice
     with different case) and message B with the null sender; every
     delivery goes to relayhost [127.0.0.1]:CLOSED_PORT, so both are
     deferred with "connect to ...: Connection refused";
  3. puts B on hold (postsuper -h) and leaves message C in maildrop
     (master.cf has no pickup service, so sendmail's file stays there);
  4. saves the queue (queue files and defer logs, byte for byte, under
     VARIANT/queue/) and, with TZ=UTC, "postqueue -p", "postqueue -j",
     "mailq" and "sendmail -bp" output;
  5. stops master and saves what postqueue -p (root: the queue is read
     directly, with a warning) and -f print when the mail system is down,
     and -f once more after public/qmgr is gone.

The sendmail -bs dialogues (bs/NAME.in -> bs/NAME.out, bs/NAME.log)
are played by the short variant as root while master runs (an
unprivileged user's postdrop would refuse the private configuration
directory, which /etc/postfix/main.cf does not list).
pyfix's tests copy VARIANT/queue into a pyfix queue and compare
pyfix's listing with these files byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MASTER = "/usr/lib/postfix/sbin/master"
QUEUES = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
          "incoming", "private", "saved", "trace")
SERVICES = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
"""
BS_DIALOGUES = {
    "basic": "HELO client.example\r\nMAIL FROM:<nobody>\r\nRCPT TO:<rcpt@example.net>\r\n"
             "DATA\r\nSubject: bs\r\n\r\nhello\r\n.\r\nQUIT\r\n",
    "ehlo": "EHLO client.example\r\nNOOP\r\nVRFY x\r\nETRN example.net\r\nQUIT\r\n",
    "eof": "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n",
    "errors": "MAIL FROM:<a@example.org>\r\nHELO\r\nhelo x\r\nRCPT TO:<b@example.net>\r\n"
              "MAIL FROM:<a@example.org> SIZE=99999999999\r\nMAIL FROM:<a@example.org>\r\n"
              "DATA\r\nRCPT TO:<unqualified>\r\nDATA\r\nx\r\n.\r\nBOGUS\r\nQUIT\r\n",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str, user: str | None = None, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, input=input,
                          env=env, user=user, check=False, timeout=60)


class Postfix:
    def __init__(self, variant: str, long_ids: str, depth: str) -> None:
        self.base = Path(tempfile.mkdtemp(prefix=f"pyfix-mailq-{variant}-", dir="/var/tmp"))
        os.chmod(self.base, 0o755)
        self.etc, self.spool = self.base / "etc", self.base / "spool"
        self.port = free_port()
        self.closed = free_port()
        self.etc.mkdir()
        (self.base / "data").mkdir()
        self.main_cf = f"""compatibility_level = 3.7
queue_directory = {self.spool}
data_directory = {self.base}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:{self.closed}
smtpd_relay_restrictions = permit_mynetworks, reject
enable_long_queue_ids = {long_ids}
hash_queue_depth = {depth}
hash_queue_names = deferred, defer, hold
maillog_file = {self.base}/maillog
maillog_file_prefixes = /var
"""
        (self.etc / "main.cf").write_text(self.main_cf)
        (self.etc / "master.cf").write_text(
            f"127.0.0.1:{self.port} inet n - n - - smtpd\n" + SERVICES)
        for name in QUEUES:
            subprocess.run(["install", "-d", "-o", "postfix", "-g", "root", "-m", "700",
                            str(self.spool / name)], check=True)
        subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "1730",
                        str(self.spool / "maildrop")], check=True)
        subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "2710",
                        str(self.spool / "public")], check=True)
        subprocess.run(["install", "-d", "-m", "755", str(self.spool / "pid")], check=True)
        shutil.chown(self.base / "data", "postfix")
        subprocess.run(["install", "-o", "postfix", "-m", "600", "/dev/null",
                        str(self.base / "maillog")], check=True)
        self.master: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC",
                "MAIL_CONFIG": str(self.etc), "LANG": "C"}

    def start(self) -> None:
        self.master = subprocess.Popen([MASTER, "-c", str(self.etc), "-d"],
                                       start_new_session=True)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("master did not start")

    def stop(self) -> None:
        if self.master is not None:
            self.master.send_signal(signal.SIGTERM)
            self.master.wait(timeout=20)
            self.master = None

    def wait_deferred(self, count: int) -> None:
        for _ in range(300):
            log = (self.base / "maillog").read_text(errors="replace")
            if log.count("status=deferred") >= count and not any(
                    (self.spool / q).rglob("*") and any(
                        p.is_file() for p in (self.spool / q).rglob("*"))
                    for q in ("incoming", "active")):
                return
            time.sleep(0.1)
        raise SystemExit("mail was not deferred:\n" + log)

    def queue_id_of(self, text: str) -> str:
        match = re.search(r"queued as ([0-9A-Za-z]+)", text)
        assert match, text
        return match.group(1)


def save(out: Path, name: str, result: subprocess.CompletedProcess[str]) -> None:
    (out / name).write_text(result.stdout)
    (out / (name + ".stderr")).write_text(result.stderr)
    (out / (name + ".status")).write_text(f"{result.returncode}\n")


def record(variant: str, long_ids: str, depth: str) -> None:
    pf = Postfix(variant, long_ids, depth)
    out = HERE / variant
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    env = pf.env()
    try:
        pf.start()
        save(out, "empty-p.txt", run("postqueue", "-p", env=env))
        save(out, "empty-j.txt", run("postqueue", "-j", env=env))
        with smtplib.SMTP("127.0.0.1", pf.port) as smtp:
            smtp.ehlo("client.example.org")
            smtp.mail("sender@example.org")
            for rcpt in ("alice@example.net", "bob@example.net", "Alice@example.net"):
                smtp.rcpt(rcpt)
            smtp.data("Subject: A\r\n\r\n" + "x" * 3000 + "\r\n")
            smtp.mail("<>")
            smtp.rcpt("carol@example.org")
            _code, text_b = smtp.data("Subject: B\r\n\r\nbounce\r\n")
        id_b = pf.queue_id_of(text_b.decode())
        pf.wait_deferred(3)
        run("postsuper", "-h", id_b, env=env)
        run("sendmail", "-f", "root", "dave", input="Subject: C\n\nmaildrop\n", env=env)
        time.sleep(0.5)
        if variant == "short":
            record_bs(pf, env)
        for name, args in (("p.txt", ["postqueue", "-p"]), ("j.txt", ["postqueue", "-j"]),
                           ("mailq.txt", ["mailq"]), ("bp.txt", ["sendmail", "-bp"])):
            save(out, name, run(*args, env=env))
    finally:
        pf.stop()
    shutil.copytree(pf.spool, out / "queue", ignore=shutil.ignore_patterns("pid", "public",
                                                                             "private"))
    (out / "main.cf").write_text(pf.main_cf)
    save(out, "down-p.txt", run("postqueue", "-p", env=env))
    save(out, "down-f.txt", run("postqueue", "-f", env=env))
    for sock in ("showq", "qmgr"):
        with_socket = pf.spool / "public" / sock
        if with_socket.exists():
            with_socket.unlink()
    save(out, "nosocket-f.txt", run("postqueue", "-f", env=env))
    shutil.rmtree(pf.base)


def record_bs(pf: Postfix, env: dict[str, str]) -> None:
    out = HERE / "bs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    log = pf.base / "maillog"
    for name, dialogue in BS_DIALOGUES.items():
        offset = log.stat().st_size
        (out / f"{name}.in").write_bytes(dialogue.encode())
        result = subprocess.run(["sendmail", "-bs"], input=dialogue.encode(), env=env,
                                capture_output=True, check=False, timeout=60)
        (out / f"{name}.out").write_bytes(result.stdout)  # CRLF kept
        (out / f"{name}.out.stderr").write_bytes(result.stderr)
        (out / f"{name}.out.status").write_text(f"{result.returncode}\n")
        time.sleep(1.0)
        with open(log, "rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()
        (out / f"{name}.log").write_text(
            "".join(line.split(": ", 1)[0].split()[-1] + ": " + line.split(": ", 1)[1] + "\n"
                    for line in lines if ": " in line))
    maildrop = sorted(p.name for p in (pf.spool / "maildrop").iterdir())
    (out / "maildrop.json").write_text(json.dumps(maildrop) + "\n")


def main() -> int:
    if os.geteuid() != 0:
        print("record.py must run as root", file=sys.stderr)
        return 1
    record("short", "no", "1")
    record("long", "yes", "2")
    print(f"recorded into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
