"""error(8), retry and discard(8) against the behaviour recorded from real Postfix.

The golden results come from tests/delivery/pipe/golden/record.py: real
Postfix 3.7 with transport_maps entries such as "err1.test error:5.7.1
go away" (the next hop is the text after "error:").
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pyfix.config.load import load_config
from pyfix.delivery.discard import DiscardAgent
from pyfix.delivery.error import AgentConfigError, ErrorAgent, command_arguments, dsn_split
from pyfix.log.maillog import MailLog
from pyfix.queue.layout import BOUNCE, DEFER, INCOMING
from pyfix.queue.reader import QueueFile
from tests.delivery.pipe.harness import PipeHarness, golden_status, golden_warnings
from tests.instance import world_traversable_dir

# domain -> (service, next hop), as golden/record.py's ERROR_TRANSPORTS
CASES = {
    "err1.test": ("error", "5.7.1 go away"),
    "err2.test": ("error", "no such luck"),
    "err3.test": ("error", "4.1.1 odd class"),
    "retry1.test": ("retry", "4.7.1 try later"),
    "retry2.test": ("retry", "slow down"),
    "disc1.test": ("discard", "silently"),
    "disc2.test": ("discard", "2.6.0 gone"),
    "disc3.test": ("discard", "disc3.test"),  # "discard:" -> qmgr passes the domain
}


@pytest.fixture
def harness() -> Iterator[PipeHarness]:
    h = PipeHarness()
    yield h
    h.close()


@pytest.mark.parametrize("domain", sorted(CASES))
def test_outcome_matches_postfix(harness: PipeHarness, domain: str) -> None:
    service, nexthop = CASES[domain]
    rcpt = f"r@{domain}"
    queue_id = harness.submit([rcpt, f"second@{domain}"])
    config = harness.service(service)
    agent = DiscardAgent(config, harness.log) if service == "discard" else \
        ErrorAgent(config, harness.log)
    response = harness.deliver(agent, queue_id, service, nexthop, "none")
    assert harness.status_of(rcpt) == golden_status(rcpt)
    assert harness.relay_of(rcpt) == "none"
    statuses = {r.status for r in response.results}
    assert len(response.results) == 2 and len(statuses) == 1
    with QueueFile.open(harness.layout, INCOMING, queue_id) as queue_file:
        pending = [r.address for r in queue_file.read_envelope().pending()]
    if service == "retry":
        assert statuses == {"deferred"} and len(pending) == 2
        assert os.path.exists(harness.layout.path(DEFER, queue_id))
    else:
        assert pending == []
    if service == "error":
        assert statuses == {"bounced"}
        assert os.path.exists(harness.layout.path(BOUNCE, queue_id))
    if domain == "err3.test":
        warning = [w.split(": ", 1)[1] for w in golden_warnings() if "ignoring dsn" in w]
        assert harness.log_lines().count(warning[0]) == 2  # once per recipient


def test_dsn_split() -> None:
    assert dsn_split("5.0.0", "5.7.1 go away") == ("5.7.1", "go away")
    assert dsn_split("5.0.0", "  4.2.2\tfull ") == ("4.2.2", "full ")
    assert dsn_split("5.0.0", "5.7.1") == ("5.7.1", "")
    assert dsn_split("5.0.0", "5.7.1x text") == ("5.0.0", "5.7.1x text")
    assert dsn_split("4.0.0", "9.9.9 odd") == ("4.0.0", "9.9.9 odd")
    assert dsn_split("5.0.0", "5.1234.1 x") == ("5.0.0", "5.1234.1 x")


def _config(master: str, service: str) -> tuple[object, MailLog]:
    root = world_traversable_dir("pyfix-error-")
    (root / "main.cf").write_text(f"queue_directory = {root}/spool\n"
                                  f"maillog_file = {root}/maillog\n")
    (root / "master.cf").write_text(master)
    config = load_config(str(root)).for_service(service, "unix")
    return config, MailLog("postfix/error", maillog_file=str(root / "maillog"))


def test_bad_service_name_and_arguments() -> None:
    config, log = _config("other unix - - n - - error\n", "other")
    with pytest.raises(AgentConfigError, match=r"^bad error service name: other$"):
        ErrorAgent(config, log)  # type: ignore[arg-type]
    config, log = _config("error unix - - n - - error -o a=b -v extra\n", "error")
    assert command_arguments(config.scope) == ["extra"]  # type: ignore[attr-defined]
    with pytest.raises(AgentConfigError, match=r"^unexpected command-line argument: extra$"):
        ErrorAgent(config, log)  # type: ignore[arg-type]
    config, log = _config("discard unix - - n - - discard x\n", "discard")
    with pytest.raises(AgentConfigError, match=r"^unexpected command-line argument: x$"):
        DiscardAgent(config, log)  # type: ignore[arg-type]
