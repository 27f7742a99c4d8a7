"""NAME
    pyfix.smtpd.checks - the smtpd restriction engine

SUMMARY
    SmtpdChecks (smtpd.py), evaluate() (engine.py)

DESCRIPTION
    Restriction lists as data and one evaluator (engine.py), with one
    module per family of restrictions: generic.py (permit, reject,
    defer, permit_mynetworks, permit_sasl_authenticated), relay.py
    (reject_unauth_destination and friends, check_relay_domains),
    address.py (reject_non_fqdn_*), access.py (check_client_access),
    unlisted.py (reject_unlisted_recipient, reject_unlisted_sender),
    login.py (the *_sender_login_mismatch restrictions),
    dnsbl.py (reject_rbl_client and the other DNS list restrictions),
    policy.py (check_policy_service),
    helo.py (HELO name syntax and DNS), names.py (unknown client names
    and domains), dnsaccess.py (check_*_{mx,ns,a}_access), mxbackup.py
    (permit_mx_backup); dnslookup.py holds their DNS helpers.
    smtpd.py applies the lists at each stage of an SMTP session, with
    smtpd_delay_reject and compatibility_level as Postfix 3.7 does.
    Importing the package registers every family's names.

    Parameters read: see the modules.

DIAGNOSTICS
    See engine.py and smtpd.py.
"""

from pyfix.smtpd.checks import (  # noqa: F401  (registration)
    access,
    address,
    dnsaccess,
    dnsbl,
    generic,
    helo,
    login,
    mxbackup,
    names,
    policy,
    relay,
    unlisted,
    verify,
)
