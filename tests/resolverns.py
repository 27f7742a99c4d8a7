"""A private /etc/resolv.conf for the mail systems that a test starts.

Real Postfix asks the C library's resolver, which reads /etc/resolv.conf
and can only talk to port 53.  A DnsWorld starts tests/dnsserver.py on
port 53 of a loopback address of its own (127.53.x.y, so that tests in
parallel do not meet), writes a resolv.conf that names it, and gives the
command prefix (wrap()) that runs a program in a private mount namespace
where that file is bind-mounted over /etc/resolv.conf.  A Postfix master
(and every daemon it forks) and a pyfix master started that way see the
test's DNS and nothing else; the machine's resolver is untouched.

    with DnsWorld(zone) as world:
        subprocess.Popen(world.wrap([MASTER, "-c", conf, "-d"]))

resolv.conf says "options timeout:1 attempts:1", so that the zone's
TIMEOUT names give a soft failure in a second or two on both sides.

Needs root (port 53, unshare --mount) and util-linux's unshare:
skip_reason() says why not, for pytest.mark.skipif.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from tests.dnsserver import DnsServer

UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
# Runs "$@" with $0 bind-mounted over /etc/resolv.conf.
_BIND = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "a private resolv.conf needs root (port 53 and a mount namespace)"
    if not os.path.exists(UNSHARE):
        return "unshare (util-linux) is not installed"
    return None


class DnsWorld:
    """The test's DNS server on port 53 and a resolv.conf naming it."""

    def __init__(self, zone: str, options: str = "timeout:1 attempts:1") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pyfix-resolv-"))
        os.chmod(self.dir, 0o755)
        self.server = self._start(zone)
        self.resolv_conf = self.dir / "resolv.conf"
        self.resolv_conf.write_text(f"nameserver {self.server.address}\noptions {options}\n")
        os.chmod(self.resolv_conf, 0o644)

    @staticmethod
    def _start(zone: str) -> DnsServer:
        last: Exception | None = None
        for _ in range(20):
            address = f"127.53.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                return DnsServer(zone, address, port=53)
            except RuntimeError as exc:  # the address is taken: another one
                last = exc
        raise RuntimeError(f"no free 127.53.x.y:53 for the test DNS server: {last}")

    @property
    def address(self) -> str:
        return self.server.address

    def wrap(self, argv: list[str]) -> list[str]:
        """argv, run where /etc/resolv.conf is this world's."""
        return [UNSHARE, "--mount", "--propagation", "private", "sh", "-c", _BIND,
                str(self.resolv_conf), *argv]

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> DnsWorld:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
