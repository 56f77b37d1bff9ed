#!/usr/bin/env bash
# The attacks and faults the settlement rules exist for, against the real
# `offauth-acquirer serve` on loopback (issue 8, "Bad input and faults"). The acquirer's
# clock is OFFAUTH_NOW, read once at start, so the test restarts it on the same port at
# each later time; the terminal's tools get the same clock. acquirer-client plays the
# hostile terminals (junk rows, a rival's photographed code, replayed requests).
# Checked:
# - retries exhausted after the schedule: attempts at +1 h, 6 h, 24 h and (late) 72 h;
#   early and repeated asks use no attempt; retry_after as the spec computes it; attempt 5
#   short is state 2, retries_exhausted, attempt 5;
# - replayed or repeated retry asks use no attempt; a replayed request gets the same
#   verdicts and changes nothing;
# - junk records carrying a payer's credential (a bad payer signature) are no evidence of
#   a double spend; a rival terminal uploading a photographed code first gets
#   wrong_terminal (online too); the real merchant still settles, debited once;
# - a retryable sale closed while the payer tops up: withdrawn and never debited; or
#   settled first, then the terminal says give back; never debited twice;
# - an acquirer clock years ahead, then corrected: the kiosk recovers and its next sale
#   settles.
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/tap.sh"   # check, pass, json
ISSUER=${ISSUER:-offauth-issuer}
WALLET=${WALLET:-offauth-wallet}
TERMINAL=${TERMINAL:-offauth-terminal}
ACQUIRER=${ACQUIRER:-offauth-acquirer}
CLIENT=${CLIENT:-acquirer-client}
PY=/usr/bin/python3
dir=$(mktemp -d)
server=
cleanup () {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
n=0
fail=0

json () { "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"; }

balance () {
  "$ACQUIRER" report acq --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['balances'].get(sys.argv[1], 'none'))" "$1"
}

rows () { "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(seq) from journal').fetchone()[0])" "$1"; }

