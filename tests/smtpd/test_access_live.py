"""Live differential tests of the access(5) restrictions: real Postfix 3.7
and pyfix with the same main.cf and the same access table, replies and
normalized smtpd and cleanup log lines compared (tests/smtpd/differential.py),
and for the actions that change the message (HOLD, FILTER, REDIRECT, BCC,
PREPEND) the queue files that the two leave in the hold queue, as real
postcat prints them.

Covered: every access(5) result in check_recipient_access (OK,
all-numerical, REJECT and DEFER with and without text, 4NN/5NN, 421,
DUNNO, HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND, WARN, INFO, a
restriction list, an unknown name); what an action returns (HOLD and the
others go on to the next restriction, DISCARD permits and ends the
transaction's checks); the lookup order of check_sender_access
(user+ext@domain, user@domain, domain, parent domains, user@, the null
sender as <>), check_helo_access (a name, an address literal, parents),
check_etrn_access, check_client_access and
check_reverse_client_hostname_access; DSN status mapping per subject;
actions at the MAIL stage (smtpd_delay_reject = no), in
smtpd_data_restrictions and smtpd_end_of_data_restrictions (PREPEND
there warns); a table that cannot be opened; the seed's S25 (the
pop-before-smtp map of S8 rebuilt while the servers run).
"""

from __future__ import annotations

import difflib
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.oracle import POSTCAT
from tests.resolverns import skip_reason as dns_skip_reason
from tests.smtpd.differential import (
    Differential,
    Side,
    StepSpec,
    describe,
    normalize_steps,
    skip_reason,
)

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

EHLO = b"EHLO client.example\r\n"
QUIT = b"QUIT\r\n"
RSET = b"RSET\r\n"
DATA: list[StepSpec] = [b"DATA\r\n", (b"Subject: x\r\n\r\nbody\r\n.\r\n", "reply")]
# An unknown restriction mails the postmaster a transcript in Postfix, which
# pyfix does not do yet (test_checks_live.py): keep that class out.
BASE = "notify_classes = resource\nrecipient_delimiter = +\n"


def mail(address: str) -> bytes:
    return f"MAIL FROM:<{address}>\r\n".encode()


def rcpt(address: str) -> bytes:
    return f"RCPT TO:<{address}>\r\n".encode()


def differential(main_cf: str, table: str) -> Differential:
    diff = Differential(BASE + main_cf, files={"access": table})
    subprocess.run(["/usr/sbin/postmap", f"hash:{diff.files / 'access'}"], check=True)
    return diff


RESULTS = """\
ok@example.com OK
num@example.com 12345
rej@example.com REJECT
rejt@example.com REJECT go away
def@example.com DEFER
deft@example.com DEFER later please
n450@example.com 450 not now
n550@example.com 550 5.1.1 no such user
dsn@example.com REJECT 5.7.9 with a code
dunno@example.com DUNNO
hold@example.com HOLD
holdt@example.com HOLD held with text
warn@example.com WARN warned text
warn0@example.com WARN
info@example.com INFO info text
info0@example.com INFO
prep@example.com PREPEND X-Test: prepended
filt@example.com FILTER smtp:[127.0.0.1]:10025
redir@example.com REDIRECT other@example.net
bcc@example.com BCC spy@example.net
cls@example.com permit_mynetworks, reject
junk@example.com frobnicate
bye@example.com 421 4.7.0 go away now
bye521@example.com 521 5.7.0 go away for good
"""
RESULT_KEYS = ["ok", "num", "rej", "rejt", "def", "deft", "n450", "n550", "dsn", "dunno",
               "warn", "warn0", "info", "info0", "hold", "holdt", "prep", "filt", "redir",
               "bcc", "cls", "junk"]


def test_every_result() -> None:
    """Each result as the only restriction: the reply, the log line."""
    steps: list[StepSpec] = [EHLO, mail("a@example.org")]
    steps += [rcpt(f"{key}@example.com") for key in RESULT_KEYS]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access\n", RESULTS) as diff:
        diff.check("results", steps + DATA + [QUIT])
        diff.check("421", [EHLO, mail("a@example.org"), rcpt("bye@example.com"), QUIT])
        diff.check("521", [EHLO, mail("a@example.org"), rcpt("bye521@example.com"), QUIT])


