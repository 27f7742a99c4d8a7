"""NAME
    pyfix.cleanup.checks - header_checks and body_checks actions

SUMMARY
    ContentCheck, ContentChecks, checks_from_config(), act(), act_log()

DESCRIPTION
    A ContentCheck is the hook for one of header_checks,
    mime_header_checks or body_checks: a callable that takes a complete
    header (lines separated by "\\n") or one body record and returns the
    action text that matched ("REJECT text", "WARN", ...) or None.  It
    raises pyfix.tables.base.TableError when a table lookup fails.
    checks_from_config() builds the hooks from the parameters with
    pyfix.tables.maps.Maps (regexp:, pcre: and every other map type).

    act() carries out one action, as Postfix's cleanup_act() does:

        REJECT [text]   reject the message (4.x.x text: try again later)
        WARN [text]     log only
        INFO [text]     log only
        FILTER t:d      send the message through content filter t:d
        PASS            stop header/body_checks for this message
        DISCARD [text]  accept and discard the message
        HOLD [text]     put the message on hold
        PREPEND text    insert a header (header checks) or line (body)
        REPLACE text    replace the header or line
        REDIRECT addr   deliver to this address only
        BCC addr        add a blind copy recipient
        STRIP [text]    delete the header or line, and log
        IGNORE          delete the header or line
        DUNNO, OK       nothing

    It returns the text to write instead of the input (usually the
    input itself), or None when the input is to be deleted.

    act_log() writes Postfix's line for an action:

        QUEUEID: reject: header Subject: text from host[addr];
        from=<sender> to=<recipient> proto=ESMTP helo=<name>: 5.7.1 text

    Parameters read: header_checks, mime_header_checks, body_checks
    (checks_from_config()).

DIAGNOSTICS
    Warnings for malformed actions, in Postfix's words ("unknown command
    in header_checks map: ...", "bad REDIRECT target ...").  A table
    lookup failure is reported by the caller as "QUEUEID: header_checks
    map lookup problem -- message not accepted, try again later".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pyfix.cleanup.headers import is_header
from pyfix.cleanup.output import CleanupOutput
from pyfix.cleanup.state import CleanupState
from pyfix.cleanup.status import (
    CLEANUP_FLAG_DISCARD,
    CLEANUP_FLAG_FILTER_ALL,
    CLEANUP_FLAG_HOLD,
    CLEANUP_STAT_CONT,
    CLEANUP_STAT_DEFER,
    stat_detail,
)
from pyfix.config.store import Config
from pyfix.log.maillog import MailLog
from pyfix.queue.records import REC_TYPE_NORM
from pyfix.tables.maps import Maps

ContentCheck = Callable[[str], str | None]

CONTEXT_HEADER = "header"
CONTEXT_BODY = "body"
CONTEXT_ANY = "content"


@dataclass(frozen=True, slots=True)
class ContentChecks:
    """The content inspection hooks; None means the parameter is empty."""

    header: ContentCheck | None = None
    mime_header: ContentCheck | None = None
    body: ContentCheck | None = None


def _maps_check(config: Config, name: str, warn: Callable[[str], None]) -> ContentCheck | None:
    spec = config.get(name)
    if not spec.strip():
        return None
    maps = Maps(name, spec, warn=warn)

    def check(text: str) -> str | None:
        return maps.find(text)

    return check


def checks_from_config(config: Config, warn: Callable[[str], None]) -> ContentChecks:
    return ContentChecks(
        header=_maps_check(config, "header_checks", warn),
        mime_header=_maps_check(config, "mime_header_checks", warn),
        body=_maps_check(config, "body_checks", warn),
    )


_DSN_CODE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}(?=\s|$)")
_SPACES = " \t\n\r\f\v"


def dsn_prepend(default: str, text: str) -> str:
    """dsn_prepend(): text that starts with a valid x.y.z code keeps it."""
    text = text.lstrip(_SPACES)
    found = _DSN_CODE.match(text)
    if found is None:
        return f"{default} {text}"
    return f"{found.group()} {text[found.end():].lstrip(_SPACES)}"


def act_log(state: CleanupState, log: MailLog, action: str, context: str,
            content: bytes, text: str) -> None:
    """Postfix's cleanup_act_log() line."""
    attrs = state.attrs
    origin = attrs.get("log_message_origin", "unknown")
    shown = content[:200].decode("utf-8", "surrogateescape")
    line = f"{state.queue_id}: {action}: {context} {shown} from {origin};"
    if state.sender is not None:
        line += f" from=<{state.log_addr(state.sender)}>"
    if state.recip is not None:
        line += f" to=<{state.log_addr(state.recip)}>"
    if "log_protocol_name" in attrs:
        line += f" proto={attrs['log_protocol_name']}"
    if "log_helo_name" in attrs:
        line += f" helo=<{attrs['log_helo_name']}>"
    if text:
        line += f": {text}"
    log.info(line)


