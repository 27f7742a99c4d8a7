"""pyfix-only behaviour of postmap, postalias and newaliases: what the
golden cases cannot show (pyfix's own limits and options)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OLD = 1_000_000_000


def run(cwd: Path, command: str, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    env.update(MAIL_CONFIG=str(cwd), LC_ALL="C")
    return subprocess.run([sys.executable, "-m", f"pyfix.cli.{command}", *args], cwd=cwd,
                          env=env, input=stdin.decode(), capture_output=True, text=True,
                          check=False)


def setup(tmp_path: Path, **files: str) -> Path:
    (tmp_path / "main.cf").write_text("compatibility_level = 3.6\nqueue_directory = /\n"
                                      "myhostname = mail.example.com\n")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        os.utime(tmp_path / name, (OLD, OLD))
    return tmp_path


def test_hash_key_limit(tmp_path: Path) -> None:
    work = setup(tmp_path, src="k" * 600 + " v\nok yes\n")
    proc = run(work, "postmap", "hash:src")
    assert proc.returncode == 1
    assert "key of 601 bytes is too long for pyfix's LMDB-based hash: table" in proc.stderr
    assert not (work / "src.lmdb").exists() and not (work / "src.lmdb.tmp").exists()


def test_unsupported_options(tmp_path: Path) -> None:
    work = setup(tmp_path, src="a b\n")
    for args in (["-F", "hash:src"], ["-h", "-q", "-", "hash:src"]):
        proc = run(work, "postmap", *args)
        assert proc.returncode == 1
        assert proc.stderr == ("postmap: fatal: the -b, -h, -m and -F options are not"
                               " supported by pyfix\n")


def test_newaliases_config_option(tmp_path: Path) -> None:
    work = setup(tmp_path, aliases="root: admin\n")
    cf = work / "cf"
    cf.mkdir()
    (cf / "main.cf").write_text(f"alias_database = lmdb:{work}/aliases\nqueue_directory = /\n")
    for option in (str(cf), str(cf / "main.cf")):
        (work / "aliases.lmdb").unlink(missing_ok=True)
        proc = run(work, "newaliases", "-C", option)
        assert (proc.returncode, proc.stderr) == (0, "")
        assert run(work, "postalias", "-q", "root", "lmdb:aliases").stdout == "admin\n"


def test_rebuild_keeps_old_table_on_error(tmp_path: Path) -> None:
    work = setup(tmp_path, src="a 1\n")
    assert run(work, "postmap", "lmdb:src").returncode == 0
    (work / "src").write_text("a 2\n" + "j" * 600 + " x\n")
    assert run(work, "postmap", "lmdb:src").returncode == 1
    assert run(work, "postmap", "-q", "a", "lmdb:src").stdout == "1\n"
    assert sorted(p.name for p in work.iterdir()) == ["main.cf", "src", "src.lmdb"]