def test_actions_then_reject() -> None:
    """HOLD, FILTER, REDIRECT, BCC, PREPEND, WARN, INFO go on to the next
    restriction (here reject), logged each time (HOLD once); DUNNO too."""
    steps: list[StepSpec] = [EHLO, mail("a@example.org")]
    steps += [rcpt(f"{key}@example.com") for key in (
        "hold", "holdt", "filt", "redir", "bcc", "prep", "warn", "info", "dunno", "hold")]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access, reject\n", RESULTS) as diff:
        diff.check("actions-reject", [*steps, QUIT])


DISCARD = "disc@example.com DISCARD\nrej@example.com REJECT\nwarn@example.com WARN w\n"


def test_discard_ends_the_checks() -> None:
    """DISCARD permits (the reject after it is not reached), and no later
    recipient of the transaction is checked; the message is accepted and
    thrown away (no cleanup message-id line)."""
    steps: list[StepSpec] = [EHLO, mail("a@example.org"), rcpt("disc@example.com"),
                             rcpt("rej@example.com"), rcpt("warn@example.com"), *DATA,
                             mail("a@example.org"), rcpt("rej@example.com"), QUIT]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access, reject\n", DISCARD) as diff:
        diff.check("discard", steps)


BAD_ACTIONS = """\
f0@example.com FILTER
f1@example.com FILTER nocolon
f2@example.com FILTER :dest
r0@example.com REDIRECT
r1@example.com REDIRECT foo
b0@example.com BCC
p0@example.com PREPEND
p1@example.com PREPEND no header here
example.net FILTER
w1@example.com warn lowercase
"""


def test_bad_actions() -> None:
    """An action without a valid argument: Postfix's warning naming the
    table and the looked-up address, and the entry counts as not found."""
    steps: list[StepSpec] = [EHLO, mail("a@b.test")]
    steps += [rcpt(f"{key}@example.com") for key in (
        "f0", "f1", "f2", "r0", "r1", "b0", "p0", "p1", "w1")]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access\n", BAD_ACTIONS) as diff:
        diff.check("bad", [*steps, rcpt("x@sub.example.net"), QUIT])


ORDER = """\
dunno@example.com DUNNO
example.com REJECT domain rejected
sub.example.net REJECT sub
example.net REJECT parent
user@ REJECT localpart
user+ext@example.org REJECT fullext
plain@example.org REJECT noext
<> REJECT nullsender
helo.example HOLD helo hold
[127.0.0.9] REJECT literal
disc.example DISCARD disc text
quit.example 421 4.7.0 go away now
pre.example PREPEND X-Helo: yes
"""


def test_lookup_order() -> None:
    """check_sender_access, check_helo_access and check_etrn_access keys."""
    steps: list[StepSpec] = [EHLO]
    for sender in ("dunno@example.com", "x@example.com", "x@a.sub.example.net",
                   "x@other.example.net", "user@foo.test", "user+zz@foo.test",
                   "user+ext@example.org", "plain+q@example.org", "", "ok@fine.test"):
        steps += [mail(sender), rcpt("r@example.com"), RSET]
    steps += [b"HELO helo.example\r\n", mail("ok@fine.test"), rcpt("r@example.com"),
              rcpt("r2@example.com"), *DATA,
              b"EHLO [127.0.0.9]\r\n", mail("ok@fine.test"), rcpt("r@example.com"), RSET,
              b"EHLO pre.example\r\n", mail("ok@fine.test"), rcpt("r@example.com"), *DATA,
              b"EHLO disc.example\r\n", mail("ok@fine.test"), rcpt("r@example.com"), *DATA,
              EHLO, b"ETRN example.com\r\n", b"ETRN foo.example.net\r\n",
              b"ETRN dunno.test\r\n",
              b"EHLO quit.example\r\n", mail("ok@fine.test"), rcpt("r@example.com"), QUIT]
    with differential("smtpd_sender_restrictions = check_sender_access hash:@FILES@/access\n"
                      "smtpd_helo_restrictions = check_helo_access hash:@FILES@/access\n"
                      "smtpd_etrn_restrictions = check_etrn_access hash:@FILES@/access\n",
                      ORDER) as diff:
        diff.check("order", steps)


