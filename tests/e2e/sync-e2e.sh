#!/usr/bin/env bash
# End to end: offauth-terminal sync against the real `offauth-acquirer serve` on loopback
# (port 0), and against a hostile one (fake-acquirer.py in front of the real one).
# Checked: a day of 2,000 sales settled once and a repeated sync changing nothing;
# insufficient funds, a retry ask, a top-up; a double spend across two terminals (revoked,
# refused at both after their next sync); a clock 2 hours behind; an acquirer that lost
# rows; 500, a hang, a closed connection, garbage, a replayed answer, a wrong key and 413.
set -u
ISSUER=${ISSUER:-offauth-issuer}
WALLET=${WALLET:-offauth-wallet}
TERMINAL=${TERMINAL:-offauth-terminal}
ACQUIRER=${ACQUIRER:-offauth-acquirer}
SELL=${SELL:-e2e-sell}
FAKE=${FAKE:?fake-acquirer.py}
SALES=${E2E_SALES:-2000}
PY=/usr/bin/python3
dir=$(mktemp -d)
server=; fake=
cleanup () {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$fake" ] && kill "$fake" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"
n=0
fail=0

check () {  # check EXPECTED_STATUS DESCRIPTION -- COMMAND...
  local want=$1 what=$2; shift 3
  n=$((n + 1))
  out=$("$@" 2>err.txt); got=$?
  if [ "$got" != "$want" ]; then
    echo "not ok $n - $what (exit $got, wanted $want): $out $(cat err.txt)"; fail=1
  else
    echo "ok $n - $what"
  fi
}

pass () {  # CONDITION; pass DESCRIPTION
  local st=$? what=$1
  n=$((n + 1))
  if [ $st = 0 ]; then echo "ok $n - $what"; else echo "not ok $n - $what: $out $(cat err.txt 2>/dev/null)"; fail=1; fi
}

json () { "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"; }

balance () {
  "$ACQUIRER" report acq --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['balances'].get(sys.argv[1], 'none'))" "$1"
}

count () {  # count DB STATE
  "$TERMINAL" sales "$1" --state "$2" --csv | tail -n +2 | wc -l
}

