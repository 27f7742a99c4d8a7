"""reject_unverified_recipient and reject_unverified_sender, live: real
Postfix 3.7.11 and pyfix side by side (tests/smtpd/differential.py), each
with its own verify service, qmgr and smtp client, probing the same three
destinations: an smtp-sink that accepts, one that refuses every RCPT TO
(-f RCPT: "500 5.3.0 Error: command failed") and a port where nothing
listens.  The replies and the normalized smtpd and cleanup log lines
(the probes' message-id lines included) must be the same.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest

from tests.delivery.smtp.harness import Sink
from tests.instance import free_port, wait_for
from tests.smtpd.differential import Differential, skip_reason

REASON = skip_reason() or (None if shutil.which("smtp-sink") or
                           shutil.which("/usr/sbin/smtp-sink") else "smtp-sink is missing")

# The probe path: qmgr, verify and the delivery agents, on both sides
# (bounce, defer and trace are libraries in pyfix: no entry starts there).
MASTER_CF = """\
qmgr      unix  n - n 300 1 qmgr
verify    unix  - - n - 1 verify
smtp      unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
"""


def main_cf(accept: int, reject: int, down: int, extra: str = "") -> str:
    return (
        "relay_domains = accept.test reject.test down.test\n"
        f"transport_maps = inline:{{accept.test=smtp:[127.0.0.1]:{accept}, "
        f"reject.test=smtp:[127.0.0.1]:{reject}, down.test=smtp:[127.0.0.1]:{down}}}\n"
        "smtpd_relay_restrictions = reject_unauth_destination\n"
        "smtpd_recipient_restrictions = reject_unverified_recipient\n"
        "smtpd_sender_restrictions = reject_unverified_sender\n"
        "address_verify_poll_count = 3\n"
        "address_verify_poll_delay = 2s\n"  # room for a loaded machine
        "smtp_connect_timeout = 2s\n"
        # probes for any other domain (the warm-up's a@example.org) stay here
        "default_transport = error:no mail leaves the test\n" + extra)


@pytest.fixture(scope="module")
def sinks() -> Iterator[tuple[int, int, int]]:
    accept, reject = Sink(), Sink("-f", "RCPT")
    try:
        yield accept.port, reject.port, free_port()
    finally:
        accept.stop()
        reject.stop()


def differential(ports: tuple[int, int, int], extra: str = "") -> Differential:
    diff = Differential(main_cf(*ports, extra), MASTER_CF)
    # verify(8) opens its cache as mail_owner, in data_directory (which
    # Postfix's post-install makes mail_owner's)
    shutil.chown(diff.pyfix.instance.root / "data", "postfix")
    return diff


def dialogue(sender: str, *rcpts: str) -> list[bytes]:
    return [b"EHLO client.example\r\n", f"MAIL FROM:<{sender}>\r\n".encode(),
            *[f"RCPT TO:<{r}>\r\n".encode() for r in rcpts], b"QUIT\r\n"]


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_accept_reject_down_and_the_cache(sinks: tuple[int, int, int]) -> None:
    with differential(sinks) as diff:
        # first contact: a probe each (the poll finds the result)
        diff.check("first", dialogue("", "u@accept.test", "u@reject.test", "u@down.test"))
        # from the cache: positive, negative (bounced), negative (deferred)
        diff.check("cached", dialogue("", "u@reject.test", "u@accept.test", "u@down.test"))
        # sender verification: its defer_if_permit loses to a recipient reject
        diff.check("sender", dialogue("s@reject.test", "u@accept.test", "u@reject.test"))


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_undeliverable_with_a_5xx_reject_code_and_polling(sinks: tuple[int, int, int]) -> None:
    extra = ("unverified_recipient_reject_code = 550\n"
             "unverified_sender_reject_code = 550\n")
    with differential(sinks, extra) as diff:
        diff.check("5xx", dialogue("s@accept.test", "v@reject.test", "v@accept.test",
                                   "v@down.test"))
        diff.check("5xx sender", dialogue("s@reject.test", "v@accept.test"))


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_in_progress_and_expiry(sinks: tuple[int, int, int]) -> None:
    extra = ("address_verify_poll_count = 1\n"
             "address_verify_positive_expire_time = 12s\n"
             "address_verify_positive_refresh_time = 6s\n")
    with differential(sinks, extra) as diff:
        # the service answers "in progress" and then posts the probe: its
        # cleanup line and smtpd's reject line race, on both sides
        postfix, pyfix = diff.run("in progress", dialogue("", "w@accept.test"))
        assert postfix.replies == pyfix.replies
        assert b"unverified address: Address verification in progress" in pyfix.replies[3]
        assert sorted(postfix.log) == sorted(pyfix.log)
        probed = time.monotonic()
        # both probes done (each side's smtp client logged it)
        done = "to=<w@accept.test>, relay=127.0.0.1[127.0.0.1]"
        logs = (diff.pyfix.instance.root / "maillog", diff.postfix.instance.base / "maillog")
        assert wait_for(lambda: all(done in log.read_text() for log in logs), 20)
        assert time.monotonic() - probed < 5, "too slow for the refresh time"
        diff.check("known", dialogue("", "w@accept.test"))
        time.sleep(max(0.0, probed + 14 - time.monotonic()))
        postfix, pyfix = diff.run("expired", dialogue("", "w@accept.test"))
        assert postfix.replies == pyfix.replies
        assert b"unverified address: Address verification in progress" in pyfix.replies[3]
        assert sorted(postfix.log) == sorted(pyfix.log)


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_sender_at_mail_without_delay_reject(sinks: tuple[int, int, int]) -> None:
    extra = "smtpd_delay_reject = no\nunverified_recipient_tempfail_action = defer\n"
    with differential(sinks, extra) as diff:
        diff.check("mail stage", dialogue("s@down.test", "x@accept.test"))
        diff.check("mail ok", dialogue("s@accept.test", "x@down.test", "x@accept.test"))


@pytest.mark.skipif(REASON is not None, reason=str(REASON))
def test_probes_follow_address_verify_transport_maps(sinks: tuple[int, int, int]) -> None:
    accept, _reject, down = sinks
    # mail for route.test goes to the port where nothing listens; its probes
    # go where address_verify_transport_maps says: the sink that accepts
    extra = ("relay_domains = accept.test reject.test down.test route.test\n"
             f"address_verify_transport_maps = inline:{{route.test=smtp:[127.0.0.1]:{accept}}}"
             "\n")
    ports = (accept, _reject, down)
    text = main_cf(*ports, extra).replace("down.test=smtp", f"route.test=smtp:[127.0.0.1]:"
                                                           f"{down}, down.test=smtp", 1)
    diff = Differential(text, MASTER_CF)
    shutil.chown(diff.pyfix.instance.root / "data", "postfix")
    with diff:
        postfix, pyfix = diff.run("routed", dialogue("", "u@route.test", "u@down.test"))
        assert postfix.replies == pyfix.replies
        assert pyfix.replies[3] == b"250 2.1.5 Ok\r\n"
        # address_verify_transport_maps replaces transport_maps for probes:
        # down.test's probe goes to relay_transport, which master.cf lacks
        assert b"unverified address: mail transport unavailable" in pyfix.replies[4]
        assert postfix.log == pyfix.log
