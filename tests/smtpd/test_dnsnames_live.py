"""Live differential tests of the name restrictions: real Postfix 3.7 and
pyfix with the same main.cf, both resolving through a private resolv.conf
that names the test's DNS server (tests/resolverns.py, zone in
tests/smtpd/dnsnames_zone.py); replies and normalized smtpd and cleanup
log lines compared (tests/smtpd/differential.py).

Covered: the client's verified and reverse names (PTR missing, forward
missing or SERVFAIL, address mismatch, PTR SERVFAIL and time-out) with
reject_unknown_client_hostname, reject_unknown_client and
reject_unknown_reverse_client_hostname and Postfix's "does not resolve to
address" warnings; HELO syntax and DNS checks (and their Postfix 1.x
names); reject_unknown_sender_domain / _recipient_domain with null MX,
SERVFAIL and time-outs, unknown_*_reject_code and the *_tempfail_action
values (defer_if_permit and defer); the MX, NS and A access checks with
their warnings; permit_mx_backup with and without permit_mx_backup_networks.  Mail comes from 127.0.0.7 ... 127.0.0.13, outside
mynetworks (127.0.0.1/32).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.resolverns import skip_reason as dns_skip_reason
from tests.smtpd.differential import Differential, StepSpec, skip_reason
from tests.smtpd.dnsnames_zone import ZONE

REASON = skip_reason() or dns_skip_reason()
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

OUTSIDE = "mynetworks = 127.0.0.1/32\n"
QUIT = b"QUIT\r\n"
CLIENTS = [f"127.0.0.{n}" for n in range(7, 14)]
MAP = ("inline:{{ns1.bad.example=REJECT name ns},{127.0.0.66=REJECT addr66},"
       "{127.0.0.68=REJECT addr68},{good.example.com=OK},{127.0.0.69=DUNNO},"
       "{127.0.0.50=REJECT addr50}}")
# A 451 4.3.5 reply makes Postfix's smtpd mail the postmaster a "software"
# notice (notify_classes); pyfix does not send these notices yet.
POSTMASTER_NOTICE = (r"^cleanup: ", "Postfix mails the postmaster about a 451 4.3.5 "
                     "configuration error (notify_classes); pyfix does not yet")


def run(main_cf: str, dialogues: Sequence[tuple[str, str, Sequence[StepSpec]]],
        ignore: Sequence[tuple[str, str]] = (), expect_unsupported: bool = False) -> None:
    """Each (name, client address, steps) on both sides; fail with every
    difference."""
    with Differential(OUTSIDE + main_cf, dns_zone=ZONE,
                      expect_unsupported=expect_unsupported) as diff:
        reports = [diff.report(name, steps, ignore, client)
                   for name, client, steps in dialogues]
    failures = "\n".join(report for report in reports if report)
    assert not failures, failures


def test_client_names_at_connect() -> None:
    run("unknown_client_reject_code = 550\nsmtpd_delay_reject = no\n"
        "smtpd_client_restrictions = reject_unknown_reverse_client_hostname, "
        "reject_unknown_client_hostname\n",
        [(addr, addr, [b"EHLO x\r\n", QUIT]) for addr in CLIENTS])


def test_client_names_delayed_to_rcpt_legacy_name() -> None:
    run("smtpd_client_restrictions = reject_unknown_client\n",
        [(addr, addr, [b"EHLO x\r\n", b"MAIL FROM:<a@good.example.com>\r\n",
                       b"RCPT TO:<b@good.example.com>\r\n", QUIT])
         for addr in ("127.0.0.7", "127.0.0.8", "127.0.0.10", "127.0.0.12")])


HELO_NAMES = ["good.example.com", "mxonly.example.com", "aaaa.example.com",
              "txtonly.example.com", "nx.example.com", "servfail.example", "timeout.example",
              "nullmx.example", "nodot", "[127.0.0.1]", "[1.2.3]", "bad_name.example.com",
              "-x.example.com", "good.example.com.", "1.2.3.4", "[IPv6:::1]", "a..b.example",
              "x" * 70 + ".example.com", "[127.0.0.1", "::1", "IPv6:::1", "host.", "a_b",
              "[001.2.3.4]", "b\u00fccher.example"]


def helo_dialogues(names: Sequence[str]) -> list[tuple[str, str, Sequence[StepSpec]]]:
    return [(name, "127.0.0.7", [f"HELO {name}\r\n".encode(),
                                 b"MAIL FROM:<a@good.example.com>\r\n",
                                 b"RCPT TO:<b@good.example.com>\r\n", QUIT])
            for name in names]


def test_helo_names() -> None:
    run("smtpd_delay_reject = no\nsmtpd_helo_restrictions = reject_invalid_helo_hostname, "
        "reject_non_fqdn_helo_hostname, reject_unknown_helo_hostname\n",
        helo_dialogues(HELO_NAMES))


def test_helo_names_postfix1_names() -> None:
    run("smtpd_delay_reject = no\nunknown_hostname_reject_code = 550\n"
        "smtpd_helo_restrictions = reject_non_fqdn_hostname, reject_invalid_hostname, "
        "reject_unknown_hostname, permit\n",
        helo_dialogues(["nodot", "a..b.example", "[1.2.3]", "nx.example.com",
                        "servfail.example", "good.example.com", "-x.example.com"]))


DOMAINS = ["good.example.com", "mxonly.example.com", "aaaa.example.com", "txtonly.example.com",
           "nx.example.com", "servfail.example", "timeout.example", "nullmx.example", "nodot",
           "[127.0.0.1]", "mail.example.test"]


def domain_dialogues() -> list[tuple[str, str, Sequence[StepSpec]]]:
    out: list[tuple[str, str, Sequence[StepSpec]]] = []
    for domain in DOMAINS:
        out.append((f"sender {domain}", "127.0.0.7", [
            b"EHLO good.example.com\r\n", f"MAIL FROM:<a@{domain}>\r\n".encode(),
            b"RCPT TO:<b@good.example.com>\r\n", QUIT]))
        out.append((f"recipient {domain}", "127.0.0.7", [
            b"EHLO good.example.com\r\n", b"MAIL FROM:<a@good.example.com>\r\n",
            f"RCPT TO:<b@{domain}>\r\n".encode(), b"RCPT TO:<c@good.example.com>\r\n", QUIT]))
    out.append(("null sender, no domains", "127.0.0.7", [
        b"EHLO x\r\n", b"MAIL FROM:<>\r\n", b"RCPT TO:<b>\r\n", b"RCPT TO:<b@mail.example.test>\r\n",
        b"RSET\r\n", b"MAIL FROM:<a>\r\n", b"RCPT TO:<b@good.example.com>\r\n", QUIT]))
    out.append(("helo, sender and recipient", "127.0.0.7", [
        b"EHLO servfail.example\r\n", b"MAIL FROM:<a@servfail.example>\r\n",
        b"RCPT TO:<b@nx.example.com>\r\n", b"RCPT TO:<c@good.example.com>\r\n", QUIT]))
    return out


DOMAIN_LISTS = ("smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
                "smtpd_sender_restrictions = reject_unknown_sender_domain\n"
                "smtpd_recipient_restrictions = reject_unknown_recipient_domain\n")


def test_unknown_domains_default_codes() -> None:
    run(DOMAIN_LISTS, domain_dialogues())


def test_unknown_domains_550_defer_if_permit() -> None:
    run(DOMAIN_LISTS + "unknown_address_reject_code = 550\nunknown_hostname_reject_code = 550\n",
        domain_dialogues())


def test_unknown_domains_tempfail_defer() -> None:
    run(DOMAIN_LISTS + "unknown_address_reject_code = 550\n"
        "unknown_address_tempfail_action = defer\nunknown_helo_hostname_tempfail_action = defer\n",
        domain_dialogues())


def test_helo_defer_if_permit_waits_for_rcpt() -> None:
    """smtpd_delay_reject = no: the HELO passes, then every RCPT is deferred."""
    run("smtpd_delay_reject = no\n"
        "smtpd_helo_restrictions = reject_unknown_helo_hostname, permit\n"
        "smtpd_sender_restrictions = permit\n",
        [(name, "127.0.0.7", [f"HELO {name}\r\n".encode(), b"MAIL FROM:<a@good.example.com>\r\n",
                              b"RCPT TO:<b@good.example.com>\r\n",
                              b"RCPT TO:<c@good.example.com>\r\n", b"RSET\r\n", QUIT])
         for name in ("servfail.example", "timeout.example", "nx.example.com")])


def test_helo_defer_if_permit_at_etrn() -> None:
    """The ETRN stage ends in a permit: the HELO's deferral answers it."""
    run("smtpd_helo_restrictions = reject_unknown_helo_hostname\n"
        "smtpd_etrn_restrictions = permit\n",
        [(name, "127.0.0.7", [f"HELO {name}\r\n".encode(), b"ETRN example.com\r\n", QUIT])
         for name in ("servfail.example", "nx.example.com", "good.example.com")])


