#!/usr/bin/env python3
"""NAME
    gen_params_data - regenerate pyfix/config/params_*.py (the parameter registry)

SUMMARY
    tools/gen_params_data.py [--postconf PATH] [--master-cf PATH]
        [--types PATH] [--output PATH] [--golden PATH] [--check]

DESCRIPTION
    Builds the parameter registry data of pyfix from two sources:

    1.  The real Postfix postconf(1) (Debian's Postfix 3.7.11 when this
        was written).  It is run as "postconf -c DIR -d" on scratch
        configuration directories that hold an empty main.cf and either
        the stock master.cf (/etc/postfix/master.cf as installed by the
        package) or an empty master.cf.  Names and defaults come from
        this output, byte for byte.  Names printed only when master.cf
        has services are the service-derived parameters; they are learnt
        by probing: one scratch directory per candidate command (every
        program in $daemon_directory and every command in the stock
        master.cf), each with a single service "pyfixprobe" running that
        command.  Host-dependent defaults are confirmed by running
        postconf twice, under another argv[0], and (when unshare(1)
        works without privileges) under another host name and in an
        empty network namespace.

    2.  tools/param_types.tsv: kind, range and time unit of every
        built-in parameter.  It was made once by reading the typed
        parameter tables of the postfix-3.7.11 source (see its header);
        the source is not needed to rerun this script.  Time units are
        cross-checked against "postconf -dx" (first letter of the
        expanded default, which is what Postfix uses for a bare number).

    The script refuses to write anything when the facts disagree
    (a parameter without a type, a unit mismatch, a service-derived name
    that the templates do not explain, a host-dependent value outside
    KNOWN_DYNAMIC).

    How to rerun (on a host with Debian's postfix package installed):

        .venv/bin/python tools/gen_params_data.py \\
            --golden tests/golden/postconf-d.txt
        .venv/bin/ruff check pyfix/config
        .venv/bin/mypy --strict pyfix/config

    With --check nothing is written; the exit status is 1 when the
    checked-in params_*.py modules differ from what would be generated.

DIAGNOSTICS
    Problems are reported on stderr as "gen_params_data: fatal: ..."
    with exit status 1.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, NoReturn

ROOT = Path(__file__).resolve().parent.parent
PROBE_SERVICE = "pyfixprobe"
KINDS = ("str", "raw", "bool", "nbool", "int", "nint", "long", "time")

# Parameters whose `postconf -d` value is computed on the running host.
# Source: postconf_builtin.c (the STR_FN table for myhostname, mydomain and
# mynetworks; the ad-hoc process_name/process_id entries).  Each is also
# confirmed empirically by probe_dynamic() where the host allows it.
KNOWN_DYNAMIC: dict[str, str] = {
    "myhostname": "gethostname(), plus .$mydomain (default localdomain) if not an FQDN",
    "mydomain": "the domain part of $myhostname, else localdomain",
    "mynetworks": "computed from the host's interfaces per mynetworks_style",
    "process_id": "the pid of the postconf process",
    "process_name": "basename of argv[0] of the running program",
}

# pyfix follows the Postfix 3.9+ security defaults.  The comment of each
# entry is copied into params_data.py.
PYFIX_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    (
        "smtpd_forbid_bare_newline",
        "normalize",
        "default since Postfix 3.9; no in the 3.5.23/3.6.13/3.7.9/3.8.4+ backports",
    ),
    (
        "smtpd_forbid_unauth_pipelining",
        "yes",
        "default since Postfix 3.9; no in the 3.5.20/3.6.10/3.7.6/3.8.1+ backports",
    ),
    (
        "cleanup_replace_stray_cr_lf",
        "yes",
        "yes since it appeared (3.9; backports 3.5.24/3.6.14/3.7.10/3.8.5): as 3.7.11",
    ),
)


class TypeFact(NamedTuple):
    kind: str
    lo: int
    hi: int
    unit: str


class Template(NamedTuple):
    template: str
    default: str
    kind: str


def fatal(text: str) -> NoReturn:
    print(f"gen_params_data: fatal: {text}", file=sys.stderr)
    raise SystemExit(1)


def warn(text: str) -> None:
    print(f"gen_params_data: warning: {text}", file=sys.stderr)


def run(argv: Sequence[str]) -> str:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, check=False, env=os.environ.copy()
    )
    if proc.returncode != 0:
        fatal(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def parse_postconf(text: str) -> dict[str, str]:
    """Parse "name = value" lines ("name =" for an empty value), keeping order."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(" =")
        if not sep or not name or " " in name:
            fatal(f"unexpected postconf output line: {line!r}")
        if value and not value.startswith(" "):
            fatal(f"unexpected postconf output line: {line!r}")
        result[name] = value[1:]
    return result


