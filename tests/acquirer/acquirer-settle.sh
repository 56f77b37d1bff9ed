#!/usr/bin/env bash
# Settlement against the real acquirer: real terminals (offauth-terminal) sell to real
# wallets (offauth-wallet); acquirer-client builds sync and online requests from the
# terminals' journals and keys and posts them to `offauth-acquirer serve` on loopback.
# Checked: every sale settled once, a repeated request changes nothing, insufficient funds
# then a top-up, a double spend across two terminals (both see it, the credential revoked
# and served), 403, 409, a gap, 400, 413, online approve/decline/repeat, the report.
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

rows () { "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select max(seq) from journal').fetchone()[0])" "$1"; }

balance () {  # balance CREDENTIAL_ID
  "$ACQUIRER" report acq --json | "$PY" -c "import json,sys; j=json.load(sys.stdin); print(j['balances'].get(sys.argv[1], 'none'))" "$1"
}

check 0 "issuer" -- "$ISSUER" init iss
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
for t in a b; do
  check 0 "terminal $t" -- "$TERMINAL" init $t.db --trust bundle.txt --merchant shop-$t --root "$fpr"
  "$TERMINAL" status $t.db --json > st.json
  tpk=$("$PY" -c "import json; print(json.load(open('st.json'))['terminal_public_key'])")
  check 0 "register terminal $t" -- "$ACQUIRER" terminal acq --merchant shop-$t --key "$tpk"
done

pk=$("$WALLET" new payer.wallet)
check 0 "credential" -- "$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7 --json
cred=$(json "j['credential']"); cid=$(json "j['credential_id']")
check 0 "top-up 1000" -- "$ACQUIRER" topup acq "$cred" 1000

"$ACQUIRER" serve acq > serve.out 2> serve.err &
server=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.05; done
url=$(head -n 1 serve.out); url=${url#listening on }

# Three sales at terminal a, one sync: all settled, the balance debited once each.
for amount in 100 150 250; do
  sell a.db payer.wallet "$cred" $amount; pass "sale of $amount at a"
done
last=$(rows a.db)
check 0 "sync a" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync"
[ "$(json "j['status'], j['valid'], j['acked_seq'] == $last")" = "200 True True" ]; pass "200, signed, every row acknowledged"
[ "$(json "[(v['state'], v['reason'], v['attempt'], v['problem']) for v in j['verdicts']]")" = "[(1, 0, 1, False), (1, 0, 1, False), (1, 0, 1, False)]" ]; pass "three sales settled"
cursor=$(json "j['cursor']")
[ "$cursor" = 3 ]; pass "the cursor is the third version"
[ "$(balance "$cid")" = 500 ]; pass "the balance is debited once per sale"
check 0 "the same request again" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync"
[ "$(json "j['status'], len(j['verdicts']), j['cursor']")" = "200 3 3" ]; pass "the same verdicts, no new version"
[ "$(balance "$cid")" = 500 ]; pass "and nothing debited twice"
check 0 "a poll" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --cursor "$cursor"
[ "$(json "j['status'], j['acked_seq'] == $last, len(j['verdicts'])")" = "200 True 0" ]; pass "a poll after the cursor: no verdict"

# Insufficient funds: declined late with retry_after, then a top-up settles it.
sell a.db payer.wallet "$cred" 700; pass "a sale over the balance"
check 0 "sync a" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --cursor "$cursor"
[ "$(json "[(v['state'], v['reason'], v['attempt'], v['retry_after'] > j['time'], v['problem']) for v in j['verdicts']]")" = "[(3, 8, 1, True, False)]" ]; pass "retry, insufficient_funds, attempt 1, retry_after ahead"
short_seq=$(json "j['verdicts'][0]['seq']")
cursor=$(json "j['cursor']"); last=$(rows a.db)
check 0 "an early retry ask" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --cursor "$cursor" --ask "$short_seq"
[ "$(json "[(v['state'], v['attempt']) for v in j['verdicts']]")" = "[(3, 1)]" ]; pass "uses no attempt"
check 0 "top-up 300" -- "$ACQUIRER" topup acq "$cid" 300 --json
[ "$(json "j['settled'], j['balance']")" = "1 100" ]; pass "the top-up settles the retryable sale"
check 0 "the next sync" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --cursor "$cursor"
[ "$(json "[(v['seq'], v['state'], v['reason']) for v in j['verdicts']]")" = "[($short_seq, 1, 0)]" ]; pass "shows it settled"
cursor=$(json "j['cursor']")

# Hostile requests: none changes a balance.
check 0 "a forged signature" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --forge
[ "$(json "j['status']")" = 403 ]; pass "is 403"
check 0 "a rewritten row" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --tamper 2
[ "$(json "j['status']")" = 409 ]; pass "is a fork: 409"
check 0 "a wrong prev_hash" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first 3 --prev-zero
[ "$(json "j['status']")" = 409 ]; pass "is a fork: 409"
check 0 "a gap" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 5)) --count 0 --cursor "$cursor"
[ "$(json "j['status'], j['acked_seq'] == $last, len(j['verdicts']), j['cursor']")" = "200 True 0 0" ]; pass "answers acked_seq, no verdict, cursor 0"
check 0 "cursor 0 again" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --count 0
[ "$(json "len(j['verdicts'])")" = 4 ]; pass "brings every verdict again"
head -c 3000 /dev/urandom > random.bin
status=$(curl -s -o body.out -w '%{http_code}' --data-binary @random.bin "$url/v1/sync")
[ "$status" = 400 ]; pass "random bytes are 400"
status=$(curl -s -o body.out -w '%{http_code}' --data-binary @random.bin "$url/v1/authorize")
[ "$status" = 413 ]; pass "a body over the online request's size is 413"
head -c 2000000 /dev/zero > big.bin
status=$(curl -s -o body.out -w '%{http_code}' -H "Transfer-Encoding: chunked" --data-binary @big.bin "$url/v1/authorize")
[ "$status" = 413 ]; pass "a chunked hostile body is 413"
[ "$(balance "$cid")" = 100 ]; pass "no hostile request changed the balance"

