"""Live differential test: FILTER and REDIRECT requests in qmgr, pyfix
next to real Postfix 3.7.

Both systems get the same main.cf and the same header_checks; each sends
to its own pair of smtp-sink servers on loopback ("filter": the FILTER
destination, "relay": $relayhost).  One message per case goes in over
SMTP; what each sink received (envelope sender, recipients with ORCPT)
and the qmgr, smtp and error log lines of the message (times, PIDs,
queue IDs, ports and sizes masked) must be the same.

Postfix 3.7 behaviour shown by these cases (recorded live, see
postfix_live.py for how the Postfix instance is started):
- FILTER smtp:[127.0.0.1]:PORT: every recipient goes to the filter;
- REDIRECT red@example.net with three recipients: one delivery,
  "to=<red@example.net>, orig_to=<a@example.net>" (the first recipient),
  ORCPT=rfc822;a@example.net; the others are dropped without a log line;
- FILTER and REDIRECT on one message: the redirect wins;
- "FILTER retry:" (no next hop, empty $default_filter_nexthop): the next
  hop is each recipient's domain, so the error(8) agent defers with the
  domain as its reason;
- FILTER nosuch:...: qmgr warns "connect to transport private/nosuch: No
  such file or directory" and error(8) (the retry transport) defers the
  recipients with dsn=4.3.0 "mail transport unavailable"; the file stays
  in the deferred queue;
- FILTER relay:... with defer_transports = relay: error(8) defers the
  recipient with dsn=4.3.2 "deferred transport".
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import cast

import pytest

from pyfix.queue.trigger import mail_trigger
from tests.delivery.smtp.harness import SMTP_SINK
from tests.instance import Instance, instances, wait_for, world_traversable_dir
from tests.qmgr.postfix_live import PostfixInstance, normalize, skip_reason
from tests.seed.topology import Internet, smtp_send

_REASON = skip_reason() or (None if shutil.which(SMTP_SINK) else "smtp-sink is not installed")
pytestmark = pytest.mark.skipif(_REASON is not None, reason=str(_REASON))

SENDER = "s@example.org"
MAIN_CF = """\
myhostname = mail.example.com
mydomain = example.com
mydestination =
mynetworks = 127.0.0.0/8
minimal_backoff_time = 300s
maximal_backoff_time = 600s
queue_run_delay = 300s
relayhost = [127.0.0.1]:{relay}
header_checks = regexp:{checks}
defer_transports = relay
"""
HEADER_CHECKS = """\
/^Subject: filter-me/ FILTER smtp:[127.0.0.1]:{filter}
/^Subject: redirect-me/ REDIRECT red@example.net
/^Subject: both/ FILTER smtp:[127.0.0.1]:{filter}
/^X-Redirect: yes/ REDIRECT red@example.net
/^Subject: filter-nohop/ FILTER retry:
/^Subject: filter-unknown/ FILTER nosuch:[127.0.0.1]:{filter}
/^Subject: filter-deferred/ FILTER relay:[127.0.0.1]:{filter}
"""
# (subject, extra header, recipients, what ends the message's log)
CASES = [
    ("filter-me", "", ["a@example.net", "b@example.net"], "removed"),
    ("redirect-me", "", ["a@example.net", "b@example.net", "c@example.org"], "removed"),
    ("both", "X-Redirect: yes\r\n", ["a@example.net", "b@example.net"], "removed"),
    ("filter-nohop", "", ["a@example.net", "b@example.org"], "status=deferred"),
    ("filter-unknown", "", ["a@example.net"], "status=deferred"),
    ("filter-deferred", "", ["a@example.net"], "status=deferred"),
]


class Side:
    """One mail system with its two sinks."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.filter = Internet(base / "filter", "127.0.0.1")
        self.relay = Internet(base / "relay", "127.0.0.1")
        checks = base / "header_checks"
        checks.write_text(HEADER_CHECKS.format(filter=self.filter.port))
        self.main_cf = MAIN_CF.format(relay=self.relay.port, checks=checks)
        self.system: Instance | None = None
        self.queue_ids: dict[str, str] = {}

    def send_all(self) -> None:
        assert self.system is not None
        for subject, extra, rcpts, _ in CASES:
            message = f"Subject: {subject}\r\n{extra}\r\nbody\r\n".encode()
            self.queue_ids[subject] = smtp_send(self.system, SENDER, rcpts, message)
        for subject, _, rcpts, end in CASES:
            queue_id = self.queue_ids[subject]
            count = len(rcpts) if subject == "filter-nohop" else 1
            self.wait_lines(queue_id, end, count)

    def wait_lines(self, queue_id: str, text: str, count: int) -> None:
        pattern = re.compile(rf" {queue_id}: .*{re.escape(text)}")
        assert wait_for(lambda: len(pattern.findall(self.log())) >= count, 30), self.log()

    def log(self) -> str:
        assert self.system is not None
        return self.system.maillog()

    def lines(self, subject: str) -> list[str]:
        assert self.system is not None
        queue_id = self.queue_ids[subject]
        log = "\n".join(line for line in self.system.maillog().splitlines()
                        if f" {queue_id}: " in line or (subject == "filter-unknown"
                                                        and "warning: connect to transport" in line))
        lines = normalize(log)
        # Deliveries of one message run in parallel: compare them as a set.
        return lines[:1] + sorted(lines[1:])

    def received(self) -> list[tuple[str, str, list[str]]]:
        out = []
        for name, sink in (("filter", self.filter), ("relay", self.relay)):
            for dumped in sink.transactions():
                subject = str(dumped.message.get("Subject", ""))
                rcpts = [str(v) for v in dumped.message.get_all("X-Rcpt-Args", [])]
                out.append((name, f"{subject} from=<{dumped.sender}>", rcpts))
        return sorted(out)

    def deferred(self) -> set[str]:
        assert self.system is not None
        return {path.name for path in self.system.queue_files("deferred")}

    def close(self) -> None:
        self.filter.stop()
        self.relay.stop()


