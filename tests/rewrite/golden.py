"""Replay recorded trivial-rewrite answers (tests/golden/rewrite) with pyfix."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyfix.config.maincf import parse_main_cf
from pyfix.config.store import Config
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


def replay(recorded: dict[str, Any]) -> Replay:
    out = Replay()

    def info(text: str) -> None:
        out.log.append(text.replace(BASE, "@BASE@").replace(str(FIXTURES), "@FIXTURES@"))

    def warn(text: str) -> None:
        info(f"warning: {text}")

    service = TrivialRewrite(config_for(recorded["main_cf"]), info=info, warn=warn)
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
    return out


def mismatches(recorded: dict[str, Any], got: Replay) -> list[str]:
    problems = []
    for entry, answer in zip(recorded["replies"], got.answers, strict=True):
        if entry["reply"] != answer:
            what = entry.get("rule") or entry.get("sender") or ""
            problems.append(f"{entry['request']} {what!r} {entry['address']!r}: "
                            f"postfix {entry['reply']} pyfix {answer}")
    return problems
