"""resolve_addr(): the resolver loop, address classes, transports, flags.

The expected answers are Postfix 3.7.11's (tests/golden/rewrite holds the
recordings); here they are spelled out per rule and per seed feature.
"""

from __future__ import annotations

import pytest

from pyfix.rewrite.reply import AddressClass, ResolveFlag, ResolveReply
from tests.rewrite.helpers import Logged, make_service

LOCAL, ALIAS, VIRTUAL, RELAY, DEFAULT = (AddressClass.LOCAL, AddressClass.ALIAS,
                                         AddressClass.VIRTUAL, AddressClass.RELAY,
                                         AddressClass.DEFAULT)
HERE = "mail.example.com"


def answer(reply: ResolveReply) -> tuple[str, str, str, AddressClass | None]:
    return reply.transport, reply.nexthop, reply.recipient, reply.address_class


# The classic open-relay probes, with the default mydestination
# ($myhostname, localhost.$mydomain, localhost) and 127.0.0.1 as this host.
@pytest.mark.parametrize(("address", "expected", "routed"), [
    ("user", ("local", HERE, "user@mail.example.com", LOCAL), False),
    ("user@MAIL.Example.COM", ("local", HERE, "user@MAIL.Example.COM", LOCAL), False),
    ("user@mail.example.com.", ("local", HERE, "user@mail.example.com", LOCAL), False),
    ("user@remote.example", ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    # percent hack: user%domain@local is user@domain, i.e. relaying
    ("user%remote.example@mail.example.com",
     ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    ("user%remote.example@localhost",
     ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    ("user%remote.example@[127.0.0.1]",
     ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    ("user%remote.example%other.example",
     ("smtp", "other.example", "user%remote.example@other.example", DEFAULT), True),
    # "user@domain"@local (internal form: the quotes are gone)
    ("user@remote.example@mail.example.com",
     ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    # bang paths
    ("remote.example!user", ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    ("remote.example!user@mail.example.com",
     ("smtp", "remote.example", "user@remote.example", DEFAULT), False),
    ("host1.example!host2.example!user",
     ("smtp", "host1.example", "host2.example!user@host1.example", DEFAULT), True),
    # source routes: kept, and ROUTED
    ("@mail.example.com:user@remote.example",
     ("smtp", "remote.example", "@mail.example.com:user@remote.example", DEFAULT), True),
    ("@a.example,@b.example:user@remote.example",
     ("smtp", "remote.example", "@a.example, @b.example:user@remote.example", DEFAULT), True),
    ("@mail.example.com:user@mail.example.com",
     ("local", HERE, "user@mail.example.com", LOCAL), False),
    # a routing operator left in a remote local part is ROUTED
    ("a@b@remote.example", ("smtp", "remote.example", "a@b@remote.example", DEFAULT), True),
    ("user%remote.example@remote2.example",
     ("smtp", "remote2.example", "user%remote.example@remote2.example", DEFAULT), True),
    # address literals: this host's addresses are local
    ("user@[127.0.0.1]", ("local", HERE, "user@[127.0.0.1]", LOCAL), False),
    ("user@[192.0.2.1]", ("local", HERE, "user@[192.0.2.1]", LOCAL), False),
    ("user@[10.1.1.1]", ("smtp", "[10.1.1.1]", "user@[10.1.1.1]", DEFAULT), False),
    ("user@[IPv6:::1]", ("smtp", "[IPv6:::1]", "user@[IPv6:::1]", DEFAULT), False),
    # quoted local parts that are just text
    ("a b@remote.example", ("smtp", "remote.example", "a b@remote.example", DEFAULT), False),
    ("user:x@remote.example", ("smtp", "remote.example", "user:x@remote.example", DEFAULT),
     False),
    # the empty address and null local parts
    ("", ("local", HERE, "MAILER-DAEMON@mail.example.com", LOCAL), False),
    ("@mail.example.com", ("local", HERE, "MAILER-DAEMON@mail.example.com", LOCAL), False),
    ('""', ("local", HERE, '""@mail.example.com', LOCAL), False),
])
def test_relay_probes(address: str, expected: tuple[str, str, str, AddressClass],
                      routed: bool) -> None:
    reply = make_service().resolve(address)
    assert answer(reply) == expected
    assert reply.routed is routed
    assert not reply.error and not reply.failed


@pytest.mark.parametrize(("address", "recipient"), [
    ("user@", "user@"),
    ("user@@", "user@"),
    ("@", "MAILER-DAEMON@"),
    ("!user", "user@"),
    ("user@.", "user@."),
    ("user@remote..example", "user@remote..example"),
    ("user@-remote.example", "user@-remote.example"),
    ("user@remote example", "user@remote example"),
    ("user@127.0.0.1", "user@127.0.0.1"),
    ("user@[::1]", "user@[::1]"),
    ("user@[300.1.1.1]", "user@[300.1.1.1]"),
    ("user@[mail.example.com]", "user@[mail.example.com]"),
    ("<user@remote.example>", "<user@remote.example>"),
    ("@remote.example:user", "@remote.example:user"),
    ('"user@remote.example"@mail.example.com', '"user@remote.example '),
])
def test_bad_destination_syntax_is_an_error(address: str, recipient: str) -> None:
    reply = make_service().resolve(address)
    assert reply.flags == ResolveFlag.ERROR | ResolveFlag.CLASS_DEFAULT
    assert (reply.transport, reply.nexthop) == ("CHANNEL NOT UPDATED", "NEXTHOP NOT UPDATED")
    assert reply.recipient == recipient


def test_allow_min_user() -> None:
    reply = make_service().resolve("-user")
    assert answer(reply) == ("local", HERE, "-user@mail.example.com", LOCAL)
    assert reply.error
    reply = make_service().resolve("-user@remote.example")
    assert reply.transport == "smtp" and reply.error
    assert not make_service("allow_min_user = yes\n").resolve("-user").error


def test_s10_percent_hack_off_keeps_the_mail_local() -> None:
    service = make_service("allow_percent_hack = no\n")
    for probe in ("relaytest%rbl.jp@[127.0.0.1]", "relaytest%rbl.jp@mail.example.com",
                  "user%remote.example@localhost"):
        reply = service.resolve(probe)
        assert reply.address_class is LOCAL, probe
        assert reply.routed, probe
        assert reply.recipient == probe
    assert service.resolve("user%remote.example").recipient == (
        "user%remote.example@mail.example.com")
    # the other routing forms still work
    assert answer(service.resolve("remote.example!user")) == (
        "smtp", "remote.example", "user@remote.example", DEFAULT)


def test_s10_percent_hack_on_resolves_to_the_remote_domain() -> None:
    reply = make_service("allow_percent_hack = yes\n").resolve("relaytest%rbl.jp@[127.0.0.1]")
    assert answer(reply) == ("smtp", "rbl.jp", "relaytest@rbl.jp", DEFAULT)


@pytest.mark.parametrize(("setting", "address", "expected", "routed"), [
    ("swap_bangpath = no", "remote.example!user",
     ("local", HERE, "remote.example!user@mail.example.com", LOCAL), True),
    ("resolve_dequoted_address = no", "user@remote.example@mail.example.com",
     ("local", HERE, "user@remote.example@mail.example.com", LOCAL), True),
    ("resolve_null_domain = yes", "user@", ("local", HERE, "user@mail.example.com", LOCAL),
     False),
    ("empty_address_recipient = postmaster", "",
     ("local", HERE, "postmaster@mail.example.com", LOCAL), False),
    ("resolve_numeric_domain = yes", "user@127.0.0.1",
     ("local", HERE, "user@[127.0.0.1]", LOCAL), False),
    ("resolve_numeric_domain = yes", "user@10.1.1.1",
     ("smtp", "[10.1.1.1]", "user@[10.1.1.1]", DEFAULT), False),
    ("mydestination =", "user", ("smtp", HERE, "user@mail.example.com", DEFAULT), False),
])
def test_settings(setting: str, address: str, expected: tuple[str, str, str, AddressClass],
                  routed: bool) -> None:
    reply = make_service(setting + "\n").resolve(address)
    assert answer(reply) == expected
    assert reply.routed is routed


def test_s17_several_domains_and_literals_in_mydestination() -> None:
    service = make_service(
        "myhostname = uso5005.abc.ac.jp\nmydomain = abc.ac.jp\n"
        "mydestination = $myhostname, localhost.$mydomain, $mydomain, abc.ne.jp, "
        "[192.168.1.1]\n")
    for domain in ("abc.ne.jp", "ABC.NE.JP", "abc.ac.jp", "uso5005.abc.ac.jp",
                   "localhost.abc.ac.jp", "[192.168.1.1]", "[127.0.0.1]"):
        reply = service.resolve(f"user@{domain}")
        assert answer(reply) == ("local", "uso5005.abc.ac.jp", f"user@{domain}", LOCAL)
    assert service.resolve("user@sub.abc.ne.jp").address_class is DEFAULT
    assert service.resolve("user@[192.168.1.2]").nexthop == "[192.168.1.2]"
    assert service.resolve("user@192.168.1.1").error
    assert answer(service.resolve("user%remote.example@[192.168.1.1]")) == (
        "smtp", "remote.example", "user@remote.example", DEFAULT)


def test_s4_relayhost_in_brackets() -> None:
    service = make_service("myhostname = internal.abc.ac.jp\nmydomain = abc.ac.jp\n"
                           "relayhost = [192.168.1.2]\nlocal_recipient_maps =\n")
    assert answer(service.resolve("okada")) == (
        "local", "internal.abc.ac.jp", "okada@internal.abc.ac.jp", LOCAL)
    for address in ("okada@abc.ac.jp", "user@example.org", "user@[192.168.1.2]"):
        assert answer(service.resolve(address)) == ("smtp", "[192.168.1.2]", address, DEFAULT)
    assert answer(service.resolve("user%example.org@internal.abc.ac.jp")) == (
        "smtp", "[192.168.1.2]", "user@example.org", DEFAULT)


def test_s20_relayhost_without_brackets() -> None:
    service = make_service(
        "compatibility_level = 0\nmyhostname = pc85xxxx.axxgo2.ne.jp\nmydomain = axxgo2.ne.jp\n"
        "mydestination = $myhostname, localhost.$mydomain $mydomain\n"
        "relayhost = mail.axxgo2.ne.jp\n")
    assert answer(service.resolve("user@example.org")) == (
        "smtp", "mail.axxgo2.ne.jp", "user@example.org", DEFAULT)
    assert answer(service.resolve("user@axxgo2.ne.jp")) == (
        "local", "pc85xxxx.axxgo2.ne.jp", "user@axxgo2.ne.jp", LOCAL)
    # compatibility_level 0: relay_domains = $mydestination, subdomains too
    assert answer(service.resolve("user@mail.axxgo2.ne.jp")) == (
        "relay", "mail.axxgo2.ne.jp", "user@mail.axxgo2.ne.jp", RELAY)


def test_s5_myorigin_completes_unqualified_addresses() -> None:
    service = make_service("myhostname = uso5004.abc.ac.jp\nmydomain = abc.ac.jp\n"
                           "myorigin = $mydomain\n"
                           "mydestination = $myhostname, localhost.$mydomain, $mydomain\n")
    assert service.rewrite_addr("local", "okada") == "okada@abc.ac.jp"
    assert answer(service.resolve("okada@abc.ac.jp")) == (
        "local", "uso5004.abc.ac.jp", "okada@abc.ac.jp", LOCAL)
    # the resolver itself completes a bare local part with @$myhostname
    assert service.resolve("okada").recipient == "okada@uso5004.abc.ac.jp"
    forward = make_service("myhostname = vmware40.abc-u.ac.jp\nmydomain = abc-u.ac.jp\n"
                           "myorigin = abc.ac.jp\n")
    assert forward.rewrite_addr("local", "okada") == "okada@abc.ac.jp"
    assert answer(forward.resolve("okada@abc.ac.jp")) == (
        "smtp", "abc.ac.jp", "okada@abc.ac.jp", DEFAULT)


def test_address_classes_and_their_transports() -> None:
    log = Logged()
    service = make_service(
        "virtual_alias_domains = valias.example, both.example\n"
        "virtual_mailbox_domains = vmbox.example, both.example, mail.example.com\n"
        "relay_domains = relay.example, .relay.example\n"
        "virtual_transport = lmtp:unix:private/dovecot-lmtp\n"
        "relay_transport = relay:[relay-gw.example]:2525\n"
        "relayhost = [outbound.example]\n", log)
    unknown = "5.1.1 User unknown in virtual alias table"
    assert answer(service.resolve("user@valias.example")) == (
        "error", unknown, "user@valias.example", ALIAS)
    assert answer(service.resolve("user@vmbox.example")) == (
        "lmtp", "unix:private/dovecot-lmtp", "user@vmbox.example", VIRTUAL)
    assert answer(service.resolve("user@sub.relay.example")) == (
        "relay", "[relay-gw.example]:2525", "user@sub.relay.example", RELAY)
    assert answer(service.resolve("user@other.example")) == (
        "smtp", "[outbound.example]", "user@other.example", DEFAULT)
    assert answer(service.resolve("user@both.example"))[3] is ALIAS
    assert answer(service.resolve("user@mail.example.com"))[3] is LOCAL
    assert log.lines == [
        "warning: do not list domain both.example in BOTH virtual_alias_domains and "
        "virtual_mailbox_domains",
        "warning: do not list domain mail.example.com in BOTH mydestination and "
        "virtual_mailbox_domains",
    ]
    assert service.resolve("user@vmbox.example").final
    assert not service.resolve("user@relay.example").final


def test_resolve_class() -> None:
    service = make_service("virtual_alias_domains = a.example\n"
                           "virtual_mailbox_domains = v.example\nrelay_domains = r.example\n")
    assert [service.resolve_class(d) for d in (
        "mail.example.com", "[127.0.0.1]", "a.example", "v.example", "r.example", "x.example",
    )] == [LOCAL, LOCAL, ALIAS, VIRTUAL, RELAY, DEFAULT]
    assert make_service("relay_domains = fail:x\n").resolve_class("x.example") is None


def test_sender_dependent_relayhost_and_default_transport() -> None:
    service = make_service(
        "relayhost = [default-relay.example]\n"
        "sender_dependent_relayhost_maps = inline:{ {@one.example = [one-relay.example]}, "
        "{dunno@one.example = DUNNO}, {<> = [null-relay.example]} }\n"
        "sender_dependent_default_transport_maps = inline:{ {@one.example = one-smtp}, "
        "{<> = null-smtp} }\n")
    rcpt = "user@remote.example"
    assert answer(service.resolve(rcpt, "a@one.example"))[:2] == ("one-smtp",
                                                                  "[one-relay.example]")
    assert answer(service.resolve(rcpt, "dunno@one.example"))[:2] == (
        "one-smtp", "[default-relay.example]")
    assert answer(service.resolve(rcpt, "a@two.example"))[:2] == ("smtp",
                                                                  "[default-relay.example]")
    assert answer(service.resolve(rcpt, ""))[:2] == ("null-smtp", "[null-relay.example]")
    assert answer(service.resolve("user", "a@one.example"))[:2] == ("local", HERE)


def test_verify_personality() -> None:
    service = make_service("relayhost = [regular.example]\n"
                           "address_verify_relayhost = [verify.example]\n"
                           "address_verify_default_transport = verify-smtp\n")
    assert answer(service.resolve("user@remote.example"))[:2] == ("smtp", "[regular.example]")
    assert answer(service.verify("user@remote.example"))[:2] == ("verify-smtp",
                                                                 "[verify.example]")


def test_lookup_failures_give_fail() -> None:
    log = Logged()
    reply = make_service("relay_domains = fail:relay\n", log).resolve("user@remote.example")
    assert reply.failed and reply.flags == ResolveFlag.FAIL
    assert log.lines == ["warning: relay_domains: fail:relay: table lookup problem",
                         "warning: relay_domains lookup failure"]
    reply = make_service("mydestination = fail:dest\n").resolve("user")
    assert reply.failed and reply.recipient == "NEXTRCPT NOT UPDATED"
    reply = make_service("transport_maps = fail:t\n").resolve("user@remote.example")
    assert (reply.transport, reply.failed, reply.address_class) == ("smtp", True, DEFAULT)


def test_null_transport_is_not_allowed() -> None:
    log = Logged()
    service = make_service("config_directory = /etc/pyfix\nrelay_transport = :[x.example]\n"
                           "relay_domains = relay.example\n", log)
    reply = service.resolve("user@relay.example")
    assert reply.failed and reply.transport == "" and reply.nexthop == "[x.example]"
    assert log.lines == ["warning: file /etc/pyfix/main.cf: parameter relay_transport: "
                         "null transport is not allowed"]


def test_relocated_maps() -> None:
    service = make_service("relocated_maps = inline:{ {moved@mail.example.com = "
                           "new@elsewhere.example}, {@gone.example = x@y.example} }\n")
    assert answer(service.resolve("moved"))[:2] == (
        "error", "5.1.6 User has moved to new@elsewhere.example")
    assert answer(service.resolve("a@gone.example"))[:2] == (
        "error", "5.1.6 User has moved to x@y.example")


def test_smtputf8_domains() -> None:
    assert make_service().resolve("user@m\u00fcller.example").address_class is DEFAULT
    reply = make_service("compatibility_level = 0\n").resolve("user@m\u00fcller.example")
    assert reply.error
