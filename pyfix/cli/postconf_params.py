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
    postconf warns about it in Postfix's words.  A $name reference to a
    name that is neither known nor set is "undefined", once for every
    reference that the scan meets.  Warnings appear in file order
    (Postfix's order is that of a randomized hash table).

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
from pyfix.config.lists import LIST_SEPARATORS, extract_braces, split_list, split_quoted
from pyfix.config.mastercf import MasterEntry
from pyfix.config.store import Config, ExpansionError
from pyfix.log.msg import msg_fatal, msg_warn

RESTRICTION_CLASSES = "smtpd_restriction_classes"
# Names postconf knows for backwards compatibility; shown only when set.
LEGACY = frozenset({
    "virtual_maps", "fallback_relay", "authorized_verp_clients",
    "smtpd_client_connection_limit_exceptions", "postscreen_dnsbl_ttl",
    "postscreen_blacklist_action", "postscreen_dnsbl_whitelist_threshold",
    "postscreen_whitelist_interfaces", "lmtp_per_record_deadline",
    "smtp_per_record_deadline", "smtpd_per_record_deadline",
    "tlsproxy_client_level", "tlsproxy_client_policy",
})
READ_ONLY = frozenset({"process_name", "service_name", "process_id"})
DBMS_TYPES = frozenset({"ldap", "mysql", "pgsql", "sqlite", "memcache"})


@dataclass
class ParamTable:
    config: Config
    confdir: str = "/etc/postfix"
    user: set[str] = field(default_factory=set)
    local_user: dict[str, set[str]] = field(default_factory=dict)
    classes: set[str] = field(default_factory=lambda: {"builtin", "service", "user"})

    def builtin_or_service(self, name: str) -> bool:
        return registry.is_builtin(name) or name in self.config.service_params()

    def known(self, name: str) -> bool:
        return self.builtin_or_service(name) or name in self.user

    def in_table(self, name: str) -> bool:
        return self.known(name) or name in LEGACY

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


class _Registrar:
    """Postfix's rules for which user-defined names are valid (postconf_user)."""

    def __init__(self, table: ParamTable) -> None:
        self.table = table
        self.config = table.config
        self.settings = _settings(table.config)
        self.classes: set[str] = set()

    def flag(self, name: str, scope: MasterEntry | None) -> None:
        table = self.table
        supplied = False
        if scope is not None and name in scope.options:
            supplied = True
            table.local_user.setdefault(scope.key, set()).add(name)
        elif name in self.settings:
            supplied = True
            if not table.in_table(name):
                table.user.add(name)
        if scope is None:
            for entry in self.config.master:
                if name in entry.options:
                    supplied = True
                    table.local_user.setdefault(entry.key, set()).add(name)
        if not supplied and not table.in_table(name):
            source = "master.cf" if scope is not None else "main.cf"
            msg_warn(f"{table.confdir}/{source}: undefined parameter: {name}")

    def scan_value(self, value: str, scope: MasterEntry | None) -> None:
        scan_names(value, msg_warn, lambda name: self.flag(name, scope))

    def expand_for_dbms(self, value: str, scope: MasterEntry | None) -> None:
        """Postfix expands built-in values in full here (legacy DBMS support),
        so that a broken value is fatal in every mode that reads main.cf."""
        try:
            expanded = self.config.expand(value, scope)
        except ExpansionError as exc:
            msg_fatal(str(exc))
        self.dbms_tokens(expanded, scope)

    def dbms_tokens(self, text: str, scope: MasterEntry | None) -> None:
        where = f"master.cf:{scope.key}" if scope is not None else "main.cf"
        for token in split_quoted(text, LIST_SEPARATORS):
            if token.startswith("{"):
                inner, err = extract_braces(token, strip=False)
                if err is not None:
                    msg_warn(f"{where}: {err}")
                self.dbms_tokens(inner, scope)
                continue
            db_type, _, prefix = token.partition(":")
            while db_type == "proxy" and prefix:
                db_type, _, prefix = prefix.partition(":")
            if not prefix or prefix[0] in "/.":
                continue
            if prefix.startswith("{"):
                inner, err = extract_braces(prefix, strip=False)
                if err is not None:
                    msg_warn(f"{where}: {err}")
                self.dbms_tokens(inner, scope)
            elif db_type in DBMS_TYPES:
                # Postfix flags the documented "prefix_suffix" names of the
                # client configuration; pyfix accepts every "prefix_*" setting.
                for name in (*self.settings, *(scope.options if scope else ())):
                    if name.startswith(prefix + "_"):
                        self.flag(name, scope)

    def scan_namespace(self, values: dict[str, str], scope: MasterEntry | None) -> None:
        classes = values.get(RESTRICTION_CLASSES)
        if classes is not None:
            try:
                expanded = self.config.expand(classes, scope)
            except ExpansionError:
                expanded = classes
            for name in split_list(expanded):
                if scope is None:
                    self.classes.add(name)
                self.flag(name, scope)
        for name, value in list(values.items()):
            if scope is not None and name in self.classes:
                self.table.local_user.setdefault(scope.key, set()).add(name)
            builtin = self.table.builtin_or_service(name)
            if builtin and name in READ_ONLY:
                msg_warn(f"{self.table.confdir}/{'master.cf' if scope else 'main.cf'}: "
                         f"read-only parameter assignment: {name}={value}")
                continue
            if name in LEGACY:
                self.table.user.add(name)
            info = self.config.info(name) if builtin else None
            if info is not None and info.raw:
                continue
            self.scan_value(value, scope)
            if builtin:
                self.expand_for_dbms(value, scope)

    def scan_defaults(self) -> None:
        from pyfix.config.store import HOST_COMPUTED

        names = list(registry.builtin_names()) + list(self.config.service_params())
        for name in names:
            if name in self.settings or name in HOST_COMPUTED:
                continue
            info = self.config.info(name)
            if info is None or info.raw or "$" not in info.default:
                continue
            self.scan_value(info.default, None)


def register_user_parameters(config: Config, confdir: str = "/etc/postfix") -> ParamTable:
    """Find the valid user-defined parameters in main.cf and master.cf."""
    table = ParamTable(config, confdir)
    registrar = _Registrar(table)
    for entry in config.master:
        if entry.options:
            registrar.scan_namespace(entry.options, entry)
    registrar.scan_defaults()
    registrar.scan_namespace(registrar.settings, None)
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
    for name, value in _settings(table.config).items():
        if not table.in_table(name):
            msg_warn(f"{table.confdir}/main.cf: unused parameter: {name}={value}")


def flag_unused_master(table: ParamTable, master_path: str) -> None:
    for entry in table.config.master:
        valid = table.local_user.get(entry.key, set())
        for name, value in entry.options.items():
            if not table.in_table(name) and name not in valid:
                msg_warn(f"{master_path}: unused parameter: {name}={value}")