# A double spend across two terminals: a wallet restored from a backup pays at both.
check 0 "top-up 1000" -- "$ACQUIRER" topup acq "$cid" 1000
cp payer.wallet backup.wallet
sell a.db payer.wallet "$cred" 200; pass "a sale at a"
sell b.db backup.wallet "$cred" 300; pass "the restored wallet pays at b with the same counter"
curl -s "$url/v1/revocations" > before.txt
check 0 "sync a" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1)) --cursor "$cursor"
[ "$(json "[(v['state'], v['reason']) for v in j['verdicts']]")" = "[(1, 0)]" ]; pass "the first sale settles"
check 0 "sync b" -- "$CLIENT" sync b.db "$akey" "$url/v1/sync"
[ "$(json "[(v['state'], v['reason']) for v in j['verdicts']]")" = "[(2, 5)]" ]; pass "the second is a double spend"
[ "$(balance "$cid")" = 900 ]; pass "only the first is debited"
curl -s "$url/v1/revocations" > after.txt
[ ! -s before.txt ] && [ -s after.txt ]; pass "a revocation list is served at once"
check 0 "inspect the list" -- "$ISSUER" inspect "$(head -n 1 after.txt)" --json
grep -q "$cid" <<<"$out"; pass "it names the credential"
check 0 "report" -- "$ACQUIRER" report acq --json
[ "$(json "sorted((m['merchant_id'], m['double_spends']) for m in j['merchants'])")" = "[('shop-a', 1), ('shop-b', 1)]" ]; pass "both merchants see the double spend"
[ "$(json "[m['settled_count'] for m in j['merchants'] if m['merchant_id'] == 'shop-a'][0]")" = 5 ]; pass "shop-a: five settled"
[ "$(json "[m['declines'] for m in j['merchants'] if m['merchant_id'] == 'shop-b'][0]")" = "{'double_spend': 1}" ]; pass "shop-b: declines by reason"

# Online authorization: approve, the same request again, decline.
pk2=$("$WALLET" new payer2.wallet)
check 0 "a second credential" -- "$ISSUER" credential iss --payer "$pk2" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7 --json
cred2=$(json "j['credential']"); cid2=$(json "j['credential_id']")
check 0 "top-up 500" -- "$ACQUIRER" topup acq "$cred2" 500
req=$("$TERMINAL" request a.db 400 EUR)
pay=$("$WALLET" pay payer2.wallet "$cred2" "$req")
check 0 "online" -- "$CLIENT" online a.db "$akey" "$url/v1/authorize" "$pay" --created-at 1000
[ "$(json "j['status'], j['valid'], j['result'], j['reason'], j['amount']")" = "200 True 1 0 400" ]; pass "approved online"
t1=$(json "j['time']")
[ "$(balance "$cid2")" = 100 ]; pass "and debited"
check 0 "the same online request again" -- "$CLIENT" online a.db "$akey" "$url/v1/authorize" "$pay" --created-at 1000
[ "$(json "j['result'], j['time']")" = "1 $t1" ]; pass "the same decision"
[ "$(balance "$cid2")" = 100 ]; pass "nothing debited twice"
req=$("$TERMINAL" request a.db 300 EUR)
pay=$("$WALLET" pay payer2.wallet "$cred2" "$req")
check 0 "online over the balance" -- "$CLIENT" online a.db "$akey" "$url/v1/authorize" "$pay"
[ "$(json "j['status'], j['result'], j['reason']")" = "200 2 8" ]; pass "declined: insufficient_funds"
check 0 "a forged online request" -- "$CLIENT" online a.db "$akey" "$url/v1/authorize" "$pay" --forge
[ "$(json "j['status']")" = 403 ]; pass "is 403"
# The first online approval's row never came: a later row more than 600 s after the
# request (created_at 1000 above) reverses it, and the payer is credited back.
sell a.db payer2.wallet "$cred2" 10; pass "a later sale at a"
check 0 "sync a" -- "$CLIENT" sync a.db "$akey" "$url/v1/sync" --first $((last + 1))
[ "$(json "j['verdicts'][-1]['state']")" = 1 ]; pass "the later sale settles"
[ "$(balance "$cid2")" = 490 ]; pass "the online approval without its row is reversed (credited back)"
check 0 "report" -- "$ACQUIRER" report acq
grep -q "double spends: 1 sales" <<<"$out"; pass "the text report names the double spend"
check 0 "report as CSV" -- "$ACQUIRER" report acq --csv
[ "$(printf '%s\n' "$out" | wc -l)" = 3 ]; pass "a header and a line per terminal"
kill -TERM "$server"; wait "$server"; st=$?; server=
[ "$st" = 0 ]; pass "SIGTERM stops the server"
echo "1..$n"
exit $fail
