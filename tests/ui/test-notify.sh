#!/usr/bin/env bash
# A real notification daemon (dunst) on a private session bus: the kiosk's urgent news
# (offline payments paused) must reach it. Needs a display: meson runs it under xvfb-run.
set -u
test_ui=${1:?test-ui}
command -v dunst >/dev/null && command -v dbus-run-session >/dev/null || { echo "1..0 # SKIP no dunst or dbus"; exit 0; }
dbus-run-session -- bash -c '
  # dunst starts by D-Bus activation on the first notification (or on dunstctl).
  "$1" -p /Till/UI/notify >/dev/null 2>&1 || { echo "not ok 1 - test-ui failed"; exit 1; }
  sleep 0.5
  shown=$(dunstctl count displayed); waiting=$(dunstctl count waiting); history=$(dunstctl count history)
  total=$((shown + waiting + history))
  if [ "$total" -ge 1 ]; then echo "ok 1 - the notification daemon received $total notification(s)"; else echo "not ok 1 - no notification reached dunst"; exit 1; fi
  echo "1..1"
' bash "$test_ui"
