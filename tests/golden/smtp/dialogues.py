"""SMTP dialogues recorded from real Postfix smtpd (see README.md).

Each Dialogue names a profile (profiles/NAME.cf, added to postfix/main.cf)
and a list of steps.  A step is the bytes that the client sends at once;
the recorder then collects the server's replies until it has a complete
reply and the server has been quiet for a moment (Step.expect="none": the
step expects no reply, e.g. message content before the final dot).  The
greeting is read first, unless pre_greeting holds bytes that the client
sends before it.  After the last step the client closes the connection.

This module is plain data: record.py turns it into expected/NAME.json,
which holds everything the tests need.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    send: bytes
    expect: str = "reply"  # "reply", "none", or "timeout" (wait for smtpd_timeout)


@dataclass(frozen=True)
class Dialogue:
    name: str
    profile: str
    steps: list[Step]
    pre_greeting: bytes = b""
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def steps(*items: bytes | Step) -> list[Step]:
    return [item if isinstance(item, Step) else Step(item) for item in items]


def quiet(data: bytes) -> Step:
    return Step(data, expect="none")


def wait_timeout() -> Step:
    """Send nothing and wait for the server's timeout reply."""
    return Step(b"", expect="timeout")


EHLO = b"EHLO client.example\r\n"
HELO = b"HELO client.example\r\n"
MAIL = b"MAIL FROM:<sender@example.org>\r\n"
RCPT = b"RCPT TO:<rcpt@example.com>\r\n"
QUIT = b"QUIT\r\n"
MSG = b"Subject: test\r\n\r\nHello.\r\n.\r\n"

DIALOGUES: list[Dialogue] = []


def add(name: str, profile: str, *items: bytes | Step, pre: bytes = b"", notes: str = "") -> None:
    DIALOGUES.append(Dialogue(name, profile, steps(*items), pre, notes))


# ---------------------------------------------------------------- greeting/HELO
add("helo_basic", "base", HELO, QUIT)
add("ehlo_basic", "base", EHLO, QUIT)
add("ehlo_lowercase", "base", b"ehlo client.example\r\n", b"quit\r\n")
add("helo_noarg", "base", b"HELO\r\n", b"EHLO\r\n", b"HELO  \r\n", QUIT)
add("helo_multiarg", "base", b"HELO a b  c\r\n", b"EHLO x\ty\r\n", QUIT)
add("helo_specials", "base", b"HELO <x>;@(y)\"z\\\r\n", QUIT)
add("helo_twice", "base", EHLO, HELO, EHLO, QUIT)
add("helo_resets_mail", "base", EHLO, MAIL, HELO, RCPT, b"DATA\r\n", QUIT)
add("ehlo_resets_mail", "base", EHLO, MAIL, RCPT, EHLO, b"DATA\r\n", QUIT)
add("no_quit_after_ehlo", "base", EHLO)
add("no_commands", "base")
add("pre_greeting_base", "base", EHLO, QUIT, pre=b"EHLO early.example\r\n")
add("pre_greeting_forbid", "pyfix-defaults", EHLO, QUIT, pre=b"EHLO early.example\r\n")
add("quit_args", "base", b"QUIT now please\r\n")
add("quit_pipelined_junk", "base", b"QUIT\r\nNOOP\r\nNOOP\r\n")
add("empty_line", "base", b"\r\n", b"   \r\n", b"\t\r\n", QUIT)
add("nul_in_command", "base", b"NOOP\x00junk\r\n", b"\x00EHLO x\r\n", b"EH\x00LO x\r\n", QUIT)
add("utf8_helo", "base", b"EHLO \xc3\xa9t\xc3\xa9.example\r\n", QUIT)
add("bad_utf8_command", "base", b"EHLO \xff\xfe.example\r\n", b"NOOP \xc3\r\n", QUIT)
add("bad_utf8_noutf8", "noutf8", b"EHLO \xff\xfe.example\r\n", b"NOOP \xc3\r\n", QUIT)
add("ehlo_noutf8", "noutf8", EHLO, QUIT)
add("ehlo_nosize", "nosize", EHLO, QUIT)
add("ehlo_limits", "limits", EHLO, QUIT)
add("ehlo_discard_all", "discard-all", EHLO, b"VRFY user\r\n", QUIT)
add("ehlo_discard_some", "discard-some", EHLO, QUIT)
add("ehlo_strict", "strict", EHLO, QUIT)

