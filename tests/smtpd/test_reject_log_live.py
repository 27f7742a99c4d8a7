"""Reject, defer and warn log lines of smtpd, live against real Postfix.

Issue 9 item 2: Postfix logs a refused RCPT as "NOQUEUE: reject: RCPT
from host[addr]: 550 5.1.1 <ghost@...>: ...; from=<s@...> to=<ghost@...>
proto=ESMTP helo=<...>", with the queue ID instead of NOQUEUE once a
recipient was accepted, and to= always names the refused recipient.  The
groups below play dialogues that produce every reject line variant pyfix
can produce (unknown local user, relay denied and deferred, soft_bounce,
unknown_local_recipient_reject_code, lookup failures, the protocol's own
bare <LF> refusals; NOQUEUE and queue ID, after RSET, in a second
transaction, pipelined, null sender, no HELO, quoted and UTF-8
addresses) to real Postfix 3.7 and to pyfix through the differential
harness (tests/smtpd/differential.py), which compares the replies and
the normalized smtpd and cleanup log lines.  Groups marked xfail name
what pyfix does not implement yet; they fail (strict) once it does.
"""

from __future__ import annotations

import pytest

from tests.smtpd.differential import Group, StepSpec, check_group, group_params, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<s@example.org>\r\n"
QUIT = b"QUIT\r\n"
DATA = b"DATA\r\n"
MESSAGE = (b"Subject: test\r\n\r\nbody\r\n.\r\n", "reply")


def rcpt(address: str) -> bytes:
    return f"RCPT TO:<{address}>\r\n".encode()


# root and alice are local users; example.com is a relay domain,
# example.net is not; the client (127.0.0.1) is outside mynetworks.
LOCAL = ("relay_domains = example.com\n"
         "local_recipient_maps = inline:{root=x, alice=x}\n")
DEFER = LOCAL + "smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n"
UNKNOWN = rcpt("ghost@mail.example.test")

RCPT_DIALOGUES: dict[str, list[StepSpec]] = {
    "noqueue": [EHLO, MAIL, UNKNOWN, rcpt("x@example.net"), rcpt("ghost"), QUIT],
    "queue_id_after_accepted": [EHLO, MAIL, rcpt("root@mail.example.test"), UNKNOWN,
                                rcpt("x@example.net"), DATA, MESSAGE, QUIT],
    "rejected_then_accepted": [EHLO, MAIL, UNKNOWN, rcpt("alice@localhost"),
                               rcpt("ghost@localhost"), DATA, MESSAGE, QUIT],
    "after_rset": [EHLO, MAIL, rcpt("root@localhost"), b"RSET\r\n", MAIL, UNKNOWN,
                   b"RSET\r\n", UNKNOWN, QUIT],
    "second_transaction": [EHLO, MAIL, rcpt("root@localhost"), DATA, MESSAGE,
                           MAIL, UNKNOWN, rcpt("alice@localhost"), UNKNOWN, DATA, MESSAGE,
                           QUIT],
    "pipelined": [EHLO, MAIL + UNKNOWN + rcpt("root@localhost") + rcpt("x@example.net")
                  + DATA, MESSAGE, QUIT],
    "null_sender": [EHLO, b"MAIL FROM:<>\r\n", UNKNOWN, QUIT],
    "helo_smtp": [b"HELO client.example\r\n", MAIL, UNKNOWN, QUIT],
    "no_helo": [MAIL, UNKNOWN, rcpt("x@example.net"), QUIT],
    "quoted_local_part": [EHLO, MAIL, b'RCPT TO:<"gh ost"@localhost>\r\n',
                          b'RCPT TO:<"x y"@example.net>\r\n', QUIT],
    "utf8_address": [EHLO, "MAIL FROM:<jörg@example.org> SMTPUTF8\r\n".encode(),
                     rcpt("göst@localhost"), rcpt("ü@exämple.net"), QUIT],
    "orcpt_and_notify": [EHLO, MAIL, b"RCPT TO:<ghost@localhost> NOTIFY=NEVER "
                         b"ORCPT=rfc822;ghost@localhost\r\n", QUIT],
    "no_valid_recipients": [EHLO, MAIL, UNKNOWN, DATA, QUIT],
    "etrn": [EHLO, b"ETRN example.com\r\n", b"ETRN example.net\r\n", QUIT],
}

# Lines that Postfix logs when a process opens a table it cannot open: with
# max_use = 1 every session has its own smtpd (and cleanup) process, so
# they fall inside the session.  pyfix's smtpd is one long-lived process
# that logs them once, when it starts (tests/smtpd/test_table_open_error.py).
OPEN_ERROR = (r"^\w+: error: open database ",
              "pyfix's smtpd logs table open errors once, at its start, not in each session")
LOOKUP = ("relay_domains = hash:/nonexistent/relay\n"
          "local_recipient_maps = hash:/nonexistent/users\n"
          "smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n")

