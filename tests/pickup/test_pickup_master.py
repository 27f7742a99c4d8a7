"""sendmail and sendmail -bs against a running pyfix: pickup under the master.

The instance runs the pickup and showq services and no queue manager,
so that what pickup made of the maildrop file stays in incoming/ to be
looked at: the pickup log line "uid=N from=<user>" (S3), recipients and
sender completed with @$myorigin by cleanup's local rewriting (S5), the
content intact, and mailq showing the message in the incoming queue.
"""

from __future__ import annotations

import os
import pwd
import re
from collections.abc import Callable

from pyfix.queue.reader import QueueFile, read_queue_file
from tests.instance import Instance, wait_for

MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
showq     unix  n       -       n       -       -       showq
"""
MAIN_CF = "mydomain = example.com\nmyorigin = $mydomain\n"


def incoming(inst: Instance, count: int) -> list[str]:
    def ready() -> list[str]:
        return [str(p) for p in inst.queue_files("incoming") if os.stat(p).st_mode & 0o100]
    assert wait_for(lambda: len(ready()) >= count, 20), inst.maillog()
    return ready()


def test_sendmail_through_pickup(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance(MAIN_CF, MASTER_CF)
    result = inst.command("sendmail", "okada", "bob@example.net",
                          input="Subject: hello\nTo: okada\n\nfirst line\n..second\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    [path] = incoming(inst, 1)
    user = pwd.getpwuid(os.getuid()).pw_name
    log = inst.wait_log(f"uid={os.getuid()} from=<{user}>")
    queue_id = os.path.basename(path)
    assert re.search(rf"postfix/pickup\[\d+\]: {queue_id}: uid={os.getuid()} from=<{user}>", log)
    message = read_queue_file(path)
    assert message.sender == f"{user}@example.com"
    assert [r.address for r in message.recipients] == ["okada@example.com", "bob@example.net"]
    with QueueFile.open_path(path, queue_id, writable=False) as qf:
        lines = list(qf.iter_lines())
    assert b"To: okada@example.com" in lines
    assert lines[-2:] == [b"first line", b"..second"]  # sendmail input is not dot-stuffed
    assert wait_for(lambda: not inst.queue_files("maildrop"))  # removed after the commit
    listing = inst.command("postqueue", "-p")
    assert listing.returncode == 0, listing.stderr
    assert re.search(rf"^{queue_id} +\d+ .{{20}} {user}@example.com$", listing.stdout, re.M)
    assert "okada@example.com" in listing.stdout
    assert listing.stdout.endswith(" in 1 Request.\n")


def test_sendmail_bs_through_pickup(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance(MAIN_CF, MASTER_CF)
    dialogue = ("HELO client.example\r\nMAIL FROM:<me>\r\nRCPT TO:<okada>\r\nDATA\r\n"
                "Subject: bs\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    result = inst.command("sendmail", "-bs", input=dialogue)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    match = re.search(r"250 2.0.0 Ok: queued as (\w+)", result.stdout)
    assert match, result.stdout
    [path] = incoming(inst, 1)
    log = inst.wait_log(f"uid={os.getuid()} from=<me>")
    assert "postfix/smtpd" in log and f"{match.group(1)}: client=localhost[127.0.0.1]" in log
    message = read_queue_file(path)
    assert message.sender == "me@example.com"
    assert [r.address for r in message.recipients] == ["okada@example.com"]
