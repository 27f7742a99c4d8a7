"""The messages that tests/golden/cleanup/record.py submits to real Postfix.

Each case is one SMTP transaction from 127.0.0.1 to a throw-away Postfix
3.7.11 instance whose main.cf is BASE_MAIN_CF plus the case group's
settings.  tests/cleanup/test_golden.py feeds the same envelope and
content to pyfix's cleanup library and compares the queue files and the
cleanup log lines.

A message is a list of lines as the SMTP server hands them to cleanup(8):
dot-unstuffed, without the CRLF.  record.py dot-stuffs them and sends
each with CRLF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MYHOSTNAME = "mail.example.com"

# Every instance has these; GROUPS adds to them.  The client 127.0.0.1
# matches local_header_rewrite_clients (permit_inet_interfaces), so by
# default smtpd asks cleanup for the "local" header rewriting context.
BASE_MAIN_CF = {
    "compatibility_level": "3.7",
    "mail_owner": "postfix",
    "setgid_group": "postdrop",
    "myhostname": MYHOSTNAME,
    "mydomain": "example.com",
    "myorigin": "$myhostname",
    "mydestination": "",
    "inet_interfaces": "127.0.0.1",
    "inet_protocols": "ipv4",
    "mynetworks": "127.0.0.0/8",
    "smtpd_peername_lookup": "no",
    "alias_maps": "",
    "alias_database": "",
    "local_recipient_maps": "",
    "smtpd_relay_restrictions": "permit_mynetworks, reject",
    "enable_long_queue_ids": "no",
    "hash_queue_depth": "1",
    "hash_queue_names": "deferred, defer, hold",
    # No qmgr runs (queued mail stays in incoming), so nobody feeds the
    # in_flow tokens that smtpd would otherwise wait one second for.
    "in_flow_delay": "0",
}

# Table files written into the instance's config directory; "$config_directory"
# in a setting is replaced with that directory (for pyfix: a temp directory).
TABLES = {
    "header_checks": (
        "/^Subject:.*reject-me/ REJECT\n"
        "/^Subject:.*reject-text/ REJECT Your subject is not welcome\n"
        "/^Subject:.*reject-tempfail/ REJECT 4.7.1 Try again later\n"
        "/^Subject:.*warn-me/ WARN suspicious subject\n"
        "/^Subject:.*info-me/ INFO interesting subject\n"
        "/^Subject:.*hold-me/ HOLD held for review\n"
        "/^Subject:.*discard-me/ DISCARD dropped silently\n"
        "/^Subject:.*prepend-me/ PREPEND X-Prepended: yes\n"
        "/^Subject:.*replace-me/ REPLACE Subject: replaced subject\n"
        "/^X-Strip-Me:/ STRIP removed header\n"
        "/^X-Ignore-Me:/ IGNORE\n"
        "/^Subject:.*filter-me/ FILTER smtp:[127.0.0.1]:10025\n"
        "/^Subject:.*redirect-me/ REDIRECT other@example.net\n"
        "/^Subject:.*bcc-me/ BCC copy@example.net\n"
        "/^Content-Type:.*mime-reject/ REJECT MIME header rejected\n"
    ),
    "body_checks": (
        "/^body-reject/ REJECT\n"
        "/^body-warn/ WARN body line seen\n"
        "/^body-prepend/ PREPEND prepended body line\n"
        "/^body-replace/ REPLACE replaced body line\n"
        "/^body-ignore/ IGNORE\n"
    ),
    "sender_access": (
        "/^hold@/ HOLD\n"
        "/^discard@/ DISCARD\n"
        "/^bcc@/ BCC copy@example.net\n"
        "/^filter@/ FILTER smtp:[127.0.0.1]:10026\n"
        "/^redirect@/ REDIRECT other@example.net\n"
    ),
}

GROUPS: dict[str, dict[str, str]] = {
    "default": {},
    "limits": {
        "header_size_limit": "1000",
        "hopcount_limit": "5",
        "undisclosed_recipients_header": "To: undisclosed-recipients:;",
        "header_address_token_limit": "10",
    },
    "checks": {
        "header_checks": "regexp:$config_directory/header_checks",
        "body_checks": "regexp:$config_directory/body_checks",
    },
    "eod-actions": {
        "smtpd_end_of_data_restrictions":
            "check_sender_access regexp:$config_directory/sender_access",
    },
    "size": {"message_size_limit": "2000"},
    "remote": {"local_header_rewrite_clients": ""},
    "remote-always": {"local_header_rewrite_clients": "", "always_add_missing_headers": "yes"},
    "remote-domain": {
        "local_header_rewrite_clients": "",
        "remote_header_rewrite_domain": "remote.invalid",
    },
}


@dataclass(frozen=True)
class Rcpt:
    address: str
    notify: str = ""  # NOTIFY= value as sent
    orcpt: str = ""  # ORCPT= value as sent (xtext not used)

    def options(self) -> list[str]:
        opts = []
        if self.notify:
            opts.append(f"NOTIFY={self.notify}")
        if self.orcpt:
            opts.append(f"ORCPT={self.orcpt}")
        return opts


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    lines: tuple[bytes, ...]
    sender: str = "sender@example.org"
    rcpts: tuple[Rcpt, ...] = (Rcpt("rcpt@example.com"),)
    mail_options: tuple[str, ...] = ()
    helo: str = "client.example.org"
    # What smtpd_end_of_data_restrictions does (group eod-actions): the
    # access action and its argument, e.g. ("BCC", "copy@example.net").
    eod_action: tuple[str, str] = ("", "")
    notes: str = field(default="", compare=False)


def _lines(text: str) -> tuple[bytes, ...]:
    return tuple(line.encode() for line in text.split("\n"))


LONG_LINE = b"X-Long-Line: " + b" ".join(b"w%04d" % i for i in range(700))
FOLDED_LONG = (
    b"X-Folded-Long: start",
    *(b"\tcontinuation line %03d with some filler text" % i for i in range(40)),
)
UNKIND = b"X-Unkind: " + b"u" * 1500

CASES: tuple[Case, ...] = (
    Case("complete", "default", _lines(
        "From: Sender Person <sender@example.org>\n"
        "To: Rcpt <rcpt@example.com>\n"
        "Subject: complete header\n"
        "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
        "Message-ID: <complete-1@example.org>\n"
        "\n"
        "Body.")),
    Case("missing-all", "default", _lines("Subject: only a subject\n\nBody text.")),
    Case("null-sender", "default", _lines("Subject: bounce-like\n\nBody."), sender=""),
    Case("resent", "default", _lines(
        "From: a@example.org\n"
        "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
        "Message-ID: <orig@example.org>\n"
        "Resent-From: b@example.org\n"
        "Resent-To: c@example.org\n"
        "Subject: resent message\n"
        "\n"
        "Body.")),
    Case("rewrite-headers", "default", _lines(
        "From: Local User <localuser>\n"
        "Sender: localuser (The Local User)\n"
        "Reply-To: replies, \"Quoted Name\" <quoted>, <x@example.org>\n"
        "TO: alice, Bob Smith <bob>, group: carol, dave@example.org;, undisclosed:;\n"
        "Cc: (comment only) ccuser\n"
        "Bcc: hidden\n"
        "Return-Path: <bounce>\n"
        "Content-Length: 1234\n"
        "Errors-To: errors@example.org\n"
        "X-Not-Address: plain text, with, commas\n"
        "Subject: header address rewriting\n"
        "\n"
        "Body."), sender="localuser"),
    Case("rewrite-long", "default", _lines(
        "To: " + ", ".join(f"user{i:02d}" for i in range(30)) + "\n"
        "Cc: \"A very long phrase that goes on and on\" <phrase>,\n"
        " second (with a comment), third@example.org\n"
        "Subject: folded rewritten list\n"
        "\n"
        "Body.")),
    Case("long-header", "default", (
        b"Subject: a header longer than line_length_limit",
        LONG_LINE,
        *FOLDED_LONG,
        b"",
        b"Body.",
    )),
    Case("from-line", "default", _lines(
        "Subject  : spaced colon\n"
        "X-First: one\n"
        "From sender@example.org Mon Jan  1 12:00:00 2024\n"
        "X-After: this is body text now\n"
        "\n"
        "Body.")),
    Case("body-first", "default", _lines("This message has no headers.\nSecond line.")),
    Case("no-body", "default", _lines("Subject: headers only\nX-Last: no blank line")),
    Case("continued-first", "default", _lines(" leading space line\nSubject: x\n\nBody.")),
    Case("duplicates", "default", _lines(
        "Subject: duplicate recipients and headers\n"
        "Subject: second subject\n"
        "Message-ID: <dup-1@example.org>\n"
        "Message-Id: <dup-2@example.org>\n"
        "\n"
        "Body."), rcpts=(
        Rcpt("rcpt@example.com"),
        Rcpt("rcpt@example.com"),
        Rcpt("Rcpt@example.com"),
        Rcpt("rcpt@example.com", notify="SUCCESS"),
        Rcpt("other@example.com", notify="SUCCESS,DELAY", orcpt="rfc822;orig@example.com"),
        Rcpt("other@example.com", notify="SUCCESS,DELAY", orcpt="rfc822;orig@example.com"),
    )),
    Case("eightbit", "default", (
        "Subject: Grüße aus Köln".encode(),
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        b"",
        "Body with 8-bit text: äöü".encode(),
    ), mail_options=("BODY=8BITMIME",)),
    Case("cte-8bit", "default", _lines(
        "Subject: no BODY parameter\n"
        "MIME-Version: 1.0\n"
        "Content-Transfer-Encoding: 8BIT\n"
        "\n"
        "Body.")),
    Case("seven-bit", "default", _lines("Subject: BODY=7BIT\n\nBody."),
         mail_options=("BODY=7BIT",)),
    Case("stray-cr", "default", (
        b"Subject: stray\rcarriage return",
        b"X-Header: a\rb",
        b"",
        b"Body with a stray\rCR in it.",
    )),
    Case("comment-strip", "default", _lines(
        "To: (" + "c" * 300 + ") user, Short (comment) <other>\n"
        "Subject: too much non-address text\n\nBody.")),
    Case("dsn", "default", _lines("Subject: dsn\n\nBody."),
         mail_options=("RET=HDRS", "ENVID=envid-1"),
         rcpts=(Rcpt("rcpt@example.com", notify="NEVER"),
                Rcpt("r2@example.com", notify="FAILURE", orcpt="rfc822;orig2@example.com"))),
    # limits group
    Case("header-nice-cut", "limits", (b"Subject: folded header over header_size_limit",
                                       *FOLDED_LONG, b"", b"Body.")),
    Case("header-unkind-cut", "limits", (b"Subject: one line over header_size_limit",
                                         UNKIND, b"X-After: kept", b"", b"Body.")),
    Case("token-limit", "limits", _lines(
        "To: a, b, c, d, e, f, g, h, i\nSubject: header_address_token_limit\n\nBody.")),
    Case("hops-ok", "limits", (
        *(b"Received: from hop%d.example.org by relay" % i for i in range(3)),
        b"Subject: four Received headers with ours",
        b"",
        b"Body.",
    )),
    Case("hops-exceeded", "limits", (
        *(b"Received: from hop%d.example.org by relay" % i for i in range(4)),
        b"Subject: five Received headers with ours",
        b"",
        b"Body.",
    )),
    Case("undisclosed", "limits", _lines("Subject: no visible recipients\n\nBody.")),
    Case("undisclosed-cc", "limits", _lines("Cc: someone@example.org\nSubject: cc only\n\nBody.")),
    # checks group
    Case("hc-reject", "checks", _lines("Subject: please reject-me now\n\nBody.")),
    Case("hc-reject-text", "checks", _lines("Subject: reject-text\n\nBody.")),
    Case("hc-reject-tempfail", "checks", _lines("Subject: reject-tempfail\n\nBody.")),
    Case("hc-warn", "checks", _lines("Subject: warn-me\n\nBody.")),
    Case("hc-info", "checks", _lines("Subject: info-me\n\nBody.")),
    Case("hc-hold", "checks", _lines("Subject: hold-me\n\nBody.")),
    Case("hc-discard", "checks", _lines("Subject: discard-me\n\nBody.")),
    Case("hc-prepend", "checks", _lines("Subject: prepend-me\n\nBody.")),
    Case("hc-replace", "checks", _lines("Subject: replace-me\n\nBody.")),
    Case("hc-strip-ignore", "checks", _lines(
        "X-Strip-Me: yes\nX-Ignore-Me: yes\nSubject: strip and ignore\n\nBody.")),
    Case("hc-filter", "checks", _lines("Subject: filter-me\n\nBody.")),
    Case("hc-redirect", "checks", _lines("Subject: redirect-me\n\nBody.")),
    Case("hc-bcc", "checks", _lines("Subject: bcc-me\n\nBody.")),
    Case("hc-mime", "checks", _lines(
        "Subject: mime header check\nContent-Type: text/plain; mime-reject\n\nBody.")),
    Case("bc-reject", "checks", _lines("Subject: body\n\nline one\nbody-reject this\nafter")),
    Case("bc-actions", "checks", _lines(
        "Subject: body actions\n\nbody-warn\nbody-prepend\nbody-replace\nbody-ignore\nend")),
    # smtpd's end-of-data access actions
    Case("eod-hold", "eod-actions", _lines("Subject: eod hold\n\nBody."),
         sender="hold@example.org", eod_action=("HOLD", "")),
    Case("eod-discard", "eod-actions", _lines("Subject: eod discard\n\nBody."),
         sender="discard@example.org", eod_action=("DISCARD", "")),
    Case("eod-bcc", "eod-actions", _lines("Subject: eod bcc\n\nBody."),
         sender="bcc@example.org", eod_action=("BCC", "copy@example.net")),
    Case("eod-filter", "eod-actions", _lines("Subject: eod filter\n\nBody."),
         sender="filter@example.org", eod_action=("FILTER", "smtp:[127.0.0.1]:10026")),
    Case("eod-redirect", "eod-actions", _lines("Subject: eod redirect\n\nBody."),
         sender="redirect@example.org", eod_action=("REDIRECT", "other@example.net")),
    # message_size_limit also limits the queue file (envelope included)
    Case("size-ok", "size", (b"Subject: small", b"", b"x" * 600)),
    Case("size-exceeded", "size", (b"Subject: content fits, queue file does not",
                                   b"", *(b"y" * 76,) * 20)),
    # remote context groups
    Case("remote-missing", "remote", _lines(
        "From: user\nTo: other\nSubject: remote client\n\nBody."), sender="user"),
    Case("remote-always", "remote-always", _lines(
        "To: other\nSubject: remote client, always add\n\nBody.")),
    Case("remote-domain", "remote-domain", _lines(
        "From: user\nTo: other, x@example.org\nSubject: remote domain\n\nBody.")),
)
