#!/usr/bin/env bash
# Startup of the kiosk app to its first painted, interactive window, in demo mode with the
# offline-authorization plugin (the demo folder already set up: the kiosk's normal start).
# Run under a display: xvfb-run -a bench/till-startup.sh [--sales N] [BUILDDIR] [RUNS]
#
# --sales N also fills a second demo terminal with N stored sales (build/bench/offauth-fill)
# and measures both in the same run: the journal check at start-up runs on the plugin's
# worker, so the first frame must not wait for it (the pill says "Checking the journal…").
set -euo pipefail
sales=0
if [ "${1:-}" = "--sales" ]; then
  sales=$2
  shift 2
fi
build=$(cd "${1:-build}" && pwd)
runs=${2:-15}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TILL_PLUGIN_PATH="$build/plugin/offauth" GSETTINGS_SCHEMA_DIR="$build/data" \
       GSETTINGS_BACKEND=memory GTK_A11Y=none

median () { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
max () { printf '%s\n' "$@" | sort -n | tail -1; }

# start DEMO_DIR: one start; appends to walls_DIR and firsts_DIR (named by the folder's name).
start () {
  local name t0 t1 out
  name=$(basename "$1")
  t0=$(date +%s%N)
  out=$(TILL_DEMO_DIR="$1" TILL_STARTUP_BENCH=1 "$build/src/till" --demo 2>/dev/null)
  t1=$(date +%s%N)
  eval "walls_$name+=($(( (t1 - t0) / 1000000 )))"
  eval "firsts_$name+=($(printf '%s' "$out" | sed -n 's/^first frame after \([0-9.]*\) ms$/\1/p'))"
}
report () { # NAME LABEL
  local -n walls="walls_$1" firsts="firsts_$1"
  echo "till --demo, $2, $runs runs: process start to first painted frame and exit:" \
       "median $(median "${walls[@]}") ms, max $(max "${walls[@]}") ms;" \
       "application start to first frame: median $(median "${firsts[@]}") ms, max $(max "${firsts[@]}") ms"
}

# The first start creates the demo issuer, terminal and wallet: not a kiosk's normal start.
mkdir "$tmp/empty"
TILL_DEMO_DIR="$tmp/empty" TILL_STARTUP_BENCH=1 "$build/src/till" --demo >/dev/null 2>&1
walls_empty=() firsts_empty=() walls_large=() firsts_large=()
if [ "$sales" -gt 0 ]; then
  cp -r "$tmp/empty" "$tmp/large"
  "$build/bench/offauth-fill" "$tmp/large/terminal.db" "$sales"
fi

# With --sales, the two terminals take turns, so that both see the same machine.
for i in $(seq "$runs"); do
  start "$tmp/empty"
  if [ "$sales" -gt 0 ]; then start "$tmp/large"; fi
done
report empty "empty terminal"
if [ "$sales" -gt 0 ]; then
  report large "$sales stored sales"
  awk -v a="$(median "${firsts_large[@]}")" -v b="$(median "${firsts_empty[@]}")" -v n="$sales" \
      'BEGIN { printf "application start to first frame, %d sales / empty terminal (medians): %.2fx\n", n, a / b }'
fi
