"""Differential tests: pyfix's postconf against the real Postfix postconf.

The cases live in tests/golden/postconf/cases.txt, one per line:
``<case-id> <fixture> <args...>``.  Each case runs ``postconf -c CONFDIR <args>``
on a fresh copy of tests/golden/postconf/fixtures/<fixture>/.

* test_golden compares pyfix with the output of the real postconf recorded
  by tests/golden/postconf/record.sh (runs everywhere).
* test_live runs the real /usr/sbin/postconf and pyfix side by side (skipped
  where Postfix is not installed).
* test_live_defaults / test_live_plain compare every parameter of
  ``postconf -d`` and of a plain ``postconf`` at once.

What is compared: stdout, stderr, the exit code, main.cf and master.cf after
the run, and the names of the files in the config dir.  The config dir path
is replaced with @CONFDIR@ everywhere.  Three normalizations are applied to
both sides, because the real postconf is itself not deterministic there:

* ``process_id = <pid>`` lines become ``process_id = @PID@``;
* runs of consecutive "unused parameter", "undefined parameter" and
  "truncated macro reference" warnings are sorted: Postfix emits them while
  walking a hash table whose order is randomized per process;
* new parameters that ``postconf -e`` appends to the end of main.cf are
  sorted, for the same reason.

All copied files get an old mtime: Postfix re-reads a main.cf modified less
than a second ago (repeating its warnings), which the goldens do not expect.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO_ROOT / "tests" / "golden" / "postconf"
FIXTURES_DIR = GOLDEN_DIR / "fixtures"
EXPECTED_DIR = GOLDEN_DIR / "expected"
CASES_FILE = GOLDEN_DIR / "cases.txt"

REAL_POSTCONF = Path("/usr/sbin/postconf")
PYFIX_POSTCONF: tuple[str, ...] = (sys.executable, "-m", "pyfix.cli.postconf")
CONFDIR_PLACEHOLDER = b"@CONFDIR@"
CONFIG_FILES: tuple[str, ...] = ("main.cf", "master.cf")
OLD_MTIME = 946684800  # 2000-01-01 00:00:00 UTC
RUN_TIMEOUT = 120.0

# Parameters whose default value depends on the host (names, addresses,
# process id) or on how Postfix was built and packaged (paths, version,
# database and SASL types).  Left out of the live -d / plain comparisons.
HOST_OR_BUILD_DEPENDENT: frozenset[str] = frozenset(
    {
        # host
        "myhostname",
        "mydomain",
        "mynetworks",
        "process_id",
        # build / package
        "config_directory",
        "command_directory",
        "daemon_directory",
        "data_directory",
        "meta_directory",
        "queue_directory",
        "shlib_directory",
        "html_directory",
        "manpage_directory",
        "readme_directory",
        "sample_directory",
        "mail_spool_directory",
        "sendmail_path",
        "newaliases_path",
        "mailq_path",
        "openssl_path",
        "mail_version",
        "mail_release_date",
        "default_database_type",
        "alias_database",
        "alias_maps",
        "smtpd_sasl_type",
        "smtp_sasl_type",
        "lmtp_sasl_type",
    }
)

# pyfix deliberately follows the Postfix 3.9 defaults for these.
PYFIX_DIFFERS: frozenset[str] = frozenset(
    {"smtpd_forbid_bare_newline", "smtpd_forbid_unauth_pipelining"}
)

# Cases where pyfix differs from Postfix on purpose: the part named is not
# compared, and a dedicated test below checks pyfix's own behaviour.
DELIBERATE: dict[str, tuple[str, str]] = {
    # Postfix lists the map types of its build (nis, tcp, memcache, ...);
    # pyfix lists the types it implements (test_map_types_are_pyfix_own).
    "opt-m": ("stdout", "postconf -m lists pyfix's own table types"),
    # After a refused -Me, Postfix leaves its master.cf.tmp behind; pyfix
    # writes through a temporary file that it always removes.
    "sub-Me-bad-type": ("files in the config dir", "no stray master.cf.tmp"),
}

# The fixtures whose plain "postconf" output is compared live.
PLAIN_FIXTURES: tuple[str, ...] = ("seed-dmz", "seed-internal")
# The fixture used for the live "postconf -d" comparison (stock master.cf).
DEFAULTS_FIXTURE = "empty"

HASH_ORDERED_WARNING = re.compile(
    rb"^postconf: warning: (?:.*: (?:unused|undefined) parameter: |truncated macro reference: )"
)
PROCESS_ID_LINE = re.compile(rb"^process_id = \d+$", re.MULTILINE)
ASSIGNMENT_LINE = re.compile(rb"^[^\s#=]+ = ")
MAIN_CF_NAME = re.compile(r"^([A-Za-z0-9_]+)\s*=")

needs_real_postconf = pytest.mark.skipif(
    not REAL_POSTCONF.exists(),
    reason=f"live comparison needs the real Postfix postconf at {REAL_POSTCONF}",
)


# --------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """One line of cases.txt."""

    case_id: str
    fixture: str
    args: tuple[str, ...]
    lineno: int


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    """Parse cases.txt: ``<case-id> <fixture> <args...>`` per line."""
    cases: list[Case] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = shlex.split(line)
        if len(words) < 2:
            raise ValueError(f"{path}:{lineno}: need <case-id> <fixture> [args]")
        if words[0] in seen:
            raise ValueError(f"{path}:{lineno}: duplicate case id {words[0]!r}")
        seen.add(words[0])
        cases.append(Case(words[0], words[1], tuple(words[2:]), lineno))
    return cases


CASES: list[Case] = load_cases()


def case_params(cases: Iterable[Case]) -> list[pytest.ParameterSet]:
    return [pytest.param(case, id=case.case_id) for case in cases]


# --------------------------------------------------------------------------
# Running postconf


@dataclass(frozen=True)
class Outcome:
    """Everything a postconf run produced, with the config dir path replaced.

    ``files`` maps main.cf / master.cf to their content after the run (None
    if absent); ``listing`` holds the sorted names in the config dir.
    """

    stdout: bytes
    stderr: bytes
    returncode: int
    files: Mapping[str, bytes | None]
    listing: tuple[str, ...]


def copy_fixture(fixture: str, dest: Path) -> Path:
    """Copy a fixture dir to ``dest`` and give every file an old mtime."""
    src = FIXTURES_DIR / fixture
    if not src.is_dir():
        raise FileNotFoundError(f"no fixture directory {src}")
    shutil.copytree(src, dest)
    for path in [dest, *dest.rglob("*")]:
        os.utime(path, (OLD_MTIME, OLD_MTIME), follow_symlinks=False)
    return dest


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MAIL_CONFIG", "MAIL_VERBOSE", "MAIL_DEBUG", "NORANDOMIZE"}
    }
    env["LC_ALL"] = "C"
    return env


def collect(confdir: Path, proc: subprocess.CompletedProcess[bytes]) -> Outcome:
    needle = str(confdir).encode()
    files: dict[str, bytes | None] = {}
    for name in CONFIG_FILES:
        path = confdir / name
        files[name] = (
            path.read_bytes().replace(needle, CONFDIR_PLACEHOLDER) if path.exists() else None
        )
    return Outcome(
        stdout=proc.stdout.replace(needle, CONFDIR_PLACEHOLDER),
        stderr=proc.stderr.replace(needle, CONFDIR_PLACEHOLDER),
        returncode=proc.returncode,
        files=files,
        listing=tuple(sorted(os.listdir(confdir))),
    )


def run_pyfix(confdir: Path, args: Sequence[str]) -> Outcome:
    proc = subprocess.run(
        [*PYFIX_POSTCONF, "-c", str(confdir), *args],
        cwd=REPO_ROOT,
        env=base_env(),
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return collect(confdir, proc)


def run_real(confdir: Path, args: Sequence[str]) -> Outcome:
    env = base_env()
    env["NORANDOMIZE"] = "1"  # fixed hash-table order, as in the recording
    proc = subprocess.run(
        ["postconf", "-c", str(confdir), *args],
        executable=str(REAL_POSTCONF),
        cwd=confdir.parent,
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return collect(confdir, proc)


# --------------------------------------------------------------------------
# Golden files


def fixture_file(fixture: str, name: str) -> bytes | None:
    path = FIXTURES_DIR / fixture / name
    return path.read_bytes() if path.exists() else None


def load_golden(case: Case) -> Outcome:
    """The recorded outcome of ``case``; files not recorded are unchanged."""

    def read(suffix: str) -> bytes:
        path = EXPECTED_DIR / f"{case.case_id}{suffix}"
        if not path.exists():
            raise FileNotFoundError(
                f"golden file {path} is missing; run tests/golden/postconf/record.sh"
            )
        return path.read_bytes()

    files: dict[str, bytes | None] = {}
    for name in CONFIG_FILES:
        edited = EXPECTED_DIR / f"{case.case_id}.{name}"
        files[name] = edited.read_bytes() if edited.exists() else fixture_file(case.fixture, name)
    listing_file = EXPECTED_DIR / f"{case.case_id}.files"
    if listing_file.exists():
        listing = tuple(listing_file.read_text(encoding="utf-8").split())
    else:
        listing = tuple(sorted(os.listdir(FIXTURES_DIR / case.fixture)))
    return Outcome(
        stdout=read(".out"),
        stderr=read(".err"),
        returncode=int(read(".rc").decode().strip()),
        files=files,
        listing=listing,
    )


# --------------------------------------------------------------------------
# Normalization and comparison


def sort_runs(lines: list[bytes], member: re.Pattern[bytes]) -> list[bytes]:
    """Sort each maximal run of consecutive lines that match ``member``."""
    out: list[bytes] = []
    run: list[bytes] = []
    for line in lines:
        if member.match(line):
            run.append(line)
            continue
        out.extend(sorted(run))
        run = []
        out.append(line)
    out.extend(sorted(run))
    return out


def normalize_stdout(data: bytes) -> bytes:
    return PROCESS_ID_LINE.sub(b"process_id = @PID@", data)


def normalize_stderr(data: bytes) -> bytes:
    lines = data.split(b"\n")
    return b"\n".join(sort_runs(lines, HASH_ORDERED_WARNING))


def normalize_main_cf(data: bytes | None, original: bytes | None) -> bytes | None:
    """Sort the trailing block of parameter lines that ``-e`` appended.

    The block is the maximal run of ``name = value`` lines at the end of the
    file that do not occur in the original fixture file.
    """
    if data is None:
        return None
    if original is None or data == original:
        return data
    known = set(original.splitlines())
    lines = data.splitlines(keepends=True)
    start = len(lines)
    while (
        start > 0
        and ASSIGNMENT_LINE.match(lines[start - 1])
        and lines[start - 1].rstrip(b"\r\n") not in known
    ):
        start -= 1
    tail = lines[start:]
    if len(tail) < 2:
        return data
    ends_with_newline = tail[-1].endswith(b"\n")
    body = sorted(line.rstrip(b"\n") for line in tail)
    return b"".join(lines[:start]) + b"\n".join(body) + (b"\n" if ends_with_newline else b"")


def comparable(outcome: Outcome, fixture: str, case_id: str = "") -> dict[str, bytes]:
    """The parts of an outcome that must match, normalized, by label."""
    parts = {
        "stdout": normalize_stdout(outcome.stdout),
        "stderr": normalize_stderr(outcome.stderr),
        "exit code": b"%d\n" % outcome.returncode,
        "files in the config dir": b"\n".join(n.encode() for n in outcome.listing) + b"\n",
    }
    for name in CONFIG_FILES:
        content = outcome.files.get(name)
        if name == "main.cf":
            content = normalize_main_cf(content, fixture_file(fixture, name))
        parts[name] = b"<no such file>\n" if content is None else content
    if case_id in DELIBERATE:
        del parts[DELIBERATE[case_id][0]]
    return parts


def show(data: bytes) -> list[str]:
    """Bytes as printable lines for a diff (non-UTF-8 bytes escaped)."""
    text = data.decode("utf-8", errors="backslashreplace")
    return [line.replace("\r", "\\r") for line in text.split("\n")]


def describe_mismatch(
    expected: Mapping[str, bytes],
    actual: Mapping[str, bytes],
    expected_label: str,
    actual_label: str,
) -> str | None:
    """A readable report of every part that differs, or None if all match."""
    reports: list[str] = []
    for part, want in expected.items():
        got = actual[part]
        if got == want:
            continue
        diff = difflib.unified_diff(
            show(want),
            show(got),
            fromfile=f"{expected_label} {part}",
            tofile=f"{actual_label} {part}",
            lineterm="",
        )
        reports.append(f"--- {part} differs:\n" + "\n".join(diff))
    return "\n\n".join(reports) if reports else None


def command_line(case: Case) -> str:
    return shlex.join(["postconf", "-c", "@CONFDIR@", *case.args])


# --------------------------------------------------------------------------
# Tests


@pytest.mark.parametrize("case", case_params(CASES))
def test_golden(case: Case, tmp_path: Path) -> None:
    """pyfix's output equals the recorded output of the real postconf."""
    golden = load_golden(case)
    confdir = copy_fixture(case.fixture, tmp_path / "conf")
    actual = run_pyfix(confdir, case.args)
    report = describe_mismatch(
        comparable(golden, case.fixture, case.case_id),
        comparable(actual, case.fixture, case.case_id),
        "postfix",
        "pyfix",
    )
    if report is not None:
        pytest.fail(
            f"case {case.case_id} (cases.txt line {case.lineno}, fixture {case.fixture}):\n"
            f"  {command_line(case)}\n\n{report}",
            pytrace=False,
        )


