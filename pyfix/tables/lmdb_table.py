"""NAME
    pyfix.tables.lmdb_table - lmdb: tables in Postfix's file format

SUMMARY
    open_table(), open_update(), LmdbTable, lmdb_error_text(), set_map_size()

DESCRIPTION
    An lmdb:NAME table is the single file NAME.lmdb, exactly as Postfix
    writes it (dict_lmdb.c and slmdb.c): an LMDB environment opened with
    MDB_NOSUBDIR and MDB_NOLOCK (no lock file: readers and writers take
    fcntl(2) locks on the database file itself), the unnamed main
    database without MDB_DUPSORT, and by default a NUL byte at the end of
    every key and value.  Files written by real postmap are read here and
    files written here are read by real Postfix, both ways.

    The same format serves pyfix's hash: and btree: tables (see
    db_table.py); Naming gives each its Postfix wording.

    Reading maps the file (mmap through LMDB): a lookup touches the pages
    on its B-tree path only and the process does not grow with the table.
    Each lookup is a short read transaction.  With the LOCK flag (as
    postmap -q and Postfix daemons use) a lookup holds a shared fcntl
    lock, which real Postfix writers respect; a map that another process
    grew is adopted (MDB_MAP_RESIZED).

    A rebuild (lmdb_build.py, postmap without -i) writes NAME.lmdb.tmp in
    one transaction and renames it over NAME.lmdb (atomic.py): readers
    keep the old file until they notice the new one (changed()).  An incremental update
    (open_update(): postmap -i, -d) changes the file in place, one
    transaction per change under an exclusive fcntl lock, as Postfix
    does; a map that is full grows and the change is retried.

    Parameters read: lmdb_map_size (set_map_size(), by the commands).

DIAGNOSTICS
    TableOpenError "open database NAME.lmdb: REASON".  TableFatalError
    for what Postfix reports as fatal: "error updating lmdb:NAME: ...",
    for example MDB_BAD_VALSIZE for a key of more than 511 bytes, and
    "error reading lmdb:NAME: ..." for an empty key without -N.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import lmdb

from pyfix.tables.atomic import SharedLock, fcntl_lock, os_error_text
from pyfix.tables.base import DUP_REPLACE, LOCK, TRY0NULL, TRY1NULL, TableOpenError
from pyfix.tables.indexed import (
    IndexedTable,
    Naming,
    TableFatalError,
    c_string,
    file_identity,
    replaced,
    warn,
)

SUFFIX = ".lmdb"
SIZE_RETRIES = 40
BAD_VALSIZE = ("MDB_BAD_VALSIZE: Unsupported size of key/DB name/data,"
               " or wrong DUPFIXED size")
settings = {"map_size": 16 * 1024 * 1024}


def set_map_size(size: int) -> None:
    """The initial map size (lmdb_map_size)."""
    settings["map_size"] = max(size, 10240)


def lmdb_error_text(exc: lmdb.Error) -> str:
    """py-lmdb says "mdb_put: MDB_X: text"; Postfix says "MDB_X: text"."""
    text = str(exc)
    head, sep, tail = text.partition(": ")
    return tail if sep and head.startswith("mdb_") else text


def open_env(path: str, readonly: bool, map_size: int, bulk: bool = False) -> Any:
    return lmdb.open(
        path, subdir=False, lock=False, readonly=readonly, create=not readonly,
        map_size=map_size, readahead=False, max_dbs=0,
        sync=not bulk, metasync=not bulk, max_spare_txns=1,
    )


@dataclass
class _Shared:
    env: Any
    fd: int
    lock: SharedLock
    refs: int
    writable: bool


# LMDB (and py-lmdb) allow one environment per file and process, and a
# process's fcntl locks on a file vanish when any of its descriptors for
# that file is closed: tables that name the same file (the same table
# opened with other flags) share one environment, descriptor and lock.
_envs: dict[tuple[int, int], _Shared] = {}
_envs_mutex = threading.Lock()


def _fd_path(fd: int, path: str) -> str:
    """A name for exactly the file that fd has open (on Linux), so that
    the environment cannot be another file that replaced path."""
    proc = f"/proc/self/fd/{fd}"
    return proc if os.path.exists(proc) else path


def _acquire(path: str, fd: int, identity: tuple[int, int], writable: bool,
             map_size: int) -> _Shared:
    """The shared state for this file; takes over fd or closes it."""
    with _envs_mutex:
        shared = _envs.get(identity)
        if shared is not None:
            os.close(fd)
            if writable and not shared.writable:
                raise TableOpenError(f"open database {path}: open read-only in this process")
            shared.refs += 1
            return shared
        try:
            env = open_env(_fd_path(fd, path), not writable, map_size)
        except lmdb.Error as exc:
            os.close(fd)
            raise TableOpenError(f"open database {path}: {lmdb_error_text(exc)}") from None
        shared = _envs[identity] = _Shared(env, fd, SharedLock(fd), 1, writable)
        return shared


def _release(identity: tuple[int, int]) -> None:
    with _envs_mutex:
        shared = _envs.get(identity)
        if shared is None:
            return
        shared.refs -= 1
        if shared.refs == 0:
            del _envs[identity]
            shared.env.close()
            os.close(shared.fd)


class LmdbTable(IndexedTable):
    """An open NAME.lmdb file, for lookups and (writable) in-place updates."""

    def __init__(self, name: str, flags: int, naming: Naming, path: str,
                 writable: bool = False) -> None:
        super().__init__(name, flags, naming)
        self.path = path
        self.writable = writable
        self._env: Any = None
        self._open(writable)
        self.warn_if_stale(path, os.fstat(self._fd).st_mtime)

    def _open(self, writable: bool) -> None:
        for _ in range(10):
            try:
                fd = os.open(self.path, (os.O_RDWR | os.O_CREAT) if writable
                             else os.O_RDONLY, 0o644)
            except OSError as exc:
                raise TableOpenError(f"open database {self.path}: {os_error_text(exc)}") from None
            st = os.fstat(fd)
            identity = file_identity(st)
            size = max(settings["map_size"], st.st_size + 10240)
            shared = _acquire(self.path, fd, identity, writable, size)
            if not replaced(self.path, identity, shared.fd):
                self._fd, self._env, self._identity = shared.fd, shared.env, identity
                self._lock = shared.lock
                self._map_size = size
                return
            _release(identity)
        raise TableOpenError(f"open database {self.path}: file keeps changing")

    def _read_lock(self) -> AbstractContextManager[None]:
        return self._lock.held() if self.flags & LOCK else nullcontext()

    def _begin(self, write: bool = False) -> Any:
        for _ in range(SIZE_RETRIES):
            try:
                return self._env.begin(write=write)
            except lmdb.MapResizedError:
                self._env.set_mapsize(0)
        raise TableFatalError(self.naming.error("reading", "MDB_MAP_RESIZED"))

    def lookup(self, key: str) -> str | None:
        folded = self.prepare_key(key)
        if folded is None:
            return None
        raw = folded.encode("utf-8", "surrogateescape")
        if self.flags & LOCK:
            lock = self._lock
            lock.acquire()
            try:
                data, which = self._get(raw)
            finally:
                lock.release()
        else:
            data, which = self._get(raw)
        if data is None:
            return None
        if self.flags & TRY0NULL and self.flags & TRY1NULL:
            self.found_with(which)
        return self.result(key, data)

    def _get(self, raw: bytes) -> tuple[bytes | None, int]:
        """The stored value and the NUL convention it was found with."""
        try:
            txn = self._env.begin()
        except lmdb.MapResizedError:
            txn = self._begin()
        try:
            if self.flags & TRY1NULL:
                data = txn.get(raw + b"\0")
                if data is not None:
                    return data, TRY1NULL
            if self.flags & TRY0NULL:
                if not raw:
                    raise TableFatalError(self.naming.error("reading", BAD_VALSIZE))
                data = txn.get(raw)
                if data is not None:
                    return data, TRY0NULL
            return None, 0
        finally:
            txn.abort()

    def items(self) -> Iterator[tuple[str, str]]:
        last: bytes | None = None
        while True:
            batch: list[tuple[bytes, bytes]] = []
            with self._read_lock():
                txn = self._begin()
                try:
                    cursor = txn.cursor()
                    more = cursor.first() if last is None else cursor.set_range(last)
                    if more and last is not None and cursor.key() == last:
                        more = cursor.next()
                    while more and len(batch) < 1000:
                        batch.append((cursor.key(), cursor.value()))
                        more = cursor.next()
                finally:
                    txn.abort()
            for raw_key, raw_value in batch:
                yield c_string(raw_key), c_string(raw_value)
            if not more or not batch:
                return
            last = batch[-1][0]

    # In-place changes (postmap -i, -d) ----------------------------------

    def _write(self, action: str, op: Any) -> Any:
        """Run op(txn) in its own transaction, growing the map when full."""
        with fcntl_lock(self._fd, exclusive=True):
            for _ in range(SIZE_RETRIES):
                txn = self._begin(write=True)
                try:
                    result = op(txn)
                    txn.commit()
                    return result
                except lmdb.MapFullError:
                    txn.abort()
                    self._map_size *= 2
                    self._env.set_mapsize(self._map_size)
                except lmdb.Error as exc:
                    txn.abort()
                    raise TableFatalError(
                        self.naming.error(action, lmdb_error_text(exc))) from None
        raise TableFatalError(self.naming.error(action, "MDB_MAP_FULL"))

    def update(self, key: str, value: str) -> None:
        if not self.writable:
            super().update(key, value)
        folded = self.prepare_key(key)
        if folded is None:
            return
        bad = self.check_value(key, value)
        if bad is not None:
            warn(bad)
            return
        raw_key, raw_value = self.update_form(folded, value)
        check_key_size(self, raw_key, folded)
        overwrite = bool(self.flags & DUP_REPLACE)
        stored = self._write("updating", lambda txn: txn.put(raw_key, raw_value,
                                                             overwrite=overwrite))
        if not stored:
            self.duplicate(folded)

    def delete(self, key: str) -> bool:
        if not self.writable:
            return super().delete(key)
        folded = self.prepare_key(key)
        if folded is None:
            return False
        for form, which in self.lookup_forms(folded):
            if not form:
                raise TableFatalError(self.naming.error("deleting from", BAD_VALSIZE))
            if self._write("deleting from", lambda txn, form=form: txn.delete(form)):
                self.found_with(which)
                return True
        return False

    def changed(self) -> bool:
        return replaced(self.path, self._identity, self._fd)

    def close(self) -> None:
        if self._env is not None:
            self._env = None
            _release(self._identity)


MAX_KEY_SIZE = 511


def check_key_size(table: IndexedTable, raw_key: bytes, key: str) -> None:
    """LMDB stores keys of up to 511 bytes; say so as Postfix would."""
    if 0 < len(raw_key) <= MAX_KEY_SIZE:
        return
    if table.dict_type == "lmdb":
        raise TableFatalError(table.naming.error("updating", BAD_VALSIZE))
    raise TableFatalError(
        f"{table.dict_type}:{table.name}: key of {len(raw_key)} bytes is too long for pyfix's"
        f" LMDB-based {table.dict_type}: table (the limit is {MAX_KEY_SIZE} bytes"
        f" including the terminating null): \"{key[:100]}...\"")


def lmdb_naming(name: str) -> Naming:
    return Naming.typed("lmdb", name)


def open_table(name: str, flags: int) -> LmdbTable:
    return LmdbTable(name, flags, lmdb_naming(name), name + SUFFIX)


def open_update(name: str, flags: int) -> LmdbTable:
    return LmdbTable(name, flags, lmdb_naming(name), name + SUFFIX, writable=True)
