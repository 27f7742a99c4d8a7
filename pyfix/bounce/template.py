"""NAME
    pyfix.bounce.template - the texts of DSN notices (bounce(5) templates)

SUMMARY
    Template, Templates, load_templates(), expand_text(), TemplateError

DESCRIPTION
    A notice has four template classes, as Postfix's bounce(8): failure
    (non-delivery), delay (still being retried), success (delivered,
    expanded, relayed) and verify (sendmail -bv/-v reports).  Each
    template gives the header values (Charset, From, Subject and, for
    failure and delay, Postmaster-Subject) and the message text.  The
    built-in templates carry the texts that "postconf -b" prints.

    load_templates() reads $bounce_template_file in the bounce(5)
    format: "failure_template = <<EOF" ... "EOF" blocks (any end
    marker), whose text starts with optional "Label: value" lines, then
    an empty line, then the message text.  As Postfix does, a template
    with an unknown, empty, non-ASCII or inapplicable label, without
    message text, or with 8-bit text in the us-ascii charset is logged
    and ignored (the built-in one stays); an unknown template name is
    logged and ignored.  Templates with 8-bit text are sent as 8bit.

    expand_text() expands $name, ${name} and $(name) in the message text
    with main.cf parameters; $delay_warning_time_UNIT and
    $maximal_queue_lifetime_UNIT (UNIT: seconds, minutes, hours, days,
    weeks) give the time value in that unit, with Postfix's warnings
    for a zero or excessive result.  Non-printable characters in the
    result become "?".

    Parameters read: bounce_template_file (by the caller),
    delay_warning_time, maximal_queue_lifetime and whatever the template
    text names.

DIAGNOSTICS
    TemplateError (a file that cannot be parsed, an undefined or
    malformed $name, an unknown time unit) with Postfix's text; the
    caller logs it as fatal and retries the notice later.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

FAILURE: Final = "failure"
DELAY: Final = "delay"
SUCCESS: Final = "success"
VERIFY: Final = "verify"
BUILT_IN: Final = "[built-in]"

Warn = Callable[[str], None]


class TemplateError(Exception):
    """A template that cannot be used; the text is Postfix's diagnostic."""


@dataclass(frozen=True)
class Template:
    kind: str  # failure, delay, success, verify
    subject: str
    postmaster_subject: str | None
    text: tuple[str, ...]
    charset: str = "us-ascii"
    encoding: str = "7bit"
    std_from: str = "Mail Delivery System <MAILER-DAEMON>"
    obs_from: str = "MAILER-DAEMON (Mail Delivery System)"
    origin: str = BUILT_IN

    def sender_header(self, header_from_format: str) -> str:
        return self.obs_from if header_from_format == "obsolete" else self.std_from


_CLOSING = ("", "                   The mail system")
_HELP = ("For further assistance, please send mail to postmaster.", "",
         "If you do so, please include this problem report. You can",
         "delete your own text from the attached returned message.")
_GREETING = ("This is the mail system at host $myhostname.", "")

DEFAULT_FAILURE: Final = Template(
    FAILURE, "Undelivered Mail Returned to Sender", "Postmaster Copy: Undelivered Mail",
    (*_GREETING,
     "I'm sorry to have to inform you that your message could not",
     "be delivered to one or more recipients. It's attached below.", "",
     *_HELP, *_CLOSING))
DEFAULT_DELAY: Final = Template(
    DELAY, "Delayed Mail (still being retried)", "Postmaster Warning: Delayed Mail",
    (*_GREETING,
     "####################################################################",
     "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #",
     "####################################################################", "",
     "Your message could not be delivered for more than $delay_warning_time_hours hour(s).",
     "It will be retried until it is $maximal_queue_lifetime_days day(s) old.", "",
     *_HELP, *_CLOSING))
DEFAULT_SUCCESS: Final = Template(
    SUCCESS, "Successful Mail Delivery Report", None,
    (*_GREETING,
     "Your message was successfully delivered to the destination(s)",
     "listed below. If the message was delivered to mailbox you will",
     "receive no further notifications. Otherwise you may still receive",
     "notifications of mail delivery errors from other systems.", *_CLOSING))
DEFAULT_VERIFY: Final = Template(
    VERIFY, "Mail Delivery Status Report", None,
    (*_GREETING, "Enclosed is the mail delivery report that you requested.", *_CLOSING))


@dataclass
class Templates:
    failure: Template = DEFAULT_FAILURE
    delay: Template = DEFAULT_DELAY
    success: Template = DEFAULT_SUCCESS
    verify: Template = DEFAULT_VERIFY

    def get(self, kind: str) -> Template:
        template: Template = getattr(self, kind)
        return template


_LABEL = re.compile(r"^([!-9;-~]+):")  # a header label: printable ASCII, no colon


