"""The cleanup service's configuration view and its typed settings."""

from __future__ import annotations

from pathlib import Path

from pyfix.cleanup import CleanupService, cleanup_config
from pyfix.cleanup.settings import CleanupSettings, unescape
from pyfix.config.load import load_config
from pyfix.config.store import Config

MASTER_CF = """\
smtp      inet  n       -       n       -       -       smtpd
  -o header_checks=regexp:/smtpd/own
submission inet n       -       n       -       -       smtpd
  -o cleanup_service_name=pre-cleanup
cleanup   unix  n       -       n       -       0       cleanup
  -o hopcount_limit=10
pre-cleanup unix n      -       n       -       0       cleanup
  -o hopcount_limit=20
  -o syslog_name=postfix/pre
"""


def _config(tmp_path: Path, master_cf: str = MASTER_CF) -> Config:
    (tmp_path / "main.cf").write_text("hopcount_limit = 30\nheader_checks = regexp:/main\n")
    (tmp_path / "master.cf").write_text(master_cf)
    return load_config(str(tmp_path))


def test_view_of_the_named_cleanup_service(tmp_path: Path) -> None:
    config = _config(tmp_path)
    smtp = cleanup_config(config.for_service("smtp", "inet"))
    assert smtp.get("hopcount_limit") == "10"
    assert smtp.get("header_checks") == "regexp:/main"  # not smtpd's own -o
    assert smtp.get("process_name") == "cleanup"
    submission = cleanup_config(config.for_service("submission", "inet"))
    assert submission.get("hopcount_limit") == "20"
    assert submission.get("syslog_name") == "postfix/pre"
    assert submission.get("service_name") == "pre-cleanup"


def test_main_cf_when_master_cf_lacks_the_service(tmp_path: Path) -> None:
    config = _config(tmp_path, "smtp inet n - n - - smtpd -o hopcount_limit=5\n")
    view = cleanup_config(config.for_service("smtp", "inet"))
    assert view.get("hopcount_limit") == "30"
    assert view.get("process_name") == "cleanup"
    assert view.scope is None


def test_for_client_logs_as_cleanup(tmp_path: Path) -> None:
    config = _config(tmp_path)
    service = CleanupService.for_client(config.for_service("submission", "inet"))
    assert service.log.tag == "postfix/pre/cleanup"
    assert service.settings.hopcount_limit == 20


def test_settings_types(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        "delay_warning_time = 4h\nmessage_drop_headers = Bcc, X-Foo\n"
        "message_reject_characters = \\0\\t\nmessage_strip_characters = \\177\n"
        "info_log_address_format = internal\nmyorigin = origin.example\n")
    settings = CleanupSettings.from_config(load_config(str(tmp_path), need_master=False))
    assert settings.delay_warning_time == 4 * 3600
    assert settings.drop_headers == frozenset({"bcc", "x-foo"})
    assert settings.reject_chars == b"\0\t"
    assert settings.strip_chars == b"\x7f"
    assert settings.info_log_external is False
    assert settings.myorigin == "origin.example"
    assert settings.replace_stray_cr_lf is True  # pyfix's default, as Postfix 3.9


def test_unescape() -> None:
    assert unescape(r"\a\b\f\n\r\t\v") == b"\a\b\f\n\r\t\v"
    assert unescape(r"\0\01\101\1011") == b"\0\x01A" + b"A1"
    assert unescape(r"x\\y\q\\") == b"x\\yq\\"
    assert unescape("\\") == b"\\"
