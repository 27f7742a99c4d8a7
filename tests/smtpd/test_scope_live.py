"""Live differential test: the scope of master.cf -o overrides (issue 9, item 5).

Real Postfix 3.7 and pyfix get the same main.cf and master.cf
(tests/smtpd/differential.py).  The smtpd service carries -o overrides of
parameters that trivial-rewrite reads (relay_domains, mydestination,
virtual_alias_domains, virtual_mailbox_domains, proxy_interfaces,
parent_domain_matches_subdomains, transport_maps, myorigin, ...) and
points its rewrite_service_name at a trivial-rewrite service "rw-scope"
whose own -o overrides say something else.  In Postfix the address class
(and so the relay decision, the error and retry transports, the
relocated users) follows rw-scope, while the recipient tables, reply
codes, recipient_delimiter and the local-domain test of smtpd's table
search follow smtpd's own -o.  The cleanup service that smtpd names
(cl-scope) in turn rewrites through its own rewrite_service_name
(rw-clean, myorigin = clean-origin.example) and has header_checks of its
own (not smtpd's -o header_checks), so that its WARN log line shows which
trivial-rewrite rewrote the unqualified envelope sender.  Every dialogue's replies and normalized
smtpd and cleanup log lines must be the same on both.  Needs root (a
Postfix master) and Debian's postfix package; skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtpd.differential import Differential, StepSpec, skip_reason

MAIN_CF = """\
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_recipient_maps = texthash:@FILES@/users
proxy_interfaces =
parent_domain_matches_subdomains = relay_domains
"""
SMTPD_ARGS = (
    "-o rewrite_service_name=rw-scope -o cleanup_service_name=cl-scope"
    " -o relay_domains=smtpd-relay.example"
    " -o mydestination=smtpd-local.example,$myhostname,localhost"
    " -o virtual_alias_domains=smtpd-valias.example"
    " -o virtual_mailbox_domains=smtpd-vmbox.example"
    " -o proxy_interfaces=192.0.2.8 -o myorigin=smtpd-origin.example"
    " -o parent_domain_matches_subdomains= -o recipient_delimiter=+"
    " -o transport_maps=texthash:@FILES@/smtpd-transport"
    " -o show_user_unknown_table_name=no"
    " -o virtual_mailbox_maps=texthash:@FILES@/vmbox"
    " -o relay_recipient_maps=texthash:@FILES@/relayrcpt"
    " -o unknown_relay_recipient_reject_code=450"
    " -o header_checks=regexp:@FILES@/smtpd_header_checks"
)
MASTER_CF = """\
rw-scope unix - - n - - trivial-rewrite
  -o relay_domains=rw-relay.example,blocked.example,later.example
  -o mydestination=rw-local.example,$myhostname,localhost
  -o virtual_alias_domains=rw-valias.example -o virtual_mailbox_domains=rw-vmbox.example
  -o proxy_interfaces=192.0.2.7 -o myorigin=rw-origin.example -o recipient_delimiter=-
  -o transport_maps=texthash:@FILES@/transport -o relocated_maps=texthash:@FILES@/relocated
  -o local_recipient_maps= -o unknown_local_recipient_reject_code=450
cl-scope unix n - n - 0 cleanup
  -o rewrite_service_name=rw-clean -o header_checks=regexp:@FILES@/header_checks
