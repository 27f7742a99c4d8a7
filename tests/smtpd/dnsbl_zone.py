"""The DNS of the DNS list tests (tests/smtpd/test_dnsbl.py offline,
tests/smtpd/test_dnsbl_live.py against real Postfix): a tests/dnsserver.py
zone, and the rbl_reply_maps templates both use."""

# 127.0.0.7: named host7.example.com, listed in bl.test (with a reason),
#            wl.test and, by name, rhs.test and wl.test
# 127.0.0.8: no name, listed in bl.test twice (127.0.0.4 and .10)
# 127.0.0.9: bl.test and wl.test answer SERVFAIL
# 127.0.0.10: bl.test does not answer
# 127.0.0.11: no name, listed nowhere
# 127.0.0.12: a PTR name that does not resolve back, listed in rhs.test
# 127.0.0.13: named host13.example.com, listed nowhere
# twotxt.example has two TXT records, whose order the server does not fix
# (the offline tests only)
ZONE = """
7.0.0.127.in-addr.arpa.      300 PTR host7.example.com.
host7.example.com.           300 A   127.0.0.7
12.0.0.127.in-addr.arpa.     300 PTR host12.example.com.
13.0.0.127.in-addr.arpa.     300 PTR host13.example.com.
host13.example.com.          300 A   127.0.0.13
7.0.0.127.bl.test.           300 A   127.0.0.2
7.0.0.127.bl.test.           300 TXT "listed: see http://bl.test/q?127.0.0.7"
8.0.0.127.bl.test.           300 A   127.0.0.4
8.0.0.127.bl.test.           300 A   127.0.0.10
9.0.0.127.bl.test.           SERVFAIL
10.0.0.127.bl.test.          TIMEOUT
7.0.0.127.wl.test.           300 A   127.0.0.5
9.0.0.127.wl.test.           SERVFAIL
host7.example.com.rhs.test.  300 A   127.0.0.2
host12.example.com.rhs.test. 300 A   127.0.0.2
bad.helo.example.rhs.test.   300 A   127.0.0.2
1.2.3.4.rhs.test.            300 A   127.0.0.2
spammer.example.rhs.test.    300 A   127.0.0.2
spammer.example.rhs.test.    300 TXT "sender domain listed"
multi.example.rhs.test.      300 A   127.0.0.2
multi.example.rhs.test.      300 TXT "first" "second"
badrcpt.example.rhs.test.    300 A   127.0.0.3
noname.rhs.test.             300 A   127.0.0.2
host7.example.com.wl.test.   300 A   127.0.0.2
host8.example.com.rhs.test.  300 A   127.0.0.2
twotxt.example.rhs.test.     300 A   127.0.0.2
twotxt.example.rhs.test.     300 TXT "first" "second"
twotxt.example.rhs.test.     300 TXT "other"
host13.example.com.wl.test.  SERVFAIL
7.0.0.127.relays.ordb.org.   300 A   127.0.0.2
"""

TEMPLATES = {
    "bl.test": "$rbl_code 5.1.1 Go away [$rbl_what] via $rbl_domain reason=$rbl_reason "
               "client=$client addr=$client_address name=$client_name "
               "rev=$reverse_client_name helo=$helo_name "
               "sender=$sender/$sender_name/$sender_domain "
               "rcpt=$recipient/$recipient_name/$recipient_domain class=$rbl_class "
               "${rbl_reason?{R}:{N}} $$ x",
    "bl.test=127.0.0.4": "$rbl_code 4.1.1 filtered key ${rbl_reason:{no reason}}",
    "rhs.test": "$rbl_code 4.1.1 rhs $rbl_class [$rbl_what] txt=$rbl_reason",
    "rhs.test=127.0.0.3": "$rbl_code 4.1.7 rhs $rbl_class [$rbl_what]",
    "wl.test": "Not a code",
    "bad.test": "$rbl_code go away $unknown_macro",
}