@needs_real_postconf
@pytest.mark.parametrize("case", case_params(CASES))
def test_live(case: Case, tmp_path: Path) -> None:
    """pyfix's output equals that of the installed real postconf."""
    real = run_real(copy_fixture(case.fixture, tmp_path / "real" / "conf"), case.args)
    mine = run_pyfix(copy_fixture(case.fixture, tmp_path / "pyfix" / "conf"), case.args)
    report = describe_mismatch(
        comparable(real, case.fixture, case.case_id),
        comparable(mine, case.fixture, case.case_id),
        "postfix",
        "pyfix",
    )
    if report is not None:
        pytest.fail(
            f"case {case.case_id} (cases.txt line {case.lineno}, fixture {case.fixture}):\n"
            f"  {command_line(case)}\n\n{report}",
            pytrace=False,
        )


def parse_parameters(stdout: bytes) -> dict[str, bytes]:
    """Parse ``name = value`` lines (``name =`` for an empty value)."""
    params: dict[str, bytes] = {}
    for line in stdout.split(b"\n"):
        if not line:
            continue
        name, sep, value = line.partition(b" =")
        if not sep or (value and not value.startswith(b" ")):
            raise AssertionError(f"not a 'name = value' line: {line!r}")
        params[name.decode("utf-8", errors="backslashreplace")] = value[1:]
    return params


