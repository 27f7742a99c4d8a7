"""Unit tests for main.cf and master.cf editing."""

from __future__ import annotations

import os

import pytest

from pyfix.config.edit import COMMENT, EDIT, EXCLUDE, EditError, edit_main_cf, edit_main_text
from pyfix.config.masteredit import ENTRY, PARAM, MasterEditError, edit_master_text

MAIN = "# top\nmyhostname = a.example\nmydestination = $myhostname,\n  localhost\n# tail\n"


def edit(mode: str, requests: dict[str, str | None], text: str = MAIN) -> tuple[str, list[str]]:
    warnings: list[str] = []
    return edit_main_text(text, "main.cf", mode, requests, warnings.append), warnings


def test_edit_replaces_in_place_and_appends_new() -> None:
    out, _ = edit(EDIT, {"mydestination": "x", "relayhost": "[10.0.0.1]"})
    assert out == "# top\nmyhostname = a.example\nmydestination = x\n# tail\nrelayhost = [10.0.0.1]\n"


def test_exclude_and_comment() -> None:
    assert edit(EXCLUDE, {"mydestination": None})[0] == "# top\nmyhostname = a.example\n# tail\n"
    assert edit(COMMENT, {"mydestination": None})[0] == (
        "# top\nmyhostname = a.example\n#mydestination = $myhostname,\n#  localhost\n# tail\n")


def test_multiple_entries_warns() -> None:
    out, warnings = edit(EDIT, {"a": "3"}, "a = 1\na = 2\n")
    assert out == "a = 3\na = 3\n"
    assert warnings == ['main.cf: multiple entries for "a"']


def test_edit_file_is_atomic_and_keeps_mode(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "main.cf")
    with open(path, "w") as fh:
        fh.write(MAIN)
    os.chmod(path, 0o640)
    edit_main_cf(path, EDIT, ["myhostname = b.example"], lambda _t: None)
    with open(path) as fh:
        assert "myhostname = b.example\n" in fh.read()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["main.cf"]


@pytest.mark.parametrize(
    ("mode", "arg", "message"),
    [
        (EDIT, "a\nb=c", "-e, -X, or -# accepts no multi-line input"),
        (EDIT, "# a=b", "-e, -X, or -# accepts no comment input"),
        (EDIT, "novalue", "missing '=' after attribute name: \"novalue\""),
        (EXCLUDE, "a=b", "-X or -# requires parameter names without value"),
    ],
)
def test_bad_requests(mode: str, arg: str, message: str, tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "main.cf")
    with open(path, "w") as fh:
        fh.write(MAIN)
    with pytest.raises(EditError) as info:
        edit_main_cf(path, mode, [arg], lambda _t: None)
    assert str(info.value) == message


MASTER = """\
smtp      inet  n       -       y       -       -       smtpd
#submission inet n       -       y       -       -       smtpd
relay     unix  -       -       n       -       -       smtp
  -o syslog_name=postfix/$service_name
"""


def test_master_entry_replace_and_append() -> None:
    out = edit_master_text(MASTER, "master.cf", ENTRY, EDIT, [
        "relay/unix = relay unix - - n - - smtp -o smtp_helo_name=x",
        "submission/inet = submission inet n - n - - smtpd -o smtpd_etrn_restrictions=reject",
    ], lambda _t: None)
    assert out.splitlines() == [
        "smtp      inet  n       -       y       -       -       smtpd",
        "#submission inet n       -       y       -       -       smtpd",
        "relay      unix  -       -       n       -       -       smtp",
        "    -o smtp_helo_name=x",
        "submission inet  n       -       n       -       -       smtpd",
        "    -o smtpd_etrn_restrictions=reject",
    ]


def test_master_remove_comment_and_param() -> None:
    out = edit_master_text(MASTER, "master.cf", ENTRY, EXCLUDE, ["relay/unix"], lambda _t: None)
    assert "relay" not in out and "syslog_name" not in out
    out = edit_master_text(MASTER, "master.cf", ENTRY, COMMENT, ["relay/unix"], lambda _t: None)
    assert "#relay     unix" in out and "#  -o syslog_name" in out
    out = edit_master_text(MASTER, "master.cf", PARAM, EDIT,
                           ["relay/unix/smtp_bind_address=127.0.0.2"], lambda _t: None)
    assert "-o syslog_name=postfix/$service_name\n    -o smtp_bind_address=127.0.0.2" in out
    out = edit_master_text(MASTER, "master.cf", PARAM, EXCLUDE,
                           ["relay/unix/syslog_name"], lambda _t: None)
    assert "syslog_name" not in out


def test_master_edit_errors() -> None:
    with pytest.raises(MasterEditError, match="requires service_name/type"):
        edit_master_text(MASTER, "master.cf", ENTRY, EXCLUDE, ["relay"], lambda _t: None)
    with pytest.raises(MasterEditError, match="bad field count"):
        edit_master_text(MASTER, "master.cf", ENTRY, EDIT, ["a/unix = a unix"], lambda _t: None)
