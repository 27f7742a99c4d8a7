"""Unit tests for the indexed tables: lmdb:, cdb:, hash:, btree:, texthash:."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyfix.log.printable import printable, set_utf8_enable
from pyfix.tables import cdb_format, lmdb_build, lmdb_table, mkmap
from pyfix.tables.base import (
    DEFAULT_FLAGS,
    DUP_IGNORE,
    DUP_REPLACE,
    DUP_WARN,
    FOLD_FIX,
    LOCK,
    TRY0NULL,
    TRY1NULL,
    UTF8_REQUEST,
    TableOpenError,
    TableUnsupported,
)
from pyfix.tables.indexed import TableFatalError, TableRestart
from pyfix.tables.open import open_table
from pyfix.tables.utf8 import fold_fixed

OLD = 1_000_000_000


def build(dict_type: str, name: Path, entries: list[tuple[str, str]],
          flags: int = DEFAULT_FLAGS) -> None:
    builder = mkmap.mkmap_open(dict_type, str(name), flags, truncate=True)
    while True:
        try:
            for key, value in entries:
                builder.update(key, value)
            builder.close()
            return
        except TableRestart:
            continue
        except BaseException:
            builder.abort()
            raise


def read(spec: str, flags: int = DEFAULT_FLAGS):  # type: ignore[no-untyped-def]
    return open_table(spec, flags, surrogate=False, cache=False)


@pytest.fixture(autouse=True)
def _utf8_on():  # type: ignore[no-untyped-def]
    set_utf8_enable(True)
    yield
    set_utf8_enable(True)


@pytest.mark.parametrize("dict_type", ["lmdb", "cdb", "hash", "btree"])
def test_build_and_lookup(tmp_path: Path, dict_type: str) -> None:
    name = tmp_path / "map"
    build(dict_type, name, [("Key", "value"), ("other", "v2"), ("Straße", "s")])
    table = read(f"{dict_type}:{name}")
    assert table.lookup("key") == "value"
    assert table.lookup("KEY") == "value"
    assert table.lookup("STRASSE") == "s"
    assert table.lookup("missing") is None
    table.close()
    suffix = ".cdb" if dict_type == "cdb" else ".lmdb"
    assert (tmp_path / f"map{suffix}").exists()
    assert not (tmp_path / "map.db").exists()
    assert not (tmp_path / f"map{suffix}.tmp").exists()


@pytest.mark.parametrize("dict_type", ["lmdb", "cdb"])
def test_nul_conventions(tmp_path: Path, dict_type: str) -> None:
    name = tmp_path / "map"
    build(dict_type, name, [("a", "1")], DEFAULT_FLAGS | TRY1NULL)
    assert read(f"{dict_type}:{name}").lookup("a") == "1"
    assert read(f"{dict_type}:{name}", DEFAULT_FLAGS | TRY1NULL).lookup("a") == "1"
    assert read(f"{dict_type}:{name}", DEFAULT_FLAGS | TRY0NULL).lookup("a") is None
    build(dict_type, name, [("a", "1")], DEFAULT_FLAGS | TRY0NULL)
    assert read(f"{dict_type}:{name}", DEFAULT_FLAGS | TRY0NULL).lookup("a") == "1"
    assert read(f"{dict_type}:{name}", DEFAULT_FLAGS | TRY1NULL).lookup("a") is None


def test_lmdb_file_format(tmp_path: Path) -> None:
    """The exact key/value encoding of Postfix's lmdb tables."""
    import lmdb

    name = tmp_path / "map"
    build("lmdb", name, [("Foo", "bar")])
    env = lmdb.open(f"{name}.lmdb", subdir=False, lock=False, readonly=True)
    with env.begin() as txn:
        assert list(txn.cursor()) == [(b"foo\0", b"bar\0")]
    env.close()
    assert not Path(f"{name}.lmdb-lock").exists()


def test_duplicates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("a", "1"), ("A", "2")])
    assert 'lmdb:' in capsys.readouterr().err
    assert read(f"lmdb:{name}").lookup("a") == "1"
    build("lmdb", name, [("a", "1"), ("A", "2")], (DEFAULT_FLAGS & ~DUP_WARN) | DUP_REPLACE)
    assert read(f"lmdb:{name}").lookup("a") == "2"
    build("cdb", name, [("a", "1"), ("A", "2")], (DEFAULT_FLAGS & ~DUP_WARN) | DUP_IGNORE)
    assert read(f"cdb:{name}").lookup("a") == "1"
    assert capsys.readouterr().err == ""


def test_duplicate_without_dup_flags_is_fatal(tmp_path: Path) -> None:
    builder = lmdb_build.open_create(str(tmp_path / "m"), FOLD_FIX, 0o644)
    builder.update("a", "1")
    with pytest.raises(TableFatalError, match="duplicate entry"):
        builder.update("a", "2")
    builder.abort()


def test_value_ends_at_nul_and_no_fold(tmp_path: Path) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("Key", "va\0lue")], DEFAULT_FLAGS & ~FOLD_FIX)
    table = read(f"lmdb:{name}", DEFAULT_FLAGS & ~FOLD_FIX)
    assert table.lookup("Key") == "va"
    assert table.lookup("key") is None


def test_sequence(tmp_path: Path) -> None:
    name = tmp_path / "map"
    entries = [(f"k{i:05d}", f"v{i}") for i in range(2500)]
    build("lmdb", name, entries)
    assert list(read(f"lmdb:{name}").items()) == entries
    build("cdb", name, entries)
    with pytest.raises(TableUnsupported):
        list(read(f"cdb:{name}").items())