def compare_parameters(
    real: Mapping[str, bytes], mine: Mapping[str, bytes], excluded: frozenset[str]
) -> list[str]:
    """Every difference between two name->value dicts, one line each."""
    problems: list[str] = []
    real_names = [n for n in real if n not in excluded]
    mine_names = [n for n in mine if n not in excluded]
    missing = sorted(set(real_names) - set(mine_names))
    extra = sorted(set(mine_names) - set(real_names))
    for name in missing:
        problems.append(f"missing in pyfix: {name} = {real[name]!r}")
    for name in extra:
        problems.append(f"only in pyfix:    {name} = {mine[name]!r}")
    for name in real_names:
        if name in mine and real[name] != mine[name]:
            problems.append(
                f"value differs:    {name}: postfix {real[name]!r} != pyfix {mine[name]!r}"
            )
    common = set(real_names) & set(mine_names)
    real_order = [n for n in real_names if n in common]
    mine_order = [n for n in mine_names if n in common]
    if real_order != mine_order:
        problems.append("the parameters are printed in a different order")
    return problems


def live_pair(fixture: str, args: Sequence[str], tmp_path: Path) -> tuple[Outcome, Outcome]:
    real = run_real(copy_fixture(fixture, tmp_path / "real" / "conf"), args)
    mine = run_pyfix(copy_fixture(fixture, tmp_path / "pyfix" / "conf"), args)
    return real, mine


