"""`make run`: the bundled configuration starts and delivers to Maildir.

Runs ``python -m pyfix.embedded -d DIR`` (what ``make run`` runs) in the
foreground, sends a message with smtplib to user@example.test on
127.0.0.1:2525 and to the submission port 2587, and finds both in the
Maildir under DIR/mail.  A user that the virtual mailbox table does not
list (ghost@example.test) is refused at RCPT TO with 550, as Postfix
refuses it, instead of being accepted and bounced later.  Skips when
those ports are taken.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from pyfix.embedded import install, render, run_as
from tests.instance import REPO, wait_for, world_traversable_dir


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_render_fills_in_directory_and_user() -> None:
    files = render("/srv/pyfix")
    assert "queue_directory = /srv/pyfix/spool" in files["main.cf"]
    assert f"virtual_uid_maps = static:{run_as().pw_uid}" in files["main.cf"]
    assert "@" + "ROOT@" not in "".join(files.values())
    assert "127.0.0.1:2525 inet" in files["master.cf"]
    assert "127.0.0.1:2587 inet" in files["master.cf"]


def test_install_keeps_local_edits() -> None:
    base = world_traversable_dir("pyfix-embedded-")
    etc = Path(install(str(base)))
    (etc / "main.cf").write_text("# edited\n")
    install(str(base))
    assert (etc / "main.cf").read_text() == "# edited\n"


def _message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "someone@example.org"
    msg["To"] = to
    msg["Subject"] = "make run"
    msg.set_content("hello from the test\n")
    return msg


def test_make_run_delivers_to_maildir() -> None:
    if not (_free(2525) and _free(2587)):
        pytest.skip("127.0.0.1:2525 or :2587 is in use")
    base = world_traversable_dir("pyfix-run-")
    proc = subprocess.Popen([sys.executable, "-m", "pyfix.embedded", "-d", str(base)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        assert wait_for(lambda: not _free(2587), 20), "pyfix did not start"
        with smtplib.SMTP("127.0.0.1", 2525, timeout=30) as client:
            client.ehlo("client.example")
            client.mail("someone@example.org")
            assert client.rcpt("ghost@example.test") == (
                550, b"5.1.1 <ghost@example.test>: Recipient address rejected: "
                     b"User unknown in virtual mailbox table")
            client.rset()
            client.send_message(_message("user@example.test"))
        with smtplib.SMTP("127.0.0.1", 2587, timeout=30) as client:
            client.send_message(_message("postmaster@example.test"))
        user_new = base / "mail" / "example.test" / "user" / "new"
        pm_new = base / "mail" / "example.test" / "postmaster" / "new"
        assert wait_for(lambda: user_new.is_dir() and any(user_new.iterdir())
                        and pm_new.is_dir() and any(pm_new.iterdir()), 30), \
            (base / "maillog").read_text()
        delivered = next(user_new.iterdir()).read_bytes()
        parsed = BytesParser(policy=default).parsebytes(delivered)
        assert parsed["Subject"] == "make run"
        assert parsed["Delivered-To"] == "user@example.test"
        assert "hello from the test" in parsed.get_content()
        log = (base / "maillog").read_text()
        assert "relay=virtual" in log and "status=sent (delivered to maildir)" in log
        assert ("NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 "
                "<ghost@example.test>: Recipient address rejected: User unknown in virtual "
                "mailbox table; from=<someone@example.org> to=<ghost@example.test> proto=ESMTP "
                "helo=<client.example>") in log
        assert "ghost@example.test" not in log.partition("NOQUEUE: reject:")[2].partition(
            "\n")[2], "the unknown user was queued or bounced"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
