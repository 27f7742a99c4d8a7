#!/bin/bash
# Record the DSN notices that real Postfix's bounce(8) writes, for tests/bounce/.
#
# Usage (as root, with Debian's postfix 3.7 installed):
#     tests/golden/bounce/record.sh
#
# Also recorded: "postconf -b" (the expanded default templates) into
# postconf-b.txt and "postconf -t" (the unexpanded templates) into
# postconf-t.txt, with myhostname = mail.example.com.
#
# The script builds a throw-away Postfix instance under /var/tmp, starts its
# master(8) in the foreground, and submits messages over SMTP with smtplib:
#
#   failure   sender@client.example -> nosuch@bounce.example (error:
#             transport, "5.1.1 User unknown"): sender non-delivery notice
#             and postmaster copy (notify_classes includes bounce)
#   dsn       ENVID=env-42 RET=HDRS; NOTIFY=FAILURE ORCPT for one
#             bounced recipient, NOTIFY=NEVER for another, NOTIFY=SUCCESS
#             for a delivered one: failure notice, success notice
#   big       a 60000-byte message bounced: bounce_size_limit truncation
#   null      MAIL FROM:<> bounced: 2bounce notice to postmaster
#   delay     a deferred recipient (smtp to a closed port), delay_warning_time
#             = 1s: the delay warning
#   expire    a deferred recipient, maximal_queue_lifetime = 4s: the
#             "expired" failure notice
#
# Every notice is delivered by a pipe(8) transport ("capture") that saves
# the message as it is in the queue (no From_ line, no added headers)
# into NAME/QUEUEID.eml; NAME/maillog holds the instance's log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
export TZ=UTC

base=$(mktemp -d /var/tmp/pyfix-bounce-record.XXXXXX)
chmod 755 "$base"
etc=$base/etc spool=$base/spool data=$base/data out=$base/out
mkdir -p "$etc" "$spool" "$data" "$out"
chmod 777 "$out"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$base/capture.sh" <<'EOF'
#!/bin/sh
cat > "$1"
EOF
chmod 755 "$base/capture.sh"

cat > "$etc/main.cf" <<EOF
compatibility_level = 3.7
queue_directory = $spool
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
smtpd_reject_unlisted_recipient = no
smtpd_relay_restrictions = permit_mynetworks, reject
default_transport = capture
transport_maps = inline:{ { bounce.example = error:5.1.1 User unknown }, { defer.example = smtp:[127.0.0.1]:9 } }
notify_classes = bounce, 2bounce, delay, resource, software
delay_warning_time = 1s
maximal_queue_lifetime = 5s
bounce_queue_lifetime = 5s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
capture_destination_recipient_limit = 1
maillog_file = $base/maillog
maillog_file_prefixes = /var
EOF
cat > "$etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
smtp      unix  -       -       n       -       -       smtp
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
capture   unix  -       n       n       -       -       pipe
  user=nobody argv=$base/capture.sh $out/\${queue_id}.eml
EOF
for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    install -d -o postfix -g root -m 700 "$spool/$q"
done
install -d -o postfix -g postdrop -m 1730 "$spool/maildrop"
install -d -o postfix -g postdrop -m 2710 "$spool/public"
install -d -o root -g root -m 755 "$spool/pid"
chown postfix "$data"
install -o postfix -g root -m 600 /dev/null "$base/maillog"

/usr/sbin/postconf -c "$etc" -b > "$here/postconf-b.txt" 2>/dev/null
/usr/sbin/postconf -c "$etc" -t > "$here/postconf-t.txt"

setsid /usr/lib/postfix/sbin/master -c "$etc" -d &
master_pid=$!
trap 'kill $master_pid 2>/dev/null || true' EXIT

python3 - "$port" <<'EOF'
import smtplib, socket, sys, time
port = int(sys.argv[1])
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        break
    except OSError:
        time.sleep(0.1)

def send(sender, rcpts, body, mail_opts=(), rcpt_opts=None):
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo("client.example")
        code, text = smtp.mail(sender, list(mail_opts))
        assert code == 250, (code, text)
        for rcpt in rcpts:
            code, text = smtp.rcpt(rcpt, list((rcpt_opts or {}).get(rcpt, ())))
            assert code == 250, (code, text)
        code, text = smtp.data(body)
        assert code == 250, (code, text)

def message(subject, sender, to, body="Hello.\n"):
    return (f"From: {sender}\nTo: {to}\nSubject: {subject}\n"
            f"Message-ID: <{subject}@client.example>\n\n{body}")

send("sender@client.example", ["nosuch@bounce.example"],
     message("failure", "sender@client.example", "nosuch@bounce.example"))
send("dsn@client.example",
     ["first@bounce.example", "never@bounce.example", "ok@sink.example"],
     message("dsn", "dsn@client.example", "first@bounce.example"),
     ["RET=HDRS", "ENVID=env-42"],
     {"first@bounce.example": ["NOTIFY=FAILURE", "ORCPT=rfc822;orig-first@bounce.example"],
      "never@bounce.example": ["NOTIFY=NEVER"],
      "ok@sink.example": ["NOTIFY=SUCCESS"]})
send("big@client.example", ["nosuch@bounce.example"],
     message("big", "big@client.example", "nosuch@bounce.example",
             ("x" * 99 + "\n") * 600))
send("", ["nosuch@bounce.example"],
     message("null", "MAILER-DAEMON", "nosuch@bounce.example"))
send("late@client.example", ["later@defer.example"],
     message("delay", "late@client.example", "later@defer.example"))
EOF
# Wait for the delay warning and the expiry bounce (maximal_queue_lifetime).
for _ in $(seq 60); do
    grep -q "status=expired" "$base/maillog" && grep -q "sender non-delivery notification" "$base/maillog" \
        && [ "$(grep -c 'sender non-delivery notification' "$base/maillog")" -ge 4 ] && break
    sleep 1
done
sleep 3
kill "$master_pid"
wait "$master_pid" || true
trap - EXIT

dest=$here/notices
rm -rf "$dest"
mkdir -p "$dest"
cp "$out"/*.eml "$dest"/
install -m 644 "$base/maillog" "$here/maillog"
cp "$etc/main.cf" "$here/main.cf"
cp "$etc/master.cf" "$here/master.cf"
rm -rf "$base"
echo "recorded into $here"
