"""NAME
    pyfix.config.params_data - Postfix main.cf parameter registry (generated)

SUMMARY
    PARAMS, SERVICE_PARAM_TEMPLATES, SERVICE_PARAM_COMMANDS,
    SERVICE_PARAM_TEMPLATES_BY_COMMAND, DYNAMIC, PYFIX_DEFAULTS

DESCRIPTION
    GENERATED DATA - DO NOT EDIT.  Regenerate with
    tools/gen_params_data.py (see its header).

    Names and defaults are exactly what Postfix 3.7.11 (Debian)
    prints for

        postconf -c DIR -d

    where DIR holds an empty main.cf and the stock Debian master.cf,
    minus the service-derived parameters (see params_service.py).
    That output is recorded in tests/golden/postconf-d.txt.
    Kinds, ranges and time units come from tools/param_types.tsv,
    which was read off the typed parameter tables of postfix-3.7.11.

    The data is split the way postconf keeps it: the string table
    (params_str.py), the other typed tables (params_typed.py) and the
    service-derived parameters (params_service.py); PARAMS joins the
    first two in name order.  PARAMS holds the pure Postfix values;
    pyfix's own defaults are in PYFIX_DEFAULTS and are applied by
    pyfix.config.registry.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

# ruff: noqa: E501

from __future__ import annotations

from pyfix.config.params_service import (
    SERVICE_PARAM_COMMANDS,
    SERVICE_PARAM_TEMPLATES,
    SERVICE_PARAM_TEMPLATES_BY_COMMAND,
)
from pyfix.config.params_str import STRING_PARAMS
from pyfix.config.params_typed import TYPED_PARAMS

__all__ = [
    "DYNAMIC",
    "PARAMS",
    "PYFIX_DEFAULTS",
    "SERVICE_PARAM_COMMANDS",
    "SERVICE_PARAM_TEMPLATES",
    "SERVICE_PARAM_TEMPLATES_BY_COMMAND",
]

# name: (kind, default_as_postconf_-d_prints_it, min, max, unit_or_empty)
PARAMS: dict[str, tuple[str, str, int, int, str]] = dict(
    sorted({**STRING_PARAMS, **TYPED_PARAMS}.items()))

# fmt: off

# Defaults computed on the running host; PARAMS holds what the generating
# host printed.
DYNAMIC: frozenset[str] = frozenset({
    "mydomain",  # the domain part of $myhostname, else localdomain
    "myhostname",  # gethostname(), plus .$mydomain (default localdomain) if not an FQDN
    "mynetworks",  # computed from the host's interfaces per mynetworks_style
    "process_id",  # the pid of the postconf process
    "process_name",  # basename of argv[0] of the running program
})

# pyfix defaults that deliberately differ from Postfix 3.7.11.
PYFIX_DEFAULTS: dict[str, str] = {
    "smtpd_forbid_bare_newline": "normalize",  # default since Postfix 3.9; no in the 3.5.23/3.6.13/3.7.9/3.8.4+ backports
    "smtpd_forbid_unauth_pipelining": "yes",  # default since Postfix 3.9; no in the 3.5.20/3.6.10/3.7.6/3.8.1+ backports
    "cleanup_replace_stray_cr_lf": "yes",  # yes since it appeared (3.9; backports 3.5.24/3.6.14/3.7.10/3.8.5): as 3.7.11
}