DSN = """\
r517@example.com 550 5.1.7 a
r518@example.com 550 5.1.8 b
r519@example.com 550 5.1.9 c
r511@example.com 450 4.1.1 d
r521@example.com 550 5.2.1 e
s511@example.org 550 5.1.1 f
s512@example.org 450 4.1.2 g
s513@example.org 550 5.1.3 h
s514@example.org 550 5.1.4 i
s515@example.org 550 5.1.5 j
s516@example.org 550 5.1.6 k
s518@example.org 550 5.1.8 l
s519@example.org REJECT 5.1.9 m
h511.example 550 5.1.1 helo
h57.example 550 5.7.9 helo
"""


def test_dsn_mapping() -> None:
    """A recipient's, sender's or helo's enhanced status code is mapped to
    the subject, with Postfix's "mapping DSN status" line."""
    steps: list[StepSpec] = [EHLO, mail("a@b.test")]
    steps += [rcpt(f"{key}@example.com") for key in ("r517", "r518", "r519", "r511", "r521")]
    steps.append(RSET)
    for key in ("s511", "s512", "s513", "s514", "s515", "s516", "s518", "s519"):
        steps += [mail(f"{key}@example.org"), rcpt("x@example.com"), RSET]
    for helo in ("h511", "h57"):
        steps += [f"EHLO {helo}.example\r\n".encode(), mail("a@b.test"),
                  rcpt("x@example.com"), RSET]
    with differential(
            "smtpd_recipient_restrictions = check_recipient_access hash:@FILES@/access\n"
            "smtpd_sender_restrictions = check_sender_access hash:@FILES@/access\n"
            "smtpd_helo_restrictions = check_helo_access hash:@FILES@/access\n",
            DSN) as diff:
        diff.check("dsn", [*steps, QUIT])


@pytest.mark.parametrize("check", ["check_client_access",
                                   "check_reverse_client_hostname_access"])
def test_client_name_and_address(check: str) -> None:
    """The client name (localhost), then its address and its prefixes; the
    client's DSN status is mapped to X.0.0."""
    for table in ("localhost 550 5.1.1 by name\n", "127.0.0 REJECT by net\n",
                  "localhost DUNNO\n127.0.0.1 DEFER by address\n"):
        with differential(f"smtpd_client_restrictions = {check} hash:@FILES@/access\n",
                          table) as diff:
            diff.check(table, [EHLO, mail("a@b.test"), rcpt("x@example.com"), QUIT])


STAGES = """\
hold@example.org HOLD sender hold
warn@example.org WARN sender warn
prep@example.org PREPEND X-Sender: yes
disc@example.org DISCARD
filt@example.org FILTER smtp:[127.0.0.1]:10099
localhost INFO client info
"""
STAGE_DIALOGUE: list[StepSpec] = [EHLO]
for _sender in ("hold", "warn", "prep", "disc", "filt"):
    STAGE_DIALOGUE += [mail(f"{_sender}@example.org"), rcpt("x@example.com"),
                       rcpt("y@example.com"), *DATA]
STAGE_DIALOGUE.append(QUIT)


def test_actions_at_connect_and_mail() -> None:
    """smtpd_delay_reject = no: INFO at CONNECT, the sender's actions at MAIL."""
    with differential("smtpd_delay_reject = no\n"
                      "smtpd_client_restrictions = check_client_access hash:@FILES@/access\n"
                      "smtpd_sender_restrictions = check_sender_access hash:@FILES@/access\n",
                      STAGES) as diff:
        diff.check("mail-stage", STAGE_DIALOGUE)


