"""NAME
    pyfix.config.mastercf - parse master.cf

SUMMARY
    MasterEntry, parse_master_entry(), read_master_cf()

DESCRIPTION
    Each logical line of master.cf (see conffile.py for comments and
    continuation lines) is one service:

        service type private unpriv chroot wakeup maxproc command [args]

    Fields are separated by white space; text in { } is one field.
    Daemon options come first in the command arguments; "-o name=value",
    "-oname=value" and "-o { name = value with spaces }" are brought into
    the canonical "-o" "name=value" form, as postconf(1) shows them.
    "-" in a column means the default (default_process_limit and so on).

    The service is known by "name/type".  $service_name is the service
    name, and $process_name is the base name of the command; when they
    differ, Postfix sets service_name to the master.cf name.

    Parameters read: none (callers resolve "-" defaults).

DIAGNOSTICS
    MasterError carries Postfix's text for a fatal master.cf error
    ("bad field count", "invalid type field ..."); brace problems are
    reported as warnings through the warn callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config.conffile import read_logical_lines, split_nameval
from pyfix.config.lists import BLANKS, extract_braces, split_quoted

MASTER_FILE = "master.cf"
FIELD_NAMES = (
    "service",
    "type",
    "private",
    "unprivileged",
    "chroot",
    "wakeup",
    "process_limit",
    "command",
)
MIN_FIELDS = 8
VALID_TYPES = ("unix", "fifo", "inet", "pass", "unix-dgram")
OPTIONS_WITH_VALUE = "o"


class MasterError(Exception):
    """A master.cf entry that Postfix refuses; str() is Postfix's text."""


class MasterFieldError(MasterError):
    """A bad column value; Postfix reports it without file and line."""


@dataclass
class MasterEntry:
    argv: list[str]
    raw: str = ""
    line: int = 0
    options: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.argv[0]

    @property
    def type(self) -> str:
        return self.argv[1]

    @property
    def key(self) -> str:
        return f"{self.argv[0]}/{self.argv[1]}"

    @property
    def private(self) -> str:
        return self.argv[2]

    @property
    def unprivileged(self) -> str:
        return self.argv[3]

    @property
    def chroot(self) -> str:
        return self.argv[4]

    @property
    def wakeup(self) -> str:
        return self.argv[5]

    @property
    def process_limit(self) -> str:
        return self.argv[6]

    @property
    def command(self) -> str:
        return self.argv[7]

    @property
    def process_name(self) -> str:
        return self.argv[7].rsplit("/", 1)[-1]

    @property
    def service_name(self) -> str:
        return self.argv[0]

    @property
    def command_line(self) -> str:
        return " ".join(self.argv[7:])


def _fatal_text(text: str) -> str:
    return text.replace("\n", " ")


def check_entry(argv: list[str], raw: str) -> None:
    if argv[1] not in VALID_TYPES:
        raise MasterFieldError(_fatal_text(f'invalid type field "{argv[1]}" in "{raw}"'))
    for index in (2, 3, 4):
        value = argv[index]
        if len(value) != 1 or value not in "yn-":
            raise MasterFieldError(
                _fatal_text(f'invalid {FIELD_NAMES[index]} field "{value}" in "{raw}"')
            )
    wakeup = argv[5]
    digits = wakeup[:-1] if wakeup.endswith("?") else wakeup
    if digits != "-" and not (digits == "" or (digits.isascii() and digits.isdigit())):
        raise MasterFieldError(_fatal_text(f'invalid wakeup field "{wakeup}" in "{raw}"'))
    maxproc = argv[6]
    if maxproc != "-" and not (maxproc.isascii() and (maxproc.isdigit() or maxproc == "")):
        raise MasterFieldError(_fatal_text(f'invalid process_limit field "{maxproc}" in "{raw}"'))


def _extract(argv: list[str], index: int, warn: Callable[[str], None]) -> None:
    inner, err = extract_braces(argv[index])
    if err is not None:
        warn(f"{MASTER_FILE}: {err}")
    argv[index] = inner


def _normalize_nameval(argv: list[str], index: int, warn: Callable[[str], None]) -> None:
    result = split_nameval(argv[index])
    if isinstance(result, str):
        warn(f'{MASTER_FILE}: {result}: "{argv[index]}"')
    else:
        argv[index] = f"{result[0]}={result[1]}"


def normalize_daemon_args(argv: list[str], warn: Callable[[str], None]) -> None:
    """Bring the daemon options into the canonical "-o" "name=value" form."""
    index = MIN_FIELDS
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-") or arg == "--":
            break
        for pos in range(2, len(arg)):
            if arg[pos] in OPTIONS_WITH_VALUE:
                argv[index : index + 1] = [arg[:pos], "-" + arg[pos:]]
                arg = argv[index]
                break
        if len(arg) < 2 or arg[1] not in OPTIONS_WITH_VALUE:
            index += 1
            continue
        if len(arg) > 2:
            argv[index : index + 1] = [arg[:2], arg[2:]]
            index += 1
            extract = argv[index].startswith("{")
        elif index + 1 < len(argv):
            index += 1
            extract = argv[index].startswith("{")
        else:
            extract = False
        if extract:
            _extract(argv, index, warn)
            if argv[index - 1][1] == "o":
                _normalize_nameval(argv, index, warn)
        index += 1
    for rest in range(index, len(argv)):
        if argv[rest].startswith("{"):
            _extract(argv, rest, warn)


def _collect_options(argv: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    index = MIN_FIELDS
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-") or arg == "--":
            break
        if arg == "-o" and index + 1 < len(argv):
            result = split_nameval(argv[index + 1])
            if not isinstance(result, str):
                options[result[0]] = result[1]
            index += 2
            continue
        index += 1
    return options


def parse_master_entry(
    text: str, warn: Callable[[str], None], line: int = 0
) -> MasterEntry:
    argv = split_quoted(text, BLANKS)
    if len(argv) < MIN_FIELDS:
        raise MasterError("bad field count")
    check_entry(argv, text)
    normalize_daemon_args(argv, warn)
    return MasterEntry(argv, text, line, _collect_options(argv))


def read_master_cf(path: str, text: str, warn: Callable[[str], None]) -> list[MasterEntry]:
    """Parse master.cf text; raise MasterError with "file F: line N: ..." text."""
    entries: list[MasterEntry] = []
    for logical in read_logical_lines(text, path, warn):
        if not logical.text:
            continue
        try:
            entries.append(parse_master_entry(logical.text, warn, logical.first_line))
        except MasterFieldError:
            raise
        except MasterError as exc:
            raise MasterError(f"file {path}: line {logical.first_line}: {exc}") from None
    return entries
