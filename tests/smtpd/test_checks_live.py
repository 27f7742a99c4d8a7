"""Live differential tests of the restriction lists: real Postfix 3.7 and pyfix
with the same main.cf, the same dialogues, replies and normalized smtpd and
cleanup log lines compared (tests/smtpd/differential.py).

Covered: the relay decision at compatibility_level 0 (no compatibility_level
line), 1, 2 and 3.6 with the seed's smtpd_recipient_restrictions
(permit_mynetworks, reject_non_fqdn_recipient, check_client_access
hash:pop-before-smtp, check_relay_domains) and Postfix's
backwards-compatibility messages; reject and defer in every list, with
smtpd_delay_reject yes and no; an unknown restriction in every list (fails
closed with 451 4.3.5); check_client_access values.  The client is
127.0.0.1 ("localhost"), outside mynetworks (127.0.0.2/32 in the recording
main.cf).
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tests.instance import wait_for
from tests.oracle import MASTER
from tests.smtpd.differential import (
    Differential,
    Side,
    StepSpec,
    describe,
    normalize_steps,
    skip_reason,
)

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
MAIL = b"MAIL FROM:<a@example.org>\r\n"
QUIT = b"QUIT\r\n"
RCPT_LOCAL = b"RCPT TO:<u@mail.example.test>\r\n"
SEED_RCPT = ("smtpd_recipient_restrictions = permit_mynetworks, reject_non_fqdn_recipient,\n"
             "    check_client_access hash:@FILES@/pop-before-smtp,\n"
             "    check_relay_domains\n")
# Without these lines the level's defaults apply, as in the seed's main.cf.
LEVEL_DEFAULTS = ("compatibility_level", "smtpd_relay_restrictions", "relay_domains")
RELAY_DIALOGUE: list[StepSpec] = [
    EHLO, MAIL, RCPT_LOCAL, b"RCPT TO:<u@sub.mail.example.test>\r\n",
    b"RCPT TO:<u@foreign.example>\r\n", b"RCPT TO:<u>\r\n", b"RCPT TO:<u@localhost>\r\n",
    b"DATA\r\n", (b"Subject: seed\r\n\r\nrelayed\r\n.\r\n", "reply"), QUIT]


def differential(main_cf: str, files: dict[str, str] | None = None,
                 unset: tuple[str, ...] = ()) -> Differential:
    diff = Differential(main_cf, files=files, unset=unset)
    for name in files or {}:
        subprocess.run(["/usr/sbin/postmap", f"hash:{diff.files / name}"], check=True)
    return diff


@pytest.fixture(scope="module", params=["none", "1", "2", "3.6"])
def seed_level(request: pytest.FixtureRequest) -> Iterator[Differential]:
    """The seed's recipient restrictions at a compatibility_level ("none": no line)."""
    level = "" if request.param == "none" else f"compatibility_level = {request.param}\n"
    diff = differential(level + SEED_RCPT, {"pop-before-smtp": "192.0.2.1 OK\n"},
                        LEVEL_DEFAULTS)
    with diff:
        yield diff


def test_seed_relay_decision(seed_level: Differential) -> None:
    seed_level.check("seed", RELAY_DIALOGUE)


def test_seed_pop_before_smtp_client_relays() -> None:
    """A client that the pop-before-smtp table lists may relay anywhere."""
    with differential("mydestination = $myhostname\n" + SEED_RCPT,
                      {"pop-before-smtp": "127.0.0.1 OK\n"}, LEVEL_DEFAULTS) as diff:
        diff.check("pop", [EHLO, MAIL, b"RCPT TO:<u@foreign.example>\r\n", QUIT])


STAGE_DIALOGUE: list[StepSpec] = [
    EHLO, MAIL, RCPT_LOCAL, RCPT_LOCAL, b"DATA\r\n",
    (b"Subject: x\r\n\r\nx\r\n.\r\n", "reply"), QUIT]
# ETRN where the client, helo or etrn list may refuse it.
ETRN_DIALOGUE: list[StepSpec] = [EHLO, b"ETRN example.com\r\n", QUIT]
# An unknown restriction is a "software" error: Postfix mails the session
# transcript to the postmaster (notify_classes; tests/smtpd/test_notify_live.py
# compares those notices), so the stage cases leave the class out of
# notify_classes on both sides.
NO_SOFTWARE_NOTICE = "notify_classes = resource\n"


@pytest.mark.parametrize("word", ["reject", "defer", "no_such_restriction"])
@pytest.mark.parametrize("setting", [
    "smtpd_client_restrictions = {}", "smtpd_helo_restrictions = {}",
    "smtpd_sender_restrictions = {}", "smtpd_recipient_restrictions = {}",
    "smtpd_relay_restrictions = {}, reject_unauth_destination",
    "smtpd_data_restrictions = {}", "smtpd_end_of_data_restrictions = {}",
    "smtpd_etrn_restrictions = {}",
    "smtpd_delay_reject = no\nsmtpd_client_restrictions = {}",
    "smtpd_delay_reject = no\nsmtpd_helo_restrictions = {}",
    "smtpd_delay_reject = no\nsmtpd_sender_restrictions = {}",
])
def test_each_stage(setting: str, word: str) -> None:
    """reject, defer and an unknown name (fails closed) in each list."""
    with differential(NO_SOFTWARE_NOTICE + setting.format(word) + "\n") as diff:
        if "client" in setting or "etrn" in setting:
            diff.check(f"{setting} / {word} / ETRN", ETRN_DIALOGUE)
        if "end_of_data" not in setting:
            diff.check(f"{setting} / {word}", STAGE_DIALOGUE)
            return
        name = f"{setting} / {word}"
        postfix, pyfix = diff.run(name, STAGE_DIALOGUE)
        report = describe(name, normalize_steps(STAGE_DIALOGUE), *map(_message_id_apart, (
            postfix, pyfix)))
        assert not report, report


