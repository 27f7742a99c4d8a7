"""NAME
    pyfix.cli.postconf_run - carry out one postconf request

SUMMARY
    dispatch(), share_options()

DESCRIPTION
    After postconf.py has parsed and checked the options, dispatch()
    loads what the request needs (main.cf, master.cf, both or neither),
    and runs one mode: show map types, show or edit master.cf, edit
    main.cf, or show main.cf parameters followed by the "unused
    parameter" warnings.  The order of reading and warning follows
    Postfix's postconf, so that messages appear in the same order.

    Parameters read: config_directory (via $MAIL_CONFIG), and whatever
    is shown.

DIAGNOSTICS
    Fatal: an unreadable main.cf (or master.cf with -M, -F, -P), a
    syntax error in either file, a bad -o override, a failed expansion.
    Warning: an unreadable master.cf in the main.cf modes.
"""

from __future__ import annotations

import os

from pyfix.cli import postconf as opt
from pyfix.cli.postconf_params import (
    ParamTable,
    flag_unused_main,
    flag_unused_master,
    register_user_parameters,
    show_parameters,
)
from pyfix.config.conffile import split_nameval
from pyfix.config.maincf import (
    MainCf,
    MainCfError,
    config_directory,
    os_error_text,
    parse_main_cf,
    read_file_text,
)
from pyfix.config.mastercf import MasterEntry, MasterError, read_master_cf
from pyfix.config.store import Config
from pyfix.log.msg import msg_fatal, msg_warn

PARAM_CLASSES = ("builtin", "service", "user", "all")


def _read_main(confdir: str) -> MainCf:
    path = f"{confdir}/main.cf"
    main = MainCf(path)
    if os.environ.get("MAIL_CONFIG"):
        main.params["config_directory"] = confdir
    try:
        text = read_file_text(path)
    except OSError as exc:
        msg_fatal(f"open {path}: {os_error_text(exc)}")
    try:
        parsed = parse_main_cf(path, text, msg_warn)
    except MainCfError as exc:
        msg_fatal(str(exc))
    for name, value in parsed.params.items():
        main.params[name] = value
        main.lines[name] = parsed.lines[name]
    return main


def _read_master(confdir: str, fail: bool) -> list[MasterEntry]:
    path = f"{confdir}/master.cf"
    try:
        text = read_file_text(path)
    except OSError as exc:
        if fail:
            msg_fatal(f"open {path}: {os_error_text(exc)}")
        msg_warn(f"open {path}: {os_error_text(exc)}")
        return []
    try:
        entries = read_master_cf(path, text, msg_warn)
    except MasterError as exc:
        msg_fatal(str(exc))
    share_options(entries)
    return entries


def share_options(entries: list[MasterEntry]) -> None:
    """Give entries of one service name/type one shared "-o" namespace.

    postconf keeps the -o settings per service name/type, not per line:
    when master.cf defines a service twice, both entries show (-P), scan
    and warn about the union of their -o settings, a later value
    replacing an earlier one.  The daemons still get each line's own -o
    arguments; this is postconf's view only.
    """
    shared: dict[str, dict[str, str]] = {}
    for entry in entries:
        first = shared.get(entry.key)
        if first is None:
            shared[entry.key] = entry.options
            continue
        first.update(entry.options)
        entry.options = first


