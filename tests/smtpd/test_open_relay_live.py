"""Open relay probes, live: nothing is relayed for a client outside mynetworks.

The client is 127.0.0.7, outside mynetworks.  It plays the classic
open-relay probe set (the sixteen MAIL FROM / RCPT TO combinations of
nmap's smtp-open-relay script, with its default names: EHLO
nmap.scanme.org, from "antispam", to "relaytest", domain nmap.scanme.org,
the server's name from the greeting and the server's address as [ip]) and
the seed's S10 relay test "RCPT TO:<relaytest%rbl.jp@[ip]>", with
allow_percent_hack on and off, against:

- the seed's S8 main.cf lines verbatim (its mynetworks shape with
  documentation networks and no compatibility_level, so level 0 as in
  the seed, and its smtpd_recipient_restrictions with check_relay_domains
  and a pop-before-smtp table);
- Postfix 3.7's defaults (compatibility_level = 3.7, the default
  smtpd_relay_restrictions).

Real Postfix 3.7 and pyfix get the same main.cf and the same dialogue;
replies and normalized log lines must match (tests/smtpd/differential.py),
and no RCPT may be accepted on either side: local users are listed in
local_recipient_maps, so an address that the percent hack leaves local is
an unknown user, and every other one is a relay attempt.  The control: a
client inside mynetworks (127.0.0.1) may relay to the same domain.
"""

from __future__ import annotations

import pytest

from tests.smtpd.differential import (
    Differential,
    StepSpec,
    describe,
    normalize_steps,
    skip_reason,
)
from tests.smtpd.test_checks_live import LEVEL_DEFAULTS, differential

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

CLIENT = "127.0.0.7"
IP = "127.0.0.1"  # the server's address (inet_interfaces)
SRVNAME = "mail.example.test"  # from the server's greeting
DOMAIN = "nmap.scanme.org"
FROM, TO = "antispam", "relaytest"
B = f"{FROM}@[{IP}]"
# nmap smtp-open-relay's sixteen (MAIL FROM, RCPT TO) pairs
NMAP_PROBES = [
    ("", f"{TO}@{DOMAIN}"),
    (f"{FROM}@{DOMAIN}", f"{TO}@{DOMAIN}"),
    (f"{FROM}@{SRVNAME}", f"{TO}@{DOMAIN}"),
    (B, f"{TO}@{DOMAIN}"),
    (B, f"{TO}%{DOMAIN}@[{IP}]"),
    (B, f"{TO}%{DOMAIN}@{SRVNAME}"),
    (B, f'"{TO}@{DOMAIN}"'),
    (B, f'"{TO}%{DOMAIN}"'),
    (B, f"{TO}@{DOMAIN}@[{IP}]"),
    (B, f'"{TO}@{DOMAIN}"@[{IP}]'),
    (B, f"{TO}@{DOMAIN}@{SRVNAME}"),
    (B, f"@[{IP}]:{TO}@{DOMAIN}"),
    (B, f"@{SRVNAME}:{TO}@{DOMAIN}"),
    (B, f"{DOMAIN}!{TO}"),
    (B, f"{DOMAIN}!{TO}@[{IP}]"),
    (B, f"{DOMAIN}!{TO}@{SRVNAME}"),
]
# the seed's S10 relay test (RBL.JP), with the server's address
SEED_PROBE = (f"spamtest@[{IP}]", f"relaytest%rbl.jp@[{IP}]")

# The seed's S8 lines; its mynetworks with documentation networks in place
# of 192.xxx.xxx.0/24 and 127.0.0.1/32 in place of 127.0.0.0/8, so that the
# probing client (127.0.0.7) is outside.
SEED_S8 = """\
mynetworks = 192.0.2.0/24, 127.0.0.1/32, 10.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks,reject_non_fqdn_recipient,
      check_client_access hash:@FILES@/pop-before-smtp,
      check_relay_domains
"""
DEFAULTS = "compatibility_level = 3.7\nmynetworks = 192.0.2.0/24, 127.0.0.1/32\n"
# the recording main.cf's relay settings, so that Postfix 3.7's defaults apply
UNSET = ("smtpd_relay_restrictions", "relay_domains")
LOCAL_USERS = "local_recipient_maps = inline:{root=x, postmaster=x}\n"


def probe_dialogue() -> list[StepSpec]:
    steps: list[StepSpec] = [f"EHLO {DOMAIN}\r\n".encode()]
    for sender, recipient in [*NMAP_PROBES, SEED_PROBE]:
        steps += [b"RSET\r\n", f"MAIL FROM:<{sender}>\r\n".encode(),
                  f"RCPT TO:<{recipient}>\r\n".encode()]
    return [*steps, b"QUIT\r\n"]


def rcpt_replies(steps: list[StepSpec], replies: list[bytes]) -> list[bytes]:
    # replies[0] is the greeting
    return [reply for step, reply in zip(steps, replies[1:], strict=True)
            if isinstance(step, bytes) and step.startswith(b"RCPT")]


@pytest.mark.parametrize("percent_hack", ["yes", "no"])
@pytest.mark.parametrize("settings", ["seed_s8", "defaults"])
def test_open_relay_probes_are_refused(settings: str, percent_hack: str) -> None:
    main_cf = (SEED_S8 if settings == "seed_s8" else DEFAULTS) + LOCAL_USERS + (
        f"allow_percent_hack = {percent_hack}\n")
    diff: Differential = differential(main_cf, {"pop-before-smtp": "192.0.2.1 OK\n"},
                                      LEVEL_DEFAULTS if settings == "seed_s8" else UNSET)
    steps = probe_dialogue()
    inside: list[StepSpec] = [b"EHLO client.example\r\n", b"MAIL FROM:<a@example.org>\r\n",
                              f"RCPT TO:<{TO}@{DOMAIN}>\r\n".encode(), b"QUIT\r\n"]
    with diff:
        postfix, pyfix = diff.run("probes", steps, client=CLIENT)
        # the control: a client inside mynetworks may relay
        inside_postfix, inside_pyfix = diff.run("inside", inside, client=IP)
    report = describe("probes", normalize_steps(steps), postfix, pyfix) + describe(
        "inside", normalize_steps(inside), inside_postfix, inside_pyfix)
    assert not report, report
    assert rcpt_replies(inside, inside_pyfix.replies) == [b"250 2.1.5 Ok\r\n"]
    for side in (postfix, pyfix):
        replies = rcpt_replies(steps, side.replies)
        assert len(replies) == len(NMAP_PROBES) + 1
        accepted = [reply for reply in replies if reply.startswith(b"2")]
        assert not accepted, accepted
