"""pyfix.smtpd.checks.access and access_result: check_*_access lookups and
every access(5) result, table-driven and without sockets.

The expected replies and log texts are what real Postfix 3.7.11 gave for
the same table and dialogue (tests/smtpd/test_access_live.py plays them
side by side); these cases pin the rules of the evaluator: which key is
looked up first, what each result does to the reply, the log and the
transaction's actions (pyfix.smtpd.checks.actions).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pyfix.cleanup.status import CLEANUP_FLAG_DISCARD, CLEANUP_FLAG_HOLD
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.smtpd import Facts, Outcome, SessionChecks, SmtpdChecks
from tests.smtpd.rcpt import SyncChecks
from tests.smtpd.test_checks import Log, config, relay_policy

CLIENT = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example",
               "a@example.org", "localhost")
ACCEPT_ALL = ("smtpd_relay_restrictions = reject_unauth_destination\nrelay_domains = static:ALL\n"
              "recipient_delimiter = +\nmynetworks = 127.0.0.2/32\n")


class Harness:
    """One session's checks over an access table written to tmp_path."""

    def __init__(self, tmp_path: Path, table: str, main_cf: str) -> None:
        path = tmp_path / "access"
        path.write_text(table)
        # an hour old: texthash waits for a file that was just written to settle
        os.utime(path, (time.time() - 3600, time.time() - 3600))
        cfg = config(ACCEPT_ALL + main_cf.replace("@TABLE@", f"texthash:{path}"))
        self.log = Log()
        self.session: SessionChecks = SmtpdChecks(cfg, relay_policy(cfg)).session(
            self.log.info, self.log.warn)
        self.checks = SyncChecks(self.session)

    def rcpt(self, recipient: str, facts: Facts = CLIENT) -> Outcome:
        outcome: Outcome = self.checks.recipient(facts, recipient)
        return outcome


def reply(text: str) -> Reply:
    code, enhanced, rest = text.split(" ", 2)
    return Reply(int(code), enhanced, rest)


RCPT_LIST = "smtpd_recipient_restrictions = check_recipient_access @TABLE@\n"
RCPT_THEN_REJECT = "smtpd_recipient_restrictions = check_recipient_access @TABLE@, reject\n"
REJECT = "554 5.7.1 <u@example.com>: Recipient address rejected: Access denied"


@pytest.mark.parametrize(("value", "expected", "notes"), [
    ("OK", None, []),
    ("12345", None, []),  # all-numerical: OK
    ("DUNNO", None, []),
    ("REJECT", REJECT, []),
    ("REJECT go away", "554 5.7.1 <u@example.com>: Recipient address rejected: go away", []),
    ("REJECT 5.7.9 coded", "554 5.7.9 <u@example.com>: Recipient address rejected: coded",
     []),
    ("DEFER", "450 4.7.1 <u@example.com>: Recipient address rejected: Access denied", []),
    ("DEFER later", "450 4.7.1 <u@example.com>: Recipient address rejected: later", []),
    ("450 not now", "450 4.7.1 <u@example.com>: Recipient address rejected: not now", []),
    ("550 5.1.1 no such", "550 5.1.1 <u@example.com>: Recipient address rejected: no such",
     []),
    ("421 4.7.0 bye", "421 4.7.0 <u@example.com>: Recipient address rejected: bye", []),
    ("HOLD", None, [("hold", "<u@example.com>: Recipient address triggers HOLD action")]),
    ("HOLD why", None, [("hold", "<u@example.com>: Recipient address why")]),
    ("DISCARD", None,
     [("discard", "<u@example.com>: Recipient address triggers DISCARD action")]),
    ("FILTER smtp:[127.0.0.1]:10025", None,
     [("filter", "<u@example.com>: Recipient address triggers FILTER smtp:[127.0.0.1]:10025")]),
    ("REDIRECT x@example.net", None,
     [("redirect", "<u@example.com>: Recipient address triggers REDIRECT x@example.net")]),
    ("BCC x@example.net", None,
     [("bcc", "<u@example.com>: Recipient address triggers BCC x@example.net")]),
    ("PREPEND X-A: b", None, []),
    ("WARN watch", None, [("warn", "watch")]),
    ("WARN", None, [("warn", "")]),
    ("INFO note", None, [("info", "note")]),
    ("permit_mynetworks, reject", REJECT, []),  # a restriction list
])
def test_result(tmp_path: Path, value: str, expected: str | None,
                notes: list[tuple[str, str]]) -> None:
    harness = Harness(tmp_path, f"u@example.com {value}\n", RCPT_LIST)
    outcome = harness.rcpt("u@example.com")
    assert outcome.reply == (reply(expected) if expected else None)
    assert outcome.notes == notes
    assert harness.log.lines == []


