"""NAME
    pyfix.smtpd.checks.smtpd - the restriction lists at each SMTP stage

SUMMARY
    SmtpdChecks, SessionChecks, RestrictionConfigError, Facts

DESCRIPTION
    SmtpdChecks reads the restriction lists of one smtpd service at
    start-up; SessionChecks applies them to one session:

        connect      smtpd_client_restrictions   } at RCPT (and ETRN)
        HELO/EHLO    smtpd_helo_restrictions     } instead, when
        MAIL FROM    smtpd_sender_restrictions   } smtpd_delay_reject=yes
        RCPT TO      smtpd_relay_restrictions and
                     smtpd_recipient_restrictions, in the order that
                     smtpd_relay_before_recipient_restrictions says;
                     then the unlisted-recipient check
        DATA         smtpd_data_restrictions
        end of data  smtpd_end_of_data_restrictions
        ETRN         smtpd_etrn_restrictions

    Each list ends at its first OK; a REJECT or DEFER ends the stage with
    its reply.  An unknown or unimplemented restriction fails closed
    (engine.py).

    compatibility_level, as Postfix 3.7: below level 1 the default
    smtpd_relay_restrictions is empty and the relay decision comes from
    smtpd_recipient_restrictions alone.  When that default lets a
    recipient through that the level-1 default (permit_mynetworks,
    permit_sasl_authenticated, defer_unauth_destination) would have
    deferred, smtpd logs 'using backwards-compatible default setting
    "smtpd_relay_restrictions = (empty)" to avoid "Relay access denied"
    error for recipient ...'.  Below level 3.6 the recipient list comes
    first, and a reject from it is followed in the log by "using
    backwards-compatible default setting
    smtpd_relay_before_recipient_restrictions=no to reject recipient
    ...".

    Parameters read: smtpd_client_restrictions, smtpd_helo_restrictions,
    smtpd_sender_restrictions, smtpd_relay_restrictions,
    smtpd_recipient_restrictions, smtpd_data_restrictions,
    smtpd_end_of_data_restrictions, smtpd_etrn_restrictions,
    smtpd_delay_reject, smtpd_relay_before_recipient_restrictions,
    smtpd_reject_unlisted_recipient, and those of settings.py.

DIAGNOSTICS
    RestrictionConfigError (a fatal at start-up, as in Postfix) when
    neither smtpd_relay_restrictions nor smtpd_recipient_restrictions
    holds a relay check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config.store import Config
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks import engine
from pyfix.smtpd.checks.engine import (
    Context,
    Request,
    RestrictionList,
    Stage,
    Verdict,
    evaluate,
    parse_list,
)
from pyfix.smtpd.checks.relay import COMPAT_RELAY_DOMAINS
from pyfix.smtpd.checks.settings import CheckSettings
from pyfix.smtpd.peer import complete
from pyfix.smtpd.relay import RelayPolicy

# The names that make a relay check (Postfix's start-up test).
RELAY_CHECKS = ("reject_unauth_destination", "defer_unauth_destination", "reject", "defer",
                "defer_if_permit", "check_relay_domains")
NO_RELAY_CHECK = ("in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, "
                  "specify at least one working instance of: reject_unauth_destination, "
                  "defer_unauth_destination, reject, defer, defer_if_permit or "
                  "check_relay_domains")
# What the level-1 default would have checked (without its final defer).
LEVEL1_RELAY = "permit_mynetworks, permit_sasl_authenticated, permit_auth_destination"
COMPAT = "using backwards-compatible default setting"
STAGES = (engine.CLIENT, engine.HELO, engine.SENDER, engine.RELAY, engine.RECIPIENT,
          engine.DATA, engine.END_OF_DATA, engine.ETRN)


class RestrictionConfigError(Exception):
    """The restriction lists cannot work (smtpd stops at start-up)."""


@dataclass
class Facts:
    """What the session knows when a stage is checked."""

    client_name: str
    client_addr: str
    namaddr: str
    helo: str | None = None
    sender: str | None = None
    # the client name's status and the reverse name (pyfix.smtpd.peer);
    # "" follows client_name (a known name is found, "unknown" is not)
    name_status: str = ""
    reverse_name: str = ""
    reverse_status: str = ""

    def __post_init__(self) -> None:
        self.name_status, self.reverse_name, self.reverse_status = complete(
            self.client_name, self.name_status, self.reverse_name, self.reverse_status)


@dataclass
class Outcome:
    """A stage's reply (None: go on) and the (level, text) log lines that
    Postfix writes after the reject line."""

    reply: Reply | None = None
    after: list[tuple[str, str]] = field(default_factory=list)


class SmtpdChecks:
    def __init__(self, config: Config, relay: RelayPolicy) -> None:
        self.settings = CheckSettings(config, relay)
        self.delay_reject = config.get_bool("smtpd_delay_reject")
        self.relay_before_rcpt = config.get_bool("smtpd_relay_before_recipient_restrictions")
        self.reject_unlisted = config.get_bool("smtpd_reject_unlisted_recipient")
        self.lists: dict[Stage, RestrictionList] = {
            stage: parse_list(stage.parameter, config.get(stage.parameter)) for stage in STAGES}
        names = self.lists[engine.RELAY].names + self.lists[engine.RECIPIENT].names
        if not any(name in RELAY_CHECKS for name in names):
            raise RestrictionConfigError(NO_RELAY_CHECK)
        self.level1_relay = parse_list("smtpd_relay_restrictions", LEVEL1_RELAY)

    def session(self, info: Callable[[str], None], warn: Callable[[str], None]) -> SessionChecks:
        return SessionChecks(self, Context(self.settings, info, warn))


class SessionChecks:
    def __init__(self, checks: SmtpdChecks, ctx: Context) -> None:
        self.checks = checks
        self.ctx = ctx
        # the defer_if_permit replies of the client, helo and sender lists,
        # kept for the RCPT stage (and ETRN) when they were checked early
        self.early_deferred: dict[Stage, Reply | None] = {}

    def _request(self, stage: Stage, facts: Facts, what: str, **more: str | None) -> Request:
        s = self.ctx.settings
        return Request(stage, facts.client_name, facts.client_addr, facts.namaddr,
                       helo=facts.helo, sender=facts.sender, reject_code=s.reject_code,
                       defer_code=s.defer_code, what=what, name_status=facts.name_status,
                       reverse_name=facts.reverse_name, reverse_status=facts.reverse_status,
                       **more)

    async def _run(self, stage: Stage, request: Request) -> Verdict:
        return await evaluate(self.ctx, self.checks.lists[stage], request)

    async def _early(self, facts: Facts, recipient: str | None = None,
               stages: tuple[Stage, ...] = (engine.CLIENT, engine.HELO, engine.SENDER)
               ) -> Verdict:
        """The client, helo and sender lists, in that order."""
        for stage in stages:
            if stage is engine.HELO and facts.helo is None:
                continue  # no HELO, no helo restrictions
            if stage is engine.SENDER and facts.sender is None:
                continue
            what = {engine.CLIENT: facts.namaddr, engine.HELO: facts.helo or "",
                    engine.SENDER: facts.sender or ""}[stage]
            saved, self.ctx.deferred = self.ctx.deferred, None
            verdict = await self._run(stage, self._request(stage, facts, what, recipient=recipient))
            self.early_deferred[stage], self.ctx.deferred = self.ctx.deferred, saved
            if verdict.rejects:
                return verdict
        return engine.DUNNO

    def _deferred_early(self, facts: Facts, stages: tuple[Stage, ...]) -> Reply | None:
        """The first defer_if_permit reply that the early lists left."""
        present = {engine.CLIENT: True, engine.HELO: facts.helo is not None,
                   engine.SENDER: facts.sender is not None}
        for stage in stages:
            reply = self.early_deferred.get(stage)
            if reply is not None and present[stage]:
                return reply
        return None

    def _outcome(self, verdict: Verdict) -> Outcome:
        return Outcome(verdict.reply, self.ctx.take_after())

    async def connect(self, facts: Facts) -> Outcome:
        if self.checks.delay_reject:
            return Outcome()
        return self._outcome(await self._early(facts, stages=(engine.CLIENT,)))

    async def helo(self, facts: Facts) -> Outcome:
        if self.checks.delay_reject:
            return Outcome()
        return self._outcome(await self._early(facts, stages=(engine.HELO,)))

    async def mail(self, facts: Facts) -> Outcome:
        if self.checks.delay_reject:
            return Outcome()
        return self._outcome(await self._early(facts, stages=(engine.SENDER,)))

    async def recipient(self, facts: Facts, recipient: str) -> Outcome:
        checks, settings = self.checks, self.ctx.settings
        self.ctx.deferred = None
        if checks.delay_reject:
            verdict = await self._early(facts, recipient)
            if verdict.rejects:
                return self._outcome(verdict)
        self.ctx.deferred = self._deferred_early(
            facts, (engine.CLIENT, engine.HELO, engine.SENDER))
        request = self._request(engine.RECIPIENT, facts, recipient, recipient=recipient)
        order = ((engine.RELAY, engine.RECIPIENT) if checks.relay_before_rcpt
                 else (engine.RECIPIENT, engine.RELAY))
        for index, stage in enumerate(order):
            verdict = await self._run(stage, request)
            if verdict.rejects:
                outcome = self._outcome(verdict)
                if index == 0 and stage is engine.RECIPIENT and settings.relay_before_rcpt_compat:
                    outcome.after.append((
                        "info", f"{COMPAT} smtpd_relay_before_recipient_restrictions=no to "
                        f'reject recipient "{recipient}" from client "{facts.namaddr}"'))
                return outcome
        if self.ctx.deferred is not None:  # defer_if_permit: nothing rejected
            return Outcome(self.ctx.deferred, self.ctx.take_after())
        if settings.relay_restrictions_compat and \
                await evaluate(self.ctx, checks.level1_relay, request) is engine.DUNNO:
            self.ctx.info(f'{COMPAT} "smtpd_relay_restrictions = (empty)" to avoid "Relay '
                          f'access denied" error for recipient "{recipient}" from client '
                          f'"{facts.namaddr}"')
        return Outcome(await self._unlisted(facts, recipient))

    async def _unlisted(self, facts: Facts, recipient: str) -> Reply | None:
        """smtpd_reject_unlisted_recipient: unknown local users (relay.py)."""
        if not self.checks.reject_unlisted:
            return None  # (relay.py's check_rcpt knows this too)
        settings = self.ctx.settings
        sender = facts.sender or ""
        reply = settings.relay.check_rcpt(recipient, sender)
        if reply is None and settings.relay_domains_compat and "@" in recipient \
                and settings.relay.relay_class(sender, recipient):  # resolved, cached
            self.ctx.info(f'{COMPAT_RELAY_DOMAINS} to accept mail for address "{recipient}"')
        return reply

    async def data(self, facts: Facts) -> Outcome:
        request = self._request(engine.DATA, facts, "DATA")
        return self._outcome(await self._run(engine.DATA, request))

    async def end_of_data(self, facts: Facts) -> Outcome:
        return self._outcome(await self._run(
            engine.END_OF_DATA, self._request(engine.END_OF_DATA, facts, "END-OF-MESSAGE")))

    async def etrn(self, facts: Facts, domain: str) -> Outcome:
        self.ctx.deferred = None
        if self.checks.delay_reject:
            verdict = await self._early(facts, stages=(engine.CLIENT, engine.HELO))
            if verdict.rejects:
                return self._outcome(verdict)
        self.ctx.deferred = self._deferred_early(facts, (engine.CLIENT, engine.HELO))
        request = self._request(engine.ETRN, facts, domain, etrn_domain=domain)
        verdict = await self._run(engine.ETRN, request)
        if not verdict.rejects and self.ctx.deferred is not None:
            return Outcome(self.ctx.deferred, self.ctx.take_after())
        return self._outcome(verdict)
