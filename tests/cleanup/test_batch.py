"""write_lines() (the batch path smtpd uses) writes exactly the records that
write_line() does, one line at a time, in every case the batch path touches:
header-to-body in one batch, long lines split into REC_TYPE_CONT records,
continued records, stray CR/LF, non-ASCII, and body_checks (where the batch
path must step aside)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.queue.records import Record
from tests.cleanup.helpers import RECEIVED, Sandbox

LINES: list[tuple[bytes, bool]] = [
    (RECEIVED, False),
    (b"Subject: batch", False),
    (b"From: a@example.org", False),
    (b"Date: Sat, 28 Nov 2026 07:00:00 +0000", False),
    (b"Message-ID: <batch@example.org>", False),
    (b"", False),
    (b"short body line", False),
    (b"x" * 5000, False),           # longer than line_length_limit: split
    (b"first part of a long", True),  # a continued record
    (b" line", False),
    (b"stray\rcarriage return", False),
    (b"\xc3\xa9t\xc3\xa9 8-bit", False),
    *[(b"filler %d " % n + b"y" * 120, False) for n in range(300)],  # 127-byte boundary
    (b"", False),
    (b"last", False),
]


def _records(box: Sandbox, batch: bool, chunk: int) -> list[tuple[int, bytes]]:
    stream = box.open()
    stream.add_recipient("rcpt@example.com")
    if batch:
        for start in range(0, len(LINES), chunk):
            stream.write_lines(LINES[start:start + chunk])
    else:
        for data, continued in LINES:
            stream.write_line(data, continued)
    result = stream.close()
    assert result.queue == "incoming", result
    records: list[Record] = box.records(result)
    return [(r.type, r.data) for r in records
            if r.type in (ord("N"), ord("L"))]


@pytest.mark.parametrize("chunk", [1, 3, 7, 1000])
def test_batch_and_single_lines_write_the_same_records(tmp_path: Path, chunk: int) -> None:
    box = Sandbox(tmp_path)
    assert _records(box, True, chunk) == _records(box, False, chunk)


def test_batch_steps_aside_for_body_checks(tmp_path: Path) -> None:
    rules = tmp_path / "body_checks"
    rules.write_text("/^filler 7 / REPLACE filler seven\n")
    box = Sandbox(tmp_path / "box", {"body_checks": f"regexp:{rules}"})
    batch = _records(box, True, 1000)
    assert batch == _records(box, False, 1000)
    assert (ord("N"), b"filler seven") in batch