@pytest.mark.parametrize(("value", "expected"), [
    ("HOLD", REJECT), ("FILTER smtp:x", REJECT), ("REDIRECT x@y", REJECT), ("BCC x@y", REJECT),
    ("PREPEND X-A: b", REJECT), ("WARN w", REJECT), ("INFO i", REJECT), ("DUNNO", REJECT),
    ("DISCARD", None), ("OK", None),
])
def test_what_the_action_returns(tmp_path: Path, value: str, expected: str | None) -> None:
    """The actions go on to the next restriction; DISCARD and OK permit."""
    harness = Harness(tmp_path, f"u@example.com {value}\n", RCPT_THEN_REJECT)
    assert harness.rcpt("u@example.com").reply == (reply(expected) if expected else None)


def test_actions_reach_the_transaction(tmp_path: Path) -> None:
    table = ("h@example.com HOLD\nf@example.com FILTER smtp:[127.0.0.1]:25\n"
             "g@example.com FILTER relay:[127.0.0.2]\nr@example.com REDIRECT x@example.net\n"
             "b@example.com BCC spy@example.net\nc@example.com BCC spy2@example.net\n"
             "p@example.com PREPEND X-A: 1\nq@example.com PREPEND X-B: 2\n")
    harness = Harness(tmp_path, table, RCPT_LIST)
    notes = [harness.rcpt(f"{key}@example.com").notes
             for key in ("h", "h", "f", "g", "r", "b", "c", "p", "q")]
    assert notes[1] == []  # HOLD is logged once per transaction
    actions = harness.session.ctx.actions
    assert actions.flags == CLEANUP_FLAG_HOLD
    assert actions.filter == "relay:[127.0.0.2]"  # the last one wins
    assert actions.redirect == "x@example.net"
    assert actions.bcc == ["spy@example.net", "spy2@example.net"]
    assert actions.prepend == ["X-A: 1", "X-B: 2"]
    actions.reset()
    assert (actions.flags, actions.filter, actions.bcc, actions.prepend) == (0, None, [], [])


def test_discard_ends_the_transaction_checks(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "d@example.com DISCARD\nw@example.com WARN w\n",
                      RCPT_THEN_REJECT)
    assert harness.rcpt("d@example.com").reply is None
    assert harness.session.ctx.actions.flags == CLEANUP_FLAG_DISCARD
    outcome = harness.rcpt("w@example.com")  # not checked: neither warned nor rejected
    assert (outcome.reply, outcome.notes) == (None, [])


@pytest.mark.parametrize(("value", "warning"), [
    ("FILTER", "has FILTER entry without value"),
    ("FILTER nocolon", "requires transport:destination"),
    ("REDIRECT", "requires user@domain target"),
    ("REDIRECT foo", "requires user@domain target"),
    ("BCC", "requires user@domain target"),
    ("PREPEND", "requires header: text"),
    ("PREPEND no header", "requires header: text"),
])
def test_bad_action_warns_and_counts_as_not_found(tmp_path: Path, value: str,
                                                  warning: str) -> None:
    """The warning names the table and what was looked up (here the
    recipient, although the domain's entry matched)."""
    harness = Harness(tmp_path, f"example.com {value}\n", RCPT_THEN_REJECT)
    assert harness.rcpt("u@example.com").reply == reply(REJECT)
    assert harness.log.lines == [
        f'warning: access table texthash:{tmp_path}/access entry "u@example.com" {warning}']
    actions = harness.session.ctx.actions
    assert (actions.filter, actions.redirect, actions.bcc, actions.prepend) == (
        None, None, [], [])


