"""Unit tests for pcre: tables and the PCRE2 pattern translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyfix.tables.base import DEFAULT_FLAGS, FOLD_MUL, NO_REGSUB, TableOpenError
from pyfix.tables.open import open_table
from pyfix.tables.pcre import PcreTable
from pyfix.tables.pcre_syntax import translate_pcre
from pyfix.tables.regextable import RegexSyntaxError
from tests.tables.pattern_helpers import load, progname, warnings

W = "postmap: warning: pcre map DIR/table.pcre"


def test_substitution_flags_and_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "pcre", (
        "/^(?!owner-)(.*)-outgoing@(.*)/  550 Use ${1}@${2} instead\n"
        "/^Exact$/i  case-sensitive\n"
        "/^dot.all$/  s is on\n"
        "/^no.dot$/s  s is off\n"
        "/^top$/m  multi-line\n"
        "/^end$/E  dollar end only\n"
        "/ spaced out $/x  extended\n"
        "/anchored/A  anchored\n"
        "/^(g+)(.+)/U  [$1][$2]\n"
        "/^obsolete$/X  X\n"
    ))
    assert isinstance(table, PcreTable)
    assert table.lookup("list-outgoing@example.com") == "550 Use list@example.com instead"
    assert table.lookup("owner-list-outgoing@example.com") is None
    assert table.lookup("Exact") == "case-sensitive"
    assert table.lookup("exact") is None
    assert table.lookup("dot\nall") == "s is on"
    assert table.lookup("no\ndot") is None
    assert table.lookup("first\ntop\nlast") == "multi-line"
    assert table.lookup("end") == "dollar end only"
    assert table.lookup("end\n") is None
    assert table.lookup("spacedout") == "extended"
    assert table.lookup("xanchored") is None
    assert table.lookup("anchored!") == "anchored"
    assert table.lookup("gggxy") == "[g][g]"
    assert table.lookup("obsolete") == "X"
    assert warnings(capsys, tmp_path) == [f'{W}, line 10: ignoring obsolete regexp option "X"']


def test_fold_mul_and_no_regsub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "pcre", "/^ABC$/i upper\n/^abc$/i lower\n/(x)/ $1\n",
                 flags=DEFAULT_FLAGS | FOLD_MUL | NO_REGSUB)
    assert table.lookup("ABC") == "lower"
    assert table.lookup("x") is None
    assert warnings(capsys, tmp_path) == [
        f"{W}, line 3: regular expression substitution is not allowed: skipping this rule"]


def test_if_endif_and_rule_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "pcre", (
        "if !/@example\\.com$/\n"
        "/^(.*)@/  other $1\n"
        "endif\n"
        "/^a$/!/b/ two patterns are regexp only\n"
        "/^nodelim\n"
        "/(a)/ $2\n"
        "/a/ $0\n"
        "endif\n"
        "if /^unclosed/\n"
    ))
    assert table.lookup("bob@other.test") == "other bob"
    assert table.lookup("bob@example.com") is None
    assert warnings(capsys, tmp_path) == [
        f'{W}, line 4: unknown regexp option "!": skipping this rule',
        f'{W}, line 5: no closing regexp delimiter "/": ignoring this rule',
        f'{W}, line 6: out of range replacement index "2": skipping this rule',
        f'{W}, line 7: out of range replacement index "0"',
        f"{W}, line 7: bad replacement syntax: skipping this rule",
        f"{W}, line 8: ignoring ENDIF without matching IF",
        f"{W}, line 9: IF has no matching ENDIF",
    ]


@pytest.mark.parametrize(("pattern", "message"), [
    ("(a", "error in regex at offset 2: missing closing parenthesis"),
    ("a)", "error in regex at offset 1: unmatched closing parenthesis"),
    ("*a", "error in regex at offset 0: quantifier does not follow a repeatable item"),
    ("a{2}{3}", "error in regex at offset 6: quantifier does not follow a repeatable item"),
    ("a{3,2}", "error in regex at offset 5: numbers out of order in {} quantifier"),
    ("a{70000}", "error in regex at offset 7: number too big in {} quantifier"),
    ("[a", "error in regex at offset 2: missing terminating ] for character class"),
    ("[z-a]", "error in regex at offset 3: range out of order in character class"),
    ("[\\d-z]", "error in regex at offset 3: invalid range in character class"),
    ("[[:nope:]]", "error in regex at offset 3: unknown POSIX class name"),
    ("[:alpha:]", "error in regex at offset 0: POSIX named classes are supported only within"
                  " a class"),
    ("\\i", "error in regex at offset 1: unrecognized character follows \\"),
    ("\\u0041", "error in regex at offset 2: PCRE2 does not support \\F, \\L, \\l, \\N{name},"
                " \\U, or \\u"),
    ("\\x{100}", "error in regex at offset 6: character code point value in \\x{} or \\o{} is"
                 " too large"),
    ("(a)\\2", "error in regex at offset 4: reference to non-existent subpattern"),
    ("(?<n>a)(?<n>b)", "error in regex at offset 12: two named subpatterns have the same name"
                       " (PCRE2_DUPNAMES not set)"),
    ("(?<=a+)b", "error in regex at offset 0: lookbehind assertion is not fixed length"),
    ("(?z)", "error in regex at offset 2: unrecognized character after (? or (?-"),
    ("(?#x", "error in regex at offset 4: missing ) after (?# comment"),
    ("(*FOO)", "error in regex at offset 5: (*VERB) not recognized or malformed"),
])
def test_pcre_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str,
                     message: str) -> None:
    table = load(tmp_path, "pcre", f"/{pattern}/ x\n/^ok$/ fine\n")
    assert table.lookup("ok") == "fine"
    assert warnings(capsys, tmp_path) == [f"{W}, line 1: {message}"]


@pytest.mark.parametrize(("pattern", "feature"), [
    ("(a|b(?R))", "recursion and subroutine calls"),
    ("(a)(?1)", "recursion and subroutine calls"),
    ("(?&n)(?<n>a)", "recursion and subroutine calls"),
    ("a\\Kb", "\\K"),
    ("\\p{L}", "\\p (Unicode property)"),
    ("\\X", "\\X (extended grapheme cluster)"),
    ("a(*ACCEPT)", "(*VERB) and (*alpha_assertion:...)"),
    ("(?|(a)|(b))", "branch reset (?|...)"),
    ("(?C1)a", "callouts (?C...)"),
    ("(\\2two|(one))+", "a reference to a later group"),
    ("(a\\1)", "a back-reference inside the group it refers to"),
    ("(?J)(?<n>a)|(?<n>b)", "duplicate group names"),
    ("(?(?=a)a|b)", "conditions other than a group number or name"),
    ("\\g<1>(a)", "a subroutine call (\\g<...>)"),
])
def test_unsupported_features_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           pattern: str, feature: str) -> None:
    table = load(tmp_path, "pcre", f"/{pattern}/ x\n/^ok$/ fine\n")
    assert table.lookup("ok") == "fine"
    [warning] = warnings(capsys, tmp_path)
    assert warning.startswith(f"{W}, line 1: error in regex at offset ")
    assert warning.endswith(f": {feature} is not supported by pyfix")


def pcre(pattern: str, options: str = "is") -> re.Pattern[str]:
    text, _ = translate_pcre(pattern, frozenset(options))
    return re.compile(text, re.ASCII | re.DOTALL | (re.IGNORECASE if "i" in options else 0))


@pytest.mark.parametrize(("pattern", "options", "subject", "groups"), [
    ("(a(?i)b|c)", "s", "C", ("C",)),  # (?i) holds for later alternatives
    ("(a(?i)b|c)d", "s", "aBd", ("aB",)),
    ("(?i:a)b", "s", "Ab", ()),
    ("(?-i)a", "is", "A", None),
    ("(?<=x|yyy)z", "is", "yyyz", ()),
    ("(?<!x|yyy)z", "is", "yyyz", None),
    ("^(?<user>[^@]+)@(?'dom'.+)$", "is", "a@b", ("a", "b")),
    ("^(a)(?<n>b)\\k<n>\\g{-1}\\g1$", "is", "abbba", ("a", "b")),
    ("^\\Qa.b*\\E+$", "is", "a.b**", ()),
    ("^a++b$", "is", "aab", ()),
    ("^(?>a+)a$", "is", "aaa", None),
    ("^\\x41\\101\\o{101}\\cA\\e$", "s", "AAA\x01\x1b", ()),
    ("^\\h\\v\\R\\N$", "is", " \n\r\nx", ()),
    ("^[[:^alpha:][:digit:]]+$", "is", "1-", ()),
    ("^[]\\]a-]+$", "is", "]-a", ()),
    ("^[\\b\\8]+$", "is", "\b8", ()),
    ("^(a)?(?(1)b|c)$", "is", "ab", ("a",)),
    ("^(a)?(?(1)b|c)$", "is", "c", (None,)),
    ("^a{,2}$", "is", "a{,2}", ()),
    ("^a{2}$", "is", "aa", ()),
    ("^a.b$", "i", "a\nb", None),
    ("^b", "im", "a\nb", ()),
    ("^$", "im", "a\n", None),  # multi-line ^ does not match after a final newline
    ("a$", "is", "a\n", ()),
    ("a$", "isE", "a\n", None),
    ("a\\Z", "is", "a\n", ()),
    ("a\\z", "is", "a\n", None),
    ("^(a+)(a*)$", "isU", "aaa", ("a", "aa")),
    ("^(a+?)(a*)$", "isU", "aaa", ("aaa", "")),
    ("a b # comment", "isx", "ab", ()),
    ("(?x) a [ ] b", "is", "a b", ()),
    ("(?xx)[a b]+", "is", "ab", ()),
    ("(?n)(a)(?<k>b)", "is", "ab", ("b",)),
    ("[[:<:]]word[[:>:]]", "is", "a word", ()),
    ("^\\w\\d\\s$", "is", "_1 ", ()),
])
def test_pcre_translation(pattern: str, options: str, subject: str,
                          groups: tuple[str | None, ...] | None) -> None:
    found = pcre(pattern, options).search(subject)
    if groups is None:
        assert found is None
    else:
        assert found is not None
        assert found.groups() == groups


def test_capture_count() -> None:
    assert translate_pcre("(a)(?:b)(?<n>c)(?=(d))")[1] == 3
    assert translate_pcre("(?n)(a)(?<n>b)")[1] == 1
    with pytest.raises(RegexSyntaxError) as caught:
        translate_pcre("(?R)")
    assert caught.value.unsupported


def test_nasty_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(tmp_path, "pcre", "").lookup("x") is None
    assert load(tmp_path, "pcre", "# only\n  # comments\n").lookup("x") is None
    crlf = load(tmp_path, "pcre", "/^a$/ one\r\n  two\r\n")
    assert crlf.lookup("a") == "one\r  two"
    latin = load(tmp_path, "pcre", b"/^caf\xe9$/ \xe9\n/^(.)(.)$/ $2$1\n")
    assert latin.lookup("caf\udce9") == "\udce9"
    assert latin.lookup("é") == "\udca9\udcc3"
    big = "x" * 300_000
    assert load(tmp_path, "pcre", f"/^{big}$/ {big}\n").lookup(big) == big
    assert warnings(capsys, tmp_path) == []


def test_open_errors_and_inline(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pcre"
    with pytest.raises(TableOpenError, match="No such file or directory"):
        open_table(f"pcre:{missing}", surrogate=False, cache=False)
    with progname():
        table = open_table("pcre:{{/^(?i)abc$/ ok}, {/^x$/ y}}", cache=False)
    assert table.lookup("ABC") == "ok"
    assert table.lookup("x") == "y"
    table = load(tmp_path, "pcre", "/x/ y\n")
    assert not table.changed()
    (tmp_path / "table.pcre").write_text("/x/ yy\n")
    assert table.changed()
