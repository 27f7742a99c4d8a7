"""S20: a home server that sends everything through the provider's relayhost.

The notebook's main.cf has "relayhost = mail.axxgo2.ne.jp" without
brackets: Postfix looks up the MX records of that name and delivers to
the MX host; "[name]" turns the MX lookup off and uses the name's own
address.  The test DNS server gives mail.provider.example an MX
(smtp.provider.example, 127.0.0.4) and an A record of its own
(127.0.0.5); an smtp-sink listens on each, on the same port, so where
the mail arrives shows which lookup was made.
"""

from __future__ import annotations

import re

from tests.instance import free_port
from tests.seed.topology import Seed, needs_sink, smtp_send

pytestmark = needs_sink

MESSAGE = b"Subject: S20\r\nFrom: okada@home.example\r\n\r\nFrom the home server.\r\n"


def test_s20_relayhost_with_and_without_mx_lookup(seed: Seed) -> None:
    port = free_port("127.0.0.4")
    via_mx = seed.internet("127.0.0.4", port)
    via_a = seed.internet("127.0.0.5", port)
    home = seed.server("127.0.0.6", "pc85.home.example",
                       # The notebook's lines for the home server.
                       "mydomain = home.example\n"
                       "mydestination = $myhostname, localhost.$mydomain, $mydomain\n"
                       "mynetworks = 168.168.10.0/24, 127.0.0.0/8\n"
                       f"relayhost = mail.provider.example:{port}\n")
    qid = smtp_send(home, "okada@home.example", ["friend@elsewhere.example"], MESSAGE)
    log = home.wait_log(f"{qid}: removed")
    assert re.search(rf"postfix/smtp\[\d+\]: {qid}: to=<friend@elsewhere\.example>, "
                     rf"relay=smtp\.provider\.example\[127\.0\.0\.4\]:{port}, .*"
                     r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok\)", log), log
    (dumped,) = via_mx.wait()
    assert dumped.sender == "okada@home.example"
    assert dumped.recipients == ["friend@elsewhere.example"]

    # "postconf -e" and "postfix reload", as an administrator would.
    result = home.command("postconf", "-c", str(home.etc), "-e",
                          f"relayhost = [mail.provider.example]:{port}")
    assert result.returncode == 0, result.stderr
    assert home.postfix("reload").returncode == 0
    home.wait_log("reload -- version")
    qid = smtp_send(home, "okada@home.example", ["friend@elsewhere.example"], MESSAGE)
    log = home.wait_log(f"{qid}: removed")
    assert re.search(rf"postfix/smtp\[\d+\]: {qid}: to=<friend@elsewhere\.example>, "
                     rf"relay=mail\.provider\.example\[127\.0\.0\.5\]:{port}, .*"
                     r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok\)", log), log
    assert len(via_a.wait()) == 1 and len(via_mx.transactions()) == 1
