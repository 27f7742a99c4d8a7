"""Unit tests for the shared configuration line discipline."""

from __future__ import annotations

from pyfix.config.conffile import decode, encode, read_logical_lines, split_nameval


def lines(text: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    warnings: list[str] = []
    got = [
        (ll.text, ll.first_line, ll.last_line)
        for ll in read_logical_lines(text, "main.cf", warnings.append)
    ]
    return got, warnings


def test_comments_blank_and_continuation() -> None:
    text = "# c\n\na = b,\n  c\n# inside\n\td\n   # indented comment\ne=f\n"
    got, warnings = lines(text)
    assert got == [("a = b,  c\td", 3, 6), ("e=f", 8, 8)]
    assert warnings == []


def test_leading_whitespace_is_reported_and_skipped() -> None:
    got, warnings = lines("  a = b\n c\nd = e\n")
    assert got == [("", 1, 2), ("d = e", 3, 3)]
    assert warnings == ['main.cf: logical line must not start with whitespace: "  a = b c"']


def test_long_leading_whitespace_line_is_truncated_in_warning() -> None:
    _, warnings = lines(" " + "x" * 40 + "\n")
    assert warnings == [
        'main.cf: logical line must not start with whitespace: " ' + "x" * 29 + '..."'
    ]


def test_crlf_and_no_final_newline() -> None:
    got, _ = lines("a = b\r\n\r\nc = d")
    assert got == [("a = b\r", 1, 1), ("c = d", 3, 3)]
    assert split_nameval(got[0][0]) == ("a", "b")


def test_nul_ends_the_text() -> None:
    got, _ = lines("a = b\0c\n")
    assert got == [("a = b", 1, 1)]


def test_non_utf8_round_trips() -> None:
    raw = b"banner = caf\xe9\n"
    got, _ = lines(decode(raw))
    name_value = split_nameval(got[0][0])
    assert isinstance(name_value, tuple)
    assert encode(name_value[1]) == b"caf\xe9"


def test_split_nameval() -> None:
    assert split_nameval("a=b") == ("a", "b")
    assert split_nameval("  a   =   b c  ") == ("a", "b c")
    assert split_nameval("a =") == ("a", "")
    assert split_nameval("a = b = c") == ("a", "b = c")
    assert split_nameval("broken line") == "missing '=' after attribute name"
    assert split_nameval("= x") == "missing attribute name"
    assert split_nameval("   ") == "missing attribute name"
