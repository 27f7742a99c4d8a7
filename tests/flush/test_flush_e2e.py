"""flush(8) end to end: a real pyfix master, mail deferred per site, then
ETRN, postqueue -s and postqueue -i deliver only what they name.

Mail for a.example, b.example and c.example is routed to the retry
transport (the error agent, which defers); main.cf is then rewritten to
route it to discard and the system reloaded.  The replies and messages
are Postfix 3.7.11's (smtpd/smtpd.c etrn_cmd(), postqueue/postqueue.c
flush_site() and flush_file()).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.instance import DELIVERY_MASTER_CF, Instance, wait_for

MESSAGE = b"Subject: test\r\nFrom: a@b.example\r\n\r\nhello\r\n"
Make = Callable[..., Instance]
SITES = ("a.example", "b.example", "c.example")
# smtpd_reject_unlisted_recipient: Postfix's smtpd (and pyfix's) refuses
# recipients that trivial-rewrite sends to the retry transport at RCPT time.
MAIN_CF = ("minimal_backoff_time = 1000s\nmaximal_backoff_time = 1000s\n"
           "relay_domains = a.example, b.example\nsmtpd_reject_unlisted_recipient = no\n")


def routes(transport: str) -> str:
    maps = ", ".join(f"{site}={transport}:{site}" for site in SITES)
    return f"transport_maps = inline:{{ {maps} }}\n"


def send(inst: Instance, rcpt: str) -> str:
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.mail("a@b.example")[0] == 250
        assert client.rcpt(rcpt)[0] == 250
        code, text = client.data(MESSAGE)
        assert code == 250, text
    match = re.search(rb"queued as (\w+)", text)
    assert match
    return match.group(1).decode()


def deferred_ids(inst: Instance) -> set[str]:
    return {path.name for path in inst.queue_files("deferred")}


def deferred_system(make: Make, master_cf: str = DELIVERY_MASTER_CF,
                    ) -> tuple[Instance, dict[str, str]]:
    """A running system with one deferred message per site, then routed to discard."""
    inst = make(MAIN_CF + routes("retry"), master_cf)
    ids = {site: send(inst, f"user@{site}") for site in SITES}
    for queue_id in ids.values():
        inst.wait_log(f"{queue_id}: to=<")
    assert wait_for(lambda: deferred_ids(inst) == set(ids.values()))
    main_cf = inst.etc / "main.cf"
    main_cf.write_text(main_cf.read_text().replace(routes("retry"), routes("discard")))
    assert inst.postfix("reload").returncode == 0
    inst.wait_log("reload -- version pyfix")
    return inst, ids


def flush_log(inst: Instance, name: str) -> str:
    path = Path(inst.spool / "flush" / name)
    return path.read_text() if path.exists() else ""


def test_etrn_delivers_only_the_mail_deferred_for_that_site(pyfix_instance: Make) -> None:
    inst, ids = deferred_system(pyfix_instance)
    # Logged per eligible recipient domain; c.example is not in fast_flush_domains.
    assert flush_log(inst, "a_example") == f"{ids['a.example']}\n"
    assert flush_log(inst, "b_example") == f"{ids['b.example']}\n"
    assert not (inst.spool / "flush" / "c_example").exists()
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.docmd("ETRN", "a.example") == (250, b"Queuing started")
        assert client.docmd("ETRN", "c.example") == (459, b"<c.example>: service unavailable")
    log = inst.wait_log(f"{ids['a.example']}: removed")
    assert re.search(rf"{ids['a.example']}: to=<user@a.example>, relay=none, .*status=sent",
                     log)
    warnings = [line.split("warning: ")[1] for line in log.splitlines() if "warning: " in line]
    assert warnings == ["reject: ETRN c.example... from localhost[127.0.0.1]"]
    assert flush_log(inst, "a_example") == ""  # truncated by the send
    assert deferred_ids(inst) == {ids["b.example"], ids["c.example"]}
    assert f"{ids['b.example']}: removed" not in inst.maillog()


def test_postqueue_site_and_queue_id(pyfix_instance: Make) -> None:
    inst, ids = deferred_system(pyfix_instance)
    result = inst.command("postqueue", "-s", "b.example")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    inst.wait_log(f"{ids['b.example']}: removed")
    result = inst.command("postqueue", "-i", ids["c.example"])  # any deferred message
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    inst.wait_log(f"{ids['c.example']}: removed")
    assert deferred_ids(inst) == {ids["a.example"]}
    # A well-formed queue ID that is not in the queue is not an error.
    assert inst.command("postqueue", "-i", "ABCDEF1234").returncode == 0
    result = inst.command("postqueue", "-s", "c.example")
    assert result.returncode == 69
    assert result.stderr == (
        'postqueue: fatal: Flush service is not configured for destination "c.example"\n')
    assert deferred_ids(inst) == {ids["a.example"]}
    result = inst.command("sendmail", "-qRa.example")  # runs postqueue -s
    assert (result.returncode, result.stderr) == (0, "")
    inst.wait_log(f"{ids['a.example']}: removed")


def test_without_the_flush_service(pyfix_instance: Make) -> None:
    without_flush = "".join(line + "\n" for line in DELIVERY_MASTER_CF.splitlines()
                            if not line.startswith("flush "))
    inst = pyfix_instance(MAIN_CF + routes("retry"), without_flush)
    # defer_append(): "QUEUEID: flush service failure" for an eligible domain only.
    queue_id = send(inst, "user@a.example")
    inst.wait_log(f"warning: {queue_id}: flush service failure")
    other = send(inst, "user@c.example")
    inst.wait_log(f"{other}: to=<user@c.example>")
    assert f"{other}: flush service failure" not in inst.maillog()
    with inst.smtp() as client:
        client.ehlo("client.example")
        assert client.docmd("ETRN", "a.example") == (458, b"Unable to queue messages")
        assert client.docmd("ETRN", "c.example") == (459, b"<c.example>: service unavailable")
    log = inst.maillog()
    assert re.search(r"warning: connect to public/flush: No such file or directory\n"
                     r".*warning: unable to talk to fast flush service\n", log)
    for option, argument in (("-s", "a.example"), ("-i", "ABCDEF1234")):
        result = inst.command("postqueue", option, argument)
        assert result.returncode == 69
        assert result.stderr == (  # as Postfix 3.7.11's postqueue
            "postqueue: warning: connect to public/flush: No such file or directory\n"
            "postqueue: fatal: Cannot flush mail queue - mail system is down\n")
