"""Real Postfix's pickup(8) accepts a maildrop file written by pyfix's sendmail.

Runs as root only: it starts a throw-away Postfix 3.7 master(8) in the
foreground (master -c DIR -d, as tests/golden/queue/record.sh does)
with pickup and cleanup but no qmgr, so the queue file that cleanup
writes stays in the incoming queue, where postcat(1) reads it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import oracle

SKIP = oracle.missing(oracle.MASTER, oracle.POSTCAT, root=True, postfix_user=True)
pytestmark = pytest.mark.skipif(SKIP is not None, reason=str(SKIP))

MASTER_CF = """\
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
rewrite   unix  -       -       n       -       -       trivial-rewrite
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _install(path: Path, mode: int, group: str = "root") -> None:
    subprocess.run(["install", "-d", "-o", "postfix", "-g", group, "-m", f"{mode:o}",
                    str(path)], check=True)


def test_postfix_pickup_accepts_pyfix_maildrop_file() -> None:
    base = Path(subprocess.run(["mktemp", "-d", "/var/tmp/pyfix-pickup-real.XXXXXX"],
                               capture_output=True, text=True, check=True).stdout.strip())
    try:
        base.chmod(0o755)
        etc, spool, data = base / "etc", base / "spool", base / "data"
        etc.mkdir()
        spool.mkdir()
        data.mkdir()
        (etc / "main.cf").write_text(f"""\
compatibility_level = 3.7
queue_directory = {spool}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
myorigin = $myhostname
mydestination =
alias_maps =
alias_database =
maillog_file = {base}/maillog
maillog_file_prefixes = /var
""")
        (etc / "master.cf").write_text(MASTER_CF)
        for name in ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                     "incoming", "private", "saved", "trace"):
            _install(spool / name, 0o700)
        _install(spool / "maildrop", 0o1730, "postdrop")
        _install(spool / "public", 0o2710, "postdrop")
        _install(spool / "pid", 0o755)
        shutil.chown(data, "postfix")
        subprocess.run(["install", "-o", "postfix", "-m", "600", "/dev/null",
                        str(base / "maillog")], check=True)

        env = {**os.environ, "MAIL_CONFIG": str(etc)}
        result = subprocess.run(
            [sys.executable, "-m", "pyfix.cli.sendmail", "-f", "sender@example.org",
             "-F", "Py Fix", "rcpt@example.com", "local-user"],
            input=b"Subject: from pyfix\n\nhello from pyfix sendmail\n",
            capture_output=True, env=env, check=False)
        assert result.returncode == 0, result.stderr
        (dropped,) = os.listdir(spool / "maildrop")

        master = subprocess.Popen([oracle.MASTER, "-c", str(etc), "-d"], env=oracle.environ(),
                                  start_new_session=True)
        try:
            queue_id = ""
            for _ in range(100):
                log = (base / "maillog").read_text()
                files = [f for f in os.listdir(spool / "incoming")
                         if os.stat(spool / "incoming" / f).st_mode & 0o100]
                if files and not os.listdir(spool / "maildrop") and "from=<" in log:
                    queue_id = files[0]
                    break
                time.sleep(0.1)
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(10)
        assert queue_id, (base / "maillog").read_text()
        log = (base / "maillog").read_text()
        assert "postfix/pickup[" in log
        assert f"{queue_id}: uid=0 from=<sender@example.org>" in log
        result = oracle.run(oracle.POSTCAT, etc, "-q", queue_id)
        assert result.returncode == 0, result.stderr
        postcat = result.stdout
        assert "sender: sender@example.org" in postcat
        assert "sender_fullname: Py Fix" in postcat
        assert "recipient: rcpt@example.com" in postcat
        assert "recipient: local-user@mail.example.com" in postcat
        # pickup's Received: header names the new queue ID, not the maildrop file
        assert f"id {queue_id};" in postcat and dropped not in postcat
        assert "Subject: from pyfix" in postcat
        assert "hello from pyfix sendmail" in postcat
    finally:
        shutil.rmtree(base, ignore_errors=True)
