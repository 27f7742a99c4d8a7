"""NAME
    pyfix.tables.lmdb_build - build a new LMDB table file

SUMMARY
    open_create(), LmdbBuilder

DESCRIPTION
    LmdbBuilder writes a whole new NAME.lmdb for postmap and postalias
    (without -i), for lmdb: tables and for pyfix's hash: and btree:
    tables, in the file format of lmdb_table.py.  It writes NAME.lmdb.tmp
    (atomic.py: locked against other builders, fsync'd, renamed over
    NAME.lmdb by close()), so that readers never see a half-built table.

    The whole build is one write transaction, as in Postfix: the result
    has no free pages.  The map is sized from the source (size_hint,
    eight times its size) with room to spare; should it fill up all the
    same, the builder starts over with a map twice as large and raises
    TableRestart, and the caller feeds the source again (Postfix does
    the same with its bulk-mode restart).

    After a fatal error the new file is thrown away and the old table
    stays as it was; like Postfix, which creates the real file before
    it fails, an lmdb: table that did not exist is left empty.

    LMDB keys are at most 511 bytes, the terminating NUL included.  For
    lmdb: tables that is Postfix's limit too, with Postfix's message;
    pyfix's hash: and btree: tables share the limit, where Postfix's
    Berkeley DB files have none.

    Parameters read: lmdb_map_size (through lmdb_table.set_map_size()).

DIAGNOSTICS
    TableOpenError, TableFatalError ("error updating lmdb:NAME:
    MDB_BAD_VALSIZE: ..."), TableRestart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

import lmdb

from pyfix.tables.atomic import TempFile, os_error_text
from pyfix.tables.base import DUP_REPLACE, TableOpenError
from pyfix.tables.indexed import IndexedTable, Naming, TableFatalError, TableRestart, warn
from pyfix.tables.lmdb_table import (
    SIZE_RETRIES,
    SUFFIX,
    check_key_size,
    lmdb_error_text,
    lmdb_naming,
    open_env,
    settings,
)


class LmdbBuilder(IndexedTable):
    """A new NAME.lmdb, written to NAME.lmdb.tmp and renamed by close().

    The whole build is one write transaction, as in Postfix: the result
    has no free pages, and the table is as compact as LMDB makes it.  The
    map is sized from the source (size_hint) with room to spare; should
    it fill up all the same, the builder starts over with a map twice as
    large and raises TableRestart, and the caller feeds the source again
    (Postfix does the same with its bulk-mode "longjmp" restart).
    """

    def __init__(self, name: str, flags: int, naming: Naming, path: str, mode: int,
                 size_hint: int = 0) -> None:
        super().__init__(name, flags, naming)
        self.path = path
        self._initial_flags = self.flags
        try:
            self._tmp = TempFile(path, mode)
        except OSError as exc:
            raise TableOpenError(f"open database {path}: {os_error_text(exc)}") from None
        self._map_size = max(settings["map_size"], 8 * size_hint + (1 << 20))
        try:
            self._env: Any = open_env(self._tmp.path, False, self._map_size, bulk=True)
        except lmdb.Error as exc:
            self._tmp.abort()
            raise TableOpenError(f"open database {path}: {lmdb_error_text(exc)}") from None
        self._txn: Any = self._env.begin(write=True)
        self._restarts = 0

    def _restart(self) -> NoReturn:
        """Start over with a larger map; the caller feeds the input again."""
        self._txn.abort()
        self._restarts += 1
        if self._restarts > SIZE_RETRIES:
            raise TableFatalError(self.naming.error("updating", "MDB_MAP_FULL"))
        self._map_size *= 2
        self._env.set_mapsize(self._map_size)
        self._txn = self._env.begin(write=True)
        self.flags = self._initial_flags
        raise TableRestart(f"{self.dict_type}:{self.name}: starting over with a larger map")

    def _put(self, raw_key: bytes, raw_value: bytes, overwrite: bool) -> bool:
        try:
            stored: bool = self._txn.put(raw_key, raw_value, overwrite=overwrite)
        except lmdb.MapFullError:
            self._restart()
        except lmdb.Error as exc:
            raise TableFatalError(
                self.naming.error("updating", lmdb_error_text(exc))) from None
        return stored

    def update(self, key: str, value: str) -> None:
        """Add an entry; a fatal error throws the new table away."""
        try:
            self._update(key, value)
        except TableFatalError:
            self.abort()
            raise

    def _update(self, key: str, value: str) -> None:
        folded = self.prepare_key(key)
        if folded is None:
            return
        bad = self.check_value(key, value)
        if bad is not None:
            warn(bad)
            return
        raw_key, raw_value = self.update_form(folded, value)
        check_key_size(self, raw_key, folded)
        if not self._put(raw_key, raw_value, bool(self.flags & DUP_REPLACE)):
            self.duplicate(folded)

    def copy_raw(self, pairs: Callable[[], Iterable[tuple[bytes, bytes]]]) -> None:
        """Store entries exactly as given (copying another table)."""
        while True:
            try:
                for raw_key, raw_value in pairs():
                    self._put(raw_key, raw_value, True)
                return
            except TableRestart:
                continue

    def commit(self) -> None:
        """Commit the transaction (TableRestart when the map is full)."""
        try:
            self._txn.commit()
        except lmdb.MapFullError:
            self._restart()
        except lmdb.Error as exc:
            raise TableFatalError(
                self.naming.error("updating", lmdb_error_text(exc))) from None

    def close(self) -> None:
        """Commit, flush and rename the new table into place."""
        if self._env is None:
            return
        self.commit()
        self._env.sync(True)
        self._env.close()
        self._env = None
        self._tmp.finish()

    def abort(self) -> None:
        """Throw the new table away.  Like Postfix, which opens the real
        file before it fails, leave an empty lmdb: table where none was."""
        if self._env is None:
            return
        self._txn.abort()
        self._env.close()
        self._env = None
        if self.dict_type != "lmdb" or os.path.exists(self.path):
            self._tmp.abort()
            return
        os.ftruncate(self._tmp.fd, 0)
        open_env(self._tmp.path, False, settings["map_size"], bulk=True).close()
        self._tmp.finish()


def open_create(name: str, flags: int, mode: int, size_hint: int = 0) -> LmdbBuilder:
    return LmdbBuilder(name, flags, lmdb_naming(name), name + SUFFIX, mode, size_hint)
