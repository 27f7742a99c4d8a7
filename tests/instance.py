"""A throw-away pyfix mail system for integration tests.

Instance writes main.cf and master.cf under a fresh directory, starts a
real pyfix master with ``postfix -c DIR start`` and stops it afterwards.
The directory is not under pytest's tmp_path: that is mode 0700, and when
the tests run as root the services run as mail_owner, which must reach
the queue.  Use the ``pyfix_instance`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The delivery side of Postfix's stock master.cf (what pyfix implements).
DELIVERY_MASTER_CF = """\
pickup    unix  n       -       n       60      1       pickup
qmgr      unix  n       -       n       300     1       qmgr
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
showq     unix  n       -       n       -       -       showq
flush     unix  n       -       n       1000?   0       flush
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], object], timeout: float = 20.0,
             interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def pyfix_command(command: str, confdir: Path, *args: str,
                  input: str | bytes | None = None, timeout: float = 60,
                  wrap: Callable[[list[str]], list[str]] | None = None,
                  ) -> subprocess.CompletedProcess[str]:
    """Run a pyfix command-line tool (postfix, postqueue, sendmail...);
    wrap: a command prefix (tests/resolverns.py's DnsWorld.wrap)."""
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    env["MAIL_CONFIG"] = str(confdir)
    text_input = input.decode() if isinstance(input, bytes) else input
    argv = [sys.executable, "-m", f"pyfix.cli.{command}", *args]
    return subprocess.run(wrap(argv) if wrap else argv,
                          capture_output=True, text=True, env=env, cwd=REPO,
                          timeout=timeout, check=False, input=text_input)


class Instance:
    """One pyfix mail system: configuration, queue, log."""

    def __init__(self, root: Path, main_cf: str = "", master_cf: str | None = None,
                 host: str = "127.0.0.1") -> None:
        self.root = root
        self.host = host
        self.port = free_port(host)
        # A test that sets an unsupported parameter on purpose says so;
        # any other "not supported by pyfix yet" line fails it (instances()).
        self.expect_unsupported = False
        # A command prefix for starting the master (a private resolv.conf).
        self.wrap: Callable[[list[str]], list[str]] | None = None
        self.etc = root / "etc"
        self.spool = root / "spool"
        self.etc.mkdir(parents=True)
        (root / "data").mkdir()
        os.chmod(root, 0o755)
        (self.etc / "main.cf").write_text(
            "compatibility_level = 3.7\n"
            f"queue_directory = {self.spool}\n"
            f"data_directory = {root}/data\n"
            f"maillog_file = {root}/maillog\n"
            "myhostname = mail.example.com\n"
            "smtpd_banner = $myhostname ESMTP $mail_name\n"
            "alias_maps =\n"
            "local_recipient_maps =\n" + main_cf
        )
        if master_cf is None:
            master_cf = DELIVERY_MASTER_CF
        (self.etc / "master.cf").write_text(
            f"{host}:{self.port} inet n - n - - smtpd\n" + master_cf)

    # Lifecycle -----------------------------------------------------------

    def command(self, command: str, *args: str, input: str | bytes | None = None,
                ) -> subprocess.CompletedProcess[str]:
        return pyfix_command(command, self.etc, *args, input=input)

    def postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return pyfix_command("postfix", self.etc, "-c", str(self.etc), *args)

    def start(self) -> None:
        result = pyfix_command("postfix", self.etc, "-c", str(self.etc), "start",
                               wrap=self.wrap)
        assert result.returncode == 0, result.stderr
        if not wait_for(self._listening, 15):
            raise AssertionError("smtpd did not start:\n" + self.maillog())

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        self.postfix("stop")

    # Observations --------------------------------------------------------

    def maillog(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, text: str, timeout: float = 20.0, count: int = 1) -> str:
        """Wait until text appears count times in the mail log; return the log."""
        if not wait_for(lambda: self.maillog().count(text) >= count, timeout):
            raise AssertionError(f"not logged: {text!r}\n{self.maillog()}")
        return self.maillog()

    def queue_files(self, queue: str) -> list[Path]:
        return sorted(p for p in (self.spool / queue).rglob("*") if p.is_file())

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP(self.host, self.port, timeout=30)


def world_traversable_dir(prefix: str) -> Path:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(base, 0o755)
    return base


def instances(prefix: str = "pyfix-test-") -> Iterator[Callable[..., Instance]]:
    """Generator behind the pyfix_instance fixture."""
    base = world_traversable_dir(prefix)
    made: list[Instance] = []

    def make(main_cf: str = "", master_cf: str | None = None, host: str = "127.0.0.1",
             start: bool = True) -> Instance:
        inst = Instance(base / f"i{len(made)}", main_cf, master_cf, host)
        made.append(inst)
        if start:
            inst.start()
        return inst

    unexpected: list[str] = []
    try:
        yield make
    finally:
        for inst in made:
            inst.stop()
            if not inst.expect_unsupported:
                unexpected += [line for line in inst.maillog().splitlines()
                               if "is not supported by pyfix yet" in line]
        shutil.rmtree(base, ignore_errors=True)
    assert not unexpected, "the configuration uses what pyfix does not support:\n" + \
        "\n".join(unexpected)
