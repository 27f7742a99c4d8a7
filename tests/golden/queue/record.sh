#!/bin/bash
# Record queue files written by real Postfix, for tests/queue/.
#
# Usage (as root, with Debian's postfix 3.7 installed):
#     tests/golden/queue/record.sh
#
# For each variant below this script builds a throw-away Postfix
# instance (config, queue and data directories under /var/tmp), starts
# its master(8) directly in the foreground (running master as root with
# -c needs no alternate_config_directories entry, unlike "postfix -c DIR
# start"), and submits a message over SMTP with Python's smtplib.  The
# instance has "smtpd_end_of_data_restrictions = check_client_access
# static:HOLD", so cleanup(8) writes the queue file straight into the
# hold queue, where it stays untouched.  After master stops, the script
# saves:
#
#     VARIANT/queue-file      the queue file, byte for byte
#     VARIANT/queue-id        its queue ID
#     VARIANT/hold.path       its path relative to queue_directory
#     VARIANT/deferred.path   its path after "postsuper -H" moved it
#     VARIANT/mode            its file mode (octal) in the hold queue
#     VARIANT/inode           its inode number (encoded in the queue ID)
#     VARIANT/maillog         the instance's log
#     VARIANT/postcat*.txt    postcat output (TZ=UTC) with the flags named
#     VARIANT/main.cf         the instance's main.cf
#
# Variants: short-depth1 (enable_long_queue_ids = no, hash_queue_depth
# = 1) with message1.eml, a rich message: DSN ENVID/RET/NOTIFY/ORCPT,
# two recipients, a header longer than line_length_limit, a folded
# header, dot-stuffed lines and a 5000-byte body line; and long-depth2
# (enable_long_queue_ids = yes, hash_queue_depth = 2) with message2.eml.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
export TZ=UTC

record() {
    local variant=$1 long_ids=$2 depth=$3 message=$4 sender=$5
    shift 5
    local base
    base=$(mktemp -d /var/tmp/pyfix-queue-record.XXXXXX)
    chmod 755 "$base"
    local etc=$base/etc spool=$base/spool data=$base/data
    mkdir -p "$etc" "$spool" "$data"
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

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
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_end_of_data_restrictions = check_client_access static:HOLD
enable_long_queue_ids = $long_ids
hash_queue_depth = $depth
hash_queue_names = deferred, defer, hold
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
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
    # Postfix's own layout and ownership (postfix-files), without chroot.
    for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        install -d -o postfix -g root -m 700 "$spool/$q"
    done
    install -d -o postfix -g postdrop -m 1730 "$spool/maildrop"
    install -d -o postfix -g postdrop -m 2710 "$spool/public"
    install -d -o root -g root -m 755 "$spool/pid"
    chown postfix "$data"
    install -o postfix -g root -m 600 /dev/null "$base/maillog"

    setsid /usr/lib/postfix/sbin/master -c "$etc" -d &
    local master_pid=$!
    python3 - "$port" "$here/$message" "$sender" "$@" <<'EOF'
import smtplib, socket, sys, time
port, path, sender, *rcpts = sys.argv[1:]
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(port)), 1).close()
        break
    except OSError:
        time.sleep(0.1)
mail_options = ["RET=HDRS", "ENVID=env-id-42"] if len(rcpts) > 1 else []
with smtplib.SMTP("127.0.0.1", int(port)) as smtp:
    smtp.ehlo("client.example.org")
    smtp.mail(sender, mail_options)
    for i, rcpt in enumerate(rcpts):
        opts = ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;" + rcpt] if i == 0 and len(rcpts) > 1 else []
        code, text = smtp.rcpt(rcpt, opts)
        assert code == 250, (code, text)
    code, text = smtp.data(open(path).read())  # str: smtplib sends CRLF
    assert code == 250, (code, text)
    print(text.decode())
EOF
    # Wait until cleanup has finished the file (mode 0700), then stop.
    local file=""
    for _ in $(seq 100); do
        file=$(cd "$spool" && find hold -type f -perm -0100 | head -1)
        [ -n "$file" ] && break
        sleep 0.1
    done
    [ -n "$file" ] || { echo "record.sh: no queue file in hold" >&2; kill "$master_pid"; exit 1; }
    kill "$master_pid"
    wait "$master_pid" || true

    local out=$here/$variant id
    id=$(basename "$file")
    rm -rf "$out"
    mkdir -p "$out"
    cp "$etc/main.cf" "$out/main.cf"
    install -m 644 "$spool/$file" "$out/queue-file"
    echo "$id" > "$out/queue-id"
    echo "$file" > "$out/hold.path"
    stat -c %a "$spool/$file" > "$out/mode"
    stat -c %i "$spool/$file" > "$out/inode"
    /usr/sbin/postcat -c "$etc" -q "$id" > "$out/postcat.txt"
    /usr/sbin/postcat -c "$etc" -bh -q "$id" > "$out/postcat-bh.txt"
    /usr/sbin/postcat -c "$etc" -e -q "$id" > "$out/postcat-e.txt"
    /usr/sbin/postcat -c "$etc" -v -o -q "$id" > "$out/postcat-vo.txt" 2>/dev/null
    /usr/sbin/postsuper -c "$etc" -H "$id" 2>/dev/null
    (cd "$spool" && find deferred -type f -name "$id") > "$out/deferred.path"
    install -m 644 "$base/maillog" "$out/maillog"
    rm -rf "$base"
}

record short-depth1 no 1 message1.eml sender@example.org alice@example.com bob@example.net
record long-depth2 yes 2 message2.eml sender2@example.org carol@example.com
echo "recorded into $here"