start_server () {
  "$ACQUIRER" serve acq > serve.out 2> serve.err &
  server=$!
  for _ in $(seq 200); do [ -s serve.out ] && break; sleep 0.05; done
  url=$(head -n 1 serve.out); url=${url#listening on }
}

new_payer () {  # new_payer NAME COUNT: a wallet and its credential in NAME.cred; $cid
  local pk
  pk=$("$WALLET" new "$1.wallet")
  out=$("$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 1000000 --count "$2" --days 7 --json)
  json "j['credential']" > "$1.cred"
  cid=$(json "j['credential_id']")
}

new_terminal () {  # new_terminal NAME: enrolled, caps raised, registered, pinned
  local tpk
  "$TERMINAL" init "$1.db" --trust bundle.txt --merchant "shop-$1" --root "$fpr" \
    --cap-count 0 --cap-total 0 > /dev/null || return 1
  tpk=$("$TERMINAL" status "$1.db" --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['terminal_public_key'])")
  "$ACQUIRER" terminal acq --merchant "shop-$1" --key "$tpk" > /dev/null &&
  "$TERMINAL" acquirer "$1.db" "$url" --key "$akey" > /dev/null
}

# The issuer's material is a day old, so that a terminal whose clock is 2 hours behind can
# enroll (its floor is the bundle's issued_at).
now=$(date +%s)
OFFAUTH_NOW=$((now - 86400)) "$ISSUER" init iss > /dev/null
OFFAUTH_NOW=$((now - 86400)) "$ISSUER" bundle iss > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "acquirer init" -- "$ACQUIRER" init acq --issuer iss --json
akey=$(json "j['acquirer_key']")
start_server
[ -n "$url" ]; pass "the acquirer listens on $url"

# A day of sales on one terminal, one sync.
new_terminal a; pass "terminal a enrolled, registered, pinned"
new_payer day $((SALES + 50)); dcid=$cid
check 0 "top-up" -- "$ACQUIRER" topup acq "$(cat day.cred)" 100000
start=$(date +%s.%N)
check 0 "$SALES offline sales" -- "$SELL" a.db day.wallet day.cred "$SALES" 10
echo "# $SALES sales in $("$PY" -c "print(round($(date +%s.%N) - $start, 1))") s"
start=$(date +%s.%N)
check 0 "one sync" -- "$TERMINAL" sync a.db --json
echo "# the sync of $SALES sales took $("$PY" -c "print(round($(date +%s.%N) - $start, 2))") s"
[ "$(json "j['sales'], j['waiting'], j['applied']")" = "{'settled': $SALES} 0 $SALES" ]; pass "every sale settled, none waiting"
[ "$(balance "$dcid")" = $((100000 - 10 * SALES)) ]; pass "the balance debited once per sale"
check 0 "the same sync again" -- "$TERMINAL" sync a.db --json
[ "$(json "j['applied'], j['sales']")" = "0 {'settled': $SALES}" ]; pass "changes nothing"
[ "$(balance "$dcid")" = $((100000 - 10 * SALES)) ]; pass "and debits nothing"
out=$("$ACQUIRER" report acq --json)
[ "$(json "[m['settled_count'] for m in j['merchants'] if m['merchant_id'] == 'shop-a'][0]")" = "$SALES" ]; pass "the acquirer's report: $SALES settled"
check 0 "the journal verifies" -- "$TERMINAL" journal a.db verify

# One sync at a time: the terminal is held while a sync runs.
echo 500 > mode
"$PY" "$FAKE" "$url" mode port "$SELL" 2> fake.err & fake=$!
for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
furl=http://127.0.0.1:$(cat port)

# Insufficient funds, a retry ask, a top-up.
new_payer short 10; scid=$cid
check 0 "top-up 100" -- "$ACQUIRER" topup acq "$(cat short.cred)" 100
check 0 "a sale of 300" -- "$SELL" a.db short.wallet short.cred 1 300
check 0 "sync" -- "$TERMINAL" sync a.db
check 0 "sales in retry" -- "$TERMINAL" sales a.db --state retry --json
[ "$(json "len(j), j[0]['reason'], j[0]['attempt'], j[0]['retry_after'] > $now")" = "1 insufficient_funds 1 True" ]; pass "declined late: insufficient_funds, retry_after ahead"
sale=$(json "j[0]['sale']")
check 0 "retry ask" -- "$TERMINAL" retry a.db "$sale"
check 0 "sync with the ask" -- "$TERMINAL" sync a.db
[ "$(count a.db retry)" = 1 ]; pass "still to retry: the ask uses no attempt while funds are short"
check 0 "top-up 500" -- "$ACQUIRER" topup acq "$scid" 500
check 0 "the next sync" -- "$TERMINAL" sync a.db
[ "$(count a.db retry) $(count a.db settled)" = "0 $((SALES + 1))" ]; pass "shows it settled"
[ "$(balance "$scid")" = 300 ]; pass "debited once"

# A double spend: a wallet restored from a backup pays at two terminals.
new_terminal b; pass "terminal b"
new_payer twin 10; tcid=$cid
check 0 "top-up" -- "$ACQUIRER" topup acq "$(cat twin.cred)" 5000
cp twin.wallet backup.wallet
check 0 "a sale at a" -- "$SELL" a.db twin.wallet twin.cred 1 200
check 0 "the restored wallet pays at b" -- "$SELL" b.db backup.wallet twin.cred 1 300
check 0 "sync a" -- "$TERMINAL" sync a.db
check 0 "sync b" -- "$TERMINAL" sync b.db --json
[ "$(json "j['blocked'], j['sales']")" = "1 {'declined': 1}" ]; pass "b: declined, the credential on the negative list"
check 0 "b's sale" -- "$TERMINAL" sales b.db --json
[ "$(json "j[0]['reason']")" = double_spend ]; pass "the reason is double_spend"
check 0 "sync a again" -- "$TERMINAL" sync a.db --json
[ "$(json "j['revocation_lists_loaded'] >= 1")" = True ]; pass "a loads the new revocation list"
for t in a b; do
  check 1 "the credential is refused at $t" -- "$SELL" $t.db twin.wallet twin.cred 1 50
  grep -qE "revoked|blocked|negative" err.txt; pass "refused at $t as revoked or blocked"
done
[ "$(balance "$tcid")" = 4800 ]; pass "only the first sale is debited"

# A clock 2 hours behind: the acquirer's time blocks the terminal; a right clock unblocks it.
export OFFAUTH_NOW=$((now - 7200))
new_terminal c; pass "terminal c, its clock 2 hours behind"
check 0 "a request before any sync" -- "$TERMINAL" request c.db 100 EUR
check 0 "the first sync" -- "$TERMINAL" sync c.db --json
check 1 "a request after it" -- "$TERMINAL" request c.db 100 EUR --json
grep -q clock_untrusted <<<"$out$(cat err.txt)"; pass "blocked: clock_untrusted"
export OFFAUTH_NOW=$now
check 0 "a sync with the clock right" -- "$TERMINAL" sync c.db
check 0 "a request after it" -- "$TERMINAL" request c.db 100 EUR
unset OFFAUTH_NOW

# The hostile acquirer: the terminal keeps its queue and says what happened.
check 0 "pin a to the fake acquirer" -- "$TERMINAL" acquirer a.db "$furl" --key "$akey"
check 0 "three sales" -- "$SELL" a.db day.wallet day.cred 3 10
for mode in 500 hang close garbage resign; do
  echo $mode > mode
  check 1 "sync against $mode" -- "$TERMINAL" sync a.db --timeout 1 --json
  [ "$(json "j['error']")" != refused ] && grep -q "Nothing is lost" <<<"$out"; pass "$mode: offline, says so: $(json "j['message']" | cut -c1-90)"
  [ "$(count a.db waiting)" -ge 3 ]; pass "$mode: the queue is intact"
done
echo proxy > mode
check 0 "sync through the proxy" -- "$TERMINAL" sync a.db --json
check 0 "one more sale" -- "$SELL" a.db day.wallet day.cred 1 10
echo replay > mode
check 1 "sync against a replayed answer" -- "$TERMINAL" sync a.db --json
[ "$(json "j['error']")" = bad_answer ]; pass "replay: refused as an answer to another request"
[ "$(count a.db waiting)" = 1 ]; pass "replay: the sale still waits"
check 0 "six sales" -- "$SELL" a.db day.wallet day.cred 6 10
echo 413 > mode
check 0 "sync against a 413 over 2,000 bytes" -- "$TERMINAL" sync a.db --json
[ "$(json "j['halvings'] >= 1, j['waiting']")" = "True 0" ]; pass "the terminal halves its requests and syncs"
check 0 "one sale" -- "$SELL" a.db day.wallet day.cred 1 10
echo 413all > mode
check 1 "sync against a 413 for one record" -- "$TERMINAL" sync a.db --json
[ "$(json "j['error']")" = refused ] && grep -q 413 <<<"$out"; pass "a 413 for one record stops syncing and says so"
[ "$(count a.db waiting)" = 1 ]; pass "413: the sale still waits"
check 0 "repin a to the real acquirer" -- "$TERMINAL" acquirer a.db "$url" --key "$akey"

# An acquirer that lost rows: restored from a copy taken before a sync.
kill -TERM "$server"; wait "$server"; server=
cp -a acq acq.before
start_server
"$TERMINAL" acquirer a.db "$url" --key "$akey" > /dev/null   # the same acquirer, a new port
check 0 "four sales" -- "$SELL" a.db day.wallet day.cred 4 10
check 0 "sync" -- "$TERMINAL" sync a.db
kill -TERM "$server"; wait "$server"; server=
rm -rf acq; mv acq.before acq
start_server
"$TERMINAL" acquirer a.db "$url" --key "$akey" > /dev/null   # the same acquirer, a new port
check 0 "sync with the acquirer that lost rows" -- "$TERMINAL" sync a.db --json
[ "$(json "j['waiting'], j['sales'].get('settled', 0) >= $SALES")" = "0 True" ]; pass "everything resent and acknowledged again"
[ "$(balance "$dcid")" = $((100000 - 10 * (SALES + 15))) ]; pass "the day's payer debited once per sale"
check 0 "the journal verifies" -- "$TERMINAL" journal a.db verify

# One sync at a time.
echo hang > mode
"$TERMINAL" acquirer b.db "$furl" --key "$akey" > /dev/null
"$TERMINAL" sync b.db --timeout 3 > /dev/null 2>&1 & first=$!
sleep 0.5
check 1 "a second sync while one runs" -- "$TERMINAL" sync b.db
grep -q "in use" err.txt; pass "says the terminal is in use"
wait $first
echo "1..$n"
exit $fail