# The acquirer at time $1 (seconds), on the port of the first start.
port=0
start_server () {
  [ -n "$server" ] && { kill -TERM "$server"; wait "$server"; server=; }
  : > serve.out
  OFFAUTH_NOW=$1 "$ACQUIRER" serve acq --listen "127.0.0.1:$port" > serve.out 2>> serve.err &
  server=$!
  for _ in $(seq 200); do [ -s serve.out ] && break; sleep 0.05; done
  url=$(head -n 1 serve.out); url=${url#listening on }
  port=${url##*:}
}

new_payer () {  # new_payer NAME BALANCE: a wallet, its credential in NAME.cred; $cid
  local pk
  pk=$("$WALLET" new "$1.wallet")
  out=$("$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 100000 --count 20 --days 7 --json)
  json "j['credential']" > "$1.cred"
  cid=$(json "j['credential_id']")
  "$ACQUIRER" topup acq "$(cat "$1.cred")" "$2" > /dev/null
}

new_terminal () {  # new_terminal NAME: enrolled, registered, pinned
  local tpk
  "$TERMINAL" init "$1.db" --trust bundle.txt --merchant "shop-$1" --root "$fpr" > /dev/null || return 1
  tpk=$("$TERMINAL" status "$1.db" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['terminal_public_key'])")
  "$ACQUIRER" terminal acq --merchant "shop-$1" --key "$tpk" > /dev/null &&
  "$TERMINAL" acquirer "$1.db" "$url" --key "$akey" > /dev/null
}

sell () {  # sell TERMINAL PAYER AMOUNT: one offline sale at the terminal's clock; $pay, $sale
  local req
  req=$("$TERMINAL" request "$1.db" "$3" EUR) || return 1
  pay=$("$WALLET" pay "$2.wallet" "$(cat "$2.cred")" "$req" 2> /dev/null) || return 1
  sale=$("$TERMINAL" authorize "$1.db" "$pay" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['sale_number'])")
}

sale_json () {  # sale_json TERMINAL SALE: that sale of `sales --json` in $out
  out=$("$TERMINAL" sales "$1.db" --json | "$PY" -c "import json,sys; print(json.dumps([s for s in json.load(sys.stdin) if s['sale'] == int(sys.argv[1])][0]))" "$2")
}

revocations () { curl -s "$url/v1/revocations" | wc -c; }

H=3600
T0=$(date +%s)
export OFFAUTH_NOW=$T0
"$ISSUER" init iss > /dev/null
"$ISSUER" bundle iss --days 30 > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer init" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
start_server "$T0"
[ -n "$url" ] && [ "$port" != 0 ]; pass "the acquirer listens on $url"
for t in a b h r; do new_terminal $t; pass "terminal $t enrolled, registered, pinned"; done

# 1. Retries exhausted after the schedule (terminal a, the real tools), and 4. replayed or
# repeated asks (terminal r, requests built by acquirer-client).
new_payer short 100; scid=$cid
sell a short 300; pass "a sale of 300 at a, the balance 100"; short=$sale
check 0 "sync a" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['reason'], j['attempt'], j['retry_after']")" = "retry insufficient_funds 1 $((T0 + H))" ]; pass "attempt 1 at upload, retry_after = first decline + 1 h"

new_payer replay 100; rcid=$cid
sell r replay 300; pass "a sale of 300 at r, the balance 100"; rsale=$sale
check 0 "sync r (client)" -- "$CLIENT" sync r.db "$akey" "$url/v1/sync" --created-at "$T0"
[ "$(json "[(v['seq'], v['state'], v['reason'], v['attempt']) for v in j['verdicts']]")" = "[($rsale, 3, 8, 1)]" ]; pass "r: attempt 1 at upload"
rlast=$(rows r.db); rcursor=$(json "j['cursor']")

export OFFAUTH_NOW=$((T0 + H / 2)); start_server $OFFAUTH_NOW
check 0 "an early ask (the merchant's retry now)" -- "$TERMINAL" retry a.db "$short"
check 0 "sync a at +30 min" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['attempt'], j['retry_after'], j['retry_asked']")" = "retry 1 $((T0 + H)) False" ]; pass "the early ask uses no attempt"

# +1 h: attempt 2 is due; the terminal asks by itself.
export OFFAUTH_NOW=$((T0 + H)); start_server $OFFAUTH_NOW
check 0 "sync a at +1 h" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['reason'], j['attempt'], j['retry_after']")" = "retry insufficient_funds 2 $((T0 + 6 * H))" ]; pass "attempt 2 at +1 h, retry_after = first decline + 6 h"
check 0 "a repeated ask at once" -- "$TERMINAL" retry a.db "$short"
check 0 "sync a" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['attempt'], j['retry_after']")" = "2 $((T0 + 6 * H))" ]; pass "the repeated ask uses no attempt"

ask=(sync r.db "$akey" "$url/v1/sync" --first $((rlast + 1)) --cursor "$rcursor" --ask "$rsale" --created-at $((T0 + H)))
check 0 "r asks at +1 h" -- "$CLIENT" "${ask[@]}"
[ "$(json "[(v['state'], v['reason'], v['attempt'], v['retry_after']) for v in j['verdicts']]")" = "[(3, 8, 2, $((T0 + 6 * H)))]" ]; pass "r: the due attempt 2 runs"
first_answer=$(json "j['acked_seq'], j['cursor'], j['verdicts']")
check 0 "the same request replayed" -- "$CLIENT" "${ask[@]}"
[ "$(json "j['acked_seq'], j['cursor'], j['verdicts']")" = "$first_answer" ]; pass "the replay gets the same answer"
check 0 "a new request with the same ask" -- "$CLIENT" "${ask[@]:0:10}" --created-at $((T0 + H + 1))
[ "$(json "[(v['attempt'], v['retry_after']) for v in j['verdicts']]")" = "[(2, $((T0 + 6 * H)))]" ]; pass "a repeated ask uses no attempt"

# +6 h: attempt 3 is due; at r, the request of +1 h replayed must not run it.
export OFFAUTH_NOW=$((T0 + 6 * H)); start_server $OFFAUTH_NOW
check 0 "the request of +1 h replayed at +6 h" -- "$CLIENT" "${ask[@]}"
[ "$(json "[(v['state'], v['attempt'], v['retry_after']) for v in j['verdicts']]")" = "[(3, 2, $((T0 + 6 * H)))]" ]; pass "a replayed ask uses no attempt, even when one is due"
[ "$(balance "$rcid")" = 100 ]; pass "r's payer: nothing debited"

