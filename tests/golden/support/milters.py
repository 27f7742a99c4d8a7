"""Real Postfix's smtpd when no milter in smtpd_milters can be reached.

    sudo python3 tests/golden/support/milters.py > tests/golden/support/milters.json

runs Debian's Postfix 3.7.11 (a throw-away instance of
tests/golden/smtp/record.py's Instance, profile "base", with
smtpd_milters = inet:127.0.0.1:9, where nothing listens) once per
milter_default_action, plays DIALOGUE, and prints the replies and the
smtpd log lines of that session (times, PIDs, and the syslog name
removed).  tests/smtpd/test_milter_gate.py compares pyfix with it.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMTP = HERE.parent / "smtp"
MILTER = "inet:127.0.0.1:9"
ACTIONS = ("tempfail", "reject", "accept")
DIALOGUE = [b"EHLO client.example\r\n", b"MAIL FROM:<a@example.org>\r\n",
            b"RCPT TO:<b@example.com>\r\n", b"RSET\r\n", b"QUIT\r\n"]


def record_module():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(SMTP))
    spec = importlib.util.spec_from_file_location("smtp_record", SMTP / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def converse(port: int) -> list[str]:
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")

        def reply() -> str:
            lines = []
            while True:
                line = reader.readline()
                lines.append(line)
                if not line or line[3:4] != b"-":
                    return b"".join(lines).decode()

        replies.append(reply())
        for step in DIALOGUE:
            sock.sendall(step)
            replies.append(reply())
    return replies


def session_log(lines: list[str]) -> list[str]:
    """The smtpd lines from the last "connect from" on, without the
    milter connection warning (pyfix does not try to connect)."""
    start = max(i for i, line in enumerate(lines) if line.startswith("connect from "))
    return [line for line in lines[start:] if "connect to Milter service" not in line]


def main() -> int:
    record = record_module()
    result = {}
    for action in ACTIONS:
        extra = f"\nsmtpd_milters = {MILTER}\nmilter_default_action = {action}\n"

        class Instance(record.Instance):  # type: ignore[misc,name-defined]
            settings = extra

            def main_cf(self) -> str:
                return str(super().main_cf()) + self.settings

        inst = Instance("base")
        inst.setup()
        inst.master = subprocess.Popen([record.MASTER, "-c", str(inst.base / "conf"), "-d"],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", inst.port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            inst.wait_disconnect()
            replies = converse(inst.port)
            lines = inst.wait_disconnect()
            result[action] = {"replies": replies,
                              "log": session_log(record.normalize_log(lines))}
        finally:
            inst.stop()
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
