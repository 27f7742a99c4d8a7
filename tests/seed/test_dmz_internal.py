"""S2, S3, S4, S6: the notebook's DMZ and internal servers, end to end.

Everything is real: two pyfix mail systems (DMZ on 127.0.0.2, internal on
127.0.0.3), the test DNS server, smtp-sink as the Internet on 127.0.0.4,
smtplib and pyfix's sendmail as clients.  See tests/seed/network.py.

The expected log lines are modelled on the notebook's quotes.  The
bounce reason "Host or domain name not found. Name service error for
name=NAME type=A: Host not found" is Postfix 3.7's text: dns/dns_lookup.c
builds it for an NXDOMAIN answer, smtp/smtp_addr.c falls back from the
MX lookup to the A lookup when the MX lookup finds nothing, and
dns/dns_strerror.c gives "Host not found" (dsn 5.4.4).
"""

from __future__ import annotations

import os
import pwd
import re
import time
from collections.abc import Iterator

import pytest

from tests.instance import Instance
from tests.seed.network import BOTH_LINES, Network, build_network
from tests.seed.topology import (
    DMZ_HOST,
    DOMAIN,
    Seed,
    log_lines,
    needs_sink,
    postmap,
    sendmail,
    smtp_send,
)

pytestmark = needs_sink

D = r"delay=\d+(?:\.\d+)?, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+"


@pytest.fixture(scope="module")
def net(seed: Seed) -> Iterator[Network]:
    yield build_network(seed)


def message(subject: str, to: str = "") -> bytes:
    return (f"Subject: {subject}\r\nFrom: someone@outside.example\r\n"
            + (f"To: {to}\r\n" if to else "") + "\r\nHello from the seed test.\r\n").encode()


def relayed_queue_id(log: str, queue_id: str, rcpt: str, relay: str, orig: str = "") -> str:
    """Check the smtp agent's line for rcpt; return the receiving server's queue ID
    (smtp-sink's reply has none: "")."""
    orig_to = rf"orig_to=<{re.escape(orig)}>, " if orig else ""
    match = re.search(rf"postfix/smtp\[\d+\]: {queue_id}: to=<{re.escape(rcpt)}>, {orig_to}"
                      rf"relay={re.escape(relay)}, {D}, dsn=2\.0\.0, "
                      r"status=sent \(250 2\.0\.0 Ok(?:: queued as (\w+))?\)", log)
    assert match, log
    return match.group(1) or ""


# S2 -----------------------------------------------------------------------

def test_s2_domain_and_subdomain_go_to_the_internal_server(net: Network) -> None:
    relay = f"127.0.0.3[127.0.0.3]:{net.internal.port}"
    for rcpt, subject in ((f"okada@{DOMAIN}", "S2 domain"),
                          (f"okada@int.{DOMAIN}", "S2 subdomain")):
        qid = smtp_send(net.dmz, "sender@outside.example", [rcpt], message(subject))
        log = net.dmz.wait_log(f"{qid}: removed")
        inner = relayed_queue_id(log, qid, rcpt, relay)
        inner_log = net.internal.wait_log(f"{inner}: removed")
        assert re.search(rf"postfix/local\[\d+\]: {inner}: to=<{re.escape(rcpt)}>, relay=local, "
                         rf"{D}, dsn=2\.0\.0, status=sent \(delivered to file: "
                         rf"{re.escape(str(net.mail_dir))}/okada\)", inner_log), inner_log
        delivered = net.wait_mbox("okada", subject)
        assert delivered["Delivered-To"] == rcpt
        assert "Hello from the seed test." in delivered.get_content()


# S3 -----------------------------------------------------------------------

