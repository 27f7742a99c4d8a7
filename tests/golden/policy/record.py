"""Record what real Postfix 3.7 does with check_policy_service (needs root).

Run from the repository root:

    .venv/bin/python tests/golden/policy/record.py

It writes, next to this file:

  config-errors.txt  for each check_policy_service argument in ARGS, the
                     fatal error of Postfix's smtpd at start-up
                     ("ARG<TAB>TEXT"); pyfix words its warning the same
  request.txt        the request that Postfix's smtpd sends a policy
                     server for "RCPT TO:<u@mail.example.test>" after
                     "EHLO client.example" and "MAIL FROM:<a@example.org>
                     SIZE=1234" (client_port, server_port and instance
                     masked), in Postfix's order
"""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.policyserver import PolicyServer  # noqa: E402
from tests.smtpd.differential import Differential  # noqa: E402

ARGS = (
    "{ inet:127.0.0.1:9, bogus=1 }",
    "{ inet:127.0.0.1:9, timeout=xyz }",
    "{ inet:127.0.0.1:9, timeout=0 }",
    "{ inet:127.0.0.1:9, max_idle=0 }",
    "{ inet:127.0.0.1:9, try_limit=0 }",
    "{ inet:127.0.0.1:9, request_limit=abc }",
    "{ inet:127.0.0.1:9, timeout }",
    "{ timeout=1s }",
    "nocolon",
    "foo:bar",
    "127.0.0.1:9998",
)
FATAL = re.compile(r"smtpd\[\d+\]: fatal: (.*)$", re.MULTILINE)


def fatal_text(arg: str) -> str:
    diff = Differential(f"smtpd_recipient_restrictions = check_policy_service {arg}, "
                        "reject_unauth_destination\n", expect_unsupported=True)
    try:
        diff.postfix.start_master_only()
        log = diff.postfix.instance.base / "maillog"
        with socket.create_connection(("127.0.0.1", diff.postfix.port), timeout=10) as sock:
            sock.settimeout(5)
            with contextlib.suppress(OSError):
                sock.recv(100)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            match = FATAL.search(log.read_text(errors="replace") if log.exists() else "")
            if match:
                return match.group(1)
            time.sleep(0.2)
        raise RuntimeError(f"no fatal error for {arg}")
    finally:
        diff.stop()


def request() -> list[str]:
    with PolicyServer("DUNNO") as server:
        main_cf = (f"smtpd_recipient_restrictions = check_policy_service {server.spec}, "
                   "permit_mynetworks, reject_unauth_destination\n")
        with Differential(main_cf, expect_unsupported=True) as diff:
            server.requests.clear()
            diff.run("request", [b"EHLO client.example\r\n",
                                 b"MAIL FROM:<a@example.org> SIZE=1234\r\n",
                                 b"RCPT TO:<u@mail.example.test>\r\n", b"QUIT\r\n"])
            port = str(diff.postfix.port)
        (attrs,) = [r for r in server.requests if r.get("server_port") == port]
    masked = {"client_port": "PORT", "server_port": "PORT", "instance": "INSTANCE"}
    return [f"{name}={masked.get(name, value)}" for name, value in attrs.items()]


def main() -> None:
    lines = [f"{arg}\t{fatal_text(arg)}" for arg in ARGS]
    (HERE / "config-errors.txt").write_text("\n".join(lines) + "\n")
    (HERE / "request.txt").write_text("\n".join(request()) + "\n")


if __name__ == "__main__":
    main()
