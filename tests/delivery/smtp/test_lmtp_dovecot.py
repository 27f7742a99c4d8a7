"""The lmtp agent against a private Dovecot LMTP server (UNIX socket and TCP)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.smtp.harness import SmtpHarness
from tests.instance import free_port, wait_for, world_traversable_dir

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
pytestmark = pytest.mark.skipif(
    not os.path.exists(DOVECOT) or not os.path.exists("/usr/lib/dovecot/lmtp"),
    reason="Dovecot LMTP is not installed (Debian packages dovecot-core, dovecot-lmtpd)")


class Dovecot:
    def __init__(self) -> None:
        self.root = world_traversable_dir("pyfix-dovecot-")
        self.port = free_port()
        owner = pwd.getpwnam("postfix") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, owner.pw_uid, owner.pw_gid)
        (self.root / "passwd").write_text(
            f"alice@example.test:{{PLAIN}}secret:{owner.pw_uid}:{owner.pw_gid}::{mail}/alice::\n")
        users = "" if os.geteuid() == 0 else (
            f"default_internal_user = {owner.pw_name}\ndefault_login_user = {owner.pw_name}\n"
            f"default_internal_group = {pwd.getpwuid(os.geteuid()).pw_name}\n")
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = lmtp
ssl = no
listen = 127.0.0.1
first_valid_uid = 1
mail_location = maildir:{mail}/%n
{users}
passdb {{
  driver = passwd-file
  args = {self.root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {self.root}/passwd
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.port}
  }}
}}
""")
        self.socket = self.root / "run" / "lmtp"
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_for(self.socket.exists, 10):
            self.stop()
            pytest.skip("dovecot did not start: " + self.log())

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def messages(self, user: str) -> list[bytes]:
        new = self.root / "mail" / user / "new"
        return [p.read_bytes() for p in sorted(new.iterdir())] if new.exists() else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def harness() -> Iterator[SmtpHarness]:
    h = SmtpHarness(lmtp=True)
    yield h
    h.close()


def to_lines(h: SmtpHarness, queue_id: str) -> dict[str, str]:
    out = {}
    for line in h.log_lines():
        match = re.match(rf"{queue_id}: to=<([^>]*)>", line)
        if match:
            out[match.group(1)] = line
    return out


def test_lmtp_over_unix_socket(dovecot: Dovecot, harness: SmtpHarness) -> None:
    before = len(dovecot.messages("alice"))
    queue_id = harness.submit(["alice@example.test", "bob@example.test"])
    response = harness.deliver(queue_id, f"unix:{dovecot.socket}")
    assert sorted((r.address, r.status) for r in response.results) == [
        ("alice@example.test", "sent"), ("bob@example.test", "bounced")], dovecot.log()
    lines = to_lines(harness, queue_id)
    relay = f"relay=mail.example.com[{dovecot.socket}],"
    assert relay in lines["alice@example.test"]
    assert re.search(r"dsn=2\.0\.0, status=sent \(250 2\.0\.0 <alice@example\.test> \S+ Saved\)$",
                     lines["alice@example.test"]), lines
    assert re.search(r"dsn=5\.1\.1, status=bounced \(host mail\.example\.com\[[^]]+\] said: "
                     r"550 5\.1\.1 <bob@example\.test> User doesn't exist: bob@example\.test "
                     r"\(in reply to RCPT TO command\)\)$", lines["bob@example.test"]), lines
    messages = dovecot.messages("alice")
    assert len(messages) == before + 1
    assert b"\n.a line that starts with a dot\n" in messages[-1].replace(b"\r\n", b"\n")


def test_lmtp_over_tcp(dovecot: Dovecot, harness: SmtpHarness) -> None:
    queue_id = harness.submit(["alice@example.test"])
    response = harness.deliver(queue_id, f"inet:127.0.0.1:{dovecot.port}")
    assert [r.status for r in response.results] == ["sent"], dovecot.log()
    assert f"relay=127.0.0.1[127.0.0.1]:{dovecot.port}," in \
        to_lines(harness, queue_id)["alice@example.test"]


def test_lmtp_socket_missing(harness: SmtpHarness) -> None:
    path = world_traversable_dir("pyfix-nolmtp-") / "lmtp"
    queue_id = harness.submit(["alice@example.test"])
    response = harness.deliver(queue_id, f"unix:{path}")
    reason = f"connect to mail.example.com[{path}]: No such file or directory"
    assert response.site_failure == reason
    assert "relay=none, " in to_lines(harness, queue_id)["alice@example.test"]
    shutil.rmtree(Path(path).parent)
