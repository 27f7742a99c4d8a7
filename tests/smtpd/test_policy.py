"""check_policy_service without an SMTP session: the client of the policy
delegation protocol (pyfix.smtpd.policy_client) against a scripted policy
server (tests/policyserver.py), and the restriction (checks/policy.py)
through the smtpd stages.

The texts (warnings, replies, the request's attributes and their order)
are real Postfix 3.7.11's: tests/golden/policy/ holds what it said
(record.py there), and tests/smtpd/test_policy_live.py compares the two
side by side through real SMTP.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks import engine
from pyfix.smtpd.checks.engine import Request
from pyfix.smtpd.checks.policy import policy_attributes
from pyfix.smtpd.policy_client import (
    PolicyClient,
    PolicyConfigError,
    PolicyEndpoint,
    parse_endpoint,
)
from tests.policyserver import CLOSE, GARBAGE, HANG, PolicyServer
from tests.smtpd.test_checks import OUTSIDE, session

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "policy"
T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


@pytest.fixture
def server() -> Iterator[PolicyServer]:
    def script(attrs: dict[str, str]) -> str:
        word = attrs.get("recipient", "").partition("@")[0]
        return {"reject": "REJECT go away", "hang": HANG, "garbage": GARBAGE,
                "close": CLOSE, "num": "421 4.7.0 closing"}.get(word, "DUNNO")

    with PolicyServer(script) as srv:
        yield srv


# ---- check_policy_service's argument ------------------------------------

DEFAULTS = PolicyEndpoint("")


def test_plain_and_braced_arguments() -> None:
    assert parse_endpoint("inet:127.0.0.1:9998", DEFAULTS) == replace(
        DEFAULTS, server="inet:127.0.0.1:9998")
    ep = parse_endpoint("{ unix:private/policy, timeout=10s, max_idle=2m, max_ttl=1h, "
                        "request_limit=5, try_limit=3, retry_delay=2s, default_action=DUNNO, "
                        "policy_context=submission }", DEFAULTS)
    assert ep == PolicyEndpoint("unix:private/policy", timeout=10, max_idle=120, max_ttl=3600,
                                request_limit=5, try_limit=3, retry_delay=2,
                                default_action="DUNNO", policy_context="submission")
    assert ep.name == "private/policy" and ep.unix
    spaced = parse_endpoint("{ inet:127.0.0.1:9, { default_action = 450 4.7.0 try later } }",
                            DEFAULTS)
    assert spaced.default_action == "450 4.7.0 try later"


def golden_config_errors() -> list[tuple[str, str]]:
    lines = (GOLDEN / "config-errors.txt").read_text().splitlines()
    return [(arg, text) for arg, _, text in (line.partition("\t") for line in lines)]


@pytest.mark.parametrize(("arg", "text"), golden_config_errors())
def test_bad_arguments_in_postfix_words(arg: str, text: str) -> None:
    """Postfix's smtpd stops at start-up with this text; pyfix warns with it."""
    with pytest.raises(PolicyConfigError) as error:
        parse_endpoint(arg, DEFAULTS)
    assert str(error.value) == text


def test_unbalanced_braces() -> None:
    """Postfix: "policy service syntax error:  inet:127.0.0.1:9, reject_unauth_destination"
    for "check_policy_service { inet:127.0.0.1:9, reject_unauth_destination"."""
    with pytest.raises(PolicyConfigError) as error:
        parse_endpoint("{ inet:127.0.0.1:9, reject_unauth_destination", DEFAULTS)
    assert str(error.value) == ("policy service syntax error:  inet:127.0.0.1:9, "
                                "reject_unauth_destination")


# ---- the request ----------------------------------------------------------

def test_request_attributes_as_postfix_sends_them() -> None:
    facts = replace(OUTSIDE, protocol_state="RCPT", protocol_name="ESMTP", client_port="PORT",
                    server_addr="127.0.0.1", server_port="PORT", size=1234,
                    instance="INSTANCE")
    request = Request(engine.RECIPIENT, facts.client_name, facts.client_addr, facts.namaddr,
                      helo=facts.helo, sender=facts.sender, recipient="u@mail.example.test",
                      facts=facts)
    lines = [f"{k}={v}" for k, v in policy_attributes(request, "").items()]
    assert lines == (GOLDEN / "request.txt").read_text().splitlines()


def test_after_rcpt_the_single_recipient_and_the_count() -> None:
    facts = replace(OUTSIDE, protocol_state="DATA", recipient_count=1,
                    first_recipient="one@example.com")
    request = Request(engine.DATA, "h", "1.2.3.4", "h[1.2.3.4]", facts=facts)
    attrs = policy_attributes(request, "ctx")
    assert (attrs["recipient"], attrs["recipient_count"], attrs["policy_context"]) == (
        "one@example.com", "1", "ctx")
    facts.recipient_count = 2
    attrs = policy_attributes(request, "")
    assert (attrs["recipient"], attrs["recipient_count"]) == ("", "2")


# ---- the client: connections, attempts, warnings ----------------------------

