#!/usr/bin/env bash
# Kill loops: `offauth-acquirer serve` (or the terminal's sync) killed with SIGKILL at random
# moments during a large sync, restarted, synced again until done. In the end every sale is
# settled exactly once on both sides, the terminal's journal verifies and the acquirer's
# report agrees. The suite runs a short version (KILLS=3, SALES=300); run it by hand with
# the defaults for the long one:
#   ISSUER=… WALLET=… TERMINAL=… ACQUIRER=… SELL=… tests/e2e/kill-loop.sh [acquirer|terminal|both]
set -u
ISSUER=${ISSUER:-offauth-issuer}
WALLET=${WALLET:-offauth-wallet}
TERMINAL=${TERMINAL:-offauth-terminal}
ACQUIRER=${ACQUIRER:-offauth-acquirer}
SELL=${SELL:-e2e-sell}
KILLS=${KILLS:-20}
SALES=${SALES:-2000}
WHO=${1:-both}
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

pass () {
  local st=$? what=$1
  n=$((n + 1))
  if [ $st = 0 ]; then echo "ok $n - $what"; else echo "not ok $n - $what: ${out:-}"; fail=1; fi
}

start_server () {  # start_server [LISTEN]
  : > serve.out
  "$ACQUIRER" serve acq ${1:+--listen "$1"} > serve.out 2>> serve.err &
  server=$!
  for _ in $(seq 200); do [ -s serve.out ] && break; sleep 0.05; done
  url=$(head -n 1 serve.out); url=${url#listening on }
}

# A random moment within the first second of a sync.
pause () { sleep "0.$(printf '%03d' $((RANDOM % 1000)))"; }

"$ISSUER" init iss > /dev/null
"$ISSUER" bundle iss > bundle.txt
akey=$("$ACQUIRER" init acq --issuer iss --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['acquirer_key'])")
start_server
listen=${url#http://}
pk=$("$WALLET" new payer.wallet)
"$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 10000000 \
  --count $((4 * SALES + 10)) --days 7 --json > cred.json
"$PY" -c "import json; print(json.load(open('cred.json'))['credential'])" > payer.cred
cid=$("$PY" -c "import json; print(json.load(open('cred.json'))['credential_id'])")
"$ACQUIRER" topup acq "$(cat payer.cred)" 10000000 > /dev/null

total=0
for who in acquirer terminal; do
  [ "$WHO" = both ] || [ "$WHO" = $who ] || continue
  t=$who
  "$TERMINAL" init $t.db --trust bundle.txt --merchant shop-$t --root "$("$ISSUER" fingerprint iss)" \
    --cap-count 0 --cap-total 0 > /dev/null
  tpk=$("$TERMINAL" status $t.db --json | "$PY" -c "import json,sys; print(json.load(sys.stdin)['terminal_public_key'])")
  "$ACQUIRER" terminal acq --merchant shop-$t --key "$tpk" > /dev/null
  "$TERMINAL" acquirer $t.db "$url" --key "$akey" > /dev/null
  "$SELL" $t.db payer.wallet payer.cred "$SALES" 10 > /dev/null; pass "$t: $SALES sales"
  sold=$SALES
  kills=0
  for _ in $(seq "$KILLS"); do
    "$TERMINAL" sync $t.db --max-records 20 --timeout 5 > sync.out 2>&1 & sync=$!
    pause
    if [ $who = acquirer ]; then
      kill -KILL "$server" 2>/dev/null; wait "$server" 2>/dev/null
      wait $sync
      start_server "$listen"
    else
      kill -KILL $sync 2>/dev/null; wait $sync 2>/dev/null
    fi
    kills=$((kills + 1))
    # A queue that ran dry gets more sales, so that every kill lands in a sync.
    if ! "$TERMINAL" sales $t.db --state waiting --csv | tail -n +2 | grep -q .; then
      "$SELL" $t.db payer.wallet payer.cred $((SALES / 10)) 10 > /dev/null
      sold=$((sold + SALES / 10))
    fi
  done
  echo "# $who killed $kills times, $sold sales"
  total=$((total + sold))
  for _ in 1 2 3; do "$TERMINAL" sync $t.db --json > final.json 2> final.err && break; done
  out=$(cat final.json final.err)
  [ "$("$PY" -c "import json; j=json.load(open('final.json')); print(j['sales'], j['waiting'])")" = "{'settled': $sold} 0" ]
  pass "$who killed: every sale settled at the terminal, none waiting"
  out=$("$TERMINAL" journal $t.db verify 2>&1); pass "$who killed: the terminal's journal verifies"
  out=$("$ACQUIRER" report acq --json)
  [ "$("$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print([m['settled_count'] for m in j['merchants'] if m['merchant_id'] == 'shop-$t'][0])" "$out")" = "$sold" ]
  pass "$who killed: the acquirer settled each sale once"
  [ "$("$PY" -c "import json,sys; print(json.loads(sys.argv[1])['balances'][sys.argv[2]])" "$out" "$cid")" = $((10000000 - 10 * total)) ]
  pass "$who killed: the payer debited once per sale"
done
echo "1..$n"
exit $fail
