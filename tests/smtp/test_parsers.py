"""Unit tests for the pieces of the SMTP core: line reader, tokenizer,
address parser, ESMTP parameters, host names, replies, log texts."""

from __future__ import annotations

import pytest

from pyfix.smtp import replies
from pyfix.smtp.address import extract_address, resolve_syntax_ok
from pyfix.smtp.commands import CommandStats
from pyfix.smtp.dispatch import is_header
from pyfix.smtp.ehlo import EhloFeatures, discard_mask, ehlo_lines, mask_names
from pyfix.smtp.hostname import (
    valid_hostname,
    valid_ipv4_hostaddr,
    valid_ipv6_hostaddr,
    valid_mailhost_literal,
)
from pyfix.smtp.lines import InputBuffer, Line
from pyfix.smtp.logfields import escape, lost_connection_text, printable
from pyfix.smtp.params import (
    MailOptions,
    ParamError,
    RcptParams,
    notify_mask,
    parse_mail_params,
    parse_rcpt_params,
    uxtext_decode,
    xtext_decode,
)
from pyfix.smtp.replies import Reply
from pyfix.smtp.tok822 import internalize, parse_addresses
from pyfix.smtp.tokens import Token, tokenize
from pyfix.smtp.wordlist import WordList

# Line reader --------------------------------------------------------------


def read_all(data: bytes, bound: int = 10, detect: bool = True) -> list[Line | None]:
    buf = InputBuffer()
    buf.feed(data)
    lines: list[Line | None] = []
    while (line := buf.read_line(bound, detect)) is not None:
        lines.append(line)
    return lines


@pytest.mark.parametrize(
    ("data", "detect", "expected"),
    [
        (b"abc\r\n", True, [Line(b"abc", True, False)]),
        (b"abc\n", True, [Line(b"abc", True, True)]),
        (b"abc\n", False, [Line(b"abc", True, False)]),
        (b"abc\r\r\n", True, [Line(b"abc\r", True, False)]),
        (b"abc\r\r\n", False, [Line(b"abc", True, False)]),
        (b"a\rb\r\n", True, [Line(b"a\rb", True, False)]),
        (b"x" * 12 + b"\r\n", True, [Line(b"x" * 10, False, False), Line(b"xx", True, False)]),
        (b"x" * 9 + b"\r\n", True, [Line(b"x" * 9, True, False)]),  # CR at the bound
        (b"x" * 9 + b"\ry\r\n", True, [Line(b"x" * 9 + b"\r", False, False), Line(b"y", True, False)]),
        (b"partial", True, []),
    ],
)
def test_read_line(data: bytes, detect: bool, expected: list[Line]) -> None:
    assert read_all(data, 10, detect) == expected


def test_read_line_waits_for_byte_after_cr_at_bound() -> None:
    buf = InputBuffer()
    buf.feed(b"x" * 9 + b"\r")
    assert buf.read_line(10, True) is None
    buf.feed(b"\n")
    assert buf.read_line(10, True) == Line(b"x" * 9, True, False)


def test_skip_line() -> None:
    buf = InputBuffer()
    buf.feed(b"rest of a long line")
    assert not buf.skip_line()
    buf.feed(b" still\r\nNEXT\r\n")
    assert buf.skip_line()
    assert buf.read_line(100, True) == Line(b"NEXT", True, False)


# Tokenizer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("MAIL FROM:<a@b>", ["MAIL", "FROM:", "<a@b>"]),
        ("mail from: <a@b> SIZE=10", ["mail", "from:", "<a@b>", "SIZE=10"]),
        ("RCPT TO:<a b@c>", ["RCPT", "TO:", "<a b@c>"]),
        ('MAIL FROM:"a b"@c', ["MAIL", "FROM:", '"a b"@c']),
        ("MAIL FROM :<a>", ["MAIL", "FROM", ":<a>"]),
        ("X <a<b>c> d", ["X", "<a<b>c>", "d"]),
        ("X a\\ b", ["X", "a\\ b"]),
        ("  \t ", []),
    ],
)
def test_tokenize(line: str, words: list[str]) -> None:
    assert [t.text for t in tokenize(line)] == words


def test_tokenize_unclosed() -> None:
    assert tokenize("MAIL FROM:<a@b") == [
        Token("MAIL", False), Token("FROM:", False), Token("<a@b", True),
    ]


# RFC 822 addresses ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "addresses", "others"),
    [
        ("a@b", ["a@b"], 0),
        ("a b@c", ["a", "b@c"], 1),  # the comma that separates them
        ("a@b (comment)", ["a@b"], 1),
        ("a(x)@b", ["a@b"], 1),
        ("Joe <a@b>", ["a@b"], 1),
        ("<a@b> x", ["a@b", "x"], 1),
        ('"a b"@c', ["a b@c"], 0),
        ("g: a@b, c@d;", ["a@b", "c@d"], 4),
        ("a@[1.2.3.4]", ["a@[1.2.3.4]"], 0),
        ("", [], 0),
    ],
)
def test_parse_addresses(text: str, addresses: list[str], others: int) -> None:
    top = parse_addresses(text)
    found = [internalize(t.children) for t in top if t.type == "addr"]
    assert found == addresses
    assert len([t for t in top if t.type not in ("addr", "<", ">")]) == others


