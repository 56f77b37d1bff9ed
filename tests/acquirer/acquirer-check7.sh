#!/usr/bin/env bash
# Settlement check 7 (over_offline_limit) against the real acquirer, across terminals:
# the offline total of the credential's earlier sales that are settled or in state 3 (a
# declined one does not count), the counter above max_offline_count (a rogue terminal's row),
# and check 7 run again at a top-up with each sale in its arrival place. Last, a list the
# issuer publishes while the server runs is used at the next sync (the server keeps what it
# read of the issuer folder until a file there changes).
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
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
n=0
fail=0

# sell TERMINAL_DB WALLET CREDENTIAL AMOUNT: one offline sale; $pay is the payment.
sell () {
  local req
  req=$("$TERMINAL" request "$1" "$4" EUR) || return 1
  pay=$("$WALLET" pay "$2" "$3" "$req") || return 1
  "$TERMINAL" authorize "$1" "$pay" --json > sold.json || return 1
}

balance () {  # balance CREDENTIAL_ID
  "$ACQUIRER" report acq --json | "$PY" -c "import json,sys; j=json.load(sys.stdin); print(j['balances'].get(sys.argv[1], 'none'))" "$1"
}

# credential NAME TOTAL COUNT: a new payer NAME.wallet; $cred, $cid
credential () {
  local pk
  pk=$("$WALLET" new "$1.wallet")
  check 0 "credential $1 (total $2, count $3)" -- "$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 300 --total "$2" --count "$3" --days 7 --json
  cred=$(json "j['credential']"); cid=$(json "j['credential_id']")
}

# sync TERMINAL [CLIENT OPTIONS]: every row of the terminal's journal again (cursor 0: every
# verdict); $out holds the answer, verdicts by seq in $v
sync () {
  local t=$1; shift
  check 0 "sync $t" -- "$CLIENT" sync $t.db "$akey" "$url/v1/sync" "$@"
}

verdicts () {  # the (state, reason) of every verdict, in seq order
  json "[(v['state'], v['reason']) for v in sorted(j['verdicts'], key=lambda v: v['seq'])]"
}

# The running total of check 7 (where the acquirer keeps one) against the sum it stands for.
totals_agree () {
  "$PY" - acq/acquirer.db <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
if not db.execute("select 1 from sqlite_master where name = 'offline_totals'").fetchone():
    sys.exit(0)
kept = dict(db.execute("select cred, total from offline_totals where total <> 0"))
summed = dict(db.execute("select cred, sum(amount) from sales where mode = 0 "
                         "and state in (1, 3) and cred <> 0 group by cred"))
# every sale with a payment carries its credential's number
if db.execute("select count(*) from sales s left join credentials c on c.id = s.cred "
              "where s.credential is not c.credential").fetchone()[0]:
    sys.exit(1)
sys.exit(0 if kept == summed else 1)
PYEOF
}

check 0 "issuer" -- "$ISSUER" init iss
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
for t in a b c; do
  check 0 "terminal $t" -- "$TERMINAL" init $t.db --trust bundle.txt --merchant shop-$t --root "$fpr"
  "$TERMINAL" status $t.db --json > st.json
  tpk=$("$PY" -c "import json; print(json.load(open('st.json'))['terminal_public_key'])")
  check 0 "register terminal $t" -- "$ACQUIRER" terminal acq --merchant shop-$t --key "$tpk"
done

"$ACQUIRER" serve acq > serve.out 2> serve.err &
server=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.05; done
url=$(head -n 1 serve.out); url=${url#listening on }

# Over offline_total_limit across two terminals: each terminal alone is within it.
credential x 500 5
xcid=$cid
check 0 "top-up x 5000" -- "$ACQUIRER" topup acq "$cred" 5000
sell a.db x.wallet "$cred" 300; pass "x pays 300 at a"
sell b.db x.wallet "$cred" 300; pass "x pays 300 at b (b alone is within the total)"
sync a
[ "$(verdicts)" = "[(1, 0)]" ]; pass "a: settled"
sync b
[ "$(verdicts)" = "[(2, 7)]" ]; pass "b: 300 + 300 over 500, declined over_offline_limit"
[ "$(balance "$xcid")" = 4700 ]; pass "only a's sale is debited"
# A declined sale does not count: 300 (a) + 200 is exactly the limit.
sell b.db x.wallet "$cred" 200; pass "x pays 200 at b"
sync b
[ "$(verdicts)" = "[(2, 7), (1, 0)]" ]; pass "b: the declined 300 does not count, 300 + 200 settles"
[ "$(balance "$xcid")" = 4500 ]; pass "debited 200"
sell a.db x.wallet "$cred" 1; pass "x pays 1 at a"
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7)]" ]; pass "a: one more over the limit is declined"
totals_agree; pass "the running totals agree with the sums"

