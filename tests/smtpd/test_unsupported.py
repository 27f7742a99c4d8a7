"""A parameter that pyfix does not implement is never ignored silently.

Real pyfix instances (master, smtpd, ...) on loopback, driven with
smtplib: an unsupported setting is a warning that the service logs once
at start, not once per mail; a setting that guards mail (a milter, a
content filter, the PROXY protocol, an address mapping) stops smtpd
with a fatal line, the master throttles it, and no mail gets in.
"postfix check" prints the same lines.  smtpd_milters with milter_default_action
tempfail or accept are answered as Postfix answers an unreachable
milter: tests/smtpd/test_milter_gate.py.
"""

from __future__ import annotations

import re
import smtplib
import socket
import time
from collections.abc import Callable

import pytest

from tests.instance import DELIVERY_MASTER_CF, Instance, wait_for

MESSAGE = "Subject: test\r\n\r\nhello\r\n"
NOT_SUPPORTED = "is not supported by pyfix yet"


def _send(inst: Instance) -> None:
    with inst.smtp() as client:
        client.sendmail("a@example.org", ["root@mail.example.com"], MESSAGE)


def _smtpd_lines(inst: Instance, level: str) -> list[str]:
    return re.findall(rf"postfix/smtpd\[\d+\]: {level}: (.*)", inst.maillog())


