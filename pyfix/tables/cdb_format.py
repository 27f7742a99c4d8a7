"""NAME
    pyfix.tables.cdb_format - read and write constant databases (cdb)

SUMMARY
    CdbReader, CdbWriter, CdbFormatError, cdb_hash()

DESCRIPTION
    The cdb format of D. J. Bernstein, as written by tinycdb (which
    Debian's Postfix uses) and read by every cdb implementation:

    - a 2048-byte header of 256 (position, slot count) pairs;
    - the records, each a key length, a data length, the key and the
      data;
    - 256 hash tables of (hash, record position) slots, each table
      twice as large as the number of its records.

    Numbers are 32-bit little-endian; the hash is h = ((h << 5) + h) ^ c
    from 5381; table h & 255, first slot (h >> 8) % slots, linear
    probing.  A file is at most 4 GB.

    CdbReader maps the file with mmap(2): a lookup touches only the
    slots and the record it needs, and the process memory does not grow
    with the size of the table.  Readers never lock: a cdb file is
    never changed, only replaced with rename(2).

    CdbWriter streams the records to an open file and writes the hash
    tables at finish().  It reports a key that it has already seen
    (tinycdb's CDB_PUT_INSERT check), so that the caller can warn,
    ignore it, or replace the earlier record (CDB_PUT_REPLACE: the old
    record stays in the file, unreachable).

    Parameters read: none.

DIAGNOSTICS
    CdbFormatError for a file that is not a cdb, or a table over 4 GB.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from array import array
from typing import BinaryIO

HEADER_SIZE = 2048
_PAIR = struct.Struct("<II")
_MAX_POS = 0xFFFFFFFF


class CdbFormatError(Exception):
    """Not a cdb file, or a cdb file that would exceed 4 GB."""


def cdb_hash(key: bytes) -> int:
    h = 5381
    for ch in key:
        h = ((h * 33) ^ ch) & 0xFFFFFFFF
    return h


class CdbReader:
    """Lookups in a cdb file through a read-only memory map."""

    def __init__(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size < HEADER_SIZE:
            raise CdbFormatError("file is too short for a cdb header")
        self._size = size
        self._map = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        self._header = struct.unpack_from("<512I", self._map, 0)

    def close(self) -> None:
        self._map.close()

    def get(self, key: bytes) -> bytes | None:
        """The data of the first record with this key, or None."""
        h = cdb_hash(key)
        table = (h & 255) << 1
        pos = self._header[table]
        slots = self._header[table + 1]
        if slots == 0:
            return None
        data = self._map
        size = self._size
        klen = len(key)
        slot = (h >> 8) % slots
        for _ in range(slots):
            spos = pos + slot * 8
            if spos + 8 > size:
                raise CdbFormatError("slot outside the file")
            shash, rpos = _PAIR.unpack_from(data, spos)
            if rpos == 0:
                return None
            if shash == h:
                if rpos + 8 > size:
                    raise CdbFormatError("record outside the file")
                rklen, rdlen = _PAIR.unpack_from(data, rpos)
                if rklen == klen and data[rpos + 8 : rpos + 8 + klen] == key:
                    start = rpos + 8 + klen
                    if start + rdlen > size:
                        raise CdbFormatError("record outside the file")
                    return data[start : start + rdlen]
            slot += 1
            if slot == slots:
                slot = 0
        return None


class CdbWriter:
    """Write a cdb file to an open binary file positioned at 0."""

    def __init__(self, fp: BinaryIO) -> None:
        self._fp = fp
        fp.write(b"\0" * HEADER_SIZE)
        self._pos = HEADER_SIZE
        self._hashes = [array("I") for _ in range(256)]
        self._positions = [array("I") for _ in range(256)]
        # hash -> record position, for the duplicate check; hash
        # collisions between different keys go to _more.
        self._seen: dict[int, int] = {}
        self._more: dict[int, list[int]] = {}

    def _key_at(self, rpos: int) -> bytes:
        self._fp.flush()
        fd = self._fp.fileno()
        klen, _ = _PAIR.unpack(os.pread(fd, 8, rpos))
        return os.pread(fd, klen, rpos + 8)

    def find(self, key: bytes, h: int | None = None) -> int | None:
        """The position of the record with this key, or None."""
        h = cdb_hash(key) if h is None else h
        rpos = self._seen.get(h)
        if rpos is None:
            return None
        candidates: list[int] = [rpos, *self._more.get(h, [])]
        for candidate in candidates:
            if self._key_at(candidate) == key:
                return candidate
        return None

    def put(self, key: bytes, value: bytes, *, replace: bool = False) -> bool:
        """Add a record; False (and no change) when the key exists,
        unless replace is set."""
        h = cdb_hash(key)
        old = self.find(key, h)
        if old is not None and not replace:
            return False
        rpos = self._pos
        end = rpos + 8 + len(key) + len(value)
        if end > _MAX_POS:
            raise CdbFormatError("cdb file would exceed 4 GB")
        self._fp.write(_PAIR.pack(len(key), len(value)))
        self._fp.write(key)
        self._fp.write(value)
        self._pos = end
        bucket = h & 255
        if old is not None:
            positions = self._positions[bucket]
            positions[positions.index(old)] = rpos
            if self._seen[h] == old:
                self._seen[h] = rpos
            else:
                more = self._more[h]
                more[more.index(old)] = rpos
            return True
        self._hashes[bucket].append(h)
        self._positions[bucket].append(rpos)
        if h in self._seen:
            self._more.setdefault(h, []).append(rpos)
        else:
            self._seen[h] = rpos
        return True

    def finish(self) -> None:
        """Write the hash tables and the header; flush the file."""
        header = array("I")
        fp = self._fp
        pos = self._pos
        for bucket in range(256):
            hashes = self._hashes[bucket]
            positions = self._positions[bucket]
            count = len(hashes)
            slots = count * 2
            header.append(pos)
            header.append(slots)
            if not slots:
                continue
            table = array("I", bytes(8 * slots))
            for h, rpos in zip(hashes, positions, strict=True):
                slot = (h >> 8) % slots
                while table[slot * 2 + 1] != 0:
                    slot = slot + 1 if slot + 1 < slots else 0
                table[slot * 2] = h
                table[slot * 2 + 1] = rpos
            if table.itemsize != 4:
                raise CdbFormatError("unsupported platform integer size")
            if sys.byteorder != "little":
                table.byteswap()
            fp.write(table.tobytes())
            pos += 8 * slots
            if pos > _MAX_POS:
                raise CdbFormatError("cdb file would exceed 4 GB")
        if sys.byteorder != "little":
            header.byteswap()
        fp.seek(0)
        fp.write(header.tobytes())
        fp.flush()
        self._seen.clear()
        self._more.clear()
