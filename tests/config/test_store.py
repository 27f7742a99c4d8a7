"""Unit tests for layered lookup, computed defaults and typed getters."""

from __future__ import annotations

import socket

import pytest

from pyfix.config.maincf import MainCfError, parse_main_cf, read_main_cf
from pyfix.config.store import Config, ExpansionError
from pyfix.config.types import ConfigValueError


def config(text: str, **overrides: str) -> Config:
    return Config(parse_main_cf("main.cf", text, lambda _t: None), dict(overrides))


def test_later_definition_wins_with_warning() -> None:
    warnings: list[str] = []
    main = parse_main_cf("main.cf", "a = 1\na = 2\nb = 1\nb = 1\n", warnings.append)
    assert main.params == {"a": "2", "b": "1"}
    assert warnings == ["main.cf, line 2: overriding earlier entry: a=1"]


def test_missing_equals_is_fatal_with_file_and_line() -> None:
    with pytest.raises(MainCfError) as info:
        parse_main_cf("/x/main.cf", "a = 1\n\nbroken line\n", lambda _t: None)
    assert str(info.value) == '/x/main.cf, line 3: missing \'=\' after attribute name: "broken line"'


def test_missing_file() -> None:
    with pytest.raises(MainCfError, match=r"^open /nonexistent/main.cf: No such file or directory$"):
        read_main_cf("/nonexistent/main.cf", lambda _t: None)


def test_defaults_and_expansion() -> None:
    cfg = config("myhostname = mx.example.com\nmydomain = example.com\n")
    assert cfg.get("myorigin") == "mx.example.com"
    assert cfg.get("mydestination") == "mx.example.com, localhost.example.com, localhost"
    assert cfg.get("smtpd_banner") == "mx.example.com ESMTP Postfix"
    assert cfg.get_list("mydestination") == ["mx.example.com", "localhost.example.com",
                                              "localhost"]


def test_pyfix_security_defaults() -> None:
    cfg = config("")
    assert cfg.get("smtpd_forbid_bare_newline") == "normalize"
    assert cfg.get_bool("smtpd_forbid_unauth_pipelining") is True


def test_compatibility_level_switches_defaults() -> None:
    assert config("").get("mynetworks_style") == "subnet"
    assert config("compatibility_level = 3.6\n").get("mynetworks_style") == "host"
    assert config("compatibility_level = 3.6\n").get("relay_domains") == ""
    assert config("").get("relay_domains") != ""
    # smtpd_relay_restrictions follows the level too (Postfix 3.0 and later).
    assert config("").get("smtpd_relay_restrictions") == ""
    assert config("compatibility_level = 0\n").get("smtpd_relay_restrictions") == ""
    for level in ("1", "2", "3.6"):
        assert config(f"compatibility_level = {level}\n").get_list(
            "smtpd_relay_restrictions") == [
            "permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination"]


def test_computed_hostname_and_domain() -> None:
    host = socket.gethostname()
    cfg = config("mydomain = example.org\n")
    expected = host if "." in host else f"{host}.example.org"
    assert cfg.get("myhostname") == expected
    assert config("myhostname = a.b.example\n").get("mydomain") == "b.example"


def test_computed_mynetworks_contains_loopback() -> None:
    nets = config("").get_list("mynetworks")
    assert "127.0.0.0/8" in nets
    assert "127.0.0.1/32" in config("mynetworks_style = host\n").get_list("mynetworks")


def test_overrides_beat_main_cf() -> None:
    cfg = config("message_size_limit = 1000\n", message_size_limit="2000")
    assert cfg.get_long("message_size_limit") == 2000


def test_typed_getters_report_postfix_text() -> None:
    cfg = config("disable_vrfy_command = maybe\nmessage_size_limit = 10k\n"
                 "queue_run_delay = 5x\nmaximal_queue_lifetime = 5\n")
    with pytest.raises(ConfigValueError, match="bad boolean configuration: disable_vrfy_command"):
        cfg.get_bool("disable_vrfy_command")
    with pytest.raises(ConfigValueError, match="bad numerical configuration: message_size_limit"):
        cfg.get_long("message_size_limit")
    with pytest.raises(ConfigValueError, match="parameter queue_run_delay: bad time value"):
        cfg.get_time("queue_run_delay")
    assert cfg.get_time("maximal_queue_lifetime") == 5 * 86400


def test_self_reference_raises() -> None:
    cfg = config("y = $y\n")
    with pytest.raises(ExpansionError):
        cfg.get("y")


def test_raw_parameters_are_not_expanded() -> None:
    cfg = config("luser_relay = $user@aaa.com\n")
    assert cfg.get("luser_relay") == "$user@aaa.com"


def test_empty_value_and_trailing_space() -> None:
    cfg = config("local_recipient_maps =\nrelayhost = [192.168.1.2]   \n")
    assert cfg.get("local_recipient_maps") == ""
    assert cfg.get("relayhost") == "[192.168.1.2]"
