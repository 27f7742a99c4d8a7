#!/bin/bash
# Record what real Postfix 3.7.11 does for "sendmail -bv": the delivery
# agents' log lines and the "Mail Delivery Status Report" it mails to the
# sender, for tests/verify/test_sendmail_bv_live.py.
#
# Usage (as root, with Debian's postfix 3.7 installed; nothing else may
# listen on 127.0.0.1:26100-26103):
#     tests/golden/verify/record.sh
#
# It starts a throw-away Postfix (master -c DIR -d) with pickup, qmgr,
# smtp, local and bounce, two smtp-sink servers (26101 accepts, 26102
# refuses RCPT TO with -f RCPT) and nothing on 26103, then runs
#     sendmail -C DIR -f root@mail.example.test -bv u@accept.test \
#         u@reject.test u@down.test root@mail.example.test
# and saves:
#     bv-stdout      what sendmail printed
#     bv-log         the delivery agents' and bounce's log lines (pids cut)
#     bv-report      the report delivered to root's mailbox (mail_spool_directory)
# Then, for "sendmail -v" (the same delivery report, after real deliveries):
#     printf 'Subject: v test\n\nhello\n' | sendmail -C DIR -f root@mail.example.test -v \
#         root@mail.example.test u@accept.test
#     v-stdout       what sendmail printed
#     v-mailbox      root's mailbox: the message itself, then the report
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
export TZ=UTC
B=$(mktemp -d /var/tmp/pyfix-verify-record.XXXXXX)
chmod 755 "$B"
mkdir -p "$B/conf" "$B/data" "$B/mail"
chmod 1777 "$B/mail"
for d in active bounce corrupt defer deferred flush hold incoming private saved trace pid; do
    install -d -o postfix -g root -m 700 "$B/queue/$d"
done
install -d -o postfix -g postdrop -m 1730 "$B/queue/maildrop"
install -d -o postfix -g postdrop -m 2710 "$B/queue/public"
chown postfix "$B/data"
cat > "$B/conf/main.cf" <<EOC
compatibility_level = 3.7
queue_directory = $B/queue
data_directory = $B/data
maillog_file = $B/maillog
maillog_file_prefixes = $B
myhostname = mail.example.test
mydomain = example.test
mydestination = \$myhostname, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relay_domains = accept.test reject.test down.test
transport_maps = inline:{accept.test=smtp:[127.0.0.1]:26101, reject.test=smtp:[127.0.0.1]:26102, down.test=smtp:[127.0.0.1]:26103}
smtp_connect_timeout = 2s
alias_maps =
mail_spool_directory = $B/mail
EOC
cat > "$B/conf/master.cf" <<EOC
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
smtp      unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
local     unix  - n n - - local
postlog   unix-dgram n - n - 1 postlogd
EOC
smtp-sink -u postfix 127.0.0.1:26101 10 & s1=$!
smtp-sink -u postfix -f RCPT 127.0.0.1:26102 10 & s2=$!
/usr/lib/postfix/sbin/master -c "$B/conf" -d & m=$!
sleep 2
wait_mail() {  # until root's mailbox holds $1 messages
    for _ in $(seq 30); do
        [ "$(grep -c '^From ' "$B/mail/root" 2>/dev/null)" = "$1" ] && break
        sleep 1
    done
    sleep 1
}
/usr/sbin/sendmail -C "$B/conf" -f root@mail.example.test -bv u@accept.test u@reject.test \
    u@down.test root@mail.example.test > "$here/bv-stdout"
wait_mail 1
cp "$B/mail/root" "$here/bv-report"
lines=$(wc -l < "$B/maillog")
: > "$B/mail/root"
printf 'Subject: v test\n\nhello\n' | /usr/sbin/sendmail -C "$B/conf" -f root@mail.example.test -v \
    root@mail.example.test u@accept.test > "$here/v-stdout"
wait_mail 2
cp "$B/mail/root" "$here/v-mailbox"
kill "$m" "$s1" "$s2"
wait
head -n "$lines" "$B/maillog" | sed -E 's/^\w{3} [ 0-9]{2} [0-9:]{8} \S+ //; s/\[[0-9]+\]: /: /' |
    grep -E '^postfix/(local|smtp|bounce|qmgr):' | grep -v -e scache -e 'daemon started' \
    > "$here/bv-log"
rm -rf "$B"
echo "recorded into $here"
