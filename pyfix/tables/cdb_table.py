"""NAME
    pyfix.tables.cdb_table - cdb: tables in Postfix's file format

SUMMARY
    open_table(), open_create(), CdbTable, CdbBuilder

DESCRIPTION
    A cdb:NAME table is the file NAME.cdb in the standard cdb format
    (cdb_format.py), as Postfix writes it with tinycdb: by default keys
    and values are stored without a terminating NUL; lookups try both
    forms, as for the other indexed types.

    A cdb file is never changed: postmap writes NAME.cdb.tmp under an
    exclusive flock(2) lock and renames it over NAME.cdb, with the same
    protocol as real Postfix, so a real and a pyfix postmap that run at
    the same time take turns.  Readers need no locks; changed() is true
    once NAME.cdb names another file.

    As in Postfix, a cdb table can only be created whole: there is no
    incremental update, no delete and no sequence (postmap -i, -d, -s).

    Parameters read: none.

DIAGNOSTICS
    TableOpenError "open database NAME.cdb: REASON".  TableFatalError
    "error reading NAME.cdb: ..." for a damaged file, and Postfix's
    "dict_cdb_open: inappropriate open flags ..." for an update.
"""

from __future__ import annotations

import os

from pyfix.tables.atomic import TempFile, os_error_text
from pyfix.tables.base import DUP_IGNORE, DUP_REPLACE, TableOpenError
from pyfix.tables.cdb_format import CdbFormatError, CdbReader, CdbWriter
from pyfix.tables.indexed import (
    IndexedTable,
    Naming,
    TableFatalError,
    file_identity,
    replaced,
    warn,
)

SUFFIX = ".cdb"
BAD_OPEN_FLAGS = ("dict_cdb_open: inappropriate open flags for cdb database"
                  " - specify O_RDONLY or O_WRONLY|O_CREAT|O_TRUNC")


class CdbTable(IndexedTable):
    """Lookups in NAME.cdb."""

    nul_by_default = False

    def __init__(self, name: str, flags: int) -> None:
        path = name + SUFFIX
        # In query mode Postfix names the table after its file.
        super().__init__(name, flags, Naming.plain("cdb", path, path))
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise TableOpenError(f"open database {path}: {os_error_text(exc)}") from None
        st = os.fstat(self._fd)
        self._identity = file_identity(st)
        try:
            self._reader: CdbReader | None = CdbReader(self._fd)
        except (CdbFormatError, OSError, ValueError) as exc:
            os.close(self._fd)
            raise TableOpenError(f"open database {path}: {exc}") from None
        self.warn_if_stale(path, st.st_mtime)

    def lookup(self, key: str) -> str | None:
        folded = self.prepare_key(key)
        if folded is None or self._reader is None:
            return None
        for form, which in self.lookup_forms(folded):
            try:
                data = self._reader.get(form)
            except CdbFormatError as exc:
                raise TableFatalError(f"error reading {self.path}: {exc}") from None
            if data is not None:
                self.found_with(which)
                return self.result(key, data)
        return None

    def changed(self) -> bool:
        return replaced(self.path, self._identity, self._fd)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
            os.close(self._fd)


class CdbBuilder(IndexedTable):
    """A new NAME.cdb, written as NAME.cdb.tmp and renamed by close()."""

    nul_by_default = False

    def __init__(self, name: str, flags: int, mode: int) -> None:
        # In create mode Postfix names the table after its source.
        super().__init__(name, flags, Naming.plain("cdb", name, name))
        self.path = name + SUFFIX
        try:
            self._tmp = TempFile(self.path, mode)
        except OSError as exc:
            raise TableOpenError(
                f"open database {self.path}{'.tmp'}: {os_error_text(exc)}") from None
        self._fp = os.fdopen(os.dup(self._tmp.fd), "wb+", buffering=1 << 20)
        self._writer: CdbWriter | None = CdbWriter(self._fp)

    def update(self, key: str, value: str) -> None:
        """Add an entry; a fatal error throws the new table away."""
        try:
            self._update(key, value)
        except TableFatalError:
            self.abort()
            raise

    def _update(self, key: str, value: str) -> None:
        folded = self.prepare_key(key)
        if folded is None or self._writer is None:
            return
        bad = self.check_value(key, value)
        if bad is not None:
            warn(bad)
            return
        raw_key, raw_value = self.update_form(folded, value)
        try:
            stored = self._writer.put(raw_key, raw_value,
                                      replace=bool(self.flags & DUP_REPLACE))
        except (CdbFormatError, OSError) as exc:
            raise TableFatalError(f"error writing {self._tmp.path}: {exc}") from None
        if not stored and not self.flags & DUP_IGNORE:
            self.duplicate(folded)

    def close(self) -> None:
        if self._writer is None:
            return
        try:
            self._writer.finish()
            self._fp.close()
            self._writer = None
            self._tmp.finish()
        except (CdbFormatError, OSError) as exc:
            raise TableFatalError(f"finish database {self._tmp.path}: {exc}") from None

    def abort(self) -> None:
        if self._writer is None:
            return
        self._writer = None
        self._fp.close()
        self._tmp.abort()


def open_table(name: str, flags: int) -> CdbTable:
    return CdbTable(name, flags)


def open_update(name: str, flags: int) -> CdbTable:
    raise TableFatalError(BAD_OPEN_FLAGS)


def open_create(name: str, flags: int, mode: int, size_hint: int = 0) -> CdbBuilder:
    return CdbBuilder(name, flags, mode)
