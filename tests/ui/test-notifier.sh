#!/usr/bin/env bash
# Desktop notifications on a private session bus: first with a daemon that hangs (the
# screen must keep running), then with a real one (dunst: the Review button comes back).
set -u
test_notifier=${1:?test-notifier}
hung_daemon=${2:?hung-notification-daemon.py}
command -v dunst >/dev/null && command -v dbus-run-session >/dev/null || { echo "1..0 # SKIP no dunst or dbus"; exit 0; }

dbus-run-session -- bash -c '
  set -u
  log=$(mktemp)
  /usr/bin/python3 "$2" >"$log" 2>&1 &
  daemon=$!
  for _ in $(seq 50); do grep -q ready "$log" && break; sleep 0.1; done
  timeout 10 "$1" -p /Till/Notifier/hung-daemon >/dev/null 2>&1
  rc=$?
  grep -q Notify "$log" || grep -q GetServerInformation "$log" || grep -q GetCapabilities "$log"
  reached=$?
  kill $daemon; wait $daemon 2>/dev/null; rm -f "$log"
  if [ $rc -eq 0 ] && [ $reached -eq 0 ]; then echo "ok 1 - a hung daemon does not block the main loop"
  else echo "not ok 1 - a hung daemon (test rc $rc, daemon called: $((1 - reached)))"; fi
' bash "$test_notifier" "$hung_daemon"

dbus-run-session -- bash -c '
  if timeout 20 "$1" -p /Till/Notifier/review-button >/dev/null 2>&1; then echo "ok 2 - dunst shows it and its Review button comes back to the main thread"
  else echo "not ok 2 - the Review button"; fi
  dunstctl close-all >/dev/null 2>&1
' bash "$test_notifier"
echo "1..2"
