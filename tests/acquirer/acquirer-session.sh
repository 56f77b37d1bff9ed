#!/usr/bin/env bash
# The reference acquirer with the real tools: init, terminal registration, top-ups by text,
# file, standard input and id, then the HTTP server on a free loopback port (health, trust,
# revocations, 404, 405, 413, 400 for bodies that are no request), SIGTERM, and the refusal of
# plain HTTP off loopback. Exit codes and JSON are checked at every step.
set -u
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

pass () {  # CONDITION; pass DESCRIPTION: a test that passes when the condition held
  local st=$? what=$1
  n=$((n + 1))
  if [ $st = 0 ]; then echo "ok $n - $what"; else echo "not ok $n - $what: $out"; fail=1; fi
}

json () {  # json EXPRESSION: evaluate a Python expression on the last output, as j
  "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"
}

# http METHOD URL [BODY_FILE [HEADER]]: sets $status and $out (the body); curl, or Python.
http () {
  local method=$1 url=$2 body=${3:-} header=${4:-}
  if command -v curl >/dev/null; then
    local args=(-s -o body.out -w '%{http_code}' -X "$method")
    [ -n "$body" ] && args+=(--data-binary "@$body")
    [ -n "$header" ] && args+=(-H "$header")
    status=$(curl "${args[@]}" "$url")
  else
    status=$("$PY" - "$method" "$url" "$body" <<'PYEOF'
import sys, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(body, 'rb').read() if body else None
req = urllib.request.Request(url, data=data, method=method)
try:
    r = urllib.request.urlopen(req); code, text = r.status, r.read()
except urllib.error.HTTPError as e:
    code, text = e.code, e.read()
open('body.out', 'wb').write(text); print(code)
PYEOF
)
  fi
  out=$(cat body.out 2>/dev/null)
}

check 0 "acquirer --help" -- "$ACQUIRER" --help
for c in init terminal topup serve report; do
  check 0 "acquirer $c --help" -- "$ACQUIRER" $c --help
done
check 2 "unknown command" -- "$ACQUIRER" frobnicate
check 2 "init without --issuer" -- "$ACQUIRER" init acq
check 2 "init with a folder that is no issuer" -- "$ACQUIRER" init acq --issuer nowhere
check 0 "issuer init" -- "$ISSUER" init iss
check 0 "acquirer init" -- "$ACQUIRER" init acq --issuer iss --json
acq_key=$(json "j['acquirer_key']")
[ "${#acq_key}" = 43 ]; pass "the acquirer key is 43 characters of base64url"
[ "$(stat -c %a acq/acquirer.key)" = 600 ]; pass "the acquirer key is 0600"
check 2 "acquirer init never overwrites" -- "$ACQUIRER" init acq --issuer iss

# A real terminal, registered by the public key its status prints.
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
fpr=$("$ISSUER" fingerprint iss)
check 0 "terminal init" -- "$TERMINAL" init t.db --trust bundle.txt --merchant kiosk-1 --root "$fpr"
check 0 "terminal status prints its public key" -- "$TERMINAL" status t.db --json
tpk=$(json "j['terminal_public_key']")
tid=$(json "j['terminal_id']")
check 0 "terminal status in text" -- "$TERMINAL" status t.db
grep -q -- "$tpk" <<<"$out"; pass "the text names the public key"
check 2 "terminal with a bad key" -- "$ACQUIRER" terminal acq --merchant kiosk-1 --key nope
check 2 "terminal with a bad merchant id" -- "$ACQUIRER" terminal acq --merchant "much-too-long-merchant-id" --key "$tpk"
check 2 "--from-seq without --from-hash" -- "$ACQUIRER" terminal acq --merchant kiosk-1 --key "$tpk" --from-seq 3
check 0 "register the terminal" -- "$ACQUIRER" terminal acq --merchant kiosk-1 --key "$tpk" --json
[ "$(json "j['terminal_id']")" = "$tid" ]; pass "terminal_id is H(terminal_pk)[0..16], as the terminal says"
check 1 "registering it again is refused" -- "$ACQUIRER" terminal acq --merchant kiosk-1 --key "$tpk" --json
[ "$(json "j['error']")" = already_registered ]; pass "as already_registered"
check 0 "a take-over from a row" -- "$ACQUIRER" terminal acq --merchant kiosk-1 --key "$tpk" --scope 7 \
  --from-seq 3 --from-hash 0000000000000000000000000000000000000000000000000000000000000000 --json
