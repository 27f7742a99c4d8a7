"""NAME
    pyfix.tables.inline - inline:{ key=value, ... } tables

SUMMARY
    open_table()

DESCRIPTION
    "inline:{ key1=value1, { key2 = text with spaces }, ... }" is a small
    fixed-key table written in place, as in Postfix 3.0 and later.
    Elements are separated by commas or white space; an element in
    { } may hold spaces around "=" and inside the value.  Keys are
    case-folded like any fixed-key table.

    Parameters read: none.

DIAGNOSTICS
    TableOpenError with Postfix's text for bad syntax, a missing "=",
    or an empty table ("...; need "inline:{name=value...}"").
"""

from __future__ import annotations

from collections.abc import Iterator

from pyfix.config.conffile import split_qnameval
from pyfix.config.lists import LIST_SEPARATORS, extract_braces, split_quoted
from pyfix.tables.base import FIXED, Table, TableOpenError


def _balanced(text: str) -> bool:
    if not text.startswith("{"):
        return False
    level = 0
    for index, ch in enumerate(text):
        level += (ch == "{") - (ch == "}")
        if level == 0:
            return index == len(text) - 1
    return False


class InlineTable(Table):
    dict_type = "inline"
    impl_flags = FIXED

    def __init__(self, name: str, flags: int, entries: dict[str, str]) -> None:
        super().__init__(name, flags)
        self.entries = entries

    def lookup(self, key: str) -> str | None:
        return self.entries.get(self.fold(key))

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.entries.items())


def open_table(name: str, flags: int) -> Table:
    need = 'need "inline:{name=value...}"'
    if not _balanced(name) or not name[1:-1]:
        raise TableOpenError(f'bad syntax: "inline:{name}"; {need}')
    table = InlineTable(name, flags, {})
    for element in split_quoted(name[1:-1], LIST_SEPARATORS):
        err: str | None = None
        if element.startswith("{"):
            element, err = extract_braces(element)
        if err is None:
            parsed = split_qnameval(element)
            err = parsed if isinstance(parsed, str) else None
        if err is not None:
            raise TableOpenError(f'{err}: "inline:{name}"; {need}')
        assert not isinstance(parsed, str)
        table.entries[table.fold(parsed[0])] = parsed[1]
    if not table.entries:
        raise TableOpenError(f'empty table: "inline:{name}"; {need}')
    return table
