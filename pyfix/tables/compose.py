"""NAME
    pyfix.tables.compose - pipemap:{...}, unionmap:{...}, proxy: and proxywrite:

SUMMARY
    open_pipemap(), open_unionmap(), open_proxy()

DESCRIPTION
    pipemap:{ type:name, type:name, ... } sends the key to the first
    table, its result to the second, and so on; the last result is the
    answer, and a miss anywhere is a miss.

    unionmap:{ type:name, ... } asks every table and joins the results
    found with commas.

    proxy:type:name and proxywrite:type:name are pass-through wrappers:
    pyfix services share tables in-process, so no proxymap daemon is
    needed, and the inner table is opened directly.

    Parameters read: none.

DIAGNOSTICS
    TableOpenError for bad syntax or a bad member table; lookup errors
    of member tables propagate unchanged.
"""

from __future__ import annotations

from pyfix.config.lists import LIST_SEPARATORS, extract_braces, split_quoted
from pyfix.tables.base import Table, TableOpenError


def _members(dict_type: str, name: str, flags: int) -> list[Table]:
    from pyfix.tables.open import TableSpecError, open_table

    need = f'need "{dict_type}:{{type:name...}}"'
    inner, err = extract_braces(name)
    if err is not None or not name.startswith("{"):
        raise TableOpenError(f'bad syntax: "{dict_type}:{name}"; {need}')
    specs = split_quoted(inner, LIST_SEPARATORS)
    if not specs:
        raise TableOpenError(f'empty table: "{dict_type}:{name}"; {need}')
    tables: list[Table] = []
    for spec in specs:
        try:
            tables.append(open_table(spec, flags, surrogate=False))
        except TableSpecError as exc:
            raise TableOpenError(str(exc)) from None
    return tables


class PipeTable(Table):
    dict_type = "pipemap"

    def __init__(self, name: str, flags: int, members: list[Table]) -> None:
        super().__init__(name, flags)
        self.members = members

    def lookup(self, key: str) -> str | None:
        value = key
        for table in self.members:
            found = table.lookup(value)
            if found is None:
                return None
            value = found
        return value

    def changed(self) -> bool:
        return any(t.changed() for t in self.members)


class UnionTable(PipeTable):
    dict_type = "unionmap"

    def lookup(self, key: str) -> str | None:
        found = [v for v in (t.lookup(key) for t in self.members) if v is not None]
        return ",".join(found) if found else None


def open_pipemap(name: str, flags: int) -> Table:
    return PipeTable(name, flags, _members("pipemap", name, flags))


def open_unionmap(name: str, flags: int) -> Table:
    return UnionTable(name, flags, _members("unionmap", name, flags))


def open_proxy(name: str, flags: int) -> Table:
    from pyfix.tables.open import TableSpecError, open_table

    try:
        return open_table(name, flags, surrogate=False)
    except TableSpecError as exc:
        raise TableOpenError(str(exc)) from None
