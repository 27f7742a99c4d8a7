"""Helpers for the regexp:, pcre: and cidr: table tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pyfix.log import msg
from pyfix.tables.base import DEFAULT_FLAGS, Table
from pyfix.tables.open import open_table


@contextmanager
def progname(name: str = "postmap") -> Iterator[None]:
    saved = msg.progname()
    msg.set_progname(name)
    try:
        yield
    finally:
        msg.set_progname(saved)


def load(tmp_path: Path, dict_type: str, text: str | bytes, flags: int = DEFAULT_FLAGS,
         name: str = "table") -> Table:
    """Write a table file and open it (not cached)."""
    path = tmp_path / f"{name}.{dict_type}"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with progname():
        return open_table(f"{dict_type}:{path}", flags, surrogate=False, cache=False)


def warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[str]:
    """The warnings printed so far, with the temp dir shown as DIR."""
    err = capsys.readouterr().err.replace(str(tmp_path), "DIR")
    return err.splitlines()
