#!/bin/sh
# capture.sh OUTDIR NAME ARGS...: save what a pipe(8) command receives.
out=$1
name=$2
shift 2
printf '%s\n' "$@" > "$out/$name.argv"
env | LC_ALL=C sort > "$out/$name.env"
pwd > "$out/$name.cwd"
id -u > "$out/$name.uid"
id -g >> "$out/$name.uid"
cat > "$out/$name.stdin"
exit 0
