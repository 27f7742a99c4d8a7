"""NAME
    pyfix.cli.postconf_params - postconf's main.cf parameter views

SUMMARY
    ParamTable, show_parameters(), flag_unused()

DESCRIPTION
    Builds the table of parameter names that postconf knows:

    - built-in parameters (the registry);
    - per-service parameters for master.cf services that run a delivery
      agent;
    - valid user-defined parameters: a name that has a "name = value"
      setting in main.cf (or in a master.cf -o option) and that is either
      listed in smtpd_restriction_classes or referenced as $name from
      any value in main.cf or master.cf.

    A main.cf or master.cf setting of any other name is "unused", and
    postconf warns about it in Postfix's words.  Warnings appear in file
    order (Postfix's order is that of a randomized hash table).

    show_parameters() implements the default mode, -n, -d, -h, -H and
    -x for all or for named parameters.

    Parameters read: smtpd_restriction_classes, and whatever is shown.

DIAGNOSTICS
    "NAME: unknown parameter" for a name that postconf does not know;
    "FILE: unused parameter: name=value" for unused settings; a failed
    expansion is fatal ("macro processing error").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.cli.postconf_print import print_line
from pyfix.config import registry
from pyfix.config.expand import scan_names
from pyfix.config.lists import split_list
from pyfix.config.mastercf import MasterEntry
from pyfix.config.store import Config, ExpansionError
from pyfix.log.msg import msg_fatal, msg_warn

RESTRICTION_CLASSES = "smtpd_restriction_classes"


@dataclass
class ParamTable:
    config: Config
    user: set[str] = field(default_factory=set)
    local_user: dict[str, set[str]] = field(default_factory=dict)
    classes: set[str] = field(default_factory=lambda: {"builtin", "service", "user"})

    def known(self, name: str) -> bool:
        return (
            registry.is_builtin(name)
            or name in self.config.service_params()
            or name in self.user
        )

    def all_names(self) -> list[str]:
        names: set[str] = set()
        if "builtin" in self.classes:
            names.update(registry.builtin_names())
        if "service" in self.classes:
            names.update(self.config.service_params())
        if "user" in self.classes:
            names.update(self.user)
        return sorted(names)


def _settings(config: Config) -> dict[str, str]:
    values: dict[str, str] = {}
    if config.main is not None:
        values.update(config.main.params)
    values.update(config.overrides)
    return values


def register_user_parameters(config: Config) -> ParamTable:
    """Find the valid user-defined parameters in main.cf and master.cf."""
    table = ParamTable(config)
    settings = _settings(config)
    referenced: set[str] = set()
    for name in split_list(settings.get(RESTRICTION_CLASSES, "")):
        referenced.add(name)
    for value in settings.values():
        referenced |= scan_names(value, msg_warn)
    for entry in config.master:
        local: set[str] = set()
        for name in split_list(entry.options.get(RESTRICTION_CLASSES, "")):
            local.add(name)
        for value in entry.options.values():
            local |= scan_names(value, msg_warn)
        referenced |= local
        table.local_user[entry.key] = {
            n for n in local if n in entry.options and not table.known(n)
        }
    for name in referenced:
        if name in settings and not registry.is_builtin(name):
            table.user.add(name)
    for entry in config.master:
        table.local_user[entry.key] |= {
            n for n in entry.options if n in referenced and not table.known(n)
        }
    return table


def _value_for(
    config: Config, name: str, nondefault: bool, scope: MasterEntry | None
) -> str | None:
    if nondefault:
        return config.explicit(name)
    return config.lookup(name, scope)


def print_parameter(
    table: ParamTable,
    name: str,
    *,
    nondefault: bool,
    expand: bool,
    hide_name: bool,
    hide_value: bool,
    fold: bool,
) -> None:
    config = table.config
    value = _value_for(config, name, nondefault, None)
    if value is None:
        return
    if hide_value:
        print_line(name, fold)
        return
    info = config.info(name)
    if expand and not (info is not None and info.raw):
        try:
            value = config.expand(value)
        except ExpansionError as exc:
            msg_fatal(str(exc))
    print_line(value if hide_name else f"{name} = {value}", fold)


def show_parameters(table: ParamTable, names: list[str], **flags: bool) -> None:
    if not names:
        for name in table.all_names():
            print_parameter(table, name, **flags)
        return
    for name in names:
        if not table.known(name):
            msg_warn(f"{name}: unknown parameter")
        else:
            print_parameter(table, name, **flags)


def flag_unused_main(table: ParamTable) -> None:
    config = table.config
    if config.main is None:
        return
    for name, value in config.main.params.items():
        if not table.known(name):
            msg_warn(f"{config.main.path}: unused parameter: {name}={value}")


def flag_unused_master(table: ParamTable, master_path: str) -> None:
    for entry in table.config.master:
        valid = table.local_user.get(entry.key, set())
        for name, value in entry.options.items():
            if not table.known(name) and name not in valid:
                msg_warn(f"{master_path}: unused parameter: {name}={value}")
