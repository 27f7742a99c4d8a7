"""reject_unverified_recipient and reject_unverified_sender against a real
verify service (pyfix.verify.service's VerifyServer on its UNIX socket),
with the cache in each state.

The replies are the ones real Postfix 3.7.11 gave for the same states
(tests/golden/verify/README.md records the dialogues and the commands):
a bounced probe with the default unverified_recipient_reject_code (450)
is "unverified address" held back as defer_if_permit, with 550 it is
"undeliverable address"; a later reject wins over a held-back defer.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.log.maillog import open_maillog
from pyfix.queue.layout import ALL_QUEUES, QueueLayout
from pyfix.queue.queue_id import queue_id_ok
from pyfix.queue.reader import QueueFile
from pyfix.queue.records import ATTR_TRACE_FLAGS
from pyfix.rewrite.service import TrivialRewrite
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.smtpd import Facts, SmtpdChecks
from pyfix.smtpd.relay import RelayPolicy
from pyfix.verify.cache import IN_PROGRESS, CacheEntry
from pyfix.verify.protocol import (
    DEL_RCPT_STAT_BOUNCE,
    DEL_RCPT_STAT_DEFER,
    DEL_RCPT_STAT_OK,
    DEL_RCPT_STAT_TODO,
)
from pyfix.verify.service import ProbeSender, VerifyServer
from tests.instance import wait_for
from tests.smtpd.rcpt import SyncChecks

REFUSED = "connect to 127.0.0.1[127.0.0.1]:26003: Connection refused"
SAID = ("host 127.0.0.1[127.0.0.1] said: 500 5.3.0 Error: command failed "
        "(in reply to RCPT TO command)")


class World:
    """A queue directory with a running verify service and its cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spool = root / "spool"
        for name in (*ALL_QUEUES, "private", "public"):
            (self.spool / name).mkdir(parents=True, exist_ok=True)
        self.base = (f"queue_directory = {self.spool}\nmaillog_file = {root}/maillog\n"
                     f"address_verify_map = btree:{root}/verify_cache\n"
                     "myhostname = mail.example.test\nmydomain = example.test\n"
                     "mydestination = $myhostname\nrelay_domains = example.net\n"
                     "address_verify_poll_delay = 1s\n")
        cfg = self.config("")
        log = open_maillog(cfg, "verify")
        self.server = VerifyServer(cfg, log, ProbeSender(cfg, log))
        self.server.open()
        assert self.server.cache is not None
        self.cache = self.server.cache
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(10)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        path = str(self.spool / "private" / "verify")
        server = self.loop.run_until_complete(asyncio.start_unix_server(self.server.client,
                                                                        path=path))
        started.set()
        self.loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def config(self, text: str) -> Config:
        return Config(parse_main_cf("main.cf", self.base + text, lambda _t: None), {})

    def put(self, address: str, status: int, text: str, age: int = 10) -> None:
        now = int(time.time())
        if status == DEL_RCPT_STAT_TODO:
            entry = CacheEntry(status, now - age, 0, IN_PROGRESS)
        else:
            entry = CacheEntry(status, 0, now - age, text)
        self.cache.table.update(address, entry.value())

    def session(self, main_cf: str, log: list[str] | None = None) -> SyncChecks:
        cfg = self.config("smtpd_error_sleep_time = 0\n" + main_cf)
        checks = SmtpdChecks(cfg, RelayPolicy(cfg, TrivialRewrite.for_client(cfg)))
        lines = log if log is not None else []
        return SyncChecks(checks.session(lines.append, lambda t: lines.append(f"warning: {t}")))

    def rcpt(self, main_cf: str, rcpt: str, sender: str = "s@example.org",
             log: list[str] | None = None) -> Reply | None:
        return self.session(main_cf, log).recipient(facts(sender), rcpt).reply

    def _queued(self) -> list[Path]:
        """The complete queue files in incoming (mode 0700; not those
        being written)."""
        return sorted(p for p in (self.spool / "incoming").rglob("*")
                      if p.is_file() and queue_id_ok(p.name) and p.stat().st_mode & 0o100)

    def probes(self, count: int = 0) -> list[tuple[str, list[str], str]]:
        """(sender, recipients, trace_flags) of the probes in incoming, once
        there are count of them (the service sends a probe after its reply)."""
        wait_for(lambda: len(self._queued()) >= count, 5)
        layout = QueueLayout.from_config(self.config(""))
        out = []
        for path in self._queued():
            if path.is_file():
                qf = QueueFile.open(layout, "incoming", path.name)
                try:
                    msg = qf.read_envelope()
                finally:
                    qf.close()
                out.append((msg.sender or "", [r.address for r in msg.pending()],
                            msg.attributes.get(ATTR_TRACE_FLAGS, "")))
        return out


