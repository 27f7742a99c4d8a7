"""Live differential test: record a few dialogues from real Postfix now and
check that they still match the stored goldens (and so pyfix).

Needs root (record.py starts a throw-away Postfix master on a loopback
port) and Debian's postfix package; skipped otherwise.  The full set is
re-recorded with tests/golden/smtp/record.py (see its README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.smtp.golden import EXPECTED, GOLDEN, Dialogue, iter_mismatches, replay

MASTER = Path("/usr/lib/postfix/sbin/master")
SAMPLE = [
    "data_basic",
    "mail_syntax",
    "data_crlf_variants_normalize",
    "bdat_chunks",
    "data_pipelined_content_forbid",
]


def _skip_reason() -> str | None:
    if not MASTER.exists():
        return f"real Postfix is not installed ({MASTER} missing)"
    if os.geteuid() != 0:
        return "starting a real Postfix master needs root"
    return None


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
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
