#!/usr/bin/env bash
# Startup of the kiosk app to its first painted, interactive window, in demo mode with the
# offline-authorization plugin (the demo folder already set up: the kiosk's normal start).
# Run under a display: xvfb-run -a bench/till-startup.sh [BUILDDIR] [RUNS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
runs=${2:-15}
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
export TILL_PLUGIN_PATH="$build/plugin/offauth" GSETTINGS_SCHEMA_DIR="$build/data" \
       GSETTINGS_BACKEND=memory TILL_DEMO_DIR="$demo" GTK_A11Y=none

# The first start creates the demo issuer, terminal and wallet: not a kiosk's normal start.
TILL_STARTUP_BENCH=1 "$build/src/till" --demo >/dev/null 2>&1

walls=() firsts=()
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  out=$(TILL_STARTUP_BENCH=1 "$build/src/till" --demo 2>/dev/null)
  t1=$(date +%s%N)
  walls+=($(( (t1 - t0) / 1000000 )))
  firsts+=("$(printf '%s' "$out" | sed -n 's/^first frame after \([0-9.]*\) ms$/\1/p')")
done
median () { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
max () { printf '%s\n' "$@" | sort -n | tail -1; }
echo "till --demo, $runs runs: process start to first painted frame and exit:" \
     "median $(median "${walls[@]}") ms, max $(max "${walls[@]}") ms;" \
     "application start to first frame: median $(median "${firsts[@]}") ms, max $(max "${firsts[@]}") ms"
