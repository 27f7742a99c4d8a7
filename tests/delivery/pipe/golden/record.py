#!/usr/bin/env python3
"""Record what real Postfix's pipe(8), error(8) and discard(8) do.

Usage (as root, with Debian's postfix 3.7 installed; /etc/postfix is not
touched):

    python3 tests/delivery/pipe/golden/record.py

The script builds a throw-away Postfix instance under /var/tmp, starts
its master directly (master -c DIR -d) and sends one message per case
over SMTP.  transport_maps sends each case's domain to its own master.cf
service (the SERVICES table below).  The pipe services run capture.sh
(in this directory), which saves its argument vector, environment,
working directory and standard input, or exitwith.sh, which prints its
arguments and exits with the status given.

It saves, in this directory:
  - capture/NAME.{argv,env,cwd,stdin}: what each command received;
  - results.json: recipient -> "dsn=X.Y.Z, status=... (reason)", as
    the delivery agent logged it (queue IDs and delays removed);
  - warnings.txt: the warning and fatal lines of the pipe, error and
    discard processes (ident and text, pid removed), in log order;
  - main.cf, master.cf: the configuration used (master.cf with the
    placeholders CAPTURE_SH OUTDIR and EXITWITH for the scripts).
Paths are written as GOLDEN (this directory) and BASE (the instance).
Tests compare pyfix's behaviour with these files; the From_ line date in
the stdin files is the only time-dependent text (tests match it with a
pattern).
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
BASE_SERVICES = """\
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
"""
CAPTURE = "CAPTURE"  # replaced by "capture.sh OUTDIR"
EXITWITH = "EXITWITH"  # replaced by the path of exitwith.sh
ALL_MACROS = ("${sender} ${recipient} ${original_recipient} ${nexthop} ${user} "
              "${extension} ${domain} ${mailbox} ${size} ${queue_id} ${client_address} "
              "${client_hostname} ${client_helo} ${client_protocol} ${client_port} "
              "${sasl_method} ${sasl_username} ${sasl_sender} {} { a b } $$dollar")
# name -> command attributes (after "pipe")
SERVICES = {
    "flagsall": "flags=DORFB.> user=nobody argv=CAPTURE flagsall " + ALL_MACROS,
    "multi": "flags=X user=nobody argv=CAPTURE multi ${recipient} x-${user}-y "
             "${nexthop}",
    "qhu": "flags=qhu null_sender= user=nobody argv=CAPTURE qhu ${sender} "
           "${recipient} ${original_recipient} ${user} ${extension} ${domain} ${mailbox} "
           "${nexthop}",
    "nulldef": "flags=FRq user=nobody argv=CAPTURE nulldef ${sender}",
    "eolcr": "flags=BR eol=\\r\\n user=nobody:nogroup argv=CAPTURE eolcr",
    "talk": "flags=X user=nobody argv=/bin/echo {some output text}",
    "ex75": "user=nobody argv=EXITWITH 75",
    "ex67": "user=nobody argv=EXITWITH 67",
    "ex1": "user=nobody argv=EXITWITH 1",
    "ex1out": "user=nobody argv=EXITWITH 1 {first line} {second\tline}",
    "ex99": "user=nobody argv=EXITWITH 99",
    "exdsn": "user=nobody argv=EXITWITH 1 {5.7.1 go away}",
    "exdsn4": "user=nobody argv=EXITWITH 77 {4.2.2 mailbox full}",
    "exsig": "user=nobody argv=EXITWITH kill",
    "slow": "user=nobody argv=EXITWITH sleep",
    "nocmd": "user=nobody argv=/nonexistent/command ${recipient}",
    "small": "size=10 user=nobody argv=CAPTURE small",
    "loop": "flags=D user=nobody argv=CAPTURE loop",
    "dmulti": "flags=D user=nobody argv=CAPTURE dmulti",
    "badmacro": "user=nobody argv=CAPTURE badmacro ${bogus}",
    "nouser": "argv=CAPTURE nouser",
    "noargv": "user=nobody",
    "rootuser": "user=root argv=CAPTURE rootuser",
    "owneruser": "user=postfix argv=CAPTURE owneruser",
    "unkuser": "user=nosuchuser argv=CAPTURE unkuser",
    "unkgroup": "user=nobody:nosuchgroup argv=CAPTURE unkgroup",
    "badflag": "flags=Z user=nobody argv=CAPTURE badflag",
    "badattr": "foo=bar user=nobody argv=CAPTURE badattr",
    "badsize": "size=12x user=nobody argv=CAPTURE badsize",
}
ERROR_TRANSPORTS = {
    "err1.test": "error:5.7.1 go away",
    "err2.test": "error:no such luck",
    "err3.test": "error:4.1.1 odd class",
    "retry1.test": "retry:4.7.1 try later",
    "retry2.test": "retry:slow down",
    "disc1.test": "discard:silently",
    "disc2.test": "discard:2.6.0 gone",
    "disc3.test": "discard:",
}
MESSAGE = ("Subject: {name}\r\nX-Test: yes\r\n\r\nFrom me\r\n.dot\r\n..two\r\n"
           "normal line\r\n>From quoted\r\n")
# (service, sender, recipients, extra headers)
CASES: list[tuple[str, str, list[str], str]] = [
    ("flagsall", "Sender@Example.ORG", ["user+ext@flagsall.test"], ""),
    ("multi", "sender@example.org", ["a@multi.test", "b+x@multi.test"], ""),
    ("qhu", "", ['"Foo Bar+Ext"@QHU.Test'], ""),
    ("nulldef", "", ["x@nulldef.test"], ""),
    ("eolcr", "s@example.org", ["x@eolcr.test"], ""),
    ("loop", "s@example.org", ["Loop@loop.test"], "Delivered-To: loop@LOOP.test\r\n"),
    ("dmulti", "s@example.org", ["a@dmulti.test", "b@dmulti.test"], ""),
]
SIMPLE = ("talk", "ex75", "ex67", "ex1", "ex1out", "ex99", "exdsn", "exdsn4", "exsig", "slow",
          "nocmd", "small", "badmacro", "nouser", "noargv", "rootuser", "owneruser",
          "unkuser", "unkgroup", "badflag", "badattr", "badsize")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def master_cf(capture: str, exitwith: str) -> str:
    lines = [BASE_SERVICES]
    for name, attrs in SERVICES.items():
        attrs = attrs.replace(CAPTURE, capture).replace(EXITWITH, exitwith)
        lines.append(f"{name} unix - n n - - pipe\n  {attrs}\n")
    return "".join(lines)


def record() -> None:
    base = Path(tempfile.mkdtemp(prefix="pyfix-pipe-record-", dir="/var/tmp"))
    os.chmod(base, 0o755)
    etc, spool, out = base / "etc", base / "spool", base / "out"
    etc.mkdir()
    (base / "data").mkdir()
    out.mkdir()
    os.chmod(out, 0o1777)
    port = free_port()
    transport = "".join(f"{name}.test {name}:\n" for name in SERVICES)
    transport += "".join(f"{dom} {value}\n" for dom, value in ERROR_TRANSPORTS.items())
    (etc / "transport").write_text(transport)
    main = f"""compatibility_level = 3.7
