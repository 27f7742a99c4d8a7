"""Live differential test: ask a real Postfix trivial-rewrite now.

Re-records a sample of the golden profiles with
tests/golden/rewrite/record.py (a throw-away Postfix master, requests
over private/rewrite) and checks that the fresh answers equal the stored
ones, and so pyfix's.  Needs root and Debian's postfix package; skipped
otherwise.  The full set is re-recorded with record.py (README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import oracle
from tests.rewrite.golden import GOLDEN, load, mismatches, replay

SAMPLE = ["base", "s2-transport", "s17-mydestination", "classes", "sender-dependent"]


SKIP = oracle.missing(oracle.MASTER, root=True, postfix_user=True)


@pytest.mark.skipif(SKIP is not None, reason=str(SKIP))
def test_live_answers_match_golden_and_pyfix(tmp_path: Path) -> None:
    profiles = [arg for name in SAMPLE for arg in ("--profile", name)]
    result = subprocess.run(
        [sys.executable, str(GOLDEN / "record.py"), "--out", str(tmp_path), *profiles],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for name in SAMPLE:
        fresh = json.loads((tmp_path / f"{name}.json").read_text())
        stored = load(name)
        assert fresh["replies"] == stored["replies"], name
        assert fresh["log"] == stored["log"], name
        assert not mismatches(fresh, replay(fresh)), name
