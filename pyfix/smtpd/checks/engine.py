"""NAME
    pyfix.smtpd.checks.engine - restriction lists as data, one evaluator

SUMMARY
    Result, Verdict, Stage, Request, Restriction, RESTRICTIONS,
    parse_list(), evaluate()

DESCRIPTION
    A restriction list (smtpd_client_restrictions, ...,
    smtpd_recipient_restrictions) is parsed once into a tuple of Steps:
    a restriction name and the arguments it takes (check_client_access
    takes the next word, a table).  evaluate() walks a list in order; the
    first step whose result is not DUNNO decides the list:

        OK       permit (the list ends; later lists still apply)
        REJECT   a 5xx (or 4xx) reply that ends the stage
        DEFER    a 4xx reply that ends the stage

    RESTRICTIONS is the table from restriction name to function (an
    older name in LEGACY_NAMES finds the newer one's entry); each
    family of restrictions (generic.py, relay.py, access.py,
    address.py) adds its names there.  A name that is not in the table
    is not skipped: as in Postfix for an unknown restriction, the
    evaluator logs 'unknown smtpd restriction: "NAME"' and the stage
    answers "451 4.3.5 Server configuration error" (fail closed).  This
    also holds for the names that Postfix knows and pyfix does not
    implement yet.

    The Request says what is being checked: the stage (client, helo,
    sender, recipient, data, end of data, etrn) and the session's client,
    helo name, sender and recipient; Stage knows Postfix's wording for
    replies at that stage ("Client host rejected", "<DATA>: Data
    command rejected", ...).

    Parameters read: reject_code, defer_code (by callers, in Request).

DIAGNOSTICS
    A table lookup failure inside a restriction (a retry error, or a
    table that is unavailable) gives "451 4.3.0 <what>: Temporary lookup
    failure", as in Postfix; an unknown restriction "451 4.3.5 Server
    configuration error".
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyfix.config.lists import split_list
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.actions import Actions
from pyfix.smtpd.checks.settings import CheckSettings
from pyfix.smtpd.peer import complete
from pyfix.tables.base import TableError

if TYPE_CHECKING:
    from pyfix.smtpd.checks.smtpd import Facts

# Postfix stops expanding restriction classes (access map values that are
# restriction lists) this deep.
MAX_NESTING = 100


class Result(enum.Enum):
    DUNNO = "dunno"
    OK = "ok"
    REJECT = "reject"
    DEFER = "defer"


@dataclass(frozen=True, slots=True)
class Verdict:
    result: Result
    reply: Reply | None = None
    # the reply went through Context.judged() (warn_if_reject,
    # defer_if_reject) or is a configuration or lookup error, which those
    # never change
    judged: bool = False

    @property
    def rejects(self) -> bool:
        return self.result in (Result.REJECT, Result.DEFER)


DUNNO = Verdict(Result.DUNNO)
OK = Verdict(Result.OK)
CONFIG_ERROR = Reply(451, "4.3.5", "Server configuration error", "software")
CONFIG_FAILURE = Verdict(Result.DEFER, CONFIG_ERROR, judged=True)
# Lookup failures and configuration errors: Postfix's resource and software
# error classes, which warn_if_reject and defer_if_reject leave alone.
SYSTEM_ERRORS = frozenset({"4.3.0", "4.3.5"})


@dataclass(frozen=True, slots=True)
class Stage:
    """One smtpd_*_restrictions list: its parameter and reply wording."""

    parameter: str
    reply_class: str  # "Client host", "Recipient address", ...


CLIENT = Stage("smtpd_client_restrictions", "Client host")
HELO = Stage("smtpd_helo_restrictions", "Helo command")
SENDER = Stage("smtpd_sender_restrictions", "Sender address")
RECIPIENT = Stage("smtpd_recipient_restrictions", "Recipient address")
RELAY = Stage("smtpd_relay_restrictions", "Recipient address")
DATA = Stage("smtpd_data_restrictions", "Data command")
END_OF_DATA = Stage("smtpd_end_of_data_restrictions", "End-of-data")
ETRN = Stage("smtpd_etrn_restrictions", "Etrn command")


@dataclass
class Request:
    """What one evaluation looks at."""

    stage: Stage
    client_name: str
    client_addr: str
    namaddr: str
    helo: str | None = None
    sender: str | None = None
    recipient: str | None = None
    etrn_domain: str | None = None
    reject_code: int = 554
    defer_code: int = 450
    # what a reply at this stage is about: <namaddr>, <helo>, <sender>, ...
    what: str = ""
    # the unverified address->name result; "" follows client_name
    reverse_name: str = ""
    # the session's facts (the policy service sends them all)
    facts: Facts | None = None
    # the client sent more before this command's reply (unread input), and
    # the session's protocol (SMTP after HELO, ESMTP after EHLO)
    pipelined: bool = False
    protocol: str = "SMTP"
    # the wording of an access map lookup whose value is a restriction
    # list: "reject" there says "<client>: Client host rejected: ..."
    reply_class: str = ""
    # the client name's status and the reverse name's (pyfix.smtpd.peer);
    # "" follows client_name (a known name is found, "unknown" is not)
    name_status: str = ""
    reverse_status: str = ""

    def __post_init__(self) -> None:
        self.name_status, self.reverse_name, self.reverse_status = complete(
            self.client_name, self.name_status, self.reverse_name, self.reverse_status)

    def about(self, subject: tuple[str, str]) -> Request:
        """This request with replies worded for subject (what, class)."""
        return dataclasses.replace(self, what=subject[0], reply_class=subject[1])

    def reject(self, reason: str, code: int | None = None, enhanced: str = "5.7.1",
               subject: tuple[str, str] | None = None) -> Verdict:
        """A reject with this stage's wording, or subject's (what, class)."""
        code = self.reject_code if code is None else code
        return Verdict(Result.REJECT, self.reply(code, enhanced, reason, subject))

    def defer(self, reason: str, code: int | None = None, enhanced: str = "4.7.1",
              subject: tuple[str, str] | None = None) -> Verdict:
        code = self.defer_code if code is None else code
        return Verdict(Result.DEFER, self.reply(code, enhanced, reason, subject))

    def reply(self, code: int, enhanced: str, reason: str,
              subject: tuple[str, str] | None = None) -> Reply:
        what, reply_class = subject or (self.what, self.reply_class or self.stage.reply_class)
        return Reply(code, _class(code, enhanced), f"<{what}>: {reply_class} rejected: {reason}")


def _class(code: int, enhanced: str) -> str:
    """The enhanced code with the class of the reply code (4.x.x for 4xx)."""
    return f"{code // 100}{enhanced[1:]}" if enhanced else ""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    args: tuple[str, ...] = ()
    following: str | None = None  # the next restriction name in the list


class Context:
    """What a restriction function may use besides the Request: the
    service's settings and the log.  One per session: warn_once() warns
    once per session (Postfix: once per smtpd process).

    It also holds the state of one check (reset() starts one):
    warn_level (warn_if_reject applies to the next restriction at that
    nesting depth), defer_if_reject and defer_if_permit (the first reply
    each was asked for), and the reject_warning replies to log."""

    def __init__(self, settings: CheckSettings, info: Callable[[str], None],
                 warn: Callable[[str], None]) -> None:
        self.settings = settings
        self.info = info
        self.warn = warn
        self.warned: set[str] = set()
        self.depth = 0
        # (level, text) lines that Postfix logs after the stage's reject line
        self.after: list[tuple[str, str]] = []
        # what access(5) actions ask of the transaction's message
        self.actions = Actions()
        # (action, text) lines that Postfix logs as they happen, in the
        # shape of a reject line: "hold", "warn", "filter", ... (access.py)
        self.notes: list[tuple[str, str]] = []
        self.warn_level = 0
        self.warn_pending = False
        self.if_reject: Reply | None = None
        self.if_permit: Reply | None = None
        self.warnings: list[Reply] = []

    def reset(self, if_permit: Reply | None = None) -> None:
        """Start a check; if_permit: a deferral that an earlier stage asked for."""
        self.warn_level = 0
        self.warn_pending = False
        self.if_reject = None
        self.if_permit = if_permit

    def defer_if_permit(self, reply: Reply) -> Verdict:
        """Defer the request if the check ends in a permit (explicit or
        implicit); under warn_if_reject, log reply as a reject_warning
        instead.  The first reason stays."""
        if self.warn_level:
            self.warnings.append(reply)
        elif self.if_permit is None:
            self.if_permit = reply
        return DUNNO

    def defer_if_reject(self, reply: Reply) -> Verdict:
        """Turn a later 5xx reject of this check into reply.  The first
        reason stays."""
        if self.if_reject is None:
            self.if_reject = reply
        return DUNNO

    def judged(self, verdict: Verdict) -> Verdict:
        """A restriction's reject as defer_if_reject and warn_if_reject
        change it: with both deferrals pending, a 5xx reject leaves the
        decision to defer_if_permit; under warn_if_reject a reject only
        logs a reject_warning; after defer_if_reject a 5xx reject becomes
        its deferral."""
        if not verdict.rejects or verdict.judged or verdict.reply is None:
            return verdict
        if verdict.reply.enhanced in SYSTEM_ERRORS:
            return Verdict(verdict.result, verdict.reply, judged=True)
        permanent = verdict.reply.code // 100 == 5
        if permanent and self.if_reject is not None and self.if_permit is not None:
            return DUNNO
        if self.warn_level:
            self.warnings.append(verdict.reply)
            return DUNNO
        if permanent and self.if_reject is not None:
            return Verdict(Result.DEFER, self.if_reject, judged=True)
        return Verdict(verdict.result, verdict.reply, judged=True)

    def permitted(self, verdict: Verdict) -> Verdict:
        """The end of a check: a pending defer_if_permit defers a request
        that was not rejected."""
        if not verdict.rejects and self.if_permit is not None:
            return Verdict(Result.DEFER, self.if_permit, judged=True)
        return verdict

    def take_warnings(self) -> list[Reply]:
        warnings, self.warnings = self.warnings, []
        return warnings

    def warn_after(self, text: str) -> None:
        """A warning that follows the reject line in the log."""
        self.after.append(("warning", text))

    def take_after(self) -> list[tuple[str, str]]:
        after, self.after = self.after, []
        return after

    def note(self, action: str, text: str) -> None:
        """An "ACTION: CMD from client: text; from=<> ..." log line."""
        self.notes.append((action, text))

    def take_notes(self) -> list[tuple[str, str]]:
        notes, self.notes = self.notes, []
        return notes

    def warn_once(self, key: str, text: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.warn(text)


# A restriction that needs no I/O returns its Verdict; one that waits
# (DNS, a policy server, the verify service) is a coroutine function.
RestrictionFn = Callable[[Context, Request, Step], Verdict | Awaitable[Verdict]]


@dataclass(frozen=True, slots=True)
class Restriction:
    function: RestrictionFn
    nargs: int = 0  # words after the name that belong to it (a table)


RESTRICTIONS: dict[str, Restriction] = {}
# Postfix's older names that 3.7 still takes as the newer ones, silently.
LEGACY_NAMES = {
    "reject_invalid_hostname": "reject_invalid_helo_hostname",
    "reject_non_fqdn_hostname": "reject_non_fqdn_helo_hostname",
    "reject_unknown_hostname": "reject_unknown_helo_hostname",
}


def lookup_restriction(name: str) -> Restriction | None:
    """The restriction registered as name, or under its newer name."""
    return RESTRICTIONS.get(name) or RESTRICTIONS.get(LEGACY_NAMES.get(name, ""))


def restriction(name: str, nargs: int = 0) -> Callable[[RestrictionFn], RestrictionFn]:
    """Register a restriction function under name."""

    def register(function: RestrictionFn) -> RestrictionFn:
        RESTRICTIONS[name] = Restriction(function, nargs)
        return function

    return register


@dataclass(frozen=True, slots=True)
class RestrictionList:
    parameter: str
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.steps)

    @property
    def names(self) -> list[str]:
        return [step.name for step in self.steps]


def parse_list(parameter: str, text: str) -> RestrictionList:
    """The list in text: each known name takes its arguments (a table);
    unknown names stay as steps and fail closed when evaluated."""
    words = split_list(text)
    steps: list[Step] = []
    index = 0
    while index < len(words):
        name = words[index]
        spec = lookup_restriction(name)
        nargs = spec.nargs if spec else 0
        following = words[index + 1 + nargs] if index + 1 + nargs < len(words) else None
        steps.append(Step(name, tuple(words[index + 1:index + 1 + nargs]), following))
        index += 1 + nargs
    return RestrictionList(parameter, tuple(steps))


@functools.lru_cache(maxsize=256)
def _class_list(name: str, text: str) -> RestrictionList:
    """A restriction class's list, parsed once."""
    return parse_list(name, text)


