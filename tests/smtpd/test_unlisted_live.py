"""Unlisted senders and recipients, and the sender login checks, live
against real Postfix 3.7 (tests/smtpd/differential.py: the same main.cf
on both sides, replies and normalized smtpd log lines compared).

Covered: reject_unlisted_sender for every address class (local, virtual
alias, virtual mailbox, relay, error and retry transports, with the
status codes that Postfix gives a sender and its "mapping DSN status"
lines for every X.1.Y), at RCPT TO (smtpd_delay_reject = yes) and at MAIL
FROM; smtpd_reject_unlisted_sender, also after lists that permit;
unknown_*_reject_code and show_user_unknown_table_name; soft_bounce;
warn_if_reject;
reject_unlisted_recipient and check_recipient_maps with
smtpd_reject_unlisted_recipient = no, in the recipient and the sender
lists; table lookup failures; the *_sender_login_mismatch restrictions
with smtpd_sasl_auth_enable = no (Postfix's warnings) and yes (no client
is logged in: "not logged in").  The client, 127.0.0.1, is outside
mynetworks.
"""

from __future__ import annotations

import pytest

from tests.smtpd.differential import Group, StepSpec, check_group, group_params, skip_reason

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
# With smtpd_sasl_auth_enable = yes Postfix offers AUTH in its EHLO reply
# and pyfix, without SASL, does not: those dialogues use HELO.
HELO = b"HELO client.example\r\n"
QUIT = b"QUIT\r\n"
KNOWN = "known@mail.example.test"
DIGITS = range(10)
# The address classes: local (mail.example.test), virtual alias
# (valias.example, no aliases: pyfix cannot run with virtual_alias_maps
# yet), virtual mailbox (vmbox.example), relay (relay.example), and an
# error transport for each X.1.Y status (eN.example) and a retry one.
CLASSES = (
    "local_recipient_maps = inline:{known=x}\n"
    "virtual_alias_domains = valias.example\n"
    "virtual_mailbox_domains = vmbox.example\n"
    "virtual_mailbox_maps = inline:{box@vmbox.example=x}\n"
    "relay_domains = relay.example, ret.example, "
    + ", ".join(f"e{n}.example" for n in DIGITS) + "\n"
    "relay_recipient_maps = inline:{r@relay.example=x}\n"
    "transport_maps = inline:{ {ret.example=retry:4.4.1 later}, "
    + ", ".join(f"{{e{n}.example=error:5.1.{n} text {n}}}" for n in DIGITS) + " }\n")
UNLISTED_SENDER = "smtpd_sender_restrictions = reject_unlisted_sender\n"
SENDERS = ["x@mail.example.test", "nobody", "x@valias.example", "x@vmbox.example",
           "x@relay.example", "x@ret.example", KNOWN, "known", "box@vmbox.example",
           "r@relay.example", "postmaster@mail.example.test", "x@foreign.example", ""]


def mail(sender: str, recipients: list[str], greeting: bytes = EHLO) -> list[StepSpec]:
    steps: list[StepSpec] = [greeting, f"MAIL FROM:<{sender}>\r\n".encode()]
    steps += [f"RCPT TO:<{rcpt}>\r\n".encode() for rcpt in recipients]
    return [*steps, QUIT]


def senders(names: list[str], recipients: list[str] | None = None,
            greeting: bytes = EHLO) -> dict[str, list[StepSpec]]:
    return {f"from <{name}>": mail(name, recipients or [KNOWN], greeting) for name in names}


LOGINS = "smtpd_sender_login_maps = inline:{owned@example.org=alice, @dom.example=bob, joe=carl}\n"
ALL_FOUR = ("reject_sender_login_mismatch, reject_authenticated_sender_login_mismatch, "
            "reject_known_sender_login_mismatch, reject_unauthenticated_sender_login_mismatch")
LOGIN_SENDERS = ["owned@example.org", "x@dom.example", "joe@mail.example.test", "joe",
                 "joe@example.org", "free@example.org", ""]

