"""local(8) and virtual(8) end to end: smtplib -> pyfix smtpd -> qmgr -> agent,
under a real pyfix master (tests/instance.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from tests.delivery.local.harness import needs_root
from tests.instance import Instance

Make = Callable[..., Instance]
MESSAGE = b"Subject: e2e\r\nFrom: a@b.example\r\n\r\nFrom the start\r\n"


def send(inst: Instance, rcpt: str) -> str:
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.mail("a@b.example")[0] == 250
        assert client.rcpt(rcpt)[0] == 250
        code, text = client.data(MESSAGE)
        assert code == 250, text
    match = re.search(rb"queued as (\w+)", text)
    assert match
    return match.group(1).decode()


@needs_root
def test_smtp_to_local_mailbox_and_alias(pyfix_instance: Make) -> None:
    probe = pyfix_instance(start=False)
    spool = probe.root / "mail"
    spool.mkdir()
    os.chmod(spool, 0o1777)
    aliases = probe.root / "aliases"
    aliases.write_text("root nobody\n")
    inst = pyfix_instance(f"mydestination = $myhostname\nmail_spool_directory = {spool}\n"
                          f"alias_maps = texthash:{aliases}\n")
    qid = send(inst, "root@mail.example.com")
    log = inst.wait_log(f"{qid}: removed")
    assert re.search(rf"postfix/local\[\d+\]: {qid}: to=<nobody@mail.example.com>, "
                     r"orig_to=<root@mail.example.com>, relay=local, delay=[\d.]+, "
                     r"delays=[\d./]+, dsn=2.0.0, status=sent \(delivered to mailbox\)", log), log
    text = (spool / "nobody").read_text()
    assert text.startswith("From a@b.example  ")
    # frozen_delivered_to = yes: Delivered-To: keeps the address the alias had.
    assert "X-Original-To: root@mail.example.com\nDelivered-To: root@mail.example.com\n" in text
    assert "\n>From the start\n\n" in text


def test_smtp_to_virtual_maildir(pyfix_instance: Make) -> None:
    probe = pyfix_instance(start=False)
    base = probe.root / "vmail"
    base.mkdir()
    os.chmod(base, 0o777)
    uid = 65534 if os.geteuid() == 0 else os.geteuid()
    gid = 65534 if os.geteuid() == 0 else os.getegid()
    inst = pyfix_instance(
        "virtual_mailbox_domains = virt.example\n"
        f"virtual_mailbox_base = {base}\n"
        "virtual_mailbox_maps = inline:{ user@virt.example=user/ }\n"
        f"virtual_uid_maps = static:{uid}\nvirtual_gid_maps = static:{gid}\n"
        "virtual_minimum_uid = 100\n")
    qid = send(inst, "user@virt.example")
    log = inst.wait_log(f"{qid}: removed")
    assert re.search(rf"postfix/virtual\[\d+\]: {qid}: to=<user@virt.example>, relay=virtual, "
                     r"delay=[\d.]+, delays=[\d./]+, dsn=2.0.0, "
                     r"status=sent \(delivered to maildir\)", log), log
    (msg,) = list((base / "user" / "new").iterdir())
    assert msg.stat().st_uid == uid
    assert msg.read_text().startswith("Return-Path: <a@b.example>\n")
