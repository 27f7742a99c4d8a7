"""Queue layout: hashed subdirectories as real Postfix makes them, paths, modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyfix.config.load import load_config
from pyfix.queue import layout as lay
from pyfix.queue.errors import QueueFileMissing
from pyfix.queue.layout import QueueLayout, dir_forest
from tests.queue.harness import GOLDENS, Golden, install_file, make_queue


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_paths_match_where_postfix_put_the_file(golden: Golden, tmp_path: Path) -> None:
    """hold.path and deferred.path were recorded from Postfix and postsuper -H."""
    layout = golden.layout(tmp_path)
    assert layout.relative_path("hold", golden.queue_id) == golden.text("hold.path").strip()
    assert layout.relative_path("deferred", golden.queue_id) == golden.text("deferred.path").strip()


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_layout_from_postfix_main_cf(golden: Golden, tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(golden.text("main.cf"))
    layout = QueueLayout.from_config(load_config(str(tmp_path), need_master=False))
    assert layout == golden.layout(golden.main_cf["queue_directory"])
    assert layout.hash_queue_names == {"deferred", "defer", "hold"}


def test_defaults_hash_deferred_and_defer_only(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(f"queue_directory = {tmp_path}\n")
    layout = QueueLayout.from_config(load_config(str(tmp_path), need_master=False))
    assert (layout.hash_queue_depth, layout.long_queue_ids) == (1, False)
    assert layout.relative_path("deferred", "6683D1640E8") == "deferred/6/6683D1640E8"
    assert layout.relative_path("defer", "6683D1640E8") == "defer/6/6683D1640E8"
    assert layout.relative_path("hold", "6683D1640E8") == "hold/6683D1640E8"
    assert layout.relative_path("incoming", "6683D1640E8") == "incoming/6683D1640E8"


def test_hash_queue_names_are_case_insensitive_and_comma_or_space_separated() -> None:
    layout = QueueLayout.with_names("/q", 2, "Deferred,HOLD  defer", False)
    assert layout.relative_path("hold", "ABCDEF1") == "hold/A/B/ABCDEF1"
    assert layout.relative_path("deferred", "4jbyRC3GzGzByhk") == "deferred/7/0/4jbyRC3GzGzByhk"
    assert layout.path("incoming", "ABCDEF1") == "/q/incoming/ABCDEF1"


def test_dir_forest() -> None:
    assert dir_forest("6683D1640E8", 1) == "6"
    assert dir_forest("6683D1640E8", 3) == "6/6/8"
    assert dir_forest("ab", 3) == "a/b/_"
    for key, depth in (("", 1), ("abc", 0), ("a.b", 2), ("a/b", 2)):
        with pytest.raises(ValueError):
            dir_forest(key, depth)


def test_bad_names_are_refused() -> None:
    layout = QueueLayout("/q")
    with pytest.raises(ValueError, match="bad queue id"):
        layout.path("hold", "../../etc/passwd")
    with pytest.raises(ValueError, match="bad queue name"):
        layout.path("../hold", "ABCDEF1")


def test_create_directories_uses_postfix_modes(tmp_path: Path) -> None:
    layout = QueueLayout(str(tmp_path / "spool"))
    old_umask = os.umask(0o022)
    try:
        layout.create_directories()
        layout.create_directories()  # idempotent
    finally:
        os.umask(old_umask)
    modes = {
        name: stat.S_IMODE(os.stat(tmp_path / "spool" / name).st_mode)
        for name in os.listdir(tmp_path / "spool")
    }
    assert modes == {
        **{q: 0o700 for q in ("active", "bounce", "corrupt", "defer", "deferred", "flush")},
        **{q: 0o700 for q in ("hold", "incoming", "private", "saved", "trace")},
        "maildrop": 0o1730,
        "public": 0o2710,
        "pid": 0o755,
    }
    assert set(lay.ALL_QUEUES) <= set(modes)


def test_rename_creates_missing_hashed_directories(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, depth=2)
    layout = queue.layout
    install_file(queue, b"E\x00", "incoming/ABCDEF1")
    path = layout.rename("ABCDEF1", "incoming", "deferred")
    assert path == layout.path("deferred", "ABCDEF1")
    assert queue.files() == ["deferred/A/B/ABCDEF1"]
    assert stat.S_IMODE(os.stat(tmp_path / "spool/deferred/A/B").st_mode) == 0o700
    layout.rename("ABCDEF1", "deferred", "hold")
    assert queue.files() == ["hold/A/B/ABCDEF1"]
    with pytest.raises(QueueFileMissing):
        layout.rename("ABCDEF1", "deferred", "active")
    assert layout.remove("hold", "ABCDEF1")
    assert not layout.remove("hold", "ABCDEF1")


def test_scan_descends_into_one_letter_directories(tmp_path: Path) -> None:
    queue = make_queue(tmp_path, depth=2)
    for name in ("ABCDEF1", "ABDDEF2", "9FFFF12"):
        install_file(queue, b"", queue.layout.relative_path("deferred", name))
    install_file(queue, b"", "deferred/123456.789")
    assert sorted(queue.layout.scan("deferred")) == [
        "123456.789", "9FFFF12", "ABCDEF1", "ABDDEF2",
    ]  # fmt: skip
    assert list(queue.layout.scan("nonexistent")) == []


def test_open_ok_wants_a_complete_regular_file(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    layout = queue.layout
    install_file(queue, b"", "incoming/ABCDEF1", mode=0o700)
    install_file(queue, b"", "incoming/ABCDEF2", mode=0o600)
    install_file(queue, b"", "incoming/ABCDEF3", mode=0o744)  # group bits are flags
    os.symlink("ABCDEF1", tmp_path / "spool/incoming/ABCDEF4")
    os.mkdir(tmp_path / "spool/incoming/ABCDEF5", 0o700)
    assert layout.open_ok("incoming", "ABCDEF1") is not None
    assert layout.open_ok("incoming", "ABCDEF2") is None
    assert layout.open_ok("incoming", "ABCDEF3") is not None
    assert layout.open_ok("incoming", "ABCDEF4") is None
    assert layout.open_ok("incoming", "ABCDEF5") is None
    assert layout.open_ok("incoming", "ABCDEF6") is None
    assert layout.open_ok("incoming", "123.456") is None
    assert lay.is_ready(0o100700 | lay.STAT_UNTHROTTLE | lay.STAT_EXPIRE)
    assert not lay.is_ready(0o100600)


def test_stale_incomplete_files_are_a_week_old(tmp_path: Path) -> None:
    queue = make_queue(tmp_path)
    path = install_file(queue, b"", "incoming/12345.678", mode=0o600)
    st = os.stat(path)
    assert not lay.stale_incomplete(st, st.st_mtime + lay.MAX_TEMP_AGE)
    assert lay.stale_incomplete(st, st.st_mtime + lay.MAX_TEMP_AGE + 1)
    os.chmod(path, 0o700)
    assert not lay.stale_incomplete(os.stat(path), st.st_mtime + 10 * lay.MAX_TEMP_AGE)
