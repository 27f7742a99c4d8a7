#!/usr/bin/env python3
"""Record real Postfix's RCPT replies for tests/smtpd/test_scope_live.py's
configuration into rcpt_classes.txt (recipient TAB reply), for the unit
test tests/smtpd/test_scope.py.

Usage (as root, with Debian's postfix package, from the repository root):

    .venv/bin/python tests/golden/scope/record.py > tests/golden/scope/rcpt_classes.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.smtpd import test_scope_live as scope
from tests.smtpd.differential import Differential


def main() -> None:
    with Differential(scope.MAIN_CF, scope.MASTER_CF, smtpd_args=scope.SMTPD_ARGS,
                      files=scope.FILES) as diff:
        postfix, _ = diff.run("rcpt_classes", scope.DIALOGUES["rcpt_classes"])
    # greeting, EHLO, MAIL, one reply per recipient, QUIT
    for (rcpt, _why), reply in zip(scope.RECIPIENTS, postfix.replies[3:-1], strict=True):
        print(f"{rcpt}\t{reply.decode().strip()}")


if __name__ == "__main__":
    main()
