"""NAME
    pyfix.config.support - which parameters pyfix implements, and what it
    does about the others

SUMMARY
    IMPLEMENTED, READ_NOT_IMPLEMENTED, FIXED, TRANSPORT_SUFFIXES,
    CHECKED_ELSEWHERE, GUARDS,
    Problem, service_problems(), master_problems(), check_service()

DESCRIPTION
    IMPLEMENTED lists every parameter that pyfix's code reads, with
    None when every value works, or the values that work when pyfix
    implements only some (smtpd_tls_security_level: none and encrypt,
    not may).  READ_NOT_IMPLEMENTED names the few that pyfix reads only
    to stand in for them (smtpd_milters).  FIXED lists parameters that
    pyfix does not read because it always behaves as one value does
    (biff = no; client rate limits of 0).  TRANSPORT_SUFFIXES
    are the per-transport parameters (relay_destination_concurrency_limit
    and the like) that qmgr and pipe read.  tests/config/test_support.py
    keeps the lists true to the code: every parameter name the code
    reads is listed, and every listed name is read.

    CHECKED_ELSEWHERE holds the restriction lists: the restriction
    engine itself refuses a restriction that it cannot run.

    service_problems(config) looks at one master.cf service (config is
    its view, Config.for_service()).  A parameter is that service's
    concern when the manual page of the Postfix daemon that runs it
    lists the parameter (param_readers.py), or the page of a daemon
    that pyfix runs inside it: cleanup and trivial-rewrite inside smtpd
    and pickup, trivial-rewrite and bounce inside qmgr.  Those are read
    in the view of the service that cleanup_service_name,
    rewrite_service_name or bounce_service_name names, as Postfix's
    daemons would read them.  A parameter that main.cf or the service's
    -o options set to a value other than its default, and that pyfix
    does not implement (or not with that value), is a Problem:

        SERVICE: parameter NAME = VALUE is not supported by pyfix yet

    smtpd_milters with milter_default_action = tempfail or accept is
    answered as Postfix answers when no milter can be reached
    (smtpd/milter_gate.py), with a warning.

    A few parameters guard mail (GUARDS): ignoring them would accept
    mail that the configuration means to refuse or check, or change
    where or how mail goes (milters, content filters, the PROXY
    protocol, TLS requirements towards the next hop, SASL towards the
    next hop, address mappings).  Set to a value that matters, such a
    Problem is fatal: the service does not start, and the master
    throttles it.

        SERVICE: parameter NAME = VALUE is not supported by pyfix yet,
        and SERVICE will not run without it: REASON

    master_problems() does the same for the master's own parameters
    (master(8)), which the master logs at start.

    check_service() logs each Problem of a service once, at start;
    "postfix check" prints them for every service (cli/postfix_check.py).

    Parameters read: cleanup_service_name, rewrite_service_name,
    bounce_service_name, milter_default_action, and every parameter
    that main.cf or the service's -o options set.

DIAGNOSTICS
    check_service() returns False after logging a fatal Problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from pyfix.config.param_readers import READERS
from pyfix.config.store import Config, ExpansionError

EVERY_VALUE = None

# Every parameter that pyfix's code reads.  None: every value is
# implemented; a set: only these values (lower case, "" for empty).
IMPLEMENTED: Final[dict[str, frozenset[str] | None]] = {
    name: EVERY_VALUE for name in (
        # configuration, queue and logging
        "compatibility_level", "config_directory", "queue_directory", "data_directory",
        "process_id_directory", "hash_queue_depth", "hash_queue_names",
        "mail_owner", "setgid_group", "default_privs", "maillog_file", "syslog_facility",
        "syslog_name", "delay_logging_resolution_limit", "helpful_warnings",
        "default_database_type", "lmdb_map_size", "service_throttle_time",
        "default_process_limit", "pyfix_dns_servers", "mail_name",
        "process_id", "process_name", "service_name",
        # addresses and domains
        "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks",
        "mynetworks_style", "inet_interfaces", "inet_protocols", "proxy_interfaces",
        "relay_domains", "parent_domain_matches_subdomains", "recipient_delimiter",
        "swap_bangpath", "allow_percent_hack", "append_at_myorigin", "append_dot_mydomain",
        "resolve_dequoted_address", "resolve_null_domain", "resolve_numeric_domain",
        "local_header_rewrite_clients", "remote_header_rewrite_domain",
        "empty_address_recipient", "double_bounce_sender",
        # smtpd
        "smtpd_banner", "smtpd_client_port_logging", "smtpd_discard_ehlo_keywords",
        "smtpd_enforce_tls", "smtpd_error_sleep_time", "smtpd_forbid_bare_newline",
        "smtpd_forbid_bare_newline_reject_code", "smtpd_forbid_unauth_pipelining",
        "smtpd_forbidden_commands", "smtpd_hard_error_limit", "smtpd_helo_required",
        "smtpd_junk_command_limit", "smtpd_noop_commands", "smtpd_peername_lookup",
        "smtpd_recipient_limit", "smtpd_recipient_overshoot_limit", "smtpd_soft_error_limit",
        "smtpd_timeout", "disable_vrfy_command", "strict_rfc821_envelopes",
        "smtpd_history_flush_threshold", "error_notice_recipient",
        "smtputf8_enable", "smtputf8_autodetect_classes", "strict_smtputf8",
        "soft_bounce", "message_size_limit", "line_length_limit", "verp_delimiter_filter",
        "default_verp_delimiters", "show_user_unknown_table_name",
        "unknown_local_recipient_reject_code", "local_recipient_maps",
        "virtual_alias_domains", "virtual_mailbox_domains", "fast_flush_domains",
        "receive_override_options", "allow_untrusted_routing",
        "smtpd_reject_unlisted_recipient", "unknown_virtual_alias_reject_code",
        "unknown_virtual_mailbox_reject_code", "relay_recipient_maps",
        "unknown_relay_recipient_reject_code", "smtpd_delay_reject",
        "smtpd_relay_before_recipient_restrictions", "relay_domains_reject_code",
        "non_fqdn_reject_code", "access_map_reject_code", "access_map_defer_code",
        "reject_code", "defer_code",
        "smtpd_reject_unlisted_sender", "smtpd_sender_login_maps",
        # smtpd: DNS lists (smtpd/checks/dnsbl.py)
        "maps_rbl_reject_code", "maps_rbl_domains", "default_rbl_reply", "rbl_reply_maps",
        # smtpd: check_policy_service
        "smtpd_policy_service_timeout", "smtpd_policy_service_max_idle",
        "smtpd_policy_service_max_ttl", "smtpd_policy_service_request_limit",
        "smtpd_policy_service_try_limit", "smtpd_policy_service_retry_delay",
        "smtpd_policy_service_default_action", "smtpd_policy_service_policy_context",
        "smtpd_null_access_lookup_key",
        "smtpd_reject_footer",
        # smtpd restrictions on names (smtpd/checks/helo.py, names.py)
        "invalid_hostname_reject_code", "unknown_hostname_reject_code",
        "unknown_helo_hostname_tempfail_action", "unknown_client_reject_code",
        "unknown_address_reject_code", "unknown_address_tempfail_action",
        "permit_mx_backup_networks",
        # cleanup
        "cleanup_service_name", "always_add_missing_headers", "always_bcc",
        "body_checks", "body_checks_size_limit", "header_checks", "mime_header_checks",
        "cleanup_replace_stray_cr_lf", "detect_8bit_encoding_header",
        "duplicate_filter_limit", "enable_long_queue_ids", "enable_original_recipient",
        "header_address_token_limit", "header_from_format", "header_size_limit",
        "hopcount_limit", "info_log_address_format", "message_drop_headers",
        "message_reject_characters", "message_strip_characters",
        "queue_file_attribute_count_limit", "undisclosed_recipients_header",
        "propagate_unmatched_extensions", "delay_warning_time",
        # trivial-rewrite
        "rewrite_service_name", "transport_maps", "default_transport", "relay_transport",
        "local_transport", "virtual_transport", "relayhost",
        "sender_dependent_relayhost_maps", "sender_dependent_default_transport_maps",
        "empty_address_relayhost_maps_lookup_key",
        "empty_address_default_transport_maps_lookup_key", "relocated_maps",
        # qmgr, bounce, flush, showq, pickup
        "bounce_service_name", "queue_run_delay", "minimal_backoff_time", "maximal_backoff_time",
        "maximal_queue_lifetime", "bounce_queue_lifetime", "defer_transports",
        "default_filter_nexthop",
        "qmgr_message_active_limit", "qmgr_message_recipient_limit",
        "default_destination_concurrency_limit", "default_destination_recipient_limit",
        "initial_destination_concurrency", "default_destination_rate_delay",
        "default_destination_concurrency_failed_cohort_limit", "queue_service_name",
        "pickup_service_name", "showq_service_name", "flush_service_name",
        "fast_flush_purge_time", "fast_flush_refresh_time", "notify_classes",
        "internal_mail_filter_classes", "bounce_notice_recipient",
        "2bounce_notice_recipient", "delay_notice_recipient", "bounce_size_limit",
        "bounce_template_file", "enable_threaded_bounces", "sendmail_fix_line_endings",
        # local, virtual, pipe
        "alias_maps", "alias_database", "allow_mail_to_commands", "allow_mail_to_files",
        "allow_min_user", "command_execution_directory", "command_expansion_filter",
        "command_time_limit", "deliver_lock_attempts", "deliver_lock_delay",
        "execution_directory_expansion_filter", "expand_owner_alias", "export_environment",
        "fallback_transport", "fallback_transport_maps", "forward_expansion_filter",
        "forward_path", "frozen_delivered_to", "home_mailbox", "local_command_shell",
        "luser_relay", "mail_spool_directory", "mailbox_command", "mailbox_command_maps",
        "mailbox_delivery_lock", "mailbox_size_limit", "mailbox_transport",
        "mailbox_transport_maps", "owner_request_special", "prepend_delivered_header",
        "require_home_directory", "reset_owner_alias", "stale_lock_time",
        "strict_mailbox_ownership", "virtual_gid_maps", "virtual_mailbox_base",
        "virtual_mailbox_limit", "virtual_mailbox_lock", "virtual_mailbox_maps",
        "virtual_minimum_uid", "virtual_uid_maps",
        # smtp and lmtp clients
        "disable_dns_lookups", "smtp_always_send_ehlo", "smtp_never_send_ehlo",
        "smtp_helo_name", "lmtp_lhlo_name", "smtp_helo_timeout", "lmtp_lhlo_timeout",
        "smtp_discard_ehlo_keywords", "lmtp_discard_lhlo_keywords",
        # verify(8) and reject_unverified_*
        "address_verify_map", "address_verify_sender", "address_verify_service_name",
        "address_verify_cache_cleanup_interval", "address_verify_negative_cache",
        "address_verify_negative_expire_time", "address_verify_negative_refresh_time",
        "address_verify_positive_expire_time", "address_verify_positive_refresh_time",
        "address_verify_poll_count", "address_verify_poll_delay",
        "address_verify_local_transport", "address_verify_virtual_transport",
        "address_verify_relay_transport", "address_verify_default_transport",
        "address_verify_sender_dependent_default_transport_maps", "address_verify_relayhost",
        "address_verify_sender_dependent_relayhost_maps", "address_verify_transport_maps",
        "unverified_recipient_reject_code", "unverified_recipient_defer_code",
        "unverified_recipient_reject_reason", "unverified_sender_reject_code",
        "unverified_sender_defer_code", "unverified_sender_reject_reason",
    )
} | {
    f"{prefix}_{suffix}": EVERY_VALUE
    for prefix in ("smtp", "lmtp")
    for suffix in (
        "bind_address", "bind_address6", "connect_timeout", "connection_cache_destinations",
        "connection_cache_on_demand", "connection_cache_time_limit",
        "connection_reuse_count_limit", "connection_reuse_time_limit", "data_done_timeout",
        "data_init_timeout", "data_xfer_timeout", "fallback_relay", "host_lookup",
        "line_length_limit", "mail_timeout", "mx_address_limit", "mx_session_limit",
        "quit_timeout", "randomize_addresses", "rcpt_timeout", "rset_timeout",
        "skip_5xx_greeting", "skip_quit_response", "tcp_port",
    )
} | {
    # Partly: smtpd never offers STARTTLS, so "encrypt" refuses every
    # command but HELO/EHLO/NOOP/QUIT, as Postfix does without a
    # certificate; "may" would offer it.
    "smtpd_tls_security_level": frozenset({"", "none", "encrypt"}),
    # Only as far as smtpd_milters go, which are answered as unreachable.
    "milter_default_action": frozenset({"accept", "tempfail"}),
    "unverified_recipient_tempfail_action": frozenset({"defer", "defer_if_permit"}),
    "unverified_sender_tempfail_action": frozenset({"defer", "defer_if_permit"}),
    "smtp_dns_support_level": frozenset({"", "disabled", "enabled"}),
    # The *_sender_login_mismatch restrictions read it; smtpd offers no
    # AUTH yet (issue 11), so with "yes" no client is ever logged in.
    "smtpd_sasl_auth_enable": frozenset({"", "no"}),
    "lmtp_dns_support_level": frozenset({"", "disabled", "enabled"}),
}

# Parameters that pyfix reads without implementing them: what it does.
READ_NOT_IMPLEMENTED: Final[dict[str, str]] = {
    "smtpd_milters": "answered as Postfix answers when no milter can be reached"
                     " (smtpd/milter_gate.py)",
    **{name: "smtpd counts the addresses it lists as known addresses (smtpd/unlisted.py),"
             " but cleanup does not rewrite with it yet, so a service that would rewrite"
             " with it does not start (GUARDS)"
       for name in ("canonical_maps", "recipient_canonical_maps", "sender_canonical_maps",
                    "virtual_alias_maps")},
}

# Parameters that pyfix does not read because it always behaves as
# these values do.
FIXED: Final[dict[str, frozenset[str]]] = {
    "biff": frozenset({"no"}),
    # no anvil yet: no client limits, as with 0
    "smtpd_client_connection_count_limit": frozenset({"0"}),
    "smtpd_client_connection_rate_limit": frozenset({"0"}),
    "smtpd_client_message_rate_limit": frozenset({"0"}),
    "smtpd_client_recipient_rate_limit": frozenset({"0"}),
    "smtpd_client_new_tls_session_rate_limit": frozenset({"0"}),
    "smtpd_client_auth_rate_limit": frozenset({"0"}),
}

# Per-transport parameters "TRANSPORT_SUFFIX" (a master.cf service name
# and one of these suffixes) that qmgr and pipe read.
TRANSPORT_SUFFIXES: Final = frozenset({
    "destination_concurrency_limit", "destination_recipient_limit",
    "initial_destination_concurrency", "destination_rate_delay",
    "destination_concurrency_failed_cohort_limit", "time_limit",
})

# The restriction engine reports what it cannot run itself.
CHECKED_ELSEWHERE: Final = frozenset({
    "smtpd_client_restrictions", "smtpd_helo_restrictions", "smtpd_sender_restrictions",
    "smtpd_relay_restrictions", "smtpd_recipient_restrictions", "smtpd_data_restrictions",
    "smtpd_end_of_data_restrictions", "smtpd_etrn_restrictions", "smtpd_restriction_classes",
})


@dataclass(frozen=True, slots=True)
class Guard:
    """An unsupported parameter that must not be ignored: the values that
    are safe to ignore, why the others are not, and, for milters, the
    milter_default_action under which Postfix too passes mail unchecked."""

    reason: str
    safe: frozenset[str] = frozenset({""})
    unless_milter_action: frozenset[str] = frozenset()


# smtpd answers as Postfix's does when its milters cannot be reached
# (smtpd/milter_gate.py) with accept and tempfail, not (yet) with reject
# or quarantine.
_SMTPD_MILTER = Guard("mail would pass without the milter's checks",
                      unless_milter_action=frozenset({"accept", "tempfail"}))
_MILTER = Guard("mail would pass without the milter's checks",
                unless_milter_action=frozenset({"accept"}))
_TLS_LEVEL = Guard("mail would be sent without the TLS that it requires",
                   frozenset({"", "none", "may"}))
_TLS_ON = Guard("mail would be sent without the TLS that it requires", frozenset({"no"}))
_TLS_MAPS = Guard("mail would be sent without the TLS policy that it names")
_SASL = Guard("mail would be sent without SASL authentication", frozenset({"no"}))
_MAPPING = Guard("addresses would not be rewritten as it says")
_BCC = Guard("the blind copies that it asks for would not be sent")

GUARDS: Final[dict[str, Guard]] = {
    "smtpd_milters": _SMTPD_MILTER,
    "non_smtpd_milters": _MILTER,
    "smtpd_milter_maps": _MILTER,
    "content_filter": Guard("mail would bypass the content filter"),
    "smtpd_proxy_filter": Guard("mail would bypass the before-queue content filter"),
    "smtpd_upstream_proxy_protocol": Guard(
        "the proxy's PROXY header would not be read, and clients would be taken"
        " for the proxy"),
    "nested_header_checks": Guard("attached messages' headers would not be checked"),
    "canonical_maps": _MAPPING,
    "sender_canonical_maps": _MAPPING,
    "recipient_canonical_maps": _MAPPING,
    "virtual_alias_maps": _MAPPING,
    "masquerade_domains": _MAPPING,
    "sender_bcc_maps": _BCC,
    "recipient_bcc_maps": _BCC,
    "smtp_tls_security_level": _TLS_LEVEL,
    "lmtp_tls_security_level": _TLS_LEVEL,
    "smtp_enforce_tls": _TLS_ON,
    "lmtp_enforce_tls": _TLS_ON,
    "smtp_tls_policy_maps": _TLS_MAPS,
    "lmtp_tls_policy_maps": _TLS_MAPS,
    "smtp_tls_per_site": _TLS_MAPS,
    "lmtp_tls_per_site": _TLS_MAPS,
    "master_service_disable": Guard("the services that it disables would run"),
    "smtp_sasl_auth_enable": _SASL,
    "lmtp_sasl_auth_enable": _SASL,
}

# Daemons that pyfix runs inside a service process, and the parameter
# that names the master.cf service whose view they use.
EMBEDDED: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "smtpd": (("cleanup", "cleanup_service_name"), ("trivial-rewrite", "rewrite_service_name")),
    "pickup": (("cleanup", "cleanup_service_name"), ("trivial-rewrite", "rewrite_service_name")),
    "qmgr": (("trivial-rewrite", "rewrite_service_name"), ("bounce", "bounce_service_name")),
}


@dataclass(frozen=True, slots=True)
class Problem:
    service: str
    name: str
    value: str
    reason: str = ""

    @property
    def fatal(self) -> bool:
        return bool(self.reason)

    def __str__(self) -> str:
        text = f"{self.service}: parameter {self.name} = {self.value} is not supported by pyfix yet"
        if self.reason:
            text += f", and {self.service} will not run without it: {self.reason}"
        return text


def _value(view: Config, name: str) -> str | None:
    """The expanded value that main.cf or -o gives name, when it is not the
    default; None otherwise."""
    raw = view.lookup(name)
    default = view.default(name)
    if raw is None or raw == default:
        return None
    try:
        value = view.expand(raw).strip()
        if default is not None and view.expand(default).strip() == value:
            return None
    except ExpansionError:
        return raw
    return value


def _supported(name: str, value: str) -> bool:
    if name in CHECKED_ELSEWHERE:
        return True
    if name in IMPLEMENTED:
        values = IMPLEMENTED[name]
        return values is None or value.lower() in values
    fixed = FIXED.get(name)
    return fixed is not None and value.lower() in fixed


def _guard_reason(view: Config, name: str, value: str) -> str:
    guard = GUARDS.get(name)
    if guard is None or value.lower() in guard.safe:
        return ""
    if guard.unless_milter_action:
        try:
            action = view.get("milter_default_action").strip().lower()
        except ExpansionError:
            return guard.reason
        if action in guard.unless_milter_action:
            return ""
        return f"{guard.reason} (milter_default_action = {action})"
    return guard.reason


def _set_names(view: Config) -> list[str]:
    names = list(view.main.params) if view.main is not None else []
    names += list(view.overrides)
    if view.scope is not None:
        names += list(view.scope.options)
    return list(dict.fromkeys(names))


def _transport_suffix(view: Config, name: str) -> str | None:
    """"SUFFIX" for a per-transport parameter "SERVICE_SUFFIX", else None."""
    if name not in view.service_params():
        return None
    for entry in view.master:
        if name.startswith(entry.name + "_"):
            return name[len(entry.name) + 1:]
    return None


def _daemon_problems(view: Config, label: str, daemon: str) -> Iterator[Problem]:
    reads = READERS.get(daemon, frozenset())
    for name in _set_names(view):
        suffix = _transport_suffix(view, name)
        if suffix is not None:
            if f"transport_{suffix}" not in reads or suffix in TRANSPORT_SUFFIXES:
                continue
        elif name not in reads:
            continue
        value = _value(view, name)
        if value is None or (suffix is None and _supported(name, value)):
            continue
        yield Problem(label, name, value, _guard_reason(view, name, value))


def _label(view: Config) -> str:
    entry = view.scope
    return f"{entry.name}/{entry.type}" if entry is not None else ""


def _library_view(view: Config, selector: str) -> Config:
    """The view of the master.cf service that selector names (type unix);
    main.cf alone when master.cf has no such service."""
    try:
        return view.for_service(view.get(selector) or "", "unix")
    except (KeyError, ExpansionError):
        return dataclasses.replace(view, scope=None, _computed={})


def service_problems(view: Config) -> list[Problem]:
    """What the service whose view this is does not support, its own
    parameters first, then those of the daemons it runs inside."""
    entry = view.scope
    command = entry.process_name if entry is not None else ""
    problems = list(_daemon_problems(view, _label(view) or command, command))
    for daemon, selector in EMBEDDED.get(command, ()):
        library = _library_view(view, selector)
        problems += _daemon_problems(library, _label(library) or daemon, daemon)
    return list(dict.fromkeys(problems))


def master_problems(config: Config) -> list[Problem]:
    """What the master itself (main.cf alone) does not support."""
    return list(_daemon_problems(config, "master", "master"))


def check_service(view: Config, warn: Callable[[str], None],
                  fatal: Callable[[str], None]) -> bool:
    """Log the service's problems; False (after a fatal line) when it must not run."""
    problems = service_problems(view)
    for problem in problems:
        if not problem.fatal:
            warn(str(problem))
    for problem in problems:
        if problem.fatal:
            fatal(str(problem))
            return False
    return True
