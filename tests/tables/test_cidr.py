"""Unit tests for cidr: tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyfix.tables.base import DEFAULT_FLAGS, FOLD_MUL, PATTERN, TableOpenError
from pyfix.tables.cidr import CidrTable
from pyfix.tables.open import open_table
from tests.tables.pattern_helpers import load, progname, warnings

W = "postmap: warning: cidr map DIR/table.cidr"

RULES = """\
192.168.1.1\t\thost
192.168.0.0/16\t\tnetwork
[10.0.0.1]\t\tbracketed host
[10.1.0.0]/16\t\tbracketed network
[10.2.0.0/16]\t\tbracketed with mask
2001:db8::1\t\tv6 host
2001:DB8::/32\t\tv6 network
[::1]/128\t\tv6 loopback
::ffff:1.2.3.4\t\tmapped
"""


@pytest.mark.parametrize(("key", "value"), [
    ("192.168.1.1", "host"),
    ("192.168.77.1", "network"),
    ("10.0.0.1", "bracketed host"),
    ("10.1.2.3", "bracketed network"),
    ("10.2.3.4", "bracketed with mask"),
    ("2001:db8::1", "v6 host"),
    ("2001:DB8:0:0:0:0:0:1", "v6 host"),
    ("2001:db8:ffff::1", "v6 network"),
    ("::1", "v6 loopback"),
    ("::ffff:1.2.3.4", "mapped"),
    ("1.2.3.4", None),  # IPv4 keys never match IPv6 rules
    ("[192.168.1.1]", None),
    ("192.168.1.1 ", None),
    ("fe80::1%eth0", None),
    ("not-an-address", None),
    ("192.168.1.1.5", None),
    ("192.168.001.001", None),
    ("", None),
    ("1.2.3.4\0junk", None),
    ("192.168.1.1\0junk", "host"),
    ("192.168.1.\u0661", None),
])
def test_lookup(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str,
                value: str | None) -> None:
    table = load(tmp_path, "cidr", RULES)
    assert isinstance(table, CidrTable)
    assert table.flags & PATTERN
    assert table.lookup(key) == value
    assert warnings(capsys, tmp_path) == []


def test_negation_and_if_endif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = load(tmp_path, "cidr", (
        "if 172.16.0.0/12\n"
        "if !172.16.0.0/16\n"
        "172.17.0.0/16\t\tseventeen\n"
        "endif\n"
        "172.16.0.0/12\t\tprivate\n"
        "ENDIF\n"
        "IF\t!!0.0.0.0/0\n"
        "!10.0.0.0/8\t\tnot ten\n"
        "endif\n"
        "! ! 2001:db8::/32\tdoc\n"
        "if 198.51.100.0/24\n"
    ))
    assert table.lookup("172.17.0.1") == "seventeen"
    assert table.lookup("172.16.9.9") == "private"
    assert table.lookup("172.20.0.1") == "private"
    assert table.lookup("11.0.0.1") == "not ten"
    assert table.lookup("10.0.0.1") is None
    assert table.lookup("2001:db8::5") == "doc"
    assert table.lookup("2001:dead::1") is None
    assert warnings(capsys, tmp_path) == [f"{W}, line 11: IF has no matching ENDIF"]


@pytest.mark.parametrize(("rule", "reason"), [
    ("01.2.3.4 x", 'bad address pattern: "01.2.3.4"'),
    ("1.2.3.9/ x", 'bad mask value in "1.2.3.9/"'),
    ("1.2.3.9/+8 x", 'bad mask value in "1.2.3.9/+8"'),
    ("1.2.3.9/8junk x", 'bad mask value in "1.2.3.9/8junk"'),
    ("/24 x", 'bad network value in "/24"'),
    ("1.2.4.0/33 x", 'bad mask length in "1.2.4.0/33"'),
    ("::/129 x", 'bad mask length in "::/129"'),
    ("1.2.3.4/24 x",
     'non-null host address bits in "1.2.3.4/24", perhaps you should use "1.2.3.0/24" instead'),
    ("2001:db8::1/32 x", 'non-null host address bits in "2001:db8::1/32", '
                         'perhaps you should use "2001:db8::/32" instead'),
    ("[1.2.3.12]x y", 'garbage after "[1.2.3.12]"'),
    ("[1.2.3.13 y", "missing ']' character after \"[1.2.3.13\""),
    ("1.2.3.14", "no lookup result"),
    ("!", "no address pattern"),
    ("if", "no address pattern"),
    ("if 1.2.3.0/24 x", 'bad mask value in "1.2.3.0/24 x"'),
    ("endif", "ENDIF without IF"),
    ("endif x", "garbage after ENDIF"),
])
def test_bad_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str,
                   reason: str) -> None:
    table = load(tmp_path, "cidr", f"{rule}\n9.9.9.9 ok\n")
    assert table.lookup("9.9.9.9") == "ok"
    assert warnings(capsys, tmp_path) == [f"{W}, line 1: {reason}: skipping this rule"]


def test_nasty_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load(tmp_path, "cidr", "").lookup("1.2.3.4") is None
    assert load(tmp_path, "cidr", "# a comment\n\n \t \n").lookup("1.2.3.4") is None
    crlf = load(tmp_path, "cidr", "1.2.3.4\tA\r\n  more\r\n")
    assert crlf.lookup("1.2.3.4") == "A\r  more"
    latin = load(tmp_path, "cidr", b"1.2.3.4 caf\xe9\n\0001.2.3.5 nul\n")
    assert latin.lookup("1.2.3.4") == "caf\udce9"
    assert latin.lookup("1.2.3.5") is None
    big = load(tmp_path, "cidr", "1.2.3.4 " + "v" * 500_000 + "\n")
    assert big.lookup("1.2.3.4") == "v" * 500_000
    assert warnings(capsys, tmp_path) == [
        f"{W}, line 2: no address pattern: skipping this rule"]


def test_fold_flag_is_harmless(tmp_path: Path) -> None:
    table = load(tmp_path, "cidr", "2001:db8::/32 doc\n", flags=DEFAULT_FLAGS | FOLD_MUL)
    assert table.lookup("2001:DB8::1") == "doc"


def test_open_errors_changed_and_inline(tmp_path: Path) -> None:
    missing = tmp_path / "missing.cidr"
    with pytest.raises(TableOpenError, match=re.escape(f"open {missing}: No such file or directory")):
        open_table(f"cidr:{missing}", surrogate=False, cache=False)
    with pytest.raises(TableOpenError, match=re.escape(f"cidr map {tmp_path}: read error: Is a directory")):
        open_table(f"cidr:{tmp_path}", surrogate=False, cache=False)
    table = load(tmp_path, "cidr", "1.2.3.4 a\n")
    assert not table.changed()
    (tmp_path / "table.cidr").write_text("1.2.3.4 bb\n")
    assert table.changed()
    with progname():
        inline = open_table("cidr:{{1.2.3.4 ok}, {::/0 v6}}", cache=False)
    assert inline.lookup("1.2.3.4") == "ok"
    assert inline.lookup("::2") == "v6"
    assert not inline.changed()
