#!/usr/bin/env bash
# Every source file with translatable strings is listed in po/POTFILES.in, and every
# translation compiles cleanly with all messages translated.
set -u
top=${1:?source root}
cd "$top"
n=0; fail=0
for f in $(grep -rlE '(^|[^A-Za-z_])(N?_|g_dngettext|ngettext)\(|translatable="yes"' src plugin tools ui data 2>/dev/null | sort); do
  n=$((n + 1))
  if grep -qxF "$f" po/POTFILES.in; then echo "ok $n - $f is in POTFILES.in"; else echo "not ok $n - $f is missing from po/POTFILES.in"; fail=1; fi
done
while read -r f; do
  case "$f" in ''|'#'*) continue;; esac
  n=$((n + 1))
  if [ -f "$f" ]; then echo "ok $n - $f exists"; else echo "not ok $n - POTFILES.in names $f, which does not exist"; fail=1; fi
done < po/POTFILES.in
# Every message of the sources, extracted afresh as meson's glib preset does, is in each
# translation (msgcmp fails on a missing one).
fresh=$(mktemp --suffix=.pot)
trap 'rm -f "$fresh"' EXIT
xgettext --from-code=UTF-8 --add-comments --package-name=till -o "$fresh" \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 --flag=N_:1:pass-c-format \
  --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
  --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
  --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
  --flag=g_set_error:4:c-format -f po/POTFILES.in 2>/dev/null
for po in po/*.po; do
  n=$((n + 1))
  if out=$(msgcmp --use-untranslated "$po" "$fresh" 2>&1); then
    echo "ok $n - $po has every message of the sources"
  else
    echo "not ok $n - $po lacks messages: $(printf '%s' "$out" | head -3 | tr '\n' ' ')"; fail=1
  fi
done
for po in po/*.po; do
  n=$((n + 1))
  stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1)
  if [ $? -eq 0 ] && ! printf '%s' "$stats" | grep -qE 'fuzzy|untranslated'; then
    echo "ok $n - $po: $stats"
  else
    echo "not ok $n - $po: $stats"; fail=1
  fi
done
echo "1..$n"
exit $fail
