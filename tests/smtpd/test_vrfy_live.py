"""VRFY runs the recipient checks that Postfix runs, live against real Postfix.

Issue 9 item 4: with smtpd_reject_unlisted_recipient = yes (the default)
Postfix answers "VRFY nosuchuser" with "550 5.1.1 <nosuchuser>: Recipient
address rejected: User unknown in local recipient table" and logs
"NOQUEUE: reject: VRFY from ...; to=<nosuchuser> proto=ESMTP helo=<...>";
relay control applies too ("454 4.7.1 <u@example.net>: Relay access
denied").  The groups below play known and unknown users, address
literals, extensions, postmaster and the other always-known users,
remote domains (relay allowed and denied, from inside and outside
mynetworks), malformed arguments, SMTPUTF8, VRFY inside a transaction
(from= and the queue ID), before HELO, disable_vrfy_command,
smtpd_reject_unlisted_recipient = no, soft_bounce and
unknown_local_recipient_reject_code to real Postfix 3.7 and to pyfix
through the differential harness (tests/smtpd/differential.py), which
compares the replies and the normalized smtpd log lines.
"""

from __future__ import annotations

import pytest

from tests.smtpd.differential import Group, StepSpec, check_group, group_params, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
QUIT = b"QUIT\r\n"


def vrfy(argument: str) -> bytes:
    return f"VRFY {argument}\r\n".encode()


# root and alice are local users; example.com is a relay domain,
# example.net is not; the client (127.0.0.1) is outside mynetworks.
LOCAL = ("relay_domains = example.com\n"
         "local_recipient_maps = inline:{root=x, alice=x}\n"
         "smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n")

ADDRESSES: dict[str, list[StepSpec]] = {
    "local_users": [EHLO, vrfy("root"), vrfy("ghost"), vrfy("root@mail.example.test"),
                    vrfy("ghost@mail.example.test"), vrfy("<ghost@localhost>"),
                    vrfy("Ghost Name <ghost@localhost>"), vrfy("<@a.example:ghost@localhost>"),
                    vrfy("root@[127.0.0.1]"), vrfy("ghost@[127.0.0.1]"),
                    vrfy("root+ext@localhost"), vrfy('"gh ost"@localhost'), QUIT],
    "always_known": [EHLO, vrfy("postmaster"), vrfy("Postmaster@localhost"),
                     vrfy("POSTMASTER@[127.0.0.1]"), vrfy('"postmaster"'),
                     vrfy("mailer-daemon"), vrfy("double-bounce@localhost"),
                     vrfy("double-bounce2@localhost"), vrfy("postmaster+x@localhost"), QUIT],
    "remote": [EHLO, vrfy("u@example.com"), vrfy("u@sub.example.com"), vrfy("u@example.net"),
               vrfy("postmaster@example.net"), QUIT],
    "malformed": [EHLO, b"VRFY\r\n", vrfy(""), vrfy("<>"), vrfy("a b"), vrfy("<ghost"),
                  vrfy("@"), vrfy("ghost@"), vrfy("<ghost@localhost> SMTPUTF8 extra"), QUIT],
    "smtputf8": [EHLO, vrfy("göst@localhost SMTPUTF8"), vrfy("göst@localhost"),
                 vrfy("root@localhost SMTPUTF8"), QUIT],
    "in_transaction": [EHLO, b"MAIL FROM:<s@example.org>\r\n", vrfy("ghost"),
                       b"RCPT TO:<root@localhost>\r\n", vrfy("ghost"), vrfy("u@example.net"),
                       vrfy("alice"), b"RSET\r\n", vrfy("ghost"), QUIT],
    "before_helo": [vrfy("ghost"), vrfy("root"), b"HELO client.example\r\n", vrfy("ghost"),
                    QUIT],
    "pipelined": [EHLO, vrfy("ghost") + vrfy("root") + vrfy("u@example.net") + QUIT],
}

GROUPS: dict[str, Group] = {
    "unlisted_recipients_rejected": Group(LOCAL, ADDRESSES),
    # No unlisted-recipient check: unknown users pass, relay control stays.
    "reject_unlisted_recipient_no": Group(
        LOCAL + "smtpd_reject_unlisted_recipient = no\n",
        {"vrfy": [EHLO, vrfy("ghost"), vrfy("ghost@localhost"), vrfy("u@example.net"),
                  b"MAIL FROM:<s@example.org>\r\n", b"RCPT TO:<ghost@localhost>\r\n",
                  vrfy("ghost"), QUIT]}),
    "disable_vrfy_command": Group(
        LOCAL + "disable_vrfy_command = yes\n",
        {"vrfy": [EHLO, vrfy("root"), vrfy("ghost"), vrfy("u@example.net"), b"VRFY\r\n",
                  vrfy("<>"), QUIT]}),
    "soft_bounce_and_code": Group(
        LOCAL + "unknown_local_recipient_reject_code = 450\nsoft_bounce = yes\n"
        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
        {"vrfy": [EHLO, vrfy("ghost"), vrfy("u@example.net"), vrfy("root"), QUIT]}),
    # A client inside mynetworks may relay; extensions with recipient_delimiter.
    "mynetworks_and_delimiter": Group(
        LOCAL + "mynetworks = 127.0.0.0/8\nrecipient_delimiter = +\n",
        {"vrfy": [EHLO, vrfy("u@example.net"), vrfy("root+ext@localhost"),
                  vrfy("root+@localhost"), vrfy("ghost+ext@localhost"), vrfy("ghost"), QUIT]}),
    # local_recipient_maps empty: every local user is known.
    "no_local_recipient_maps": Group(
        "relay_domains = example.com\nlocal_recipient_maps =\n"
        "smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n",
        {"vrfy": [EHLO, vrfy("ghost"), vrfy("ghost@localhost"), vrfy("u@example.net"), QUIT]}),
}


@pytest.mark.parametrize("group", group_params(GROUPS))
def test_vrfy_as_postfix(group: str) -> None:
    check_group(GROUPS[group])