def test_s3_log_lines_of_one_delivery(net: Network) -> None:
    """sendmail root on the DMZ: the notebook's five lines, field by field."""
    sendmail(net.dmz, ["root"], message("S3 log lines", "root"))
    user = pwd.getpwuid(os.getuid()).pw_name
    pickup = net.dmz.wait_log(f": uid={os.getuid()} from=<{user}>")
    match = re.search(rf"postfix/pickup\[\d+\]: ([0-9A-F]+): uid={os.getuid()} from=<{user}>",
                      pickup)
    assert match, pickup
    qid = match.group(1)
    net.dmz.wait_log(f"{qid}: removed")
    lines = log_lines(net.dmz, qid)
    expected = [
        rf"postfix/pickup\[\d+\]: {qid}: uid={os.getuid()} from=<{user}>",
        rf"postfix/cleanup\[\d+\]: {qid}: message-id=<\d{{14}}\.{qid}@gw\.dmz\.example>",
        rf"postfix/qmgr\[\d+\]: {qid}: from=<{user}@{DOMAIN}>, size=\d+, nrcpt=1 "
        r"\(queue active\)",
        rf"postfix/smtp\[\d+\]: {qid}: to=<root@{DOMAIN}>, orig_to=<root>, "
        rf"relay=127\.0\.0\.3\[127\.0\.0\.3\]:{net.internal.port}, {D}, dsn=2\.0\.0, "
        r"status=sent \(250 2\.0\.0 Ok: queued as \w+\)",
        rf"postfix/qmgr\[\d+\]: {qid}: removed",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
    # At the internal server root is an alias of okada.  cleanup completed
    # the locally submitted To: header with $myorigin, as Postfix's does.
    delivered = net.wait_mbox("okada", "S3 log lines")
    assert delivered["To"] == f"root@{DOMAIN}"
    assert delivered["Delivered-To"] == f"root@{DOMAIN}"


# S4 -----------------------------------------------------------------------

def test_s4_non_local_domain_goes_to_relayhost(net: Network) -> None:
    qid = smtp_send(net.internal, f"okada@{DOMAIN}", ["user@aaa.example"],
                    message("S4 relayhost"))
    log = net.internal.wait_log(f"{qid}: removed")
    outer = relayed_queue_id(log, qid, "user@aaa.example",
                             f"127.0.0.2[127.0.0.2]:{net.dmz.port}")
    # The DMZ host looks up aaa.example's MX and delivers to the Internet.
    dmz_log = net.dmz.wait_log(f"{outer}: removed")
    relayed_queue_id(dmz_log, outer, "user@aaa.example",
                     f"mx.aaa.example[127.0.0.4]:{net.internet.port}")
    (dumped,) = [t for t in net.internet.wait() if t.message["Subject"] == "S4 relayhost"]
    assert dumped.sender == f"okada@{DOMAIN}"
    assert dumped.recipients == ["user@aaa.example"]


def test_s4_unknown_local_user_goes_to_fallback_transport(net: Network) -> None:
    """gone@ has no account or alias: local(8) hands it to fallback_transport."""
    qid = smtp_send(net.internal, "sender@outside.example", [f"gone@{DOMAIN}"],
                    message("S4 fallback"))
    log = net.internal.wait_log(f"{qid}: removed")
    outer = relayed_queue_id(log, qid, f"gone@{DOMAIN}",
                             f"127.0.0.2[127.0.0.2]:{net.dmz.port}")
    dmz_log = net.dmz.wait_log(f"{outer}: removed")
    relayed_queue_id(dmz_log, outer, f"gone@{DOMAIN}",
                     f"127.0.0.4[127.0.0.4]:{net.internet.port}")
    dumped = [t for t in net.internet.wait() if t.message["Subject"] == "S4 fallback"]
    assert [t.recipients for t in dumped] == [[f"gone@{DOMAIN}"]]


def test_s4_unreachable_host_bounces_to_the_sender(net: Network) -> None:
    """The notebook's bounce: the DMZ cannot resolve the host; okada gets the notice."""
    sendmail(net.internal, ["-f", f"okada@{DOMAIN}", "okada@vmware40.abc-u.example"],
             message("S4 bounce", "okada@vmware40.abc-u.example"))
    log = net.dmz.wait_log("to=<okada@vmware40.abc-u.example>, relay=none")
    reason = ("Host or domain name not found. Name service error for "
              "name=vmware40.abc-u.example type=A: Host not found")
    match = re.search(rf"postfix/smtp\[\d+\]: (\w+): to=<okada@vmware40\.abc-u\.example>, "
                      rf"relay=none, {D}, dsn=5\.4\.4, status=bounced \({re.escape(reason)}\)",
                      log)
    assert match, log
    qid = match.group(1)
    log = net.dmz.wait_log(f"{qid}: removed")
    assert re.search(rf"postfix/bounce\[\d+\]: {qid}: sender non-delivery notification: \w+",
                     log), log
    notice = net.wait_mbox("okada", "Undelivered Mail Returned to Sender")
    # Postfix 3.7's From: (tests/golden/bounce), completed with $myorigin.
    assert notice["From"] == f"Mail Delivery System <MAILER-DAEMON@{DOMAIN}>"
    assert notice["To"] == f"okada@{DOMAIN}"
    assert notice.get_content_type() == "multipart/report"
    parts = list(notice.iter_parts())
    text = " ".join(parts[0].get_content().split())  # the notice folds long lines
    assert "<okada@vmware40.abc-u.example>: " + reason in text
    status = " ".join(parts[1].as_string().split())
    assert "Final-Recipient: rfc822; okada@vmware40.abc-u.example" in status
    assert "Action: failed" in status and "Status: 5.4.4" in status
    assert f"Diagnostic-Code: X-Postfix; {reason}" in status
    assert "Subject: S4 bounce" in parts[2].as_string()


# S6 -----------------------------------------------------------------------

def test_s6_luser_relay_forwards_unknown_users(net: Network) -> None:
    qid = smtp_send(net.dmz, "sender@outside.example", ["abc@gw.dmz.example"],
                    message("S6 luser_relay"))
    log = net.dmz.wait_log(f"{qid}: removed")
    match = re.search(rf"postfix/local\[\d+\]: {qid}: to=<abc@gw\.dmz\.example>, relay=local, "
                      rf"{D}, dsn=2\.0\.0, status=sent \(forwarded as (\w+)\)", log)
    assert match, log
    forwarded = match.group(1)
    log = net.dmz.wait_log(f"{forwarded}: removed")
    relayed_queue_id(log, forwarded, "abc@aaa.example",
                     f"mx.aaa.example[127.0.0.4]:{net.internet.port}",
                     orig="abc@gw.dmz.example")
    dumped = [t for t in net.internet.wait() if t.message["Subject"] == "S6 luser_relay"]
    assert [t.recipients for t in dumped] == [["abc@aaa.example"]]
    assert dumped[0].sender == "sender@outside.example"


def outcome(inst: Instance, queue_id: str) -> str:
    """The status=... of the smtp agent's line for queue_id, once qmgr removed it."""
    log = inst.wait_log(f"{queue_id}: removed")
    match = re.search(rf"postfix/smtp\[\d+\]: {queue_id}: to=<[^>]*>, .*status=(\w+ \(.*\))",
                      log)
    assert match, log
    return match.group(1)


def test_s2_both_lines_are_needed_and_changes_apply_without_restart(net: Network) -> None:
    """A second DMZ server whose transport map is changed while it runs.

    transport(5): "domain" matches only the domain (transport_maps is not in
    parent_domain_matches_transport_maps), ".domain" only its subdomains.
    A destination without an entry goes to DNS, where these names do not
    exist, so the mail bounces with Postfix's Name service error.
    """
    port = net.internal.port
    domain_line, dot_line = BOTH_LINES.format(port=port).splitlines(keepends=True)
    dmz = net.seed.server(DMZ_HOST, "gw2.dmz.example",
                          "mydestination = $myhostname\n"
                          "transport_maps = hash:$config_directory/transport\n",
                          files={"transport": domain_line}, start=False)
    postmap(dmz, f"{dmz.etc}/transport")
    dmz.start()
    relayed = re.compile(r"sent \(250 2\.0\.0 Ok: queued as \w+\)")

    def not_found(name: str) -> str:
        return ("bounced (Host or domain name not found. Name service error for "
                f"name={name} type=A: Host not found)")

    def send(rcpt: str, subject: str) -> str:
        return outcome(dmz, smtp_send(dmz, "", [rcpt], message(subject)))

    # The domain line alone: the domain is relayed, its subdomains are not.
    assert relayed.fullmatch(send(f"okada@{DOMAIN}", "S2 step 1 domain"))
    assert send(f"okada@int.{DOMAIN}", "S2 step 1 sub") == not_found(f"int.{DOMAIN}")

    # Only the ".domain" line, rebuilt with postmap and no reload: the
    # running server picks up the new table (Postfix: "table ... has changed").
    (dmz.etc / "transport").write_text(dot_line)
    postmap(dmz, f"{dmz.etc}/transport")
    deadline = time.monotonic() + 20
    while not relayed.fullmatch(send(f"okada@int.{DOMAIN}", "S2 step 2 sub")):
        assert time.monotonic() < deadline, dmz.maillog()
        time.sleep(1)
    assert send(f"okada@{DOMAIN}", "S2 step 2 domain") == not_found(DOMAIN)

    # Both lines, postmap and "postfix reload", as the notebook does.
    (dmz.etc / "transport").write_text(domain_line + dot_line)
    postmap(dmz, f"{dmz.etc}/transport")
    result = dmz.postfix("reload")
    assert result.returncode == 0, result.stderr
    dmz.wait_log("reload -- version")
    assert relayed.fullmatch(send(f"okada@{DOMAIN}", "S2 step 3 domain"))
    assert relayed.fullmatch(send(f"okada@int.{DOMAIN}", "S2 step 3 sub"))
    for subject in ("S2 step 1 domain", "S2 step 2 sub", "S2 step 3 domain", "S2 step 3 sub"):
        net.wait_mbox("okada", subject)
