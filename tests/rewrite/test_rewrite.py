"""rewrite_addr(): the "local" and "remote" rewriting contexts."""

from __future__ import annotations

import pytest

from tests.rewrite.helpers import Logged, make_service

COMPAT0 = "compatibility_level = 0\n"


@pytest.mark.parametrize(("address", "expected"), [
    # the empty address and a lone @
    ("", ""),
    ('""', '""'),
    ("@", '""'),
    # append_at_myorigin (myorigin = $myhostname)
    ("user", "user@mail.example.com"),
    ("user@host", "user@host"),
    # a trailing dot goes, but not from .. or @.
    ("user@host.", "user@host"),
    ("user@host..", "user@host.."),
    ("user@.", "user@."),
    ("user@[1.2.3.4].", "user@[1.2.3.4]"),
    # swap_bangpath: at the first "!"
    ("host!user", "user@host"),
    ("a!b!c", "b!c@a"),
    ("host!user%other", "user%other@host"),
    ("!user", "user@"),
    # allow_percent_hack: at the last "%"
    ("user%host", "user@host"),
    ("user%host%other", "user%host@other"),
    ("a%b@c", "a%b@c"),
    # source routes are stripped
    ("@route:user@host", "user@host"),
    ("@a,@b:user@host", "user@host"),
    ("@route:user", "user@mail.example.com"),
    ("@route:", '@route:""'),
    # quoted local parts keep their routing characters
    ('"a@b"', '"a@b"@mail.example.com'),
    # ... and lose quotes that they do not need ("%" and "!" are not
    # RFC 822 specials)
    ('"a%b"', "a%b@mail.example.com"),
    ('"a!b"', "a!b@mail.example.com"),
    ('"a@b"@host', '"a@b"@host'),
    ('"quoted user"', '"quoted user"@mail.example.com'),
    ("first last", '"first last"@mail.example.com'),
    ("user\\@x", '"user@x"@mail.example.com'),
    # domain literals
    ("user@[1.2.3.4]", "user@[1.2.3.4]"),
    ("user@[IPv6:::1]", "user@[IPv6:::1]"),
])
def test_local_context(address: str, expected: str) -> None:
    assert make_service().rewrite_addr("local", address) == expected


@pytest.mark.parametrize(("address", "expected"), [
    ("user@host", "user@host.example.com"),
    ("host!user", "user@host.example.com"),
    ("user%host", "user@host.example.com"),
    ("user@host.sub", "user@host.sub"),
    ("user@[1.2.3.4]", "user@[1.2.3.4]"),
    ("user@", "user@"),
    ("user", "user@mail.example.com"),
    ("user@localhost", "user@localhost.example.com"),
])
def test_append_dot_mydomain_by_compatibility_level_0(address: str, expected: str) -> None:
    assert make_service(COMPAT0).rewrite_addr("local", address) == expected


def test_append_dot_mydomain_compatibility_messages() -> None:
    log = Logged()
    service = make_service(COMPAT0 + "mydestination = $myhostname\n", log)
    service.rewrite_addr("local", "user@host")
    service.rewrite_addr("local", "user@localhost")
    assert log.lines == [
        'using backwards-compatible default setting append_dot_mydomain=yes to rewrite '
        '"host" to "host.example.com"',
        'using backwards-compatible default setting append_dot_mydomain=yes to rewrite '
        '"localhost" to "localhost.example.com"; please add "localhost" to mydestination '
        "or other address class",
    ]


def test_no_compatibility_message_when_set_explicitly_or_localhost_is_local() -> None:
    log = Logged()
    make_service(COMPAT0 + "append_dot_mydomain = yes\n", log).rewrite_addr("local", "u@host")
    make_service(COMPAT0, log).rewrite_addr("local", "u@localhost")
    assert log.lines == []


def test_remote_context_uses_remote_header_rewrite_domain() -> None:
    service = make_service()
    assert service.rewrite_addr("remote", "user") == "user"
    assert service.rewrite_addr("remote", "host!user") == "user@host"
    service = make_service("remote_header_rewrite_domain = hdr.example.com\n"
                           "append_dot_mydomain = yes\n")
    assert service.rewrite_addr("remote", "user") == "user@hdr.example.com"
    assert service.rewrite_addr("remote", "user@host") == "user@host.hdr.example.com"
    assert service.rewrite_addr("local", "user@host") == "user@host.example.com"


@pytest.mark.parametrize(("setting", "address", "expected"), [
    ("swap_bangpath = no", "host!user", "host!user@mail.example.com"),
    ("swap_bangpath = no", "host!user%other", "host!user@other"),
    ("allow_percent_hack = no", "user%host", "user%host@mail.example.com"),
    ("append_at_myorigin = no", "user", "user"),
    ("myorigin = $mydomain", "user", "user@example.com"),
    ("myorigin = abc.ac.jp", "okada", "okada@abc.ac.jp"),
])
def test_settings(setting: str, address: str, expected: str) -> None:
    assert make_service(setting + "\n").rewrite_addr("local", address) == expected


def test_null_address_warning_and_unknown_context() -> None:
    log = Logged()
    service = make_service("", log)
    assert service.rewrite_addr("local", "") == ""
    assert log.lines == ["warning: rewrite_addr: null address"]
    with pytest.raises(ValueError, match="unknown context: header"):
        service.rewrite_addr("header", "user")
