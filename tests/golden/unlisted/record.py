"""Record which canonical and virtual alias maps make a sender or a
recipient "known" to real Postfix 3.7 (reject_unlisted_sender,
smtpd_reject_unlisted_recipient).  pyfix cannot run these maps in the
live harness yet (they are GUARDS in pyfix/config/support.py), so the
answers are kept here for tests/smtpd/test_unlisted_checks.py.

    cd REPO && .venv/bin/python tests/golden/unlisted/record.py \
        > tests/golden/unlisted/canonical.txt

As root: runs tests/golden/smtp/postfix/main.cf + canonical.cf (this directory) on
a throw-away Postfix (tests/smtpd/differential.py's PostfixOracle); each
output line is "MAIL|RCPT address -> reply".
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.smtpd.differential import PostfixOracle, converse, normalize_steps

HERE = Path(__file__).resolve().parent
ADDRESSES = ["sc@mail.example.test", "rc@mail.example.test", "cc@mail.example.test",
             "va@valias.example", "scva@valias.example", "rcva@valias.example",
             "zz@mail.example.test"]
KNOWN = "known@mail.example.test"


def main() -> None:
    oracle = PostfixOracle("base", (HERE / "canonical.cf").read_text(), "", "")
    oracle.start()
    try:
        for address in ADDRESSES:
            for command, sender, rcpt in (("MAIL", address, KNOWN), ("RCPT", KNOWN, address)):
                steps = normalize_steps([b"EHLO client.example\r\n",
                                         f"MAIL FROM:<{sender}>\r\n".encode(),
                                         f"RCPT TO:<{rcpt}>\r\n".encode(), b"QUIT\r\n"])
                replies, _ = converse(oracle.port, steps)
                oracle.session_log()
                print(f"{command} {address} -> {replies[3].decode().strip()}")
    finally:
        oracle.stop()


if __name__ == "__main__":
    main()