def test_actions_at_data_and_end_of_data() -> None:
    """Actions in smtpd_data_restrictions and smtpd_end_of_data_restrictions;
    PREPEND in the latter warns."""
    with differential("smtpd_data_restrictions = check_sender_access hash:@FILES@/access\n"
                      "smtpd_end_of_data_restrictions = check_sender_access "
                      "hash:@FILES@/access\n", STAGES) as diff:
        postfix, pyfix = diff.run("data-stages", STAGE_DIALOGUE)
    report = describe("data-stages", normalize_steps(STAGE_DIALOGUE),
                      _without_message_ids(postfix), _without_message_ids(pyfix))
    assert not report, report


def _without_message_ids(side: Side) -> Side:
    """Postfix's cleanup reads a small message only after smtpd's
    end-of-data check; pyfix's in-process cleanup as it streams (see
    test_checks_live.py): the message-id lines fall elsewhere."""
    return Side(side.replies, side.closed,
                [line for line in side.log if "cleanup: QUEUEID" not in line
                 or "message-id=" not in line], side.raw)


QUEUE_FILE_ACTIONS = """\
hold@example.com HOLD
filt@example.com FILTER smtp:[127.0.0.1]:10025
filt2@example.com FILTER relay:[127.0.0.2]
redir@example.com REDIRECT other@example.net
redir2@example.com REDIRECT other2@example.net
bcc@example.com BCC spy@example.net
bcc2@example.com BCC spy2@example.net
prep@example.com PREPEND X-Test: prepended
prep2@example.com PREPEND X-Test2: again
"""
# What differs between two queue files of the same message: times, queue
# IDs, ports, the file's path (and with the ID's length, the sizes).
POSTCAT_MASKS = (
    (re.compile(r"^\*\*\* (.*) /\S+ \*\*\*$", re.M), r"*** \1 ***"),
    (re.compile(r"^(message_size|message_arrival_time|create_time):.*$", re.M), r"\1: X"),
    (re.compile(r"^(named_attribute: (?:log_)?(?:client|server)_port)=\d+$", re.M), r"\1=X"),
    # pyfix does not record the server address and port yet ("unknown").
    (re.compile(r"^(named_attribute: server_(?:address|port))=.*$", re.M), r"\1=X"),
    (re.compile(r"\b[0-9A-F]{10,12}\b"), "QUEUEID"),
    (re.compile(r"\b\w{3}, [ \d]\d \w{3} \d{4} [\d:]{8} \+0000 \(UTC\)"), "DATE"),
    (re.compile(r"<\d{14}\.QUEUEID@"), "<TIMESTAMP.QUEUEID@"),
)


def postcat(path: Path, confdir: Path) -> str:
    text = subprocess.run([str(POSTCAT), "-c", str(confdir), str(path)], check=True,
                          capture_output=True, text=True).stdout
    for pattern, replacement in POSTCAT_MASKS:
        text = pattern.sub(replacement, text)
    return text


def test_queue_file_of_actions() -> None:
    """HOLD, FILTER and REDIRECT (the last one wins), two BCCs and two
    PREPENDs: the held queue files are the same, as postcat shows them."""
    steps: list[StepSpec] = [EHLO, mail("a@example.org")]
    steps += [rcpt(f"{key}@example.com") for key in (
        "hold", "filt2", "filt", "redir", "redir2", "bcc", "bcc2", "prep", "prep2")]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access\n", QUEUE_FILE_ACTIONS) as diff:
        diff.check("actions", [*steps, *DATA, QUIT])
        confdir = diff.postfix.instance.base / "conf"
        theirs = sorted((diff.postfix.instance.base / "queue" / "hold").rglob("*"))
        ours = diff.pyfix.instance.queue_files("hold")
        assert len(theirs) == len(ours) == 1, (theirs, ours)
        expected, actual = postcat(theirs[0], confdir), postcat(ours[0], confdir)
    assert "content_filter: smtp:[127.0.0.1]:10025" in expected
    assert "redirect_to: other2@example.net" in expected
    assert "\nX-Test: prepended\nX-Test2: again\nReceived: " in expected
    assert actual == expected, "\n".join(difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "postfix", "pyfix", lineterm=""))