def make_confdir(base: Path, name: str, master_cf: str) -> Path:
    confdir = base / name
    confdir.mkdir()
    (confdir / "main.cf").write_text("")
    (confdir / "master.cf").write_text(master_cf)
    return confdir


def load_types(path: Path) -> dict[str, TypeFact]:
    facts: dict[str, TypeFact] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            fatal(f"{path}:{lineno}: expected 5 tab-separated fields")
        name, kind, lo, hi, unit = fields
        if kind not in KINDS:
            fatal(f"{path}:{lineno}: bad kind {kind!r}")
        if (unit == "-") == (kind == "time"):
            fatal(f"{path}:{lineno}: unit {unit!r} does not fit kind {kind}")
        facts[name] = TypeFact(kind, int(lo), int(hi), "" if unit == "-" else unit)
    return facts


def master_commands(master_cf: str) -> list[str]:
    """Column 8 of each service entry (continuation lines start with white space)."""
    commands = []
    for line in master_cf.splitlines():
        if not line or line[0] in " \t#":
            continue
        fields = line.split()
        if len(fields) >= 8:
            commands.append(fields[7])
    return commands


def master_services(master_cf: str) -> list[tuple[str, str]]:
    return [
        (fields[0], fields[7])
        for line in master_cf.splitlines()
        if line and line[0] not in " \t#" and len(fields := line.split()) >= 8
    ]