# Attempt 3 runs late, at +23.5 h: retry_after is that time + 1 h, later than + 24 h.
export OFFAUTH_NOW=$((T0 + 47 * H / 2)); start_server $OFFAUTH_NOW
check 0 "sync a at +23.5 h" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['attempt'], j['retry_after']")" = "3 $((T0 + 49 * H / 2))" ]; pass "attempt 3 late: retry_after = its time + 1 h (later than first decline + 24 h)"

export OFFAUTH_NOW=$((T0 + 49 * H / 2)); start_server $OFFAUTH_NOW
check 0 "sync a at +24.5 h" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['attempt'], j['retry_after']")" = "4 $((T0 + 72 * H))" ]; pass "attempt 4, retry_after = first decline + 72 h"

export OFFAUTH_NOW=$((T0 + 71 * H)); start_server $OFFAUTH_NOW
check 0 "an ask at +71 h" -- "$TERMINAL" retry a.db "$short"
check 0 "sync a" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['attempt']")" = "retry 4" ]; pass "not due yet: no attempt"
[ "$(balance "$scid")" = 100 ]; pass "nothing debited"

export OFFAUTH_NOW=$((T0 + 72 * H)); start_server $OFFAUTH_NOW
check 0 "sync a at +72 h" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['reason'], j['attempt'], j['retry_after']")" = "declined retries_exhausted 5 0" ]; pass "attempt 5 short: declined, retries_exhausted, attempt 5"
check 0 "a top-up of 500" -- "$ACQUIRER" topup acq "$scid" 500 --json
[ "$(json "j['settled'], j['balance']")" = "0 600" ]; pass "settles nothing: the sale is final"
check 0 "sync a" -- "$TERMINAL" sync a.db
sale_json a "$short"
[ "$(json "j['state'], j['reason']")" = "declined retries_exhausted" ]; pass "and stays declined"

# 2. Junk records carrying a payer's credential, and 3. a rival uploading a photographed
# code first. Terminal h is hostile: its uploads carry, after its own rows, the payer's
# payment at a rewritten to name h (the payer's signature breaks: junk with the same
# credential and counter and another sale id) and the payment as photographed (its request
# names a). Sale 2 reached the acquirer before them, sale 1 after.
export OFFAUTH_NOW=$((T0 + 73 * H)); start_server $OFFAUTH_NOW
new_payer twin 1000; tcid=$cid
sell a twin 200; pass "sale 2 at a"; pay2=$pay; sale2=$sale
check 0 "sync a" -- "$TERMINAL" sync a.db
sell a twin 300; pass "sale 1 at a, not uploaded yet"; pay1=$pay; sale1=$sale
before=$(revocations)
check 0 "the rival asks online with the photographed code" -- "$CLIENT" online h.db "$akey" "$url/v1/authorize" "$pay1"
[ "$(json "j['status'], j['result'], j['reason']")" = "200 2 3" ]; pass "declined online: wrong_terminal"
check 0 "h uploads junk and the photographed codes" -- "$CLIENT" sync h.db "$akey" "$url/v1/sync" --junk "$pay1" --junk "$pay2" --append "$pay1" --append "$pay2"
[ "$(json "j['status'], [(v['state'], v['reason']) for v in j['verdicts']]")" = "200 [(2, 2), (2, 2), (2, 3), (2, 3)]" ]; pass "junk: bad_signature; the photographed codes: wrong_terminal"
check 0 "sync a: the real sale 1 comes after them" -- "$TERMINAL" sync a.db --json
for s in $sale1 $sale2; do
  sale_json a $s
  [ "$(json "j['state'], j['reason']")" = "settled " ]; pass "a's sale $s settled"