def query_all(client: PolicyClient, count: int, pause: float = 0.0,
              recipient: str = "u@x") -> tuple[list[dict[str, str] | None], list[str]]:
    warnings: list[str] = []

    async def go() -> list[dict[str, str] | None]:
        answers = []
        for _ in range(count):
            answers.append(await client.query({"recipient": recipient}, warnings.append))
            await asyncio.sleep(pause)
        return answers

    return run(go), warnings


def test_connection_is_kept(server: PolicyServer) -> None:
    client = PolicyClient(PolicyEndpoint(server.spec))
    answers, warnings = query_all(client, 3)
    assert answers == [{"action": "DUNNO"}] * 3 and not warnings
    assert server.connections == 1 and len(server.requests) == 3


def test_request_limit(server: PolicyServer) -> None:
    client = PolicyClient(PolicyEndpoint(server.spec, request_limit=2))
    query_all(client, 5)
    assert server.connections == 3


def test_max_ttl(server: PolicyServer) -> None:
    client = PolicyClient(PolicyEndpoint(server.spec, max_ttl=1))
    query_all(client, 2, pause=1.1)
    assert server.connections == 2


def test_max_idle_closes_an_idle_connection(server: PolicyServer) -> None:
    client = PolicyClient(PolicyEndpoint(server.spec, max_idle=1))
    query_all(client, 1, pause=1.5)
    deadline = time.monotonic() + 2
    while server.closed < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (server.connections, server.closed) == (1, 1)


def test_max_idle_does_not_close_a_busy_connection(server: PolicyServer) -> None:
    client = PolicyClient(PolicyEndpoint(server.spec, max_idle=1))
    query_all(client, 4, pause=0.6)
    assert (server.connections, server.closed) == (1, 0)


def test_server_that_closes_each_connection() -> None:
    """A kept connection that the server closed makes that attempt fail
    quietly; the next attempt connects again.  With try_limit=1 the
    request fails, as in Postfix ("Application error")."""
    with PolicyServer("OK", close_after=True) as srv:
        answers, warnings = query_all(PolicyClient(PolicyEndpoint(srv.spec)), 2, pause=0.2)
        assert answers == [{"action": "OK"}] * 2 and not warnings
        assert srv.connections == 2
        client = PolicyClient(PolicyEndpoint(srv.spec, try_limit=1))
        answers, warnings = query_all(client, 2, pause=0.2)
    assert answers == [{"action": "OK"}, None]
    assert warnings == [f"problem talking to server {srv.spec[5:]}: Application error"]


@pytest.mark.parametrize(("recipient", "expected"), [
    ("close", ["problem talking to server NAME: Application error"]),
    ("garbage", ["missing attribute action in input from NAME"] * 2
     + ["problem talking to server NAME: Application error"]),
    ("hang", ["problem talking to server NAME: Connection timed out"] * 2),
])
def test_failed_attempts(server: PolicyServer, recipient: str, expected: list[str]) -> None:
    """try_limit=2 attempts, retry_delay apart, with Postfix's warnings."""
    client = PolicyClient(PolicyEndpoint(server.spec, timeout=1, retry_delay=1))
    started = time.monotonic()
    answers, warnings = query_all(client, 1, recipient=f"{recipient}@x")
    assert answers == [None]
    assert warnings == [w.replace("NAME", server.spec[5:]) for w in expected]
    assert time.monotonic() - started >= 1  # the retry delay
    assert len(server.requests) == 2


def test_cancelled_request_closes_its_connection(server: PolicyServer) -> None:
    """A session that goes away while its request waits leaves no connection."""
    client = PolicyClient(PolicyEndpoint(server.spec, timeout=30))

    async def go() -> None:
        task = asyncio.create_task(client.query({"recipient": "hang@x"}, lambda _t: None))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(40):  # the loop still runs: nothing else would close it
            if server.closed:
                break
            await asyncio.sleep(0.05)
        assert server.closed == 1  # before the loop ends

    run(go)
    assert (server.connections, client.idle) == (1, [])


def test_refused_and_missing_socket(tmp_path: Path) -> None:
    with PolicyServer() as srv:
        name = srv.spec[5:]
    answers, warnings = query_all(PolicyClient(PolicyEndpoint(f"inet:{name}", retry_delay=1)), 1)
    assert answers == [None]
    assert warnings == [f"connect to {name}: Connection refused",
                        f"problem talking to server {name}: Connection refused"] * 2
    client = PolicyClient(PolicyEndpoint("unix:private/policy", retry_delay=1), str(tmp_path))
    answers, warnings = query_all(client, 1)
    path = tmp_path / "private" / "policy"
    assert warnings == ["connect to private/policy: No such file or directory"] * 2 + [
        "problem talking to server private/policy: No such file or directory"]
    path.parent.mkdir()
    with PolicyServer("OK", unix=path) as srv:
        answers, warnings = query_all(client, 1)
    assert answers == [{"action": "OK"}] and not warnings
    assert srv.requests == [{"recipient": "u@x"}]


# ---- the restriction at the smtpd stages ----------------------------------

