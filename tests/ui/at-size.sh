#!/bin/bash
# at-size.sh WIDTHxHEIGHT COMMAND...: runs COMMAND on an X screen of that size, a fresh Xvfb
# of its own (the display number chosen by Xvfb itself, so that tests run in parallel).
set -u
size=$1; shift
fifo=$(mktemp -u) && mkfifo "$fifo" || exit 99
Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp 3>"$fifo" 2>/dev/null &
xvfb=$!
read -r -t 20 display <"$fifo"
rm -f "$fifo"
if [ -z "${display:-}" ]; then
  kill "$xvfb" 2>/dev/null
  echo "Bail out! Xvfb did not start"
  exit 99
fi
DISPLAY=":$display" WAYLAND_DISPLAY= "$@"
rc=$?
kill "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null
exit $rc