# ---------------------------------------------------------------- unknown/forbidden
add("unknown_command", "base", b"FOO\r\n", b"FOO bar baz\r\n", b"XYZZY\r\n", QUIT)
add("header_as_command", "base", b"Subject: hello\r\n", QUIT)
add("header_space_colon", "base", b"X-Foo : bar\r\n", QUIT)
add("forbidden_get", "base", b"GET / HTTP/1.0\r\n", QUIT)
add("forbidden_post", "base", b"POST /x HTTP/1.1\r\n")
add("forbidden_connect", "base", b"CONNECT host:25 HTTP/1.0\r\n")
add("forbidden_lowercase", "base", b"foo bar\r\n", QUIT)
add("forbidden_digit", "base", b"1234\r\n", QUIT)
add("known_lowercase_ok", "base", b"noop\r\n", b"rset\r\n", QUIT)
add("starttls_disabled", "base", EHLO, b"STARTTLS\r\n", b"STARTTLS now\r\n", QUIT)
add("auth_disabled", "base", EHLO, b"AUTH PLAIN AGFhAGI=\r\n", QUIT)
add("auth_helo_required", "strict", b"AUTH PLAIN\r\n", QUIT)
add("xclient_unauthorized", "base", EHLO, b"XCLIENT NAME=foo\r\n", b"XCLIENT\r\n", QUIT)
add("xforward_unauthorized", "base", EHLO, b"XFORWARD NAME=foo\r\n", b"XFORWARD\r\n", QUIT)
add("xclient_in_mail", "base", EHLO, MAIL, b"XCLIENT NAME=foo\r\n", b"XFORWARD NAME=x\r\n", QUIT)

# ---------------------------------------------------------------- NOOP/RSET/VRFY/ETRN
add("noop_rset", "base", b"NOOP\r\n", b"NOOP with args\r\n", b"RSET\r\n", b"RSET x\r\n", QUIT)
add("rset_transaction", "base", EHLO, MAIL, RCPT, b"RSET\r\n", RCPT, MAIL, QUIT)
add("vrfy_forms", "base", EHLO, b"VRFY\r\n", b"VRFY user\r\n", b"VRFY <user@example.com>\r\n",
    b"VRFY User Name <user@example.com>\r\n", b"VRFY a b\r\n", b"VRFY <>\r\n",
    b"VRFY user SMTPUTF8\r\n", b"VRFY SMTPUTF8\r\n", b"VRFY <a@b\r\n", QUIT)
add("vrfy_8bit", "base", b"VRFY j\xc3\xb6rg@example.com\r\n", b"VRFY j\xc3\xb6rg@\xc3\xa9.example\r\n",
    b"VRFY j\xc3\xb6rg@\xc3\xa9.example SMTPUTF8\r\n", QUIT)
add("vrfy_noutf8", "noutf8", b"VRFY\r\n", b"VRFY user SMTPUTF8\r\n", QUIT)
add("vrfy_disabled", "strict", b"VRFY user\r\n", b"VRFY\r\n", QUIT)
add("etrn_forms", "base", EHLO, b"ETRN\r\n", b"ETRN a b\r\n", b"ETRN example.com\r\n",
    b"ETRN @example.com\r\n", b"ETRN #example.com\r\n", b"ETRN [127.0.0.1]\r\n",
    b"ETRN bad..domain\r\n", b"ETRN [1.2.3]\r\n", QUIT)
add("etrn_in_mail", "base", EHLO, MAIL, b"ETRN example.com\r\n", QUIT)
add("etrn_helo_required", "strict", b"ETRN example.com\r\n", QUIT)

# ---------------------------------------------------------------- MAIL
add("mail_basic", "base", EHLO, MAIL, QUIT)
add("mail_before_helo", "base", MAIL, RCPT, QUIT)
add("mail_helo_required", "strict", MAIL, HELO, MAIL, QUIT)
add("mail_nested", "base", EHLO, MAIL, MAIL, QUIT)
add("mail_syntax", "base", EHLO, b"MAIL\r\n", b"MAIL FROM\r\n", b"MAIL FROM:\r\n",
    b"MAIL TO:<a@example.org>\r\n", b"MAIL FROM :<a@example.org>\r\n",
    b"MAIL FROM: <a@example.org>\r\n", QUIT)