def facts(sender: str) -> Facts:
    return Facts("unknown", "127.0.0.1", "unknown[127.0.0.1]", "client.example", sender)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    try:
        yield w
    finally:
        w.stop()


RCPT_LIST = ("smtpd_relay_restrictions = reject_unauth_destination\n"
             "smtpd_recipient_restrictions = reject_unverified_recipient\n")


def reply(text: str) -> Reply:
    code, enhanced, rest = text.split(" ", 2)
    return Reply(int(code), enhanced, rest)


@pytest.mark.parametrize("status, text, main_cf, expected", [
    (DEL_RCPT_STAT_OK, "250 2.1.5 Ok", "", None),
    (DEL_RCPT_STAT_BOUNCE, SAID, "",
     f"450 4.1.1 <u@example.net>: Recipient address rejected: unverified address: {SAID}"),
    (DEL_RCPT_STAT_BOUNCE, SAID, "unverified_recipient_reject_code = 550\n",
     f"550 5.1.1 <u@example.net>: Recipient address rejected: undeliverable address: {SAID}"),
    (DEL_RCPT_STAT_DEFER, REFUSED, "",
     f"450 4.1.1 <u@example.net>: Recipient address rejected: unverified address: {REFUSED}"),
    (DEL_RCPT_STAT_DEFER, REFUSED, "unverified_recipient_defer_code = 451\n",
     f"451 4.1.1 <u@example.net>: Recipient address rejected: unverified address: {REFUSED}"),
    (DEL_RCPT_STAT_TODO, "", "address_verify_poll_count = 1\n",
     "450 4.1.1 <u@example.net>: Recipient address rejected: unverified address: "
     "Address verification in progress"),
    # 250 accepts the address anyway, as the manual says
    (DEL_RCPT_STAT_DEFER, REFUSED, "unverified_recipient_defer_code = 250\n", None),
    (DEL_RCPT_STAT_BOUNCE, SAID, "unverified_recipient_reject_code = 250\n", None),
    (DEL_RCPT_STAT_BOUNCE, SAID, "unverified_recipient_reject_code = 550\n"
     "unverified_recipient_reject_reason = Recipient address lookup failed\n",
     "550 5.1.1 <u@example.net>: Recipient address rejected: Recipient address lookup failed"),
])
def test_recipient_states(world: World, status: int, text: str, main_cf: str,
                          expected: str | None) -> None:
    world.put("u@example.net", status, text)
    got = world.rcpt(RCPT_LIST + main_cf, "u@example.net")
    assert got == (reply(expected) if expected else None)
    assert world.probes() == []  # a fresh entry (or a pending probe): no new probe


def test_defer_if_permit_loses_to_a_later_reject(world: World) -> None:
    world.put("u@example.net", DEL_RCPT_STAT_DEFER, REFUSED)
    main_cf = ("smtpd_relay_restrictions = reject_unauth_destination\n"
               "smtpd_recipient_restrictions = reject_unverified_recipient, reject\n")
    assert world.rcpt(main_cf, "u@example.net") == reply(
        "554 5.7.1 <u@example.net>: Recipient address rejected: Access denied")
    deferred = world.rcpt(main_cf + "unverified_recipient_tempfail_action = defer\n",
                          "u@example.net")
    assert deferred == reply(f"450 4.1.1 <u@example.net>: Recipient address rejected: "
                             f"unverified address: {REFUSED}")


def test_sender_and_recipient(world: World) -> None:
    world.put("s@reject.example", DEL_RCPT_STAT_BOUNCE, SAID)
    world.put("u@example.net", DEL_RCPT_STAT_BOUNCE, SAID)
    world.put("ok@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok")
    main_cf = RCPT_LIST + "smtpd_sender_restrictions = reject_unverified_sender\n"
    # the sender's 450 waits (defer_if_permit); the recipient's 550 rejects first
    assert world.rcpt(main_cf + "unverified_recipient_reject_code = 550\n", "u@example.net",
                      "s@reject.example") == reply(
        f"550 5.1.1 <u@example.net>: Recipient address rejected: undeliverable address: {SAID}")
    # a good recipient: the sender's held-back 450 is the reply
    assert world.rcpt(main_cf, "ok@example.net", "s@reject.example") == reply(
        f"450 4.1.7 <s@reject.example>: Sender address rejected: unverified address: {SAID}")
    assert world.rcpt(main_cf + "unverified_sender_reject_code = 550\n", "ok@example.net",
                      "s@reject.example") == reply(
        f"550 5.1.7 <s@reject.example>: Sender address rejected: undeliverable address: {SAID}")
    # the null sender is not verified
    assert world.rcpt(main_cf, "ok@example.net", "") is None