def check_all_parameters(real: Outcome, mine: Outcome, excluded: frozenset[str], what: str) -> None:
    problems: list[str] = []
    if real.returncode != mine.returncode:
        problems.append(f"exit code: postfix {real.returncode} != pyfix {mine.returncode}")
    if normalize_stderr(real.stderr) != normalize_stderr(mine.stderr):
        problems.append(
            "stderr differs:\n"
            + "\n".join(
                difflib.unified_diff(
                    show(real.stderr), show(mine.stderr), "postfix", "pyfix", lineterm=""
                )
            )
        )
    problems.extend(
        compare_parameters(parse_parameters(real.stdout), parse_parameters(mine.stdout), excluded)
    )
    if problems:
        pytest.fail(
            f"{what}: {len(problems)} difference(s):\n" + "\n".join(problems), pytrace=False
        )


@needs_real_postconf
def test_live_defaults(tmp_path: Path) -> None:
    """``postconf -d`` (with the stock master.cf): every default value."""
    real, mine = live_pair(DEFAULTS_FIXTURE, ["-d"], tmp_path)
    check_all_parameters(real, mine, HOST_OR_BUILD_DEPENDENT | PYFIX_DIFFERS, "postconf -d")


def names_set_in_main_cf(fixture: str) -> frozenset[str]:
    data = fixture_file(fixture, "main.cf") or b""
    names = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        match = MAIN_CF_NAME.match(line)
        if match:
            names.add(match.group(1))
    return frozenset(names)