def act(state: CleanupState, log: MailLog, out: CleanupOutput, context: str,
        content: bytes, value: str, map_class: str) -> bytes | None:
    """Carry out one header/body_checks action; see the module docstring."""
    cut = next((i for i, ch in enumerate(value) if ch in " \t"), len(value))
    text = value[cut:].lstrip(_SPACES)
    handler = _ACTIONS.get(value[:cut].upper())
    if handler is None:
        log.warn(f"unknown command in {map_class} map: {value}")
        return content
    return handler(_Act(state, log, out, context, content, text, map_class))


@dataclass(frozen=True, slots=True)
class _Act:
    state: CleanupState
    log: MailLog
    out: CleanupOutput
    context: str
    content: bytes
    text: str
    map_class: str

    def logged(self, action: str, text: str | None = None) -> None:
        act_log(self.state, self.log, action, self.context, self.content,
                self.text if text is None else text)


def _reject(a: _Act) -> bytes | None:
    state = a.state
    if a.text:
        reason = dsn_prepend("5.7.1", a.text)
        if reason[0] not in "45":
            a.log.warn(f"bad DSN action in {a.text} -- need 4.x.x or 5.x.x")
            reason = "4" + reason[1:]
    else:
        detail = stat_detail(CLEANUP_STAT_CONT)
        reason = f"{detail.dsn} {detail.text}"
    state.reason = reason
    state.errs |= CLEANUP_STAT_DEFER if reason[0] == "4" else CLEANUP_STAT_CONT
    state.flags &= ~CLEANUP_FLAG_FILTER_ALL
    a.logged("reject", reason)
    return a.content


def _logonly(action: str) -> Callable[[_Act], bytes | None]:
    def handler(a: _Act) -> bytes | None:
        a.logged(action)
        return a.content
    return handler


def _filter(a: _Act) -> bytes | None:
    if not a.text:
        a.log.warn(f"missing FILTER command argument in {a.map_class} map")
    elif ":" not in a.text:
        a.log.warn(f"bad FILTER command {a.text} in {a.map_class} -- "
                   "need transport:destination")
    else:
        a.state.filter = a.text
        a.logged("filter")
    return a.content


def _pass(a: _Act) -> bytes | None:
    a.logged("pass")
    a.state.flags &= ~CLEANUP_FLAG_FILTER_ALL
    return a.content


def _discard(a: _Act) -> bytes | None:
    a.logged("discard")
    a.state.flags |= CLEANUP_FLAG_DISCARD
    a.state.flags &= ~CLEANUP_FLAG_FILTER_ALL
    return a.content


def _hold(a: _Act) -> bytes | None:
    if not a.state.flags & (CLEANUP_FLAG_HOLD | CLEANUP_FLAG_DISCARD):
        a.logged("hold")
        a.state.flags |= CLEANUP_FLAG_HOLD
    return a.content


def _prepend(a: _Act) -> bytes | None:
    if not a.text:
        a.log.warn(f"PREPEND action without text in {a.map_class} map")
    elif a.context == CONTEXT_HEADER:
        if not is_header(a.text.encode("utf-8", "surrogateescape")):
            a.log.warn(f'bad PREPEND header text "{a.text}" in {a.map_class} map -- '
                       'need "headername: headervalue"')
        else:
            a.logged("prepend")
            a.out.out_header(a.text.encode("utf-8", "surrogateescape"))
    else:
        a.logged("prepend")
        a.out.out_string(REC_TYPE_NORM, a.text)
    return a.content


def _replace(a: _Act) -> bytes | None:
    new = a.text.encode("utf-8", "surrogateescape")
    if not a.text:
        a.log.warn(f"REPLACE action without text in {a.map_class} map")
        return a.content
    if a.context == CONTEXT_HEADER and not is_header(new):
        a.log.warn(f'bad REPLACE header text "{a.text}" in {a.map_class} map -- '
                   'need "headername: headervalue"')
        return a.content
    a.logged("replace")
    return new


def _redirect(a: _Act) -> bytes | None:
    if "@" not in a.text:
        a.log.warn(f'bad REDIRECT target "{a.text}" in {a.map_class} map -- need user@domain')
    else:
        a.state.redirect = a.text
        a.logged("redirect")
        a.state.flags &= ~CLEANUP_FLAG_FILTER_ALL
    return a.content


def _bcc(a: _Act) -> bytes | None:
    if "@" not in a.text:
        a.log.warn(f'bad BCC address "{a.text}" in {a.map_class} map -- need user@domain')
    else:
        a.state.hbc_rcpt.append(a.text)
        a.logged("bcc")
    return a.content


def _strip(a: _Act) -> bytes | None:
    a.logged("strip")
    return None


_ACTIONS: dict[str, Callable[[_Act], bytes | None]] = {
    "REJECT": _reject,
    "WARN": _logonly("warning"),
    "INFO": _logonly("info"),
    "FILTER": _filter,
    "PASS": _pass,
    "DISCARD": _discard,
    "HOLD": _hold,
    "PREPEND": _prepend,
    "REPLACE": _replace,
    "REDIRECT": _redirect,
    "BCC": _bcc,
    "STRIP": _strip,
    "IGNORE": lambda a: None,
    "DUNNO": lambda a: a.content,
    "OK": lambda a: a.content,
}