def _overrides(args: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for arg in args:
        parsed = split_nameval(arg)
        if isinstance(parsed, str):
            msg_fatal(f"invalid parameter override: {arg}: {parsed}")
        result[parsed[0]] = parsed[1]
    return result


def _flags(mode: int) -> dict[str, bool]:
    return {
        "nondefault": bool(mode & opt.SHOW_NONDEF),
        "expand": bool(mode & opt.SHOW_EVAL),
        "hide_name": bool(mode & opt.HIDE_NAME),
        "hide_value": bool(mode & opt.HIDE_VALUE),
        "fold": bool(mode & opt.FOLD_LINE),
    }


def _param_class(raw: str) -> set[str]:
    chosen: set[str] = set()
    for word in raw.replace(",", " ").replace("|", " ").split():
        if word.lower() not in PARAM_CLASSES:
            msg_fatal(f'invalid -C option value "{word}"')
        chosen.add(word.lower())
    return {"builtin", "service", "user"} if "all" in chosen or not chosen else chosen


def _show_maps() -> int:
    from pyfix.tables.types import supported_types

    for name in sorted(supported_types()):
        print(name)
    return 0


def _edit(mode: int, confdir: str, operands: list[str]) -> int:
    from pyfix.config import edit, masteredit

    edit_mode = edit.EDIT if mode & opt.EDIT_CONF else (
        edit.COMMENT if mode & opt.COMMENT_OUT else edit.EXCLUDE
    )
    if not operands:
        msg_fatal("missing service argument")
    try:
        if mode & (opt.MASTER_ENTRY | opt.MASTER_FLD | opt.MASTER_PARAM):
            target = (
                masteredit.ENTRY if mode & opt.MASTER_ENTRY
                else masteredit.FIELD if mode & opt.MASTER_FLD
                else masteredit.PARAM
            )
            masteredit.edit_master_cf(
                f"{confdir}/master.cf", target, edit_mode, operands, msg_warn
            )
        else:
            edit.edit_main_cf(f"{confdir}/main.cf", edit_mode, operands, msg_warn)
    except (edit.EditError, masteredit.MasterEditError) as exc:
        msg_fatal(str(exc))
    return 0


def _show_master(mode: int, confdir: str, override_args: list[str], operands: list[str]) -> int:
    from pyfix.cli import postconf_master

    master = _read_master(confdir, fail=True)
    main = _read_main(confdir)
    overrides = _overrides(override_args)
    config = Config(main, overrides, master, process_name="postconf", warn=msg_warn)
    table = register_user_parameters(config, confdir)
    fold = bool(mode & opt.FOLD_LINE)
    expand = bool(mode & opt.SHOW_EVAL)
    hide_name = bool(mode & opt.HIDE_NAME)
    hide_value = bool(mode & opt.HIDE_VALUE)
    if mode & opt.MASTER_FLD:
        postconf_master.show_master_fields(config, operands, fold, expand, hide_name, hide_value)
    elif mode & opt.MASTER_PARAM:
        postconf_master.show_master_params(config, operands, fold, expand, hide_name, hide_value)
    else:
        postconf_master.show_master_entries(config, operands, fold, expand)
    flag_unused_master(table, f"{confdir}/master.cf")
    return 0


def dispatch(mode: int, override_args: list[str], operands: list[str],
             param_class_text: str = "all") -> int:
    confdir = config_directory()
    param_class = _param_class(param_class_text)
    if mode & opt.SHOW_MAPS:
        _read_main(confdir)
        return _show_maps()
    if mode & opt.SHOW_LOCKS:
        # The mailbox locking methods this system offers (mailbox_delivery_lock).
        print("flock\nfcntl\ndotlock")
        return 0
    if mode & (opt.SHOW_SASL_SERV | opt.SHOW_SASL_CLNT):
        print("dovecot")
        return 0
    if mode & (opt.SHOW_TLS | opt.EXP_DSN_TEMPL | opt.DUMP_DSN_TEMPL):
        msg_fatal("this postconf mode is not supported by pyfix")
    master_modes = opt.MASTER_ENTRY | opt.MASTER_FLD | opt.MASTER_PARAM
    if mode & master_modes and not mode & (opt.EDIT_CONF | opt.EDIT_EXCL | opt.COMMENT_OUT):
        return _show_master(mode, confdir, override_args, operands)
    if mode & (opt.EDIT_CONF | opt.EDIT_EXCL | opt.COMMENT_OUT):
        return _edit(mode, confdir, operands)
    defaults_only = bool(mode & opt.SHOW_DEFS)
    main = None
    overrides: dict[str, str] = {}
    if not defaults_only:
        main = _read_main(confdir)
        overrides = _overrides(override_args)
    master = _read_master(confdir, fail=False)
    config = Config(
        main,
        overrides,
        master,
        defaults_only=defaults_only,
        process_name="postconf",
        warn=msg_warn,
    )
    if defaults_only:
        table = ParamTable(config, confdir)
    else:
        table = register_user_parameters(config, confdir)
    table.classes = param_class
    show_parameters(table, operands, **_flags(mode))
    if not defaults_only:
        flag_unused_main(table)
        flag_unused_master(table, f"{confdir}/master.cf")
    return 0
