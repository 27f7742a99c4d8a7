"""NAME
    pyfix.smtp.settings - the configuration the SMTP server core uses

SUMMARY
    ServerSettings, ServerSettings.from_config(), BARE_NEWLINE_MODES

DESCRIPTION
    ServerSettings holds, already typed, every parameter that changes
    what the protocol core says.  from_config() reads them from a Config
    (normally Config.for_service("smtp", "inet")), so that master.cf -o
    overrides apply; tests build ServerSettings directly.

    smtpd_forbid_bare_newline takes the values of Postfix 3.7.11:
    "no" (a bare LF ends a line, "\\n.\\n" ends DATA), "normalize" and
    "yes" (only "\\r\\n.\\r\\n" ends DATA; lines that end in a bare LF
    are accepted) and "reject" (as normalize, and a bare LF is answered
    with smtpd_forbid_bare_newline_reject_code).  Whether the client is
    in smtpd_forbid_bare_newline_exclusions is the caller's decision
    (SmtpServer(..., bare_newline_excluded=...)), since it needs address
    matching against $mynetworks.

    Parameters read: myhostname, smtpd_banner, smtpd_helo_required,
    disable_vrfy_command, strict_rfc821_envelopes, smtputf8_enable,
    strict_smtputf8, message_size_limit, line_length_limit,
    smtpd_recipient_limit, smtpd_recipient_overshoot_limit,
    smtpd_soft_error_limit, smtpd_hard_error_limit,
    smtpd_error_sleep_time, smtpd_junk_command_limit,
    smtpd_forbid_unauth_pipelining, smtpd_forbid_bare_newline,
    smtpd_forbid_bare_newline_reject_code, smtpd_discard_ehlo_keywords,
    soft_bounce, smtpd_reject_footer, smtpd_client_port_logging, verp_delimiter_filter,
    default_verp_delimiters, smtpd_noop_commands,
    smtpd_forbidden_commands, smtpd_enforce_tls, smtpd_tls_security_level,
    notify_classes, smtpd_history_flush_threshold.

DIAGNOSTICS
    SettingsError with Postfix's text for a bad smtpd_forbid_bare_newline
    value ("bad parameter value: 'smtpd_forbid_bare_newline = x'");
    the typed getters of Config raise ConfigValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyfix.config.masks import notify_classes
from pyfix.config.store import Config
from pyfix.smtp.ehlo import discard_mask
from pyfix.smtp.tokens import ascii_lower
from pyfix.smtp.wordlist import TableMatch, WordList

BARE_NEWLINE_MODES = ("normalize", "yes", "reject", "no")


class SettingsError(Exception):
    """A parameter value that the SMTP server cannot use."""


def _never(_word: str) -> bool:
    return False


@dataclass(frozen=True)
class ServerSettings:
    myhostname: str = "localhost"
    banner: str = "localhost ESMTP Postfix"
    helo_required: bool = False
    disable_vrfy: bool = False
    strict_rfc821_envelopes: bool = False
    smtputf8_enable: bool = True
    strict_smtputf8: bool = False
    message_size_limit: int = 10240000
    line_length_limit: int = 2048
    recipient_limit: int = 1000
    recipient_overshoot_limit: int = 1000
    soft_error_limit: int = 10
    hard_error_limit: int = 20
    error_sleep_time: float = 1.0
    junk_command_limit: int = 100
    forbid_unauth_pipelining: bool = True
    forbid_bare_newline: str = "normalize"
    bare_newline_reject_code: int = 550
    discard_ehlo_keywords: frozenset[str] = frozenset()
    soft_bounce: bool = False
    notify_classes: frozenset[str] = frozenset({"resource", "software"})
    history_flush_threshold: int = 100
    reject_footer: str = ""
    client_port_logging: bool = False
    verp_filter: str = "-=+"
    verp_default: str = "+="
    require_tls: bool = False
    noop_commands: Callable[[str], bool] = field(default=_never, compare=False)
    forbidden_commands: Callable[[str], bool] = field(
        default_factory=lambda: WordList("CONNECT GET POST regexp:{{/^[^A-Z]/ Bogus}}"),
        compare=False,
    )

    def __post_init__(self) -> None:
        if self.forbid_bare_newline not in BARE_NEWLINE_MODES:
            raise SettingsError(
                f"bad parameter value: 'smtpd_forbid_bare_newline = {self.forbid_bare_newline}'"
            )

    @property
    def bare_newline_detect(self) -> bool:
        """Only CRLF.CRLF ends DATA (normalize, yes, reject)."""
        return self.forbid_bare_newline != "no"

    @property
    def bare_newline_reject(self) -> bool:
        return self.forbid_bare_newline == "reject"

    @classmethod
    def from_config(cls, config: Config, table_match: TableMatch | None = None) -> ServerSettings:
        bare = ascii_lower(config.get("smtpd_forbid_bare_newline"))
        return cls(
            myhostname=config.get("myhostname"),
            banner=config.get("smtpd_banner"),
            helo_required=config.get_bool("smtpd_helo_required"),
            disable_vrfy=config.get_bool("disable_vrfy_command"),
            strict_rfc821_envelopes=config.get_bool("strict_rfc821_envelopes"),
            smtputf8_enable=config.get_bool("smtputf8_enable"),
            strict_smtputf8=config.get_bool("strict_smtputf8"),
            message_size_limit=config.get_long("message_size_limit"),
            line_length_limit=config.get_int("line_length_limit"),
            recipient_limit=config.get_int("smtpd_recipient_limit"),
            recipient_overshoot_limit=config.get_int("smtpd_recipient_overshoot_limit"),
            soft_error_limit=config.get_int("smtpd_soft_error_limit"),
            hard_error_limit=config.get_int("smtpd_hard_error_limit"),
            error_sleep_time=float(config.get_time("smtpd_error_sleep_time")),
            junk_command_limit=config.get_int("smtpd_junk_command_limit"),
            forbid_unauth_pipelining=config.get_bool("smtpd_forbid_unauth_pipelining"),
            forbid_bare_newline=bare,
            bare_newline_reject_code=config.get_int("smtpd_forbid_bare_newline_reject_code"),
            discard_ehlo_keywords=discard_mask(config.get("smtpd_discard_ehlo_keywords")),
            soft_bounce=config.get_bool("soft_bounce"),
            notify_classes=notify_classes(config),
            history_flush_threshold=config.get_int("smtpd_history_flush_threshold"),
            reject_footer=config.get("smtpd_reject_footer"),
            client_port_logging=config.get_bool("smtpd_client_port_logging"),
            verp_filter=config.get("verp_delimiter_filter"),
            verp_default=config.get("default_verp_delimiters"),
            require_tls=config.get_bool("smtpd_enforce_tls")
            or config.get("smtpd_tls_security_level") == "encrypt",
            noop_commands=WordList(config.get("smtpd_noop_commands"), table_match),
            forbidden_commands=WordList(config.get("smtpd_forbidden_commands"), table_match),
        )
