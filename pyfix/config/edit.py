"""NAME
    pyfix.config.edit - edit main.cf in place

SUMMARY
    edit_main_cf(), atomic_write(), EditError

DESCRIPTION
    The engine behind "postconf -e name=value", "postconf -X name" and
    "postconf -# name".  The file is rewritten line by line: comments,
    blank lines and the order of settings are kept; every setting of an
    edited name is replaced (-e), removed (-X) or commented out (-#),
    together with its continuation lines.  New names are appended in
    the order given.  The result is written to a temporary file, synced,
    and renamed over the original, so that a reader sees either the old
    or the new file and never a mix.

    Parameters read: none.

DIAGNOSTICS
    EditError carries Postfix's fatal text (for example "-e, -X, or -#
    accepts no multi-line input"); warnings ("ignoring earlier request",
    "multiple entries for") go through the warn callback.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable

from pyfix.config.conffile import WHITESPACE, decode, encode, split_nameval

EDIT = "e"
EXCLUDE = "X"
COMMENT = "#"


class EditError(Exception):
    """An edit request that Postfix refuses; str() is Postfix's text."""


def atomic_write(path: str, data: bytes) -> None:
    """Replace path with data: temporary file, fsync, rename, dir fsync."""
    directory = os.path.dirname(path) or "."
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def parse_edit_requests(
    mode: str, args: list[str], warn: Callable[[str], None]
) -> dict[str, str | None]:
    requests: dict[str, str | None] = {}
    for raw in args:
        if "\n" in raw:
            raise EditError("-e, -X, or -# accepts no multi-line input")
        text = raw.lstrip(WHITESPACE)
        if text.startswith("#"):
            raise EditError("-e, -X, or -# accepts no comment input")
        value: str | None
        if mode == EDIT:
            result = split_nameval(text)
            if isinstance(result, str):
                raise EditError(f'{result}: "{text}"')
            name, value = result
        else:
            if not text:
                raise EditError("-X or -# requires non-blank parameter names")
            if "=" in text:
                raise EditError("-X or -# requires parameter names without value")
            name, value = text.rstrip(WHITESPACE), None
        if name in requests:
            warn(f"ignoring earlier request: '{name} = {requests[name]}'")
            del requests[name]
        requests[name] = value
    return requests


def _key(line: str) -> str:
    end = 0
    while end < len(line) and line[end] not in WHITESPACE and line[end] != "=":
        end += 1
    return line[:end]


def edit_main_text(
    text: str, path: str, mode: str, requests: dict[str, str | None], warn: Callable[[str], None]
) -> str:
    out: list[str] = []
    found: dict[str, int] = {}
    interesting = False
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(WHITESPACE)
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        if line[0] in WHITESPACE:
            if not interesting:
                out.append(line)
            elif mode == COMMENT:
                out.append("#" + line)
            continue
        key = _key(line)
        interesting = key in requests
        if not interesting:
            out.append(line)
            continue
        found[key] = found.get(key, 0) + 1
        if found[key] == 2:
            warn(f'{path}: multiple entries for "{key}"')
        if mode == EDIT:
            out.append(f"{key} = {requests[key]}\n")
        elif mode == COMMENT:
            out.append("#" + line)
    if mode == EDIT:
        for name, value in requests.items():
            if name not in found:
                out.append(f"{name} = {value}\n")
    return "".join(out)


def edit_main_cf(
    path: str, mode: str, args: list[str], warn: Callable[[str], None]
) -> None:
    requests = parse_edit_requests(mode, args, warn)
    try:
        with open(path, "rb") as fh:
            text = decode(fh.read())
    except OSError as exc:
        raise EditError(f"open {path} for reading: {exc.strerror}") from None
    new_text = edit_main_text(text, path, mode, requests, warn)
    try:
        atomic_write(path, encode(new_text))
    except OSError as exc:
        raise EditError(f"open {path}.tmp: {exc.strerror}") from None