OPEN_ERROR = (r"^\w+: error: open database ",
              "pyfix's smtpd logs table open errors once, at its start, not in each session")


def test_lookup_error() -> None:
    """A table that cannot be opened: "451 4.3.5 <what>: Class rejected:
    Server configuration error" after the table's warnings; pyfix logs the
    open error when smtpd starts, as Postfix does when its smtpd starts."""
    main_cf = ("smtpd_helo_restrictions = check_helo_access hash:/nonexistent/helo\n"
               "smtpd_client_restrictions = check_client_access hash:/nonexistent/client\n"
               "smtpd_recipient_restrictions = check_recipient_access hash:/nonexistent/rcpt\n")
    steps: list[StepSpec] = [EHLO, mail("a@b.test"), rcpt("x@example.com"), QUIT]
    with differential(main_cf, "") as diff:
        diff.check("client", steps, ignore=[OPEN_ERROR])
        start = diff.pyfix.instance.maillog()
    for name in ("client", "helo", "rcpt"):
        line = f"error: open database /nonexistent/{name}.db: No such file or directory"
        assert start.index(line) < start.index(" connect from "), start
    with differential(main_cf.replace("smtpd_client_restrictions", "#"), "") as diff:
        diff.check("helo", steps, ignore=[OPEN_ERROR])
    with differential(main_cf.split("\n", 2)[2], "") as diff:
        diff.check("recipient", steps, ignore=[OPEN_ERROR])


# The seed's S8 line at compatibility_level 0 (its main.cf has none), with
# "localhost" (the client's name) out of relay_domains = $mydestination.
SEED_S8 = ("mydestination = $myhostname\n"
           "smtpd_recipient_restrictions = permit_mynetworks, reject_non_fqdn_recipient,\n"
           "    check_client_access hash:@FILES@/pop-before-smtp,\n"
           "    check_relay_domains\n")


def test_seed_pop_before_smtp_map_updated_while_running() -> None:
    """The seed's S25: the pop-before-smtp map that S8's
    check_client_access consults is rebuilt while the servers run; the
    next session sees it, without a restart."""
    relay: list[StepSpec] = [EHLO, mail("a@example.org"), rcpt("u@foreign.example"), QUIT]
    diff = Differential(BASE + SEED_S8, files={"pop-before-smtp": "192.0.2.1 OK\n"},
                        unset=("compatibility_level", "smtpd_relay_restrictions",
                               "relay_domains"))
    table = diff.files / "pop-before-smtp"
    subprocess.run(["/usr/sbin/postmap", f"hash:{table}"], check=True)
    with diff:
        before = diff.run("before", relay)
        table.write_text("192.0.2.1 OK\n127.0.0.1 OK\n")
        subprocess.run(["/usr/sbin/postmap", f"hash:{table}"], check=True)
        time.sleep(2)  # pyfix looks for a rebuilt table at most once a second
        after = diff.run("after", relay)
    for name, (postfix, pyfix) in (("before", before), ("after", after)):
        report = describe(name, normalize_steps(relay), postfix, pyfix)
        assert not report, report
    assert b"Relay access denied" in before[1].replies[3]
    assert after[1].replies[3] == b"250 2.1.5 Ok\r\n"


def queue_counts(diff: Differential) -> dict[str, int]:
    """How many queue files each side left in hold and incoming."""
    counts = {}
    for queue in ("hold", "incoming"):
        theirs = [p for p in (diff.postfix.instance.base / "queue" / queue).rglob("*")
                  if p.is_file()]
        counts[f"postfix {queue}"] = len(theirs)
        counts[f"pyfix {queue}"] = len(diff.pyfix.instance.queue_files(queue))
    return counts