@pytest.fixture(scope="module")
def sides() -> Iterator[tuple[Side, Side]]:
    base = world_traversable_dir("pyfix-reroute-")
    real = Side(base / "postfix")
    mine = Side(base / "pyfix")
    make = cast(Generator[Callable[..., Instance], None, None], instances("pyfix-reroute-"))
    try:
        postfix = PostfixInstance(base / "postfix" / "mta",
                                  "compatibility_level = 3.7\nalias_maps =\n"
                                  "local_recipient_maps =\n" + real.main_cf)
        real.system = postfix
        postfix.start()
        mine.system = next(make)(mine.main_cf)
        real.send_all()
        mine.send_all()
        yield real, mine
    finally:
        if real.system is not None:
            real.system.stop()
        make.close()
        real.close()
        mine.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("subject", [case[0] for case in CASES])
def test_log_lines_match_postfix(sides: tuple[Side, Side], subject: str) -> None:
    real, mine = sides
    expected = real.lines(subject)
    assert len(expected) >= 2, expected
    assert mine.lines(subject) == expected


def test_sinks_received_the_same(sides: tuple[Side, Side]) -> None:
    real, mine = sides
    expected = real.received()
    assert [entry[0] for entry in expected] == ["filter", "relay", "relay"]
    assert mine.received() == expected


def test_postfix_queue_file_filter_record_is_honoured(sides: tuple[Side, Side]) -> None:
    """A queue file that real Postfix wrote ("FILTER retry:", deferred
    there) and pyfix's qmgr then reads goes to the filter as well."""
    real, mine = sides
    assert real.system is not None and mine.system is not None
    queue_id = real.queue_ids["filter-nohop"]
    source = next(path for path in real.system.queue_files("deferred")
                  if path.name == queue_id)
    incoming = mine.system.spool / "incoming"
    target = incoming / queue_id
    shutil.copy2(source, target)
    stat = incoming.stat()
    os.chown(target, stat.st_uid, stat.st_gid)
    assert mail_trigger(str(mine.system.spool), "public", "qmgr", b"I") is None
    mine.wait_lines(queue_id, "status=deferred", 2)
    lines = normalize("\n".join(line for line in mine.log().splitlines()
                                 if f" {queue_id}: " in line))
    assert sorted(lines[1:]) == real.lines("filter-nohop")[1:]


def test_unknown_filter_transport_keeps_the_mail(sides: tuple[Side, Side]) -> None:
    for side in sides:
        assert side.queue_ids["filter-unknown"] in side.deferred()
        assert side.queue_ids["filter-nohop"] in side.deferred()


def test_filter_transport_in_defer_transports_is_deferred(sides: tuple[Side, Side]) -> None:
    real, _ = sides
    assert real.lines("filter-deferred")[1:] == [
        "error: QUEUEID: to=<a@example.net>, relay=none, delay=D, delays=D, dsn=4.3.2, "
        "status=deferred (deferred transport)"]