ACCESS_DOMAINS = ["example.net", "aonly.example", "goodmx.example", "servfailmx.example",
                  "mxservfail.example", "nx.example.com", "nullmx.example", "[1.2.3.4]",
                  "sub.example.net", "good.example.com", "servfail.example", "timeout.example",
                  "nodata-mx.example", "mxonly.example.com"]


def access_dialogues() -> list[tuple[str, str, Sequence[StepSpec]]]:
    out: list[tuple[str, str, Sequence[StepSpec]]] = [
        (name, "127.0.0.7", [f"HELO {name}\r\n".encode(), f"MAIL FROM:<a@{name}>\r\n".encode(),
                             f"RCPT TO:<b@{name}>\r\n".encode(), QUIT])
        for name in ACCESS_DOMAINS]
    out.append(("null", "127.0.0.7", [b"HELO x\r\n", b"MAIL FROM:<>\r\n", b"RCPT TO:<b>\r\n",
                                      QUIT]))
    return out


def test_mx_ns_a_access() -> None:
    run("smtpd_delay_reject = no\n"
        f"smtpd_helo_restrictions = check_helo_a_access {MAP}\n"
        f"smtpd_sender_restrictions = check_sender_mx_access {MAP}\n"
        f"smtpd_recipient_restrictions = check_recipient_ns_access {MAP}\n",
        access_dialogues(), ignore=[POSTMASTER_NOTICE])


