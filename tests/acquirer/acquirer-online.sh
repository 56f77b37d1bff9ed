#!/usr/bin/env bash
# Online authorization end to end: offauth-terminal authorize --online against the real
# acquirer on loopback. Checked: over the floor limit approved online (journaled, the
# payer debited), declined online for the balance (nothing recorded), the online sale's
# verdict after a sync, and with the acquirer down the offline decision within the timeout.
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
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
n=0
fail=0

json () { "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"; }

balance () {  # balance CREDENTIAL_ID
  "$ACQUIRER" report acq --json | "$PY" -c "import json,sys; j=json.load(sys.stdin); print(j['balances'].get(sys.argv[1], 'none'))" "$1"
}

check 0 "issuer" -- "$ISSUER" init iss
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
check 0 "terminal" -- "$TERMINAL" init t.db --trust bundle.txt --merchant shop --root "$fpr" --floor-limit 500
"$TERMINAL" status t.db --json > st.json
tpk=$("$PY" -c "import json; print(json.load(open('st.json'))['terminal_public_key'])")
check 0 "register the terminal" -- "$ACQUIRER" terminal acq --merchant shop --key "$tpk"
pk=$("$WALLET" new payer.wallet)
check 0 "credential" -- "$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7 --json
cred=$(json "j['credential']"); cid=$(json "j['credential_id']")
check 0 "top-up 1000" -- "$ACQUIRER" topup acq "$cred" 1000

"$ACQUIRER" serve acq > serve.out 2> serve.err &
server=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.05; done
url=$(head -n 1 serve.out); url=${url#listening on }
check 0 "pin the acquirer" -- "$TERMINAL" acquirer t.db "$url" --key "$akey"

req=$("$TERMINAL" request t.db 800 EUR)
pay=$("$WALLET" pay payer.wallet "$cred" "$req")
check 1 "offline: over the floor limit" -- "$TERMINAL" authorize t.db "$pay" --json
[ "$(json "j['reason']")" = over_floor_limit ]; pass "needs an online check"
check 0 "--online: approved" -- "$TERMINAL" authorize t.db "$pay" --online --json
[ "$(json "j['approved'], j['mode'], j['amount']")" = "True online 800" ]; pass "approved online"
sale=$(json "j['sale_number']")
[ "$(balance "$cid")" = 200 ]; pass "the payer is debited"
check 0 "scanned again" -- "$TERMINAL" authorize t.db "$pay" --online --json
[ "$(json "j['already_recorded'], j['sale_number']")" = "True $sale" ]; pass "the same sale, recorded once"
[ "$(balance "$cid")" = 200 ]; pass "nothing debited twice"

req=$("$TERMINAL" request t.db 600 EUR)
pay=$("$WALLET" pay payer.wallet "$cred" "$req")
check 1 "--online over the balance" -- "$TERMINAL" authorize t.db "$pay" --online --json
[ "$(json "j['approved'], j['online_reason'], j['message']")" = "False insufficient_funds The payer's balance is too low." ]; pass "declined online, in plain words"

check 0 "sync" -- "$TERMINAL" sync t.db --json
check 0 "sales" -- "$TERMINAL" sales t.db --json
[ "$(json "[(s['mode'], s['state'], s['waiting']) for s in j if s['sale'] == $sale]")" = "[('online', 'settled', False)]" ]; pass "the online sale settled by its verdict, acknowledged"
check 0 "journal verify" -- "$TERMINAL" journal t.db verify

# The acquirer down: the offline decision, within the online timeout.
kill -TERM "$server"; wait "$server"; server=
req=$("$TERMINAL" request t.db 700 EUR)
pay=$("$WALLET" pay payer.wallet "$cred" "$req")
start=$(date +%s%N)
check 1 "--online with the acquirer down" -- "$TERMINAL" authorize t.db "$pay" --online --json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(json "j['reason']")" = over_floor_limit ]; pass "the offline decision stands"
[ "$ms" -lt 3500 ]; pass "within the online timeout ($ms ms)"
echo "1..$n"
exit $fail