def never_bad(address: str, smtputf8: bool) -> bool:
    return True


@pytest.mark.parametrize(
    ("word", "strict", "allow_empty", "address", "bad"),
    [
        ("<a@b>", False, False, "a@b", False),
        ("a@b", False, False, "a@b", False),
        ("a@b", True, False, "a@b", True),
        ("<>", False, True, "", False),
        ("<>", False, False, "", True),
        ("<@r1,@r2:u@d>", False, False, "u@d", False),
        ("<@r1,@r2:u@d>", True, False, "u@d", False),
        ("<@x>", True, False, "@x", True),
        ("<a b@c>", False, False, "b@c", True),
        ("<a(c)@b>", False, False, "a@b", False),
        ("<a(c)@b>", True, False, "a@b", True),
        ('<"x y"@b>', False, False, "x y@b", False),
    ],
)
def test_extract_address(word: str, strict: bool, allow_empty: bool, address: str, bad: bool) -> None:
    result = extract_address(
        word, allow_empty=allow_empty, strict=strict, smtputf8=False, resolve_ok=never_bad
    )
    assert (result.address, result.bad) == (address, bad)


@pytest.mark.parametrize(
    ("address", "smtputf8", "ok"),
    [
        ("user", False, True),
        ("a@example.org", False, True),
        ("a@example.org.", False, True),
        ("a@", False, False),
        ("a@1.2.3.4", False, False),
        ("a@[1.2.3.4]", False, True),
        ("a@[1.2.3.400]", False, False),
        ("a@[IPv6:::1]", False, True),
        ("a@b..c", False, False),
        ("a@-b.c", False, False),
        ("a@\u00e9.example", False, False),
        ("a@\u00e9.example", True, True),
        ("j\u00f6rg@example.org", False, True),
    ],
)
def test_resolve_syntax(address: str, smtputf8: bool, ok: bool) -> None:
    assert resolve_syntax_ok(address, smtputf8) is ok


# Host names ---------------------------------------------------------------


def test_hostnames() -> None:
    assert valid_hostname("mail.example.com")
    assert valid_hostname("a_b.example")
    assert not valid_hostname("1.2.3.4")
    assert not valid_hostname("a-.example")
    assert not valid_hostname("a" * 64 + ".example")
    assert not valid_hostname("example.")
    assert valid_ipv4_hostaddr("0.0.0.0")
    assert not valid_ipv4_hostaddr("0.1.2.3")
    assert not valid_ipv4_hostaddr("1.2.3")
    assert valid_ipv6_hostaddr("::1")
    assert valid_ipv6_hostaddr("2001:db8::1.2.3.4")
    assert not valid_ipv6_hostaddr("1::2::3")
    assert valid_mailhost_literal("[IPv6:2001:db8::1]")
    assert not valid_mailhost_literal("[2001:db8::1]")


# ESMTP parameters -----------------------------------------------------------

OPTIONS = MailOptions(smtputf8=True, dsn=True)


def test_mail_params() -> None:
    params, error = parse_mail_params(["SIZE=10", "BODY=8bitmime", "RET=hdrs", "ENVID=a+2Bb"], OPTIONS)
    assert error is None
    assert (params.size, params.body, params.ret, params.envid) == (10, "8BITMIME", "HDRS", "a+b")


@pytest.mark.parametrize(
    ("args", "reply"),
    [
        (["SIZE=x"], replies.BAD_SIZE_SYNTAX),
        (["SIZE=" + "9" * 30], replies.SIZE_FS_LIMIT),
        (["RET=FULL", "RET=FULL"], replies.BAD_RET),
        (["ENVID=a+ZZ"], replies.BAD_ENVID),
        (["ENVID="], replies.BAD_ENVID),
        (["AUTH=a", "AUTH=b"], replies.MULTIPLE_AUTH),
        (["FOO"], replies.unsupported_option("FOO")),
        (["XVERP"], replies.unsupported_option("XVERP")),
    ],
)
def test_mail_param_errors(args: list[str], reply: Reply) -> None:
    _params, error = parse_mail_params(args, OPTIONS)
    assert error is not None and error.reply == reply


def test_dsn_discarded() -> None:
    _params, error = parse_mail_params(["RET=FULL"], MailOptions(smtputf8=True, dsn=False))
    assert error is not None and error.reply == replies.DSN_DISABLED


