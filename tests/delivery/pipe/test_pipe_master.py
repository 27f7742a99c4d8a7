"""End to end: smtplib -> pyfix smtpd -> qmgr -> pipe / error / discard services.

transport_maps sends each test domain to a master.cf service; the pipe
service runs golden/capture.sh as user nobody (when root).
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from pathlib import Path

from tests.delivery.pipe.harness import GOLDEN
from tests.instance import DELIVERY_MASTER_CF, Instance, wait_for, world_traversable_dir


def test_pipe_error_discard_through_the_master(
        pyfix_instance: Callable[..., Instance]) -> None:
    out = world_traversable_dir("pyfix-pipe-out-")
    os.chmod(out, 0o1777)
    master_cf = DELIVERY_MASTER_CF + (
        "mypipe unix - n n - - pipe\n"
        f"  flags=DRX user=nobody argv={GOLDEN / 'capture.sh'} {out} mypipe"
        " ${sender} ${recipient} ${nexthop} ${user}\n")
    # smtpd_reject_unlisted_recipient: smtpd would refuse the error and
    # retry transports' recipients at RCPT time, as Postfix's does.
    main_cf = ("mydestination =\nmynetworks = 127.0.0.0/8\nrecipient_delimiter = +\n"
               "smtpd_reject_unlisted_recipient = no\n"
               "mypipe_destination_recipient_limit = 1\n"
               "transport_maps = inline:{ pipe.test=mypipe:, "
               "{ err.test = error:5.7.1 go away }, { gone.test = discard:silently }, "
               "{ later.test = retry:4.2.1 not now } }\n")
    inst = pyfix_instance(main_cf=main_cf, master_cf=master_cf)
    with inst.smtp() as smtp:
        smtp.ehlo("client.example.org")
        for rcpt in ("User+Ext@pipe.test", "x@err.test", "y@gone.test", "z@later.test"):
            smtp.sendmail("sender@example.org", [rcpt], "Subject: e2e\r\n\r\nhello\r\n")
    log = inst.wait_log("delivered via mypipe service")
    assert ", relay=mypipe, " in log
    inst.wait_log("status=bounced (go away)")
    inst.wait_log("status=sent (silently)")
    log = inst.wait_log("status=deferred (not now)")
    assert "postfix/error[" in log and "postfix/discard[" in log and "postfix/pipe[" in log
    assert wait_for(lambda: Path(out, "mypipe.stdin").exists(), 10)
    argv = Path(out, "mypipe.argv").read_text().splitlines()
    assert argv == ["sender@example.org", "User+Ext@pipe.test", "pipe.test", "User"]
    stdin = Path(out, "mypipe.stdin").read_text().splitlines()
    assert stdin[:2] == ["Return-Path: <sender@example.org>", "Delivered-To: User+Ext@pipe.test"]
    assert "hello" in stdin
    if os.geteuid() == 0:
        assert Path(out, "mypipe.uid").read_text().split()[0] == "65534"
        # The agent acts as mail_owner: the bounce log it wrote belongs to postfix.
        owners = {p.stat().st_uid for p in inst.queue_files("defer")}
        assert owners <= {pwd.getpwnam("postfix").pw_uid}
