"""Golden tests: pyfix's regexp:, pcre: and cidr: tables against Postfix.

tests/golden/tables/cases.txt lists lookups; record.sh stored what the
real "postmap -q KEY TYPE:NAME" printed (stdout, stderr, exit status) in
tests/golden/tables/expected/.  pyfix's own postmap is a separate
command, so these tests compare at the Table level: a small emulation of
"postmap -q" (print the value, warn about an empty value, exit 1 when
not found, fatal when the table cannot be opened) around open_table().

The live variant runs the real /usr/sbin/postmap for every case too, when
it is installed, so that a change in Postfix or in a table file that was
not re-recorded is noticed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyfix.log import msg
from pyfix.tables.base import DEFAULT_FLAGS, LOCK, TableOpenError
from pyfix.tables.open import open_table
from tests import oracle

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "tables"
EXPECTED = GOLDEN / "expected"
PLACEHOLDER = "@DIR@"
_ESCAPES = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True)
class Case:
    id: str
    dict_type: str
    name: str  # absolute path or inline "{...}"
    key: str


def decode_key(text: str) -> str:
    """The printf %b escapes used in cases.txt: \\\\ \\n \\t \\r \\xHH."""
    if text == "<empty>":
        return ""
    out: list[str] = []
    raw = bytearray()
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and text[pos + 1 : pos + 2] == "x":
            digits = ""
            while len(digits) < 2 and text[pos + 2 + len(digits) : pos + 3 + len(digits)] in (
                    set("0123456789abcdefABCDEF")):
                digits += text[pos + 2 + len(digits)]
            raw.append(int(digits, 16))
            pos += 2 + len(digits)
            continue
        out.append(raw.decode("utf-8", "surrogateescape"))
        raw.clear()
        if ch == "\\" and text[pos + 1 : pos + 2] in _ESCAPES:
            out.append(_ESCAPES[text[pos + 1]])
            pos += 2
        else:
            out.append(ch)
            pos += 1
    out.append(raw.decode("utf-8", "surrogateescape"))
    return "".join(out)


def load_cases() -> list[Case]:
    cases: list[Case] = []
    inline_count: dict[str, int] = {}
    dict_type = name = stem = ""
    number = 0
    for line in (GOLDEN / "cases.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("%table "):
            dict_type, _, name = line[len("%table ") :].partition(" ")
            number = 0
            if name.startswith("{"):
                inline_count[dict_type] = inline_count.get(dict_type, 0) + 1
                stem = f"inline{inline_count[dict_type]}"
            else:
                stem = Path(name).stem
                name = str(GOLDEN / name)
            continue
        number += 1
        cases.append(Case(f"{dict_type}-{stem}-{number:02d}", dict_type, name, decode_key(line)))
    return cases


CASES = load_cases()


def run_pyfix(case: Case, capsys: pytest.CaptureFixture[str]) -> tuple[str, str, int]:
    """What "postmap -q KEY TYPE:NAME" would print, using pyfix's table."""
    spec = f"{case.dict_type}:{case.name}"
    saved = msg.progname()
    msg.set_progname("postmap")
    capsys.readouterr()
    try:
        try:
            table = open_table(spec, DEFAULT_FLAGS | LOCK, surrogate=False, cache=False)
        except TableOpenError as exc:
            sys.stderr.write(f"postmap: fatal: {exc}\n")
            rc = 1
        else:
            value = table.lookup(case.key)
            if value is not None:
                if value == "":
                    msg.msg_warn(f"table {spec}: key {case.key}: "
                                 "empty string result is not allowed")
                    msg.msg_warn(f"table {spec} should return NO RESULT in case of NOT FOUND")
                sys.stdout.write(value + "\n")
            rc = 0 if value is not None else 1
    finally:
        msg.set_progname(saved)
    out, err = capsys.readouterr()
    here = str(GOLDEN)
    return out.replace(here, PLACEHOLDER), err.replace(here, PLACEHOLDER), rc


def recorded(case: Case) -> tuple[str, str, int]:
    def read(suffix: str) -> str:
        data = (EXPECTED / f"{case.id}.{suffix}").read_bytes()
        return data.decode("utf-8", "surrogateescape")

    return read("out"), read("err"), int(read("rc"))


def test_cases_are_recorded() -> None:
    assert CASES
    missing = [case.id for case in CASES if not (EXPECTED / f"{case.id}.rc").exists()]
    assert not missing, f"run tests/golden/tables/record.sh; not recorded: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_recorded(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_pyfix(case, capsys) == recorded(case)


@pytest.fixture(scope="module")
def confdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config directory for the real postmap, checked to be the Postfix
    version that recorded the golden files."""
    oracle.need(oracle.POSTMAP, oracle.POSTCONF)
    path = oracle.config_dir(tmp_path_factory.mktemp("postfix-conf"))
    version = oracle.run(oracle.POSTCONF, path, "-d", "-h", "mail_version").stdout
    recorded_version = (EXPECTED / "VERSION").read_text()
    if version != recorded_version:
        pytest.skip(f"Postfix {version.strip() or '?'} is installed; the golden files are"
                    f" for {recorded_version.strip()}")
    return path


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_live(case: Case, confdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = subprocess.run(
        [str(oracle.POSTMAP), "-c", str(confdir), "-q", case.key, f"{case.dict_type}:{case.name}"],
        capture_output=True, env=oracle.environ(LC_ALL="C"), check=False,
    )
    here = str(GOLDEN)
    expected = (
        real.stdout.decode("utf-8", "surrogateescape").replace(here, PLACEHOLDER),
        real.stderr.decode("utf-8", "surrogateescape").replace(here, PLACEHOLDER),
        real.returncode,
    )
    assert run_pyfix(case, capsys) == expected
