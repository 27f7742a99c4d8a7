"""A writer rebuilds a table over and over while reader processes and
threads look keys up: no reader ever sees an error, a missing key, or a
table that mixes two generations."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from pathlib import Path

import pytest

from pyfix.tables import mkmap
from pyfix.tables.base import DEFAULT_FLAGS, LOCK, Table
from pyfix.tables.open import close_all, open_table

ENTRIES = 3000
DURATION = 2.5
READER_PROCESSES = 3
READER_THREADS = 3


def write_generation(dict_type: str, name: str, generation: int) -> None:
    builder = mkmap.mkmap_open(dict_type, name, DEFAULT_FLAGS, truncate=True,
                               size_hint=40 * ENTRIES)
    order = list(range(ENTRIES))
    random.shuffle(order)  # a partial table would miss random keys
    for i in order:
        builder.update(f"key{i}", f"gen{generation}-{i}")
    builder.update("count", str(ENTRIES))
    builder.close()


def writer(dict_type: str, name: str, stop_at: float, result: multiprocessing.Queue) -> None:
    generation = 1
    while time.monotonic() < stop_at:
        generation += 1
        write_generation(dict_type, name, generation)
    result.put(("writer", generation - 1, []))


def read_loop(spec: str, flags: int, stop_at: float,
              shared_cache: bool) -> tuple[int, list[str]]:
    """Look up random keys, reopening the table when it was rebuilt:
    through open_table()'s per-process cache (one thread per process, as
    in a daemon), or with a table of this thread's own."""
    errors: list[str] = []
    done = 0
    own: Table | None = None
    while time.monotonic() < stop_at and len(errors) < 10:
        try:
            if shared_cache:
                table = open_table(spec, flags, surrogate=False)
            else:
                if own is None or own.changed():
                    if own is not None:
                        own.close()
                    own = open_table(spec, flags, surrogate=False, cache=False)
                table = own
            if table.lookup("count") != str(ENTRIES):
                errors.append(f"count is {table.lookup('count')!r}")
            seen = set()
            for i in random.sample(range(ENTRIES), 20):
                value = table.lookup(f"KEY{i}")
                if value is None or not value.endswith(f"-{i}"):
                    errors.append(f"key{i}: {value!r}")
                    continue
                seen.add(value.split("-")[0])
                done += 1
            if len(seen) > 1:
                errors.append(f"one table, several generations: {sorted(seen)}")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    if own is not None:
        own.close()
    return done, errors


def reader_process(spec: str, flags: int, stop_at: float,
                   result: multiprocessing.Queue) -> None:
    done, errors = read_loop(spec, flags, stop_at, shared_cache=True)
    close_all()
    result.put(("process", done, errors))


@pytest.mark.parametrize("dict_type", ["lmdb", "cdb", "hash"])
def test_readers_during_rebuilds(tmp_path: Path, dict_type: str) -> None:
    name = str(tmp_path / "table")
    write_generation(dict_type, name, 1)
    spec = f"{dict_type}:{name}"
    context = multiprocessing.get_context("spawn")
    result: multiprocessing.Queue = context.Queue()
    start = time.monotonic() + 2.0  # let the spawned interpreters start
    stop_at = start + DURATION
    processes = [context.Process(target=writer, args=(dict_type, name, stop_at, result))]
    for n in range(READER_PROCESSES):
        flags = DEFAULT_FLAGS | (LOCK if n % 2 else 0)
        processes.append(context.Process(target=reader_process,
                                         args=(spec, flags, stop_at, result)))
    for process in processes:
        process.start()
    thread_results: list[tuple[int, list[str]]] = []

    def reader_thread(flags: int) -> None:
        thread_results.append(read_loop(spec, flags, stop_at, shared_cache=False))

    while time.monotonic() < start:
        time.sleep(0.05)
    threads = [threading.Thread(target=reader_thread, args=(DEFAULT_FLAGS | (LOCK if n else 0),))
               for n in range(READER_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reports = [result.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    close_all()
    rebuilds = [count for kind, count, _ in reports if kind == "writer"]
    assert rebuilds and rebuilds[0] >= 3, f"only {rebuilds} rebuilds"
    print(f"{dict_type}: {rebuilds[0]} rebuilds;"
          f" lookups {[count for kind, count, _ in reports if kind == 'process']}"
          f" {[count for count, _ in thread_results]}")
    lookups = [(count, errors) for kind, count, errors in reports if kind == "process"]
    lookups += thread_results
    assert len(lookups) == READER_PROCESSES + READER_THREADS
    for count, errors in lookups:
        assert errors == []
        assert count > 0
