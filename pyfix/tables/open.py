"""NAME
    pyfix.tables.open - open a lookup table by "type:name"

SUMMARY
    open_table(), split_spec(), TableOpenError, TableSpecError

DESCRIPTION
    open_table("hash:/etc/postfix/transport") finds the type's module
    (types.py), opens the table and returns it.  As in Postfix, a table
    that cannot be opened (missing file, unknown type) does not stop the
    caller: with surrogate=True (the daemon default) the reason is logged
    as an error ("error: open database /etc/postfix/users.db: No such
    file or directory", once per process and reason) and a SurrogateTable
    is returned whose every lookup fails with a configuration error naming
    the reason.  Commands such as postmap pass surrogate=False and get
    TableOpenError instead.

    Opened tables are shared per (spec, flags) in one process; a table
    whose files changed since it was opened (a postmap rebuild) is
    opened again on the next open_table() call, so that a long-running
    process picks up the new version for the next request.

    Parameters read: none.

DIAGNOSTICS
    TableSpecError for text that is not "type:name" (Postfix's "open
    dictionary: expecting "type:name" form instead of ..."), which is
    fatal in Postfix; TableOpenError for an open failure.
"""

from __future__ import annotations

from pyfix.log.msg import msg_error
from pyfix.tables.base import DEFAULT_FLAGS, SurrogateTable, Table, TableOpenError
from pyfix.tables.types import opener

__all__ = ["TableOpenError", "TableSpecError", "close_all", "open_table", "split_spec"]


class TableSpecError(ValueError):
    """A table spec that is not of the form type:name."""


_cache: dict[tuple[str, int], Table] = {}
# Open errors already logged by this process: a table that stays
# unavailable is tried again at each refresh, and reported once.
_reported: set[tuple[str, str]] = set()


def split_spec(spec: str) -> tuple[str, str]:
    dict_type, sep, name = spec.partition(":")
    if not sep:
        raise TableSpecError(
            f'open dictionary: expecting "type:name" form instead of "{spec}"'
        )
    if not dict_type or not name:
        raise TableSpecError(
            f'open dictionary: expecting "type:name" form instead of "{dict_type}:{name}"'
        )
    return dict_type, name


def open_table(spec: str, flags: int = DEFAULT_FLAGS, *, surrogate: bool = True,
               cache: bool = True) -> Table:
    key = (spec, flags)
    if cache:
        table = _cache.get(key)
        if table is not None and not table.changed():
            return table
        if table is not None:
            table.close()
            del _cache[key]
    dict_type, name = split_spec(spec)
    open_fn = opener(dict_type)
    try:
        if open_fn is None:
            raise TableOpenError(f"unsupported dictionary type: {dict_type}")
        table = open_fn(name, flags)
    except TableOpenError as exc:
        if not surrogate:
            raise
        if (spec, str(exc)) not in _reported:
            _reported.add((spec, str(exc)))
            msg_error(str(exc))
        return SurrogateTable(dict_type, name, str(exc), flags)
    if cache:
        _cache[key] = table
    return table


def close_all() -> None:
    """Close every cached table (postfix reload, tests)."""
    for table in _cache.values():
        table.close()
    _cache.clear()
