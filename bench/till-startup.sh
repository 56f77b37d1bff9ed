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

# measure DEMO_DIR LABEL: sets first_median (ms) for the ratio.
measure () {
  local demo=$1 label=$2 walls=() firsts=() t0 t1 out
  for i in $(seq "$runs"); do
    t0=$(date +%s%N)
    out=$(TILL_DEMO_DIR="$demo" TILL_STARTUP_BENCH=1 "$build/src/till" --demo 2>/dev/null)
    t1=$(date +%s%N)
    walls+=($(( (t1 - t0) / 1000000 )))
    firsts+=("$(printf '%s' "$out" | sed -n 's/^first frame after \([0-9.]*\) ms$/\1/p')")
  done
  first_median=$(median "${firsts[@]}")
  echo "till --demo, $label, $runs runs: process start to first painted frame and exit:" \
       "median $(median "${walls[@]}") ms, max $(max "${walls[@]}") ms;" \
       "application start to first frame: median $first_median ms, max $(max "${firsts[@]}") ms"
}

# The first start creates the demo issuer, terminal and wallet: not a kiosk's normal start.
mkdir "$tmp/empty"
TILL_DEMO_DIR="$tmp/empty" TILL_STARTUP_BENCH=1 "$build/src/till" --demo >/dev/null 2>&1
if [ "$sales" -gt 0 ]; then
  cp -r "$tmp/empty" "$tmp/large"
  "$build/bench/offauth-fill" "$tmp/large/terminal.db" "$sales"
fi

measure "$tmp/empty" "empty terminal"
empty_median=$first_median
if [ "$sales" -gt 0 ]; then
  measure "$tmp/large" "$sales stored sales"
  awk -v a="$first_median" -v b="$empty_median" -v n="$sales" \
      'BEGIN { printf "first frame with %d sales / with an empty terminal (medians): %.2fx\n", n, a / b }'
fi