rw-clean unix - - n - - trivial-rewrite -o myorigin=clean-origin.example
"""
FILES = {
    "users": "known x\n",
    "transport": "blocked.example error:5.7.1 go away\nlater.example retry:4.2.1 not now\n",
    "smtpd-transport": "rw-relay.example error:5.7.1 smtpd's own transport_maps\n",
    "relocated": "moved@localhost new@example.org\n",
    "vmbox": "known@rw-vmbox.example x\n",
    "relayrcpt": "known@rw-relay.example x\n",
    "header_checks": "/^Subject: scope/ WARN scope check\n",
    "smtpd_header_checks": "/^Subject:/ REJECT smtpd's -o header_checks are not cleanup's\n",
}
# (recipient, what Postfix decides and why)
RECIPIENTS = [
    ("known@rw-relay.example", "relay class by rw-scope's relay_domains; relay_recipient_maps"),
    ("other@rw-relay.example", "smtpd's relay_recipient_maps and reject code"),
    ("x@smtpd-relay.example", "smtpd's -o relay_domains does not make a relay class"),
    ("a.b@sub.rw-relay.example", "rw-scope's parent_domain_matches_subdomains, not smtpd's"),
    ("known@rw-local.example", "local by rw-scope, but smtpd's table search does not strip it"),
    ("known@smtpd-local.example", "smtpd's -o mydestination is not a local class"),
    ("x@rw-valias.example", "virtual alias class: trivial-rewrite's own table wording"),
    ("x@smtpd-valias.example", "smtpd's -o virtual_alias_domains is no class"),
    ("known@rw-vmbox.example", "virtual mailbox class; smtpd's virtual_mailbox_maps"),
    ("x@rw-vmbox.example", "smtpd's virtual_mailbox_maps does not list it"),
    ("x@smtpd-vmbox.example", "smtpd's -o virtual_mailbox_domains is no class"),
    ("known@[192.0.2.7]", "rw-scope's proxy_interfaces make it local; smtpd's do not"),
    ("known@[192.0.2.8]", "smtpd's -o proxy_interfaces is no local class"),
    ("known@[127.0.0.1]", "inet_interfaces of both"),
    ("bare", "rw-scope's myorigin qualifies it: not local"),
    ("known+ext@localhost", "smtpd's recipient_delimiter strips +ext"),
    ("known-ext@localhost", "rw-scope's recipient_delimiter is not smtpd's"),
    ("unknown@localhost", "smtpd's show_user_unknown_table_name = no, smtpd's local "
                          "recipient table and code, not rw-scope's"),
    ("postmaster@localhost", "exempt from local_recipient_maps"),
    ("MAILER-DAEMON@localhost", "exempt from local_recipient_maps"),
    ("x@blocked.example", "rw-scope's transport_maps: error transport"),
    ("x@later.example", "rw-scope's transport_maps: retry transport"),
    ("moved@localhost", "rw-scope's relocated_maps"),
    ("user%remote.example@localhost", "source routed: not an authorized destination"),
    ("remote.example!user@localhost", "source routed: not an authorized destination"),
]
EHLO = b"EHLO client.example\r\n"
DIALOGUES: dict[str, list[StepSpec]] = {
    "rcpt_classes": [EHLO, b"MAIL FROM:<s@example.org>\r\n",
                     *(f"RCPT TO:<{rcpt}>\r\n".encode() for rcpt, _ in RECIPIENTS),
                     b"QUIT\r\n"],
    "cleanup_rewrite_view": [EHLO, b"MAIL FROM:<bare>\r\n", b"RCPT TO:<known@localhost>\r\n",
                             b"DATA\r\n", b"Subject: scope\r\n\r\nbody\r\n.\r\n", b"QUIT\r\n"],
}

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))


@pytest.fixture(scope="module")
def differential() -> Iterator[Differential]:
    with Differential(MAIN_CF, MASTER_CF, smtpd_args=SMTPD_ARGS, files=FILES) as diff:
        yield diff


@pytest.mark.parametrize("name", list(DIALOGUES))
def test_scope_of_o_same_as_postfix(differential: Differential, name: str) -> None:
    differential.check(name, DIALOGUES[name])


# Lookup failures: in the rewrite service's tables (the resolver fails) and in
# smtpd's own recipient table.
FAIL_MAIN_CF = """\
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
local_recipient_maps = fail:smtpd-local
"""
FAIL_SMTPD_ARGS = "-o rewrite_service_name=rw-fail -o relay_domains=fail:smtpd-relay"
FAIL_MASTER_CF = """\
rw-fail unix - - n - - trivial-rewrite -o relay_domains=fail:rw-relay -o local_recipient_maps=
"""
FAIL_DIALOGUES: dict[str, list[StepSpec]] = {
    "lookup_failures": [EHLO, b"MAIL FROM:<s@example.org>\r\n",
                        b"RCPT TO:<x@remote.example>\r\n",      # rw-fail's relay_domains
                        b"RCPT TO:<unknown@localhost>\r\n",     # smtpd's local_recipient_maps
                        b"RCPT TO:<postmaster@localhost>\r\n",  # exempt
                        b"QUIT\r\n"],
}


@pytest.fixture(scope="module")
def failing() -> Iterator[Differential]:
    with Differential(FAIL_MAIN_CF, FAIL_MASTER_CF, smtpd_args=FAIL_SMTPD_ARGS) as diff:
        yield diff


@pytest.mark.parametrize("name", list(FAIL_DIALOGUES))
def test_lookup_failures_same_as_postfix(failing: Differential, name: str) -> None:
    failing.check(name, FAIL_DIALOGUES[name])