# A sale in state 3 counts toward the total; the sale itself does not, when a top-up runs
# check 7 for it again.
credential y 500 5
ycid=$cred
check 0 "top-up y 250" -- "$ACQUIRER" topup acq "$cred" 250
sell a.db y.wallet "$cred" 300; pass "y pays 300 at a"
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7), (3, 8)]" ]; pass "a: insufficient funds, state 3"
sell b.db y.wallet "$cred" 250; pass "y pays 250 at b (the balance covers it)"
sync b
[ "$(verdicts)" = "[(2, 7), (1, 0), (2, 7)]" ]; pass "b: 300 in state 3 + 250 over 500, declined over_offline_limit"
check 0 "top-up y 100" -- "$ACQUIRER" topup acq "$ycid" 100 --json
[ "$(json "j['settled'], j['balance']")" = "1 50" ]; pass "the top-up runs checks 7 and 8 again: the sale in state 3 settles"
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7), (1, 0)]" ]; pass "a: settled"
totals_agree; pass "the running totals agree with the sums"

# Held sales (no account yet) count in state 3 without check 7 having run: the top-up that
# creates the account runs it for each in arrival order, so that the first stays within
# the limit and the second goes over.
credential z 500 5
zcred=$cred; zcid=$cid
sell a.db z.wallet "$cred" 300; pass "z pays 300 at a"
sell b.db z.wallet "$cred" 300; pass "z pays 300 at b"
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7), (1, 0), (3, 4)]" ]; pass "a: held, unknown_credential"
sync b
[ "$(verdicts)" = "[(2, 7), (1, 0), (2, 7), (3, 4)]" ]; pass "b: held, unknown_credential"
totals_agree; pass "the running totals agree with the sums"
check 0 "top-up z 1000" -- "$ACQUIRER" topup acq "$zcred" 1000 --json
[ "$(json "j['settled'], j['balance']")" = "1 700" ]; pass "the top-up settles one of them"
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7), (1, 0), (1, 0)]" ]; pass "a (arrived first): settled"
sync b
[ "$(verdicts)" = "[(2, 7), (1, 0), (2, 7), (2, 7)]" ]; pass "b (arrived second): over_offline_limit"
[ "$(balance "$zcid")" = 700 ]; pass "debited once"
totals_agree; pass "the running totals agree with the sums"

# counter above max_offline_count: the terminal's own check refuses it, so the row is a
# rogue terminal's (c uploads a payment it never authorized).
credential q 5000 2
check 0 "top-up q 1000" -- "$ACQUIRER" topup acq "$cred" 1000
sell a.db q.wallet "$cred" 10; pass "q pays at a (counter 1)"
sell a.db q.wallet "$cred" 10; pass "q pays at a (counter 2)"
req=$("$TERMINAL" request c.db 10 EUR)
pay3=$("$WALLET" pay q.wallet "$cred" "$req")
check 1 "c's terminal refuses counter 3" -- "$TERMINAL" authorize c.db "$pay3" --json
sync a
[ "$(verdicts)" = "[(1, 0), (2, 7), (1, 0), (1, 0), (1, 0), (1, 0)]" ]; pass "a: both settled"
sync c --append "$pay3"
[ "$(verdicts)" = "[(2, 7)]" ]; pass "c: counter 3 over max_offline_count 2, over_offline_limit"
totals_agree; pass "the running totals agree with the sums"

# The issuer revokes a credential while the server runs (the list dated 1000 s back, so that
# the sale is past the list's grace): the next sync declines its sale as revoked.
credential r 5000 5
check 0 "top-up r 1000" -- "$ACQUIRER" topup acq "$cred" 1000
sell a.db r.wallet "$cred" 10; pass "r pays at a"
sync a
[ "$(verdicts | tr -d ' ' | grep -o '([0-9],[0-9])]$')" = "(1,0)]" ]; pass "a: settled"
check 0 "the issuer revokes r" -- env OFFAUTH_NOW=$(($(date +%s) - 1000)) "$ISSUER" revoke iss "$cid"
sell a.db r.wallet "$cred" 10; pass "r pays at a again (a holds no list)"
sync a
[ "$(verdicts | tr -d ' ' | grep -o '([0-9],[0-9])]$')" = "(2,6)]" ]; pass "a: the new list is used at once, revoked"

kill -TERM "$server"; wait "$server"; st=$?; server=
[ "$st" = 0 ]; pass "SIGTERM stops the server"
echo "1..$n"
exit $fail
