"""Real Postfix and pyfix with a private resolv.conf (tests/resolverns.py).

Both name a client from the test's DNS server (PTR and the A record that
confirms it), and the machine's own /etc/resolv.conf is left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resolverns import skip_reason as dns_skip_reason
from tests.smtpd.differential import Differential, skip_reason

ZONE = """
7.0.0.127.in-addr.arpa.  300 PTR host7.example.com.
host7.example.com.       300 A   127.0.0.7
"""
REASON = skip_reason() or dns_skip_reason()


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_both_name_the_client_from_the_test_dns() -> None:
    before = Path("/etc/resolv.conf").read_bytes()
    with Differential(dns_zone=ZONE) as diff:
        postfix, pyfix = diff.run("named client", [b"EHLO x\r\n", b"QUIT\r\n"],
                                  client="127.0.0.7")
    for side in (postfix, pyfix):
        assert "smtpd: connect from host7.example.com[127.0.0.7]" in side.log, side.raw
    assert postfix.log == pyfix.log
    assert Path("/etc/resolv.conf").read_bytes() == before
