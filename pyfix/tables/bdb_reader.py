"""NAME
    pyfix.tables.bdb_reader - read Postfix-built Berkeley DB hash files

SUMMARY
    available(), BdbHashFile, BdbUnavailable

DESCRIPTION
    Real Postfix stores hash: tables in Berkeley DB files (NAME.db).
    pyfix does not write that format, but it reads it when the Berkeley
    DB 5.3 shared library (libdb-5.3.so, which Debian's postfix package
    depends on) can be loaded, so that tables built by real postmap and
    postalias keep working.  The library is reached with ctypes through
    its ndbm(3) compatibility functions, which open NAME.db read-only as
    a DB_HASH database; nothing is compiled.

    btree: files cannot be read this way (the ndbm interface knows only
    DB_HASH), and nothing here writes a .db file.

    The handle is not thread-safe, so every call holds a mutex.

    Parameters read: none.

DIAGNOSTICS
    BdbUnavailable when the library cannot be loaded; OSError (with
    errno) when a file cannot be opened as a DB_HASH database.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Iterator
from typing import Any

LIBRARY_NAMES = ("libdb-5.3.so", "libdb5.3.so", "libdb-5.so", "libdb.so.5")


class BdbUnavailable(Exception):
    """No usable Berkeley DB library."""


class _Datum(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_void_p), ("dsize", ctypes.c_int)]


class _Api:
    """The ndbm functions of one loaded library."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        def fn(name: str, restype: object, *argtypes: object) -> Any:
            func = getattr(lib, "__db_ndbm_" + name)
            func.restype = restype
            func.argtypes = list(argtypes)
            return func

        handle = ctypes.c_void_p
        self.open = fn("open", ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int)
        self.fetch = fn("fetch", _Datum, handle, _Datum)
        self.firstkey = fn("firstkey", _Datum, handle)
        self.nextkey = fn("nextkey", _Datum, handle)
        self.close = fn("close", None, handle)


_loaded: list[_Api | None] = []


def _load() -> _Api | None:
    if _loaded:
        return _loaded[0]
    api = None
    names = list(LIBRARY_NAMES)
    found = ctypes.util.find_library("db-5.3")
    if found:
        names.insert(0, found)
    for name in names:
        try:
            api = _Api(ctypes.CDLL(name, use_errno=True))
        except (OSError, AttributeError):
            continue
        break
    _loaded.append(api)
    return api


def available() -> bool:
    return _load() is not None


class BdbHashFile:
    """A read-only NAME.db (Berkeley DB hash) opened through ndbm."""

    def __init__(self, db_path: str) -> None:
        api = _load()
        if api is None:
            raise BdbUnavailable("the Berkeley DB library (libdb-5.3.so) is not available")
        if not db_path.endswith(".db"):
            raise ValueError("a Berkeley DB file name ends in .db")
        self._api = api
        self._mutex = threading.Lock()
        base = os.fsencode(db_path[:-3])
        ctypes.set_errno(0)
        handle = api.open(base, os.O_RDONLY, 0)
        if not handle:
            code = ctypes.get_errno() or 22
            raise OSError(code, os.strerror(code), db_path)
        self._handle: int | None = handle

    def get(self, key: bytes) -> bytes | None:
        buf = ctypes.create_string_buffer(key, len(key))
        with self._mutex:
            if self._handle is None:
                return None
            datum = self._api.fetch(
                self._handle, _Datum(ctypes.cast(buf, ctypes.c_void_p), len(key)))
            if not datum.dptr:
                return None
            return ctypes.string_at(datum.dptr, datum.dsize)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        with self._mutex:
            pairs = []
            datum = self._api.firstkey(self._handle)
            while datum.dptr:
                pairs.append(ctypes.string_at(datum.dptr, datum.dsize))
                datum = self._api.nextkey(self._handle)
        for key in pairs:
            value = self.get(key)
            if value is not None:
                yield key, value

    def close(self) -> None:
        with self._mutex:
            if self._handle is not None:
                self._api.close(self._handle)
                self._handle = None
