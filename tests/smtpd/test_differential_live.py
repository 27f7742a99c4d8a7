"""Live differential test: the same SMTP dialogues to real Postfix and to pyfix.

Real Postfix 3.7 and a pyfix instance with the same main.cf settings
(tests/golden/smtp/ profile "base"), side by side through the harness in
tests/smtpd/differential.py.  Each dialogue, some from the recorded list
(tests/golden/smtp/dialogues.py) and some made up here (pipelining,
malformed commands, over-long lines, bare LF, NUL bytes, 8-bit,
SMTPUTF8), goes to both at once; the reply bytes of every step and the
normalized smtpd and cleanup log lines must be identical.  Needs root
(a Postfix master) and Debian's postfix package; skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smtpd.differential import Differential, StepSpec, golden_dialogues, skip_reason

SAMPLE = [
    "helo_specials", "nul_in_command", "bad_utf8_command", "forbidden_lowercase",
    "mail_syntax", "mail_size", "rcpt_smtputf8", "data_dot_stuffing", "data_pipelined_all",
    "data_crlf_variants_normalize", "command_bare_lf_normalize", "command_bare_cr",
]
EHLO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<a@example.org>\r\n"
RCPT = b"RCPT TO:<b@example.com>\r\n"
GENERATED: dict[str, list[StepSpec]] = {
    "gen_pipelined_two": [EHLO, MAIL + RCPT + b"DATA\r\n",
                          b"Subject: 1\r\n\r\none\r\n.\r\n" + MAIL + RCPT + b"DATA\r\n",
                          b"two\r\n.\r\nQUIT\r\n"],
    "gen_long_command": [EHLO, b"NOOP " + b"x" * 5000 + b"\r\n", b"MAIL FROM:<" + b"a" * 3000
                         + b"@example.org>\r\n", b"QUIT\r\n"],
    "gen_long_data_line": [EHLO, MAIL, RCPT, b"DATA\r\n",
                           b"Subject: long\r\n\r\n" + b"y" * 10000 + b"\r\n.\r\n", b"QUIT\r\n"],
    "gen_bare_lf_data": [EHLO, MAIL, RCPT, b"DATA\r\n",
                         b"Subject: lf\n\nline one\nline two\r\n.\r\n", b"QUIT\r\n"],
    "gen_nul_data": [EHLO, MAIL, RCPT, b"DATA\r\n", b"Subject: nul\r\n\r\na\x00b\r\n.\r\n",
                     b"QUIT\r\n"],
    "gen_8bit": [EHLO, b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n", RCPT, b"DATA\r\n",
                 b"Subject: \xe2\x82\xac\r\n\r\n\xff\xfe 8bit\r\n.\r\n", b"QUIT\r\n"],
    "gen_smtputf8": [EHLO, "MAIL FROM:<jörg@exämple.org> SMTPUTF8\r\n".encode(),
                     "RCPT TO:<ü@exämple.com>\r\n".encode(), b"DATA\r\n",
                     "Subject: ü\r\n\r\nü\r\n.\r\n".encode(), b"QUIT\r\n"],
    "gen_malformed": [b"HELO\r\n", b"MAIL FROM:<>\r\n", b"EHLO a..b\r\n", b"MAIL FROM:<a@[1.2.3]>\r\n",
                      b"MAIL FROM:<\"unterminated@example.org>\r\n", b"RCPT TO:<@x:y>\r\n",
                      b"BDAT x LAST\r\n", b"QUIT\r\n"],
    "gen_rset_storm": [EHLO, (MAIL + RCPT + b"RSET\r\n") * 5, b"QUIT\r\n"],
}
DIALOGUES: dict[str, list[StepSpec]] = {**golden_dialogues(SAMPLE), **GENERATED}

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))


@pytest.fixture(scope="module")
def differential() -> Iterator[Differential]:
    with Differential() as diff:
        yield diff


@pytest.mark.parametrize("name", list(DIALOGUES))
def test_same_replies_and_log_as_postfix(differential: Differential, name: str) -> None:
    differential.check(name, DIALOGUES[name])
