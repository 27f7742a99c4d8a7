"""`postfix check` (seed feature S7): silent on a good setup, Postfix's fatal texts otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MASTER = REPO / "tests/golden/postconf/fixtures/submission/master.cf"
REAL_POSTFIX = "/usr/sbin/postfix"


def make_config(tmp_path: Path, main_cf: str) -> Path:
    confdir = tmp_path / "etc"
    confdir.mkdir()
    (confdir / "main.cf").write_text(main_cf)
    shutil.copy(MASTER, confdir / "master.cf")
    os.chmod(confdir, 0o755)
    return confdir


def good_main_cf(tmp_path: Path) -> str:
    queue = tmp_path / "spool"
    data = tmp_path / "data"
    queue.mkdir(mode=0o755)
    data.mkdir(mode=0o755)
    return (
        "compatibility_level = 3.7\n"
        f"queue_directory = {queue}\n"
        f"data_directory = {data}\n"
        "myhostname = mail.example.com\n"
        "mydestination = $myhostname, localhost.$mydomain, $mydomain\n"
        "message_size_limit = 31457280\n"
        "mailbox_size_limit = 409600000\n"
        "disable_vrfy_command = yes\n"
        "smtpd_helo_required = yes\n"
    )


def pyfix_check(confdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MAIL_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "pyfix.cli.postfix", "-c", str(confdir), "check"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )


SASL_OPTION = "  -o { smtpd_sasl_security_options = noanonymous, noplaintext }\n"


def test_good_setup_is_silent_s7(tmp_path: Path) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path))
    master_cf = (confdir / "master.cf").read_text()
    assert SASL_OPTION in master_cf
    (confdir / "master.cf").write_text(master_cf.replace(SASL_OPTION, ""))
    result = pyfix_check(confdir)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_unsupported_setting_is_named(tmp_path: Path) -> None:
    """The fixture's submission service sets a SASL option: SASL is not
    implemented yet, and postfix check says so (pyfix.config.support)."""
    result = pyfix_check(make_config(tmp_path, good_main_cf(tmp_path)))
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == ("postfix: warning: submission/inet: parameter "
                             "smtpd_sasl_security_options = noanonymous, noplaintext is not "
                             "supported by pyfix yet\n")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("broken line", '/main.cf, line 10: missing \'=\' after attribute name: "broken line"'),
        ("disable_vrfy_command = maybe", "bad boolean configuration: disable_vrfy_command = maybe"),
        ("message_size_limit = 10k", "bad numerical configuration: message_size_limit = 10k"),
        ("smtpd_recipient_limit = 0", "invalid smtpd_recipient_limit parameter value 0 < 1"),
        ("queue_run_delay = 5x", "parameter queue_run_delay: bad time value or unit: 5x"),
        ("relayhost = $relayhost", "macro processing error"),
    ],
)
def test_bad_values_are_fatal(tmp_path: Path, setting: str, message: str) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path) + setting + "\n")
    result = pyfix_check(confdir)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("postfix: fatal: ")
    assert result.stderr.splitlines()[-1].endswith(message)
    assert "Traceback" not in result.stderr


def test_bad_master_cf_is_fatal(tmp_path: Path) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path))
    with open(confdir / "master.cf", "a") as fh:
        fh.write("foo bogus n - n - - smtpd\n")
    result = pyfix_check(confdir)
    assert result.returncode == 1
    assert result.stderr == (
        'postfix: fatal: invalid type field "bogus" in "foo bogus n - n - - smtpd"\n'
    )


def test_missing_master_cf(tmp_path: Path) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path))
    (confdir / "master.cf").unlink()
    result = pyfix_check(confdir)
    assert result.returncode == 1
    assert result.stderr == f"postfix/postfix-script: fatal: no {confdir}/master.cf file found\n"


def test_old_compatibility_level_notice(tmp_path: Path) -> None:
    main_cf = good_main_cf(tmp_path).replace("compatibility_level = 3.7\n", "")
    confdir = make_config(tmp_path, main_cf)
    master_cf = (confdir / "master.cf").read_text()
    (confdir / "master.cf").write_text(master_cf.replace(SASL_OPTION, ""))
    result = pyfix_check(confdir)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "postfix: Postfix is using backwards-compatible default settings",
        "postfix: See http://www.postfix.org/COMPATIBILITY_README.html for details",
        'postfix: To disable backwards compatibility use "postconf compatibility_level=3.6" and "postfix reload"',
    ]


def test_writable_config_directory_warns(tmp_path: Path) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path))
    os.chmod(confdir, 0o777)
    result = pyfix_check(confdir)
    assert result.returncode == 0
    assert f"postfix/postfix-script: warning: group or other writable: {confdir}/." in result.stderr


def test_unknown_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pyfix.cli.postfix", "frobnicate"],
                            capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("postfix/postfix-script: fatal: unknown command: 'frobnicate'. Usage: postfix start")


def _real_check(confdir: Path) -> str:
    """Run Postfix's `postfix check` under a pseudo-terminal: it only prints on a tty."""
    result = subprocess.run(
        ["script", "-qec", f"{REAL_POSTFIX} -c {confdir} check", "/dev/null"],
        capture_output=True, text=True, check=False,
    )
    return result.stdout.replace("\r\n", "\n")


@pytest.mark.skipif(not os.path.exists(REAL_POSTFIX) or shutil.which("script") is None,
                    reason="real Postfix (Debian package postfix) or script(1) not installed")
@pytest.mark.parametrize("setting", ["", "broken line", "message_size_limit = 10k"])
def test_live_same_verdict_as_postfix(tmp_path: Path, setting: str) -> None:
    confdir = make_config(tmp_path, good_main_cf(tmp_path) + setting + "\n")
    if os.geteuid() != 0:
        pytest.skip("Postfix's postfix check needs root")
    real = _real_check(confdir)
    ours = pyfix_check(confdir)
    real_fatal = [line for line in real.splitlines() if "fatal:" in line]
    our_fatal = [line for line in ours.stderr.splitlines() if "fatal:" in line]
    assert our_fatal == real_fatal
