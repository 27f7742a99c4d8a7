"""NAME
    pyfix.cli.postconf_master - postconf's master.cf views

SUMMARY
    show_master_entries(), show_master_fields(), show_master_params(),
    format_master_entry(), parse_service_pattern()

DESCRIPTION
    -M shows master.cf entries with the columns at Postfix's preferred
    positions; -Mf folds long lines and puts each "-o name=value" on a
    line of its own.  -F shows "service/type/field = value" lines and -P
    shows "service/type/parameter = value" lines for -o settings.  A
    request is "service[/type[/field-or-parameter]]"; "*" alone matches
    anything.  With -x, -o values are expanded in the service's scope.

    Parameters read: whatever -x expansion asks for.

DIAGNOSTICS
    Fatal: a malformed request; warning: a request that matches
    nothing ("unmatched request").
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from pyfix.cli.postconf_print import print_line
from pyfix.config.mastercf import FIELD_NAMES, MIN_FIELDS, MasterEntry
from pyfix.config.masterfmt import format_master_entry
from pyfix.config.store import Config, ExpansionError
from pyfix.log.msg import msg_fatal, msg_warn

WILDCARD = "*"


def parse_service_pattern(text: str, lo: int, hi: int) -> list[str] | None:
    if text.startswith("/"):
        return None
    parts = [p for p in text.split("/") if p]
    if not lo <= len(parts) <= hi:
        return None
    if any(p != WILDCARD and WILDCARD in p for p in parts):
        return None
    return parts + [WILDCARD] * (hi - len(parts))


def _expander(config: Config, expand: bool) -> Callable[[str, MasterEntry], str] | None:
    if not expand:
        return None
    return lambda value, entry: _expand(config, value, entry)


def _match(pattern: str, value: str) -> bool:
    return pattern in (WILDCARD, value)


def _matches(pattern: list[str], entry: MasterEntry) -> bool:
    return _match(pattern[0], entry.name) and _match(pattern[1], entry.type)


def _expand(config: Config, value: str, entry: MasterEntry) -> str:
    try:
        return config.expand(value, entry)
    except ExpansionError as exc:
        msg_fatal(str(exc))


def _report_unmatched(requests: list[tuple[str, list[str]]], counts: list[int]) -> None:
    for (raw, _), count in zip(requests, counts, strict=True):
        if count == 0:
            msg_warn(f'unmatched request: "{raw}"')


def _parse_requests(args: list[str], hi: int, usage: str) -> list[tuple[str, list[str]]]:
    requests = []
    for raw in args:
        pattern = parse_service_pattern(raw, 1, hi)
        if pattern is None:
            msg_fatal(usage)
        requests.append((raw, pattern))
    return requests


def show_master_entries(config: Config, args: list[str], fold: bool, expand: bool) -> None:
    requests = _parse_requests(args, 2, "-M option requires service_name[/type]")
    counts = [0] * len(requests)
    scope = _expander(config, expand)
    for entry in config.master:
        if not requests:
            sys.stdout.write(format_master_entry(entry, fold, scope) + "\n")
            continue
        for index, (_, pattern) in enumerate(requests):
            if _matches(pattern, entry):
                counts[index] += 1
                sys.stdout.write(format_master_entry(entry, fold, scope) + "\n")
    _report_unmatched(requests, counts)


def _print_field(
    entry: MasterEntry, field: int, fold: bool, hide_name: bool, hide_value: bool,
    config: Callable[[str, MasterEntry], str] | None,
) -> None:
    name = f"{entry.key}/{FIELD_NAMES[field]}"
    if hide_value:
        print_line(name, fold)
    elif field == MIN_FIELDS - 1:
        # Postfix lays the command out as if the "name = " prefix were
        # there, also with -h (where it then joins the first two words).
        prefix = 0 if hide_name else len(f"{name} = ")
        value = format_master_entry(entry, fold, config, MIN_FIELDS - 1, prefix)
        sys.stdout.write(value + "\n" if hide_name else f"{name} = {value}\n")
    else:
        print_line(entry.argv[field] if hide_name else f"{name} = {entry.argv[field]}", fold)


def show_master_fields(
    config: Config, args: list[str], fold: bool, expand: bool, hide_name: bool, hide_value: bool
) -> None:
    requests = _parse_requests(args, 3, "-F option requires service_name[/type[/field]]")
    fields: list[list[int]] = []
    for _, pattern in requests:
        if pattern[2] == WILDCARD:
            fields.append(list(range(MIN_FIELDS)))
        elif pattern[2] in FIELD_NAMES:
            fields.append([FIELD_NAMES.index(pattern[2])])
        else:
            msg_fatal(f'invalid service attribute name: "{pattern[2]}"')
    counts = [0] * len(requests)
    scope = _expander(config, expand)
    for entry in config.master:
        if not requests:
            for field in range(MIN_FIELDS):
                _print_field(entry, field, fold, hide_name, hide_value, scope)
            continue
        for index, (_, pattern) in enumerate(requests):
            if _matches(pattern, entry):
                counts[index] += 1
                for field in fields[index]:
                    _print_field(entry, field, fold, hide_name, hide_value, scope)
    _report_unmatched(requests, counts)


def _print_param(
    config: Config, entry: MasterEntry, name: str, value: str,
    fold: bool, expand: bool, hide_name: bool, hide_value: bool,
) -> None:
    if hide_value:
        print_line(f"{entry.key}/{name}", fold)
        return
    if expand:
        value = _expand(config, value, entry)
    print_line(value if hide_name else f"{entry.key}/{name} = {value}", fold)


def show_master_params(
    config: Config, args: list[str], fold: bool, expand: bool, hide_name: bool, hide_value: bool
) -> None:
    requests = _parse_requests(args, 3, "-P option requires service_name[/type[/parameter]]")
    counts = [0] * len(requests)
    flags = (fold, expand, hide_name, hide_value)
    for entry in config.master:
        if not entry.options:
            continue
        wanted: list[tuple[str, str]] = []
        if not requests:
            wanted = sorted(entry.options.items())
        for index, (_, pattern) in enumerate(requests):
            if not _matches(pattern, entry):
                continue
            if pattern[2] == WILDCARD:
                wanted.extend(sorted(entry.options.items()))
                counts[index] += 1
            elif pattern[2] in entry.options:
                wanted.append((pattern[2], entry.options[pattern[2]]))
                counts[index] += 1
        for name, value in wanted:
            _print_param(config, entry, name, value, *flags)
    _report_unmatched(requests, counts)