GROUPS: dict[str, Group] = {
    "reject_unlisted_sender": Group(CLASSES + UNLISTED_SENDER, {
        **senders(SENDERS),
        # the status of each error:5.1.N transport, for a sender and a recipient
        **senders([f"x@e{n}.example" for n in DIGITS]),
        "recipient statuses": mail(KNOWN, [f"x@e{n}.example" for n in DIGITS]),
        "two recipients": mail("x@mail.example.test", [KNOWN, "y@mail.example.test"]),
    }),
    "reject_unlisted_sender_at_mail_from": Group(
        CLASSES + UNLISTED_SENDER + "smtpd_delay_reject = no\n",
        senders(["x@mail.example.test", "x@valias.example", "x@e2.example", "x@ret.example",
                 KNOWN, ""])),
    "reject_codes": Group(
        CLASSES + UNLISTED_SENDER + "unknown_local_recipient_reject_code = 450\n"
        "unknown_virtual_mailbox_reject_code = 551\nunknown_relay_recipient_reject_code = 452\n"
        "unknown_virtual_alias_reject_code = 553\nshow_user_unknown_table_name = no\n",
        {**senders(["y@mail.example.test", "y@vmbox.example", "y@relay.example",
                    "y@valias.example"]),
         "recipients": mail(KNOWN, ["y@mail.example.test", "y@vmbox.example",
                                    "y@relay.example", "y@valias.example"])}),
    "smtpd_reject_unlisted_sender": Group(
        CLASSES + "smtpd_reject_unlisted_sender = yes\n",
        senders(["x@mail.example.test", "nobody", "x@valias.example", "x@e1.example", KNOWN, ""],
                [KNOWN, "y@mail.example.test"])),
    "smtpd_reject_unlisted_sender_after_permit": Group(
        CLASSES + "smtpd_reject_unlisted_sender = yes\nsmtpd_sender_restrictions = permit\n"
        "smtpd_recipient_restrictions = permit\n",
        senders(["x@mail.example.test", KNOWN], [KNOWN, "y@mail.example.test"])),
    "smtpd_reject_unlisted_sender_at_mail_from": Group(
        CLASSES + "smtpd_reject_unlisted_sender = yes\nsmtpd_delay_reject = no\n"
        "smtpd_sender_restrictions = permit\n",
        senders(["x@mail.example.test", "x@vmbox.example", KNOWN])),
    "smtpd_reject_unlisted_sender_after_list_reject": Group(
        CLASSES + "smtpd_reject_unlisted_sender = yes\n"
        "smtpd_sender_restrictions = reject_non_fqdn_sender\n",
        senders(["nobody", "x@mail.example.test"])),
    "reject_unlisted_recipient": Group(
        CLASSES + "smtpd_reject_unlisted_recipient = no\n"
        "smtpd_recipient_restrictions = reject_unlisted_recipient\n",
        {"recipients": mail("a@example.org", [
            "y@mail.example.test", "y", "x@valias.example", "x@vmbox.example",
            "x@relay.example", "x@ret.example", "x@e7.example", KNOWN, "box@vmbox.example",
            "r@relay.example", "x@foreign.example"])}),
    "check_recipient_maps": Group(
        CLASSES + "smtpd_reject_unlisted_recipient = no\n"
        "smtpd_recipient_restrictions = check_recipient_maps\n",
        {"recipients": mail("a@example.org", ["y@mail.example.test", KNOWN])}),
    "reject_unlisted_recipient_in_sender_list": Group(
        CLASSES + "smtpd_reject_unlisted_recipient = no\n"
        "smtpd_sender_restrictions = reject_unlisted_recipient\n",
        {"recipients": mail("a@example.org", ["y@mail.example.test", KNOWN])}),
    "no_recipient_or_sender_yet": Group(
        CLASSES + "smtpd_reject_unlisted_recipient = no\nsmtpd_delay_reject = no\n"
        "smtpd_client_restrictions = reject_unlisted_sender, reject_unlisted_recipient\n"
        "smtpd_helo_restrictions = reject_unlisted_sender, reject_unlisted_recipient\n"
        "smtpd_sender_restrictions = reject_unlisted_recipient\n",
        {"accepted": mail("y@mail.example.test", ["y@mail.example.test"])}),
    "soft_bounce": Group(
        CLASSES + "soft_bounce = yes\nsmtpd_reject_unlisted_sender = yes\n",
        {**senders(["x@mail.example.test", "x@e1.example"]),
         "recipients": mail(KNOWN, ["y@mail.example.test", "y@valias.example", "x@e7.example"])}),
    # The explicit restriction only warns; the implicit check still refuses.
    "warn_if_reject": Group(
        CLASSES + "smtpd_sender_restrictions = warn_if_reject reject_unlisted_sender\n"
        "smtpd_recipient_restrictions = warn_if_reject reject_unlisted_recipient\n",
        senders(["x@mail.example.test"], [KNOWN, "y@valias.example"])),
    "lookup_failures": Group(
        CLASSES + UNLISTED_SENDER + "relay_recipient_maps = fail:rcpts\n",
        {**senders(["a@relay.example"]), "recipient": mail(KNOWN, ["a@relay.example"])}),
    "login_mismatch_without_sasl": Group(
        CLASSES + LOGINS + f"smtpd_sender_restrictions = {ALL_FOUR}\n",
        {**senders(["owned@example.org", "free@example.org", ""], [KNOWN, KNOWN])}),
    **{f"{name}_with_sasl": Group(
        CLASSES + LOGINS + f"smtpd_sasl_auth_enable = yes\nsmtpd_sender_restrictions = {name}\n",
        senders(LOGIN_SENDERS, greeting=HELO), expect_unsupported=True)
       for name in ALL_FOUR.split(", ")},
    "login_mismatch_at_mail_from": Group(
        CLASSES + LOGINS + "smtpd_sasl_auth_enable = yes\nsmtpd_delay_reject = no\n"
        "smtpd_sender_restrictions = reject_unauthenticated_sender_login_mismatch\n"
        "smtpd_recipient_restrictions = reject_sender_login_mismatch\n",
        senders(["owned@example.org", "joe", "free@example.org"], greeting=HELO),
        expect_unsupported=True),
    "login_maps_lookup_failure": Group(
        CLASSES + "smtpd_sasl_auth_enable = yes\nsmtpd_sender_login_maps = fail:logins\n"
        "smtpd_sender_restrictions = reject_sender_login_mismatch\n",
        senders(["a@example.org", ""], greeting=HELO), expect_unsupported=True),
}


@pytest.mark.parametrize("group", group_params(GROUPS))
def test_unlisted_as_postfix(group: str) -> None:
    check_group(GROUPS[group])