GROUPS: dict[str, Group] = {
    # defer_unauth_destination (the default): 454 4.7.1 Relay access denied.
    "defer_unauth_destination": Group(DEFER, RCPT_DIALOGUES),
    # reject_unauth_destination, and soft_bounce turning 5xx into 4xx in the
    # reply and in the log.
    "soft_bounce": Group(
        LOCAL + "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
        "soft_bounce = yes\n",
        {"rcpt": [EHLO, MAIL, UNKNOWN, rcpt("x@example.net"), rcpt("root@localhost"),
                  UNKNOWN, QUIT],
         "size": [EHLO, b"MAIL FROM:<s@example.org> SIZE=999999999\r\n", QUIT]}),
    "reject_codes": Group(
        LOCAL + "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
        "unknown_local_recipient_reject_code = 450\nrecipient_delimiter = +\n"
        "smtpd_recipient_limit = 2\nmessage_size_limit = 1000\n",
        {"rcpt": [EHLO, MAIL, rcpt("root+ext@localhost"), rcpt("ghost+ext@localhost"),
                  rcpt("x@example.net"), QUIT],
         "too_many_recipients": [EHLO, MAIL, rcpt("root@localhost"), rcpt("alice@localhost"),
                                 rcpt("root@localhost"), UNKNOWN, DATA, MESSAGE, QUIT],
         "size": [EHLO, b"MAIL FROM:<s@example.org> SIZE=1001\r\n", MAIL,
                  rcpt("root@localhost"), DATA,
                  (b"Subject: big\r\n\r\n" + b"x" * 1200 + b"\r\n.\r\n", "reply"), QUIT]}),
    # The protocol's own refusal (bare <LF>): to= is the first accepted
    # recipient, whatever a restriction refused before.
    "bare_lf": Group(LOCAL, {
        "after_rejected_rcpt": [EHLO, MAIL, rcpt("root@localhost"), rcpt("ghost@localhost"),
                                b"NOOP\n"],
        "noqueue": [EHLO, MAIL, rcpt("ghost@localhost"), b"NOOP\n"],
        "after_rset": [EHLO, MAIL, rcpt("ghost@localhost"), b"RSET\r\n", b"NOOP\n"],
        "end_of_message": [EHLO, MAIL, rcpt("root@localhost"), rcpt("ghost@localhost"),
                           rcpt("alice@localhost"), DATA, (b"x\ny\r\n.\r\n", "reply"), QUIT],
    }, profile="bare-reject"),
    # Tables that cannot be opened: 451 4.3.0 Temporary lookup failure, with
    # the per-lookup warnings for local_recipient_maps.
    "lookup_failure": Group(LOOKUP, {
        "rcpt": [EHLO, MAIL, rcpt("ghost@localhost"), rcpt("u@example.com"), QUIT],
    }, ignore=[OPEN_ERROR]),
    "lookup_open_error": Group(LOOKUP, {"rcpt": [EHLO, MAIL, rcpt("ghost@localhost"), QUIT]},
                               ignore=[OPEN_ERROR]),
    # smtpd looks the recipient up as trivial-rewrite canonicalized it
    # (ghost@$myorigin): 'lookup error for "ghost@mail.example.test"'.
    "lookup_bare_address": Group(LOOKUP, {"rcpt": [EHLO, MAIL, rcpt("ghost"), QUIT]},
                                 ignore=[OPEN_ERROR]),
    # smtputf8_enable = no: replies carry a space for each non-ASCII byte,
    # the log a "?" (from=<j??rg@example.org>).
    "smtputf8_disabled": Group(DEFER + "smtputf8_enable = no\n", {
        "rcpt": [EHLO, "MAIL FROM:<jörg@example.org>\r\n".encode(), rcpt("göst@localhost"),
                 "VRFY göst\r\n".encode(), QUIT],
    }),
}

# Restrictions that the engine does not implement yet (issue #10).
RESTRICTIONS = LOCAL + """\
smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination
smtpd_sender_restrictions = check_sender_access inline:{bad@example.org=REJECT}
smtpd_recipient_restrictions = check_recipient_access inline:{blocked@example.com=REJECT, \
{warned@example.com=WARN watch this}, soft@example.com=DEFER_IF_PERMIT, \
{nope@example.com=550 5.7.9 go away}}, warn_if_reject check_recipient_access \
inline:{wir@example.com=REJECT}
smtpd_data_restrictions = check_sender_access inline:{data@example.org=REJECT}
smtpd_end_of_data_restrictions = check_sender_access inline:{eod@example.org=REJECT}
smtpd_etrn_restrictions = reject
smtpd_helo_restrictions = check_helo_access inline:{bad.helo=REJECT}
"""
ENGINE = ("pyfix's restriction engine does not implement check_sender_access, "
          "check_recipient_access, check_helo_access or the WARN action yet (issue #10, "
          "item access): it fails closed with 451 4.3.5 where Postfix applies them")
GROUPS["restrictions"] = Group(RESTRICTIONS, {
    "sender_delayed_to_rcpt": [EHLO, b"MAIL FROM:<bad@example.org>\r\n",
                               rcpt("root@localhost"), QUIT],
    "recipient_access": [EHLO, MAIL, rcpt("root@localhost"), rcpt("blocked@example.com"),
                         rcpt("warned@example.com"), rcpt("soft@example.com"),
                         rcpt("nope@example.com"), rcpt("wir@example.com"), QUIT],
    "data_one_recipient": [EHLO, b"MAIL FROM:<data@example.org>\r\n", rcpt("ghost@localhost"),
                           rcpt("alice@localhost"), DATA, QUIT],
    "data_two_recipients": [EHLO, b"MAIL FROM:<data@example.org>\r\n", rcpt("root@localhost"),
                            rcpt("root@localhost"), DATA, QUIT],
    "bdat_two_recipients": [EHLO, b"MAIL FROM:<data@example.org>\r\n", rcpt("root@localhost"),
                            rcpt("alice@localhost"), b"BDAT 3 LAST\r\nx\r\n", QUIT],
    "end_of_data": [EHLO, b"MAIL FROM:<eod@example.org>\r\n", rcpt("root@localhost"),
                    rcpt("ghost@localhost"), DATA, MESSAGE, QUIT],
    "etrn": [EHLO, b"ETRN example.com\r\n", QUIT],
    "helo_delayed_to_rcpt": [b"HELO bad.helo\r\n", MAIL, rcpt("root@localhost"), QUIT],
}, xfail=ENGINE)


@pytest.mark.parametrize("group", group_params(GROUPS))
def test_reject_lines_as_postfix(group: str) -> None:
    check_group(GROUPS[group])
