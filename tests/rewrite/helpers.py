"""A small configuration for the trivial-rewrite unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.rewrite.service import TrivialRewrite

BASE = """\
compatibility_level = 3.7
myhostname = mail.example.com
mydomain = example.com
inet_protocols = ipv4
inet_interfaces = 127.0.0.1
proxy_interfaces = 192.0.2.1
"""


def make_config(extra: str = "") -> Config:
    return Config(parse_main_cf("main.cf", BASE + extra, lambda _text: None))


@dataclass
class Logged:
    lines: list[str] = field(default_factory=list)

    def info(self, text: str) -> None:
        self.lines.append(text)

    def warn(self, text: str) -> None:
        self.lines.append(f"warning: {text}")


def make_service(extra: str = "", log: Logged | None = None) -> TrivialRewrite:
    log = log if log is not None else Logged()
    return TrivialRewrite(make_config(extra), info=log.info, warn=log.warn)
