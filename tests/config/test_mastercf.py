"""Unit tests for master.cf parsing and the per-service view."""

from __future__ import annotations

import pytest

from pyfix.config.maincf import parse_main_cf
from pyfix.config.mastercf import MasterError, parse_master_entry, read_master_cf
from pyfix.config.store import Config

SEED_SUBMISSION = """\
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       n       -       -       smtpd
  -o smtpd_etrn_restrictions=reject
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
relay     unix  -       -       n       -       -       smtp
  -o syslog_name=postfix/$service_name
  -o { smtp_helo_name = relay host.example }
  -osmtp_bind_address=127.0.0.2
"""


def _entries(text: str) -> list:  # type: ignore[type-arg]
    warnings: list[str] = []
    entries = read_master_cf("master.cf", text, warnings.append)
    assert warnings == []
    return entries


def test_seed_submission_entry_s1() -> None:
    entries = _entries(SEED_SUBMISSION)
    sub = entries[1]
    assert (sub.name, sub.type, sub.private, sub.unprivileged, sub.chroot) == (
        "submission", "inet", "n", "-", "n")
    assert (sub.wakeup, sub.process_limit, sub.command) == ("-", "-", "smtpd")
    assert sub.options == {
        "smtpd_etrn_restrictions": "reject",
        "smtpd_client_restrictions": "permit_sasl_authenticated,reject",
    }
    assert sub.line == 2


def test_option_forms_are_normalized() -> None:
    relay = _entries(SEED_SUBMISSION)[2]
    assert relay.argv[8:] == [
        "-o", "syslog_name=postfix/$service_name",
        "-o", "smtp_helo_name=relay host.example",
        "-o", "smtp_bind_address=127.0.0.2",
    ]


def test_service_view_sees_its_own_overrides_only() -> None:
    main = parse_main_cf("main.cf", "smtpd_client_restrictions = permit\nmyhostname = h.example\n",
                         lambda _t: None)
    config = Config(main, {}, _entries(SEED_SUBMISSION))
    sub = config.for_service("submission", "inet")
    smtp = config.for_service("smtp", "inet")
    assert sub.get("smtpd_client_restrictions") == "permit_sasl_authenticated,reject"
    assert smtp.get("smtpd_client_restrictions") == "permit"
    assert config.get("smtpd_etrn_restrictions") == ""
    assert sub.get("smtpd_etrn_restrictions") == "reject"
    relay = config.for_service("relay")
    assert relay.get("syslog_name") == "postfix/relay"
    assert relay.get("process_name") == "smtp"
    assert relay.get("smtp_helo_name") == "relay host.example"
    assert config.get("smtp_helo_name") == "h.example"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("smtp inet n - y - -", "bad field count"),
        ("foo bogus n - n - - smtpd", 'invalid type field "bogus" in "foo bogus n - n - - smtpd"'),
        ("foo unix x - n - - smtpd", 'invalid private field "x" in "foo unix x - n - - smtpd"'),
        ("foo unix - yes n - - smtpd",
         'invalid unprivileged field "yes" in "foo unix - yes n - - smtpd"'),
        ("foo unix - - n 6x - smtpd", 'invalid wakeup field "6x" in "foo unix - - n 6x - smtpd"'),
        ("foo unix - - n - -1 smtpd",
         'invalid process_limit field "-1" in "foo unix - - n - -1 smtpd"'),
    ],
)
def test_bad_entries(line: str, message: str) -> None:
    with pytest.raises(MasterError) as info:
        parse_master_entry(line, lambda _t: None)
    assert str(info.value) == message


def test_bad_entry_reports_file_and_line() -> None:
    with pytest.raises(MasterError, match=r"^file master.cf: line 3: bad field count$"):
        read_master_cf("master.cf", "# c\nsmtp inet n - y - - smtpd\nbroken\n", lambda _t: None)


def test_wakeup_forms() -> None:
    for wakeup in ("-", "60", "1000?", "?"):
        parse_master_entry(f"x unix - - n {wakeup} 1 pickup", lambda _t: None)


def test_unbalanced_brace_is_a_warning() -> None:
    warnings: list[str] = []
    entry = parse_master_entry("x unix - - n - - smtpd -o {a = b", warnings.append)
    assert warnings == ["master.cf: missing '}' in \"{a = b\""]
    assert entry.options == {"a": "b"}