queue_directory = {spool}
data_directory = {base}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_reject_unlisted_recipient = no
alias_maps =
alias_database =
local_recipient_maps =
recipient_delimiter = +
transport_maps = hash:{etc}/transport
flagsall_destination_recipient_limit = 1
loop_destination_recipient_limit = 1
slow_time_limit = 2s
maillog_file = {base}/maillog
maillog_file_prefixes = /var
"""
    (etc / "main.cf").write_text(main)
    subprocess.run(["/usr/sbin/postmap", "-c", str(etc), f"hash:{etc}/transport"], check=True)
    capture = f"{HERE / 'capture.sh'} {out}"
    (etc / "master.cf").write_text(f"127.0.0.1:{port} inet n - n - - smtpd\n"
                                   + master_cf(capture, str(HERE / "exitwith.sh")))
    for name in QUEUES:
        subprocess.run(["install", "-d", "-o", "postfix", "-g", "root", "-m", "700",
                        str(spool / name)], check=True)
    subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "1730",
                    str(spool / "maildrop")], check=True)
    subprocess.run(["install", "-d", "-o", "postfix", "-g", "postdrop", "-m", "2710",
                    str(spool / "public")], check=True)
    subprocess.run(["install", "-d", "-m", "755", str(spool / "pid")], check=True)
    shutil.chown(base / "data", "postfix")
    subprocess.run(["install", "-o", "postfix", "-m", "600", "/dev/null",
                    str(base / "maillog")], check=True)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC", "LANG": "C"}
    master = subprocess.Popen([MASTER, "-c", str(etc), "-d"], start_new_session=True, env=env)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        cases = list(CASES) + [(name, "s@example.org", [f"r@{name}.test"], "")
                               for name in SIMPLE]
        cases += [("error", "s@example.org", [f"r@{dom}"], "") for dom in ERROR_TRANSPORTS]
        expected: list[str] = []
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.ehlo("client.example.org")
            for name, sender, rcpts, headers in cases:
                smtp.mail(f"<{sender}>")
                for rcpt in rcpts:
                    smtp.rcpt(f"<{rcpt}>")
                    expected.append(rcpt)
                smtp.data((headers + MESSAGE.format(name=name)).encode())
        log_path = base / "maillog"
        deadline = time.time() + 90
        while time.time() < deadline:
            log = log_path.read_text(errors="replace")
            if all(f"to=<{rcpt}>" in log for rcpt in expected
                   if "@no" not in rcpt and "user.test" not in rcpt
                   and "@bad" not in rcpt and "@unk" not in rcpt):
                break
            time.sleep(0.5)
        time.sleep(3)
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=20)
    log = (base / "maillog").read_text(errors="replace")
    log = log.replace(str(HERE), "GOLDEN").replace(str(base), "BASE")
    results: dict[str, str] = {}
    warnings: list[str] = []
    for line in log.splitlines():
        match = re.search(r" (postfix/(?:pipe|error|discard|retry))\[\d+\]: (.*)$", line)
        if not match:
            continue
        ident, text = match.groups()
        status = re.search(r"to=<([^>]*)>.*?, relay=([^,]*), .*(dsn=.*)$", text)
        if status:
            results.setdefault(status.group(1), f"{ident} relay={status.group(2)} "
                               + status.group(3))
        elif text.startswith(("warning:", "fatal:")):
            warnings.append(f"{ident}: {text}")
    (HERE / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    (HERE / "warnings.txt").write_text("".join(line + "\n" for line in warnings))
    (HERE / "main.cf").write_text(main)
    (HERE / "master.cf").write_text(master_cf("CAPTURE_SH OUTDIR", "EXITWITH"))
    shutil.rmtree(HERE / "capture", ignore_errors=True)
    shutil.copytree(out, HERE / "capture")
    shutil.rmtree(base)


def main() -> int:
    if os.geteuid() != 0:
        print("record.py must run as root", file=sys.stderr)
        return 1
    record()
    print(f"recorded into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
