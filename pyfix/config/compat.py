"""NAME
    pyfix.config.compat - is a setting at its compatibility_level default?

SUMMARY
    explicit(), compat_default()

DESCRIPTION
    Postfix logs "using backwards-compatible default setting ..." when a
    decision depends on a default that compatibility_level keeps at its
    old value.  That is the case when the parameter is not set in
    main.cf, on the command line or by a master.cf -o option, and
    compatibility_level is below the level at which the default changed.

    Parameters read: compatibility_level, and the parameter asked about.

DIAGNOSTICS
    None: a malformed compatibility_level counts as level 0 here (the
    configuration code warns about it where it is read).
"""

from __future__ import annotations

from pyfix.config.expand import compat_level_from_string
from pyfix.config.store import Config


def _quiet(_text: str) -> None:
    pass


def explicit(config: Config, name: str) -> bool:
    """Is name set in main.cf, on the command line or with -o?"""
    if config.scope is not None and name in config.scope.options:
        return True
    return config.explicit(name) is not None


def compat_default(config: Config, name: str, changed_at: str) -> bool:
    """True when name holds its pre-changed_at default only because
    compatibility_level is below changed_at."""
    level = compat_level_from_string(config.get("compatibility_level"), _quiet)
    return level < compat_level_from_string(changed_at, _quiet) and not explicit(config, name)
