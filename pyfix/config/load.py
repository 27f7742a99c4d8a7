"""NAME
    pyfix.config.load - load the configuration a daemon or command uses

SUMMARY
    load_config(), ConfigLoadError

DESCRIPTION
    Reads $config_directory/main.cf and master.cf (config_directory from
    the argument, else $MAIL_CONFIG, else /etc/postfix) and returns a
    Config (store.py).  Daemons then take their own view with
    Config.for_service(service_name, service_type), which applies that
    service's master.cf -o overrides and defines $service_name and
    $process_name.  Library services (cleanup, trivial-rewrite) use the
    view of the service that cleanup_service_name / rewrite_service_name
    names, as Postfix does.

    Like Postfix's mail_params_init(), it sets the process-wide UTF-8
    switch (pyfix.log.printable) from smtputf8_enable: with "no", log
    lines show every non-ASCII byte as "?".  A daemon sets it again from
    its own view with set_service_utf8(), so that "-o smtputf8_enable="
    counts.

    Parameters read: config_directory (via MAIL_CONFIG), smtputf8_enable.

DIAGNOSTICS
    ConfigLoadError with Postfix's fatal text for a missing or unreadable
    file, for syntax errors and for a smtputf8_enable that is not a
    boolean; warnings go to the warn callback.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pyfix.config.maincf import (
    DEFAULT_CONFIG_DIRECTORY,
    MainCfError,
    config_directory,
    os_error_text,
    parse_main_cf,
    read_file_text,
)
from pyfix.config.mastercf import MasterError, read_master_cf
from pyfix.config.store import Config, ExpansionError
from pyfix.config.types import ConfigValueError
from pyfix.log.msg import msg_warn
from pyfix.log.printable import set_utf8_enable


class ConfigLoadError(Exception):
    """The configuration cannot be used; str() is Postfix's fatal text."""


def load_config(
    confdir: str | None = None,
    *,
    process_name: str = "pyfix",
    overrides: dict[str, str] | None = None,
    warn: Callable[[str], None] = msg_warn,
    need_master: bool = True,
) -> Config:
    confdir = confdir or config_directory()
    main_path = os.path.join(confdir, "main.cf")
    try:
        main = parse_main_cf(main_path, read_file_text(main_path), warn)
    except OSError as exc:
        raise ConfigLoadError(f"open {main_path}: {os_error_text(exc)}") from None
    except MainCfError as exc:
        raise ConfigLoadError(str(exc)) from None
    if "config_directory" not in main.params and confdir != DEFAULT_CONFIG_DIRECTORY:
        main.params["config_directory"] = confdir
    master_path = os.path.join(confdir, "master.cf")
    master = []
    try:
        master = read_master_cf(master_path, read_file_text(master_path), warn)
    except OSError as exc:
        if need_master:
            raise ConfigLoadError(f"open {master_path}: {os_error_text(exc)}") from None
    except MasterError as exc:
        raise ConfigLoadError(str(exc)) from None
    config = Config(main, dict(overrides or {}), master, process_name=process_name, warn=warn)
    set_service_utf8(config)
    return config


def set_service_utf8(config: Config) -> None:
    """Set the process-wide UTF-8 switch from config's smtputf8_enable."""
    try:
        set_utf8_enable(config.get_bool("smtputf8_enable"))
    except (ConfigValueError, ExpansionError) as exc:
        raise ConfigLoadError(str(exc)) from None
