"""NAME
    pyfix.config.maincf - read main.cf

SUMMARY
    MainCf, read_main_cf(), main_cf_path()

DESCRIPTION
    Reads "name = value" settings from main.cf with the line discipline
    of conffile.py.  A later setting of a name wins; like Postfix 3.7,
    a setting that changes an earlier value is reported as "overriding
    earlier entry".  White space around "=" and at the end of a value is
    removed.

    The configuration directory is $MAIL_CONFIG when set, else
    /etc/postfix; "-c dir" options set MAIL_CONFIG.

    Parameters read: config_directory (through MAIL_CONFIG).

DIAGNOSTICS
    MainCfError for a missing or unreadable file ("open PATH: reason")
    and for a line that is not "name = value" ("PATH, line N: missing
    '=' after attribute name: "text""). Overrides are warnings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config.conffile import decode, read_logical_lines, split_nameval

DEFAULT_CONFIG_DIRECTORY = "/etc/postfix"
MAIN_FILE = "main.cf"


class MainCfError(Exception):
    """A fatal main.cf problem; str() is Postfix's text."""


@dataclass
class MainCf:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def config_directory() -> str:
    return os.environ.get("MAIL_CONFIG") or DEFAULT_CONFIG_DIRECTORY


def main_cf_path(confdir: str | None = None) -> str:
    return f"{confdir or config_directory()}/{MAIN_FILE}"


def os_error_text(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_file_text(path: str) -> str:
    with open(path, "rb") as fh:
        return decode(fh.read())


def parse_main_cf(path: str, text: str, warn: Callable[[str], None]) -> MainCf:
    main = MainCf(path)
    for logical in read_logical_lines(text, path, warn):
        if not logical.text:
            continue
        result = split_nameval(logical.text)
        if isinstance(result, str):
            raise MainCfError(f'{path}, line {logical.first_line}: {result}: "{logical.text}"')
        name, value = result
        old = main.params.get(name)
        if old is not None and old != value:
            warn(f"{path}, line {logical.first_line}: overriding earlier entry: {name}={old}")
        main.params[name] = value
        main.lines[name] = logical.first_line
    return main


def read_main_cf(path: str, warn: Callable[[str], None]) -> MainCf:
    try:
        text = read_file_text(path)
    except OSError as exc:
        raise MainCfError(f"open {path}: {os_error_text(exc)}") from None
    return parse_main_cf(path, text, warn)
