"""NAME
    pyfix.cli.postfix_check - "postfix check"

SUMMARY
    check()

DESCRIPTION
    Validates a configuration before the mail system uses it:

    - main.cf and master.cf must parse (Postfix's fatal messages);
    - every parameter that main.cf or a master.cf -o option sets must
      expand without macro errors, and every typed one must convert to
      its type and lie in its range.  Postfix's daemons would stop with
      the same "fatal:" text at start-up; Postfix's "postfix check"
      only checks the parameters of the postfix command itself, and
      pyfix checks them all;
    - each parameter that main.cf or a master.cf -o option sets to a
      value that pyfix does not implement gets one warning per service
      that reads it, as the service itself logs at start; one that
      guards mail says that the service will not run
      (pyfix.config.support);
    - compatibility_level below 3.6 gets Postfix's three-line notice
      about backwards-compatible default settings;
    - missing queue directories are created (owned by $mail_owner when
      run as root), as Postfix's check does;
    - the directories named by config_directory, queue_directory and
      data_directory must exist, and must not be group or other
      writable; when run as root, config_directory must be owned by root.

    On a good setup it prints nothing and exits 0 (seed feature S7).

    Parameters read: compatibility_level, config_directory,
    queue_directory, data_directory, and every parameter set in main.cf
    and master.cf.

DIAGNOSTICS
    "postfix: fatal: ..." for a configuration that cannot be used;
    "postfix/postfix-script: warning: ..." for directory problems.
"""

from __future__ import annotations

import os
import stat
import sys

from pyfix.config.expand import compat_level_from_string
from pyfix.config.maincf import MainCfError, config_directory, os_error_text, read_main_cf
from pyfix.config.mastercf import MasterError, read_master_cf
from pyfix.config.store import Config, ExpansionError
from pyfix.config.types import ConfigValueError
from pyfix.log.msg import msg_fatal, msg_info, msg_warn

CURRENT_COMPAT_LEVEL = "3.6"


def _script_warn(text: str) -> None:
    sys.stderr.write(f"postfix/postfix-script: warning: {text}\n")


def _load(confdir: str) -> Config:
    try:
        main = read_main_cf(f"{confdir}/main.cf", msg_warn)
    except MainCfError as exc:
        msg_fatal(str(exc))
    master_path = f"{confdir}/master.cf"
    try:
        with open(master_path, "rb") as fh:
            master_text = fh.read().decode("utf-8", "surrogateescape")
    except OSError:
        sys.stderr.write(f"postfix/postfix-script: fatal: no {master_path} file found\n")
        raise SystemExit(1) from None
    try:
        master = read_master_cf(master_path, master_text, msg_warn)
    except MasterError as exc:
        msg_fatal(str(exc))
    return Config(main, {}, master, process_name="postfix", warn=msg_warn)


def _check_values(config: Config) -> None:
    try:
        assert config.main is not None
        for name in config.main.params:
            config.get(name)
            config.check_typed(name)
        for entry in config.master:
            view = config.for_service(entry.name, entry.type)
            for name in entry.options:
                view.get(name)
                view.check_typed(name)
    except ConfigValueError as exc:
        msg_fatal(str(exc))
    except ExpansionError as exc:
        msg_fatal(str(exc))


def _check_support(config: Config) -> None:
    from pyfix.config.support import master_problems, service_problems
    from pyfix.master.services import IMPLEMENTED

    seen: set[str] = set()
    try:
        for problem in master_problems(config):
            seen.add(str(problem))
            msg_warn(str(problem))
        for entry in config.master:
            if entry.process_name not in IMPLEMENTED:
                continue
            for problem in service_problems(config.for_service(entry.name, entry.type)):
                text = str(problem)
                if text not in seen:
                    seen.add(text)
                    msg_warn(text)
    except ExpansionError as exc:
        msg_fatal(str(exc))


def _check_compat(config: Config) -> None:
    try:
        level = config.get("compatibility_level")
    except ExpansionError as exc:
        msg_fatal(str(exc))
    number = compat_level_from_string(level, msg_warn)
    if 0 <= number < compat_level_from_string(CURRENT_COMPAT_LEVEL, msg_warn):
        msg_info("Postfix is using backwards-compatible default settings")
        msg_info("See http://www.postfix.org/COMPATIBILITY_README.html for details")
        msg_info(
            f'To disable backwards compatibility use "postconf compatibility_level='
            f'{CURRENT_COMPAT_LEVEL}" and "postfix reload"'
        )


def _check_directory(name: str, path: str, want_root: bool) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:
        _script_warn(f"{name} {path}: {os_error_text(exc)}")
        return
    if not stat.S_ISDIR(info.st_mode):
        _script_warn(f"{name} {path}: Not a directory")
        return
    if want_root and info.st_uid != 0:
        _script_warn(f"not owned by root: {path}/.")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        _script_warn(f"group or other writable: {path}/.")


def _create_queue(config: Config) -> None:
    """Create missing queue directories, as Postfix's check does."""
    import pwd

    from pyfix.queue.layout import QueueLayout

    uid = gid = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(config.get("mail_owner"))
            uid, gid = owner.pw_uid, owner.pw_gid
        except KeyError:
            msg_fatal(f"unknown mail_owner: {config.get('mail_owner')}")
    try:
        QueueLayout.from_config(config).create_directories(uid, gid)
    except OSError as exc:
        sys.stderr.write("postfix/postfix-script: fatal: unable to create missing queue "
                         f"directories: {os_error_text(exc)}\n")
        raise SystemExit(1) from None


def check() -> int:
    confdir = config_directory()
    config = _load(confdir)
    _check_compat(config)
    _check_values(config)
    _check_support(config)
    try:
        _create_queue(config)
    except ExpansionError as exc:
        msg_fatal(str(exc))
    as_root = os.geteuid() == 0
    try:
        _check_directory("config_directory", confdir, as_root)
        for name in ("queue_directory", "data_directory"):
            path = config.get(name)
            if os.path.isdir(path) or as_root:
                _check_directory(name, path, want_root=False)
    except ExpansionError as exc:
        msg_fatal(str(exc))
    return 0