def test_actions_in_the_recipient_stage(server: PolicyServer) -> None:
    checks, log = session(f"smtpd_recipient_restrictions = check_policy_service {server.spec}, "
                          "reject\n")
    assert checks.recipient(OUTSIDE, "reject@example.com").reply == Reply(
        554, "5.7.1", "<reject@example.com>: Recipient address rejected: go away")
    assert checks.recipient(OUTSIDE, "num@example.com").reply == Reply(
        421, "4.7.0", "<num@example.com>: Recipient address rejected: closing")
    assert checks.recipient(OUTSIDE, "dunno@example.com").reply == Reply(
        554, "5.7.1", "<dunno@example.com>: Recipient address rejected: Access denied")
    assert [r["protocol_state"] for r in server.requests] == ["RCPT"] * 3
    assert not log.lines


def test_client_stage_wording_and_delay_reject(server: PolicyServer) -> None:
    checks, _ = session(f"smtpd_client_restrictions = check_policy_service {server.spec}\n"
                        "smtpd_recipient_restrictions = reject_unauth_destination\n")
    reply = checks.recipient(OUTSIDE, "reject@mail.example.test").reply
    assert reply == Reply(554, "5.7.1", "<localhost[127.0.0.1]>: Client host rejected: go away")
    assert server.requests[0]["recipient"] == "reject@mail.example.test"


def test_default_action_when_the_server_is_down() -> None:
    with PolicyServer() as srv:
        spec = srv.spec
    checks, log = session(
        f"smtpd_recipient_restrictions = check_policy_service {{ {spec}, try_limit=1 }}, "
        f"check_policy_service {{ {spec}, try_limit=1, default_action=DUNNO }}, "
        "reject_unauth_destination\n")
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply == Reply(
        451, "4.3.5", "<u@mail.example.test>: Recipient address rejected: "
                      "Server configuration problem")
    assert f"warning: problem talking to server {spec[5:]}: Connection refused" in log.lines


def test_default_action_dunno_goes_on() -> None:
    with PolicyServer() as srv:
        spec = srv.spec
    checks, log = session(
        f"smtpd_recipient_restrictions = check_policy_service {{ {spec}, try_limit=1, "
        "default_action=DUNNO }, reject_unauth_destination\n")
    assert checks.recipient(OUTSIDE, "u@example.com").reply == Reply(
        554, "5.7.1", "<u@example.com>: Relay access denied")
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply is None
    assert log.lines.count(f"warning: connect to {spec[5:]}: Connection refused") == 2


def test_bad_argument_fails_closed() -> None:
    checks, log = session("smtpd_recipient_restrictions = check_policy_service "
                          "{ inet:127.0.0.1:9, bogus=1 }, permit\n"
                          "smtpd_relay_restrictions = reject_unauth_destination\n")
    assert checks.recipient(OUTSIDE, "u@mail.example.test").reply == Reply(
        451, "4.3.5", "Server configuration error")
    assert log.lines == ['warning: unknown option: "bogus = 1"']


def test_policy_server_in_the_process_is_shared(server: PolicyServer) -> None:
    checks, _ = session(f"smtpd_recipient_restrictions = check_policy_service {server.spec}, "
                        "reject_unauth_destination\n")
    settings = checks.session.ctx.settings
    checks.recipient(OUTSIDE, "u@mail.example.test")
    checks.recipient(OUTSIDE, "v@mail.example.test")
    assert list(settings.policy_clients) == [server.spec]


def test_main_cf_settings_apply(server: PolicyServer) -> None:
    checks, _ = session(f"smtpd_recipient_restrictions = check_policy_service {server.spec}, "
                        "reject_unauth_destination\n"
                        "smtpd_policy_service_request_limit = 1\n"
                        "smtpd_policy_service_policy_context = from-main-cf\n")

    async def two() -> None:  # one event loop: connections could be kept
        for rcpt in ("u@mail.example.test", "v@mail.example.test"):
            await checks.session.recipient(OUTSIDE, rcpt)

    run(two)
    assert server.connections == 2
    assert [r["policy_context"] for r in server.requests] == ["from-main-cf"] * 2


def test_spawn_attributes() -> None:
    from pyfix.delivery.pipe_attr import PipeConfigError
    from pyfix.spawn.service import parse_spawn_attr

    attr = parse_spawn_attr(["user=nobody", "argv=/usr/bin/policyd-spf", "/etc/x.conf"],
                            "postfix", "postdrop")
    assert attr.command == ("/usr/bin/policyd-spf", "/etc/x.conf")
    for args, text in (
            (["flags=R", "user=nobody", "argv=/bin/true"], "unknown attribute name: flags=R"),
            (["argv=/bin/true"], "missing user= command-line attribute"),
            (["user=nobody"], "missing argv= command-line attribute"),
            (["user=root", "argv=/bin/true"],
             "user= command-line attribute specifies root privileges")):
        with pytest.raises(PipeConfigError) as error:
            parse_spawn_attr(args, "postfix", "postdrop")
        assert str(error.value) == text
