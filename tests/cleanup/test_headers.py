"""Header recognition and the header name table (is_header(), HeaderTable)."""

from __future__ import annotations

import pytest

from pyfix.cleanup.headers import (
    HDR_BCC,
    HDR_FROM,
    HDR_OPT_DROP,
    HDR_OPT_RECIP,
    HDR_OPT_RR,
    HDR_OPT_SENDER,
    HDR_OTHER,
    HDR_RESENT_FROM,
    HeaderTable,
    is_header,
)


@pytest.mark.parametrize(("line", "length"), [
    (b"Subject: x", 7),
    (b"Subject:x", 7),
    (b"Subject : x", 7),
    (b"Subject\t  : x", 7),
    (b"X-A.b_c!#$: y", 10),
    (b"From sender@example.org Mon Jan  1 12:00:00 2024", 0),
    (b"From: sender", 4),
    (b": no name", 0),
    (b" Subject: leading blank", 0),
    (b"Subject", 0),
    (b"", 0),
    (b"Sub ject: inner blank", 0),
    ("Sübject: 8-bit".encode(), 0),
    (b"Sub\x01ject: control", 0),
    (b"Sub\x7fject: DEL", 0),
])
def test_is_header(line: bytes, length: int) -> None:
    assert is_header(line) == length


def test_find_ignores_case_and_blanks_before_colon() -> None:
    table = HeaderTable()
    for header in (b"From: a", b"FROM: a", b"from : a"):
        opts = table.find(header)
        assert opts is not None
        assert (opts.name, opts.type, opts.flags) == ("From", HDR_FROM, HDR_OPT_SENDER)
    resent = table.find(b"Resent-From: b")
    assert resent is not None and resent.type == HDR_RESENT_FROM
    assert resent.flags == HDR_OPT_SENDER | HDR_OPT_RR
    assert table.find(b"X-Unknown: x") is None
    assert table.find(b"no colon") is None


def test_message_drop_headers_flags() -> None:
    table = HeaderTable(["bcc", "X-Secret"])
    bcc = table.find(b"Bcc: someone")
    assert bcc is not None and bcc.type == HDR_BCC
    assert bcc.flags & HDR_OPT_DROP and bcc.flags & HDR_OPT_RECIP
    secret = table.find(b"x-secret: value")
    assert secret is not None
    assert (secret.type, secret.flags) == (HDR_OTHER, HDR_OPT_DROP)
    plain = HeaderTable().find(b"Bcc: someone")
    assert plain is not None and not plain.flags & HDR_OPT_DROP
