"""smtp-source (Postfix's load generator) against a running pyfix smtpd.

Five parallel sessions send 50 messages of 1000 bytes; every message
must be in the incoming queue exactly once, complete (mode rwx), with
its envelope and the content smtp-source sent: the same body in every
file, and one queue file per "250 ... queued as" reply.  Skipped when
smtp-source (Debian's postfix package) is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

import pytest

from pyfix.queue.reader import QueueFile, read_queue_file
from tests.instance import Instance, wait_for

SMTP_SOURCE = shutil.which("smtp-source") or "/usr/sbin/smtp-source"
MESSAGES = 50


@pytest.mark.skipif(not os.access(SMTP_SOURCE, os.X_OK),
                    reason="smtp-source is not installed (Debian package postfix)")
def test_every_message_queued_once_and_intact(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("mynetworks = 127.0.0.0/8\n", "")
    result = subprocess.run(
        [SMTP_SOURCE, "-s", "5", "-m", str(MESSAGES), "-l", "1000", "-f", "load@example.org",
         "-t", "sink@example.net", f"{inst.host}:{inst.port}"],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: inst.maillog().count("disconnect from") >= 5, 20)
    files = inst.queue_files("incoming")
    assert len(files) == MESSAGES
    assert len({f.name for f in files}) == MESSAGES
    bodies = set()
    for path in files:
        assert os.stat(path).st_mode & 0o700 == 0o700  # complete
        message = read_queue_file(str(path))
        assert message.sender == "load@example.org"
        assert [r.address for r in message.recipients] == ["sink@example.net"]
        with QueueFile.open_path(str(path), path.name, writable=False) as qf:
            lines = list(qf.iter_lines())
        blank = lines.index(b"")
        assert lines[0].startswith(b"Received: from ")
        body = b"\n".join(lines[blank + 1:])
        assert len(body) >= 900
        bodies.add(body)
    assert len(bodies) == 1
    log = inst.maillog()
    queued = [line for line in log.splitlines() if ": client=" in line]
    assert len(queued) == MESSAGES