def test_rcpt_params() -> None:
    result = parse_rcpt_params(["NOTIFY=success,delay", "ORCPT=rfc822;a+40b"], True)
    assert result == RcptParams(frozenset({"SUCCESS", "DELAY"}), ("rfc822", "a@b"))
    bad = parse_rcpt_params(["NOTIFY=BOGUS"], True)
    assert isinstance(bad, ParamError)
    assert bad.warning == 'unknown DSN NOTIFY command value "BOGUS" in "BOGUS"'


def test_notify_and_xtext() -> None:
    assert notify_mask("NEVER") == frozenset({"NEVER"})
    assert notify_mask("NEVER,SUCCESS") is None
    assert notify_mask("") is None
    assert xtext_decode("a+2B+3d") == "a+="
    assert xtext_decode("a+2") is None
    assert uxtext_decode("a\\x{e9}") == "a\u00e9"
    assert uxtext_decode("a\\x{110000}") is None


# EHLO ----------------------------------------------------------------------


def test_ehlo_keywords() -> None:
    mask = discard_mask("dsn, SmtpUtf8 bogus silent-discard")
    assert mask == frozenset({"DSN", "SMTPUTF8", "SILENT-DISCARD"})
    assert mask_names(frozenset({"DSN", "SMTPUTF8"})) == "DSN EHLO_MASK_SMTPUTF8"
    lines = ehlo_lines(
        "mx",
        frozenset({"VRFY"}),
        message_size_limit=0,
        disable_vrfy=False,
        smtputf8_enable=False,
        features=EhloFeatures(starttls=True, auth_mechanisms="PLAIN LOGIN", broken_auth_clients=True),
    )
    assert lines == [
        "mx", "PIPELINING", "SIZE", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN",
        "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "CHUNKING",
    ]


# Replies, log texts, word lists ---------------------------------------------


def test_reply_render_and_parse() -> None:
    reply = Reply(550, "5.7.1", "first\nsecond")
    assert reply.render() == b"550-5.7.1 first\r\n550 5.7.1 second\r\n"
    assert reply.render(soft_bounce=True) == b"450-4.7.1 first\r\n450 4.7.1 second\r\n"
    assert Reply.parse("550 5.7.1 first\r\n550-5.7.1 second") == reply
    assert Reply.parse("250 Ok") == Reply(250, "", "Ok")
    assert str(reply) == "550 5.7.1 first"
    with pytest.raises(ValueError):
        Reply.parse("hello")


def test_log_texts() -> None:
    assert escape(b"a\\b\r\n\x00\xff") == "a\\\\b\\r\\n\\000\\377"
    assert printable("a\x01b\u00e9") == "a?b\u00e9"
    assert printable("a\u00e9", utf8=False) == "a??"
    assert lost_connection_text("lost connection", "END-OF-MESSAGE", "h[1]", 0) is None
    assert lost_connection_text("timeout", "END-OF-MESSAGE", "h[1]", 0) == (
        "timeout after END-OF-MESSAGE from h[1]"
    )
    assert lost_connection_text("lost connection", "DATA content", "h[1]", 42) == (
        "lost connection after DATA (42 bytes) from h[1]"
    )


def test_command_stats() -> None:
    stats = CommandStats()
    assert stats.format() == " commands=0/0"
    for name, ok in (("EHLO", True), ("MAIL", True), ("RCPT", False), ("unknown", False)):
        stats.received(name)
        if ok:
            stats.succeeded(name)
    assert stats.format() == " ehlo=1 mail=1 rcpt=0/1 unknown=0/1 commands=2/4"


def test_word_list_and_headers() -> None:
    forbidden = WordList("CONNECT GET POST regexp:{{/^[^A-Z]/ Bogus}}")
    assert forbidden("get") and forbidden("1234") and not forbidden("foo")
    assert WordList("XYZZY, !CONNECT, CONNECT")("xyzzy")
    assert not WordList("XYZZY, !CONNECT, CONNECT")("CONNECT")
    assert is_header("Subject:") and is_header("X-Foo :") and not is_header("X-Foo")
    assert not is_header(":")


def test_settings_from_config() -> None:
    from pyfix.config.maincf import parse_main_cf
    from pyfix.config.store import Config
    from pyfix.smtp.settings import ServerSettings, SettingsError

    text = "smtpd_forbid_bare_newline = Reject\nmessage_size_limit = 0\nsmtpd_noop_commands = X\n"
    settings = ServerSettings.from_config(Config(parse_main_cf("main.cf", text, print)))
    assert settings.bare_newline_reject and settings.message_size_limit == 0
    assert settings.noop_commands("x") and not settings.noop_commands("y")
    with pytest.raises(SettingsError, match="bad parameter value: 'smtpd_forbid_bare_newline = x'"):
        ServerSettings(forbid_bare_newline="x")
