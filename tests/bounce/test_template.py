"""bounce_template_file parsing and template expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyfix.bounce.template import (
    DEFAULT_DELAY,
    DEFAULT_SUCCESS,
    TemplateError,
    expand_text,
    load_templates,
)
from pyfix.delivery.dsn import Dsn
from tests.bounce.helpers import Sandbox

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bounce"


def test_built_in_texts_match_postconf_b() -> None:
    """postconf -b (recorded) is the built-in templates, expanded."""
    recorded = (GOLDEN / "postconf-b.txt").read_text()
    warnings: list[str] = []
    times = {"delay_warning_time": 1, "maximal_queue_lifetime": 5}
    delay = expand_text(DEFAULT_DELAY, {"myhostname": "mail.example.com"}.get, times,
                        warnings.append)
    assert "expanded_delay_text = <<EOF\n" + "\n".join(delay) + "\nEOF\n" in recorded
    success = expand_text(DEFAULT_SUCCESS, {"myhostname": "mail.example.com"}.get, times,
                          warnings.append)
    assert "expanded_success_text = <<EOF\n" + "\n".join(success) + "\nEOF\n" in recorded
    assert warnings[0] == ('[built-in]: zero result in delay template conversion of '
                           'parameter "delay_warning_time_hours"')


def test_template_file(tmp_path: Path) -> None:
    path = tmp_path / "bounce.cf"
    path.write_text(
        "# comment\n"
        "failure_template = <<END\n"
        "Charset: utf-8\n"
        "From: Postmeister <MAILER-DAEMON>\n"
        "Subject: Unzustellbar\n"
        "\n"
        "Hier ist $myhostname: Ihre Nachricht ist unzustellbar – leider.\n"
        "END\n"
        "delay_template = <<EOF\n"
        "Bogus: label\n"
        "\n"
        "text\n"
        "EOF\n"
        "nonsense_template = <<EOF\n"
        "x\n"
        "EOF\n")
    box = Sandbox(tmp_path, {"bounce_template_file": str(path)})
    service = box.bounce()
    failure = service.settings.templates.failure
    assert (failure.subject, failure.charset, failure.encoding) == \
        ("Unzustellbar", "utf-8", "8bit")
    assert service.settings.templates.delay == DEFAULT_DELAY
    lines = box.log_lines()
    assert (f'warning: {path}: unknown "Bogus" header label in delay template '
            "-- ignoring this template") in lines
    assert f"warning: {path}, line 14: unknown template name: nonsense_template " \
           "-- ignoring this template" in lines
    message = box.submit()
    box.log("bounce", message, Dsn.bounce("User unknown", "5.1.1"))
    assert service.bounce_flush(message)
    [notice] = box.notices(exclude=message)
    assert notice.message["Subject"] == "Unzustellbar"
    assert notice.message["From"] == "Postmeister <MAILER-DAEMON@mail.example.com>"
    text = notice.parts[0].get_content()
    assert "Hier ist mail.example.com: Ihre Nachricht ist unzustellbar – leider." in text
    assert notice.parts[0].get_content_charset() == "utf-8"


def test_template_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.cf"
    path.write_text("failure_template = <<\n")
    with pytest.raises(TemplateError, match="line 1: missing end marker after <<"):
        load_templates(str(path), print)
    path.write_text("success_template = <<EOF\n\nHello $no_such_parameter\nEOF\n")
    success = load_templates(str(path), print).success
    with pytest.raises(TemplateError, match=r"undefined \$name in success template"):
        expand_text(success, lambda name: None, {}, print)
