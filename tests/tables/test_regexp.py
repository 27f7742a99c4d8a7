"""Unit tests for regexp: tables and the POSIX pattern translation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pyfix.tables.base import (
    DEFAULT_FLAGS,
    FOLD_MUL,
    NO_REGSUB,
    PATTERN,
    TableConfigError,
    TableOpenError,
)
from pyfix.tables.open import open_table
from pyfix.tables.regexp import RegexpTable
from pyfix.tables.regexp_syntax import translate_posix
from pyfix.tables.regextable import RegexSyntaxError
from tests.tables.pattern_helpers import load, progname, warnings

W = "postmap: warning: regexp map DIR/table.regexp"


def test_substitution_and_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "regexp", (
        "/^(.*)-outgoing@(.*)$/  550 Use ${1}@${2} instead\n"
        "/^user\\+([^@]*)@(.*)$/  $(2) got $1 and $$1\n"
        "/^(opt)(ional)?$/  [$1][$2]\n"
        "/^Exact$/i  case-sensitive\n"
        "/^plain$/  no $$ subst\n"
    ))
    assert isinstance(table, RegexpTable)
    assert table.flags & PATTERN
    assert table.lookup("list-outgoing@example.com") == "550 Use list@example.com instead"
    assert table.lookup("USER+Tag@Example.COM") == "Example.COM got Tag and $1"
    assert table.lookup("opt") == "[opt][]"
    assert table.lookup("Exact") == "case-sensitive"
    assert table.lookup("exact") is None
    assert table.lookup("PLAIN") == "no $ subst"
    assert table.lookup("nothing") is None
    assert warnings(capsys, tmp_path) == []


def test_fold_mul_lowercases_the_key(tmp_path: Path) -> None:
    table = load(tmp_path, "regexp", "/^ABC$/i upper\n/^abc$/i lower\n",
                 flags=DEFAULT_FLAGS | FOLD_MUL)
    assert table.lookup("ABC") == "lower"


def test_negation_two_patterns_and_delimiters(tmp_path: Path) -> None:
    table = load(tmp_path, "regexp", (
        "/^first@(.*)/!/^first@example\\.org$/  not org: $1\n"
        "!/@/  no at-sign\n"
        "%hash%  percent\n"
        "|pi|pe|  never: the delimiter ends the pattern early\n"
        "/a\\/b/  escaped delimiter\n"
    ))
    assert table.lookup("first@example.net") == "not org: example.net"
    assert table.lookup("first@example.org") is None
    assert table.lookup("nobody") == "no at-sign"
    assert table.lookup("x%hash%@") == "percent"
    assert table.lookup("a/b@") == "escaped delimiter"


def test_if_endif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "regexp", (
        "if /@example\\.com$/\n"
        "if !/^admin/\n"
        "/^(.*)@/  user $1\n"
        "endif\n"
        "/^admin@/  admin\n"
        "endif\n"
        "ENDIF\n"
        "/@/  fallback\n"
        "IF /^open/\n"
        "/^opened$/  inside\n"
    ))
    assert table.lookup("bob@example.com") == "user bob"
    assert table.lookup("admin@example.com") == "admin"
    assert table.lookup("bob@other.test") == "fallback"
    assert table.lookup("opened") == "inside"
    assert table.lookup("openx") is None  # an IF without ENDIF runs to the end
    assert warnings(capsys, tmp_path) == [
        f"{W}, line 7: ignoring ENDIF without matching IF",
        f"{W}, line 9: IF has no matching ENDIF",
    ]


@pytest.mark.parametrize(("rule", "expected"), [
    ("/(a/ x", "line 1: Unmatched ( or \\("),
    ("/a{2,1}/ x", "line 1: Invalid content of \\{\\}"),
    ("/^a$/q x", 'line 1: unknown regexp option "q": skipping this rule'),
    ("/^a x", 'line 1: no closing regexp delimiter "/": skipping this rule'),
    ("/(a)/ $2", 'line 1: out of range replacement index "2": skipping this rule'),
    ("/a/ $0", 'line 1: out-of-range replacement index "0"'),
    ("/a/ $1x", 'line 1: non-numeric replacement index "1x"'),
    ("!/(a)/ $1", "line 1: $number found in negative match replacement text: skipping this rule"),
    ("junk", "line 1: ignoring unrecognized request"),
    ("!", "line 1: no regexp: skipping this rule"),
])
def test_bad_rules_are_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               rule: str, expected: str) -> None:
    table = load(tmp_path, "regexp", f"{rule}\n/^ok$/ fine\n")
    assert table.lookup("ok") == "fine"
    assert table.lookup("a") is None
    assert f"{W}, {expected}" in warnings(capsys, tmp_path)


def test_replacement_syntax_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load(tmp_path, "regexp", "/a/ ${1\n/b/ x $\n/c/\n")
    assert warnings(capsys, tmp_path) == [
        'postmap: warning: truncated macro reference: "${1"',
        f"{W}, line 1: bad replacement syntax: skipping this rule",
        'postmap: warning: empty macro name: "x $"',
        f"{W}, line 2: bad replacement syntax: skipping this rule",
        f"{W}, line 3: no replacement text: using empty string",
    ]


def test_if_statement_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "regexp", "if /x/ extra\n/y/ xy\nendif trailing\n")
    assert table.lookup("xy") == "xy"
    assert warnings(capsys, tmp_path) == [
        f'{W}, line 1: ignoring extra text after IF statement: "extra"',
        f"{W}, line 1: do not prepend whitespace to statements between IF and ENDIF",
        f"{W}, line 3: ignoring extra text after ENDIF",
    ]


def test_no_regsub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "regexp", "/(a)/ $1\n/b/ plain\n", flags=DEFAULT_FLAGS | NO_REGSUB)
    assert table.lookup("a") is None
    assert table.lookup("b") == "plain"
    assert warnings(capsys, tmp_path) == [
        f"{W}, line 1: regular expression substitution is not allowed: skipping this rule"]


def test_final_backslash_ends_the_pattern(tmp_path: Path) -> None:
    table = load(tmp_path, "regexp", "/abc\\\n")
    assert table.lookup("xabcx") == ""


def test_empty_and_comment_only_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(tmp_path, "regexp", "").lookup("x") is None
    assert load(tmp_path, "regexp", "# one\n   # two\n\n\t\n").lookup("x") is None
    assert warnings(capsys, tmp_path) == []


def test_crlf_continuation_and_whitespace(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "regexp", (
        " /lead/ x\r\n"
        "/^a$/ one\r\n"
        "# comment inside\r\n"
        "  two\r\n"
    ))
    assert table.lookup("a") == "one\r  two"
    assert table.lookup("lead") is None
    assert warnings(capsys, tmp_path) == [
        'postmap: warning: DIR/table.regexp: logical line must not start with whitespace: '
        '" /lead/ x?"']


def test_non_utf8_bytes_are_matched_as_bytes(tmp_path: Path) -> None:
    table = load(tmp_path, "regexp", b"/^caf\xe9$/ latin-1 \xe9\n/^(.)(.)$/ $2$1\n")
    assert table.lookup("caf\udce9") == "latin-1 \udce9"
    # "é" is two bytes in UTF-8: each "." matches one of them.
    assert table.lookup("é") == "\udca9\udcc3"


def test_nul_in_file_and_key(tmp_path: Path) -> None:
    table = load(tmp_path, "regexp", b"/^a$/ x\0ignored\n\0/b/ y\n")
    assert table.lookup("a") == "x"
    assert table.lookup("a\0tail") == "x"
    assert table.lookup("b") is None


def test_huge_line(tmp_path: Path) -> None:
    word = "w" * 200_000
    table = load(tmp_path, "regexp", f"/^{word}$/ {'r' * 200_000}\n")
    assert table.lookup(word) == "r" * 200_000


def test_open_errors_and_changed(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(TableOpenError, match=re.escape(f"open {missing}: No such file or directory")):
        open_table(f"regexp:{missing}", surrogate=False, cache=False)
    surrogate = open_table(f"regexp:{missing}", cache=False)
    with pytest.raises(TableConfigError, match=re.escape("is unavailable. open")):
        surrogate.lookup("x")
    assert load(tmp_path, "regexp", "/x/ y\n").lookup("x") == "y"
    with progname():
        directory = open_table(f"regexp:{tmp_path}", surrogate=False, cache=False)
    assert directory.lookup("x") is None  # Postfix reads a directory as an empty table
    table = load(tmp_path, "regexp", "/x/ y\n")
    assert not table.changed()
    path = tmp_path / "table.regexp"
    path.write_text("/x/ z\n")
    os.utime(path, ns=(1, 1))
    assert table.changed()
    path.unlink()
    assert table.changed()


def test_inline_table(capsys: pytest.CaptureFixture[str]) -> None:
    with progname():
        table = open_table("regexp:{ {/^a(b)c$/ x$1}, {/q/ r}, { foo } }", cache=False)
    assert table.lookup("abc") == "xb"
    assert table.lookup("q") == "r"
    assert not table.changed()
    assert capsys.readouterr().err == (
        "postmap: warning: regexp map { {/^a(b)c$/ x$1}, {/q/ r}, { foo } }, line 3: "
        "ignoring unrecognized request\n")
    with pytest.raises(TableOpenError, match=re.escape("regexp map: missing '}' in \"{{/a/ b}x\"")):
        open_table("regexp:{{/a/ b}x", surrogate=False, cache=False)


def posix(pattern: str, *, extended: bool = True, icase: bool = True,
          newline: bool = False) -> re.Pattern[str]:
    text, _ = translate_posix(pattern, extended=extended, icase=icase, newline=newline)
    flags = re.ASCII | (re.IGNORECASE if icase else 0) | (re.MULTILINE if newline else re.DOTALL)
    return re.compile(text, flags)


@pytest.mark.parametrize(("pattern", "options", "matches", "misses"), [
    ("^[[:alpha:]]+[[:digit:]]$", {}, ["ab1", "AB1"], ["ab", "a_1"]),
    ("^[]a-]$", {}, ["]", "-", "a"], ["b"]),
    ("^[^]a]$", {}, ["b", "\n"], ["]", "a", "A"]),
    ("^[\\.]$", {}, ["\\", "."], ["x"]),
    ("^[[.-.][=a=]]$", {}, ["-", "a"], ["b"]),
    ("^a{,2}$", {}, ["", "a", "aa"], ["aaa"]),
    ("^a**$", {}, ["aaa"], ["b"]),
    ("^x)$", {}, ["x)"], ["x"]),
    ("^(ab)\\1$", {}, ["abab", "abAB"], ["abba"]),
    ("\\<is\\>", {}, ["this is it"], ["this"]),
    ("^\\w+\\s\\W$", {}, ["ab_1 !"], ["ab c"]),
    ("^x\\d$", {}, [], ["xd", "x1", "x\\d"]),  # glibc: escaped lower-case letter, REG_ICASE
    ("^x\\d$", {"icase": False}, ["xd"], ["xD", "x1"]),
    ("^x\\D$", {}, ["xd", "xD"], ["x1"]),
    ("^[\\-~]$", {}, ["_", "~"], ["a", "A"]),  # glibc compares upper-cased bytes
    ("^\\(a\\)\\{2\\}b*\\+$", {"extended": False}, ["aa", "aabbb"], ["aab+", "(a)"]),
    ("^*a+?|$x", {"extended": False}, ["*a+?|$x"], ["a"]),
    ("a$", {}, ["a"], ["a\n"]),
    ("^b", {}, ["b"], ["a\nb"]),
    (".^b", {}, ["a\nb"], ["ab"]),  # "^" after a newline that the match spans
    ("a$.", {}, ["a\nb"], ["ab"]),
    ("^b$", {"newline": True}, ["a\nb\nc"], ["ab"]),
    ("^a.b$", {}, ["a\nb"], []),
    ("^a.b$", {"newline": True}, [], ["a\nb"]),
    ("^a[^x]b$", {"newline": True}, ["ayb"], ["a\nb"]),
])
def test_posix_translation(pattern: str, options: dict[str, bool], matches: list[str],
                           misses: list[str]) -> None:
    compiled = posix(pattern, **options)
    for text in matches:
        assert compiled.search(text), (pattern, text)
    for text in misses:
        assert not compiled.search(text), (pattern, text)


@pytest.mark.parametrize(("pattern", "extended", "message"), [
    ("(a", True, "Unmatched ( or \\("),
    ("a\\)", False, "Unmatched ( or \\("),
    ("[a", True, "Unmatched [, [^, [:, [., or [="),
    ("[", True, "Invalid regular expression"),
    ("a{1", True, "Unmatched \\{"),
    ("a{x}", True, "Invalid content of \\{\\}"),
    ("a{1,2,3}", True, "Invalid content of \\{\\}"),
    ("a{32768}", True, "Regular expression too big"),
    ("*a", True, "Invalid preceding regular expression"),
    ("a|*b", True, "Invalid preceding regular expression"),
    ("^*", True, "Invalid preceding regular expression"),
    ("a**", False, "Invalid preceding regular expression"),
    ("\\{1\\}", False, "Invalid preceding regular expression"),
    ("[[:nope:]]", True, "Invalid character class name"),
    ("[[.ab.]]", True, "Invalid collation character"),
    ("[z-a]", True, "Invalid range end"),
    ("[a-z-0]", True, "Invalid range end"),
    ("a\\", True, "Trailing backslash"),
    ("(a)|\\1", True, "Invalid back reference"),
    ("(a\\1)", True, "Invalid back reference"),
])
def test_posix_errors(pattern: str, extended: bool, message: str) -> None:
    with pytest.raises(RegexSyntaxError) as caught:
        translate_posix(pattern, extended=extended)
    assert str(caught.value) == message


def test_posix_group_count() -> None:
    assert translate_posix("(a)(b(c))|(d)")[1] == 4
    assert translate_posix("\\(a\\)(b)", extended=False)[1] == 1
