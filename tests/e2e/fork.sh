#!/usr/bin/env bash
# A fork against the real `offauth-acquirer serve` on loopback: a kiosk database restored
# from a backup taken one sale earlier (a clone of the same terminal key) sells under the
# sale number of the real kiosk's last uploaded sale. Checked (PROTOCOL.md, "Reconciliation", the
# acquirer's fork paragraph):
# - the clone's upload is refused with 409, and its sale is still settled (payer-signed);
# - the real kiosk, the branch the acquirer keeps, syncs normally: its own sale under the
#   same number is settled, and no verdict of the clone's sale reaches it;
# - each sale id is debited once, however often the clone uploads;
# - the operator's recovery of the clone (re-registered from the last common row, re-pinned)
#   uploads its rows, which carry its sale's verdict; the acquirer then keeps the clone's
#   branch, and the real kiosk, now the other branch, refuses its answers (one key, one
#   chain: the operator retires one copy).
set -u
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/tap.sh"   # check, pass, json
ISSUER=${ISSUER:-offauth-issuer}
WALLET=${WALLET:-offauth-wallet}
TERMINAL=${TERMINAL:-offauth-terminal}
ACQUIRER=${ACQUIRER:-offauth-acquirer}
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

status () {  # status DB FIELD
  "$TERMINAL" status "$1" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$2"
}

sell () {  # sell DB PAYER AMOUNT: one offline sale; $sale
  local req pay
  req=$("$TERMINAL" request "$1" "$3" EUR) || return 1
  pay=$("$WALLET" pay "$2.wallet" "$(cat "$2.cred")" "$req" 2> /dev/null) || return 1
  sale=$("$TERMINAL" authorize "$1" "$pay" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['sale_number'])")
}

state_of () {  # state_of DB SALE: its state
  "$TERMINAL" sales "$1" --json | "$PY" -c "import json,sys; s=[s for s in json.load(sys.stdin) if s['sale'] == int(sys.argv[1])][0]; print(s['state'])" "$2"
}

"$ISSUER" init iss > /dev/null
"$ISSUER" bundle iss --days 30 > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer init" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
"$ACQUIRER" serve acq > serve.out 2> serve.err &
server=$!
for _ in $(seq 200); do [ -s serve.out ] && break; sleep 0.05; done
url=$(head -n 1 serve.out); url=${url#listening on }
[ -n "$url" ]; pass "the acquirer listens on $url"

"$TERMINAL" init kiosk.db --trust bundle.txt --merchant shop-k --root "$fpr" > /dev/null
tpk=$(status kiosk.db terminal_public_key)
"$ACQUIRER" terminal acq --merchant shop-k --key "$tpk" > /dev/null &&
"$TERMINAL" acquirer kiosk.db "$url" --key "$akey" > /dev/null; pass "the kiosk enrolled, registered, pinned"
pk=$("$WALLET" new payer.wallet)
out=$("$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 100000 --count 20 --days 7 --json)
json "j['credential']" > payer.cred
cid=$(json "j['credential_id']")
check 0 "top-up 1000" -- "$ACQUIRER" topup acq "$(cat payer.cred)" 1000

sell kiosk.db payer 100; pass "a first sale"
check 0 "the kiosk syncs" -- "$TERMINAL" sync kiosk.db
check 0 "and again (its kind-9 row uploaded)" -- "$TERMINAL" sync kiosk.db --json
[ "$(json "j['waiting']")" = 0 ]; pass "nothing waiting"

# The backup: the database and its key, copied while nothing runs on them.
cp kiosk.db clone.db; cp kiosk.db.key clone.db.key
[ -e kiosk.db-wal ] && cp kiosk.db-wal clone.db-wal
common_seq=$(status clone.db journal_rows); common_hash=$(status clone.db journal_head)

sell kiosk.db payer 200; pass "the kiosk sells"; ksale=$sale
check 0 "the kiosk syncs" -- "$TERMINAL" sync kiosk.db --json
[ "$(state_of kiosk.db "$ksale")" = settled ]; pass "its sale $ksale settled"
sell clone.db payer 300; pass "the clone sells"; csale=$sale
[ "$ksale" = "$csale" ]; pass "under the same sale number ($ksale)"

check 1 "the clone syncs" -- "$TERMINAL" sync clone.db --json
grep -q 409 <<<"$out$(cat err.txt)"; pass "refused with 409"
[ "$(balance "$cid")" = 400 ]; pass "its sale settled anyway (payer-signed): 100 + 200 + 300 debited"
check 1 "the clone syncs again" -- "$TERMINAL" sync clone.db --json
[ "$(balance "$cid")" = 400 ]; pass "nothing debited twice"

sell kiosk.db payer 50; pass "the kiosk sells on"; knext=$sale
check 0 "the real kiosk syncs" -- "$TERMINAL" sync kiosk.db --json
[ "$(json "j['waiting'], j['refused']")" = "0 0" ]; pass "nothing waiting, no verdict refused"
[ "$(state_of kiosk.db "$ksale") $(state_of kiosk.db "$knext")" = "settled settled" ]; pass "its sales $ksale and $knext settled"
[ "$(balance "$cid")" = 350 ]; pass "debited once per sale id"
check 0 "and again" -- "$TERMINAL" sync kiosk.db --json
[ "$(json "j['waiting']")" = 0 ] && [ "$(balance "$cid")" = 350 ]; pass "changes nothing"
check 0 "the kiosk's journal verifies" -- "$TERMINAL" journal kiosk.db verify

# The operator's recovery of the clone: re-registered from the last common row, re-pinned.
check 0 "re-register from the last common row ($common_seq)" -- "$ACQUIRER" terminal acq --merchant shop-k --key "$tpk" --from-seq "$common_seq" --from-hash "$common_hash"
check 0 "the clone re-pins" -- "$TERMINAL" acquirer clone.db "$url" --key "$akey"
check 0 "the clone syncs" -- "$TERMINAL" sync clone.db --json
[ "$(json "j['waiting']")" = 0 ]; pass "its rows uploaded and acknowledged"
[ "$(state_of clone.db "$csale")" = settled ]; pass "its sale $csale carries its verdict: settled"
[ "$(balance "$cid")" = 350 ]; pass "nothing debited again"
# The real kiosk is now the other branch. Its request starts past the acquirer's acked_seq
# (a gap, answered before any fork check with acked_seq and the clone's hash there), so it
# gets no 409: it refuses the answer (h_acked is not its hash) and stays offline.
check 1 "the real kiosk, now the other branch" -- "$TERMINAL" sync kiosk.db --json
[ "$(json "j['error']")" = bad_answer ] && grep -q h_acked <<<"$out"; pass "refuses the answer: one key, one chain"
[ "$(balance "$cid")" = 350 ]; pass "and nothing is debited twice"
echo "1..$n"
exit $fail
