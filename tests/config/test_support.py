"""pyfix.config.support: the list of implemented parameters stays true to
the code, and every other parameter set in main.cf or by -o is reported
by the service that reads it, or stops that service when it guards mail."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from pyfix.config import registry
from pyfix.config.maincf import MainCf, parse_main_cf
from pyfix.config.mastercf import read_master_cf
from pyfix.config.param_readers import READERS
from pyfix.config.store import HOST_COMPUTED, Config
from pyfix.config.support import (
    CHECKED_ELSEWHERE,
    EMBEDDED,
    FIXED,
    GUARDS,
    IMPLEMENTED,
    READ_NOT_IMPLEMENTED,
    Problem,
    master_problems,
    service_problems,
)
from pyfix.embedded import render
from pyfix.master.services import IMPLEMENTED as COMMANDS

REPO = Path(__file__).resolve().parents[2]
# Modules that name parameters without reading them for a service: the
# registry and its generated tables, postconf (which prints them all) and
# this list itself.
NOT_READERS = ("config/params_", "config/param_readers.py", "config/support.py",
               "cli/postconf")
# Modules whose tuples name queue-file record attributes, some of which
# share a parameter's name (content_filter), rather than parameters.
RECORD_TABLES = ("queue/",)
# f-string parameter names: {p} is "smtp" or "lmtp", {helo} "helo" or "lhlo".
FSTRING_FIELDS = {"p": ("smtp", "lmtp"), "helo": ("helo", "lhlo")}

MASTER_CF = """\
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
error     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
showq     unix  n       -       n       -       -       showq
flush     unix  n       -       n       1000?   0       flush
maildrop  unix  -       n       n       -       -       pipe
  flags=DRhu user=nobody argv=/usr/bin/maildrop -d ${recipient}
"""


def _names_in_calls() -> dict[str, set[str]]:
    """Parameter names passed as call arguments (or listed in tuples that
    a loop reads) in pyfix, with the modules."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "pyfix").rglob("*.py")):
        rel = path.relative_to(REPO / "pyfix").as_posix()
        if rel.startswith(NOT_READERS):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                args = [*node.args, *(k.value for k in node.keywords)]
            elif isinstance(node, ast.Tuple) and not rel.startswith(RECORD_TABLES):
                # tables of parameter names that a loop reads
                args = list(node.elts)
            else:
                continue
            for arg in args:
                for name in _constant_names(arg):
                    if registry.is_builtin(name):
                        found.setdefault(name, set()).add(rel)
    return found


def _constant_names(arg: ast.expr) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        return _constant_names(arg.body) + _constant_names(arg.orelse)
    if not isinstance(arg, ast.JoinedStr):
        return []
    names = []
    for pick in (0, 1):
        parts = []
        for value in arg.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue) and \
                    ast.unparse(value.value) in FSTRING_FIELDS:
                parts.append(FSTRING_FIELDS[ast.unparse(value.value)][pick])
            else:
                return []
        names.append("".join(parts))
    return names


def test_every_parameter_the_code_reads_is_listed() -> None:
    found = _names_in_calls()
    missing = {name: sorted(where) for name, where in found.items()
               if name not in IMPLEMENTED and name not in CHECKED_ELSEWHERE
               and name not in READ_NOT_IMPLEMENTED}
    assert not missing, f"read but not in support.IMPLEMENTED: {missing}"


def test_every_listed_parameter_is_read() -> None:
    found = _names_in_calls()
    # The configuration layer computes these itself (store.HOST_COMPUTED).
    unread = sorted(name for name in [*IMPLEMENTED, *READ_NOT_IMPLEMENTED]
                    if name not in found and name not in HOST_COMPUTED)
    assert not unread, f"in support.IMPLEMENTED but read nowhere: {unread}"
    assert not set(FIXED) & set(found), "FIXED parameters are not read"


def test_lists_are_consistent() -> None:
    assert not set(GUARDS) & set(IMPLEMENTED)
    assert not set(READ_NOT_IMPLEMENTED) & set(IMPLEMENTED)
    assert not set(GUARDS) & set(FIXED)
    assert all(registry.is_builtin(name) for name in [*IMPLEMENTED, *GUARDS, *FIXED])
    # Every guard is read by a daemon that pyfix runs, so some service checks it.
    daemons = set(COMMANDS) | {d for libs in EMBEDDED.values() for d, _ in libs} | {"master"}
    for name in GUARDS:
        assert any(name in READERS[d] for d in daemons), name


def test_readers_match_the_manual_pages() -> None:
    if not Path("/usr/share/man/man8/smtpd.8postfix.gz").exists():
        pytest.skip("Postfix's manual pages are not installed")
    result = subprocess.run([sys.executable, "tools/gen_param_readers.py", "--check"],
                            cwd=REPO, check=False)
    assert result.returncode == 0, "param_readers.py differs from the manual pages"


# Helpers ---------------------------------------------------------------


