"""The DNS zone of the name restriction tests (tests/dnsserver.py syntax).

Clients (reverse zone 127.0.0.x):
  .7  host7.example.com, which resolves back: a verified name
  .8  PTR host8.example.com, which has no address (forward: not found)
  .9  no PTR record
  .10 PTR lookup SERVFAIL (temporary)
  .11 PTR host11.example.com, whose forward lookup is SERVFAIL
  .12 PTR host12.example.com, which resolves to another address
  .13 PTR lookup never answered (time-out)
  .14 PTR example.net (no address: unverified)
  .68 aonly.example, .69 sub.example.net (verified)

Domains: good.example.com (A), mxonly.example.com (MX only), aaaa.example.com
(AAAA only), txtonly.example.com (no address, no MX), servfail.example and
timeout.example (temporary failures), nullmx.example (RFC 7505), example.net
(MX mx.bad.example, NS ns1.bad.example), sub.example.net (A only: its NS are
example.net's), goodmx.example (MX and NS good.example.com), aonly.example (A
only), servfailmx.example, mxservfail.example (its MX host fails), nodata-mx.example
(its MX host has no address record).

permit_mx_backup (this host is mail.local.example, 127.0.0.1): backup.example
(primary.example 127.0.0.70, then this host), primlocal.example (this host
first), onlylocal.example, equal.example (this host ties with the primary),
backupfar.example (primary far.example 127.0.0.5), backupsf.example (primary
servfail.example), mxsf.example (MX lookup SERVFAIL), nomx.example (no MX).
"""

ZONE = """
7.0.0.127.in-addr.arpa.  300 PTR host7.example.com.
host7.example.com.       300 A   127.0.0.7
8.0.0.127.in-addr.arpa.  300 PTR host8.example.com.
10.0.0.127.in-addr.arpa. SERVFAIL
11.0.0.127.in-addr.arpa. 300 PTR host11.example.com.
host11.example.com.      SERVFAIL
12.0.0.127.in-addr.arpa. 300 PTR host12.example.com.
host12.example.com.      300 A 127.0.0.99
13.0.0.127.in-addr.arpa. TIMEOUT
14.0.0.127.in-addr.arpa. 300 PTR example.net.
68.0.0.127.in-addr.arpa. 300 PTR aonly.example.
69.0.0.127.in-addr.arpa. 300 PTR sub.example.net.
good.example.com.        300 A 127.0.0.50
mxonly.example.com.      300 MX 10 good.example.com.
aaaa.example.com.        300 AAAA ::1
txtonly.example.com.     300 TXT "x"
servfail.example.        SERVFAIL
timeout.example.         TIMEOUT
nullmx.example.          300 MX 0 .
example.net.             300 MX 10 mx.bad.example.
example.net.             300 NS ns1.bad.example.
mx.bad.example.          300 A 127.0.0.66
ns1.bad.example.         300 A 127.0.0.67
sub.example.net.         300 A 127.0.0.69
goodmx.example.          300 MX 10 good.example.com.
goodmx.example.          300 NS good.example.com.
aonly.example.           300 A 127.0.0.68
servfailmx.example.      SERVFAIL
mxservfail.example.      300 MX 10 servfail.example.
nodata-mx.example.       300 MX 10 txtonly.example.com.
backup.example.          300 MX 10 primary.example.
backup.example.          300 MX 20 mail.local.example.
primary.example.         300 A 127.0.0.70
mail.local.example.      300 A 127.0.0.1
primlocal.example.       300 MX 10 mail.local.example.
primlocal.example.       300 MX 20 primary.example.
backupfar.example.       300 MX 10 far.example.
backupfar.example.       300 MX 20 mail.local.example.
far.example.             300 A 127.0.0.5
mxsf.example.            SERVFAIL
nomx.example.            300 A 127.0.0.1
onlylocal.example.       300 MX 10 mail.local.example.
equal.example.           300 MX 10 mail.local.example.
equal.example.           300 MX 10 primary.example.
backupsf.example.        300 MX 10 servfail.example.
backupsf.example.        300 MX 20 mail.local.example.
"""
