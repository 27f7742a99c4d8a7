"""A table that a daemon cannot open: Postfix logs "error: open database
PATH: No such file or directory" in the process that opens it (seen side
by side in tests/smtpd/test_reject_log_live.py, group lookup_open_error),
then fails each lookup.  pyfix's smtpd logs the same line once, when it
starts, and its lookups fail with Postfix's warnings and 451 4.3.0."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.instance import Instance

MAIN_CF = ("local_recipient_maps = hash:/nonexistent/users\n"
           "mydestination = localhost\n")


def test_open_error_logged_once_at_start(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance(MAIN_CF)
    for _ in range(2):
        with inst.smtp() as client:
            client.ehlo("client.example")
            client.mail("s@example.org")
            code, text = client.rcpt("ghost@localhost")
            assert (code, text) == (451, b"4.3.0 <ghost@localhost>: Temporary lookup failure")
            client.quit()
    inst.wait_log(" disconnect from ", count=2)
    log = inst.maillog()
    errors = re.findall(r"postfix/smtpd\[(\d+)\]: error: open database /nonexistent/users\.db: "
                        r"No such file or directory\n", log)
    # once per smtpd process, before its first session
    assert errors and len(errors) == len(set(errors)), log
    assert log.index("error: open database") < log.index(" connect from ")
    assert log.count('warning: hash:/nonexistent/users lookup error for "ghost@localhost"') == 2