[ "$(json "j['registered']")" = again ]; pass "registers it again"

# Top-ups: by text, file, standard input and id; all reach one account.
pk=$("$WALLET" new payer.wallet)
check 0 "credential" -- "$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7
cred=$out
echo "$cred" > cred.txt
check 2 "top-up of nothing" -- "$ACQUIRER" topup acq "$cred" 0
check 2 "top-up of a bad amount" -- "$ACQUIRER" topup acq "$cred" 4.50
check 2 "top-up of an unknown id" -- "$ACQUIRER" topup acq 00112233445566778899aabbccddeeff 100
check 0 "top-up by text" -- "$ACQUIRER" topup acq "$cred" 5000 --json
[ "$(json "j['account']") $(json "j['balance']")" = "created 5000" ]; pass "opens the account"
cid=$(json "j['credential_id']")
check 0 "top-up by file" -- "$ACQUIRER" topup acq cred.txt 100 --json
[ "$(json "j['account']") $(json "j['balance']")" = "existing 5100" ]; pass "credits the same account"
n=$((n + 1)); out=$(printf '%s\n' "$cred" | "$ACQUIRER" topup acq - 10 --json); st=$?
[ $st = 0 ] && [ "$(json "j['balance']")" = 5110 ] && echo "ok $n - top-up from standard input" || { echo "not ok $n - stdin: $out"; fail=1; }
check 0 "top-up by id" -- "$ACQUIRER" topup acq "$cid" 1 --json
[ "$(json "j['balance']")" = 5111 ]; pass "credits the same account"
# A credential signed by a key no bundle holds is not credited.
check 0 "another issuer" -- "$ISSUER" init iss2
check 0 "its credential" -- "$ISSUER" credential iss2 --payer "$pk" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7
check 1 "a credential of another issuer is refused" -- "$ACQUIRER" topup acq "$out" 100
check 0 "report" -- "$ACQUIRER" report acq --json
[ "$(json "j['merchants'][0]['merchant_id'], j['merchants'][0]['terminals'][0]['terminal_id'], j['accounts'][0]['balance']")" = "kiosk-1 $tid 5111" ]; pass "names the merchant, its terminal and the account"
check 0 "report as CSV" -- "$ACQUIRER" report acq --csv
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ]; pass "a header and one line"
check 2 "report with --json and --csv" -- "$ACQUIRER" report acq --json --csv

