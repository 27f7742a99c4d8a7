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

    smtpd_reject_unlisted_recipient runs reject_unlisted_recipient's
    test (unlisted.py) after both recipient lists, even when they
    permit.  smtpd_reject_unlisted_sender runs reject_unlisted_sender's
    test right after smtpd_sender_restrictions, even when it permits:
    at MAIL FROM, or at each RCPT TO with smtpd_delay_reject = yes,
    before the recipient lists.

    Each stage is one check (the relay and recipient lists together):
    Context.reset() clears warn_if_reject and defer_if_reject.  A
    defer_if_permit does not defer the client, helo or sender stage
    itself: it stays pending, each later stage inherits it, and the RCPT
    check (either smtpd_delay_reject) defers with it when its own lists
    did not reject; ETRN inherits the client's and helo's.  DATA,
    end-of-data and ETRN defer with their own pending one.  Outcome
    carries the warn_if_reject replies, logged as "reject_warning" lines
    (pyfix.smtpd.refusal).

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
    smtpd_reject_unlisted_recipient, smtpd_reject_unlisted_sender,
    smtpd_restriction_classes, and those of settings.py.

DIAGNOSTICS
    RestrictionConfigError (a fatal at start-up, as in Postfix) when
    neither smtpd_relay_restrictions nor smtpd_recipient_restrictions
    holds a relay check, or when a name in smtpd_restriction_classes has
    no parameter of that name ("restriction class `NAME' needs a
    definition").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config.store import Config
from pyfix.smtp.replies import Reply
from pyfix.smtpd.checks import access, engine
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
from pyfix.smtpd.checks.unlisted import unlisted_verdict
from pyfix.smtpd.peer import complete
from pyfix.smtpd.relay import RelayPolicy
from pyfix.smtpd.unlisted import RECIPIENT, SENDER

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
    reverse_name: str = ""  # the unverified reverse name; "" follows client_name
    # What a policy server is told (pyfix.smtpd.checks.policy): the SMTP
    # command being checked (CONNECT, EHLO, HELO, MAIL, RCPT, DATA,
    # END-OF-MESSAGE, VRFY, ETRN), SMTP or ESMTP, the ports and addresses,
    # the transaction's queue ID (once open), accepted recipients (the
    # first one), the size (SIZE=, then the content's) and instance.
    protocol_state: str = ""
    protocol_name: str = "SMTP"
    client_port: str = ""
    server_addr: str = ""
    server_port: str = ""
    queue_id: str = ""
    recipient_count: int = 0
    first_recipient: str = ""
    size: int = 0
    instance: str = ""
    pipelined: bool = False  # unread input after this command
    protocol: str = "SMTP"  # ESMTP after EHLO
    # the client name's status and the reverse name's (pyfix.smtpd.peer);
    # "" follows client_name (a known name is found, "unknown" is not)
    name_status: str = ""
    reverse_status: str = ""

    def __post_init__(self) -> None:
        self.name_status, self.reverse_name, self.reverse_status = complete(
            self.client_name, self.name_status, self.reverse_name, self.reverse_status)


@dataclass
class Outcome:
    """A stage's reply (None: go on), the (level, text) log lines that
    Postfix writes after the reject line, the replies that
    warn_if_reject turned into reject_warning lines (logged before it),
    and notes: the (action, text) lines of access(5) actions (hold,
    warn, ...) that come before it."""

    reply: Reply | None = None
    after: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[Reply] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


class SmtpdChecks:
    def __init__(self, config: Config, relay: RelayPolicy) -> None:
        self.settings = CheckSettings(config, relay)
        self.delay_reject = config.get_bool("smtpd_delay_reject")
        self.relay_before_rcpt = config.get_bool("smtpd_relay_before_recipient_restrictions")
        self.reject_unlisted = config.get_bool("smtpd_reject_unlisted_recipient")
        self.reject_unlisted_sender = config.get_bool("smtpd_reject_unlisted_sender")
        self.lists: dict[Stage, RestrictionList] = {
            stage: parse_list(stage.parameter, config.get(stage.parameter)) for stage in STAGES}
        access.open_tables(self.settings, self.lists.values())
        for name in config.get_list("smtpd_restriction_classes"):
            if config.lookup(name) is None:
                raise RestrictionConfigError(f"restriction class `{name}' needs a definition")
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
        # the defer_if_permit that the client, helo and sender checks
        # leave pending (each includes what it inherited)
        self.pending: dict[Stage, Reply | None] = {}

    def _inherited(self, stage: Stage) -> Reply | None:
        """The defer_if_permit pending from the checks before stage."""
        before = {engine.CLIENT: (), engine.HELO: (engine.CLIENT,),
                  engine.SENDER: (engine.HELO, engine.CLIENT)}.get(
                      stage, (engine.SENDER, engine.HELO, engine.CLIENT))
        if stage is engine.ETRN:
            before = (engine.HELO, engine.CLIENT)
        return next((reply for reply in map(self.pending.get, before) if reply), None)

    def _request(self, stage: Stage, facts: Facts, what: str, recipient: str | None = None,
                 etrn_domain: str | None = None) -> Request:
        s = self.ctx.settings
        return Request(stage, facts.client_name, facts.client_addr, facts.namaddr,
                       helo=facts.helo, sender=facts.sender, recipient=recipient,
                       etrn_domain=etrn_domain, reject_code=s.reject_code,
                       defer_code=s.defer_code, what=what, pipelined=facts.pipelined,
                       protocol=facts.protocol, reverse_name=facts.reverse_name,
                       facts=facts, name_status=facts.name_status,
                       reverse_status=facts.reverse_status)

    async def _run(self, stage: Stage, request: Request) -> Verdict:
        return await evaluate(self.ctx, self.checks.lists[stage], request)

    async def _early(self, facts: Facts, recipient: str | None = None,
               stages: tuple[Stage, ...] = (engine.CLIENT, engine.HELO, engine.SENDER),
               etrn_domain: str | None = None) -> Verdict:
        """The client, helo and sender lists, in that order."""
        for stage in stages:
            if stage is engine.HELO and facts.helo is None:
                continue  # no HELO, no helo restrictions
            if stage is engine.SENDER and facts.sender is None:
                continue
            what = {engine.CLIENT: facts.namaddr, engine.HELO: facts.helo or "",
                    engine.SENDER: facts.sender or ""}[stage]
            self.ctx.reset(self._inherited(stage))
            request = self._request(stage, facts, what, recipient=recipient,
                                    etrn_domain=etrn_domain)
            verdict = await self._run(stage, request)
            if stage is engine.SENDER and not verdict.rejects:
                verdict = self._unlisted_sender(facts)
            # A pending defer_if_permit waits for the RCPT check.
            self.pending[stage] = self.ctx.if_permit
            if verdict.rejects:
                return verdict
        return engine.DUNNO

    def _unlisted_sender(self, facts: Facts) -> Verdict:
        """smtpd_reject_unlisted_sender (the null sender passes)."""
        if not self.checks.reject_unlisted_sender or not facts.sender:
            return engine.DUNNO
        return unlisted_verdict(self.ctx, facts.sender, facts.sender, SENDER)

    def _outcome(self, verdict: Verdict) -> Outcome:
        return Outcome(verdict.reply, self.ctx.take_after(), self.ctx.take_warnings(),
                       self.ctx.take_notes())

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
        if self.ctx.actions.discard:
            return Outcome()  # DISCARD: the transaction's mail goes nowhere
        if checks.delay_reject:
            verdict = await self._early(facts, recipient)
            if verdict.rejects:
                return self._outcome(verdict)
        request = self._request(engine.RECIPIENT, facts, recipient, recipient=recipient)
        order = ((engine.RELAY, engine.RECIPIENT) if checks.relay_before_rcpt
                 else (engine.RECIPIENT, engine.RELAY))
        self.ctx.reset(self._inherited(engine.RECIPIENT))  # one check, both lists
        for index, stage in enumerate(order):
            verdict = await self._run(stage, request)
            if verdict.rejects:
                outcome = self._outcome(verdict)
                if index == 0 and stage is engine.RECIPIENT and settings.relay_before_rcpt_compat:
                    outcome.after.append((
                        "info", f"{COMPAT} smtpd_relay_before_recipient_restrictions=no to "
                        f'reject recipient "{recipient}" from client "{facts.namaddr}"'))
                return outcome
        if settings.relay_restrictions_compat and \
                await evaluate(self.ctx, checks.level1_relay, request) is engine.DUNNO:
            self.ctx.info(f'{COMPAT} "smtpd_relay_restrictions = (empty)" to avoid "Relay '
                          f'access denied" error for recipient "{recipient}" from client '
                          f'"{facts.namaddr}"')
        verdict = self.ctx.permitted(engine.DUNNO)
        if verdict.rejects:
            return self._outcome(verdict)
        return Outcome(await self._unlisted(facts, recipient), self.ctx.take_after(),
                       self.ctx.take_warnings(), self.ctx.take_notes())

    async def _unlisted(self, facts: Facts, recipient: str) -> Reply | None:
        """smtpd_reject_unlisted_recipient (checks/unlisted.py)."""
        if not self.checks.reject_unlisted:
            return None
        settings = self.ctx.settings
        sender = facts.sender or ""
        verdict = unlisted_verdict(self.ctx, recipient, sender, RECIPIENT)
        if not verdict.rejects and settings.relay_domains_compat and "@" in recipient \
                and settings.relay.relay_class(sender, recipient):  # resolved, cached
            self.ctx.info(f'{COMPAT_RELAY_DOMAINS} to accept mail for address "{recipient}"')
        return verdict.reply

    async def _last(self, stage: Stage, request: Request,
                    if_permit: Reply | None = None) -> Outcome:
        """A check that ends in a reply: a pending defer_if_permit defers."""
        self.ctx.reset(if_permit)
        return self._outcome(self.ctx.permitted(await self._run(stage, request)))

    async def data(self, facts: Facts) -> Outcome:
        return await self._last(engine.DATA, self._request(engine.DATA, facts, "DATA"))

    async def end_of_data(self, facts: Facts) -> Outcome:
        return await self._last(engine.END_OF_DATA,
                                self._request(engine.END_OF_DATA, facts, "END-OF-MESSAGE"))

    async def etrn(self, facts: Facts, domain: str) -> Outcome:
        if self.checks.delay_reject:
            verdict = await self._early(facts, stages=(engine.CLIENT, engine.HELO),
                                        etrn_domain=domain)
            if verdict.rejects:
                return self._outcome(verdict)
        request = self._request(engine.ETRN, facts, domain, etrn_domain=domain)
        return await self._last(engine.ETRN, request, self._inherited(engine.ETRN))
