"""NAME
    pyfix.delivery.local.settings - local(8) configuration

SUMMARY
    LocalSettings, name_mask()

DESCRIPTION
    LocalSettings.from_config() reads every parameter that local(8)
    uses once, when the service starts (before it drops privileges),
    and opens its tables.

    Parameters read: alias_maps, allow_mail_to_commands,
    allow_mail_to_files, command_execution_directory,
    command_expansion_filter, command_time_limit, default_privs,
    deliver_lock_attempts, deliver_lock_delay, duplicate_filter_limit,
    enable_original_recipient, execution_directory_expansion_filter,
    expand_owner_alias, export_environment, fallback_transport,
    fallback_transport_maps, forward_expansion_filter, forward_path,
    frozen_delivered_to, home_mailbox, line_length_limit,
    local_command_shell, luser_relay, mail_name, mail_owner,
    mail_spool_directory, mailbox_command, mailbox_command_maps,
    mailbox_delivery_lock, mailbox_size_limit, mailbox_transport,
    mailbox_transport_maps, message_size_limit, myhostname,
    owner_request_special, prepend_delivered_header,
    propagate_unmatched_extensions, queue_directory,
    recipient_delimiter, require_home_directory, reset_owner_alias,
    stale_lock_time, strict_mailbox_ownership.

DIAGNOSTICS
    ValueError with Postfix's text for a bad value (the service then
    stops with a fatal error): unknown names in the mask parameters,
    an unknown default_privs user, "configuration error:
    mailbox_size_limit is smaller than message_size_limit".
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from pyfix.config.store import Config
from pyfix.delivery.local.state import EXPAND_ALIAS, EXPAND_FORWARD, EXPAND_INCLUDE
from pyfix.delivery.mailbox.lock import LockPolicy
from pyfix.tables.maps import Maps

HDR_COMMAND: Final = 1 << 0
HDR_FILE: Final = 1 << 1
HDR_FORWARD: Final = 1 << 2

EXT_PROP_CANONICAL: Final = 1 << 0
EXT_PROP_VIRTUAL: Final = 1 << 1
EXT_PROP_ALIAS: Final = 1 << 2
EXT_PROP_FORWARD: Final = 1 << 3
EXT_PROP_INCLUDE: Final = 1 << 4
EXT_PROP_GENERIC: Final = 1 << 5

EXPAND_NAMES: Final = {"alias": EXPAND_ALIAS, "forward": EXPAND_FORWARD,
                       "include": EXPAND_INCLUDE}
HDR_NAMES: Final = {"command": HDR_COMMAND, "file": HDR_FILE, "forward": HDR_FORWARD}
EXT_PROP_NAMES: Final = {"canonical": EXT_PROP_CANONICAL, "virtual": EXT_PROP_VIRTUAL,
                         "alias": EXT_PROP_ALIAS, "forward": EXT_PROP_FORWARD,
                         "include": EXT_PROP_INCLUDE, "generic": EXT_PROP_GENERIC}


def name_mask(parameter: str, text: str, names: dict[str, int]) -> int:
    mask = 0
    for word in text.replace(",", " ").split():
        bit = names.get(word.lower())
        if bit is None:
            raise ValueError(f'invalid {parameter} value "{word}"')
        mask |= bit
    return mask


def check_size_limits(name: str, limit: int, message_limit: int) -> None:
    """A mailbox limit below message_size_limit would make deliveries loop."""
    if limit <= 0:
        return
    if message_limit <= 0:
        raise ValueError(f"configuration error: {name} is limited but message_size_limit "
                         "is unlimited")
    if limit < message_limit:
        raise ValueError(f"configuration error: {name} is smaller than message_size_limit")


def _maps(config: Config, name: str, warn: Callable[[str], None] | None) -> Maps | None:
    value = config.get(name)
    if not value.strip():
        return None
    return Maps(name, value, warn=warn) if warn is not None else Maps(name, value)


@dataclass
class LocalSettings:
    alias_maps: Maps | None
    mailbox_command_maps: Maps | None
    mailbox_transport_maps: Maps | None
    fallback_transport_maps: Maps | None
    recipient_delimiter: str
    owner_request_special: bool
    expand_owner_alias: bool
    reset_owner_alias: bool
    frozen_delivered_to: bool
    deliver_hdr_mask: int
    cmd_deliver_mask: int
    file_deliver_mask: int
    ext_prop_mask: int
    forward_path: str
    forward_filter: str
    command_filter: str
    exec_directory: str
    exec_directory_filter: str
    command_time_limit: int
    export_environment: tuple[str, ...]
    local_command_shell: str
    default_uid: int
    default_gid: int
    mail_spool_directory: str
    home_mailbox: str
    mailbox_command: str
    mailbox_transport: str
    fallback_transport: str
    luser_relay: str
    mailbox_size_limit: int
    lock_policy: LockPolicy
    strict_mailbox_ownership: bool
    require_home_directory: bool
    enable_original_recipient: bool
    duplicate_filter_limit: int
    myhostname: str
    mail_name: str
    queue_directory: str
    owner_ids: tuple[int, int] | None  # mail_owner, when running as root

    @classmethod
    def from_config(cls, config: Config,
                    warn: Callable[[str], None] | None = None) -> LocalSettings:
        mailbox_limit = config.get_long("mailbox_size_limit")
        message_limit = config.get_long("message_size_limit")
        check_size_limits("mailbox_size_limit", mailbox_limit, message_limit)
        privs = config.get("default_privs")
        try:
            default_pw = pwd.getpwnam(privs)
        except KeyError:
            raise ValueError(f"unknown default_privs user: {privs}") from None
        if default_pw.pw_uid == 0:
            raise ValueError("default_privs must not be root")
        owner_ids = None
        if os.geteuid() == 0:
            owner = config.get("mail_owner")
            try:
                owner_pw = pwd.getpwnam(owner)
            except KeyError:
                raise ValueError(f"unknown mail_owner: {owner}") from None
            owner_ids = (owner_pw.pw_uid, owner_pw.pw_gid)
        return cls(
            alias_maps=_maps(config, "alias_maps", warn),
            mailbox_command_maps=_maps(config, "mailbox_command_maps", warn),
            mailbox_transport_maps=_maps(config, "mailbox_transport_maps", warn),
            fallback_transport_maps=_maps(config, "fallback_transport_maps", warn),
            recipient_delimiter=config.get("recipient_delimiter"),
            owner_request_special=config.get_bool("owner_request_special"),
            expand_owner_alias=config.get_bool("expand_owner_alias"),
            reset_owner_alias=config.get_bool("reset_owner_alias"),
            frozen_delivered_to=config.get_bool("frozen_delivered_to"),
            deliver_hdr_mask=name_mask("prepend_delivered_header",
                                       config.get("prepend_delivered_header"), HDR_NAMES),
            cmd_deliver_mask=name_mask("allow_mail_to_commands",
                                       config.get("allow_mail_to_commands"), EXPAND_NAMES),
            file_deliver_mask=name_mask("allow_mail_to_files",
                                        config.get("allow_mail_to_files"), EXPAND_NAMES),
            ext_prop_mask=name_mask("propagate_unmatched_extensions",
                                    config.get("propagate_unmatched_extensions"),
                                    EXT_PROP_NAMES),
            forward_path=config.get("forward_path"),
            forward_filter=config.get("forward_expansion_filter"),
            command_filter=config.get("command_expansion_filter"),
            exec_directory=config.get("command_execution_directory"),
            exec_directory_filter=config.get("execution_directory_expansion_filter"),
            command_time_limit=config.get_time("command_time_limit"),
            export_environment=tuple(config.get("export_environment").replace(",", " ")
                                     .split()),
            local_command_shell=config.get("local_command_shell"),
            default_uid=default_pw.pw_uid,
            default_gid=default_pw.pw_gid,
            mail_spool_directory=config.get("mail_spool_directory"),
            home_mailbox=config.get("home_mailbox"),
            mailbox_command=config.get("mailbox_command"),
            mailbox_transport=config.get("mailbox_transport"),
            fallback_transport=config.get("fallback_transport"),
            luser_relay=config.get("luser_relay"),
            mailbox_size_limit=mailbox_limit,
            lock_policy=LockPolicy.from_config(config, "mailbox_delivery_lock"),
            strict_mailbox_ownership=config.get_bool("strict_mailbox_ownership"),
            require_home_directory=config.get_bool("require_home_directory"),
            enable_original_recipient=config.get_bool("enable_original_recipient"),
            duplicate_filter_limit=config.get_int("duplicate_filter_limit"),
            myhostname=config.get("myhostname"),
            mail_name=config.get("mail_name"),
            queue_directory=config.get("queue_directory"),
            owner_ids=owner_ids,
        )
