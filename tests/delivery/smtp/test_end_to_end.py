"""smtplib -> pyfix smtpd -> qmgr -> pyfix smtp agent -> smtp-sink, all real processes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest

from tests.delivery.smtp.harness import SMTP_SINK, Sink
from tests.instance import Instance

MASTER_CF = """\
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
"""


@pytest.mark.skipif(not os.path.exists(SMTP_SINK), reason="smtp-sink is not installed")
def test_relayhost_delivery(pyfix_instance: Callable[..., Instance]) -> None:
    sink = Sink()
    try:
        inst = pyfix_instance(f"relayhost = [127.0.0.1]:{sink.port}\n"
                              "mynetworks = 127.0.0.0/8\ninet_protocols = ipv4\n",
                              master_cf=MASTER_CF)
        with inst.smtp() as client:
            client.sendmail("sender@example.com", ["someone@remote.example"],
                            b"Subject: hi\r\n\r\nHello.\r\n")
        log = inst.wait_log("status=sent", timeout=30)
        assert re.search(rf"postfix/smtp\[\d+\]: [0-9A-F]+: to=<someone@remote\.example>, "
                         rf"relay=127\.0\.0\.1\[127\.0\.0\.1\]:{sink.port}, delay=\S+, "
                         rf"delays=\S+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok\)", log), log
    finally:
        sink.stop()
