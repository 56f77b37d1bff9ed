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
