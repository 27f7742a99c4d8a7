"""The scope of master.cf -o overrides (issue 9, item 5), without a live Postfix.

Postfix runs trivial-rewrite, cleanup, bounce and qmgr as daemons of their
own, each with main.cf and its own master.cf -o options; pyfix runs the
first three inside their callers.  Two checks:

- Behaviour: with tests/smtpd/test_scope_live.py's configuration (smtpd
  and its rewrite service with conflicting -o overrides), pyfix's RCPT
  checks give real Postfix's replies, recorded in
  tests/golden/scope/rcpt_classes.txt.
- The audit table: tests/golden/scope/SERVICE.txt lists the parameters
  that each Postfix program reads (its manual page).  While pyfix builds
  a caller (smtpd, pickup, local, qmgr) and runs RCPT checks, every
  parameter read is recorded with the master.cf service whose view it
  was read from.  A parameter that trivial-rewrite, cleanup, bounce or
  qmgr reads and the caller does not must never be read in the
  caller's own view, and the library parameters must have been read in
  the library service's view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyfix.config.load import load_config
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.smtpd.service import smtpd_context
from tests.instance import REPO
from tests.smtpd import test_scope_live as scope

GOLDEN = REPO / "tests" / "golden"
SMTPD = "127.0.0.1:2525"
# The services of the test's master.cf, besides smtpd and test_scope_live's.
CALLERS_CF = """\
qmgr unix n - n 300 1 qmgr -o rewrite_service_name=rw-scope
  -o bounce_service_name=bounce-scope
