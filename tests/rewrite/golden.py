"""Replay recorded trivial-rewrite answers (tests/golden/rewrite) with pyfix."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyfix.config.load import set_service_utf8
from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.log.printable import set_utf8_enable, utf8_enabled
from pyfix.rewrite.service import TrivialRewrite

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "rewrite"
EXPECTED = GOLDEN / "expected"
FIXTURES = GOLDEN / "fixtures"
BASE = "/nonexistent/pyfix-rewrite-golden"


def load_cases() -> Any:
    """tests/golden/rewrite/cases.py (not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location("rewrite_golden_cases", GOLDEN / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def profile_names() -> list[str]:
    return sorted(path.stem for path in EXPECTED.glob("*.json"))


def load(name: str, directory: Path = EXPECTED) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / f"{name}.json").read_text())
    return data


def config_for(main_cf: str) -> Config:
    text = main_cf.replace("@BASE@", BASE).replace("@FIXTURES@", str(FIXTURES))
    return Config(parse_main_cf("main.cf", text, lambda _text: None))


@dataclass
class Replay:
    """pyfix's answers to one recorded profile, and its log lines."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


@contextlib.contextmanager
def daemon_log(config: Config) -> Iterator[tuple[MailLog, list[str]]]:
    """The log a trivial-rewrite daemon with config writes, as a daemon
    sets it up (the UTF-8 switch from smtputf8_enable); after the block
    the list holds its lines without time stamp, host and tag."""
    before = utf8_enabled()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "maillog"
        log = MailLog("postfix/trivial-rewrite", host="mail", maillog_file=str(path))
        set_service_utf8(config)
        try:
            yield log, lines
        finally:
            set_utf8_enable(before)
            log.close()
        text = path.read_bytes().decode("utf-8", "surrogateescape") if path.exists() else ""
    for line in text.splitlines():
        line = line.split("]: ", 1)[1]
        lines.append(line.replace(BASE, "@BASE@").replace(str(FIXTURES), "@FIXTURES@"))


def replay(recorded: dict[str, Any]) -> Replay:
    out = Replay()
    config = config_for(recorded["main_cf"])
    with daemon_log(config) as (log, out.log):
        _answer(TrivialRewrite(config, info=log.info, warn=log.warn), recorded, out)
    return out


def _answer(service: TrivialRewrite, recorded: dict[str, Any], out: Replay) -> None:
    for entry in recorded["replies"]:
        kind = entry["request"]
        if kind == "rewrite":
            out.answers.append({"address": service.rewrite_addr(entry["rule"],
                                                                entry["address"])})
            continue
        call = service.verify if kind == "verify" else service.resolve
        reply = call(entry["address"], entry["sender"])
        out.answers.append({"transport": reply.transport, "nexthop": reply.nexthop,
                            "recipient": reply.recipient, "flags": int(reply.flags)})


def mismatches(recorded: dict[str, Any], got: Replay) -> list[str]:
    problems = []
    for entry, answer in zip(recorded["replies"], got.answers, strict=True):
        if entry["reply"] != answer:
            what = entry.get("rule") or entry.get("sender") or ""
            problems.append(f"{entry['request']} {what!r} {entry['address']!r}: "
                            f"postfix {entry['reply']} pyfix {answer}")
    return problems
