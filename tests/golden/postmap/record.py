#!/usr/bin/env python3
"""Record the golden transcripts of the REAL Postfix postmap, postalias
and newaliases for every case in cases.txt (or only the ids given).

    python3 tests/golden/postmap/record.py [case-id ...]

Each case runs in a fresh copy of fixtures/<fixture>/ with
MAIL_CONFIG pointing at it, LC_ALL=C, and every file dated 2001
(tests/cli/maps_harness.py has the details); the transcript goes to
expected/<case-id>.txt and the Postfix version to expected/VERSION.
The commands run are /usr/sbin/postmap, /usr/sbin/postalias and
/usr/bin/newaliases, exactly as each step in cases.txt spells them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests import oracle
from tests.cli.maps_harness import (
    EXPECTED,
    expected_path,
    parse_cases,
    postfix_missing,
    run_case,
)


def main() -> int:
    missing = postfix_missing()
    if missing is not None:
        print(f"record.py: {missing}", file=sys.stderr)
        return 1
    wanted = set(sys.argv[1:])
    cases = parse_cases()
    known = {case.id for case in cases}
    if wanted - known:
        print(f"record.py: unknown case(s): {' '.join(sorted(wanted - known))}",
              file=sys.stderr)
        return 1
    EXPECTED.mkdir(exist_ok=True)
    if not wanted:
        for old in EXPECTED.glob("*.txt"):
            old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        version = oracle.run(oracle.POSTCONF, oracle.config_dir(Path(scratch)),
                             "-d", "-h", "mail_version").stdout
    (EXPECTED / "VERSION").write_text(version)
    for case in cases:
        if wanted and case.id not in wanted:
            continue
        expected_path(case).write_text(run_case(case, "postfix"), encoding="utf-8",
                                       errors="surrogateescape")
        print(case.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