def config(main: dict[str, str], master_cf: str = MASTER_CF) -> Config:
    return Config(MainCf("main.cf", dict(main)), master=read_master_cf("master.cf", master_cf, print))


def problems(main: dict[str, str], master_cf: str = MASTER_CF) -> list[Problem]:
    cfg = config(main, master_cf)
    found: list[Problem] = master_problems(cfg)
    for entry in cfg.master:
        if entry.process_name in COMMANDS:
            found += service_problems(cfg.for_service(entry.name, entry.type))
    return list(dict.fromkeys(found))  # cleanup's, once for smtpd and once for pickup


def other_value(name: str) -> str:
    info = registry.lookup_builtin(name)
    assert info is not None
    if info.kind in ("bool", "nbool"):
        return "no" if info.default.lower() in ("yes", "true", "1") else "yes"
    if info.kind in ("int", "nint", "long"):
        return "12345"
    if info.kind == "time":
        return "12345s"
    return "pyfix-test-value"


def run_daemons() -> dict[str, set[str]]:
    """Parameter -> the pyfix-run daemons whose manual page lists it."""
    readers: dict[str, set[str]] = {}
    daemons = set(COMMANDS) | {d for libs in EMBEDDED.values() for d, _ in libs} | {"master"}
    for daemon in daemons:
        for name in READERS[daemon]:
            readers.setdefault(name, set()).add(daemon)
    return readers


UNSUPPORTED = sorted(name for name in run_daemons()
                     if registry.is_builtin(name) and name not in IMPLEMENTED
                     and name not in CHECKED_ELSEWHERE and name not in HOST_COMPUTED)


def test_each_unsupported_parameter_is_reported() -> None:
    """Every parameter a pyfix service's Postfix daemon reads and pyfix does
    not, set in turn to a value other than its default, is reported by
    that service: a warning, or a refusal for those in GUARDS."""
    assert len(UNSUPPORTED) > 300
    silent = []
    for name in UNSUPPORTED:
        value = other_value(name)
        if value.lower() in FIXED.get(name, ()):
            continue  # pyfix behaves as this value does
        found = [p for p in problems({name: value}) if p.name == name]
        if not found:
            silent.append(name)
            continue
        guard = GUARDS.get(name)
        expect_fatal = (guard is not None and value.lower() not in guard.safe
                        # milter_default_action is at its default, tempfail
                        and "tempfail" not in guard.unless_milter_action)
        assert all(p.fatal == expect_fatal for p in found), (name, found)
        assert str(found[0]).startswith(f"{found[0].service}: parameter {name} = {value} "
                                        "is not supported by pyfix yet")
    assert not silent, f"set but not reported: {silent}"


def test_warning_names_the_service() -> None:
    found = [str(p) for p in problems({"smtpd_tls_security_level": "may",
                                       "max_use": "1"})]
    assert "smtp/inet: parameter smtpd_tls_security_level = may is not supported by " \
           "pyfix yet" in found
    assert "pickup/unix: parameter max_use = 1 is not supported by pyfix yet" in found
    # cleanup and trivial-rewrite are read in their own master.cf service's view
    assert "cleanup/unix: parameter max_use = 1 is not supported by pyfix yet" in found
    assert "rewrite/unix: parameter max_use = 1 is not supported by pyfix yet" in found


def test_defaults_and_supported_values_are_quiet() -> None:
    assert problems({}) == []
    # set, but to the default value (also after $name expansion)
    assert problems({"smtpd_milters": "", "biff": "yes", "max_use": "$default_max",
                     "default_max": "100", "smtpd_tls_security_level": "none"}) == []
    # implemented values of a partly implemented parameter
    assert problems({"smtpd_tls_security_level": "encrypt", "biff": "no",
                     "smtp_dns_support_level": "disabled"}) == []
    # Restriction lists are the restriction engine's to check.
    assert problems({"smtpd_client_restrictions": "reject_unknown_client_hostname"}) == []


def test_only_the_services_that_read_it_report_it() -> None:
    services = {p.service for p in problems({"smtpd_tls_cert_file": "/x.pem"})}
    assert services == {"smtp/inet"}
    services = {p.service for p in problems({"smtp_tls_cert_file": "/x.pem"})}
    assert services == {"smtp/unix", "relay/unix"}
    services = {p.service for p in problems({"lmtp_tls_cert_file": "/x.pem"})}
    assert services == {"lmtp/unix"}


def test_o_option_is_reported_for_that_service_only() -> None:
    master_cf = MASTER_CF + ("submission inet n - n - - smtpd\n"
                             "  -o smtpd_tls_security_level=may\n")
    found = [str(p) for p in problems({}, master_cf)]
    assert found == ["submission/inet: parameter smtpd_tls_security_level = may is not "
                     "supported by pyfix yet"]


