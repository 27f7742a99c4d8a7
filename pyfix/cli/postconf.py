"""NAME
    pyfix.cli.postconf - Postfix configuration utility

SUMMARY
    postconf [-dfhHnx] [-c config_dir] [-o name=value] [name ...]
    postconf -e name=value ... | -X name ... | -# name ...
    postconf -M[fx] [service[/type] ...], -F ..., -P ..., -Me/-MX/-M# ...
    postconf -m

DESCRIPTION
    Shows and edits main.cf and master.cf exactly as Postfix's postconf(1)
    does: the same options, the same output layout (white space
    normalized, -f folding), the same warnings about unknown and unused
    parameters, and the same fatal messages and exit status.  "-c dir"
    (or $MAIL_CONFIG) selects the configuration directory.

    Start-up stays cheap: no lookup-table or DNS code is imported.

    Parameters read: all of them, on request; config_directory.

DIAGNOSTICS
    Problems are reported on stderr as "postconf: warning: ..." or
    "postconf: fatal: ..."; a fatal error exits with status 1.
"""

from __future__ import annotations

import os
from typing import NoReturn

from pyfix.cli.common import getopt, run_command
from pyfix.log.msg import msg_fatal, set_progname

SHOW_NONDEF = 1 << 0
SHOW_DEFS = 1 << 1
HIDE_NAME = 1 << 2
SHOW_MAPS = 1 << 3
EDIT_CONF = 1 << 4
SHOW_LOCKS = 1 << 5
SHOW_EVAL = 1 << 6
SHOW_SASL_SERV = 1 << 7
SHOW_SASL_CLNT = 1 << 8
COMMENT_OUT = 1 << 9
MASTER_ENTRY = 1 << 10
FOLD_LINE = 1 << 11
EDIT_EXCL = 1 << 12
MASTER_FLD = 1 << 13
MAIN_PARAM = 1 << 14
EXP_DSN_TEMPL = 1 << 15
PARAM_CLASS = 1 << 16
MAIN_OVER = 1 << 17
DUMP_DSN_TEMPL = 1 << 18
MASTER_PARAM = 1 << 19
HIDE_VALUE = 1 << 20
SHOW_TLS = 1 << 21

OPTION_BITS = {
    "a": SHOW_SASL_SERV,
    "A": SHOW_SASL_CLNT,
    "b": EXP_DSN_TEMPL,
    "C": PARAM_CLASS,
    "d": SHOW_DEFS,
    "e": EDIT_CONF,
    "f": FOLD_LINE,
    "F": MASTER_FLD,
    "h": HIDE_NAME,
    "H": HIDE_VALUE,
    "l": SHOW_LOCKS,
    "m": SHOW_MAPS,
    "M": MASTER_ENTRY,
    "n": SHOW_NONDEF,
    "o": MAIN_OVER,
    "p": MAIN_PARAM,
    "P": MASTER_PARAM,
    "t": DUMP_DSN_TEMPL,
    "T": SHOW_TLS,
    "x": SHOW_EVAL,
    "X": EDIT_EXCL,
    "#": COMMENT_OUT,
}
GETOPT_STRING = "aAbc:C:deEfFhHlmMno:pPtT:vxX#"

