"""NAME
    pyfix.config.masks - parameters whose value is a set of names

SUMMARY
    name_mask(), notify_classes(), NOTIFY_CLASSES

DESCRIPTION
    name_mask() reads a list parameter whose elements must come from a
    fixed set of names (Postfix's name_mask()): case does not matter,
    and an unknown name is a configuration error.

    notify_classes() is the error classes that the postmaster is told
    about: bounce(8) for "bounce", "2bounce" and "delay", smtpd(8) for
    "policy", "protocol", "resource" and "software".

    Parameters read: notify_classes (notify_classes()).

DIAGNOSTICS
    ValueError with Postfix's text: unknown NAME value "x" in "VALUE".
"""

from __future__ import annotations

from typing import Final

from pyfix.config.store import Config

NOTIFY_CLASSES: Final = frozenset(
    {"bounce", "2bounce", "data", "delay", "policy", "protocol", "resource", "software"})


def name_mask(config: Config, name: str, allowed: frozenset[str]) -> frozenset[str]:
    names = {item.lower() for item in config.get_list(name)}
    for item in names:
        if item not in allowed:
            raise ValueError(f'unknown {name} value "{item}" in "{config.get(name)}"')
    return frozenset(names)


def notify_classes(config: Config) -> frozenset[str]:
    return name_mask(config, "notify_classes", NOTIFY_CLASSES)
