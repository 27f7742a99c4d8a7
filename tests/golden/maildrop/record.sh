#!/bin/bash
# Record maildrop files written by real Postfix's sendmail(1)/postdrop(1),
# for tests/pickup/ and tests/cli/test_sendmail*.py.
#
# Usage (as root, with Debian's postfix 3.7 installed):
#     tests/golden/maildrop/record.sh
#
# The script builds a throw-away configuration and queue directory under
# /var/tmp with no master(8) running, so the files stay in maildrop/.
# For each case it runs /usr/sbin/sendmail -C DIR with the arguments
# below and the named message on stdin, and saves:
#
#     CASE/maildrop-file   the maildrop file, byte for byte
#     CASE/queue-id        its name (the maildrop queue ID)
#     CASE/mode            its file mode (octal)
#     CASE/args            the sendmail arguments, one per line
#     CASE/stderr          what sendmail/postdrop wrote on stderr
#     CASE/status          sendmail's exit status
#
# The message_arrival_time (T) record differs on every run; tests ignore it.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root" >&2; exit 1; }
export TZ=UTC

base=$(mktemp -d /var/tmp/pyfix-maildrop-record.XXXXXX)
chmod 755 "$base"
etc=$base/etc spool=$base/spool
mkdir -p "$etc" "$spool"
cat > "$etc/main.cf" <<EOC
compatibility_level = 3.7
queue_directory = $spool
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.com
mydomain = example.com
EOC
: > "$etc/master.cf"
for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    install -d -o postfix -g root -m 700 "$spool/$q"
done
install -d -o postfix -g postdrop -m 1730 "$spool/maildrop"
install -d -o postfix -g postdrop -m 2710 "$spool/public"

record() {
    local case=$1 message=$2
    shift 2
    local out=$here/$case
    rm -rf "$out" "$spool"/maildrop/*
    mkdir -p "$out"
    printf '%s\n' "$@" > "$out/args"
    /usr/sbin/sendmail -C "$etc" "$@" < "$here/$message" 2> "$out/stderr"
    echo $? > "$out/status"
    local file
    file=$(ls "$spool/maildrop" | head -1)
    if [ -n "$file" ]; then
        install -m 644 "$spool/maildrop/$file" "$out/maildrop-file"
        echo "$file" > "$out/queue-id"
        stat -c %a "$spool/maildrop/$file" > "$out/mode"
    fi
}

record args message1.eml -f sender@example.org -F "Full Name" alice@example.com "Bob <bob@example.net>, carol"
record extract message2.eml -t -i -f "<sender@example.org>" erin@example.com
record dsn message3.eml -f sender@example.org -N success,delay -R hdrs -V env-id-7 -B 8BITMIME -oi -om alice@example.com
record longline message1.eml -i -f sender@example.org alice@example.com
record dotstop message2.eml -f "" alice@example.com
record username message3.eml alice@example.com
record norcpt message3.eml -f sender@example.org
record empty-t message3.eml -t -f sender@example.org
record verify message1.eml -f sender@example.org -bv alice@example.com "Bob <bob@example.net>, carol"
record verify-v message1.eml -v -bv -f sender@example.org alice@example.com
record verify-t message2.eml -t -bv -f sender@example.org
rm -rf "$base"
echo "recorded into $here"
