"""NAME
    pyfix.config.masteredit - edit master.cf in place

SUMMARY
    edit_master_cf(), MasterEditError

DESCRIPTION
    The engine behind postconf's master.cf edits:

    -Me service/type=entry    replace the entry, or append it when absent;
    -MX service/type          remove the entry;
    -M# service/type          comment the entry out;
    -Fe service/type/field=value
                              replace one column (or the command line);
    -Pe service/type/name=value
                              set "-o name=value" for the service;
    -PX service/type/name     remove that "-o" setting.

    Comments, blank lines and untouched entries are copied as they are;
    an edited entry is written back in postconf's folded layout.  The
    file is replaced atomically (see edit.py).

    Parameters read: none.

DIAGNOSTICS
    MasterEditError carries Postfix's fatal text; "unmatched
    service_name/type" is a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyfix.config.conffile import WHITESPACE, decode, encode, split_nameval
from pyfix.config.edit import COMMENT, EDIT, EXCLUDE, atomic_write
from pyfix.config.lists import BLANKS, split_quoted
from pyfix.config.mastercf import (
    FIELD_NAMES,
    MIN_FIELDS,
    MasterEntry,
    MasterError,
    MasterFieldError,
    check_entry,
    normalize_daemon_args,
    parse_master_entry,
)
from pyfix.config.masterfmt import format_master_entry

ENTRY = "M"
FIELD = "F"
PARAM = "P"
EDIT_OPTS = "-Me, -Fe, -Pe, -X, or -#"


class MasterEditError(Exception):
    """A master.cf edit that Postfix refuses; str() is Postfix's text."""


@dataclass
class _Request:
    raw: str
    pattern: list[str]
    value: str | None
    matches: int = 0


def _parse_pattern(text: str, count: int) -> list[str] | None:
    if text.startswith("/"):
        return None
    parts = [p for p in text.split("/") if p]
    if len(parts) != count or any(p != "*" and "*" in p for p in parts):
        return None
    return parts


def _parse_requests(target: str, mode: str, args: list[str]) -> list[_Request]:
    requests: list[_Request] = []
    for raw in args:
        if "\n" in raw:
            raise MasterEditError(f"{EDIT_OPTS} accept no multi-line input")
        text = raw.lstrip(WHITESPACE)
        if text.startswith("#"):
            raise MasterEditError(f"{EDIT_OPTS} accept no comment input")
        value: str | None = None
        if mode == EDIT:
            result = split_nameval(text)
            if isinstance(result, str):
                raise MasterEditError(f'{result}: "{raw}"')
            name, value = result
        else:
            if "=" in text:
                raise MasterEditError("-X or -# requires names without value")
            name = text.rstrip(WHITESPACE)
        pattern = _parse_pattern(name, 2 if target == ENTRY else 3)
        if target == ENTRY and pattern is None:
            raise MasterEditError("-Me, -MX or -M# requires service_name/type")
        if target == FIELD:
            if pattern is None:
                raise MasterEditError("-Fe or -FX requires service_name/type/field_name")
            if pattern[2] == "*":
                raise MasterEditError("-Fe does not accept wild-card field name")
            if pattern[2] not in FIELD_NAMES:
                raise MasterEditError(f'invalid service attribute name: "{pattern[2]}"')
            if (
                value is not None
                and FIELD_NAMES.index(pattern[2]) < MIN_FIELDS - 1
                and any(c in BLANKS for c in value)
            ):
                raise MasterEditError("-Fe does not accept whitespace in non-command field")
        if target == PARAM:
            if pattern is None:
                raise MasterEditError("-Pe or -PX requires service_name/type/parameter")
            if pattern[2] == "*":
                raise MasterEditError("-Pe does not accept wild-card parameter name")
            if value is not None and any(c in BLANKS for c in value):
                raise MasterEditError("-Pe does not accept whitespace in parameter value")
        assert pattern is not None
        requests.append(_Request(raw, pattern, value))
    return requests


def _match(pattern: list[str], name: str, type_: str) -> bool:
    return pattern[0] in ("*", name) and pattern[1] in ("*", type_)


def _ignore(_text: str) -> None:
    return None


def _entry(text: str, raw: str) -> MasterEntry:
    try:
        return parse_master_entry(text, _ignore)
    except MasterFieldError as exc:
        raise MasterEditError(str(exc)) from None
    except MasterError as exc:
        raise MasterEditError(f'{exc}: "{raw}"') from None


def _edit_field(entry: MasterEntry, field: int, value: str) -> None:
    if field == MIN_FIELDS - 1:
        del entry.argv[MIN_FIELDS - 1 :]
        entry.argv.extend(split_quoted(value, BLANKS))
        normalize_daemon_args(entry.argv, _ignore)
    else:
        entry.argv[field] = value
    try:
        check_entry(entry.argv, value)
    except MasterError as exc:
        raise MasterEditError(str(exc)) from None