add("mail_from_space_addr", "base", EHLO, b"MAIL FROM:   <a@example.org>   \r\n", QUIT)
add("mail_null_sender", "base", EHLO, b"MAIL FROM:<>\r\n", RCPT, QUIT)
add("mail_no_brackets", "base", EHLO, b"MAIL FROM:a@example.org\r\n", QUIT)
add("mail_unterminated", "base", EHLO, b"MAIL FROM:<a@example.org\r\n", b"MAIL FROM:\"a@example.org\r\n", QUIT)
add("mail_two_addresses", "base", EHLO, b"MAIL FROM:<a b@example.org>\r\n", QUIT)
add("mail_quoted_local", "base", EHLO, b"MAIL FROM:<\"a b\"@example.org>\r\n", RCPT, QUIT)
add("mail_quoted_specials", "base", EHLO, b"MAIL FROM:<\"a>b\"@example.org>\r\n", QUIT)
add("mail_source_route", "base", EHLO, b"MAIL FROM:<@r1.example,@r2.example:a@example.org>\r\n", QUIT)
add("mail_comment", "base", EHLO, b"MAIL FROM:<a(comment)@example.org>\r\n", QUIT)
add("mail_nested_brackets", "base", EHLO, b"MAIL FROM:<<a@example.org>>\r\n", QUIT)
add("mail_phrase", "base", EHLO, b"MAIL FROM:Joe <a@example.org>\r\n", QUIT)
add("mail_trailing_junk", "base", EHLO, b"MAIL FROM:<a@example.org>junk\r\n", QUIT)
add("mail_domains", "base", EHLO,
    b"MAIL FROM:<a@[127.0.0.1]>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@[1.2.3.999]>\r\n",
    b"MAIL FROM:<a@[IPv6:::1]>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@1.2.3.4>\r\n",
    b"MAIL FROM:<a@-bad.example>\r\n",
    b"MAIL FROM:<a@b..example>\r\n",
    b"MAIL FROM:<a@example.org.>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@>\r\n",
    b"MAIL FROM:<@>\r\n",
    b"MAIL FROM:<a@b_c.example>\r\n", b"RSET\r\n",
    b"MAIL FROM:<user>\r\n", b"RSET\r\n",
    QUIT)
add("mail_8bit", "base", EHLO,
    b"MAIL FROM:<j\xc3\xb6rg@example.org>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@\xc3\xa9.example>\r\n",
    b"MAIL FROM:<a@\xc3\xa9.example> SMTPUTF8\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@\xc3\xa9.example> smtputf8\r\n", QUIT)
add("mail_8bit_noutf8", "noutf8", EHLO,
    b"MAIL FROM:<j\xc3\xb6rg@example.org>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@\xc3\xa9.example>\r\n",
    b"MAIL FROM:<a@example.org> SMTPUTF8\r\n", QUIT)
add("mail_size", "base", EHLO,
    b"MAIL FROM:<a@example.org> SIZE=1000\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> SIZE=10240000\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> SIZE=10240001\r\n",
    b"MAIL FROM:<a@example.org> SIZE=abc\r\n",
    b"MAIL FROM:<a@example.org> SIZE=\r\n",
    b"MAIL FROM:<a@example.org> SIZE=-1\r\n",
    b"MAIL FROM:<a@example.org> SIZE=99999999999999999999999\r\n",
    b"MAIL FROM:<a@example.org> size=10\r\n", QUIT)
add("mail_size_nolimit", "nosize", EHLO, b"MAIL FROM:<a@example.org> SIZE=999999999999\r\n", QUIT)
add("mail_body", "base", EHLO,
    b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> BODY=7BIT\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> body=8bitmime\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> BODY=BINARYMIME\r\n",
    b"MAIL FROM:<a@example.org> BODY=\r\n", QUIT)
add("mail_dsn", "base", EHLO,
    b"MAIL FROM:<a@example.org> RET=FULL ENVID=abc+2Bdef\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> RET=hdrs\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> RET=BOGUS\r\n",
    b"MAIL FROM:<a@example.org> RET=FULL RET=FULL\r\n",
    b"MAIL FROM:<a@example.org> ENVID=\r\n",
    b"MAIL FROM:<a@example.org> ENVID=a+ZZ\r\n",
    b"MAIL FROM:<a@example.org> ENVID=a+0A\r\n",
    b"MAIL FROM:<a@example.org> ENVID=x ENVID=y\r\n", QUIT)
add("mail_dsn_discarded", "discard-some", EHLO,
    b"MAIL FROM:<a@example.org> RET=FULL\r\n", b"MAIL FROM:<a@example.org> ENVID=x\r\n",
    b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.com> NOTIFY=NEVER\r\n",
    b"RCPT TO:<b@example.com> ORCPT=rfc822;b@example.com\r\n", QUIT)
add("mail_unknown_params", "base", EHLO,
    b"MAIL FROM:<a@example.org> FOO=bar\r\n",
    b"MAIL FROM:<a@example.org> XVERP\r\n",
    b"MAIL FROM:<a@example.org> AUTH=<>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> AUTH=<> AUTH=<>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> AUTH=x@y AUTH=z@w\r\n",
    b"MAIL FROM:<a@example.org> SIZE=10 FOO\r\n", QUIT)