def test_mx_ns_a_access_other_forms() -> None:
    run("smtpd_delay_reject = no\n"
        f"smtpd_helo_restrictions = check_helo_ns_access {MAP}, check_helo_mx_access {MAP}\n"
        f"smtpd_sender_restrictions = check_sender_a_access {MAP}, check_sender_ns_access {MAP}\n"
        f"smtpd_recipient_restrictions = check_recipient_mx_access {MAP}, "
        f"check_recipient_a_access {MAP}\n",
        access_dialogues(), ignore=[POSTMASTER_NOTICE])


def test_client_mx_ns_a_access() -> None:
    run(f"smtpd_client_restrictions = check_client_a_access {MAP}, "
        f"check_reverse_client_hostname_mx_access {MAP}, "
        f"check_client_ns_access {MAP}, check_reverse_client_hostname_a_access {MAP}, "
        f"check_client_mx_access {MAP}, check_reverse_client_hostname_ns_access {MAP}\n",
        [(addr, addr, [b"EHLO x\r\n", b"MAIL FROM:<a@good.example.com>\r\n",
                       b"RCPT TO:<b@good.example.com>\r\n", QUIT])
         for addr in ("127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.12", "127.0.0.14",
                      "127.0.0.68", "127.0.0.69")],
        ignore=[POSTMASTER_NOTICE])


@pytest.mark.parametrize("networks", ["", "permit_mx_backup_networks = 127.0.0.64/26\n"])
def test_permit_mx_backup(networks: str) -> None:
    run("relay_domains =\n"
        "smtpd_relay_restrictions = permit_mx_backup, reject_unauth_destination\n" + networks,
        [(domain, "127.0.0.7", [b"EHLO x\r\n", b"MAIL FROM:<a@good.example.com>\r\n",
                                f"RCPT TO:<b@{domain}>\r\n".encode(),
                                f"RCPT TO:<b%x.example@{domain}>\r\n".encode(), QUIT])
         for domain in ("backup.example", "primlocal.example", "backupfar.example",
                        "mxsf.example", "nomx.example", "onlylocal.example", "equal.example",
                        "backupsf.example", "nx.example.com", "mail.example.test")])
