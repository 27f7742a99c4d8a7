#!/bin/bash
# Record the golden output of the REAL Postfix postmap for every case in
# cases.txt (see there for the format).  For each case this runs
#
#     postmap -c CONFDIR -q KEY TYPE:NAME
#
# where NAME is this directory's FILE (an absolute path) or the inline
# "{...}" text, and CONFDIR holds a main.cf with only
# "compatibility_level = 3.7" (so that the host's main.cf does not
# matter).  It stores in expected/:
#     <case>.out   stdout
#     <case>.err   stderr
#     <case>.rc    exit status
# with this directory's path replaced by @DIR@ in .out and .err, so that
# the tests can compare output for the tables in the repository wherever
# it is checked out.  expected/VERSION gets the Postfix version.
#
# Usage: tests/golden/tables/record.sh
set -euo pipefail

POSTMAP=${POSTMAP:-/usr/sbin/postmap}
POSTCONF=${POSTCONF:-/usr/sbin/postconf}
here=$(cd "$(dirname "$0")" && pwd)
expected=$here/expected

if [ ! -x "$POSTMAP" ]; then
    echo "record.sh: $POSTMAP not found; the real Postfix is needed to record" >&2
    exit 1
fi
export LC_ALL=C
unset MAIL_CONFIG MAIL_VERBOSE MAIL_DEBUG || true

confdir=$(mktemp -d)
trap 'rm -rf "$confdir"' EXIT
echo "compatibility_level = 3.7" >"$confdir/main.cf"

rm -rf "$expected"
mkdir -p "$expected"
"$POSTCONF" -c "$confdir" -d -h mail_version >"$expected/VERSION"

# Replace $here by @DIR@ in a file, keeping its exact bytes otherwise.
placeholder() {
    local text
    text=$(cat "$1"; echo x)
    text=${text%x}
    printf '%s' "${text//"$here"/@DIR@}" >"$1"
}

declare -A inline_count=()
type='' name='' stem='' n=0
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    '' | '#'*) continue ;;
    '%table '*)
        line=${line#%table }
        type=${line%% *}
        name=${line#* }
        n=0
        if [ "${name:0:1}" = "{" ]; then
            inline_count[$type]=$(( ${inline_count[$type]:-0} + 1 ))
            stem=inline${inline_count[$type]}
        else
            stem=$(basename "$name")
            stem=${stem%.*}
            name=$here/$name
        fi
        continue ;;
    esac
    n=$((n + 1))
    id=$(printf '%s-%s-%02d' "$type" "$stem" "$n")
    if [ "$line" = "<empty>" ]; then
        key=''
    else
        key=$(printf '%bx' "$line")
        key=${key%x}
    fi
    rc=0
    "$POSTMAP" -c "$confdir" -q "$key" "$type:$name" \
        >"$expected/$id.out" 2>"$expected/$id.err" || rc=$?
    echo "$rc" >"$expected/$id.rc"
    placeholder "$expected/$id.out"
    placeholder "$expected/$id.err"
done <"$here/cases.txt"
echo "record.sh: recorded $(ls "$expected"/*.rc | wc -l) cases in $expected"