def _edit_param(entry: MasterEntry, name: str, value: str | None) -> None:
    argv = entry.argv
    index = MIN_FIELDS
    matched = False
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-") or arg == "--":
            break
        if len(arg) > 1 and arg[1] == "o" and index + 1 < len(argv):
            if arg == "-o" and argv[index + 1].startswith(name + "="):
                matched = True
                if value is not None:
                    argv[index + 1] = f"{name}={value}"
                else:
                    del argv[index : index + 2]
                    continue
            index += 2
            continue
        index += 1
    if value is not None and not matched:
        argv[index:index] = ["-o", f"{name}={value}"]


def _logical_entry_lines(lines: list[str], start: int) -> int:
    """Index after the continuation (and interleaved comment) lines."""
    end = start + 1
    while end < len(lines) and lines[end][:1] in ("#", *WHITESPACE) and lines[end][:1]:
        end += 1
    return end


def edit_master_text(
    text: str, path: str, target: str, mode: str, args: list[str], warn: Callable[[str], None]
) -> str:
    requests = _parse_requests(target, mode, args)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip(WHITESPACE)
        if not stripped or stripped.startswith("#") or line[0] in WHITESPACE:
            out.append(line)
            index += 1
            continue
        end = _logical_entry_lines(lines, index)
        words = line.split(None, 2)
        if len(words) < 2:
            raise MasterEditError(
                f"file {path}: line {index + 1}: specify service name and type on the same line"
            )
        name, type_ = words[0], words[1]
        if "=" in name:
            raise MasterEditError(
                f'file {path}: line {index + 1}: service name syntax "{name}" '
                f"is unsupported with {EDIT_OPTS}"
            )
        if any(c in "=/" for c in type_):
            raise MasterEditError(
                f'file {path}: line {index + 1}: service type syntax "{type_}" '
                f"is unsupported with {EDIT_OPTS}"
            )
        block = lines[index:end]
        index = end
        new_entry: MasterEntry | None = None
        matched = False
        for req in requests:
            tentative = (
                _entry(req.value, req.raw) if target == ENTRY and req.value is not None else None
            )
            hit = _match(req.pattern, name, type_) or (
                tentative is not None and _match(tentative.argv[:2], name, type_)
            )
            if not hit:
                continue
            matched = True
            req.matches += 1
            if target == ENTRY:
                if tentative is not None and req.matches == 1:
                    new_entry = tentative
                continue
            if mode == EDIT or (target == PARAM and mode == EXCLUDE):
                if new_entry is None:
                    content = "".join(
                        b for b in block if b.lstrip(WHITESPACE)[:1] not in ("#", "")
                    )
                    try:
                        new_entry = parse_master_entry(content, _ignore)
                    except MasterError as exc:
                        raise MasterEditError(f"file {path}: line {end}: {exc}") from None
                if target == FIELD:
                    assert req.value is not None
                    _edit_field(new_entry, FIELD_NAMES.index(req.pattern[2]), req.value)
                else:
                    _edit_param(new_entry, req.pattern[2], req.value)
        if new_entry is not None:
            comments = [b for b in block[1:] if b.lstrip(WHITESPACE)[:1] in ("#", "")]
            formatted = format_master_entry(new_entry, True) + "\n"
            # Postfix copies comments as it reads them: after a replaced
            # entry (-Me), before a re-parsed one (-Fe, -Pe, -PX).
            out.extend([formatted, *comments] if target == ENTRY else [*comments, formatted])
        elif not matched:
            out.extend(block)
        elif mode == COMMENT:
            out.extend(b if b.lstrip(WHITESPACE)[:1] in ("#", "") else "#" + b for b in block)
        elif mode == EXCLUDE:
            out.extend(b for b in block[1:] if b.lstrip(WHITESPACE)[:1] in ("#", ""))
    for req in requests:
        if req.matches:
            continue
        if target == ENTRY and mode == EDIT and req.value is not None:
            out.append(format_master_entry(_entry(req.value, req.raw), True) + "\n")
        elif target != ENTRY:
            warn(f'unmatched service_name/type: "{req.raw}"')
    return "".join(out)


def edit_master_cf(
    path: str, target: str, mode: str, args: list[str], warn: Callable[[str], None]
) -> None:
    try:
        with open(path, "rb") as fh:
            text = decode(fh.read())
    except OSError as exc:
        raise MasterEditError(f"open {path} for reading: {exc.strerror}") from None
    new_text = edit_master_text(text, path, target, mode, args, warn)
    try:
        atomic_write(path, encode(new_text))
    except OSError as exc:
        raise MasterEditError(f"open {path}.tmp: {exc.strerror}") from None