add("mail_strict", "strict", HELO,
    b"MAIL FROM:a@example.org\r\n",
    b"MAIL FROM: <a@example.org>\r\n", b"RSET\r\n",
    b"MAIL FROM:<a(comment)@example.org>\r\n",
    b"MAIL FROM:<@r1.example:a@example.org>\r\n", b"RSET\r\n",
    b"MAIL FROM:<\"a b\"@example.org>\r\n", b"RSET\r\n",
    b"MAIL FROM:<>\r\n", QUIT)
add("mail_long_address", "base", EHLO,
    b"MAIL FROM:<" + b"a" * 1000 + b"@example.org>\r\n", QUIT)

# ---------------------------------------------------------------- RCPT
add("rcpt_without_mail", "base", EHLO, RCPT, QUIT)
add("rcpt_syntax", "base", EHLO, MAIL, b"RCPT\r\n", b"RCPT TO\r\n", b"RCPT TO:\r\n",
    b"RCPT FROM:<a@example.com>\r\n", b"RCPT TO:<>\r\n", b"RCPT TO:<a@example.com\r\n",
    b"RCPT TO:<a b@example.com>\r\n", b"RCPT TO: <a@example.com>\r\n", QUIT)
add("rcpt_params", "base", EHLO, MAIL,
    b"RCPT TO:<a@example.com> NOTIFY=SUCCESS,FAILURE,DELAY\r\n",
    b"RCPT TO:<a@example.com> NOTIFY=NEVER\r\n",
    b"RCPT TO:<a@example.com> notify=never\r\n",
    b"RCPT TO:<a@example.com> NOTIFY=NEVER,SUCCESS\r\n",
    b"RCPT TO:<a@example.com> NOTIFY=BOGUS\r\n",
    b"RCPT TO:<a@example.com> NOTIFY=\r\n",
    b"RCPT TO:<a@example.com> NOTIFY=SUCCESS NOTIFY=FAILURE\r\n",
    b"RCPT TO:<a@example.com> ORCPT=rfc822;a@example.com\r\n",
    b"RCPT TO:<a@example.com> ORCPT=rfc822;a+40b@example.com\r\n",
    b"RCPT TO:<a@example.com> ORCPT=utf-8;a\\x{e9}@example.com\r\n",
    b"RCPT TO:<a@example.com> ORCPT=rfc822\r\n",
    b"RCPT TO:<a@example.com> ORCPT=;a@example.com\r\n",
    b"RCPT TO:<a@example.com> ORCPT=rfc822;a+zz\r\n",
    b"RCPT TO:<a@example.com> ORCPT=utf-8;a\\x{zz}\r\n",
    b"RCPT TO:<a@example.com> ORCPT=rfc822;a ORCPT=rfc822;b\r\n",
    b"RCPT TO:<a@example.com> SIZE=10\r\n",
    b"RCPT TO:<a@example.com> BODY=8BITMIME\r\n",
    QUIT)
add("rcpt_forms", "base", EHLO, MAIL,
    b"RCPT TO:<postmaster>\r\n", b"RCPT TO:<Postmaster@mail.example.test>\r\n",
    b"RCPT TO:<\"x y\"@example.com>\r\n", b"RCPT TO:<@r.example:u@example.com>\r\n",
    b"RCPT TO:<u%v@example.com>\r\n", b"RCPT TO:<a@[127.0.0.1]>\r\n",
    b"RCPT TO:<a@[300.0.0.1]>\r\n", b"RCPT TO:<a@>\r\n", b"RCPT TO:u@example.com\r\n",
    b"RCPT TO:<j\xc3\xb6rg@example.com>\r\n", b"RCPT TO:<a@\xc3\xa9.example>\r\n", QUIT)
add("rcpt_smtputf8", "base", EHLO, b"MAIL FROM:<a@example.org> SMTPUTF8\r\n",
    b"RCPT TO:<a@\xc3\xa9.example>\r\n", QUIT)
add("rcpt_limit", "limits", EHLO, MAIL,
    b"RCPT TO:<a1@example.com>\r\n", b"RCPT TO:<a2@example.com>\r\n",
    b"RCPT TO:<a3@example.com>\r\n", b"RCPT TO:<a4@example.com>\r\n",
    b"RCPT TO:<a5@example.com>\r\n", b"RCPT TO:<a6@example.com>\r\n",
    b"RCPT TO:<a7@example.com>\r\n", b"DATA\r\n", MSG, QUIT)
add("rcpt_strict", "strict", HELO, MAIL,
    b"RCPT TO:a@example.com\r\n", b"RCPT TO:<a@example.com> \r\n", QUIT)

