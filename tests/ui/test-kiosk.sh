#!/usr/bin/env bash
# The kiosk on a private session bus: (1) it asks the session manager (a stand-in that logs
# the request) to keep the screen on; (2) the app is single-instance: a second launch hands
# over to the first and exits. Needs a display: meson runs it under xvfb-run.
set -u
test_ui=${1:?test-ui}; till=${2:?till}; fake_sm=${3:?fake-session-manager.py}
command -v dbus-run-session >/dev/null && /usr/bin/python3 -c 'import gi' 2>/dev/null ||
  { echo "1..0 # SKIP no dbus-run-session or python3-gi"; exit 0; }
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
echo "1..3"
dbus-run-session -- bash -c '
  test_ui=$1 till=$2 fake_sm=$3 log=$4
  /usr/bin/python3 "$fake_sm" "$log/sm.log" & sm=$!
  for i in $(seq 50); do grep -q ready "$log/sm.log" 2>/dev/null && break; sleep 0.1; done
  if TILL_TEST_SESSION_MANAGER=1 "$test_ui" -p /Till/UI/kiosk/inhibit >"$log/ui.log" 2>&1 &&
     grep -q "^ok 1 /Till/UI/kiosk/inhibit$" "$log/ui.log"; then
    echo "ok 1 - the kiosk holds an idle inhibit cookie"
  else
    echo "not ok 1 - no idle inhibit cookie"; sed "s/^/# /" "$log/ui.log" | grep -v DEBUG | tail -5
  fi
  # GTK_APPLICATION_INHIBIT_IDLE is 8.
  if grep -q "^Inhibit io.github.tillpos.Till[.A-Za-z]* 8 " "$log/sm.log"; then
    echo "ok 2 - the request: $(grep -m1 ^Inhibit "$log/sm.log")"
  else
    echo "not ok 2 - no idle inhibit request"; sed "s/^/# /" "$log/sm.log"
  fi
  kill $sm
  # Single instance: the first till stays; a second launch returns at once and leaves one.
  HOME=$log "$till" --kiosk >"$log/first.log" 2>&1 & first=$!
  sleep 3
  start=$(date +%s)
  HOME=$log timeout 20 "$till" >"$log/second.log" 2>&1; rc=$?
  if [ $rc -eq 0 ] && kill -0 $first 2>/dev/null && [ $(( $(date +%s) - start )) -lt 10 ]; then
    echo "ok 3 - a second launch activates the first and exits"
  else
    echo "not ok 3 - second launch: exit status $rc"; sed "s/^/# /" "$log/second.log" | tail -5
  fi
  kill $first 2>/dev/null; wait $first 2>/dev/null; exit 0
' bash "$test_ui" "$till" "$fake_sm" "$log"