done
[ "$(balance "$tcid")" = 500 ]; pass "the payer debited once for each sale"
[ "$(revocations)" = "$before" ]; pass "nothing revoked"
out=$("$ACQUIRER" report acq --json)
[ "$(json "sum(m['double_spends'] for m in j['merchants'])")" = 0 ]; pass "the report shows no double spend"
check 0 "the payer pays again at a" -- sell a twin 10
check 0 "sync a" -- "$TERMINAL" sync a.db
sale_json a "$sale"
[ "$(json "j['state']")" = settled ]; pass "the credential is not blocked"

# 5. A retryable sale closed while the payer tops up. Sale w: closed, and the close reaches
# the acquirer before the top-up: withdrawn, never debited. Sale g: closed, the top-up
# settles it before the close arrives: settled stands, the terminal says give back.
new_payer late 100; lcid=$cid
sell b late 300; pass "sale w at b"; salew=$sale
sell b late 400; pass "sale g at b"; saleg=$sale
check 0 "sync b" -- "$TERMINAL" sync b.db
check 0 "close w (collected otherwise)" -- "$TERMINAL" close b.db "$salew" --collected-otherwise
check 0 "sync b: the close reaches the acquirer" -- "$TERMINAL" sync b.db
sale_json b "$salew"
[ "$(json "j['state'], j['reason']")" = "collected-otherwise withdrawn" ]; pass "w: withdrawn, shown closed"
check 0 "close g (collected otherwise)" -- "$TERMINAL" close b.db "$saleg" --collected-otherwise
sale_json b "$saleg"
[ "$(json "j['state']")" = closing ]; pass "g: closing until withdrawn arrives"
check 0 "the payer tops up 400" -- "$ACQUIRER" topup acq "$lcid" 400 --json
[ "$(json "j['settled'], j['balance']")" = "1 100" ]; pass "the top-up settles g only (w is withdrawn)"
check 0 "sync b: the close of g arrives after the top-up" -- "$TERMINAL" sync b.db
sale_json b "$saleg"
[ "$(json "j['state'], j['give_back']")" = "settled True" ]; pass "g: settled stands, the terminal says give back"
sale_json b "$salew"
[ "$(json "j['state'], j['reason']")" = "collected-otherwise withdrawn" ]; pass "w: still withdrawn"
check 0 "the payer tops up 1000" -- "$ACQUIRER" topup acq "$lcid" 1000 --json
[ "$(json "j['settled'], j['balance']")" = "0 1100" ]; pass "settles nothing more"
check 0 "asks for both (a client)" -- "$CLIENT" sync b.db "$akey" "$url/v1/sync" --ask "$salew" --ask "$saleg"
[ "$(json "[(v['state'], v['reason']) for v in j['verdicts'] if v['seq'] in ($salew, $saleg)]")" = "[(2, 10), (1, 0)]" ]; pass "their verdicts, unchanged"
[ "$(balance "$lcid")" = 1100 ]; pass "never debited twice"

# 6. An acquirer clock years ahead, then corrected: the answers move the terminal's floor
# (the latest answer's time, PROTOCOL.md "Trusted time"), so the corrected one unblocks it.
new_terminal c; pass "terminal c"
start_server $((OFFAUTH_NOW + 3 * 365 * 24 * H))
check 0 "c syncs with an acquirer 3 years ahead" -- "$TERMINAL" sync c.db --json
[ "$(json "j.get('clock_ahead')")" = True ]; pass "the terminal shows an acquirer time ahead of its clock"
check 1 "a request" -- "$TERMINAL" request c.db 100 EUR --json
grep -q clock_untrusted <<<"$out$(cat err.txt)"; pass "blocked: clock_untrusted"
start_server $OFFAUTH_NOW
check 0 "c syncs with the corrected acquirer" -- "$TERMINAL" sync c.db --json
check 0 "a request" -- "$TERMINAL" request c.db 100 EUR
new_payer clock 1000; ccid=$cid
sell c clock 100; pass "a sale at c"
check 0 "sync c" -- "$TERMINAL" sync c.db
sale_json c "$sale"
[ "$(json "j['state'], j['reason']")" = "settled " ]; pass "settled (t_sale from the corrected clock)"
[ "$(balance "$ccid")" = 900 ]; pass "debited once"

echo "1..$n"
exit $fail
