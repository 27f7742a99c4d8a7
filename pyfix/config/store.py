"""NAME
    pyfix.config.store - layered parameter lookup and evaluation

SUMMARY
    Config, ExpansionError

DESCRIPTION
    A Config answers "what is the value of parameter X" the way Postfix
    does, from these layers, first match wins:

    1. the -o settings of a master.cf service (when a service is given),
       plus that service's $service_name and $process_name;
    2. command-line overrides (postconf -o, daemon -o);
    3. main.cf;
    4. the default: pyfix's registry, a per-service parameter template,
       or a value computed from the host (myhostname, mydomain,
       mynetworks, process_id, process_name).

    Values are expanded at the point of use with expand.py.  The typed
    getters apply the registry's type and range to the expanded value.
    for_service() returns the view that one master.cf service has:
    main.cf overridden by its own -o lines.  library_view() is the view
    of a service that pyfix runs inside its caller (cleanup,
    trivial-rewrite): the named service's own -o lines, never the
    caller's, and main.cf alone when master.cf lacks that service.

    Parameters read: every parameter that callers ask for; mydomain,
    myhostname, inet_interfaces, inet_protocols and mynetworks_style for
    the computed defaults.

DIAGNOSTICS
    Expansion problems are reported as warnings through the warn
    callback and raise ExpansionError ("macro processing error").
    Typed getters raise types.ConfigValueError with Postfix's text.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config import registry, types
from pyfix.config.expand import ERROR, expand
from pyfix.config.lists import split_list
from pyfix.config.maincf import MainCf
from pyfix.config.mastercf import MasterEntry

HOST_COMPUTED = frozenset(
    {"myhostname", "mydomain", "mynetworks", "process_id", "process_name", "service_name"}
)


class ExpansionError(Exception):
    """A parameter value whose $name expansion failed."""


def _ignore(_text: str) -> None:
    return None


@dataclass
class Config:
    main: MainCf | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    master: list[MasterEntry] = field(default_factory=list)
    defaults_only: bool = False
    process_name: str = "pyfix"
    warn: Callable[[str], None] = _ignore
    scope: MasterEntry | None = None
    _computed: dict[str, str] = field(default_factory=dict)
    _service_params: dict[str, registry.ParamInfo] | None = None

    # Layers ------------------------------------------------------------

    def service_params(self) -> dict[str, registry.ParamInfo]:
        if self._service_params is None:
            found: dict[str, registry.ParamInfo] = {}
            for entry in self.master:
                for name, info in registry.service_parameters(
                    entry.name, entry.command
                ).items():
                    if not registry.is_builtin(name):
                        found.setdefault(name, info)
            self._service_params = found
        return self._service_params

    def info(self, name: str) -> registry.ParamInfo | None:
        return registry.lookup_builtin(name) or self.service_params().get(name)

    def explicit(self, name: str) -> str | None:
        """The value from overrides or main.cf, without defaults."""
        if name in self.overrides:
            return self.overrides[name]
        if self.main is not None:
            return self.main.params.get(name)
        return None

    def default(self, name: str) -> str | None:
        if name in HOST_COMPUTED:
            return self._computed_default(name)
        info = self.info(name)
        return info.default if info is not None else None

    def lookup(self, name: str, scope: MasterEntry | None = None) -> str | None:
        """The unexpanded value of name, or None when it is not defined."""
        scope = scope or self.scope
        if not self.defaults_only:
            if scope is not None:
                if name in scope.options:
                    return scope.options[name]
                if name == "service_name":
                    return scope.service_name
                if name == "process_name":
                    return scope.process_name
            value = self.explicit(name)
            if value is not None:
                return value
        return self.default(name)

    # Expansion ---------------------------------------------------------

    def expand(self, value: str, scope: MasterEntry | None = None) -> str:
        def lookup(name: str, _mode: int) -> str | None:
            return self.lookup(name, scope)

        result, status = expand(value, lookup, self.warn)
        if status & ERROR:
            raise ExpansionError("macro processing error")
        return result

    def get(self, name: str) -> str:
        """The expanded value of name ("" when undefined); raw stays raw."""
        value = self.lookup(name)
        if value is None:
            return ""
        info = self.info(name)
        if info is not None and info.raw:
            return value
        return self.expand(value)

    # Typed getters -----------------------------------------------------

    def _range(self, name: str) -> tuple[int, int, str]:
        info = self.info(name)
        return (info.lo, info.hi, info.unit or "s") if info else (0, 0, "s")

    def get_bool(self, name: str) -> bool:
        return types.to_bool(name, self.get(name))

    def get_int(self, name: str) -> int:
        lo, hi, _ = self._range(name)
        return types.to_int(name, self.get(name), lo, hi)

    def get_long(self, name: str) -> int:
        lo, hi, _ = self._range(name)
        return types.to_long(name, self.get(name), lo, hi)

    def get_time(self, name: str) -> int:
        lo, hi, unit = self._range(name)
        return types.to_time(name, self.get(name), unit, lo, hi)

    def get_list(self, name: str) -> list[str]:
        return split_list(self.get(name))

    def check_typed(self, name: str) -> None:
        """Convert name by its registered type; raise ConfigValueError."""
        info = self.info(name)
        if info is None:
            return
        getter = {
            "bool": self.get_bool,
            "nbool": self.get_bool,
            "int": self.get_int,
            "nint": self.get_int,
            "long": self.get_long,
            "time": self.get_time,
        }.get(info.kind)
        if getter is not None:
            getter(name)

    # Views ------------------------------------------------------------

    def for_service(self, name: str, type_: str = "") -> Config:
        """The configuration that master.cf service name[/type] sees."""
        for entry in self.master:
            if entry.name == name and (not type_ or entry.type == type_):
                return Config(
                    self.main,
                    self.overrides,
                    self.master,
                    self.defaults_only,
                    entry.process_name,
                    self.warn,
                    entry,
                    self._computed,
                    self._service_params,
                )
        raise KeyError(f"{name}/{type_}" if type_ else name)

    def library_view(self, name: str, process_name: str) -> Config:
        """The view of the "unix" service name that a caller's
        cleanup_service_name or rewrite_service_name names; main.cf alone
        (as process_name) when master.cf has no such service."""
        try:
            return self.for_service(name, "unix")
        except KeyError:
            return dataclasses.replace(self, scope=None, process_name=process_name,
                                       _computed={})

    # Computed defaults -------------------------------------------------

    def _eval_setting(self, name: str) -> str | None:
        """main.cf's expanded value for name (None with -d or when unset)."""
        if self.defaults_only:
            return None
        value = self.explicit(name)
        return None if value is None else self.expand(value)

    def _computed_default(self, name: str) -> str:
        cached = self._computed.get(name)
        if cached is not None:
            return cached
        from pyfix.config import hostinfo

        if name == "myhostname":
            value = hostinfo.default_myhostname(self._eval_setting("mydomain"))
        elif name == "mydomain":
            host = self._eval_setting("myhostname") or self._computed_default("myhostname")
            value = hostinfo.default_mydomain(host)
        elif name == "mynetworks":
            value = hostinfo.default_mynetworks(
                self._setting_or_default("mynetworks_style"),
                split_list(self._setting_or_default("inet_interfaces")),
                split_list(self._setting_or_default("inet_protocols")),
            )
        elif name == "process_id":
            value = str(os.getpid())
        elif name == "process_name":
            value = self.process_name
        else:
            value = ""
        self._computed[name] = value
        return value

    def _setting_or_default(self, name: str) -> str:
        value = self._eval_setting(name)
        if value is None:
            info = registry.lookup_builtin(name)
            value = self.expand(info.default if info else "")
        return value