def _message_id_apart(side: Side) -> Side:
    """The log without cleanup's one message-id line.  Where it falls is a
    matter of buffering: Postfix's cleanup gets a small message only when
    smtpd flushes its stream, after the end-of-data check (so after the
    reject line); pyfix's in-process cleanup reads it as it streams."""
    lines = [line for line in side.log if "cleanup: QUEUEID1: message-id=" not in line]
    assert len(lines) == len(side.log) - 1, side.log
    return Side(side.replies, side.closed, lines)


def test_client_access_values() -> None:
    table = ("localhost REJECT go away\n127.0.0.1 450 4.7.9 later\n")
    with differential(NO_SOFTWARE_NOTICE + "smtpd_client_restrictions = check_client_access "
                      "hash:@FILES@/access\n", {"access": table}) as diff:
        diff.check("reject-by-name", [EHLO, MAIL, RCPT_LOCAL, QUIT])
    for value in ("DUNNO", "OK", "frobnicate", "REJECT", "DEFER", "550 5.7.0 no thanks"):
        with differential(NO_SOFTWARE_NOTICE + "smtpd_recipient_restrictions = "
                          "check_client_access hash:@FILES@/access, reject\n",
                          {"access": f"127.0.0.1 {value}\n"}) as diff:
            diff.check(value, [EHLO, MAIL, RCPT_LOCAL, QUIT])


FATAL_LINES = re.compile(r"(?:smtpd|master)\[\d+\]: (fatal: .*|warning: .*(?:exit status|"
                         r"bad command startup).*)$")


def _fatal_lines(log: str) -> list[str]:
    """The fatal and the master's throttling lines, the program path and pid masked."""
    found = [m.group(1) for m in map(FATAL_LINES.search, log.splitlines()) if m]
    return [re.sub(r"(?:/usr/lib/postfix/sbin|pyfix)/smtpd", "SMTPD", re.sub(
        r"pid \d+", "pid PID", line)) for line in found]


def _first_failure(port: int, log: Callable[[], str]) -> list[str]:
    """Connect (the master starts smtpd, which stops at once); the log lines."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.settimeout(10)
        with contextlib.suppress(OSError):
            sock.recv(100)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "throttling" not in log():
        time.sleep(0.1)
    return _fatal_lines(log())


NO_RELAY_CHECK = ("fatal: in parameter smtpd_relay_restrictions or "
                  "smtpd_recipient_restrictions, specify at least one working instance of: "
                  "reject_unauth_destination, defer_unauth_destination, reject, defer, "
                  "defer_if_permit or check_relay_domains")


@pytest.mark.parametrize(("main_cf", "fatal"), [
    ("", NO_RELAY_CHECK),  # level 0, smtpd_recipient_restrictions empty: the seed without its list
    ("smtpd_recipient_restrictions = permit_mynetworks, reject_non_fqdn_recipient\n",
     NO_RELAY_CHECK),
    ("compatibility_level = 3.6\nsmtpd_relay_restrictions = permit_mynetworks\n",
     NO_RELAY_CHECK),
    ("compatibility_level = 3.6\nsmtpd_restriction_classes = nodef\n"
     "smtpd_recipient_restrictions = nodef, reject_unauth_destination\n",
     "fatal: restriction class `nodef' needs a definition"),
])
def test_no_relay_check_stops_smtpd(main_cf: str, fatal: str) -> None:
    """Neither list holds a relay check, or a restriction class has no
    definition: smtpd exits at start with Postfix's fatal, and the master
    throttles it."""
    diff = differential(main_cf, unset=LEVEL_DEFAULTS)
    try:
        postfix = diff.postfix.instance
        postfix.setup()
        postfix.master = subprocess.Popen(
            [str(MASTER), "-c", str(postfix.base / "conf"), "-d"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: _listening(postfix.port), 20), "Postfix did not listen"
        theirs = _first_failure(postfix.port,
                                lambda: (postfix.base / "maillog").read_text(errors="replace")
                                if (postfix.base / "maillog").exists() else "")
        diff.pyfix.start()
        ours = _first_failure(diff.pyfix.port, diff.pyfix.instance.maillog)
    finally:
        diff.stop()
    assert theirs == [
        fatal,
        "warning: process SMTPD pid PID exit status 1",
        "warning: SMTPD: bad command startup -- throttling"]
    # pyfix starts one smtpd process per CPU at once (DESIGN.md section 2),
    # and each stops the same way: the same lines, once per process.
    assert list(dict.fromkeys(ours)) == theirs


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
