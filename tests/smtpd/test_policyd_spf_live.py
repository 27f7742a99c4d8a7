"""check_policy_service with a real policy server: Debian's policyd-spf
(postfix-policyd-spf-python), run by spawn(8) as Debian's README sets it
up, checking SPF against the test's DNS server (tests/resolverns.py: both
mail systems, and the policy servers they spawn, see only the test's
zone).  Real Postfix 3.7 and pyfix run the same main.cf and master.cf;
replies and normalized smtpd log lines must match (differential.py).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.instance import world_traversable_dir
from tests.resolverns import skip_reason as dns_skip_reason
from tests.smtpd.differential import (
    Differential,
    StepSpec,
    describe,
    normalize_steps,
    skip_reason,
)

POLICYD_SPF = shutil.which("policyd-spf") or "/usr/bin/policyd-spf"
REASON = skip_reason() or dns_skip_reason() or (
    None if os.path.exists(POLICYD_SPF)
    else "policyd-spf (Debian's postfix-policyd-spf-python) is not installed")
pytestmark = pytest.mark.skipif(REASON is not None, reason=str(REASON))

ZONE = """
spf-pass.example.       300 TXT "v=spf1 ip4:127.0.0.0/8 -all"
spf-fail.example.       300 TXT "v=spf1 -all"
spf-softfail.example.   300 TXT "v=spf1 ~all"
spf-permerror.example.  300 TXT "v=spf1 include:nowhere.invalid -all"
helo-fail.example.      300 TXT "v=spf1 -all"
helo-pass.example.      300 TXT "v=spf1 ip4:127.0.0.1 -all"
"""
# policyd-spf's own configuration (policyd-spf.conf(5)): check loopback
# clients too (its default skips them), act on the results (TestOnly = 1,
# its default; 0 only reports), add no header.
SPF_CONF = """debugLevel = 0
TestOnly = 1
HELO_reject = Fail
Mail_From_reject = Fail
PermError_reject = True
TempError_Defer = False
Header_Type = None
skip_addresses = 192.0.2.0/32
Lookup_Time = 5
"""
EHLO = b"EHLO client.example\r\n"
RCPT = b"RCPT TO:<u@mail.example.test>\r\n"
QUIT = b"QUIT\r\n"


def dialogue(sender: str, ehlo: bytes = EHLO) -> list[StepSpec]:
    return [ehlo, f"MAIL FROM:<{sender}>\r\n".encode(), RCPT, QUIT]


def test_policyd_spf_through_spawn() -> None:
    conf_dir = world_traversable_dir("pyfix-spf-")
    (conf_dir / "policyd-spf.conf").write_text(SPF_CONF)
    os.chmod(conf_dir / "policyd-spf.conf", 0o644)
    master_cf = ("policyd-spf unix - n n - 0 spawn user=nobody "
                 f"argv={POLICYD_SPF} {conf_dir}/policyd-spf.conf\n")
    main_cf = ("policyd-spf_time_limit = 3600\n"
               "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,\n"
               "    check_policy_service unix:private/policyd-spf\n")
    cases = {
        "pass": (dialogue("a@spf-pass.example"), b"250 "),
        "fail": (dialogue("a@spf-fail.example"), b"550 5.7.23 "),
        "softfail": (dialogue("a@spf-softfail.example"), b"250 "),
        "permerror": (dialogue("a@spf-permerror.example"), b"550 5.7.24 "),
        "none": (dialogue("a@nospf.example"), b"250 "),
        "null sender, helo fail": (dialogue("", b"EHLO helo-fail.example\r\n"), b"550 5.7.23 "),
        "helo fail": (dialogue("a@spf-pass.example", b"EHLO helo-fail.example\r\n"),
                      b"550 5.7.23 "),
    }
    reports = []
    with Differential(main_cf, master_cf=master_cf, dns_zone=ZONE) as diff:
        for name, (steps, rcpt_reply) in cases.items():
            postfix, pyfix = diff.run(name, steps)
            # The oracle itself shows that SPF was checked (not skipped).
            assert postfix.replies[3].startswith(rcpt_reply), (name, postfix.replies)
            reports.append(describe(name, normalize_steps(steps), postfix, pyfix))
    report = "\n".join(r for r in reports if r)
    assert not report, report