# ---------------------------------------------------------------- DATA
add("data_basic", "base", EHLO, MAIL, RCPT, b"DATA\r\n", MSG, QUIT)
add("data_helo", "base", HELO, MAIL, RCPT, b"DATA\r\n", MSG, QUIT)
add("data_no_mail", "base", EHLO, b"DATA\r\n", QUIT)
add("data_no_rcpt", "base", EHLO, MAIL, b"DATA\r\n", QUIT)
add("data_args", "base", EHLO, MAIL, RCPT, b"DATA now\r\n", QUIT)
add("data_rejected_rcpt", "base", EHLO, MAIL, b"RCPT TO:<>\r\n", b"DATA\r\n", QUIT)
add("data_two_messages", "base", EHLO, MAIL, RCPT, b"DATA\r\n", MSG, MAIL, RCPT, RCPT,
    b"DATA\r\n", MSG, QUIT)
add("data_dot_stuffing", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"..leading dot\r\n.\r\r\n. \r\n"), quiet(b"...\r\n"), b".\r\n", QUIT)
add("data_empty", "base", EHLO, MAIL, RCPT, b"DATA\r\n", b".\r\n", QUIT)
add("data_pipelined", "base", EHLO, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n",
    b"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
add("data_pipelined_all", "base", b"EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
add("data_pipelined_forbid", "pyfix-defaults", EHLO,
    b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n",
    b"Subject: x\r\n\r\nbody\r\n.\r\n", QUIT)
add("data_pipelined_content_forbid", "pyfix-defaults", EHLO,
    b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
add("helo_pipelined_forbid", "pyfix-defaults", b"HELO x\r\nMAIL FROM:<a@example.org>\r\n", QUIT)
add("ehlo_pipelined_forbid", "pyfix-defaults", b"EHLO x\r\nMAIL FROM:<a@example.org>\r\n", QUIT)
add("noop_pipelined_forbid", "pyfix-defaults", EHLO, b"NOOP\r\nNOOP\r\n", QUIT)
add("rset_pipelined_forbid", "pyfix-defaults", EHLO, b"RSET\r\nRSET\r\nNOOP\r\n", QUIT)
add("no_helo_pipelined_forbid", "pyfix-defaults", b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n", QUIT)
add("quit_pipelined_forbid", "pyfix-defaults", EHLO, b"QUIT\r\nNOOP\r\n")
add("data_crlf_variants_normalize", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"line1\nline2\r\n\n.\n"), quiet(b"after bare dot\r\n.\nmore\r\n"),
    quiet(b"cr\rinside\r\n\r.\r\n"), b".\r\n", QUIT)
add("data_bare_lf_dot_normalize", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"a\n.\r\n"), b"b\r\n.\r\n", QUIT)
add("data_bare_lf_no", "bare-no", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"line1\nline2\n.\n", QUIT)
add("data_bare_lf_no_cr", "bare-no", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"x\r\r\n.\r\r\n"), QUIT)
add("data_bare_lf_excluded", "bare-excluded", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"line1\nline2\n.\n", b"EHLO x\n", QUIT)
add("data_bare_lf_reject", "bare-reject", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"line1\nline2\r\n"), b".\r\n", MAIL, QUIT)
add("data_bare_lf_reject_dot", "bare-reject", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"line1\r\n.\n"), b".\r\n", QUIT)
add("data_bare_lf_reject_554", "bare-reject-554", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"x\ny\r\n"), b".\r\n", QUIT)
add("data_bare_cr_reject", "bare-reject", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"a\rb\r\n.\r\n", QUIT)
add("command_bare_lf_normalize", "base", b"EHLO x\n", b"NOOP\n", b"MAIL FROM:<a@example.org>\n", QUIT)
add("command_bare_lf_reject", "bare-reject", EHLO, b"NOOP\n", QUIT)
add("command_bare_lf_reject_554", "bare-reject-554", b"EHLO x\n")
add("command_bare_cr", "base", b"NOOP\rNOOP\r\n", b"EHLO x\r\r\n", QUIT)
add("command_bare_cr_no", "bare-no", b"NOOP\r\r\n", b"EHLO x\r\r\r\n", QUIT)
add("data_nul_8bit", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"Subject: \xc3\xa9\r\n\r\nnul\x00byte\xff\xfe\r\n.\r\n", QUIT)
add("data_from_line", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"From someone Mon Jan 1\r\n>From again\r\n Subject: leading space\r\n\r\nx\r\n.\r\n", QUIT)
add("data_long_line", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"x" * 5000 + b"\r\n"), quiet(b"y" * 2048 + b".\r\n"), b"z" * 2047 + b"\r\n.\r\n", QUIT)
add("data_long_line_dot_boundary", "base", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"x" * 2048 + b"\r\n.\r\n"), b".\r\n", QUIT)
add("data_size_exceeded", "limits", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 80), b".\r\n", MAIL, QUIT)
add("data_size_fits", "limits", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"Subject: small\r\n\r\n" + (b"x" * 70 + b"\r\n") * 10 + b".\r\n", QUIT)
add("data_size_exact_boundary", "limits", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"y" * 4094), quiet(b"\r\n"), b".\r\n", QUIT)
add("data_size_param", "limits", EHLO, b"MAIL FROM:<a@example.org> SIZE=4096\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> SIZE=4097\r\n", QUIT)
add("data_lost_connection", "base", EHLO, MAIL, RCPT, b"DATA\r\n", quiet(b"Subject: x\r\n\r\npartial"))
add("data_rset_after", "base", EHLO, MAIL, RCPT, b"DATA\r\n", MSG, b"RSET\r\n", RCPT, QUIT)

