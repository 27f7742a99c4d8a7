"""Live differential test: record a few dialogues from real Postfix now and
check that they still match the stored goldens (and so pyfix).

Needs root (record.py starts a throw-away Postfix master on a loopback
port) and Debian's postfix package; skipped otherwise.  The full set is
re-recorded with tests/golden/smtp/record.py (see its README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import oracle
from tests.smtp.golden import EXPECTED, GOLDEN, Dialogue, iter_mismatches, replay

SAMPLE = [
    "data_basic",
    "mail_syntax",
    "data_crlf_variants_normalize",
    "bdat_chunks",
    "data_pipelined_content_forbid",
]


SKIP = oracle.missing(oracle.MASTER, root=True, postfix_user=True)


@pytest.mark.skipif(SKIP is not None, reason=str(SKIP))
def test_live_recording_matches_golden(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(GOLDEN / "record.py"), "--out", str(tmp_path), "--only", *SAMPLE],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in SAMPLE:
        fresh = json.loads((tmp_path / f"{name}.json").read_text())
        stored = json.loads((EXPECTED / f"{name}.json").read_text())
        assert fresh["steps"] == stored["steps"], name
        assert fresh["log"] == stored["log"], name
        dialogue = Dialogue.load(tmp_path / f"{name}.json")
        problems = list(iter_mismatches(dialogue, replay(dialogue)))
        assert not problems, "\n".join(problems)
