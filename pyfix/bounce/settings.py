"""NAME
    pyfix.bounce.settings - what the bounce library reads from main.cf

SUMMARY
    BounceSettings

DESCRIPTION
    BounceSettings holds the parameters of the bounce service's view
    (the master.cf "bounce" service with its -o overrides, or main.cf),
    read once when the library is set up, and the templates of
    $bounce_template_file (or the built-in ones).

    notify_classes is a list of error class names; an unknown name is
    a configuration error, as in Postfix's name_mask().

    Parameters read: myhostname, mail_name, smtputf8_enable,
    bounce_size_limit, maximal_queue_lifetime, delay_warning_time,
    notify_classes, bounce_notice_recipient, 2bounce_notice_recipient,
    delay_notice_recipient, double_bounce_sender, header_from_format,
    enable_threaded_bounces, bounce_template_file,
    internal_mail_filter_classes.

DIAGNOSTICS
    ValueError for a bad notify_classes or header_from_format value, or
    a bounce_template_file that cannot be read or parsed (Postfix's
    texts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from pyfix.bounce.template import TemplateError, Templates, load_templates
from pyfix.config.masks import name_mask, notify_classes
from pyfix.config.store import Config

FILTER_CLASSES: Final = frozenset(
    {"notify", "bounce", "sendmail", "smtpd", "qmqpd", "forward", "verify"})


@dataclass(frozen=True)
class BounceSettings:
    myhostname: str
    mail_name: str = "Postfix"
    smtputf8_enable: bool = True
    bounce_size_limit: int = 50000
    maximal_queue_lifetime: int = 5 * 86400
    delay_warning_time: int = 0
    notify_classes: frozenset[str] = frozenset({"resource", "software"})
    bounce_notice_recipient: str = "postmaster"
    double_bounce_notice_recipient: str = "postmaster"
    delay_notice_recipient: str = "postmaster"
    double_bounce_sender: str = "double-bounce"
    header_from_format: str = "standard"
    threaded_bounces: bool = False
    filter_notices: bool = False  # internal_mail_filter_classes has "bounce"
    templates: Templates = field(default_factory=Templates)

    @property
    def double_bounce_address(self) -> str:
        """Postfix's mail_addr_double_bounce()."""
        return f"{self.double_bounce_sender}@{self.myhostname}"

    @property
    def mail_daemon_address(self) -> str:
        return f"MAILER-DAEMON@{self.myhostname}"

    @classmethod
    def from_config(cls, config: Config, warn: Callable[[str], None]) -> BounceSettings:
        header_from_format = config.get("header_from_format").strip().lower()
        if header_from_format not in ("standard", "obsolete"):
            raise ValueError(f'invalid setting: "header_from_format = '
                             f'{config.get("header_from_format")}"')
        path = config.get("bounce_template_file").strip()
        templates = Templates()
        if path:
            try:
                templates = load_templates(path, warn)
            except OSError as exc:
                raise ValueError(f"open file {path}: {exc.strerror or exc}") from None
            except TemplateError as exc:
                raise ValueError(str(exc)) from None
        return cls(
            myhostname=config.get("myhostname"),
            mail_name=config.get("mail_name"),
            smtputf8_enable=config.get_bool("smtputf8_enable"),
            bounce_size_limit=config.get_int("bounce_size_limit"),
            maximal_queue_lifetime=config.get_time("maximal_queue_lifetime"),
            delay_warning_time=config.get_time("delay_warning_time"),
            notify_classes=notify_classes(config),
            bounce_notice_recipient=config.get("bounce_notice_recipient"),
            double_bounce_notice_recipient=config.get("2bounce_notice_recipient"),
            delay_notice_recipient=config.get("delay_notice_recipient"),
            double_bounce_sender=config.get("double_bounce_sender"),
            header_from_format=header_from_format,
            threaded_bounces=config.get_bool("enable_threaded_bounces"),
            filter_notices="bounce" in name_mask(config, "internal_mail_filter_classes",
                                              FILTER_CLASSES),
            templates=templates,
        )