# ---------------------------------------------------------------- BDAT
add("bdat_basic", "base", EHLO, MAIL, RCPT, b"BDAT 21 LAST\r\nSubject: x\r\n\r\nhello\r\n", QUIT)
add("bdat_chunks", "base", EHLO, MAIL, RCPT, b"BDAT 12\r\nSubject: x\r\n", b"BDAT 9\r\n\r\nhello\r\n",
    b"BDAT 0 LAST\r\n", QUIT)
add("bdat_no_eol", "base", EHLO, MAIL, RCPT, b"BDAT 5 LAST\r\nhello", QUIT)
add("bdat_split_crlf", "base", EHLO, MAIL, RCPT, b"BDAT 6\r\nhello\r", b"BDAT 7 last\r\n\nworld", QUIT)
add("bdat_dots", "base", EHLO, MAIL, RCPT, b"BDAT 15 LAST\r\n.\r\n..\r\n.x\r\n\r\n", QUIT)
add("bdat_without_mail", "base", EHLO, b"BDAT 5\r\nhello", b"BDAT 3 LAST\r\nabc", QUIT)
add("bdat_without_rcpt", "base", EHLO, MAIL, b"BDAT 5\r\nhello", b"BDAT 3 LAST\r\nabc", MAIL, QUIT)
add("bdat_syntax_noarg", "base", EHLO, MAIL, RCPT, b"BDAT\r\n")
add("bdat_syntax_word", "base", EHLO, b"BDAT x\r\n")
add("bdat_syntax_notlast", "base", EHLO, b"BDAT 10 FIRST\r\n")
add("bdat_syntax_toomany", "base", EHLO, b"BDAT 1 LAST x\r\n")
add("bdat_syntax_negative", "base", EHLO, b"BDAT -1\r\n")
add("bdat_overflow", "base", EHLO, MAIL, RCPT, b"BDAT 99999999999999999999999\r\n")
add("bdat_null_chunk", "base", EHLO, MAIL, RCPT, b"BDAT 0\r\n", b"BDAT 3\r\nabc",
    b"BDAT 2 LAST\r\nde", RCPT, QUIT)
add("bdat_then_mail_rcpt_data", "base", EHLO, MAIL, RCPT, b"BDAT 3\r\nabc", MAIL, RCPT, b"DATA\r\n",
    b"BDAT 0 LAST\r\n", QUIT)
add("bdat_size_exceeded", "limits", EHLO, MAIL, RCPT, b"BDAT 5000\r\n" + b"x" * 5000,
    b"BDAT 2 LAST\r\nab", QUIT)
add("bdat_size_lines", "limits", EHLO, MAIL, RCPT, b"BDAT 3000\r\n" + (b"x" * 98 + b"\r\n") * 30,
    b"BDAT 3000 LAST\r\n" + (b"y" * 98 + b"\r\n") * 30, QUIT)
add("bdat_discarded", "discard-all", EHLO, MAIL, RCPT, b"BDAT 5 LAST\r\nhello")
add("bdat_pipelined", "base", EHLO, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
    b"BDAT 5\r\nhelloBDAT 7 LAST\r\n world\r\nQUIT\r\n")
add("bdat_pipelined_forbid", "pyfix-defaults", EHLO, b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"
    b"BDAT 5\r\nhelloBDAT 7 LAST\r\n world\r\nQUIT\r\n")
add("bdat_bare_lf_reject", "bare-reject", EHLO, MAIL, RCPT, b"BDAT 8 LAST\r\na\nb\r\nc\r\n", QUIT)
add("bdat_bare_lf_normalize", "base", EHLO, MAIL, RCPT, b"BDAT 8 LAST\r\na\nb\r\nc\r\n", QUIT)
add("bdat_long_line", "limits", EHLO, MAIL, RCPT, b"BDAT 1202 LAST\r\n" + b"x" * 1200 + b"\r\n", QUIT)
add("bdat_lost_connection", "base", EHLO, MAIL, RCPT, quiet(b"BDAT 100\r\npartial"))
add("bdat_then_data_content", "base", EHLO, MAIL, RCPT, b"BDAT 3\r\nabc", b"BDAT 2\r\n\r\n",
    b"BDAT 0 LAST\r\n", QUIT)
