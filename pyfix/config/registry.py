"""NAME
    pyfix.config.registry - the typed parameter registry

SUMMARY
    ParamInfo, lookup_builtin(), builtin_names(), service_parameters()

DESCRIPTION
    Every parameter that Postfix 3.7 knows, with the type, range and
    default that `postconf -d` of Debian's Postfix 3.7.11 prints, comes
    from the generated table in params_data.py.  pyfix deliberately
    takes a later Postfix default for a few security parameters
    (DESIGN.md section 1); those are listed in PYFIX_DEFAULTS there and
    applied here, so that every caller sees pyfix's default.

    Besides the built-in parameters, each master.cf service that runs a
    delivery agent gets its own per-service parameters
    ("relay_destination_concurrency_limit" and so on), built from
    SERVICE_PARAM_TEMPLATES.

    PYFIX_ONLY holds the few parameters that pyfix adds and Postfix does
    not know (pyfix_dns_servers).  lookup_builtin() and is_builtin()
    know them, so that they can be set, shown and expanded like any
    other; builtin_names() leaves them out, so that "postconf -d" lists
    exactly what Postfix's does.

    Defaults of the parameters in DYNAMIC are computed from the host
    (see hostinfo.py) by the configuration layer, not taken from here.

    Parameters read: none.

DIAGNOSTICS
    None.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyfix.config import params_data


@dataclass(frozen=True, slots=True)
class ParamInfo:
    name: str
    kind: str
    default: str
    lo: int = 0
    hi: int = 0
    unit: str = ""
    pyfix_default: bool = False

    @property
    def raw(self) -> bool:
        return self.kind == "raw"


# Parameters that only pyfix has: name -> (kind, default).
PYFIX_ONLY: dict[str, tuple[str, str]] = {
    # DNS servers as "addr[:port]" list; empty: those of /etc/resolv.conf.
    "pyfix_dns_servers": ("str", ""),
}


def lookup_builtin(name: str) -> ParamInfo | None:
    entry = params_data.PARAMS.get(name)
    if entry is None:
        own = PYFIX_ONLY.get(name)
        return ParamInfo(name, own[0], own[1], pyfix_default=True) if own else None
    kind, default, lo, hi, unit = entry
    override = params_data.PYFIX_DEFAULTS.get(name)
    if override is not None:
        return ParamInfo(name, kind, override, lo, hi, unit, pyfix_default=True)
    return ParamInfo(name, kind, default, lo, hi, unit)


def is_builtin(name: str) -> bool:
    return name in params_data.PARAMS or name in PYFIX_ONLY


def is_dynamic(name: str) -> bool:
    return name in params_data.DYNAMIC


def builtin_names() -> list[str]:
    """Postfix's parameter names (not PYFIX_ONLY: "postconf -d" matches Postfix)."""
    return list(params_data.PARAMS)


def service_parameters(service: str, command: str) -> dict[str, ParamInfo]:
    """Per-service parameters that a master.cf entry adds."""
    templates = params_data.SERVICE_PARAM_TEMPLATES_BY_COMMAND.get(command, ())
    result: dict[str, ParamInfo] = {}
    for template, default, kind in templates:
        name = template % service
        if name not in params_data.PARAMS:
            result[name] = ParamInfo(name, kind, default)
    return result
