"""Address verification probes in a running pyfix: smtpd's
reject_unverified_recipient sends them through qmgr to local(8) and
virtual(8), which report "status=deliverable (delivers to mailbox)" (or
maildir) as real Postfix's agents do, and write nothing: the probes stay
out of the mailboxes, leave no bounce and no queue file behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

from tests.instance import Instance, wait_for

MASTER_CF = """\
qmgr      unix  n - n 300 1 qmgr
verify    unix  - - n - 1 verify
local     unix  - n n - - local
virtual   unix  - n n - - virtual
error     unix  - - n - - error
retry     unix  - - n - - error
"""
REASON = None if os.geteuid() == 0 else "needs root (local and virtual delivery)"


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_probes_to_mailboxes_deliver_nothing(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("", MASTER_CF, start=False)
    mail = inst.root / "mail"
    vmail = inst.root / "vmail"
    for box in (mail, vmail):
        box.mkdir()
        os.chmod(box, 0o1777)
    shutil.chown(inst.root / "data", "postfix")  # verify(8)'s cache, as mail_owner
    (inst.etc / "vmailbox").write_text("v@virtual.test v/\n")
    with (inst.etc / "main.cf").open("a") as main:
        main.write("mydestination = $myhostname\n"
                   f"mail_spool_directory = {mail}\n"
                   "virtual_mailbox_domains = virtual.test\n"
                   f"virtual_mailbox_base = {vmail}\n"
                   f"virtual_mailbox_maps = texthash:{inst.etc}/vmailbox\n"
                   "virtual_uid_maps = static:65534\nvirtual_gid_maps = static:65534\n"
                   "smtpd_recipient_restrictions = reject_unverified_recipient\n")
    inst.start()
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.mail("")[0] == 250
        assert client.rcpt("root@mail.example.com") == (250, b"2.1.5 Ok")
        assert client.rcpt("v@virtual.test") == (250, b"2.1.5 Ok")
        # The unverified address's deferral (tempfail action defer_if_permit)
        # ends the RCPT check before smtpd_reject_unlisted_recipient's test,
        # as in Postfix (a pending defer_if_permit answers before "User
        # unknown": test_checks_generic_live.py's
        # test_defer_if_permit_answers_before_unlisted_recipients).
        code, text = client.rcpt("nobody-here@virtual.test")
        assert code == 450, text
        assert text.startswith(b"4.1.1 <nobody-here@virtual.test>: Recipient address "
                               b"rejected: unverified address: "), text
    log = inst.wait_log("status=deliverable (delivers to maildir)")
    assert "to=<root@mail.example.com>, relay=local," in log
    assert "status=deliverable (delivers to mailbox)" in log
    assert "from=<double-bounce@mail.example.com>" in log
    assert wait_for(lambda: inst.maillog().count(": removed") >= 2, 10)
    assert "status=sent" not in inst.maillog()  # no delivery and no bounce
    assert list(mail.iterdir()) == [] and list(vmail.iterdir()) == []
    for queue in ("incoming", "active", "deferred", "bounce", "defer", "trace"):
        assert inst.queue_files(queue) == [], queue
