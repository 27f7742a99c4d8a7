#!/bin/bash
# Record the golden output of the REAL Postfix postconf for every case in
# cases.txt (or only for the case ids given as arguments).
#
# For each case: copy fixtures/<fixture>/ to a fresh temp dir, run
#     postconf -c TMPDIR <args>
# with argv[0] "postconf", and store in expected/:
#     <case>.out       stdout
#     <case>.err       stderr
#     <case>.rc        exit code
#     <case>.main.cf   main.cf afterwards   } only when the run changed the file
#     <case>.master.cf master.cf afterwards }
#     <case>.files     the sorted file names in the config dir afterwards,
#                      only when they differ from the fixture's
# The temp dir path is replaced with @CONFDIR@ everywhere.  expected/VERSION
# gets the Postfix version (postconf -h mail_version).
#
# Two details keep the recording reproducible (see also the harness):
#  * Postfix re-reads a main.cf whose mtime is within a second of "now"
#    (dict_load_file_xt's "let the file cool down" loop), which repeats
#    warnings such as "overriding earlier entry".  All copied files get an
#    old mtime so that never happens.
#  * Postfix walks its hash tables in a randomized order, so the order of
#    "unused parameter" / "undefined parameter" warnings changes from run
#    to run.  NORANDOMIZE=1 makes it fixed for the recording; the harness
#    still compares those warnings order-insensitively.
#
# Usage: tests/golden/postconf/record.sh [case-id ...]
set -euo pipefail

POSTCONF=${POSTCONF:-/usr/sbin/postconf}
PYTHON=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/fixtures
expected=$here/expected
cases=$here/cases.txt

if [ ! -x "$POSTCONF" ]; then
    echo "record.sh: $POSTCONF not found; the real Postfix is needed to record" >&2
    exit 1
fi

export LC_ALL=C NORANDOMIZE=1
unset MAIL_CONFIG MAIL_VERBOSE MAIL_DEBUG || true

if [ $# -eq 0 ]; then
    rm -rf "$expected"
fi
mkdir -p "$expected"
# The version, from a configuration directory of our own, not /etc/postfix.
vdir=$(mktemp -d /tmp/pcrec.XXXXXXXX)
echo "compatibility_level = 3.7" >"$vdir/main.cf"
"$POSTCONF" -c "$vdir" -d -h mail_version >"$expected/VERSION"
rm -rf "$vdir"

# Split the args column of cases.txt with shlex: one NUL-terminated
# record per case, "id\0fixture\0nargs\0arg1\0arg2\0...".
split_cases() {
    "$PYTHON" - "$cases" <<'EOF'
import shlex, sys
out = sys.stdout.buffer
seen = set()
for lineno, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    words = shlex.split(line)
    if len(words) < 2:
        sys.exit(f"cases.txt:{lineno}: need <case-id> <fixture> [args]")
    if words[0] in seen:
        sys.exit(f"cases.txt:{lineno}: duplicate case id {words[0]}")
    seen.add(words[0])
    rec = [words[0], words[1], str(len(words) - 2)] + words[2:]
    out.write(b"".join(w.encode("utf-8") + b"\0" for w in rec))
EOF
}

wanted() {
    local id=$1
    [ ${#selected[@]} -eq 0 ] && return 0
    local s
    for s in "${selected[@]}"; do
        [ "$s" = "$id" ] && return 0
    done
    return 1
}

# Replace the temp dir path with @CONFDIR@ (byte-safe with LC_ALL=C).
subst() {
    sed "s|$1|@CONFDIR@|g"
}

selected=("$@")
records=()
while IFS= read -r -d '' w; do
    records+=("$w")
done < <(split_cases)

count=0
i=0
while [ $i -lt ${#records[@]} ]; do
    id=${records[$i]}
    fixture=${records[$((i + 1))]}
    nargs=${records[$((i + 2))]}
    args=("${records[@]:$((i + 3)):$nargs}")
    i=$((i + 3 + nargs))
    wanted "$id" || continue

    if [ ! -d "$fixtures/$fixture" ]; then
        echo "record.sh: case $id: no fixture $fixture" >&2
        exit 1
    fi
    tmp=$(mktemp -d /tmp/pcrec.XXXXXXXX)
    dir=$tmp/conf
    cp -R "$fixtures/$fixture" "$dir"
    find "$dir" -exec touch -h -d '2000-01-01 00:00:00' {} +
    before=$(cd "$dir" && ls -A | sort)

    set +e
    (cd "$tmp" && exec -a postconf "$POSTCONF" -c "$dir" "${args[@]}") \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    set -e

    subst "$dir" <"$tmp/out" >"$expected/$id.out"
    subst "$dir" <"$tmp/err" >"$expected/$id.err"
    echo "$rc" >"$expected/$id.rc"
    rm -f "$expected/$id.main.cf" "$expected/$id.master.cf"
    for f in main.cf master.cf; do
        if [ -e "$dir/$f" ] && ! cmp -s "$dir/$f" "$fixtures/$fixture/$f"; then
            subst "$dir" <"$dir/$f" >"$expected/$id.$f"
        elif [ -e "$fixtures/$fixture/$f" ] && [ ! -e "$dir/$f" ]; then
            echo "record.sh: case $id: $f was removed; not supported" >&2
            exit 1
        fi
    done
    # Postfix may leave e.g. master.cf.tmp behind after a failed edit.
    after=$(cd "$dir" && ls -A | sort)
    rm -f "$expected/$id.files"
    if [ "$before" != "$after" ]; then
        echo "$after" >"$expected/$id.files"
    fi
    rm -rf "$tmp"
    count=$((count + 1))
done

if [ ${#selected[@]} -gt 0 ] && [ "$count" -ne ${#selected[@]} ]; then
    echo "record.sh: recorded $count of ${#selected[@]} requested cases" >&2
    exit 1
fi
echo "record.sh: recorded $count cases with Postfix $(cat "$expected/VERSION")"
