"""The reference oracle: real Postfix's programs, as the tests run them.

Every test that runs a real Postfix program (postconf, postcat, postmap,
postalias, postsuper, postfix, master...) gives it a configuration
directory of its own: "-c DIR", or $MAIL_CONFIG for the programs that
take no -c (newaliases).  Nothing depends on /etc/postfix, whose main.cf
may be empty, missing, or a copy of main.cf.dist (whose empty
"setgid_group =" makes every program but postconf die with "bad string
length").  .ci/check-oracle checks the installed Postfix before the
suite runs.

    missing(*programs, root=..., postfix_user=...)  the reason to skip, or None
    need(...)                                        skip the test for that reason
    master_skip_reason()                             why a live master cannot run, or None
    config_dir(path, main_cf)                        a minimal configuration directory
    environ()                                        os.environ without MAIL_CONFIG & co.
    run(program, confdir, *args)                     program -c confdir args...
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest

SBIN = Path("/usr/sbin")
DAEMON_DIRECTORY = Path("/usr/lib/postfix/sbin")
POSTCONF = SBIN / "postconf"
POSTCAT = SBIN / "postcat"
POSTMAP = SBIN / "postmap"
POSTALIAS = SBIN / "postalias"
POSTSUPER = SBIN / "postsuper"
POSTFIX = SBIN / "postfix"
NEWALIASES = Path("/usr/bin/newaliases")
MASTER = DAEMON_DIRECTORY / "master"

# The environment variables through which Postfix programs find another
# configuration or change their logging.
MAIL_ENVIRONMENT = ("MAIL_CONFIG", "MAIL_VERBOSE", "MAIL_DEBUG")


def missing(*programs: Path, root: bool = False, postfix_user: bool = False) -> str | None:
    """Why a test that runs programs cannot run here, or None."""
    for program in programs:
        if not os.access(program, os.X_OK):
            return f"real Postfix is not installed ({program} missing)"
    if root and os.geteuid() != 0:
        return f"running real Postfix's {programs[0].name if programs else 'master'} needs root"
    if postfix_user:
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            return "the postfix user (real Postfix's mail_owner) does not exist"
    return None


def master_skip_reason() -> str | None:
    """Why a live comparison that starts a real Postfix master cannot run
    here, or None."""
    if not MASTER.exists():
        return f"real Postfix is not installed ({MASTER} missing)"
    if os.geteuid() != 0:
        return "starting a real Postfix master needs root"
    return None


def need(*programs: Path, root: bool = False, postfix_user: bool = False) -> None:
    """Skip the calling test unless missing(...) finds nothing."""
    reason = missing(*programs, root=root, postfix_user=postfix_user)
    if reason is not None:
        pytest.skip(reason)


def environ(**extra: str) -> dict[str, str]:
    """The environment for a real Postfix program: no inherited MAIL_CONFIG."""
    env = {key: value for key, value in os.environ.items() if key not in MAIL_ENVIRONMENT}
    env.update(extra)
    return env


def config_dir(path: Path, main_cf: str = "") -> Path:
    """A configuration directory at path: Postfix's defaults at level 3.7, plus main_cf."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "main.cf").write_text("compatibility_level = 3.7\n" + main_cf)
    # Postfix waits while main.cf is younger than a second (it may still be
    # being written); date it back.
    past = time.time() - 60
    os.utime(path / "main.cf", (past, past))
    return path


def run(program: Path, confdir: Path, *args: str, input: str | None = None,
        cwd: Path | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """program -c confdir args..., its output as text (undecodable bytes kept)."""
    return subprocess.run(
        [str(program), "-c", str(confdir), *args], input=input, cwd=cwd,
        env=environ() if env is None else env, capture_output=True, text=True,
        errors="surrogateescape", check=False, timeout=120)
