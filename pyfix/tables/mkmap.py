"""NAME
    pyfix.tables.mkmap - create or update a table file (postmap, postalias)

SUMMARY
    mkmap_open(), open_for_update(), open_writable(), BULK_TYPES, READ_ONLY_TYPES

DESCRIPTION
    mkmap_open() is Postfix's mkmap_open(): it returns a table whose
    update() adds an entry and whose close() makes the result visible.
    With truncate (postmap/postalias without -i) the table is built
    from nothing in a temporary file that close() renames into place
    (abort() throws it away); without truncate (-i) the existing table
    is changed in place, and created when it does not exist.  Only the
    types in BULK_TYPES can be built this way: lmdb, hash, btree and
    cdb (and cdb cannot be updated in place).

    open_for_update() opens a table for postmap/postalias -d.  The file
    types open writable; the types that Postfix opens only read-only
    (READ_ONLY_TYPES) are refused with Postfix's message; other types
    open read-only and their delete() says it is not supported.

    open_writable() opens a file table that a daemon reads and changes
    in place, created when missing (verify(8)'s address_verify_map).

    In every case the DUP_WARN flag is added, as Postfix's mkmap does.

    Parameters read: none.

DIAGNOSTICS
    TableOpenError and TableFatalError, with Postfix's texts, among them
    "unsupported dictionary type: TYPE does not support bulk-mode
    creation." and, as Debian's Postfix says for a type whose plugin is
    not installed, "unsupported dictionary type: TYPE. Is the
    postfix-TYPE package installed?".
"""

from __future__ import annotations

from typing import Protocol

from pyfix.tables import cdb_table, db_table, lmdb_build, lmdb_table
from pyfix.tables.base import DUP_WARN, Table, TableOpenError
from pyfix.tables.open import open_table
from pyfix.tables.types import TABLE_TYPES

BULK_TYPES = ("lmdb", "hash", "btree", "cdb")
READ_ONLY_TYPES = frozenset({
    "cidr", "inline", "ldap", "mysql", "nis", "nisplus", "pcre", "pgsql", "pipemap",
    "randmap", "regexp", "socketmap", "sqlite", "tcp", "texthash", "unionmap", "unix",
})


class MapBuilder(Protocol):
    """What mkmap_open() returns."""

    flags: int

    @property
    def dict_type(self) -> str: ...

    @property
    def dict_name(self) -> str: ...

    def update(self, key: str, value: str) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class _InPlace:
    """An in-place table used as a builder (postmap -i)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    @property
    def flags(self) -> int:
        return self.table.flags

    @flags.setter
    def flags(self, value: int) -> None:
        self.table.flags = value

    @property
    def dict_type(self) -> str:
        return self.table.dict_type

    @property
    def dict_name(self) -> str:
        return str(getattr(self.table, "dict_name", self.table.name))

    def update(self, key: str, value: str) -> None:
        self.table.update(key, value)

    def close(self) -> None:
        self.table.close()

    def abort(self) -> None:
        self.table.close()


def _unsupported(dict_type: str) -> TableOpenError:
    if dict_type in TABLE_TYPES:
        return TableOpenError(
            f"unsupported dictionary type: {dict_type} does not support bulk-mode creation.")
    return TableOpenError(
        f"unsupported dictionary type: {dict_type}. Is the postfix-{dict_type}"
        " package installed?")


def mkmap_open(dict_type: str, name: str, flags: int, truncate: bool,
               mode: int = 0o644, size_hint: int = 0) -> MapBuilder:
    """Open a table for building (truncate) or for in-place updates."""
    if dict_type not in BULK_TYPES:
        raise _unsupported(dict_type)
    flags |= DUP_WARN
    builder: MapBuilder
    if truncate:
        if dict_type == "lmdb":
            builder = lmdb_build.open_create(name, flags, mode, size_hint)
        elif dict_type == "cdb":
            builder = cdb_table.open_create(name, flags, mode, size_hint)
        else:
            builder = db_table.open_create_typed(dict_type, name, flags, mode, size_hint)
    else:
        builder = _InPlace(_open_writable(dict_type, name, flags, create=True))
    builder.flags |= DUP_WARN
    return builder


def _open_writable(dict_type: str, name: str, flags: int, create: bool) -> Table:
    if dict_type == "lmdb":
        return lmdb_table.open_update(name, flags)
    if dict_type == "cdb":
        return cdb_table.open_update(name, flags)
    return db_table.open_update_typed(dict_type, name, flags, create)


def open_writable(dict_type: str, name: str, flags: int) -> Table:
    """A table that a daemon reads and changes in place, created when
    missing (verify(8)'s address_verify_map)."""
    return _open_writable(dict_type, name, flags, create=True)


def open_for_update(dict_type: str, name: str, flags: int) -> Table:
    """Open a table for deletes (postmap -d)."""
    if dict_type in BULK_TYPES:
        return _open_writable(dict_type, name, flags, create=False)
    if dict_type not in TABLE_TYPES:
        raise TableOpenError(f"unsupported dictionary type: {dict_type}")
    if dict_type in READ_ONLY_TYPES:
        raise TableOpenError(f"{dict_type}:{name} map requires O_RDONLY access mode")
    return open_table(f"{dict_type}:{name}", flags, surrogate=False, cache=False)
