"""Run postmap/postalias/newaliases cases against real Postfix or pyfix.

A case (tests/golden/postmap/cases.txt) is one line:

    <case-id> <fixture> <step> [;; <step> ...]

and a step is shell words: an optional "@sorted" (compare stdout as a
sorted list of lines: the order of hash: and texthash: tables is not
defined), the command (postmap, postalias or newaliases), its arguments,
and an optional last word "<FILE" (standard input from FILE; otherwise
/dev/null).  "@WORK@" in an argument is the case's directory.

Every case runs in a fresh copy of fixtures/<fixture>/ (the current
directory, and $MAIL_CONFIG) whose files all get an old time stamp, so
that neither Postfix's "let the file cool down" re-read of texthash
sources nor its "database is older than source" warning depends on
timing.  The transcript holds, per step, the command, its stdout, its
stderr and its exit status; the copy's path is written @WORK@ and the
YP_LAST_MODIFIED time stamp that postalias stores is written @TIME@.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests import oracle

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "golden" / "postmap"
FIXTURES = GOLDEN / "fixtures"
CASES = GOLDEN / "cases.txt"
EXPECTED = GOLDEN / "expected"

POSTFIX = {
    "postmap": [str(oracle.POSTMAP)],
    "postalias": [str(oracle.POSTALIAS)],
    "newaliases": [str(oracle.NEWALIASES)],
}
PYFIX = {
    name: [sys.executable, "-m", f"pyfix.cli.{name}"]
    for name in ("postmap", "postalias", "newaliases")
}
OLD_TIME = 1_000_000_000  # 2001-09-09


def postfix_missing() -> str | None:
    """Why real postmap, postalias and newaliases cannot run here, or None."""
    return oracle.missing(*(Path(argv[0]) for argv in POSTFIX.values()))


@dataclass(frozen=True)
class Step:
    argv: list[str]
    stdin: str | None
    sort: bool


@dataclass(frozen=True)
class Case:
    id: str
    fixture: str
    steps: list[Step]


def parse_cases(path: Path = CASES) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = shlex.split(line)
        case_id, fixture, rest = words[0], words[1], words[2:]
        steps = []
        current: list[str] = []
        for word in [*rest, ";;"]:
            if word != ";;":
                current.append(word)
                continue
            sort = bool(current) and current[0] == "@sorted"
            if sort:
                current = current[1:]
            stdin = None
            if current and current[-1].startswith("<"):
                stdin = current.pop()[1:]
            steps.append(Step(current, stdin, sort))
            current = []
        cases.append(Case(case_id, fixture, steps))
    return cases


def _prepare(fixture: str, parent: str) -> Path:
    work = Path(parent) / "work"
    shutil.copytree(FIXTURES / fixture, work)
    for root, dirs, files in os.walk(work):
        for name in [*dirs, *files]:
            os.utime(os.path.join(root, name), (OLD_TIME, OLD_TIME))
    os.utime(work, (OLD_TIME, OLD_TIME))
    return work


def _normalize(text: str, work: Path) -> str:
    text = text.replace(str(work), "@WORK@")
    return re.sub(r"YP_LAST_MODIFIED(:?\t)\d{10}", r"YP_LAST_MODIFIED\1@TIME@", text)


def run_case(case: Case, impl: str) -> str:
    """The transcript of one case run by "postfix" or "pyfix"."""
    programs = POSTFIX if impl == "postfix" else PYFIX
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    env["LC_ALL"] = "C"
    with tempfile.TemporaryDirectory(prefix="pyfix-maps-") as parent:
        work = _prepare(case.fixture, parent)
        env["MAIL_CONFIG"] = str(work)
        out = []
        for step in case.steps:
            args = [arg.replace("@WORK@", str(work)) for arg in step.argv[1:]]
            command = programs[step.argv[0]] + args
            stdin = open(work / step.stdin, "rb") if step.stdin else subprocess.DEVNULL  # noqa: SIM115
            try:
                proc = subprocess.run(command, cwd=work, env=env, stdin=stdin,
                                      capture_output=True, timeout=120, check=False)
            finally:
                if step.stdin:
                    stdin.close()  # type: ignore[union-attr]
            stdout = proc.stdout.decode("utf-8", "surrogateescape")
            stderr = proc.stderr.decode("utf-8", "surrogateescape")
            if step.sort:
                stdout = "".join(sorted(stdout.splitlines(keepends=True)))
            shown = ("@sorted " if step.sort else "") + shlex.join(step.argv)
            if step.stdin:
                shown += f" <{step.stdin}"
            out.append(f"$ {shown}\n[stdout]\n{stdout}[stderr]\n{stderr}[exit] {proc.returncode}\n")
        return _normalize("".join(out), work)


def expected_path(case: Case) -> Path:
    return EXPECTED / f"{case.id}.txt"