def test_cleanup_view_is_that_of_cleanup_service_name() -> None:
    master_cf = MASTER_CF + ("pre-cleanup unix n - n - 0 cleanup\n"
                             "  -o canonical_maps=texthash:/etc/canonical\n"
                             "submission inet n - n - - smtpd\n"
                             "  -o cleanup_service_name=pre-cleanup\n")
    found = [str(p) for p in problems({}, master_cf)]
    assert found == [
        "pre-cleanup/unix: parameter canonical_maps = texthash:/etc/canonical is not "
        "supported by pyfix yet, and pre-cleanup/unix will not run without it: "
        "addresses would not be rewritten as it says"]


def test_per_transport_parameters() -> None:
    assert problems({"relay_destination_concurrency_limit": "5",
                     "relay_destination_rate_delay": "1s"}) == []
    found = [str(p) for p in problems({"relay_destination_concurrency_positive_feedback":
                                       "2"})]
    assert found == ["qmgr/unix: parameter relay_destination_concurrency_positive_feedback = "
                     "2 is not supported by pyfix yet"]


@pytest.mark.parametrize(("name", "value", "service"), [
    ("smtpd_milter_maps", "cidr:/etc/milters", "smtp/inet"),
    ("non_smtpd_milters", "inet:127.0.0.1:9", "cleanup/unix"),
    ("content_filter", "scan:[127.0.0.1]:10025", "smtp/inet"),
    ("content_filter", "scan:[127.0.0.1]:10025", "pickup/unix"),
    ("smtpd_proxy_filter", "127.0.0.1:10025", "smtp/inet"),
    ("smtpd_upstream_proxy_protocol", "haproxy", "smtp/inet"),
    ("canonical_maps", "texthash:/etc/canonical", "cleanup/unix"),
    ("sender_canonical_maps", "texthash:/etc/canonical", "cleanup/unix"),
    ("recipient_canonical_maps", "texthash:/etc/canonical", "cleanup/unix"),
    ("virtual_alias_maps", "texthash:/etc/virtual", "cleanup/unix"),
    ("virtual_alias_maps", "texthash:/etc/virtual", "smtp/inet"),
    ("masquerade_domains", "example.com", "cleanup/unix"),
    ("sender_bcc_maps", "texthash:/etc/bcc", "cleanup/unix"),
    ("recipient_bcc_maps", "texthash:/etc/bcc", "cleanup/unix"),
    ("nested_header_checks", "regexp:/etc/nested", "cleanup/unix"),
    ("smtp_tls_security_level", "encrypt", "smtp/unix"),
    ("smtp_tls_security_level", "verify", "relay/unix"),
    ("smtp_tls_security_level", "dane", "smtp/unix"),
    ("lmtp_tls_security_level", "secure", "lmtp/unix"),
    ("smtp_enforce_tls", "yes", "smtp/unix"),
    ("smtp_tls_policy_maps", "texthash:/etc/tls_policy", "smtp/unix"),
    ("smtp_sasl_auth_enable", "yes", "relay/unix"),
    ("master_service_disable", "inet", "master"),
])
def test_guard_stops_the_service(name: str, value: str, service: str) -> None:
    found = [p for p in problems({name: value}) if p.service == service and p.name == name]
    assert len(found) == 1 and found[0].fatal, found
    assert str(found[0]).startswith(
        f"{service}: parameter {name} = {value} is not supported by pyfix yet, and {service} "
        "will not run without it: ")


@pytest.mark.parametrize(("main", "quiet"), [
    # with milter_default_action = accept Postfix passes mail on when the
    # milter cannot be reached: ignoring the milter is only a warning.
    ({"smtpd_milters": "inet:127.0.0.1:9", "milter_default_action": "accept"}, True),
    # tempfail: smtpd answers 451 4.7.1 as Postfix does (smtpd/milter_gate.py)
    ({"smtpd_milters": "inet:127.0.0.1:9", "milter_default_action": "tempfail"}, True),
    ({"smtpd_milters": "inet:127.0.0.1:9"}, True),
    ({"smtpd_milters": "inet:127.0.0.1:9", "milter_default_action": "reject"}, False),
    ({"smtpd_milters": "inet:127.0.0.1:9", "milter_default_action": "quarantine"}, False),
    # opportunistic TLS may fall back to plain text anyway
    ({"smtp_tls_security_level": "may"}, True),
    ({"smtp_tls_security_level": "none"}, True),
    ({"smtp_tls_security_level": "fingerprint"}, False),
])
def test_guard_values(main: dict[str, str], quiet: bool) -> None:
    fatal = [p for p in problems(main) if p.fatal]
    assert (not fatal) == quiet, fatal


def test_embedded_configuration_uses_nothing_unsupported() -> None:
    files = render("/srv/pyfix")
    cfg = Config(parse_main_cf("main.cf", files["main.cf"], print),
                 master=read_master_cf("master.cf", files["master.cf"], print))
    for entry in cfg.master:
        assert service_problems(cfg.for_service(entry.name, entry.type)) == [], entry.name

