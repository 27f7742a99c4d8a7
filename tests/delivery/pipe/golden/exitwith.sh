#!/bin/sh
# exitwith.sh STATUS [TEXT...]: print each TEXT on a line, exit with STATUS.
# STATUS "kill" kills the shell with SIGKILL; "sleep" sleeps for a minute.
code=$1
shift
cat > /dev/null
if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi
case $code in
kill) kill -9 $$ ;;
sleep) exec sleep 60 ;;
esac
exit "$code"
