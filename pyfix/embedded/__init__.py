"""NAME
    pyfix.embedded - the bundled default configuration that `make run` starts

SUMMARY
    python -m pyfix.embedded [-d DIR] [--no-start]

DESCRIPTION
    Writes a complete, self-contained configuration into DIR (default
    ./run): etc/main.cf, etc/master.cf and etc/vmailbox from the
    templates next to this module, with DIR, the running user and its
    uid/gid filled in.  Existing files are left alone, so local edits
    survive.  Then it runs "postfix -c DIR/etc start-fg": SMTP on
    127.0.0.1:2525, submission on 127.0.0.1:2587, the virtual domain
    example.test delivered to Maildir under DIR/mail, the mail log in
    DIR/maillog.  No root privileges are needed.

    Parameters read: none (it writes them).

DIAGNOSTICS
    Exits with postfix's status.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import sys
from importlib import resources

TEMPLATES = {"main.cf": "main.cf.in", "master.cf": "master.cf.in", "vmailbox": "vmailbox.in"}


def run_as() -> pwd.struct_passwd:
    """The account that owns mail and runs the services: the invoking
    user, or when that is root, "postfix" (else "nobody")."""
    if os.getuid() != 0:
        return pwd.getpwuid(os.getuid())
    for name in ("postfix", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SystemExit("pyfix-embedded: no unprivileged account (postfix or nobody)")


def render(root: str) -> dict[str, str]:
    user = run_as()
    values = {"@ROOT@": root, "@USER@": user.pw_name, "@UID@": str(user.pw_uid),
              "@GID@": str(user.pw_gid)}
    out: dict[str, str] = {}
    for name, template in TEMPLATES.items():
        text = resources.files(__package__).joinpath(template).read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        out[name] = text
    return out


def install(root: str) -> str:
    """Write the configuration under root; return the config directory."""
    root = os.path.abspath(root)
    etc = os.path.join(root, "etc")
    for sub in ("etc", "data", "mail", "mail/spool"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    os.chmod(root, 0o755)
    if os.getuid() == 0:  # the services run as run_as(): they deliver into mail/
        user = run_as()
        for sub in ("mail", "mail/spool"):
            os.chown(os.path.join(root, sub), user.pw_uid, user.pw_gid)
    for name, text in render(root).items():
        path = os.path.join(etc, name)
        if not os.path.exists(path):
            with open(path, "w") as fp:
                fp.write(text)
    return etc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyfix-embedded")
    parser.add_argument("-d", "--directory", default="run")
    parser.add_argument("--no-start", action="store_true")
    args = parser.parse_args(argv)
    etc = install(args.directory)
    root = os.path.dirname(etc)
    if args.no_start:
        print(etc)
        return 0
    print(f"pyfix: configuration in {etc}, mail log {root}/maillog, "
          f"mailboxes under {root}/mail", flush=True)
    print("pyfix: SMTP on 127.0.0.1:2525, submission on 127.0.0.1:2587; "
          "Ctrl-C stops it", flush=True)
    from pyfix.cli.postfix import main as postfix_main

    sys.argv = ["postfix", "-c", etc, "start-fg"]
    with contextlib.suppress(KeyboardInterrupt):
        postfix_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