MAJOR_MODES = (
    SHOW_SASL_SERV | SHOW_SASL_CLNT | EXP_DSN_TEMPL | SHOW_LOCKS | SHOW_MAPS
    | DUMP_DSN_TEMPL | MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM | SHOW_TLS
)
EDITS = EDIT_CONF | COMMENT_OUT | EDIT_EXCL
INCOMPATIBLE = (
    MAJOR_MODES,
    SHOW_DEFS | SHOW_NONDEF | EDITS,
    FOLD_LINE | EDITS,
    SHOW_EVAL | EDITS,
    MAIN_OVER | SHOW_DEFS | EDITS,
    HIDE_NAME | EDITS | HIDE_VALUE,
)
COMPATIBLE = (
    (SHOW_SASL_SERV, 0),
    (SHOW_SASL_CLNT, 0),
    (EXP_DSN_TEMPL, 0),
    (SHOW_LOCKS, 0),
    (SHOW_MAPS, 0),
    (SHOW_TLS, 0),
    (DUMP_DSN_TEMPL, 0),
    (MAIN_PARAM, EDITS | FOLD_LINE | HIDE_NAME | PARAM_CLASS | SHOW_EVAL | SHOW_DEFS
     | SHOW_NONDEF | MAIN_OVER | HIDE_VALUE),
    (MASTER_ENTRY, EDITS | FOLD_LINE | MAIN_OVER | SHOW_EVAL),
    (MASTER_FLD, EDIT_CONF | FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL | HIDE_VALUE),
    (MASTER_PARAM, EDIT_CONF | EDIT_EXCL | FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL
     | HIDE_VALUE),
    (PARAM_CLASS, MAIN_PARAM | SHOW_DEFS | SHOW_NONDEF),
)
NAME_ORDER = (
    ("-a", SHOW_SASL_SERV), ("-A", SHOW_SASL_CLNT), ("-b", EXP_DSN_TEMPL),
    ("-C", PARAM_CLASS), ("-d", SHOW_DEFS), ("-e", EDIT_CONF), ("-f", FOLD_LINE),
    ("-F", MASTER_FLD), ("-h", HIDE_NAME), ("-H", HIDE_VALUE), ("-l", SHOW_LOCKS),
    ("-m", SHOW_MAPS), ("-M", MASTER_ENTRY), ("-n", SHOW_NONDEF), ("-o", MAIN_OVER),
    ("-p", MAIN_PARAM), ("-P", MASTER_PARAM), ("-t", DUMP_DSN_TEMPL), ("-T", SHOW_TLS),
    ("-x", SHOW_EVAL), ("-X", EDIT_EXCL), ("-#", COMMENT_OUT),
)
USAGE = (
    "usage: {} [-a (server SASL types)] [-A (client SASL types)] [-b (bounce templates)]"
    " [-c config_dir] [-c param_class] [-d (parameter defaults)] [-e (edit configuration)]"
    " [-f (fold lines)] [-F (master.cf fields)] [-h (no names)] [-H (no values)]"
    " [-l (lock types)] [-m (map types)] [-M (master.cf)] [-n (non-default parameters)]"
    " [-o name=value (override parameter value)] [-p (main.cf, default)]"
    " [-P (master.cf parameters)] [-t (bounce templates)]"
    " [-T compile-version|run-version|public-key-algorithms] [-v (verbose)]"
    " [-x (expand parameter values)] [-X (exclude)] [-# (comment-out)] [name...]"
)


def _names(bits: int) -> str:
    return " ".join(name for name, bit in NAME_ORDER if bits & bit)


def _usage() -> NoReturn:
    msg_fatal(USAGE.format("postconf"))


def parse_args(argv: list[str]) -> tuple[int, list[str], list[str], str]:
    """Postfix's option string; returns (mode, overrides, operands, -C classes)."""
    mode = 0
    overrides: list[str] = []
    param_class = "all"
    options, operands = getopt(argv, GETOPT_STRING, _usage, "postconf")
    for opt, value in options:
        if opt == "c":
            os.environ["MAIL_CONFIG"] = value
        elif opt == "o":
            overrides.append(value)
        elif opt == "C":
            param_class = value
        mode |= OPTION_BITS.get(opt, 0)
    return mode, overrides, operands, param_class


def check_options(mode: int) -> None:
    for group in INCOMPATIBLE:
        chosen = group & mode
        if chosen & (chosen - 1):
            msg_fatal(f"specify one of {_names(chosen)}")
    for option, allowed in COMPATIBLE:
        if mode & option:
            excess = mode & ~(option | allowed)
            if excess:
                msg_fatal(f"with option {_names(option)}, do not specify {_names(excess)}")


def run(argv: list[str]) -> int:
    set_progname("postconf")
    mode, override_args, operands, param_class = parse_args(argv)
    if not mode & MAJOR_MODES:
        mode |= MAIN_PARAM
    if mode & (MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM) and operands and (
        "=" in operands[0]
    ):
        mode |= EDIT_CONF
    check_options(mode)
    if mode & EDIT_CONF and not operands:
        msg_fatal("-e requires name=value argument")
    from pyfix.cli import postconf_run

    return postconf_run.dispatch(mode, override_args, operands, param_class)


def main() -> None:
    run_command(run, block_stdout=True)

if __name__ == "__main__":
    main()