def test_unsupported_setting_is_one_warning_per_start(
        pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("smtpd_tls_security_level = may\n"
                          "smtpd_milters = inet:127.0.0.1:9\n"
                          "milter_default_action = accept\n")
    inst.expect_unsupported = True
    label = f"127.0.0.1:{inst.port}/inet"
    _send(inst)
    inst.wait_log("status=")
    warned = _smtpd_lines(inst, "warning")
    expected = {f"{label}: parameter smtpd_tls_security_level = may {NOT_SUPPORTED}",
                f"{label}: parameter smtpd_milters = inet:127.0.0.1:9 {NOT_SUPPORTED}"}
    assert expected <= set(warned), warned
    before = len(warned)
    _send(inst)
    _send(inst)
    time.sleep(0.5)
    assert len(_smtpd_lines(inst, "warning")) == before  # at start, not per mail
    # every smtpd process warned once for each setting at its start
    starts = {pid for pid in re.findall(r"postfix/smtpd\[(\d+)\]: warning: " + re.escape(label)
                                        + ": parameter smtpd_tls", inst.maillog())}
    assert len(starts) == warned.count(next(iter(sorted(expected))))


@pytest.mark.parametrize(("main_cf", "master_o", "setting", "reason"), [
    ("smtpd_milters = inet:127.0.0.1:9\nmilter_default_action = reject\n", "",
     "smtpd_milters = inet:127.0.0.1:9",
     "mail would pass without the milter's checks (milter_default_action = reject)"),
    ("", "  -o content_filter=scan:[127.0.0.1]:10025\n",
     "content_filter = scan:[127.0.0.1]:10025", "mail would bypass the content filter"),
    ("smtpd_upstream_proxy_protocol = haproxy\n", "", "smtpd_upstream_proxy_protocol = haproxy",
     "the proxy's PROXY header would not be read, and clients would be taken for the proxy"),
    ("canonical_maps = inline:{a@example.org=b@example.org}\n", "",
     "canonical_maps = inline:{a@example.org=b@example.org}",
     "addresses would not be rewritten as it says"),
])
def test_guard_keeps_smtpd_from_accepting(pyfix_instance: Callable[..., Instance],
                                          main_cf: str, master_o: str, setting: str,
                                          reason: str) -> None:
    inst = pyfix_instance(main_cf, master_o + DELIVERY_MASTER_CF)
    inst.expect_unsupported = True
    label = f"127.0.0.1:{inst.port}/inet"
    service = "cleanup" if setting.startswith("canonical_maps") else label
    line = (f"fatal: {service}: parameter {setting} {NOT_SUPPORTED}, and {service} "
            f"will not run without it: {reason}")
    inst.wait_log(line)
    inst.wait_log("warning: pyfix/smtpd: bad command startup -- throttling")
    # The master holds the socket; nobody greets, nothing is accepted.
    with pytest.raises((smtplib.SMTPServerDisconnected, socket.timeout, OSError)):
        client = smtplib.SMTP(inst.host, inst.port, timeout=3)
        client.sendmail("a@example.org", ["root@mail.example.com"], MESSAGE)
    assert inst.queue_files("incoming") == [] and inst.queue_files("active") == []
    # postfix check says the same
    check = inst.postfix("check")
    assert check.returncode == 0, check.stderr
    assert f"postfix: warning: {line.removeprefix('fatal: ')}\n" in check.stderr


def test_postfix_check_lists_every_unsupported_setting(
        pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("smtp_tls_security_level = encrypt\n"
                          "smtpd_sasl_auth_enable = yes\nmax_use = 10\n", start=False)
    check = inst.postfix("check")
    assert check.returncode == 0, check.stderr
    label = f"127.0.0.1:{inst.port}/inet"
    lines = check.stderr.splitlines()
    for line in [
        f"postfix: warning: {label}: parameter smtpd_sasl_auth_enable = yes {NOT_SUPPORTED}",
        f"postfix: warning: {label}: parameter max_use = 10 {NOT_SUPPORTED}",
        f"postfix: warning: pickup/unix: parameter max_use = 10 {NOT_SUPPORTED}",
        f"postfix: warning: smtp/unix: parameter smtp_tls_security_level = encrypt "
        f"{NOT_SUPPORTED}, and smtp/unix will not run without it: mail would be sent "
        "without the TLS that it requires",
        f"postfix: warning: relay/unix: parameter smtp_tls_security_level = encrypt "
        f"{NOT_SUPPORTED}, and relay/unix will not run without it: mail would be sent "
        "without the TLS that it requires",
    ]:
        assert line in lines, check.stderr
    assert len(lines) == len(set(lines))  # once each


def test_quiet_configuration(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("")
    _send(inst)
    assert wait_for(lambda: "status=" in inst.maillog())
    assert NOT_SUPPORTED not in inst.maillog()
    assert inst.postfix("check").stderr == ""


def test_tls_requirement_keeps_mail_in_the_queue(pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("smtp_tls_security_level = encrypt\n"
                          "relayhost = [127.0.0.1]:9\n")
    inst.expect_unsupported = True
    with inst.smtp() as client:
        client.sendmail("a@example.org", ["someone@example.net"], MESSAGE)
    inst.wait_log("fatal: smtp/unix: parameter smtp_tls_security_level = encrypt "
                  f"{NOT_SUPPORTED}, and smtp/unix will not run without it: mail would be "
                  "sent without the TLS that it requires")
    inst.wait_log("warning: pyfix/smtp: bad command startup -- throttling")
    time.sleep(1)
    log = inst.maillog()
    assert "status=sent" not in log and "status=bounced" not in log
    assert inst.queue_files("active") + inst.queue_files("deferred") + \
        inst.queue_files("incoming") != []


def test_master_service_disable_keeps_the_master_from_starting(
        pyfix_instance: Callable[..., Instance]) -> None:
    inst = pyfix_instance("master_service_disable = inet\nimport_environment = TZ\n",
                          start=False)
    inst.expect_unsupported = True
    line = (f"master: parameter master_service_disable = inet {NOT_SUPPORTED}, and master "
            "will not run without it: the services that it disables would run")
    result = inst.postfix("start")
    assert result.returncode == 1
    assert f"postfix: warning: {line}\n" in result.stderr
    assert f"postfix: warning: master: parameter import_environment = TZ {NOT_SUPPORTED}\n" \
        in result.stderr
    assert "fatal: mail system startup failed" in result.stderr
    inst.wait_log("postfix/master[")
    assert re.search(rf"postfix/master\[\d+\]: fatal: {re.escape(line)}\n", inst.maillog())
    assert not wait_for(lambda: inst._listening(), 1)
