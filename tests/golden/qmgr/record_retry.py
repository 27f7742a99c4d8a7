#!/usr/bin/env python3
"""Record who logs qmgr's own deferrals in real Postfix 3.7 (as root):

    python3 tests/golden/qmgr/record_retry.py > tests/golden/qmgr/retry.log

Three runs of a throw-away Postfix (tests/qmgr/postfix_live.py):
"unknown": transport_maps sends mail to a transport without a master.cf
entry, three messages; "noretry": the same without the retry service;
"suspended": a $relayhost that refuses connections, 12 messages held by
defer_transports and then flushed ("postqueue -f"), and one more.  The
qmgr, smtp and error lines are written normalized (normalize()).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.instance import free_port
from tests.qmgr.postfix_live import POSTFIX_MASTER_CF, PostfixInstance, normalize

BASE = """compatibility_level = 3.7
myhostname = mail.example.com
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
local_recipient_maps =
"""


def run(name: str, main_cf: str, master_cf: str, messages: list[str], flush: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="pyfix-golden-qmgr-"))
    os.chmod(root, 0o755)
    pf = PostfixInstance(root / "pf", BASE + main_cf, master_cf)
    pf.start()
    try:
        for rcpt in messages[:-1] if flush else messages:
            with pf.smtp() as client:
                client.sendmail("s@example.org", [rcpt], "Subject: t\r\n\r\nbody\r\n")
            time.sleep(0.2)
        time.sleep(2)
        if flush:
            subprocess.run(["/usr/sbin/postqueue", "-c", str(pf.etc), "-f"], check=True)
            time.sleep(4)
            with pf.smtp() as client:
                client.sendmail("s@example.org", [messages[-1]], "Subject: t\r\n\r\nbody\r\n")
        time.sleep(2)
        print(f"# {name}")
        for line in normalize(pf.maillog()):
            print(line)
    finally:
        pf.stop()


def main() -> None:
    unknown = "transport_maps = inline:{ nowhere.test=nosuch: }\nminimal_backoff_time = 300s\n"
    rcpts = [f"u{n}@nowhere.test" for n in range(3)]
    run("unknown", unknown, POSTFIX_MASTER_CF, rcpts, False)
    noretry = "".join(line + "\n" for line in POSTFIX_MASTER_CF.splitlines()
                      if not line.startswith("retry"))
    run("noretry", unknown, noretry, rcpts, False)
    port = free_port()
    refused = (f"relayhost = [127.0.0.1]:{port}\ndefer_transports = smtp\n"
               "minimal_backoff_time = 60s\nmaximal_backoff_time = 60s\n")
    run("suspended", refused, POSTFIX_MASTER_CF,
        [f"u{n}@remote.example" for n in range(12)] + ["late@remote.example"], True)


if __name__ == "__main__":
    main()
