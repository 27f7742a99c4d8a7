"""smtpd_milters without a Milter client: pyfix's smtpd answers and logs as
Postfix's does when no milter can be reached (tests/golden/support/
milters.json, recorded by tests/golden/support/milters.py from Postfix
3.7.11), and refuses to start where it cannot do the same."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.instance import REPO, Instance
from tests.oracle import MASTER
from tests.smtpd.differential import pyfix_main_cf

GOLDEN = REPO / "tests" / "golden" / "support"
sys.path.insert(0, str(GOLDEN))
from milters import DIALOGUE, MILTER, converse  # noqa: E402

RECORDED = json.loads((GOLDEN / "milters.json").read_text())
LOG_LINE = re.compile(r"^\S+ \S+ \S+ \S+ postfix/smtpd\[\d+\]: (.*)$")
QUEUE_ID = re.compile(r"^[0-9A-F]{6,}: ")


def _session_log(inst: Instance) -> list[str]:
    lines = [m.group(1) for m in map(LOG_LINE.match, inst.maillog().splitlines()) if m]
    start = max(i for i, line in enumerate(lines) if line.startswith("connect from "))
    return [QUEUE_ID.sub("QUEUEID: ", line) for line in lines[start:]
            if "is not supported by pyfix yet" not in line]


@pytest.mark.parametrize("action", ["tempfail", "accept"])
def test_same_as_postfix_with_unreachable_milter(pyfix_instance: Callable[..., Instance],
                                                 action: str) -> None:
    inst = pyfix_instance(pyfix_main_cf() + f"smtpd_milters = {MILTER}\n"
                          f"milter_default_action = {action}\n")
    inst.expect_unsupported = True
    assert len(DIALOGUE) == 5
    inst.wait_log(" disconnect from ")  # the start-up probe's session
    replies = converse(inst.port)
    assert replies == RECORDED[action]["replies"]
    inst.wait_log(" disconnect from ", count=2)
    expected = [QUEUE_ID.sub("QUEUEID: ", line) for line in RECORDED[action]["log"]]
    assert _session_log(inst) == expected
    # and said at start that it does not run the milter
    assert re.search(rf"postfix/smtpd\[\d+\]: warning: 127.0.0.1:{inst.port}/inet: parameter "
                     rf"smtpd_milters = {MILTER} is not supported by pyfix yet\n",
                     inst.maillog())


@pytest.mark.parametrize("action", ["reject", "quarantine"])
def test_refuses_to_start_where_it_cannot_do_the_same(
        pyfix_instance: Callable[..., Instance], action: str) -> None:
    inst = pyfix_instance(pyfix_main_cf() + f"smtpd_milters = {MILTER}\n"
                          f"milter_default_action = {action}\n")
    inst.expect_unsupported = True
    label = f"127.0.0.1:{inst.port}/inet"
    inst.wait_log(f"fatal: {label}: parameter smtpd_milters = {MILTER} is not supported by "
                  f"pyfix yet, and {label} will not run without it: mail would pass without "
                  f"the milter's checks (milter_default_action = {action})")
    inst.wait_log("warning: pyfix/smtpd: bad command startup -- throttling")
    assert inst.queue_files("incoming") == []


@pytest.mark.skipif(not MASTER.exists(), reason=f"real Postfix is not installed ({MASTER})")
@pytest.mark.skipif(sys.platform != "linux" or __import__("os").geteuid() != 0,
                    reason="starting a real Postfix master needs root")
def test_recording_is_current() -> None:
    """Real Postfix still answers as recorded."""
    result = subprocess.run([sys.executable, str(GOLDEN / "milters.py")], capture_output=True,
                            text=True, timeout=300, check=True)
    now = json.loads(result.stdout)
    for record in (now, RECORDED):
        for action in record:
            record[action]["log"] = [QUEUE_ID.sub("QUEUEID: ", line)
                                     for line in record[action]["log"]]
    assert now == RECORDED