SENDER_TABLE = """\
dunno@example.com DUNNO
example.com REJECT domain
sub.example.net REJECT sub
example.net REJECT parent
user@ REJECT localpart
user+ext@example.org REJECT fullext
plain@example.org REJECT noext
<> REJECT null
"""


@pytest.mark.parametrize(("sender", "text"), [
    ("dunno@example.com", None),  # found: the domain is not tried
    ("x@example.com", "domain"),
    ("x@a.sub.example.net", "sub"),  # the nearest parent first
    ("x@other.example.net", "parent"),
    ("user@foo.test", "localpart"),
    ("user+zz@foo.test", "localpart"),  # user+zz@, then user@
    ("user+ext@example.org", "fullext"),
    ("plain+q@example.org", "noext"),  # recipient_delimiter
    ("", "null"),  # smtpd_null_access_lookup_key
    ("ok@fine.test", None),
])
def test_sender_lookup_order(tmp_path: Path, sender: str, text: str | None) -> None:
    harness = Harness(tmp_path, SENDER_TABLE,
                      "smtpd_sender_restrictions = check_sender_access @TABLE@\n")
    facts = Facts(CLIENT.client_name, CLIENT.client_addr, CLIENT.namaddr, CLIENT.helo, sender)
    expected = reply(f"554 5.7.1 <{sender}>: Sender address rejected: {text}") if text else None
    assert harness.rcpt("r@example.com", facts).reply == expected


def test_parent_domain_style(tmp_path: Path) -> None:
    """Without smtpd_access_maps in parent_domain_matches_subdomains, a
    parent is looked up as .example.net."""
    harness = Harness(tmp_path, "example.net REJECT bare\n.example.net REJECT dotted\n",
                      "parent_domain_matches_subdomains =\n"
                      "smtpd_sender_restrictions = check_sender_access @TABLE@\n")
    facts = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "h", "x@a.example.net")
    assert harness.rcpt("r@example.com", facts).reply == reply(
        "554 5.7.1 <x@a.example.net>: Sender address rejected: dotted")


@pytest.mark.parametrize(("check", "table", "expected"), [
    ("check_client_access", "localhost REJECT name\n127.0.0.1 REJECT addr\n",
     "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: name"),
    ("check_client_access", "localhost DUNNO\n127.0.0.1 REJECT addr\n", None),
    ("check_client_access", "127.0.0 REJECT net\n",
     "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: net"),
    ("check_reverse_client_hostname_access", "localhost REJECT rev\n",
     "554 5.7.1 <localhost>: Unverified Client host rejected: rev"),
    ("check_client_access", "localhost 550 5.1.1 mapped\n",
     "550 5.0.0 <localhost[127.0.0.1]>: Client host rejected: mapped"),
])
def test_client(tmp_path: Path, check: str, table: str, expected: str | None) -> None:
    harness = Harness(tmp_path, table, f"smtpd_client_restrictions = {check} @TABLE@\n")
    assert harness.rcpt("r@example.com").reply == (reply(expected) if expected else None)