pickup unix n - n 60 1 pickup -o cleanup_service_name=cl-scope
local unix - n n - - local -o rewrite_service_name=rw-scope -o cleanup_service_name=cl-scope
bounce-scope unix - - n - 0 bounce -o cleanup_service_name=cl-scope
"""
Read = tuple[str | None, str]


def man_list(program: str) -> frozenset[str]:
    return frozenset((GOLDEN / "scope" / f"{program}.txt").read_text().split())


def only_in(library: str, *callers: str) -> frozenset[str]:
    """Parameters that library reads and none of callers does."""
    return man_list(library).difference(*(man_list(c) for c in callers))


@pytest.fixture
def confdir(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    for name, content in scope.FILES.items():
        (files / name).write_text(content)
    main = ((GOLDEN / "smtp" / "postfix" / "main.cf").read_text()
            + (GOLDEN / "smtp" / "profiles" / "base.cf").read_text() + scope.MAIN_CF)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.cf").write_text(main.replace("@BASE@", str(tmp_path))
                                  .replace("@FILES@", str(files)))
    master = (f"{SMTPD} inet n - n - - smtpd\n  {scope.SMTPD_ARGS}\n"
              + scope.MASTER_CF + CALLERS_CF)
    (conf / "master.cf").write_text(master.replace("@FILES@", str(files)))
    (tmp_path / "queue").mkdir()
    return conf


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Read]]:
    """Every Config.get() as (master.cf service of the view, parameter)."""
    seen: list[Read] = []
    real_get = Config.get

    def recording_get(self: Config, name: str) -> str:
        seen.append((self.scope.name if self.scope is not None else None, name))
        return real_get(self, name)

    monkeypatch.setattr(Config, "get", recording_get)
    yield seen


def view(confdir: Path, name: str, type_: str) -> Config:
    return load_config(str(confdir), warn=lambda _text: None).for_service(name, type_)


def log(tmp_path: Path) -> MailLog:
    return MailLog("postfix/test", maillog_file=str(tmp_path / "test.log"))


def rcpt_replies(confdir: Path, tmp_path: Path) -> dict[str, str]:
    policy = smtpd_context(view(confdir, SMTPD, "inet"), log(tmp_path)).policy
    replies = {}
    for rcpt, _why in scope.RECIPIENTS:
        reply = policy.check_rcpt("127.0.0.1", rcpt, "s@example.org")
        replies[rcpt] = "250 2.1.5 Ok" if reply is None else (
            f"{reply.code} {reply.enhanced} {reply.text}")
    return replies


def test_rcpt_replies_are_postfix_s(confdir: Path, tmp_path: Path) -> None:
    lines = (GOLDEN / "scope" / "rcpt_classes.txt").read_text().splitlines()
    expected = dict(line.split("\t") for line in lines)
    assert list(expected) == [rcpt for rcpt, _ in scope.RECIPIENTS]
    assert rcpt_replies(confdir, tmp_path) == expected


# The program of each view in the test's master.cf (every view is one of them).
PROGRAMS: dict[str | None, str] = {SMTPD: "smtpd", "pickup": "pickup", "local": "local", "qmgr": "qmgr",
            "rw-scope": "trivial-rewrite", "rw-clean": "trivial-rewrite",
            "cl-scope": "cleanup", "bounce-scope": "bounce"}


# Read in every view without effect there, and why.
HARMLESS = {
    "enable_long_queue_ids": "QueueLayout.from_config() reads it in every view; only queue "
                             "file writers (cleanup, postdrop) use it, in their own view",
}


def _audit(seen: list[Read], caller: str, libraries: dict[str, set[str]]) -> None:
    """A parameter that only the libraries read (not smtpd, pickup or
    sendmail) is read only in the view of a program that reads it; each
    library read its own parameters in (one of) its own views."""
    private = frozenset().union(*(only_in(library, caller, "smtpd", "pickup", "sendmail")
                                  for library in libraries))
    wrong = sorted({(str(where), name) for where, name in seen
                    if name in private and name not in HARMLESS
                    and (where not in PROGRAMS or name not in man_list(PROGRAMS[where]))})
    assert not wrong, f"{caller}: library parameters read in the wrong view: {wrong}"
    for library, scopes in libraries.items():
        own = only_in(library, caller, "smtpd", "pickup", "sendmail")
        assert {name for where, name in seen if name in own and where in scopes}, (
            f"{caller}: no {library} parameter read in {sorted(scopes)}")


REWRITE_VIEWS = {"rw-scope", "rw-clean"}


def test_smtpd_reads_library_parameters_in_library_views(
        confdir: Path, tmp_path: Path, reads: list[Read]) -> None:
    rcpt_replies(confdir, tmp_path)
    _audit(reads, "smtpd", {"trivial-rewrite": REWRITE_VIEWS, "cleanup": {"cl-scope"}})
    # The address class comes from smtpd's rewrite service, not smtpd.
    for name in ("relay_domains", "virtual_alias_domains", "virtual_mailbox_domains",
                 "transport_maps", "relocated_maps"):
        assert ("rw-scope", name) in reads and (SMTPD, name) not in reads, name
    # cleanup's trivial-rewrite is the cleanup service's rewrite_service_name.
    assert ("rw-clean", "myorigin") in reads and ("cl-scope", "header_checks") in reads
    # What smtpd reads itself, as Postfix's smtpd does.
    for name in ("local_recipient_maps", "recipient_delimiter", "mydestination",
                 "proxy_interfaces", "virtual_mailbox_maps", "relay_recipient_maps",
                 "show_user_unknown_table_name", "myorigin"):
        assert (SMTPD, name) in reads, name


@pytest.mark.parametrize(("service", "caller", "build", "libraries"), [
    ("pickup", "pickup", "pickup", {"cleanup": {"cl-scope"}}),
    ("local", "local", "local", {"trivial-rewrite": REWRITE_VIEWS, "cleanup": {"cl-scope"}}),
    ("qmgr", "qmgr", "qmgr", {"trivial-rewrite": {"rw-scope"}, "bounce": {"bounce-scope"},
                              "cleanup": {"cl-scope"}}),
])
def test_callers_read_library_parameters_in_library_views(
        confdir: Path, tmp_path: Path, reads: list[Read], service: str, caller: str,
        build: str, libraries: dict[str, set[str]]) -> None:
    config = view(confdir, service, "unix")
    builders: dict[str, Callable[[], object]] = {
        "pickup": lambda: _pickup(config),
        "local": lambda: _local(config, tmp_path),
        "qmgr": lambda: _qmgr(config, tmp_path),
    }
    builders[build]()
    _audit(reads, caller, libraries)


def _pickup(config: Config) -> object:
    from pyfix.pickup.service import cleanup_for

    return cleanup_for(config)


def _local(config: Config, tmp_path: Path) -> object:
    from pyfix.delivery.local.service import LocalAgent

    agent = LocalAgent(config, log(tmp_path))
    return agent.resolve("known@rw-relay.example")


def _qmgr(config: Config, tmp_path: Path) -> object:
    from pyfix.qmgr.service import Qmgr

    qmgr = Qmgr(config, log(tmp_path))
    return qmgr.resolver.resolve_addr("known@rw-relay.example", "s@example.org")
