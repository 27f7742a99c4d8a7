"""Unit tests for master.cf parsing and the per-service view."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.config.load import load_config
from pyfix.config.maincf import parse_main_cf
from pyfix.config.mastercf import MasterError, parse_master_entry, read_master_cf
from pyfix.config.store import Config
from pyfix.master.services import service_specs
from tests import oracle

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


# master(5): the wakeup field is seconds between wakeup requests, "-" for
# none, and a trailing "?" makes the wakeup conditional (only while the
# service is in use).  Real Postfix 3.7.11's master runs with each of
# these ("master -c DIR -d"), and "postconf -M" prints the field as
# written.  ("?" and "-?" pass postconf -M too, but Postfix's master exits
# with status 1 on them; see test_wakeup_forms_postconf_accepts.)
WAKEUPS = [("-", 0, False), ("60", 60, False), ("1000?", 1000, True), ("0?", 0, True)]


@pytest.mark.parametrize(("field", "seconds", "conditional"), WAKEUPS)
def test_wakeup_forms(tmp_path: Path, field: str, seconds: int, conditional: bool) -> None:
    line = f"pickup unix n - n {field} 1 pickup"
    assert parse_master_entry(line, _no_warning).wakeup == field
    (tmp_path / "main.cf").write_text("compatibility_level = 3.7\n")
    (tmp_path / "master.cf").write_text(line + "\n")
    specs, skipped = service_specs(load_config(str(tmp_path)))
    assert skipped == []
    assert [(spec.name, spec.wakeup, spec.wakeup_conditional) for spec in specs] == [
        ("pickup", seconds, conditional)]


@pytest.mark.parametrize("field", [field for field, _s, _c in WAKEUPS] + ["?", "-?"])
def test_wakeup_forms_postconf_accepts(tmp_path: Path, field: str) -> None:
    """The field as "postconf -M" checks and prints it, real Postfix beside pyfix."""
    line = f"pickup unix n - n {field} 1 pickup"
    oracle.config_dir(tmp_path)
    (tmp_path / "master.cf").write_text(line + "\n")
    expected = f"pickup     unix  n       -       n       {field:<7} 1       pickup\n"
    ours = subprocess.run([sys.executable, "-m", "pyfix.cli.postconf", "-c", str(tmp_path), "-M"],
                          capture_output=True, text=True, env=oracle.environ(), check=False)
    assert (ours.stdout, ours.stderr) == (expected, "")
    if oracle.missing(oracle.POSTCONF) is None:
        real = oracle.run(oracle.POSTCONF, tmp_path, "-M")
        assert (real.stdout, real.stderr) == (expected, "")


@pytest.mark.parametrize("field", ["x", "5x", "?0"])
def test_bad_wakeup_field(field: str) -> None:
    # postconf -M: fatal: invalid wakeup field "5x" in "pickup unix n - n 5x 1 pickup"
    line = f"pickup unix n - n {field} 1 pickup"
    with pytest.raises(MasterError, match=re.escape(f'invalid wakeup field "{field}" in "{line}"')):
        parse_master_entry(line, _no_warning)


def _no_warning(text: str) -> None:
    raise AssertionError(text)


def test_unbalanced_brace_is_a_warning() -> None:
    warnings: list[str] = []
    entry = parse_master_entry("x unix - - n - - smtpd -o {a = b", warnings.append)
    assert warnings == ["master.cf: missing '}' in \"{a = b\""]
    assert entry.options == {"a": "b"}
