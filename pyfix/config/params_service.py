"""NAME
    pyfix.config.params_service - parameters that master.cf services add (generated)

DESCRIPTION
    GENERATED DATA - DO NOT EDIT.  Regenerate with
    tools/gen_params_data.py (see its header).

    SERVICE_PARAM_TEMPLATES, SERVICE_PARAM_COMMANDS and
    SERVICE_PARAM_TEMPLATES_BY_COMMAND: the per-service parameters
    ("%s_destination_concurrency_limit" and so on) that postconf
    adds for a master.cf service running a delivery agent.

    Source: Postfix 3.7.11 (Debian), postconf -c DIR -d, and
    tools/param_types.tsv.

    Parameters read: none.
"""

# ruff: noqa: E501

from __future__ import annotations

# One entry per line, as generated; keep ruff format away from it.
# fmt: off

# Templates postconf adds for each master.cf service whose command (column 8) is a delivery agent.
# "%s" is replaced by the service name.
#
# Found empirically by running postconf -d on a master.cf with a single service
# "pyfixprobe unix - - n - - COMMAND" for every program in $daemon_directory
# and every command in the stock master.cf.  Commands that add names:
#   error: 16 names
#   lmtp: 16 names
#   local: 16 names
#   pipe: 17 names
#   smtp: 16 names
#   spawn: 1 names
#   virtual: 16 names
# Only column 8 counts, compared by exact string: a full pathname such as
# /usr/lib/postfix/sbin/smtp adds nothing, nor do discard, smtpd, qmgr, etc.
# The service name (column 1) and type (column 2) do not matter.
# A derived name that is already a built-in parameter is NOT added and keeps
# its built-in default; with the stock master.cf this happens for
#   local_destination_concurrency_limit = 2
#   local_destination_recipient_limit = 1
# (and e.g. a smtp service named "default" adds only
# default_initial_destination_concurrency).  postconf -d never prints
# user-defined names from main.cf or master.cf -o options.
#
# SERVICE_PARAM_TEMPLATES/SERVICE_PARAM_COMMANDS hold the set common to the
# delivery agents; SERVICE_PARAM_TEMPLATES_BY_COMMAND is the complete list per
# command (pipe also adds "%s_time_limit"; spawn adds only "%s_time_limit").
# The kind is that of the parameter named in the default.
SERVICE_PARAM_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
    ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
    ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
    ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
    ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
    ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
    ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
    ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
    ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
    ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
    ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
    ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
    ("%s_recipient_limit", "$default_recipient_limit", "int"),
    ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
    ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
    ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
)
SERVICE_PARAM_COMMANDS: frozenset[str] = frozenset({
    "error",
    "lmtp",
    "local",
    "pipe",
    "smtp",
    "virtual",
})

SERVICE_PARAM_TEMPLATES_BY_COMMAND: dict[str, tuple[tuple[str, str, str], ...]] = {
    "error": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
    "lmtp": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
    "local": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
    "pipe": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_time_limit", "$command_time_limit", "time"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
    "smtp": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
    "spawn": (
        ("%s_time_limit", "$command_time_limit", "time"),
    ),
    "virtual": (
        ("%s_delivery_slot_cost", "$default_delivery_slot_cost", "int"),
        ("%s_delivery_slot_discount", "$default_delivery_slot_discount", "int"),
        ("%s_delivery_slot_loan", "$default_delivery_slot_loan", "int"),
        ("%s_destination_concurrency_failed_cohort_limit", "$default_destination_concurrency_failed_cohort_limit", "int"),
        ("%s_destination_concurrency_limit", "$default_destination_concurrency_limit", "int"),
        ("%s_destination_concurrency_negative_feedback", "$default_destination_concurrency_negative_feedback", "str"),
        ("%s_destination_concurrency_positive_feedback", "$default_destination_concurrency_positive_feedback", "str"),
        ("%s_destination_rate_delay", "$default_destination_rate_delay", "time"),
        ("%s_destination_recipient_limit", "$default_destination_recipient_limit", "int"),
        ("%s_extra_recipient_limit", "$default_extra_recipient_limit", "int"),
        ("%s_initial_destination_concurrency", "$initial_destination_concurrency", "int"),
        ("%s_minimum_delivery_slots", "$default_minimum_delivery_slots", "int"),
        ("%s_recipient_limit", "$default_recipient_limit", "int"),
        ("%s_recipient_refill_delay", "$default_recipient_refill_delay", "time"),
        ("%s_recipient_refill_limit", "$default_recipient_refill_limit", "int"),
        ("%s_transport_rate_delay", "$default_transport_rate_delay", "time"),
    ),
}
