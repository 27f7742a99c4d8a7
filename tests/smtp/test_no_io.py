"""pyfix/smtp/ is a sans-I/O protocol core: no asyncio, sockets or files.

The asyncio shell (pyfix/smtpd/) does the I/O; everything under
pyfix/smtp/ must run on bytes handed to it.  This test reads the source
of every module and fails on an import of an I/O or concurrency module,
or on a call of open(), print() or input(); and it imports the package
in a fresh interpreter to make sure asyncio does not come in through a
dependency either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pyfix" / "smtp"
FORBIDDEN_MODULES = {
    "asyncio",
    "socket",
    "ssl",
    "selectors",
    "select",
    "subprocess",
    "threading",
    "multiprocessing",
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "time",
    "uvloop",
}
FORBIDDEN_CALLS = {"open", "print", "input"}
MODULES = sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_module_does_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    problems: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES:
                problems.append(f"line {node.lineno}: imports {name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FORBIDDEN_CALLS
        ):
            problems.append(f"line {node.lineno}: calls {node.func.id}()")
    assert not problems, f"{path.name}: " + "; ".join(problems)


def test_package_does_not_pull_in_asyncio() -> None:
    modules = " ".join(f"pyfix.smtp.{p.stem}" for p in MODULES if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules.split()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in ('asyncio', 'socket', 'ssl', 'selectors') if m in sys.modules)\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"imported: {result.stdout.strip()}"