def parse_template(default: Template, origin: str, body: str, warn: Warn) -> Template:
    """One template's text; the default when Postfix would ignore it."""
    lines = body.split("\n")
    values: dict[str, str] = {}
    pos = 0
    kind = default.kind
    while pos < len(lines):
        match = _LABEL.match(lines[pos])
        if match is None:
            break
        label = match.group(1)
        value = lines[pos][match.end():].lstrip(" \t:")
        pos += 1
        if not value.strip():
            warn(f'{origin}: empty "{label}" header value in {kind} template '
                 "-- ignoring this template")
            return default
        if not value.isascii():
            warn(f'{origin}: non-ASCII "{label}" header value in {kind} template '
                 "-- ignoring this template")
            return default
        name = label.lower()
        if name == "postmaster-subject" and default.postmaster_subject is None:
            warn(f'{origin}: inapplicable "{label}" header label in {kind} template '
                 "-- ignoring this template")
            return default
        if name not in ("charset", "from", "subject", "postmaster-subject"):
            warn(f'{origin}: unknown "{label}" header label in {kind} template '
                 "-- ignoring this template")
            return default
        values[name] = value
    while pos < len(lines) and not lines[pos].strip():
        pos += 1
    if pos >= len(lines):
        warn(f"{origin}: missing message text in {kind} template -- ignoring this template")
        return default
    text = tuple(lines[pos:])
    charset = values.get("charset", default.charset)
    encoding = "7bit"
    if not all(line.isascii() for line in text):
        if charset.lower() == "us-ascii":
            warn(f"{origin}: 8-bit message text in {kind} template")
            warn("please specify a charset value other than us-ascii")
            warn("-- ignoring this template for now")
            return default
        encoding = "8bit"
    sender = values.get("from")
    return dataclasses.replace(
        default, charset=charset, encoding=encoding, text=text, origin=origin,
        subject=values.get("subject", default.subject),
        postmaster_subject=values.get("postmaster-subject", default.postmaster_subject),
        std_from=sender or default.std_from, obs_from=sender or default.obs_from)


_NAMEVAL = re.compile(r"^\s*([^=\s]+)\s*=\s*(.*?)\s*$")


def load_templates(path: str, warn: Warn) -> Templates:
    """Read a bounce_template_file (OSError, TemplateError)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as fp:
        lines = fp.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    templates = Templates()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        lineno = index
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _NAMEVAL.match(line)
        if match is None:
            missing = "missing '=' after attribute name" if "=" not in line \
                else "missing attribute name"
            raise TemplateError(f'{path}, line {lineno}: {missing}: "{line}"')
        name, value = match.group(1), match.group(2)
        if value.startswith("<<"):
            marker = value[2:].strip()
            if not marker:
                raise TemplateError(f"{path}, line {lineno}: missing end marker after <<")
            if not marker[0].isalnum():
                raise TemplateError(f"{path}, line {lineno}: malformed end marker after <<")
            body: list[str] = []
            while index < len(lines) and lines[index] != marker:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                warn(f'{path}, line {index}: missing "{marker}" end marker')
            index += 1
            value = "\n".join(body)
        kind = name[:-len("_template")] if name.endswith("_template") else ""
        if kind in (FAILURE, DELAY, SUCCESS, VERIFY):
            setattr(templates, kind, parse_template(templates.get(kind), path, value, warn))
        else:
            warn(f"{path}, line {lineno}: unknown template name: {name} "
                 "-- ignoring this template")
    return templates


_TIME_UNITS: Final = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400,
                      "weeks": 7 * 86400}
_TIME_PARAMS: Final = ("delay_warning_time", "maximal_queue_lifetime")
_MACRO = re.compile(r"\$(?:\{([^{}]*)\}|\(([^()]*)\)|([A-Za-z0-9_]+)|(\$)|)")

Lookup = Callable[[str], "str | None"]


def _time_value(template: Template, name: str, times: dict[str, int],
                warn: Warn) -> str | None:
    for param in _TIME_PARAMS:
        if not name.startswith(param + "_"):
            continue
        unit = name[len(param) + 1:]
        divisor = _TIME_UNITS.get(unit)
        if divisor is None:
            raise TemplateError(f'{template.origin}: unrecognized suffix "{unit}" '
                                f'in parameter "{name}"')
        seconds = times[param]
        result = seconds // divisor
        kind = template.kind
        if result > 999 and divisor < 86400:
            warn(f'{template.origin}: excessive result "{result}" in {kind} '
                 f'template conversion of parameter "{name}"')
            warn(f'please increase time unit "{unit}" of "{name}" in {kind} template')
            warn("for instructions see the bounce(5) manual")
        elif result == 0 and seconds and divisor > 1:
            warn(f'{template.origin}: zero result in {kind} template '
                 f'conversion of parameter "{name}"')
            warn(f'please reduce time unit "{unit}" of "{name}" in {kind} template')
            warn("for instructions see the bounce(5) manual")
        return str(result)
    return None


def _printable(text: str) -> str:
    return "".join("?" if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text)


def expand_text(template: Template, lookup: Lookup, times: dict[str, int],
                warn: Warn) -> list[str]:
    """The template's message text with $name expanded (TemplateError)."""
    out: list[str] = []
    for line in template.text:
        def replace(match: re.Match[str], line: str = line) -> str:
            if match.group(4):
                return "$"
            name = match.group(1) or match.group(2) or match.group(3)
            if not name or not re.fullmatch(r"[A-Za-z0-9_]+", name):
                raise TemplateError(f"{template.origin}: bad $name syntax in "
                                    f"{template.kind} template: {line}")
            value = _time_value(template, name, times, warn)
            if value is None:
                value = lookup(name)
            if value is None:
                raise TemplateError(f"{template.origin}: undefined $name in "
                                    f"{template.kind} template: {line}")
            return value
        out.append(_printable(_MACRO.sub(replace, line)))
    return out
