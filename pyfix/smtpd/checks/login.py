"""NAME
    pyfix.smtpd.checks.login - who may use a sender address: the
    *_sender_login_mismatch restrictions

SUMMARY
    reject_sender_login_mismatch, reject_authenticated_sender_login_mismatch,
    reject_known_sender_login_mismatch,
    reject_unauthenticated_sender_login_mismatch

DESCRIPTION
    smtpd_sender_login_maps says which SASL login names own a MAIL FROM
    address.  It is searched for the sender as trivial-rewrite resolves
    it: user@domain, then user when the domain is local ($myorigin,
    $mydestination, $inet_interfaces, $proxy_interfaces), then @domain.

    reject_unauthenticated_sender_login_mismatch
        A client that has not logged in may not use an address that has
        an owner: "553 5.7.1 <sender>: Sender address rejected: not
        logged in".  The null sender passes.
    reject_authenticated_sender_login_mismatch
        A client that has logged in may use only the addresses that its
        login name owns.
    reject_sender_login_mismatch
        Both of the above.
    reject_known_sender_login_mismatch
        Both, for the addresses that have an owner only.

    pyfix has no SASL yet (issue 11): no client ever logs in, so the
    authenticated half never refuses anything, and the unauthenticated
    half refuses every sender address that has an owner.

    With smtpd_sasl_auth_enable = no each restriction is skipped with
    Postfix's warning, once for each half that it would run:
    "restriction `reject_authenticated_sender_login_mismatch' ignored:
    no SASL support".

    Parameters read: smtpd_sasl_auth_enable, smtpd_sender_login_maps.

DIAGNOSTICS
    A smtpd_sender_login_maps lookup failure gives "451 4.3.0 <sender>:
    Temporary lookup failure".
"""

from __future__ import annotations

from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks.engine import (
    DUNNO,
    Context,
    Request,
    Result,
    Step,
    Verdict,
    restriction,
)
from pyfix.tables import search
from pyfix.tables.base import TableError
from pyfix.tables.maps import Maps

AUTHENTICATED = "reject_authenticated_sender_login_mismatch"
UNAUTHENTICATED = "reject_unauthenticated_sender_login_mismatch"
KNOWN = "reject_known_sender_login_mismatch"
# What each restriction runs: the halves above, by name.
HALVES = {
    "reject_sender_login_mismatch": (AUTHENTICATED, UNAUTHENTICATED),
    AUTHENTICATED: (AUTHENTICATED,),
    UNAUTHENTICATED: (UNAUTHENTICATED,),
    KNOWN: (KNOWN,),
}


def _login_maps(ctx: Context) -> Maps | None:
    cache = ctx.settings.tables
    spec = ctx.settings.config.get("smtpd_sender_login_maps")
    if not spec:
        return None
    key = f"smtpd_sender_login_maps={spec}"
    if key not in cache:
        cache[key] = Maps("smtpd_sender_login_maps", spec)
    return cache[key]


def sender_owners(ctx: Context, sender: str) -> list[str] | None:
    """The login names that own sender (None: no owner, or no table)."""
    maps = _login_maps(ctx)
    if maps is None:
        return None
    relay = ctx.settings.relay
    address = relay.resolve(sender, sender).recipient
    value, _ = search.find_address(maps, address, search.DEFAULT,
                                   recipient_delimiter=ctx.settings.config.get(
                                       "recipient_delimiter"),
                                   is_local_domain=relay.unlisted.is_local_domain)
    if value is None:
        return None
    return value.replace(",", " ").split()


def _mismatch(ctx: Context, request: Request, step: Step) -> Verdict:
    halves = HALVES[step.name]
    if not ctx.settings.config.get_bool("smtpd_sasl_auth_enable"):
        for half in halves:
            ctx.warn(f"restriction `{half}' ignored: no SASL support")
        return DUNNO
    sender = request.sender
    if not sender or halves == (AUTHENTICATED,):
        # No client is authenticated (pyfix has no SASL yet): nothing
        # for the authenticated half to compare.
        return DUNNO
    try:
        owners = sender_owners(ctx, sender)
    except TableError:
        return Verdict(Result.DEFER, Reply(451, "4.3.0", f"<{sender}>: Temporary lookup failure"))
    if owners is None:
        return DUNNO
    return request.reject("not logged in", 553, "5.7.1", (sender, "Sender address"))


for _name in HALVES:
    restriction(_name)(_mismatch)
