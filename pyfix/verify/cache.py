"""NAME
    pyfix.verify.cache - the address verification cache

SUMMARY
    VerifyCache, CacheEntry, CachePolicy, open_cache()

DESCRIPTION
    One entry per address in $address_verify_map (an lmdb: or btree:
    table; btree: is kept in Postfix's lmdb format, see
    pyfix.tables.db_table; empty: in memory only), with the value that Postfix's verify(8)
    stores: "STATUS:PROBED:UPDATED:TEXT", where STATUS is a
    DEL_RCPT_STAT_* value, PROBED the time the last probe was sent (0
    when none is pending), UPDATED the time of the last result (0 for
    none) and TEXT the delivery agent's reason.

    query(address, now) answers from the entry and says whether a probe
    must be sent:

    - no entry, or a result older than its expire time
      ($address_verify_positive_expire_time for a deliverable address,
      $address_verify_negative_expire_time otherwise): status TODO,
      "Address verification in progress", and a probe;
    - a result older than its refresh time
      ($address_verify_positive_refresh_time,
      $address_verify_negative_refresh_time; with
      $address_verify_negative_cache = no a negative result always
      needs one): the cached status, and a probe;
    - a probe is not sent again while the previous one is pending and
      younger than PROBE_TTL (so that smtpd's polling sends one probe).

    unprobe(address) forgets that a probe is pending (it could not be
    queued), so that the next query sends one.

    update(address, status, text, now) stores a probe's result, except
    that a negative result does not replace a positive one that has not
    expired (a temporary problem does not make a good address bad).

    cleanup(now) removes the entries whose results expired (and
    pending probes older than the negative expire time) and records the
    time in the _LAST_CACHE_CLEANUP_COMPLETED_ entry, as Postfix does;
    it returns (retained, dropped).

    Parameters read: address_verify_map,
    address_verify_positive_expire_time,
    address_verify_positive_refresh_time,
    address_verify_negative_cache, address_verify_negative_expire_time,
    address_verify_negative_refresh_time.

DIAGNOSTICS
    A malformed entry is logged as a warning and treated as missing.
    Table errors (TableError, TableOpenError) go to the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyfix.config.store import Config
from pyfix.tables.base import DUP_REPLACE, LOCK, SYNC_UPDATE, UTF8_REQUEST, Table, TableOpenError
from pyfix.tables.mkmap import open_writable
from pyfix.tables.open import split_spec
from pyfix.verify.protocol import ADDR_STATUSES, DEL_RCPT_STAT_OK, DEL_RCPT_STAT_TODO

IN_PROGRESS = "Address verification in progress"
LAST_CLEANUP = "_LAST_CACHE_CLEANUP_COMPLETED_"
PROBE_TTL = 1000  # seconds before a pending probe may be sent again
CACHE_TYPES = ("lmdb", "btree", "hash")


@dataclass(frozen=True, slots=True)
class CacheEntry:
    status: int
    probed: int
    updated: int
    text: str

    def value(self) -> str:
        return f"{self.status}:{self.probed}:{self.updated}:{self.text}"

    @classmethod
    def parse(cls, value: str) -> CacheEntry | None:
        fields = value.split(":", 3)
        if len(fields) != 4:
            return None
        try:
            status, probed, updated = int(fields[0]), int(fields[1]), int(fields[2])
        except ValueError:
            return None
        if status not in ADDR_STATUSES or probed < 0 or updated < 0:
            return None
        return cls(status, probed, updated, fields[3])


@dataclass(frozen=True, slots=True)
class CachePolicy:
    positive_expire: int
    positive_refresh: int
    negative_cache: bool
    negative_expire: int
    negative_refresh: int

    @classmethod
    def from_config(cls, config: Config) -> CachePolicy:
        return cls(config.get_time("address_verify_positive_expire_time"),
                   config.get_time("address_verify_positive_refresh_time"),
                   config.get_bool("address_verify_negative_cache"),
                   config.get_time("address_verify_negative_expire_time"),
                   config.get_time("address_verify_negative_refresh_time"))

    def expired(self, entry: CacheEntry, now: int) -> bool:
        if entry.updated == 0:
            return True  # no result yet
        limit = self.positive_expire if entry.status == DEL_RCPT_STAT_OK else self.negative_expire
        return entry.updated + limit <= now

    def stale(self, entry: CacheEntry, now: int) -> bool:
        if entry.status == DEL_RCPT_STAT_OK:
            return entry.updated + self.positive_refresh <= now
        return not self.negative_cache or entry.updated + self.negative_refresh <= now


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    text: str
    probe: bool  # the caller must send a probe now


class MemoryTable(Table):
    """The cache when $address_verify_map is empty: in memory, lost at
    "postfix reload" or "postfix stop", as the manual says."""

    dict_type = "internal"

    def __init__(self) -> None:
        super().__init__("address_verify_map", 0)
        self.data: dict[str, str] = {}

    def lookup(self, key: str) -> str | None:
        return self.data.get(key)

    def update(self, key: str, value: str) -> None:
        self.data[key] = value

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(list(self.data.items()))


def open_cache(spec: str) -> Table:
    """$address_verify_map, opened for reading and writing (created);
    an empty value is the in-memory cache."""
    if not spec.strip():
        return MemoryTable()
    dict_type, name = split_spec(spec)
    if dict_type not in CACHE_TYPES:
        raise TableOpenError(f"unsupported dictionary type: {dict_type} for address_verify_map"
                             f" (use lmdb or btree)")
    return open_writable(dict_type, name, DUP_REPLACE | SYNC_UPDATE | LOCK | UTF8_REQUEST)


class VerifyCache:
    def __init__(self, table: Table, policy: CachePolicy,
                 warn: Callable[[str], None]) -> None:
        self.table = table
        self.policy = policy
        self.warn = warn

    def get(self, address: str) -> CacheEntry | None:
        value = self.table.lookup(address)
        if value is None:
            return None
        entry = CacheEntry.parse(value)
        if entry is None:
            self.warn(f"bad address verify cache entry for {address}: {value}")
        return entry

    def query(self, address: str, now: int) -> Answer:
        entry = self.get(address)
        policy = self.policy
        valid = entry is not None and not policy.expired(entry, now)
        if entry is None or not valid:
            status, text = DEL_RCPT_STAT_TODO, IN_PROGRESS
        else:
            status, text = entry.status, entry.text
        need = not valid or (entry is not None and policy.stale(entry, now))
        pending = entry is not None and entry.probed > 0 and entry.probed + PROBE_TTL > now
        probe = need and not pending
        if probe:
            base = entry if entry is not None and valid else CacheEntry(
                DEL_RCPT_STAT_TODO, 0, 0, IN_PROGRESS)
            self.table.update(address, CacheEntry(base.status, now, base.updated,
                                                  base.text).value())
        return Answer(status, text, probe)

    def update(self, address: str, status: int, text: str, now: int) -> bool:
        """Store a probe's result; False when a positive entry was kept."""
        if status != DEL_RCPT_STAT_OK:
            old = self.get(address)
            if old is not None and old.status == DEL_RCPT_STAT_OK \
                    and not self.policy.expired(old, now):
                self.table.update(address, CacheEntry(old.status, 0, old.updated,
                                                      old.text).value())
                return False
        self.table.update(address, CacheEntry(status, 0, now, text).value())
        return True

    def unprobe(self, address: str) -> None:
        """The probe that query() asked for was not sent after all."""
        entry = self.get(address)
        if entry is not None and entry.probed:
            self.table.update(address, CacheEntry(entry.status, 0, entry.updated,
                                                  entry.text).value())

    def cleanup(self, now: int) -> tuple[int, int]:
        retained = dropped = 0
        doomed: list[str] = []
        for key, value in list(self.table.items()):
            if key == LAST_CLEANUP:
                continue
            entry = CacheEntry.parse(value)
            if entry is None:
                doomed.append(key)
            elif entry.updated == 0:  # a probe that never came back
                if entry.probed + self.policy.negative_expire <= now:
                    doomed.append(key)
                else:
                    retained += 1
            elif self.policy.expired(entry, now):
                doomed.append(key)
            else:
                retained += 1
        for key in doomed:
            if self.table.delete(key):
                dropped += 1
        self.table.update(LAST_CLEANUP, str(now))
        return retained, dropped

    def last_cleanup(self) -> int:
        value = self.table.lookup(LAST_CLEANUP)
        return int(value) if value is not None and value.isdigit() else 0