@needs_real_postconf
@pytest.mark.parametrize("fixture", PLAIN_FIXTURES)
def test_live_plain(fixture: str, tmp_path: Path) -> None:
    """Plain ``postconf`` (every parameter's value) on the seed fixtures."""
    real, mine = live_pair(fixture, [], tmp_path)
    excluded = (HOST_OR_BUILD_DEPENDENT | PYFIX_DIFFERS) - names_set_in_main_cf(fixture)
    check_all_parameters(real, mine, excluded, f"postconf on {fixture}")


# --------------------------------------------------------------------------
# Self-checks of the corpus (cheap; they guard against a broken recording)


def test_corpus_is_complete() -> None:
    """Every case has a fixture and a recorded golden output."""
    problems: list[str] = []
    for case in CASES:
        if not (FIXTURES_DIR / case.fixture).is_dir():
            problems.append(f"{case.case_id}: no fixture {case.fixture}")
        for suffix in (".out", ".err", ".rc"):
            if not (EXPECTED_DIR / f"{case.case_id}{suffix}").exists():
                problems.append(f"{case.case_id}: no expected/{case.case_id}{suffix}")
    known = {
        case.case_id + suffix
        for case in CASES
        for suffix in (".out", ".err", ".rc", ".main.cf", ".master.cf", ".files")
    }
    for path in EXPECTED_DIR.iterdir():
        if path.name != "VERSION" and path.name not in known:
            problems.append(f"stale golden file {path.name}")
    assert not problems, "\n".join(problems)


def test_normalizations() -> None:
    """The order-insensitive parts are only the hash-ordered ones."""
    err = (
        b"postconf: warning: x/main.cf: unused parameter: b=1\n"
        b"postconf: warning: x/main.cf: unused parameter: a=1\n"
        b"postconf: warning: foo: unknown parameter\n"
        b"postconf: warning: x/main.cf: undefined parameter: z\n"
        b"postconf: warning: x/main.cf: undefined parameter: y\n"
    )
    assert normalize_stderr(err) == (
        b"postconf: warning: x/main.cf: unused parameter: a=1\n"
        b"postconf: warning: x/main.cf: unused parameter: b=1\n"
        b"postconf: warning: foo: unknown parameter\n"
        b"postconf: warning: x/main.cf: undefined parameter: y\n"
        b"postconf: warning: x/main.cf: undefined parameter: z\n"
    )
    original = b"a = 1\n# end\n"
    edited = b"a = 2\n# end\nzz = 1\naa = 2\n"
    assert normalize_main_cf(edited, original) == b"a = 2\n# end\naa = 2\nzz = 1\n"
    assert normalize_main_cf(b"a = 1\n# end\naa = 2\n", original) == b"a = 1\n# end\naa = 2\n"
    assert normalize_stdout(b"process_id = 1234\nprocess_name = postconf\n") == (
        b"process_id = @PID@\nprocess_name = postconf\n"
    )


def test_map_types_are_pyfix_own(tmp_path: Path) -> None:
    """postconf -m lists exactly the table types that pyfix implements."""
    from pyfix.tables.types import supported_types

    confdir = copy_fixture("basic", tmp_path / "conf")
    outcome = run_pyfix(confdir, ["-m"])
    assert outcome.returncode == 0
    assert outcome.stdout.decode().split() == sorted(supported_types())
    assert {"hash", "regexp", "pcre", "cidr", "inline", "static"} <= set(supported_types())


def test_refused_edit_leaves_no_temporary_file(tmp_path: Path) -> None:
    confdir = copy_fixture("submission", tmp_path / "conf")
    before = sorted(p.name for p in confdir.iterdir())
    outcome = run_pyfix(confdir, ["-Me", "submission/inet=submission bogus n - n - - smtpd"])
    assert outcome.returncode == 1
    assert sorted(p.name for p in confdir.iterdir()) == before


@pytest.mark.parametrize("how", ["env", "option"])
def test_mail_config_environment(how: str, tmp_path: Path) -> None:
    """MAIL_CONFIG selects the directory like -c does (config_directory shows in -n)."""
    confdir = copy_fixture("basic", tmp_path / "conf")
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    args = [sys.executable, "-m", "pyfix.cli.postconf", "-n"]
    if how == "env":
        env["MAIL_CONFIG"] = str(confdir)
    else:
        args[3:3] = ["-c", str(confdir)]
    result = subprocess.run(args, env=env, capture_output=True, check=False, cwd=REPO_ROOT)
    assert result.returncode == 0
    assert f"config_directory = {confdir}\n".encode() in result.stdout
    assert b"relayhost = " in result.stdout
