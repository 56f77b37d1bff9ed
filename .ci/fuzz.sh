#!/usr/bin/env bash
# .ci/fuzz.sh: builds the libFuzzer harnesses (fuzz/, ASan + UBSan) and runs each for a
# short, bounded time. Exits non-zero when a fuzzer crashes, leaks, hits undefined
# behaviour or breaks a property its harness checks.
#
#   FUZZ_SECONDS=20     seconds per fuzzer (-max_total_time)
#   FUZZ_JOBS=nproc     fuzzers run at the same time
#   FUZZ_TARGETS="..."  only these (names without "fuzz-", e.g. "payment authorize")
#   FUZZ_BUILD=build-fuzz  the build directory (reused when it exists)
#   FUZZ_KEEP_CORPUS=1  keep the corpora of the previous run instead of starting afresh
#
# Reproduce a finding: TMPDIR=/tmp build-fuzz/fuzz/fuzz-<target> <crash file>
# (fuzz-authorize also prints each decision with FUZZ_DEBUG=1).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
build=${FUZZ_BUILD:-build-fuzz}
all_targets="text parse-text b64 credential request payment bundle revocation checkpoint sync-request sync-answer online record authorize"
targets=${FUZZ_TARGETS:-$all_targets}

case $seconds in ''|*[!0-9]*|0) echo "FUZZ_SECONDS must be a positive integer" >&2; exit 2 ;; esac
case $jobs in ''|*[!0-9]*|0) jobs=1 ;; esac

# Configure (or reuse) and build only the fuzz targets.
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Dbuildtype=debugoptimized
elif ! meson introspect "$build" --buildoptions 2>/dev/null |
       python3 -c 'import json,sys; o={x["name"]: x["value"] for x in json.load(sys.stdin)}; sys.exit(0 if o.get("fuzzing") else 1)'; then
  meson configure "$build" -Dfuzzing=true
fi
ninja -C "$build" fuzz

build=$(cd "$build" && pwd)
out=$build/fuzz-run
seeds=$out/seeds
mkdir -p "$out"
rm -rf "$seeds" "$out/tmp"
mkdir -p "$out/tmp"

# The harnesses build their terminal under TMPDIR; keep it inside the build directory.
export TMPDIR=$out/tmp
export LC_ALL=C.UTF-8
export G_DEBUG=fatal-criticals
# Options already in the environment come last, so they can add to or override these.
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export LSAN_OPTIONS=suppressions=$root/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}

"$build/fuzz/fuzz-seeds" "$seeds"

run_one () {
  local t=$1 dir=$out/$1 rc=0
  local exe=$build/fuzz/fuzz-$t
  local extra=()

  # fuzz-authorize keeps a terminal (its database, its requests) across inputs by design,
  # so libFuzzer's leak check after each input would only slow it down (it reruns the
  # input and scans the heap whenever an input allocated more than it freed). Its leaks
  # are still found: at exit the harness frees its terminal and LeakSanitizer runs.
  if [ "$t" = authorize ]; then
    extra+=(-detect_leaks=0)
  fi

  if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]; then
    rm -rf "$dir"
  fi
  rm -rf "$dir/artifacts"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$seeds/$t"
  # The outer timeout only guards against a fuzzer that does not stop by itself.
  timeout -k 10 $((seconds * 2 + 120)) "$exe" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${extra[@]}" \
    "$dir/corpus" "$seeds/$t" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

for t in $targets; do
  if [ ! -x "$build/fuzz/fuzz-$t" ]; then
    echo "unknown fuzz target: $t (known: $all_targets)" >&2
    exit 2
  fi
done

# A small pool of $jobs fuzzers at a time (run_one never fails: wait -n counts them).
start=$(date +%s)
running=0
for t in $targets; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  echo "running fuzz-$t for ${seconds} s"
  run_one "$t" &
  running=$((running + 1))
done
wait

failed=0
echo
echo "fuzzing: ${seconds} s per fuzzer, $jobs at a time, $(( $(date +%s) - start )) s in all"
for t in $targets; do
  dir=$out/$t
  rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n1 | cut -d' ' -f2)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  status=ok
  if [ "$rc" != 0 ] || [ -n "$(ls -A "$dir/artifacts")" ] ||
     grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property violated' "$dir/log"; then
    status=FAILED
    failed=1
  fi
  # One line per fuzzer, "fuzz NAME: ok|FAILED ...": .ci/run counts these.
  printf 'fuzz %s: %s, %s executions (%s/s), coverage %s, corpus %s, exit %s\n' \
    "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus" "$rc"
done

if [ "$failed" != 0 ]; then
  for t in $targets; do
    dir=$out/$t
    if [ "$(cat "$dir/rc" 2>/dev/null || echo 99)" = 0 ] && [ -z "$(ls -A "$dir/artifacts")" ] &&
       ! grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property violated' "$dir/log"; then
      continue
    fi
    echo
    echo "=== fuzz-$t failed: $dir/log (last lines)"
    grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse)|^".*" # Uses:' "$dir/log" | tail -n 60
    for f in "$dir"/artifacts/*; do
      [ -f "$f" ] || continue
      echo "--- $f ($(wc -c <"$f") bytes), hex:"
      xxd -p "$f" | head -c 4000
      echo
      echo "reproduce: TMPDIR=/tmp $build/fuzz/fuzz-$t $f"
    done
  done
  echo
  echo "fuzzing FAILED" >&2
  exit 1
fi
echo "fuzzing passed"
