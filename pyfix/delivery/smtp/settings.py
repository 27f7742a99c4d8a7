"""NAME
    pyfix.delivery.smtp.settings - the parameters of smtp(8) and lmtp(8)

SUMMARY
    SmtpSettings

DESCRIPTION
    One program serves as smtp(8) and lmtp(8), as in Postfix; the
    master.cf command name (process_name) chooses the protocol and the
    parameter prefix: "smtp_..." or "lmtp_...".  A few parameters have
    a different name for LMTP (lmtp_lhlo_name, lmtp_lhlo_timeout,
    lmtp_discard_lhlo_keywords); smtp_always_send_ehlo and
    smtp_never_send_ehlo do not apply to LMTP.

    Parameters read (with "lmtp_" for LMTP): smtp_connect_timeout,
    smtp_helo_timeout, smtp_mail_timeout, smtp_rcpt_timeout,
    smtp_data_init_timeout, smtp_data_xfer_timeout,
    smtp_data_done_timeout, smtp_rset_timeout, smtp_quit_timeout,
    smtp_helo_name, smtp_bind_address, smtp_bind_address6,
    smtp_skip_5xx_greeting, smtp_always_send_ehlo, smtp_never_send_ehlo,
    smtp_mx_address_limit, smtp_mx_session_limit, smtp_host_lookup,
    smtp_randomize_addresses, smtp_tcp_port, smtp_line_length_limit,
    smtp_discard_ehlo_keywords, smtp_connection_cache_on_demand,
    smtp_connection_cache_destinations,
    smtp_connection_cache_time_limit, smtp_connection_reuse_time_limit,
    smtp_connection_reuse_count_limit, smtp_skip_quit_response,
    smtp_fallback_relay, smtp_dns_support_level, disable_dns_lookups,
    myhostname, relayhost, inet_protocols, inet_interfaces,
    line_length_limit, soft_bounce.

DIAGNOSTICS
    ConfigValueError for a bad value.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyfix.config.lists import split_list
from pyfix.config.store import Config


@dataclass(frozen=True)
class SmtpSettings:
    lmtp: bool
    prefix: str
    timeouts: dict[str, int]
    helo_name: str
    bind_address: str
    bind_address6: str
    skip_5xx_greeting: bool
    always_ehlo: bool
    never_ehlo: bool
    mx_address_limit: int
    mx_session_limit: int
    host_lookup: frozenset[str]
    randomize: bool
    tcp_port: str
    smtp_line_limit: int
    discard_keywords: frozenset[str]
    cache_on_demand: bool
    cache_destinations: frozenset[str]
    cache_time_limit: int
    reuse_time_limit: int
    reuse_count_limit: int
    skip_quit_response: bool
    fallback_relay: list[str]
    dns_enabled: bool
    myhostname: str
    relayhost: str
    inet_protocols: frozenset[str]
    line_limit: int
    soft_bounce: bool

    @classmethod
    def from_config(cls, config: Config, lmtp: bool) -> SmtpSettings:
        p = "lmtp" if lmtp else "smtp"
        helo = "lhlo" if lmtp else "helo"
        timeouts = {
            "connect": config.get_time(f"{p}_connect_timeout"),
            "helo": config.get_time(f"{p}_{helo}_timeout"),
            "mail": config.get_time(f"{p}_mail_timeout"),
            "rcpt": config.get_time(f"{p}_rcpt_timeout"),
            "data_init": config.get_time(f"{p}_data_init_timeout"),
            "data_xfer": config.get_time(f"{p}_data_xfer_timeout"),
            "data_done": config.get_time(f"{p}_data_done_timeout"),
            "rset": config.get_time(f"{p}_rset_timeout"),
            "quit": config.get_time(f"{p}_quit_timeout"),
        }
        level = config.get(f"{p}_dns_support_level").strip().lower()
        dns_enabled = level != "disabled" if level else not config.get_bool(
            "disable_dns_lookups")
        protocols = frozenset(word.lower() for word in config.get_list("inet_protocols"))
        if "all" in protocols:
            protocols = frozenset({"ipv4", "ipv6"})
        return cls(
            lmtp=lmtp,
            prefix=p,
            timeouts=timeouts,
            helo_name=config.get(f"{p}_{helo}_name"),
            bind_address=config.get(f"{p}_bind_address"),
            bind_address6=config.get(f"{p}_bind_address6"),
            skip_5xx_greeting=config.get_bool(f"{p}_skip_5xx_greeting"),
            always_ehlo=lmtp or config.get_bool("smtp_always_send_ehlo"),
            never_ehlo=not lmtp and config.get_bool("smtp_never_send_ehlo"),
            mx_address_limit=config.get_int(f"{p}_mx_address_limit"),
            mx_session_limit=config.get_int(f"{p}_mx_session_limit"),
            host_lookup=frozenset(w.lower() for w in config.get_list(f"{p}_host_lookup")),
            randomize=config.get_bool(f"{p}_randomize_addresses"),
            tcp_port=config.get(f"{p}_tcp_port"),
            smtp_line_limit=config.get_int(f"{p}_line_length_limit"),
            discard_keywords=frozenset(
                w.upper() for w in config.get_list(
                    "lmtp_discard_lhlo_keywords" if lmtp else "smtp_discard_ehlo_keywords")),
            cache_on_demand=config.get_bool(f"{p}_connection_cache_on_demand"),
            cache_destinations=frozenset(
                w.lower() for w in config.get_list(f"{p}_connection_cache_destinations")),
            cache_time_limit=config.get_time(f"{p}_connection_cache_time_limit"),
            reuse_time_limit=config.get_time(f"{p}_connection_reuse_time_limit"),
            reuse_count_limit=config.get_int(f"{p}_connection_reuse_count_limit"),
            skip_quit_response=config.get_bool(f"{p}_skip_quit_response"),
            fallback_relay=split_list(config.get(f"{p}_fallback_relay")),
            dns_enabled=dns_enabled,
            myhostname=config.get("myhostname"),
            relayhost=config.get("relayhost"),
            inet_protocols=protocols,
            line_limit=config.get_int("line_length_limit"),
            soft_bounce=config.get_bool("soft_bounce"),
        )