def test_unknown_address_sends_one_probe(world: World) -> None:
    got = world.rcpt(RCPT_LIST + "address_verify_poll_count = 1\n", "new@example.net")
    assert got == reply("450 4.1.1 <new@example.net>: Recipient address rejected: "
                        "unverified address: Address verification in progress")
    # the probe: from $double_bounce_sender (qualified by cleanup), trace_flags=256
    assert world.probes(1) == [("double-bounce@mail.example.test", ["new@example.net"],
                                "256")]
    world.rcpt(RCPT_LIST + "address_verify_poll_count = 1\n", "new@example.net")
    time.sleep(0.3)
    assert len(world.probes(1)) == 1  # in progress: not sent again
    entry = world.cache.get("new@example.net")
    assert entry is not None and entry.status == DEL_RCPT_STAT_TODO and entry.probed > 0


def test_expired_entry_is_probed_again(world: World) -> None:
    world.put("old@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok", age=40 * 86400)
    got = world.rcpt(RCPT_LIST + "address_verify_poll_count = 1\n", "old@example.net")
    assert got == reply("450 4.1.1 <old@example.net>: Recipient address rejected: "
                        "unverified address: Address verification in progress")
    assert [p[1] for p in world.probes(1)] == [["old@example.net"]]


def test_stale_positive_entry_is_refreshed_but_still_accepted(world: World) -> None:
    world.put("u@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok", age=8 * 86400)
    assert world.rcpt(RCPT_LIST, "u@example.net") is None
    assert [p[1] for p in world.probes(1)] == [["u@example.net"]]


def test_smtpd_polls_while_the_probe_is_in_progress(world: World) -> None:
    world.put("u@example.net", DEL_RCPT_STAT_TODO, "")

    def deliver() -> None:
        time.sleep(0.5)
        world.cache.update("u@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok", int(time.time()))

    threading.Thread(target=deliver).start()
    start = time.monotonic()
    assert world.rcpt(RCPT_LIST + "address_verify_poll_count = 3\n", "u@example.net") is None
    assert 0.9 < time.monotonic() - start < 3  # one poll_delay (1s) later


def test_service_failure(world: World) -> None:
    log: list[str] = []
    got = world.rcpt(RCPT_LIST + "address_verify_service_name = nosuch\n", "u@example.net",
                     log=log)
    assert got == reply("450 4.1.1 <u@example.net>: Recipient address rejected: "
                        "address verification problem")
    assert log == ["warning: nosuch service failure"]


def test_bad_tempfail_action_is_a_configuration_error(world: World) -> None:
    world.put("u@example.net", DEL_RCPT_STAT_DEFER, REFUSED)
    log: list[str] = []
    got = world.rcpt(RCPT_LIST + "unverified_recipient_tempfail_action = bogus\n",
                     "u@example.net", log=log)
    assert got == Reply(451, "4.3.5", "Server configuration error")
    assert log == ['warning: unknown unverified_recipient_tempfail_action value: "bogus"']


def test_sender_defer_waits_for_each_rcpt_without_delay_reject(world: World) -> None:
    """As real Postfix (tests/verify/test_verify_live.py, "mail stage"):
    MAIL gets 250, every RCPT the sender's held-back 450."""
    world.put("s@down.example", DEL_RCPT_STAT_DEFER, REFUSED)
    world.put("s@good.example", DEL_RCPT_STAT_OK, "250 2.1.5 Ok")
    world.put("ok@example.net", DEL_RCPT_STAT_OK, "250 2.1.5 Ok")
    session = world.session(RCPT_LIST + "smtpd_delay_reject = no\n"
                            "smtpd_sender_restrictions = reject_unverified_sender\n")
    assert session.mail(facts("s@down.example")).reply is None
    want = reply(f"450 4.1.7 <s@down.example>: Sender address rejected: unverified address: "
                 f"{REFUSED}")
    assert session.recipient(facts("s@down.example"), "ok@example.net").reply == want
    assert session.recipient(facts("s@down.example"), "ok@example.net").reply == want
    # the next transaction's MAIL replaces it
    assert session.mail(facts("s@good.example")).reply is None
    assert session.recipient(facts("s@good.example"), "ok@example.net").reply is None


def test_a_probe_that_cannot_be_queued_is_retried(world: World) -> None:
    shutil.rmtree(world.spool / "incoming")
    main_cf = RCPT_LIST + "address_verify_poll_count = 1\n"
    assert world.rcpt(main_cf, "new@example.net") == reply(
        "450 4.1.1 <new@example.net>: Recipient address rejected: unverified address: "
        "Address verification in progress")
    assert wait_for(lambda: "probe for new@example.net: cannot create queue file"
                    in (world.root / "maillog").read_text(), 5)
    assert wait_for(lambda: (entry := world.cache.get("new@example.net")) is not None
                    and entry.probed == 0, 5)
    (world.spool / "incoming").mkdir()
    world.rcpt(main_cf, "new@example.net")
    assert [p[1] for p in world.probes(1)] == [["new@example.net"]]