@pytest.mark.parametrize(("table", "subject", "line"), [
    ("s@example.org 550 5.1.1 x\n", "sender", "5.1.1 into Sender address status 5.1.7"),
    ("s@example.org 450 4.1.2 x\n", "sender", "4.1.2 into Sender address status 4.1.8"),
    ("s@example.org 550 5.1.5 x\n", "sender", "5.1.5 into Sender address status 5.1.0"),
    ("r@example.com 550 5.1.7 x\n", "recipient", "5.1.7 into Recipient address status 5.1.3"),
    ("r@example.com 550 5.1.8 x\n", "recipient", "5.1.8 into Recipient address status 5.1.2"),
    ("client.example 550 5.1.1 x\n", "helo", "5.1.1 into Helo command status 5.0.0"),
    ("r@example.com 550 5.1.1 x\n", "recipient", None),
    ("client.example 550 5.7.9 x\n", "helo", None),
])
def test_dsn_mapping(tmp_path: Path, table: str, subject: str, line: str | None) -> None:
    harness = Harness(tmp_path, table, f"smtpd_{subject}_restrictions = check_{subject}_access "
                      "@TABLE@\n")
    facts = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "client.example",
                  "s@example.org")
    outcome = harness.rcpt("r@example.com", facts)
    assert outcome.reply is not None
    if line is None:
        assert harness.log.lines == []
        assert outcome.reply.enhanced == table.split()[2]
    else:
        assert harness.log.lines == [f"mapping DSN status {line}"]
        assert outcome.reply.enhanced == line.rsplit(" ", 1)[1]


def test_helo_and_etrn(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "example.com REJECT dom\n[127.0.0.9] REJECT literal\n",
                      "smtpd_helo_restrictions = check_helo_access @TABLE@\n"
                      "smtpd_etrn_restrictions = check_etrn_access @TABLE@\n")
    facts = Facts("localhost", "127.0.0.1", "localhost[127.0.0.1]", "[127.0.0.9]", "a@b.test")
    assert harness.rcpt("r@example.com", facts).reply == reply(
        "554 5.7.1 <[127.0.0.9]>: Helo command rejected: literal")
    assert harness.checks.etrn(CLIENT, "mx.example.com").reply == reply(
        "554 5.7.1 <mx.example.com>: Etrn command rejected: dom")
    assert harness.checks.etrn(CLIENT, "example.org").reply is None


def test_prepend_at_end_of_data_warns(tmp_path: Path) -> None:
    harness = Harness(tmp_path, "a@example.org PREPEND X-A: b\n",
                      "smtpd_end_of_data_restrictions = check_sender_access @TABLE@\n")
    assert harness.checks.end_of_data(CLIENT).reply is None
    assert harness.session.ctx.actions.prepend == []
    assert harness.log.lines == [
        f"warning: access table texthash:{tmp_path}/access: action PREPEND must be used "
        "before smtpd_end_of_data_restrictions"]


def test_lookup_error(tmp_path: Path) -> None:
    """A table that cannot be opened: 451 4.3.5 with the subject's class."""
    harness = Harness(tmp_path, "", "smtpd_recipient_restrictions = check_recipient_access "
                      "hash:/nonexistent/access\n")
    assert harness.rcpt("u@example.com").reply == reply(
        "451 4.3.5 <u@example.com>: Recipient address rejected: Server configuration error")


@pytest.mark.parametrize("value", ["HOLD", "DISCARD", "FILTER smtp:x", "REDIRECT a@b.c",
                                   "BCC a@b.c", "PREPEND X-A: b"])
def test_message_actions_need_a_transaction(tmp_path: Path, value: str) -> None:
    """smtpd_delay_reject = no: at CONNECT and HELO there is no mail
    transaction; Postfix skips the action with a warning."""
    harness = Harness(tmp_path, f"localhost {value}\nclient.example {value}\n",
                      "smtpd_delay_reject = no\n"
                      "smtpd_client_restrictions = check_client_access @TABLE@\n"
                      "smtpd_helo_restrictions = check_helo_access @TABLE@\n")
    for stage in (harness.checks.connect, harness.checks.helo):
        assert stage(CLIENT).reply is None
    keyword = value.split()[0]
    assert harness.log.lines == 2 * [
        f"warning: access table texthash:{tmp_path}/access: with smtpd_delay_reject=no, "
        f"action {keyword} is always skipped in Client host or Helo command restrictions"]
    actions = harness.session.ctx.actions
    assert (actions.flags, actions.filter, actions.redirect, actions.bcc, actions.prepend) == (
        0, None, None, [], [])