# The server.
check 2 "plain HTTP off loopback is refused" -- "$ACQUIRER" serve acq --listen 0.0.0.0:0
check 2 "a listen address that does not parse" -- "$ACQUIRER" serve acq --listen here
"$ACQUIRER" serve acq > serve.out 2> serve.err &
server=$!
for _ in $(seq 100); do [ -s serve.out ] && break; sleep 0.05; done
line=$(head -n 1 serve.out)
url=${line#listening on }
[ "$line" != "$url" ] && [[ $url == http://127.0.0.1:* ]]; pass "the first line gives the URL"
out=$line

http GET "$url/v1/health"
[ "$status" = 200 ]; pass "health"
[ "$(json "j['version'], j['acquirer_key'], j['time'] > 0")" = "1 $acq_key True" ]; pass "health names version, time and the acquirer key"
http GET "$url/v1/trust"
[ "$status" = 200 ]; pass "trust"
cmp -s body.out bundle.txt; pass "trust is the issuer's latest bundle, byte for byte"
check 0 "a newer bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle2.txt
http GET "$url/v1/trust"
cmp -s body.out bundle2.txt; pass "is served at once"
http GET "$url/v1/revocations"
[ "$status" = 200 ] && [ ! -s body.out ]; pass "no list published yet: an empty answer"
check 0 "revoke the credential" -- "$ISSUER" revoke iss "$cid"
echo "$out" > list1.txt
http GET "$url/v1/revocations"
[ "$status" = 200 ] && cmp -s body.out list1.txt; pass "the new list is served at once"
key_id=$(ls iss | sed -n 's/^revocation-\([0-9a-f]*\)\.txt$/\1/p')
http GET "$url/v1/revocations?have=$key_id:1"
[ "$status" = 200 ] && [ ! -s body.out ]; pass "nothing newer than what the terminal has"
http GET "$url/v1/revocations?have=$key_id:0,0011223344556677:5"
[ "$status" = 200 ] && cmp -s body.out list1.txt; pass "the list newer than the one named"
http GET "$url/v1/revocations?have=nonsense"
[ "$status" = 400 ]; pass "a bad have is 400"
[ -n "$(json "j['error']")" ]; pass "with a JSON error"
http GET "$url/v1/nowhere"
[ "$status" = 404 ] && [ -n "$(json "j['error']")" ]; pass "an unknown path is 404"
http GET "$url/v1/health/more"
[ "$status" = 404 ]; pass "paths match exactly"
http POST "$url/v1/health" cred.txt
[ "$status" = 405 ]; pass "a wrong method is 405"
http POST "$url/v1/sync" cred.txt
[ "$status" = 400 ] && [ -n "$(json "j['error']")" ]; pass "a sync body that is no sync request is 400"
http POST "$url/v1/authorize" cred.txt
[ "$status" = 400 ] && [ -n "$(json "j['error']")" ]; pass "an authorize body that is no online request is 400"
# A sync body over the spec's 64 MiB: refused from its Content-Length.
head -c 67108866 /dev/zero > big.bin
http POST "$url/v1/sync" big.bin
[ "$status" = 413 ] && [ -n "$(json "j['error']")" ]; pass "a huge body is 413"
head -c 2000 /dev/zero > small.bin
if command -v curl >/dev/null; then
  http POST "$url/v1/authorize" small.bin "Transfer-Encoding: chunked"
  [ "$status" = 413 ]; pass "a chunked body over its route's limit is 413"
fi
rm -f big.bin
http GET "$url/v1/health"
[ "$status" = 200 ]; pass "the server still answers"
# A change made while it serves (a top-up at the booth) shares the database.
check 0 "top-up while serving" -- "$ACQUIRER" topup acq "$cid" 1 --json
kill -TERM "$server"; wait "$server"; st=$?; server=
[ "$st" = 0 ]; pass "SIGTERM stops it with status 0"

# HTTPS, where a certificate can be made.
if command -v openssl >/dev/null && command -v curl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
    -out tls.crt -days 2 -subj /CN=localhost >/dev/null 2>&1
  "$ACQUIRER" serve acq --listen 127.0.0.1:0 --tls-certificate tls.crt --tls-key tls.key > tls.out 2> tls.err &
  server=$!
  for _ in $(seq 100); do [ -s tls.out ] && break; sleep 0.05; done
  url=$(head -n 1 tls.out); url=${url#listening on }
  out=$url
  [[ $url == https://127.0.0.1:* ]]; pass "with TLS the URL is https"
  out=$(curl -sk "$url/v1/health")
  [ "$(json "j['acquirer_key']")" = "$acq_key" ]; pass "health over HTTPS"
  kill -TERM "$server"; wait "$server"; server=
else
  echo "ok $((n += 1)) - # SKIP no openssl or curl for HTTPS"
fi
echo "1..$n"
exit $fail