async def evaluate(ctx: Context, rlist: RestrictionList, request: Request) -> Verdict:
    """The list's verdict: the first step that says more than DUNNO.
    A nested list (a restriction class) counts ctx.depth up."""
    ctx.depth += 1
    try:
        for step in rlist.steps:
            verdict = await run_step(ctx, step, request)
            if verdict.result is not Result.DUNNO:
                return verdict
        return DUNNO
    finally:
        ctx.depth -= 1


async def run_step(ctx: Context, step: Step, request: Request) -> Verdict:
    """One restriction's verdict, as warn_if_reject and defer_if_reject
    change it; a restriction class (smtpd_restriction_classes) is its list."""
    spec = lookup_restriction(step.name)
    if spec is None and ctx.depth <= MAX_NESTING:
        text = ctx.settings.restriction_classes.get(step.name)
        if text is not None:
            return _finished(ctx, await evaluate(ctx, _class_list(step.name, text), request))
    if spec is None or len(step.args) < spec.nargs or ctx.depth > MAX_NESTING:
        ctx.warn(f'unknown smtpd restriction: "{step.name}"')
        return CONFIG_FAILURE
    try:
        verdict = spec.function(ctx, request, step)
        if inspect.isawaitable(verdict):
            verdict = await verdict
    except TableError:
        # Postfix's reply for any table error in a restriction, an
        # unavailable table included.
        verdict = Verdict(Result.DEFER, Reply(
            451, "4.3.0", f"<{request.what}>: Temporary lookup failure"), judged=True)
    return _finished(ctx, verdict)


def _finished(ctx: Context, verdict: Verdict) -> Verdict:
    """After a restriction: judge its reject.  warn_if_reject holds for
    the next restriction at its depth (and what that one nests)."""
    verdict = ctx.judged(verdict)
    if ctx.warn_pending:
        ctx.warn_pending = False
        ctx.warn_level = ctx.depth
    elif ctx.warn_level >= ctx.depth:
        ctx.warn_level = 0
    return verdict
