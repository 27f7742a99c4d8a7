"""The trivial-rewrite requests recorded from real Postfix, per profile.

A profile is a few main.cf lines added to postfix/main.cf and the
requests sent to one trivial-rewrite process of that configuration:

    ("resolve", SENDER, ADDRESS)   resolve request (internal-form address)
    ("verify", SENDER, ADDRESS)    the address-verification personality
    ("rewrite", RULE, ADDRESS)     rewrite request, RULE "local" or "remote"
                                   (external-form address)

@FIXTURES@ in settings stands for tests/golden/rewrite/fixtures and @BASE@
for the throw-away instance directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Request = tuple[str, str, str]


def resolve(*addresses: str, sender: str = "") -> list[Request]:
    return [("resolve", sender, address) for address in addresses]


def verify(*addresses: str, sender: str = "") -> list[Request]:
    return [("verify", sender, address) for address in addresses]


def rewrite(rule: str, *addresses: str) -> list[Request]:
    return [("rewrite", rule, address) for address in addresses]


@dataclass
class Profile:
    settings: str
    requests: list[Request] = field(default_factory=list)
    notes: str = ""


# The classic open-relay probes and address forms, against
# mydestination = $myhostname, localhost.$mydomain, localhost (the default)
# with myhostname = mail.example.com and inet_interfaces = 127.0.0.1,
# proxy_interfaces = 192.0.2.1.
PROBES = resolve(
    "user", "user@mail.example.com", "user@MAIL.Example.COM", "user@localhost",
    "user@localhost.example.com", "user@mail.example.com.", "user@example.com",
    "user@remote.example", "user@remote.example.", "user@sub.mail.example.com",
    # percent hack
    "user%remote.example@mail.example.com", "user%remote.example@localhost",
    "user%remote.example", "user%mail.example.com", "user%remote.example%other.example",
    "user%remote.example%mail.example.com@localhost",
    "user%remote.example@[127.0.0.1]", "user%remote.example@remote2.example",
    # bang paths
    "remote.example!user", "remote.example!user@mail.example.com",
    "host1.example!host2.example!user", "mail.example.com!user", "!user", "remote.example!",
    "remote.example!user%other.example", "!a b", "a b!c",
    # source routes
    "@mail.example.com:user@remote.example", "@a.example,@b.example:user@remote.example",
    "@mail.example.com:user@mail.example.com", "@remote.example:user",
    # quoted local parts (internal form: the quotes are gone)
    "user@remote.example@mail.example.com", "user@remote.example@localhost",
    "user%remote.example@mail.example.com@mail.example.com",
    "remote.example!user@mail.example.com@mail.example.com",
    '"user@remote.example"@mail.example.com', "a b@mail.example.com", "a b@remote.example",
    "a@b@remote.example", "a.@mail.example.com", ".a@mail.example.com",
    "a..b@remote.example", 'a"b@remote.example', "a\\b@mail.example.com",
    # address literals
    "user@[127.0.0.1]", "user@[192.0.2.1]", "user@[10.1.1.1]", "user@[127.0.0.1].",
    "user@[IPv6:::1]", "user@[::1]", "user@[300.1.1.1]", "user@[127.0.0.1]x",
    "user@127.0.0.1", "user@[mail.example.com]", "user@[]",
    # empty and odd forms
    "", "@", '""', "@mail.example.com", "user@", "user@@", "user@.", "user@..",
    "user@remote..example", "user@-remote.example", "user@remote_x.example",
    "-user", "-user@remote.example", "MAILER-DAEMON", "postmaster@localhost",
    "user+ext@mail.example.com", "user(comment)@remote.example",
    "user@remote.example(comment)", "user@remote example", "<user@remote.example>",
    "user@remote.example>", "user,other@remote.example", "user:x@remote.example",
    # 8-bit
    "j\u00fcrgen@mail.example.com", "user@m\u00fcller.example",
)

REWRITES = [
    *rewrite("local",
             "user", "user@host", "user@host.", "user@host.sub", "host!user", "user%host",
             "user%host%other", "host!user%other", "a!b!c", "!user", "host!",
             "@route:user@host", "@a,@b:user@host", "@route:user", "@route:", "@route",
             '"quoted user"', '"a@b"', '"a@b"@host', '"a%b"', '"a!b"', "user@[1.2.3.4]",
             "user@[1.2.3.4].", "", "@", '""', '""@host', "user@", "user@.", "user@host..",
             "user@localhost", "user@LocalHost", "(comment)user@host", "user@(c)host",
             "user@host(c)", "first last", "first last@host", '"a"."b"@host',
             "user@host.domain.", "user@.host", "user@@host", "a%b@c", "user@mail.example.com",
             "user@[IPv6:::1]", "user\\@x", "user@ho\\st", "j\u00fcrgen", "u@m\u00fcller",
             "!a b", '"a" "b"@host', "a b!c", '"a"."b"'),
    *rewrite("remote", "user", "user@host", "host!user", "user%host", '""', "@",
             "user@host."),
]


PROFILES: dict[str, Profile] = {
    "base": Profile(
        "# compatibility_level 0: append_dot_mydomain = yes, "
        "relay_domains = $mydestination, smtputf8_enable = no\n"
        "compatibility_level = 0\n",
        PROBES + REWRITES,
        "Postfix's compatibility_level 0 defaults (what an old main.cf gets).",
    ),
    "compat37": Profile(
        "compatibility_level = 3.7\n",
        PROBES + REWRITES,
        "Modern defaults: no append_dot_mydomain, empty relay_domains, SMTPUTF8.",
    ),
    "s10-percent-off": Profile(
        "# S10: allow_percent_hack = no\ncompatibility_level = 3.7\nallow_percent_hack = no\n",
        resolve("user%remote.example@mail.example.com", "user%remote.example@localhost",
                "user%remote.example", "user%remote.example@[127.0.0.1]",
                "relaytest%rbl.jp@[127.0.0.1]", "relaytest%rbl.jp@mail.example.com",
                "user%remote.example@mail.example.com@mail.example.com",
                '"user%remote.example"@mail.example.com', "remote.example!user",
                "user@remote.example@mail.example.com")
        + rewrite("local", "user%host", "user%host@x", '"u%h"'),
        "The RBL.JP relay test with the percent hack off.",
    ),
    "s10-percent-on": Profile(
        "# S10: allow_percent_hack = yes\ncompatibility_level = 3.7\nallow_percent_hack = yes\n",
        resolve("relaytest%rbl.jp@[127.0.0.1]", "relaytest%rbl.jp@mail.example.com",
                "relaytest%rbl.jp@localhost", "relaytest%rbl.jp"),
    ),
    "bang-off": Profile(
        "compatibility_level = 3.7\nswap_bangpath = no\n",
        resolve("remote.example!user", "remote.example!user@mail.example.com",
                "remote.example!user@mail.example.com@mail.example.com",
                "user%remote.example@mail.example.com", "host!user%remote.example")
        + rewrite("local", "host!user", "host!user%other", "a!b@c"),
    ),
    "hacks-off": Profile(
        "compatibility_level = 3.7\nswap_bangpath = no\nallow_percent_hack = no\n"
        "resolve_dequoted_address = no\n",
        resolve("remote.example!user@mail.example.com", "user%remote.example@mail.example.com",
                "user@remote.example@mail.example.com", "user@remote.example@localhost",
                '"user@remote.example"@mail.example.com', "user@remote.example"),
    ),
    "dequote-off": Profile(
        "compatibility_level = 3.7\nresolve_dequoted_address = no\n",
        resolve("user@remote.example@mail.example.com", "user%remote.example@mail.example.com",
                "remote.example!user@mail.example.com@mail.example.com",
                "a b@mail.example.com"),
    ),
    "options": Profile(
        "compatibility_level = 3.7\nresolve_null_domain = yes\nresolve_numeric_domain = yes\n"
        "allow_min_user = yes\nempty_address_recipient = postmaster\n"
        "remote_header_rewrite_domain = hdr.example.com\nappend_dot_mydomain = yes\n"
        "recipient_delimiter = +\n",
        resolve("user@", "user@@", "@", "", '""', "user@127.0.0.1", "user@192.0.2.1",
                "user@10.1.1.1", "user@1.2.3", "user@::1", "user@IPv6:::1", "-user",
                "-user@remote.example", "user@remote", "user@[127.0.0.1]")
        + rewrite("local", "user", "user@host", "user@")
        + rewrite("remote", "user", "user@host", "host!user", "user@host.example"),
    ),
    "no-append": Profile(
        "compatibility_level = 3.7\nappend_at_myorigin = no\nappend_dot_mydomain = no\n"
        "myorigin = origin.example\n",
        resolve("user", "user%host", "host!user")
        + rewrite("local", "user", "user@host", "host!user"),
    ),
    "s2-transport": Profile(
        "# S2: transport_maps with hogehoge.ac.jp and .hogehoge.ac.jp\n"
        "compatibility_level = 3.7\nrecipient_delimiter = +\n"
        "relay_domains = hogehoge.ac.jp, .hogehoge.ac.jp\n"
        "transport_maps = texthash:@FIXTURES@/transport\n",
        resolve("user@hogehoge.ac.jp", "user@xxx.hogehoge.ac.jp", "user@a.b.hogehoge.ac.jp",
                "user@HOGEHOGE.AC.JP", "user@other.ac.jp", "user@ac.jp",
                "user%hogehoge.ac.jp@mail.example.com", "user", "special@remote.example",
                "special+ext@remote.example", "special@other.example", "local@mail.example.com",
                "user@keep.example", "user@reset.example", "user@error.example",
                "user@error2.example", "user@retry.example", "user@port.example",
                "user@unix.example", "user@nexthop.example", "user@sub.nexthop.example",
                "user@discard.example", "user@localonly.example", "a:b@remote.example",
                "user@[10.1.1.1]", "user@[127.0.0.1]", "user@mail.example.com"),
    ),
    "transport-pdms": Profile(
        "compatibility_level = 3.7\n"
        "parent_domain_matches_subdomains = transport_maps\n"
        "transport_maps = texthash:@FIXTURES@/transport\n",
        resolve("user@hogehoge.ac.jp", "user@xxx.hogehoge.ac.jp", "user@nexthop.example",
                "user@sub.nexthop.example", "user@deep.sub.nexthop.example"),
    ),
    "transport-wildcard": Profile(
        "compatibility_level = 3.7\n"
        "transport_maps = texthash:@FIXTURES@/transport, texthash:@FIXTURES@/transport-star\n",
        resolve("user@hogehoge.ac.jp", "user@anywhere.example", "user@mail.example.com",
                "user", "user@[127.0.0.1]"),
    ),
    "transport-regexp": Profile(
        "compatibility_level = 3.7\n"
        "transport_maps = regexp:@FIXTURES@/transport.regexp\n",
        resolve("user@regexp.example", "other@regexp.example", "user@sub.regexp.example",
                "user@full.example", "user@domainonly.example"),
        "Which keys go to a regexp table: only the full address (and '*').",
    ),
    "s4-relayhost": Profile(
        "# S4: the internal server relays everything to the DMZ host\n"
        "compatibility_level = 3.7\nmyhostname = internal.abc.ac.jp\nmydomain = abc.ac.jp\n"
        "relayhost = [192.168.1.2]\nfallback_transport = smtp:[192.168.1.2]\n"
        "local_recipient_maps =\n",
        resolve("okada", "okada@internal.abc.ac.jp", "okada@abc.ac.jp", "user@example.org",
                "yy@xxx.abc.ac.jp", "user@[192.168.1.2]", "user%example.org@internal.abc.ac.jp")
        + rewrite("local", "okada", "root"),
    ),
    "s5-myorigin": Profile(
        "# S5: myorigin = $mydomain, the domain is local\n"
        "compatibility_level = 3.7\nmyhostname = uso5004.abc.ac.jp\nmydomain = abc.ac.jp\n"
        "myorigin = $mydomain\nmydestination = $myhostname, localhost.$mydomain, $mydomain\n",
        resolve("okada", "root", "okada@abc.ac.jp", "okada@uso5004.abc.ac.jp",
                "okada@localhost.abc.ac.jp", "okada@other.abc.ac.jp")
        + rewrite("local", "okada", "root", "okada@uso5004")
        + rewrite("remote", "okada"),
    ),
    "s5-forward": Profile(
        "# S5: myorigin names another server: unqualified mail goes there\n"
        "compatibility_level = 3.7\nmyhostname = vmware40.abc-u.ac.jp\nmydomain = abc-u.ac.jp\n"
        "myorigin = abc.ac.jp\n",
        resolve("okada", "root", "okada@vmware40.abc-u.ac.jp", "okada@abc.ac.jp")
        + rewrite("local", "okada", "root"),
    ),
    "s17-mydestination": Profile(
        "# S17: several domains and an address literal in mydestination\n"
        "compatibility_level = 3.7\nmyhostname = uso5005.abc.ac.jp\nmydomain = abc.ac.jp\n"
        "mydestination = $myhostname, localhost.$mydomain, $mydomain, abc.ne.jp, "
        "[192.168.1.1]\n",
        resolve("user@abc.ne.jp", "user@ABC.NE.JP", "user@abc.ac.jp", "user@uso5005.abc.ac.jp",
                "user@localhost.abc.ac.jp", "user@[192.168.1.1]", "user@[192.168.1.2]",
                "user@[127.0.0.1]", "user@sub.abc.ne.jp", "user@localhost",
                "user%remote.example@[192.168.1.1]", "user@remote.example@[192.168.1.1]",
                "user@[192.168.1.1].", "user@192.168.1.1"),
    ),
    "s20-relayhost": Profile(
        "# S20: a home server that sends everything through the provider\n"
        "compatibility_level = 0\nmyhostname = pc85xxxx.axxgo2.ne.jp\nmydomain = axxgo2.ne.jp\n"
        "mydestination = $myhostname, localhost.$mydomain $mydomain\n"
        "mynetworks = 168.168.10.0/24, 127.0.0.0/8\nrelayhost = mail.axxgo2.ne.jp\n",
        resolve("user@example.org", "user@axxgo2.ne.jp", "user@pc85xxxx.axxgo2.ne.jp",
                "user@mail.axxgo2.ne.jp", "user", "user@localhost", "user@[10.0.0.1]",
                "user@[127.0.0.1]")
        + rewrite("local", "user@localhost", "user@otherhost", "user"),
    ),
    "classes": Profile(
        "compatibility_level = 3.7\n"
        "virtual_alias_domains = valias.example, both.example, all.example\n"
        "virtual_mailbox_domains = vmbox.example, both.example, all.example, "
        "mail.example.com\n"
        "relay_domains = relay.example, .relay.example, all.example\n"
        "virtual_transport = lmtp:unix:private/dovecot-lmtp\n"
        "relay_transport = relay:[relay-gw.example]:2525\n"
        "default_transport = smtp\n"
        "relayhost = [outbound.example]\n",
        resolve("user@valias.example", "user@vmbox.example", "user@relay.example",
                "user@sub.relay.example", "user@relay.example.", "user@both.example",
                "user@all.example", "user@mail.example.com", "user@other.example",
                "user%vmbox.example@mail.example.com", "user@VMBOX.example",
                "user@sub.vmbox.example"),
        "Every address class, and domains listed in more than one.",
    ),
    "classes-tables": Profile(
        "compatibility_level = 3.7\n"
        "virtual_alias_maps = texthash:@FIXTURES@/virtual\n"
        "virtual_mailbox_domains = texthash:@FIXTURES@/vmailbox-domains\n"
        "relocated_maps = texthash:@FIXTURES@/relocated\n"
        "show_user_unknown_table_name = no\n"
        "local_transport = local\n",
        resolve("user@valias.example", "user@vmbox.example", "moved@vmbox.example",
                "gone@remote.example", "moved@mail.example.com", "moved", "localonly",
                "user@remote.example", "anyone@movedall.example", "user@mail.example.com"),
    ),
    "sender-dependent": Profile(
        "compatibility_level = 3.7\nrelayhost = [default-relay.example]\n"
        "relay_domains = relay.example\n"
        "sender_dependent_relayhost_maps = texthash:@FIXTURES@/sender-relay\n"
        "sender_dependent_default_transport_maps = texthash:@FIXTURES@/sender-transport\n",
        resolve("user@remote.example")
        + resolve("user@remote.example", sender="a@one.example")
        + resolve("user@remote.example", sender="b@one.example")
        + resolve("user@remote.example", sender="x@two.example")
        + resolve("user@remote.example", sender="dunno@two.example")
        + resolve("user@remote.example", sender="someone@three.example")
        + resolve("user@remote.example", sender="owner@mail.example.com")
        + resolve("user@relay.example", sender="a@one.example")
        + resolve("user@mail.example.com", sender="a@one.example"),
    ),
    "verify": Profile(
        "compatibility_level = 3.7\nrelayhost = [regular-relay.example]\n"
        "transport_maps = texthash:@FIXTURES@/transport\n"
        "address_verify_relayhost = [verify-relay.example]\n"
        "address_verify_default_transport = verify-smtp\n"
        "address_verify_local_transport = verify-local\n"
        "address_verify_transport_maps =\n",
        resolve("user@remote.example", "user@hogehoge.ac.jp", "user")
        + verify("user@remote.example", "user@hogehoge.ac.jp", "user"),
    ),
    "fail-transport": Profile(
        "compatibility_level = 3.7\ntransport_maps = fail:transport\n",
        resolve("user@remote.example", "user@mail.example.com", "user@"),
    ),
    "fail-mydestination": Profile(
        "compatibility_level = 3.7\nmydestination = fail:mydest\n",
        resolve("user@remote.example", "user", "user@[127.0.0.1]"),
    ),
    "fail-relay-domains": Profile(
        "compatibility_level = 3.7\nrelay_domains = fail:relay\n",
        resolve("user@remote.example", "user@mail.example.com"),
    ),
    "null-transport": Profile(
        "compatibility_level = 3.7\nrelay_transport = :[relay.example]\n"
        "relay_domains = relay.example\ndefault_transport = :[default.example]\n",
        resolve("user@relay.example", "user@remote.example", "user@mail.example.com"),
    ),
    "ipv6": Profile(
        "compatibility_level = 3.7\ninet_protocols = all\n"
        "inet_interfaces = 127.0.0.1, [::1]\nproxy_interfaces = 192.0.2.1, [2001:db8::1]\n",
        resolve("user@[IPv6:::1]", "user@[ipv6:0:0:0:0:0:0:0:1]", "user@[IPv6:0::1]",
                "user@[::1]", "user@[IPv6:2001:db8::1]", "user@[IPv6:2001:DB8:0::1]",
                "user@[IPv6:2001:db8::2]", "user@[IPv6:::ffff:127.0.0.1]",
                "user@[127.0.0.1]", "user@[192.0.2.1]", "user@[IPv6:1:2:3:4:5:6:7:8:9]",
                "user%remote.example@[IPv6:::1]"),
    ),
}
