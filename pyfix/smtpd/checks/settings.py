"""NAME
    pyfix.smtpd.checks.settings - what the restrictions read from main.cf

SUMMARY
    CheckSettings

DESCRIPTION
    The settings of one smtpd service that restriction functions need,
    read once at start-up: the relay policy (mynetworks and the address
    classes, pyfix.smtpd.relay), the reply codes, and the
    compatibility_level facts that decide Postfix's backwards-compatible
    defaults and their log messages:

    relay_domains_compat     relay_domains is $mydestination only because
                             compatibility_level < 2 and it is not set
    relay_restrictions_compat  smtpd_relay_restrictions is empty only
                             because compatibility_level < 1
    relay_before_rcpt_compat smtpd_relay_before_recipient_restrictions is
                             "no" only because compatibility_level < 3.6

    restriction_classes maps each name in smtpd_restriction_classes to
    the value of the parameter of that name (a restriction list).

    Access tables (check_client_access TYPE:NAME) are opened once per
    name and shared.  dns is the process's DNS resolver (pyfix.dns), made
    on first use, for the restrictions that look names up; rbl_reply_maps
    (dnsbl.py's reply templates) is opened on first use too.

    Parameters read: compatibility_level, relay_domains,
    smtpd_relay_restrictions, smtpd_relay_before_recipient_restrictions,
    relay_domains_reject_code, non_fqdn_reject_code,
    access_map_reject_code, access_map_defer_code, reject_code,
    defer_code, parent_domain_matches_subdomains, maps_rbl_reject_code,
    maps_rbl_domains, default_rbl_reply, rbl_reply_maps, recipient_delimiter,
    smtpd_null_access_lookup_key, smtpd_delay_reject,
    smtpd_restriction_classes (and the parameters it names).

DIAGNOSTICS
    ConfigValueError for a bad number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfix.address.matchlist import parent_style
from pyfix.config.compat import compat_default
from pyfix.config.store import Config
from pyfix.dns.resolver import Resolver
from pyfix.dns.servers import servers_from_config
from pyfix.smtpd.policy_client import PolicyClient
from pyfix.smtpd.relay import RelayPolicy
from pyfix.tables.maps import Maps


@dataclass
class CheckSettings:
    config: Config
    relay: RelayPolicy
    relay_domains_compat: bool = False
    relay_restrictions_compat: bool = False
    relay_before_rcpt_compat: bool = False
    tables: dict[str, Maps] = field(default_factory=dict)
    _dns: Resolver | None = None
    # settings that a family of restrictions reads once (verify.py: "verify")
    family: dict[str, object] = field(default_factory=dict)
    # check_policy_service clients, by argument (checks/policy.py)
    policy_clients: dict[str, PolicyClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.config
        self.relay_domains_compat = compat_default(cfg, "relay_domains", "2")
        self.relay_restrictions_compat = compat_default(cfg, "smtpd_relay_restrictions", "1")
        self.relay_before_rcpt_compat = compat_default(
            cfg, "smtpd_relay_before_recipient_restrictions", "3.6")
        self.relay_domains_reject_code = cfg.get_int("relay_domains_reject_code")
        self.non_fqdn_reject_code = cfg.get_int("non_fqdn_reject_code")
        self.access_map_reject_code = cfg.get_int("access_map_reject_code")
        self.access_map_defer_code = cfg.get_int("access_map_defer_code")
        self.reject_code = cfg.get_int("reject_code")
        self.defer_code = cfg.get_int("defer_code")
        self.access_parent_style = parent_style(
            cfg.get("parent_domain_matches_subdomains"), "smtpd_access_maps")
        self.maps_rbl_reject_code = cfg.get_int("maps_rbl_reject_code")
        self.maps_rbl_domains = cfg.get_list("maps_rbl_domains")
        self.default_rbl_reply = cfg.get("default_rbl_reply")
        self._rbl_reply_maps: Maps | None = None
        self.recipient_delimiter = cfg.get("recipient_delimiter")
        self.null_access_lookup_key = cfg.get("smtpd_null_access_lookup_key")
        self.delay_reject = cfg.get_bool("smtpd_delay_reject")
        # smtpd_restriction_classes: each name's own parameter is its list
        self.restriction_classes = {
            name: cfg.get(name) for name in cfg.get_list("smtpd_restriction_classes")}

    def table(self, spec: str) -> Maps:
        maps = self.tables.get(spec)
        if maps is None:
            maps = self.tables[spec] = Maps("smtpd_access_maps", spec)
        return maps

    @property
    def rbl_reply_maps(self) -> Maps:
        """rbl_reply_maps, opened on first use."""
        if self._rbl_reply_maps is None:
            self._rbl_reply_maps = Maps("rbl_reply_maps", self.config.get("rbl_reply_maps"))
        return self._rbl_reply_maps

    @property
    def dns(self) -> Resolver:
        if self._dns is None:
            self._dns = Resolver(servers_from_config(self.config))
        return self._dns
