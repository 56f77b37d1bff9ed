#!/usr/bin/env bash
# The never-rules of docs/architecture.md ("What may call what"), checked on the sources:
# which headers each room includes, which prefixes it calls, and which files its build
# compiles. A rule broken here is a room reaching into one above it or beside it.
set -u
top=${1:?source root}
cd "$top"
n=0; fail=0

# rule ROOM DESCRIPTION PATTERN: no line of ROOM's C sources matches PATTERN (grep -E).
rule () {
  local room=$1 what=$2 pattern=$3 hits
  n=$((n + 1))
  hits=$(grep -rnE "$pattern" --include='*.c' --include='*.h' $room 2>/dev/null | head -3)
  if [ -z "$hits" ]; then
    echo "ok $n - $room: $what"
  else
    echo "not ok $n - $room: $what"
    printf '%s\n' "$hits" | sed 's/^/#   /'
    fail=1
  fi
}

app_headers='#include [<"](till-(window|cart|catalog|application|cash-provider)[^"]*\.h)'
plugin_headers='#include [<"]offauth-(service|provider|addin|plugin|worker|demo|pay-page|status-pill|terminal-page|pairing-page|uploader|pill-text|qr|result|format)[^"]*\.h'
engine_headers='#include [<"](offauth[^"]*|money)\.h'
ui_headers='#include <(gtk/|adwaita|libpeas|libnotify|till\.h)'

rule common "GLib only: nothing of the engine, libtill, the app or the plugin" \
  "#include [<\"]offauth|$ui_headers|#include [<\"]till"
rule engine "no GTK, libtill, app or plugin" "$ui_headers|#include [<\"]till|$plugin_headers"
rule engine "no network or main loop library" '#include <(libsoup|json-glib)'
rule engine "the engine never reaches net/ (it builds and checks messages, net carries them)" \
  '#include [<"]offauth-acquirer-client'
rule net "net never reaches GTK, libtill, the app, the plugin or the engine" \
  "$ui_headers|#include [<\"]till|$app_headers|$plugin_headers|#include [<\"](offauth|offauth-(terminal|wire|sync|crypto|issuer|wallet|reason|record|private|testing)[^\"]*|money)\.h"
rule src/libtill "libtill never reaches the engine, the app or the plugin" \
  "#include [<\"]offauth|$app_headers|$plugin_headers|[^_]offauth_[a-z]"
rule "src/main.c src/till-*.c src/till-*.h" "the app never reaches the engine or the plugin" \
  "#include [<\"](offauth|money)|[^_]offauth_[a-z]"
rule plugin "the plugin never reaches the app (only libtill)" "$app_headers|till_(window|cart|catalog|application)_"
rule tools "the tools never reach the app, libtill or the plugin" "$ui_headers|$app_headers|$plugin_headers|[^_]till_[a-z]"
rule acquirer "the acquirer never reaches the app, libtill or the plugin" "$ui_headers|$app_headers|$plugin_headers|[^_]till_[a-z]"
rule fuzz "the fuzzers never reach the plugin or the app" \
  "$ui_headers|$app_headers|$plugin_headers|offauth_service_"
# offauth-upload-bench's room under test is the plugin's GTK-free service and uploader.
rule bench "the benchmarks never reach the app or the plugin's views" \
  "$ui_headers|$app_headers|#include [<\"]offauth-(provider|addin|plugin|pay-page|status-pill|terminal-page|pairing-page|qr|result|format)[^\"]*\.h"

rule "plugin tools acquirer src" "the engine's internals and test hooks are for the engine and its tests" \
  '#include [<"]offauth-(terminal|testing)-private\.h'

# The build: libtill compiles only its own files (and links common/ privately).
n=$((n + 1))
if grep -nE "engine|plugin" src/meson.build | grep -vE '^\s*[0-9]+:\s*#' | grep -q .; then
  echo "not ok $n - src/meson.build compiles or includes something from engine/ or plugin/"
  fail=1
else
  echo "ok $n - libtill and the app build nothing of engine/ or plugin/"
fi
echo "1..$n"
exit $fail