add("bdat_helo_resets", "base", EHLO, MAIL, RCPT, b"BDAT 3\r\nabc", EHLO, MAIL, QUIT)

# ---------------------------------------------------------------- limits
add("error_limit", "limits", *([b"FOO\r\n"] * 8))
add("error_limit_base", "base", *([b"FOO\r\n"] * 22))
add("junk_limit", "limits", EHLO, *([b"NOOP\r\n"] * 14))
add("junk_limit_rset", "limits", *([b"RSET\r\n"] * 12))
add("junk_reset_by_message", "limits", EHLO, b"NOOP\r\n", b"NOOP\r\n", b"NOOP\r\n", b"NOOP\r\n",
    b"NOOP\r\n", b"NOOP\r\n", MAIL, RCPT, b"DATA\r\n", MSG, *([b"NOOP\r\n"] * 6), QUIT)
add("long_command", "base", b"NOOP " + b"x" * 3000 + b"\r\n", EHLO,
    b"MAIL FROM:<" + b"a" * 3000 + b"@example.org>\r\n", QUIT)
add("long_command_limits", "limits", b"NOOP " + b"x" * 600 + b"\r\n", b"X" * 511 + b"\r\n",
    b"NOOP " + b"y" * 505 + b"\r\n", b"NOOP " + b"z" * 506 + b"\r\n", QUIT)
add("long_command_unknown", "limits", b"X" * 2000 + b"\r\n", QUIT)
add("errors_then_success", "limits", EHLO, b"FOO\r\n", b"FOO\r\n", b"MAIL\r\n", MAIL, RCPT,
    b"DATA\r\n", MSG, b"FOO\r\n", b"FOO\r\n", b"FOO\r\n", b"FOO\r\n", b"FOO\r\n", b"FOO\r\n")
add("rcpt_limit_then_data", "limits", EHLO, MAIL,
    b"RCPT TO:<a1@example.com>\r\nRCPT TO:<a2@example.com>\r\nRCPT TO:<a3@example.com>\r\n"
    b"RCPT TO:<a4@example.com>\r\nRCPT TO:<a5@example.com>\r\nRCPT TO:<a6@example.com>\r\n",
    QUIT)

# ---------------------------------------------------------------- more limits
add("error_limit_pipelined", "limits", b"FOO\r\n" * 10, QUIT)
add("mail_size_stale", "base", EHLO, b"MAIL FROM:<a@example.org> SIZE=10240001\r\n",
    b"MAIL FROM:<a@example.org>\r\n", b"MAIL FROM:<a@example.org> SIZE=1 FOO\r\n",
    b"MAIL FROM:<a@example.org>\r\n", QUIT)
add("mail_size_stale_rset", "base", EHLO, b"MAIL FROM:<a@example.org> SIZE=10240001\r\n",
    b"RSET\r\n", b"MAIL FROM:<a@example.org>\r\n", QUIT)
add("data_line_limit_boundaries", "limits", EHLO, MAIL, RCPT, b"DATA\r\n",
    quiet(b"a" * 510 + b"\r\n" + b"b" * 511 + b"\r\n" + b"c" * 512 + b"\r\n" + b"d" * 511 + b"\n"),
    quiet(b"." + b"e" * 511 + b"\r\n" + b"f" * 511 + b"\r.\r\n"), b".\r\n", QUIT)
add("command_line_limit_cr", "limits", b"NOOP " + b"x" * 506 + b"\r\n", b"NOOP " + b"y" * 507 + b"\r\n",
    b"NOOP " + b"z" * 505 + b"\r\r\n", QUIT)
add("bdat_fragments", "base", EHLO, MAIL, RCPT,
    b"BDAT 5000\r\n" + b"x" * 2046 + b"\r\n" + b"y" * 2048 + b"\r\n" + b"z" * 902,
    b"BDAT 4 LAST\r\nend\n", QUIT)
add("bdat_fragment_boundary_line", "base", EHLO, MAIL, RCPT,
    b"BDAT 4097 LAST\r\n" + b"p" * 2048 + b"q" * 2048 + b"\n", QUIT)

# ---------------------------------------------------------------- policy hooks
add("client_reject", "client-reject", EHLO, MAIL, b"NOOP\r\n", QUIT)
add("helo_reject", "helo-reject", b"HELO bad.example\r\n", b"EHLO bad.example\r\n",
    b"HELO good.example\r\n", MAIL, QUIT)