@pytest.mark.parametrize("main_cf", [
    "smtpd_delay_reject = no\nsmtpd_client_restrictions = check_client_access "
    "hash:@FILES@/access\n",
    "smtpd_delay_reject = no\nsmtpd_helo_restrictions = check_helo_access "
    "hash:@FILES@/access\n",
    "smtpd_client_restrictions = check_client_access hash:@FILES@/access\n",
])
def test_hold_lasts_as_postfix_keeps_it(main_cf: str) -> None:
    """HOLD found at CONNECT or HELO: which of the session's messages go on
    hold (the warm-up message is in incoming on both sides)."""
    steps: list[StepSpec] = [EHLO, mail("a@b.test"), rcpt("x@example.com"), *DATA,
                             mail("a@b.test"), rcpt("y@example.com"), *DATA, RSET,
                             EHLO, mail("a@b.test"), rcpt("z@example.com"), *DATA, QUIT]
    with differential(main_cf, "localhost HOLD\nclient.example HOLD\n") as diff:
        postfix, pyfix = diff.run("hold", steps)
        time.sleep(1)
        counts = queue_counts(diff)
    report = describe("hold", normalize_steps(steps), _without_message_ids(postfix),
                      _without_message_ids(pyfix))
    assert not report, report
    assert counts["postfix hold"] == counts["pyfix hold"], counts
    assert counts["postfix incoming"] == counts["pyfix incoming"], counts


def test_hold_of_a_rejected_recipient_stays() -> None:
    """A HOLD or FILTER found for a recipient that a later restriction
    rejects still applies to the transaction's message (Postfix does not
    undo it): the same held queue file, content_filter included."""
    table = "hold@example.com HOLD\nfilt@example.com FILTER smtp:x\n"
    steps: list[StepSpec] = [EHLO, mail("a@b.test"), rcpt("hold@example.com"),
                             rcpt("filt@example.com"), rcpt("ok@example.com"), *DATA, QUIT]
    with differential("smtpd_recipient_restrictions = check_recipient_access "
                      "hash:@FILES@/access, check_recipient_access "
                      "inline:{hold@example.com=REJECT, filt@example.com=REJECT}\n",
                      table) as diff:
        postfix, pyfix = diff.run("held", steps)
        time.sleep(1)
        counts = queue_counts(diff)
        confdir = diff.postfix.instance.base / "conf"
        theirs = sorted((diff.postfix.instance.base / "queue" / "hold").rglob("*"))
        ours = diff.pyfix.instance.queue_files("hold")
        queue_files = [postcat(path, confdir) for path in (*theirs, *ours)]
    report = describe("held", normalize_steps(steps), _without_message_ids(postfix),
                      _without_message_ids(pyfix))
    assert not report, report
    assert counts["postfix hold"] == counts["pyfix hold"] == 1, counts
    assert queue_files[0] == queue_files[1]


FORGED_ZONE = """
8.0.0.127.in-addr.arpa.  300 PTR forged.example.com.
9.0.0.127.in-addr.arpa.  300 PTR host9.example.com.
host9.example.com.       300 A   127.0.0.9
"""
UNRESOLVED = (r"warning: hostname \S+ does not resolve to address",
              "smtpd's client name lookup does not log this warning yet (issue 10, the "
              "client hostname checks: reject_unknown_client_hostname and friends)")
REVERSE_TABLE = "forged.example.com REJECT rev\nhost9.example.com REJECT named\n"


@pytest.mark.skipif(dns_skip_reason() is not None, reason=str(dns_skip_reason()))
@pytest.mark.parametrize("check", ["check_client_access",
                                   "check_reverse_client_hostname_access"])
def test_reverse_name_unverified(check: str) -> None:
    """A client whose PTR name (forged.example.com) does not resolve back:
    its client name is "unknown", its reverse name the PTR name; a client
    whose name resolves back has both."""
    diff = Differential(BASE + f"smtpd_client_restrictions = {check} hash:@FILES@/access\n",
                        files={"access": REVERSE_TABLE}, dns_zone=FORGED_ZONE)
    subprocess.run(["/usr/sbin/postmap", f"hash:{diff.files / 'access'}"], check=True)
    steps: list[StepSpec] = [EHLO, mail("a@b.test"), rcpt("x@example.com"), QUIT]
    with diff:
        diff.check("forged", steps, client="127.0.0.8", ignore=[UNRESOLVED])
        diff.check("named", steps, client="127.0.0.9")
