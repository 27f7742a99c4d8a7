"""open_table() with a surrogate: the open error is reported through
msg_error() (a daemon's mail log, via set_sink), once per process and
reason, and every lookup fails with the reason; commands get the error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.log.msg import set_sink
from pyfix.tables.base import TableConfigError, TableOpenError
from pyfix.tables.open import open_table


@pytest.fixture
def logged() -> Iterator[list[tuple[str, str]]]:
    lines: list[tuple[str, str]] = []
    set_sink(lambda level, text: lines.append((level, text)))
    try:
        yield lines
    finally:
        set_sink(None)


def test_reported_once_per_reason(tmp_path: Path, logged: list[tuple[str, str]]) -> None:
    spec = f"hash:{tmp_path}/users"
    reason = f"open database {tmp_path}/users.db: No such file or directory"
    for _ in range(3):  # the refresh of a Maps opens it again each time
        table = open_table(spec)
        with pytest.raises(TableConfigError, match=f"{spec} is unavailable. {reason}"):
            table.lookup("ghost")
    assert logged == [("error", reason)]
    open_table(f"cidr:{tmp_path}/nets")
    assert logged[1:] == [("error", f"open {tmp_path}/nets: No such file or directory")]


def test_commands_get_the_error(tmp_path: Path, logged: list[tuple[str, str]]) -> None:
    with pytest.raises(TableOpenError, match="No such file or directory"):
        open_table(f"hash:{tmp_path}/other", surrogate=False)
    assert logged == []