add("data_reject", "data-reject", EHLO, MAIL, RCPT, b"DATA\r\n", MAIL, RCPT, QUIT)
add("data_reject_bdat", "data-reject", EHLO, MAIL, RCPT, b"BDAT 5\r\nhello", b"BDAT 3 LAST\r\nabc",
    MAIL, QUIT)
add("eod_reject", "eod-reject", EHLO, MAIL, RCPT, b"DATA\r\n", MSG, MAIL, RCPT, b"RSET\r\n",
    MAIL, QUIT)
add("eod_reject_bdat", "eod-reject", EHLO, MAIL, RCPT, b"BDAT 5 LAST\r\nhello", MAIL, QUIT)
add("body_reject", "body-reject", EHLO, MAIL, RCPT, b"DATA\r\n",
    b"Subject: x\r\n\r\nREJECTME please\r\n.\r\n", MAIL, RCPT, b"DATA\r\n", MSG, QUIT)
add("body_reject_bdat", "body-reject", EHLO, MAIL, RCPT, b"BDAT 25 LAST\r\nSubject: x\r\n\r\nREJECTME\r\n",
    MAIL, QUIT)
add("timeout_after_ehlo", "timeout", EHLO, wait_timeout())
add("timeout_in_data", "timeout", EHLO, MAIL, RCPT, b"DATA\r\n", quiet(b"Subject: x\r\n\r\nbody\r\n"),
    wait_timeout())
add("timeout_in_bdat", "timeout", EHLO, MAIL, RCPT, quiet(b"BDAT 20\r\nabc"), wait_timeout())

# ---------------------------------------------------------------- TLS hooks
add("tls_ehlo", "tls", EHLO, b"STARTTLS extra\r\n", b"STARTTLS\r\n")
add("tls_pipelined_after_starttls", "tls", EHLO, b"STARTTLS\r\nNOOP\r\n")
add("tls_helo_then_starttls", "tls", HELO, MAIL, b"STARTTLS\r\n")
add("tls_required", "tls-encrypt", EHLO, MAIL, b"NOOP\r\n", b"VRFY x\r\n", b"HELO x\r\n",
    b"FOO\r\n", QUIT)

# ---------------------------------------------------------------- other settings
add("soft_bounce", "soft-bounce", EHLO, b"MAIL FROM:<a@example.org> SIZE=abc\r\n",
    b"MAIL FROM:<a@example.org> SIZE=99999999\r\n", b"DATA\r\n", b"FOO\r\n", QUIT)
add("command_lists", "command-lists", b"FOO\r\n", b"bar baz\r\n", b"Foo\r\n", b"GET /\r\n",
    b"1234\r\n", b"CONNECT x\r\n")
add("command_lists_forbidden", "command-lists", b"xyzzy\r\n")
add("discard_log", "discard-log", EHLO, b"MAIL FROM:<a@example.org> SMTPUTF8\r\n",
    b"MAIL FROM:<a@example.org> RET=FULL\r\n", b"VRFY x SMTPUTF8\r\n", QUIT)
add("strict_smtputf8", "strict-utf8", EHLO, b"MAIL FROM:<j\xc3\xb6rg@example.org>\r\n",
    b"MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\n", b"RCPT TO:<\xc3\xa9@example.com>\r\n",
    b"RSET\r\n", MAIL, b"RCPT TO:<\xc3\xa9@example.com>\r\n", b"VRFY \xc3\xa9@example.com\r\n",
    b"VRFY \xc3\xa9@example.com SMTPUTF8\r\n", QUIT)
add("verp", "verp", EHLO, b"MAIL FROM:<a@example.org> XVERP\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> XVERP=-=\r\n", b"RSET\r\n",
    b"MAIL FROM:<a@example.org> XVERP=ab\r\n", b"MAIL FROM:<a@example.org> XVERP=+\r\n",
    b"MAIL FROM:<> XVERP\r\n", b"MAIL FROM:<a@example.org> xverp\r\n", QUIT)
add("helo_8bit_neuter", "base", b"HELO a\x01b<c>\xc3\xa9\r\n", MAIL, b"RCPT TO:<>\r\n",
    b"RCPT TO:<u@example.com>\r\n", b"DATA\r\n", quiet(b"a\nb\r\n"), b".\r\n", QUIT)
add("helo_8bit_reject_log", "bare-reject", b"HELO a\x01b<c>;@x\r\n", MAIL, b"RCPT TO:<u@example.com>\r\n",
    b"NOOP\n")
add("bdat_lost_between_chunks", "base", EHLO, MAIL, RCPT, b"BDAT 7\r\nab\r\ncde")
add("data_lost_after_354", "base", EHLO, MAIL, RCPT, b"DATA\r\n")
add("lost_after_message", "base", EHLO, MAIL, RCPT, b"DATA\r\n", MSG)