def test_rebuild_is_noticed(tmp_path: Path) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("a", "old")])
    table = read(f"lmdb:{name}")
    assert not table.changed()
    build("lmdb", name, [("a", "new")])
    assert table.changed()
    assert table.lookup("a") == "old"  # the old file stays readable
    assert read(f"lmdb:{name}").lookup("a") == "new"
    table.close()


def test_same_table_twice_in_one_process(tmp_path: Path) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("a", "1")])
    first = read(f"lmdb:{name}")
    second = read(f"lmdb:{name}", DEFAULT_FLAGS | LOCK)
    assert first.lookup("a") == second.lookup("a") == "1"
    first.close()
    assert second.lookup("a") == "1"
    second.close()


def test_in_place_update_and_delete(tmp_path: Path) -> None:
    name = str(tmp_path / "map")
    build("lmdb", tmp_path / "map", [("a", "1")])
    table = mkmap.open_for_update("lmdb", name, DEFAULT_FLAGS)
    table.update("b", "2")
    assert table.delete("a") is True
    assert table.delete("a") is False
    table.close()
    reader = read(f"lmdb:{name}")
    assert (reader.lookup("a"), reader.lookup("b")) == (None, "2")


def test_map_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lmdb_table.settings, "map_size", 10240)
    name = tmp_path / "map"
    builder = mkmap.mkmap_open("lmdb", str(name), DEFAULT_FLAGS, truncate=True)
    restarts = 0
    while True:
        try:
            for i in range(30000):
                builder.update(f"key{i}", "v" * 60)
            builder.close()
            break
        except TableRestart:
            restarts += 1
    assert restarts >= 1
    writer = mkmap.open_for_update("lmdb", str(name), DEFAULT_FLAGS)
    for i in range(30000, 33000):
        writer.update(f"key{i}", "w" * 100)
    writer.close()
    table = read(f"lmdb:{name}")
    assert table.lookup("key29999") == "v" * 60
    assert table.lookup("key32999") == "w" * 100


def test_long_keys(tmp_path: Path) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("k" * 510, "fits")])
    assert read(f"lmdb:{name}").lookup("k" * 510) == "fits"
    with pytest.raises(TableFatalError, match=r"^error updating lmdb:.*MDB_BAD_VALSIZE"):
        build("lmdb", name, [("k" * 511, "too long")])
    assert read(f"lmdb:{name}").lookup("k" * 510) == "fits"  # old table kept
    with pytest.raises(TableFatalError, match="too long for pyfix's LMDB-based hash"):
        build("hash", name, [("k" * 600, "too long")])


def test_empty_key_lookup(tmp_path: Path) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("a", "1")])
    with pytest.raises(TableFatalError, match=r"error reading lmdb:.*MDB_BAD_VALSIZE"):
        read(f"lmdb:{name}").lookup("")
    assert read(f"lmdb:{name}", DEFAULT_FLAGS | TRY1NULL).lookup("") is None
    build("cdb", name, [("a", "1")])
    assert read(f"cdb:{name}").lookup("") is None


def test_non_utf8_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = tmp_path / "map"
    build("lmdb", name, [("a", "1")])
    bad = b"\xff".decode("utf-8", "surrogateescape")
    assert read(f"lmdb:{name}").lookup(bad) is None
    assert 'non-UTF-8 key "?"' in capsys.readouterr().err
    assert read(f"lmdb:{name}", DEFAULT_FLAGS & ~UTF8_REQUEST).lookup(bad) is None
    assert capsys.readouterr().err == ""


def test_missing_tables(tmp_path: Path) -> None:
    for spec, text in [("lmdb", "x.lmdb"), ("cdb", "x.cdb"), ("hash", "x.db"),
                       ("btree", "x.db")]:
        with pytest.raises(TableOpenError, match=f"open database .*{text}: No such file"):
            read(f"{spec}:{tmp_path}/x")


def test_fold_rules() -> None:
    flags = FOLD_FIX | UTF8_REQUEST
    assert fold_fixed("ÄBC Straße", flags) == "äbc strasse"
    assert fold_fixed("ÄBC", FOLD_FIX) == "Äbc"
    assert fold_fixed("ÄBC", UTF8_REQUEST) == "ÄBC"
    set_utf8_enable(False)
    assert fold_fixed("ÄBC", flags) == "Äbc"
    assert printable("é\t\udcff") == "????"
    set_utf8_enable(True)
    assert printable("é\t\udcff") == "é??"


def test_cdb_collisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys with one hash value: probing, and the duplicate check."""
    monkeypatch.setattr(cdb_format, "cdb_hash", lambda key: 0x1234)
    path = tmp_path / "c.cdb"
    with open(path, "wb+") as fp:
        writer = cdb_format.CdbWriter(fp)
        for i in range(20):
            assert writer.put(f"k{i}".encode(), f"v{i}".encode())
        assert not writer.put(b"k7", b"again")
        assert writer.put(b"k7", b"new", replace=True)
        writer.finish()
    fd = os.open(path, os.O_RDONLY)
    reader = cdb_format.CdbReader(fd)
    assert [reader.get(f"k{i}".encode()) for i in (0, 7, 19)] == [b"v0", b"new", b"v19"]
    assert reader.get(b"nope") is None
    reader.close()
    os.close(fd)


def test_texthash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "src"
    source.write_text("A 1\na 2\nb   two words  \n  cont\nbad\n")
    os.utime(source, (OLD, OLD))
    table = read(f"texthash:{source}")
    assert table.lookup("a") == "1"
    assert table.lookup("B") == "two words    cont"
    err = capsys.readouterr().err
    assert "line 2: duplicate entry" in err and "-- ignoring this line" in err
    assert not table.changed()
    source.write_text("a 3\n")
    assert table.changed()
    with pytest.raises(TableOpenError):
        mkmap.open_for_update("texthash", str(source), DEFAULT_FLAGS)
