#!/usr/bin/env bash
# Fails only on what breaks a translation: a source file with translatable strings missing
# from po/POTFILES.in, a listed file that does not exist, a catalog that does not compile
# (syntax, or a format string that does not match its message). Untranslated, fuzzy or
# missing messages are reported, never failed: a volunteer's partial catalog must land.
set -u
top=${1:?source root}
cd "$top"
n=0; fail=0
for f in $(grep -rlE '(^|[^A-Za-z_])(N?C?_|g_dngettext|ngettext)\(|translatable="yes"' \
             common engine src plugin tools ui data 2>/dev/null | sort); do
  n=$((n + 1))
  if grep -qxF "$f" po/POTFILES.in; then echo "ok $n - $f is in POTFILES.in"; else echo "not ok $n - $f is missing from po/POTFILES.in"; fail=1; fi
done
while read -r f; do
  case "$f" in ''|'#'*) continue;; esac
  n=$((n + 1))
  if [ -f "$f" ]; then echo "ok $n - $f exists"; else echo "not ok $n - POTFILES.in names $f, which does not exist"; fail=1; fi
done < po/POTFILES.in
# The messages of the sources, extracted afresh as meson's glib preset does.
fresh=$(mktemp --suffix=.pot)
trap 'rm -f "$fresh"' EXIT
xgettext --from-code=UTF-8 --add-comments --package-name=till -o "$fresh" \
  --keyword=_ --keyword=N_ --keyword=Description --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 --flag=N_:1:pass-c-format \
  --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
  --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
  --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
  --flag=g_set_error:4:c-format -f po/POTFILES.in 2>/dev/null
for po in po/*.po; do
  [ -e "$po" ] || continue
  n=$((n + 1))
  # Brought up to date with the sources first, so that a format string the sources changed
  # is checked against the translation that would ship.
  merged=$(mktemp --suffix=.po)
  msgmerge --quiet --no-fuzzy-matching -o "$merged" "$po" "$fresh" 2>/dev/null || cp "$po" "$merged"
  if ! err=$(msgfmt --check -o /dev/null "$po" 2>&1); then
    echo "not ok $n - $po does not compile: $(printf '%s' "$err" | head -3 | tr '\n' ' ')"; fail=1
  elif ! err=$(msgfmt --check -o /dev/null "$merged" 2>&1); then
    echo "not ok $n - $po breaks against the sources: $(printf '%s' "$err" | head -3 | tr '\n' ' ')"; fail=1
  else
    stats=$(msgfmt --statistics -o /dev/null "$merged" 2>&1)
    echo "ok $n - $po compiles: $stats"
    case "$stats" in
      *fuzzy*|*untranslated*) echo "# $po is partial (reported, not failed): $stats";;
    esac
  fi
  rm -f "$merged"
done
echo "1..$n"
exit $fail
