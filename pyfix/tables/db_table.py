"""NAME
    pyfix.tables.db_table - hash: and btree: tables

SUMMARY
    open_table(), open_update(), open_create(), BdbTable

DESCRIPTION
    Real Postfix keeps hash:NAME and btree:NAME in the Berkeley DB file
    NAME.db.  pyfix never writes NAME.db, so that it cannot damage or
    shadow the files of a real Postfix that shares the directory.
    Instead it keeps these tables in NAME.lmdb, in exactly the format of
    Postfix's lmdb: tables (lmdb_table.py).  Consequences, spelled out
    in docs/tables.md:

    - a table that pyfix's postmap builds as hash:NAME is the table that
      real Postfix reads as lmdb:NAME, and the other way round;
    - lookups read NAME.lmdb, unless only NAME.db exists or NAME.db is
      newer: then a Postfix-built hash file is read directly through the
      Berkeley DB library when it is installed (bdb_reader.py); btree
      .db files cannot be read;
    - an incremental update (postmap -i, -d) of a table that exists only
      as a readable NAME.db first copies it into NAME.lmdb.

    Messages use Postfix's words for these types: the table is called
    NAME.db ("NAME.db: duplicate entry", "open database NAME.db: ...").

    Parameters read: none directly (lmdb_table.py: lmdb_map_size).

DIAGNOSTICS
    TableOpenError as Postfix words it for hash and btree tables;
    TableFatalError for a key that LMDB cannot store (over 511 bytes),
    which real Postfix's Berkeley DB files would accept.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from pyfix.tables import bdb_reader, lmdb_build, lmdb_table
from pyfix.tables.atomic import SharedLock, os_error_text
from pyfix.tables.base import LOCK, TableOpenError
from pyfix.tables.indexed import (
    IndexedTable,
    Naming,
    TableFatalError,
    c_string,
    file_identity,
    replaced,
    warn,
)

DB_SUFFIX = ".db"


def db_naming(dict_type: str, name: str) -> Naming:
    path = name + DB_SUFFIX
    return Naming.plain(dict_type, path, path)


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _prefer_bdb(name: str) -> bool:
    """True when NAME.db is newer than NAME.lmdb (or the only one)."""
    lmdb_time = _mtime(name + lmdb_table.SUFFIX)
    db_time = _mtime(name + DB_SUFFIX)
    if db_time is None:
        return False
    return lmdb_time is None or db_time > lmdb_time


class LmdbDbTable(lmdb_table.LmdbTable):
    """hash:/btree: kept in NAME.lmdb; also changed when NAME.db is newer."""

    def changed(self) -> bool:
        return super().changed() or (self.dict_type == "hash" and bdb_reader.available()
                                     and _prefer_bdb(self.name))


class BdbTable(IndexedTable):
    """A Postfix-built NAME.db hash file, read-only."""

    def __init__(self, name: str, flags: int) -> None:
        super().__init__(name, flags, db_naming("hash", name))
        self.path = name + DB_SUFFIX
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise TableOpenError(f"open database {self.path}: {os_error_text(exc)}") from None
        st = os.fstat(self._fd)
        self._identity = file_identity(st)
        self._mtime = st.st_mtime_ns
        self._lock = SharedLock(self._fd, style="flock")
        try:
            with self._lock.held():
                self._db: bdb_reader.BdbHashFile | None = bdb_reader.BdbHashFile(self.path)
        except (OSError, bdb_reader.BdbUnavailable) as exc:
            os.close(self._fd)
            text = os_error_text(exc) if isinstance(exc, OSError) else str(exc)
            raise TableOpenError(f"open database {self.path}: {text}") from None
        self.warn_if_stale(self.path, st.st_mtime)

    def lookup(self, key: str) -> str | None:
        folded = self.prepare_key(key)
        if folded is None or self._db is None:
            return None
        for form, which in self.lookup_forms(folded):
            if self.flags & LOCK:
                with self._lock.held():
                    data = self._db.get(form)
            else:
                data = self._db.get(form)
            if data is not None:
                self.found_with(which)
                return self.result(key, data)
        return None

    def raw_items(self) -> Iterator[tuple[bytes, bytes]]:
        """The stored keys and values, NULs and all."""
        if self._db is not None:
            yield from self._db.items()

    def items(self) -> Iterator[tuple[str, str]]:
        for raw_key, raw_value in self.raw_items():
            yield c_string(raw_key), c_string(raw_value)

    def changed(self) -> bool:
        if replaced(self.path, self._identity, self._fd):
            return True
        try:
            if os.stat(self.path).st_mtime_ns != self._mtime:
                return True
        except OSError:
            return True
        return not _prefer_bdb(self.name)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            os.close(self._fd)


def _open_read(dict_type: str, name: str, flags: int) -> IndexedTable:
    if dict_type == "hash" and _prefer_bdb(name):
        if bdb_reader.available():
            return BdbTable(name, flags)
        if _mtime(name + lmdb_table.SUFFIX) is not None:
            warn(f"{dict_type}:{name}: cannot read {name}{DB_SUFFIX} (Berkeley DB library"
                 f" not available); using the older {name}{lmdb_table.SUFFIX}")
    if _mtime(name + lmdb_table.SUFFIX) is None:
        path = name + DB_SUFFIX
        reason = "No such file or directory"
        if os.path.exists(path):
            reason = ("Berkeley DB btree files are not supported by pyfix" if dict_type == "btree"
                      else "the Berkeley DB library (libdb-5.3.so) is not available")
        raise TableOpenError(f"open database {path}: {reason}")
    return LmdbDbTable(name, flags, db_naming(dict_type, name), name + lmdb_table.SUFFIX)


def _seed_from_bdb(dict_type: str, name: str, flags: int) -> None:
    """Copy a Postfix-built NAME.db into a new NAME.lmdb, before an update."""
    source = BdbTable(name, flags & ~LOCK)
    try:
        mode = os.stat(source.path).st_mode & 0o777
        builder = lmdb_build.LmdbBuilder(name, flags, db_naming(dict_type, name),
                                         name + lmdb_table.SUFFIX, mode,
                                         os.stat(source.path).st_size)
        try:
            builder.copy_raw(source.raw_items)
        except BaseException:
            builder.abort()
            raise
        builder.close()
    finally:
        source.close()


def open_table_typed(dict_type: str, name: str, flags: int) -> IndexedTable:
    return _open_read(dict_type, name, flags)


def open_update_typed(dict_type: str, name: str, flags: int, create: bool) -> IndexedTable:
    lmdb_path = name + lmdb_table.SUFFIX
    db_path = name + DB_SUFFIX
    if _prefer_bdb(name):
        if dict_type == "hash" and bdb_reader.available():
            _seed_from_bdb(dict_type, name, flags)
        else:
            raise TableFatalError(
                f"{db_path}: pyfix cannot update a Berkeley DB file; rebuild the table"
                f" with \"postmap {dict_type}:{name}\"")
    elif _mtime(lmdb_path) is None and not create:
        raise TableOpenError(f"open database {db_path}: No such file or directory")
    return LmdbDbTable(name, flags, db_naming(dict_type, name), lmdb_path, writable=True)


def open_create_typed(dict_type: str, name: str, flags: int, mode: int,
                      size_hint: int = 0) -> lmdb_build.LmdbBuilder:
    return lmdb_build.LmdbBuilder(name, flags, db_naming(dict_type, name),
                                  name + lmdb_table.SUFFIX, mode, size_hint)


def open_table(name: str, flags: int) -> IndexedTable:
    """The hash: opener for types.py."""
    return open_table_typed("hash", name, flags)


def open_btree(name: str, flags: int) -> IndexedTable:
    """The btree: opener for types.py."""
    return open_table_typed("btree", name, flags)
