#!/usr/bin/env bash
# test-walkthrough.sh TEST-WALKTHROUGH WIDTHxHEIGHT: the walkthrough at that size, with dunst
# as the notification daemon on a private session bus when both are installed (the test
# then finds its late-decline notification in dunst's history); else with the toast only.
set -u
walkthrough=${1:?test-walkthrough}
export TILL_TEST_SIZE=${2:?WIDTHxHEIGHT}
if command -v dunst >/dev/null && command -v dunstctl >/dev/null && command -v dbus-run-session >/dev/null; then
  # dunst takes an empty WAYLAND_DISPLAY (at-size.sh sets one) for Wayland, and wants a
  # runtime directory.
  unset WAYLAND_DISPLAY
  runtime=$(mktemp -d)
  trap 'rm -rf "$runtime"' EXIT
  XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$runtime} dbus-run-session -- env WALKTHROUGH_DUNST=1 "$walkthrough" --tap
  exit
fi
exec "$walkthrough" --tap
