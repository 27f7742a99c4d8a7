"""NAME
    pyfix.smtpd.checks.helo - restrictions on the HELO/EHLO name

SUMMARY
    reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname,
    reject_unknown_helo_hostname (and their Postfix 1.x names
    reject_invalid_hostname, reject_non_fqdn_hostname,
    reject_unknown_hostname, found through engine.LEGACY_NAMES)

DESCRIPTION
    Each is DUNNO when the client sent no HELO/EHLO.  One trailing dot
    of the name is ignored by the syntax checks.

    reject_invalid_helo_hostname
        "$invalid_hostname_reject_code 5.5.2 <name>: Helo command
        rejected: Invalid name" unless the name is a valid host name or
        a bare IPv4/IPv6 address; a name that starts with "[" must be a
        valid address literal ("[1.2.3.4]", "[IPv6:...]"), or the text
        is "invalid ip address".
    reject_non_fqdn_helo_hostname
        "$non_fqdn_reject_code 5.5.2 <name>: Helo command rejected: need
        fully-qualified hostname" unless the name is a valid host name
        with a dot, or a valid address literal (a bad literal gets the
        "invalid ip address" reply above).
    reject_unknown_helo_hostname
        "$unknown_hostname_reject_code 4.7.1 <name>: Helo command
        rejected: Host not found" when the name has no A, AAAA or MX
        record (address literals pass).  When the DNS fails
        temporarily, the reply is "450 4.7.1 ... Host not found" under
        unknown_helo_hostname_tempfail_action (default defer_if_permit:
        only if nothing rejects the RCPT first).

    Parameters read: invalid_hostname_reject_code, non_fqdn_reject_code,
    unknown_hostname_reject_code, unknown_helo_hostname_tempfail_action.

DIAGNOSTICS
    See dnslookup.py for the tempfail action.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfix.smtp.hostname import valid_hostaddr, valid_hostname, valid_mailhost_literal
from pyfix.smtpd.checks.dnslookup import FOUND, NULLMX, RETRY, name_status, tempfail
from pyfix.smtpd.checks.engine import DUNNO, Context, Request, Step, Verdict, restriction

HELO_TYPES = ("A", "AAAA", "MX")


def _bad_literal(ctx: Context, request: Request, name: str) -> Verdict | None:
    """The reply to a malformed address literal (None: not one)."""
    if name.startswith("[") and not valid_mailhost_literal(name):
        return request.reject("invalid ip address",
                              ctx.settings.config.get_int("invalid_hostname_reject_code"), "5.5.2")
    return None


def _helo(request: Request) -> str:
    """The HELO name for the syntax checks: without one trailing dot."""
    name = request.helo or ""
    return name[:-1] if name.endswith(".") else name


def _syntax(ctx: Context, request: Request, good: Callable[[str], bool], reason: str,
            code: int) -> Verdict:
    """DUNNO for no HELO, a valid literal or a name that good() accepts."""
    if not request.helo:
        return DUNNO
    name = _helo(request)
    bad = _bad_literal(ctx, request, name)
    if bad is not None:
        return bad
    if name.startswith("[") or good(name):
        return DUNNO
    return request.reject(reason, code, "5.5.2")


@restriction("reject_invalid_helo_hostname")
def reject_invalid_helo_hostname(ctx: Context, request: Request, step: Step) -> Verdict:
    return _syntax(ctx, request, lambda name: valid_hostname(name) or valid_hostaddr(name),
                   "Invalid name", ctx.settings.config.get_int("invalid_hostname_reject_code"))


@restriction("reject_non_fqdn_helo_hostname")
def reject_non_fqdn_helo_hostname(ctx: Context, request: Request, step: Step) -> Verdict:
    return _syntax(ctx, request, lambda name: "." in name and valid_hostname(name),
                   "need fully-qualified hostname", ctx.settings.non_fqdn_reject_code)


@restriction("reject_unknown_helo_hostname")
async def reject_unknown_helo_hostname(ctx: Context, request: Request, step: Step) -> Verdict:
    name = request.helo or ""
    if not name or name.startswith("["):
        return DUNNO
    status = await name_status(ctx, name, HELO_TYPES)
    if status in (FOUND, NULLMX):
        return DUNNO
    config = ctx.settings.config
    if status == RETRY:
        return tempfail(ctx, "unknown_helo_hostname_tempfail_action",
                        config.get("unknown_helo_hostname_tempfail_action"),
                        request.reply(450, "4.7.1", "Host not found"))
    return request.reject("Host not found", config.get_int("unknown_hostname_reject_code"),
                          "5.7.1")