def probe_templates(
    postconf: str, base: Path, baseline: dict[str, str], candidates: Iterable[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Map command -> ((template, default), ...) for commands that add parameters."""
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for i, command in enumerate(sorted(set(candidates))):
        confdir = make_confdir(base, f"probe{i}", f"{PROBE_SERVICE} unix - - n - - {command}\n")
        out = parse_postconf(run([postconf, "-c", str(confdir), "-d"]))
        added = sorted(set(out) - set(baseline))
        removed = set(baseline) - set(out)
        if removed:
            fatal(f"probe {command!r} removed parameters: {sorted(removed)}")
        if not added:
            continue
        pairs = []
        for name in added:
            if not name.startswith(PROBE_SERVICE + "_"):
                fatal(f"probe {command!r} added an unexpected name {name!r}")
            pairs.append(("%s" + name[len(PROBE_SERVICE) :], out[name]))
        found[command] = tuple(pairs)
    return found


def probe_dynamic(postconf: str, base: Path, confdir: Path, reference: dict[str, str]) -> set[str]:
    """Names whose value changes with the process, argv[0], host name or interfaces."""
    changed: set[str] = set()

    def note(out: dict[str, str]) -> None:
        changed.update(name for name, value in reference.items() if out.get(name) != value)

    note(parse_postconf(run([postconf, "-c", str(confdir), "-d"])))
    alias = base / "pyfix-probe-postconf"
    alias.symlink_to(postconf)
    note(parse_postconf(run([str(alias), "-c", str(confdir), "-d"])))
    unshare = shutil.which("unshare")
    if unshare is None:
        warn("unshare(1) not found: host name and interface probes skipped")
        return changed
    probes = {
        "host name": 'hostname pyfix-probe.example && exec "$0" -c "$1" -d',
        "interfaces": 'ip link set lo up && exec "$0" -c "$1" -d',
    }
    flags = {"host name": "-ru", "interfaces": "-rn"}
    for what, script in probes.items():
        proc = subprocess.run(
            [unshare, flags[what], "sh", "-c", script, postconf, str(confdir)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            warn(f"{what} probe skipped: {proc.stderr.strip()}")
            continue
        note(parse_postconf(proc.stdout))
    return changed


def time_unit(expanded: str) -> str:
    match = re.search(r"[A-Za-z]", expanded)
    return match.group(0) if match else ""


def py_str(text: str) -> str:
    literal = json.dumps(text, ensure_ascii=True)
    if ast.literal_eval(literal) != text:
        fatal(f"cannot render {text!r} as a Python literal")
    return literal


def mask_dynamic(text: str) -> str:
    """Blank the PARAMS values of host-dependent names, for --check."""
    prefixes = tuple(f"    {py_str(name)}: (" for name in KNOWN_DYNAMIC)
    return "\n".join(
        line.split(":")[0] if line.startswith(prefixes) else line for line in text.splitlines()
    )


STRING_KINDS = ("str",)
MODULES = {
    "params_str": "STRING_PARAMS",
    "params_typed": "TYPED_PARAMS",
}


def _header(module: str, summary: str, description: list[str], version: str,
            command_line: str) -> list[str]:
    return [
        '"""NAME',
        f"    pyfix.config.{module} - {summary} (generated)",
        "",
        "DESCRIPTION",
        "    GENERATED DATA - DO NOT EDIT.  Regenerate with",
        "    tools/gen_params_data.py (see its header).",
        "",
        *description,
        "",
        f"    Source: Postfix {version} (Debian), {command_line}, and",
        "    tools/param_types.tsv.",
        "",
        "    Parameters read: none.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
        "from __future__ import annotations",
        "",
        "# One entry per line, as generated; keep ruff format away from it.",
        "# fmt: off",
        "",
    ]


def _param_table(variable: str, params: dict[str, str], types: dict[str, TypeFact],
                 keep: Callable[[str], bool]) -> list[str]:
    out = [f"{variable}: dict[str, tuple[str, str, int, int, str]] = {{",
           "    # name: (kind, default_as_postconf_-d_prints_it, min, max, unit_or_empty)"]
    for name, default in params.items():
        fact = types[name]
        if not keep(fact.kind):
            continue
        fields = (
            f"{py_str(fact.kind)}, {py_str(default)}, {fact.lo}, {fact.hi}, {py_str(fact.unit)}"
        )
        out.append(f"    {py_str(name)}: ({fields}),")
    out.append("}")
    return out


def render(
    version: str,
    command_line: str,
    params: dict[str, str],
    types: dict[str, TypeFact],
    by_command: dict[str, tuple[Template, ...]],
    dynamic: Iterable[str],
    builtin_service_names: dict[str, str],
) -> dict[str, str]:
    """The generated modules, by file name (in pyfix/config)."""
    files: dict[str, str] = {}
    kinds_doc = [
        '    kind: "str" | "raw" | "bool" | "nbool" | "int" | "nint" | "long" |',
        '    "time".  min/max: bounds from the Postfix tables for int, nint,',
        "    long and time (time bounds in seconds); 0 means no bound.  For",
        '    "time" the unit is the default unit letter (s, m, h, d, w) that',
        "    Postfix uses for bare numbers.",
    ]
    files["params_str.py"] = "\n".join([
        *_header("params_str", "string parameters and their defaults",
                 ["    STRING_PARAMS: the parameters of postconf's string table",
                  "    (str_table), whose values are expanded as macros.", "",
                  *kinds_doc], version, command_line),
        *_param_table("STRING_PARAMS", params, types, lambda kind: kind in STRING_KINDS),
    ]) + "\n"
    files["params_typed.py"] = "\n".join([
        *_header("params_typed", "typed and raw parameters and their defaults",
                 ["    TYPED_PARAMS: the parameters of postconf's other tables:",
                  "    bool and nbool, int and nint, long, time (with their ranges",
                  "    and units), and raw (values that are never expanded).", "",
                  *kinds_doc], version, command_line),
        *_param_table("TYPED_PARAMS", params, types,
                      lambda kind: kind not in STRING_KINDS),
    ]) + "\n"

    common_commands = sorted(c for c, t in by_command.items() if len(t) > 1)
    common = sorted(set.intersection(*(set(by_command[c]) for c in common_commands)))
    out: list[str] = _header(
        "params_service", "parameters that master.cf services add",
        ["    SERVICE_PARAM_TEMPLATES, SERVICE_PARAM_COMMANDS and",
         "    SERVICE_PARAM_TEMPLATES_BY_COMMAND: the per-service parameters",
         '    ("%s_destination_concurrency_limit" and so on) that postconf',
         "    adds for a master.cf service running a delivery agent."],
        version, command_line)
    w = out.append
    w(
        "# Templates postconf adds for each master.cf service whose command"
        " (column 8) is a delivery agent."
    )
    w('# "%s" is replaced by the service name.')
    w("#")
    w("# Found empirically by running postconf -d on a master.cf with a single service")
    w(f'# "{PROBE_SERVICE} unix - - n - - COMMAND" for every program in $daemon_directory')
    w("# and every command in the stock master.cf.  Commands that add names:")
    for command in sorted(by_command):
        w(f"#   {command}: {len(by_command[command])} names")
    w("# Only column 8 counts, compared by exact string: a full pathname such as")
    w("# /usr/lib/postfix/sbin/smtp adds nothing, nor do discard, smtpd, qmgr, etc.")
    w("# The service name (column 1) and type (column 2) do not matter.")
    w("# A derived name that is already a built-in parameter is NOT added and keeps")
    w("# its built-in default; with the stock master.cf this happens for")
    for name, default in builtin_service_names.items():
        w(f"#   {name} = {default}")
    w('# (and e.g. a smtp service named "default" adds only')
    w("# default_initial_destination_concurrency).  postconf -d never prints")
    w("# user-defined names from main.cf or master.cf -o options.")
    w("#")
    w("# SERVICE_PARAM_TEMPLATES/SERVICE_PARAM_COMMANDS hold the set common to the")
    w("# delivery agents; SERVICE_PARAM_TEMPLATES_BY_COMMAND is the complete list per")
    w('# command (pipe also adds "%s_time_limit"; spawn adds only "%s_time_limit").')
    w("# The kind is that of the parameter named in the default.")
    w("SERVICE_PARAM_TEMPLATES: tuple[tuple[str, str, str], ...] = (")
    for tpl in common:
        w(f"    ({py_str(tpl.template)}, {py_str(tpl.default)}, {py_str(tpl.kind)}),")
    w(")")
    w("SERVICE_PARAM_COMMANDS: frozenset[str] = frozenset({")
    for command in common_commands:
        w(f"    {py_str(command)},")
    w("})")
    w("")
    w("SERVICE_PARAM_TEMPLATES_BY_COMMAND: dict[str, tuple[tuple[str, str, str], ...]] = {")
    for command in sorted(by_command):
        w(f"    {py_str(command)}: (")
        for tpl in by_command[command]:
            w(f"        ({py_str(tpl.template)}, {py_str(tpl.default)}, {py_str(tpl.kind)}),")
        w("    ),")
    w("}")
    files["params_service.py"] = "\n".join(out) + "\n"

    out = [
        '"""NAME',
        "    pyfix.config.params_data - Postfix main.cf parameter registry (generated)",
        "",
        "SUMMARY",
        "    PARAMS, SERVICE_PARAM_TEMPLATES, SERVICE_PARAM_COMMANDS,",
        "    SERVICE_PARAM_TEMPLATES_BY_COMMAND, DYNAMIC, PYFIX_DEFAULTS",
        "",
        "DESCRIPTION",
        "    GENERATED DATA - DO NOT EDIT.  Regenerate with",
        "    tools/gen_params_data.py (see its header).",
        "",
        f"    Names and defaults are exactly what Postfix {version} (Debian)",
        "    prints for",
        "",
        f"        {command_line}",
        "",
        "    where DIR holds an empty main.cf and the stock Debian master.cf,",
        "    minus the service-derived parameters (see params_service.py).",
        "    That output is recorded in tests/golden/postconf-d.txt.",
        "    Kinds, ranges and time units come from tools/param_types.tsv,",
        f"    which was read off the typed parameter tables of postfix-{version}.",
        "",
        "    The data is split the way postconf keeps it: the string table",
        "    (params_str.py), the other typed tables (params_typed.py) and the",
        "    service-derived parameters (params_service.py); PARAMS joins the",
        "    first two in name order.  PARAMS holds the pure Postfix values;",
        "    pyfix's own defaults are in PYFIX_DEFAULTS and are applied by",
        "    pyfix.config.registry.",
        "",
        "    Parameters read: none.",
        "",
        "DIAGNOSTICS",
        "    None.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "",
        "from __future__ import annotations",
        "",
        "from pyfix.config.params_service import (",
        "    SERVICE_PARAM_COMMANDS,",
        "    SERVICE_PARAM_TEMPLATES,",
        "    SERVICE_PARAM_TEMPLATES_BY_COMMAND,",
        ")",
        "from pyfix.config.params_str import STRING_PARAMS",
        "from pyfix.config.params_typed import TYPED_PARAMS",
        "",
        "__all__ = [",
        '    "DYNAMIC",',
        '    "PARAMS",',
        '    "PYFIX_DEFAULTS",',
        '    "SERVICE_PARAM_COMMANDS",',
        '    "SERVICE_PARAM_TEMPLATES",',
        '    "SERVICE_PARAM_TEMPLATES_BY_COMMAND",',
        "]",
        "",
        "# name: (kind, default_as_postconf_-d_prints_it, min, max, unit_or_empty)",
        "PARAMS: dict[str, tuple[str, str, int, int, str]] = dict(",
        "    sorted({**STRING_PARAMS, **TYPED_PARAMS}.items()))",
        "",
        "# fmt: off",
        "",
        "# Defaults computed on the running host; PARAMS holds what the generating",
        "# host printed.",
        "DYNAMIC: frozenset[str] = frozenset({",
    ]
    w = out.append
    for name in sorted(dynamic):
        w(f"    {py_str(name)},  # {KNOWN_DYNAMIC[name]}")
    w("})")
    w("")
    w(f"# pyfix defaults that deliberately differ from Postfix {version}.")
    w("PYFIX_DEFAULTS: dict[str, str] = {")
    for name, value, why in PYFIX_DEFAULTS:
        w(f"    {py_str(name)}: {py_str(value)},  # {why}")
    w("}")
    files["params_data.py"] = "\n".join(out) + "\n"
    return files


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1].strip() if __doc__ else None)
    ap.add_argument("--postconf", default="/usr/sbin/postconf")
    ap.add_argument("--master-cf", type=Path, default=Path("/etc/postfix/master.cf"))
    ap.add_argument("--types", type=Path, default=ROOT / "tools" / "param_types.tsv")
    ap.add_argument("--output", type=Path, default=ROOT / "pyfix" / "config",
                    help="the directory of the generated params_*.py modules")
    ap.add_argument("--golden", type=Path, help="also write this golden file (and NAME.cmd)")
    ap.add_argument("--check", action="store_true", help="compare with --output, write nothing")
    args = ap.parse_args(argv)

    postconf = str(Path(args.postconf).resolve())
    stock_master = args.master_cf.read_text()
    types = load_types(args.types)

    with tempfile.TemporaryDirectory(prefix="gen_params_data.") as tmp:
        base = Path(tmp)
        stock_dir = make_confdir(base, "stock", stock_master)
        empty_dir = make_confdir(base, "empty", "")
        version = run([postconf, "-c", str(empty_dir), "-d", "-h", "mail_version"]).strip()
        stock_text = run([postconf, "-c", str(stock_dir), "-d"])
        stock = parse_postconf(stock_text)
        empty = parse_postconf(run([postconf, "-c", str(empty_dir), "-d"]))
        expanded = parse_postconf(run([postconf, "-c", str(empty_dir), "-d", "-x"]))
        daemon_dir = Path(empty["daemon_directory"])
        candidates = set(master_commands(stock_master))
        if daemon_dir.is_dir():
            candidates.update(p.name for p in daemon_dir.iterdir() if p.is_file())
        else:
            warn(f"{daemon_dir}: not a directory; probing master.cf commands only")
        probed = probe_templates(postconf, base, empty, candidates)
        dynamic = probe_dynamic(postconf, base, empty_dir, empty)

    # Host-dependent values.
    unexplained = dynamic - set(KNOWN_DYNAMIC)
    if unexplained:
        fatal(f"host-dependent values not in KNOWN_DYNAMIC: {sorted(unexplained)}")
    for name in sorted(set(KNOWN_DYNAMIC) - dynamic):
        warn(f"{name}: listed as dynamic but not observed to change on this host")

    # Built-in parameters: what postconf prints with no services at all.
    missing = [name for name in empty if name not in types]
    if missing:
        fatal(f"no type in {args.types} for: {missing}")
    for name in empty:
        if name not in stock:
            fatal(f"{name}: printed without services but not with the stock master.cf")
        if stock[name] != empty[name] and name not in KNOWN_DYNAMIC:
            fatal(f"{name}: default depends on master.cf: {stock[name]!r} / {empty[name]!r}")
    for name in sorted(set(types) - set(empty)):
        warn(f"{name}: in {args.types} but not printed by postconf -d")
    for name, fact in types.items():
        if fact.kind == "time" and name in expanded and time_unit(expanded[name]) != fact.unit:
            fatal(f"{name}: unit {fact.unit!r} in TSV, postconf -dx says {expanded[name]!r}")

    # Service templates, typed by the parameter named in their default.
    by_command: dict[str, tuple[Template, ...]] = {}
    for command, pairs in probed.items():
        templates = []
        for template, default in pairs:
            ref = default[1:] if default.startswith("$") else ""
            if ref not in types:
                fatal(f"{template}: default {default!r} is not a built-in $parameter")
            templates.append(Template(template, default, types[ref].kind))
        by_command[command] = tuple(templates)

    # The stock master.cf must be fully explained by built-ins + templates.
    expected: dict[str, str] = {}
    builtin_service_names: dict[str, str] = {}
    for service, command in master_services(stock_master):
        for tpl in by_command.get(command, ()):
            name = tpl.template % service
            if name in empty:
                builtin_service_names[name] = empty[name]
            else:
                expected[name] = tpl.default
    derived = {name: value for name, value in stock.items() if name not in empty}
    if derived != expected:
        fatal(
            "service-derived names not explained by the templates: "
            f"{sorted(set(derived.items()) ^ set(expected.items()))[:10]}"
        )

    command_line = "postconf -c DIR -d"
    # PARAMS values are those of the stock-master.cf run, in postconf's order.
    files = render(
        version,
        command_line,
        {name: stock[name] for name in empty},
        types,
        by_command,
        sorted(dynamic | set(KNOWN_DYNAMIC)),
        dict(sorted(builtin_service_names.items())),
    )

    directory = args.output
    if args.check:
        stale = False
        for name, text in files.items():
            path = directory / name
            current = path.read_text() if path.exists() else ""
            if mask_dynamic(current) != mask_dynamic(text):
                print(f"{path}: out of date", file=sys.stderr)
                stale = True
        return 1 if stale else 0
    for name, text in files.items():
        (directory / name).write_text(text)
    print(f"wrote {', '.join(files)} in {directory}: {len(empty)} parameters, "
          f"postfix {version}")
    if args.golden:
        args.golden.parent.mkdir(parents=True, exist_ok=True)
        args.golden.write_text(stock_text)
        cmd = args.golden.with_name(args.golden.name + ".cmd")
        cmd.write_text(
            f"# Postfix {version} (Debian package postfix), {postconf}\n"
            "# DIR: a directory holding the stock Debian /etc/postfix/master.cf\n"
            "# (as installed by the package) and an empty main.cf.\n"
            "# process_id, and the host-dependent values of myhostname, mydomain\n"
            "# and mynetworks, differ between runs and hosts (see DYNAMIC).\n"
            f"postconf -c DIR -d\n"
        )
        print(f"wrote {args.golden} and {cmd}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
