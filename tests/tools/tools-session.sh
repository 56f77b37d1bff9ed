#!/usr/bin/env bash
# The README's session with the real tools: issue a credential, make a request, sign,
# authorize; the same payment again is the same sale; a wallet restored from a backup
# is refused as a double spend. Exit codes and JSON are checked at every step.
set -u
ISSUER=${ISSUER:-offauth-issuer}
WALLET=${WALLET:-offauth-wallet}
TERMINAL=${TERMINAL:-offauth-terminal}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
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

expect () {  # expect PATTERN DESCRIPTION: the last output matches
  n=$((n + 1))
  if printf '%s' "$out" | grep -q -- "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2: $out"; fail=1; fi
}

json () {  # json EXPRESSION: evaluate a Python expression on the last output, as j
  /usr/bin/python3 -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"
}

check 0 "issuer --help" -- "$ISSUER" --help
check 0 "terminal authorize --help" -- "$TERMINAL" authorize --help
check 2 "unknown command" -- "$TERMINAL" frobnicate
check 2 "missing arguments" -- "$ISSUER" credential
check 0 "issuer init" -- "$ISSUER" init iss
check 2 "issuer init never overwrites" -- "$ISSUER" init iss
check 0 "fingerprint" -- "$ISSUER" fingerprint iss --json
fpr=$(json "j['root_fingerprint']")
check 0 "wallet new" -- "$WALLET" new payer.wallet
pk=$out
[ "$(stat -c %a payer.wallet)" = 600 ] && echo "ok $((n+=1)) - wallet is 0600" || { echo "not ok $((n+=1)) - wallet mode"; fail=1; }
[ "$(stat -c %a iss/root.key)" = 600 ] && echo "ok $((n+=1)) - root key is 0600" || { echo "not ok $((n+=1)) - root key mode"; fail=1; }
check 2 "credential with a bad key" -- "$ISSUER" credential iss --payer nope --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7
check 0 "credential" -- "$ISSUER" credential iss --payer "$pk" --currency EUR --per-payment 2000 --total 5000 --count 5 --days 7 --json
cred=$(json "j['credential']")
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
check 2 "terminal init with the wrong root" -- "$TERMINAL" init t.db --trust bundle.txt --merchant kiosk-1 --root 0000000000000000000000000000000000000000000000000000000000000000
[ ! -e t.db ] && echo "ok $((n+=1)) - nothing left behind" || { echo "not ok $((n+=1)) - t.db left behind"; fail=1; }
check 0 "terminal init" -- "$TERMINAL" init t.db --trust bundle.txt --merchant kiosk-1 --root "$fpr" --json
[ "$(stat -c %a t.db.key)" = 600 ] && echo "ok $((n+=1)) - terminal key is 0600" || { echo "not ok $((n+=1)) - terminal key mode"; fail=1; }
check 0 "revocation lists" -- "$ISSUER" revocations iss
echo "$out" > lists.txt
check 0 "load revocation lists" -- "$TERMINAL" revocations t.db lists.txt
check 1 "the same lists again are a rollback" -- "$TERMINAL" revocations t.db lists.txt

check 2 "request with a bad amount" -- "$TERMINAL" request t.db 4.50 EUR
check 0 "request" -- "$TERMINAL" request t.db 450 EUR
req=$out
cp payer.wallet backup.wallet
check 0 "pay" -- "$WALLET" pay payer.wallet "$cred" "$req"
pay=$out
[ ${#pay} = 443 ] && echo "ok $((n+=1)) - payment is 443 characters" || { echo "not ok $((n+=1)) - payment length ${#pay}"; fail=1; }
check 0 "pay the same request again: the same bytes" -- "$WALLET" pay payer.wallet "$cred" "$req"
[ "$out" = "$pay" ] && echo "ok $((n+=1)) - same payment" || { echo "not ok $((n+=1)) - wallet signed again"; fail=1; }
check 0 "authorize" -- "$TERMINAL" authorize t.db "$pay" --json
[ "$(json "j['approved'] and j['mode'] == 'offline' and not j['already_recorded']")" = True ] && echo "ok $((n+=1)) - approved offline" || { echo "not ok $((n+=1)) - $out"; fail=1; }
sale=$(json "j['sale_number']")
check 0 "the same payment scanned again" -- "$TERMINAL" authorize t.db "$pay" --json
[ "$(json "j['approved'] and j['already_recorded'] and j['sale_number'] == $sale")" = True ] && echo "ok $((n+=1)) - the same sale" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 0 "human output" -- "$TERMINAL" authorize t.db "$pay"
expect "Already paid: sale $sale" "says already paid"

check 0 "next request" -- "$TERMINAL" request t.db 300 EUR
req2=$out
cp backup.wallet payer.wallet
check 0 "the restored wallet signs" -- "$WALLET" pay payer.wallet "$cred" "$req2"
check 1 "a reused counter is a double spend" -- "$TERMINAL" authorize t.db "$out" --json
[ "$(json "j['reason']")" = counter_reused ] && echo "ok $((n+=1)) - counter_reused" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 1 "the old payment shown again" -- "$TERMINAL" authorize t.db "$pay" --json
[ "$(json "j['reason']")" = already_recorded ] && echo "ok $((n+=1)) - already_recorded" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 1 "a garbled scan" -- "$TERMINAL" authorize t.db "${pay:0:300}"
expect "could not be read" "says scan again"
echo "${pay:0:20}" > short.txt
check 1 "a cut payment from a file" -- "$TERMINAL" authorize t.db short.txt --json
[ "$(json "j['garbled']")" = True ] && echo "ok $((n+=1)) - garbled" || { echo "not ok $((n+=1)) - $out"; fail=1; }

check 0 "revoke" -- "$ISSUER" revoke iss "$(/usr/bin/python3 -c "import base64,sys; s=sys.argv[1][5:]; b=base64.urlsafe_b64decode(s+'='*(-len(s)%4)); print(b[16:32].hex())" "$cred")"
echo "$out" > revoked.txt
check 0 "load the new list" -- "$TERMINAL" revocations t.db revoked.txt
check 0 "request" -- "$TERMINAL" request t.db 100 EUR
req3=$out
check 0 "pay" -- "$WALLET" pay payer.wallet "$cred" "$req3"
check 1 "a revoked credential" -- "$TERMINAL" authorize t.db "$out" --json
[ "$(json "j['reason']")" = revoked ] && echo "ok $((n+=1)) - revoked" || { echo "not ok $((n+=1)) - $out"; fail=1; }

check 0 "status" -- "$TERMINAL" status t.db --json
[ "$(json "j['unsettled_count'] == 1 and j['unsettled_total'] == 450 and j['state'] == 'ready'")" = True ] && echo "ok $((n+=1)) - one sale waits" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 0 "checkpoint" -- "$TERMINAL" journal t.db checkpoint
echo "$out" > ckpt.txt
check 0 "journal list" -- "$TERMINAL" journal t.db
expect "sale" "lists the sale"
check 0 "journal verify" -- "$TERMINAL" journal t.db verify --checkpoint ckpt.txt
check 0 "newer bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle2.txt
check 0 "load newer bundle" -- "$TERMINAL" trust t.db bundle2.txt
check 1 "older bundle refused" -- "$TERMINAL" trust t.db bundle.txt

# Issuer key rotation: a new key signs from now on; the kiosk learns it from the next bundle,
# and credentials of both keys are accepted.
check 0 "rotate the issuer key" -- "$ISSUER" rotate iss
check 0 "bundle with both keys" -- "$ISSUER" bundle iss --json
[ "$(json "j['bundle'][:4]")" = OA1T ] && echo "ok $((n+=1)) - a bundle" || { echo "not ok $((n+=1)) - $out"; fail=1; }
echo "$(json "j['bundle']")" > bundle3.txt
check 0 "load it" -- "$TERMINAL" trust t.db bundle3.txt
check 0 "status" -- "$TERMINAL" status t.db --json
[ "$(json "j['issuer_keys'] == 2 and j['bundle_sequence'] == 3")" = True ] && echo "ok $((n+=1)) - two issuer keys" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 0 "a wallet for the new key" -- "$WALLET" new second.wallet
pk2=$out
check 0 "credential from the new key" -- "$ISSUER" credential iss --payer "$pk2" --currency EUR --per-payment 500 --total 1000 --count 3 --days 2
cred2=$out
check 0 "fresh revocation lists for both keys" -- "$ISSUER" revocations iss
echo "$out" > lists3.txt
check 0 "load them" -- "$TERMINAL" revocations t.db lists3.txt
check 0 "request" -- "$TERMINAL" request t.db 250 EUR
check 0 "pay with the new key's credential" -- "$WALLET" pay second.wallet "$cred2" "$out"
check 0 "approved" -- "$TERMINAL" authorize t.db "$out"
expect "Approved offline" "approved offline"

# Someone edits the sale in the database.
sqlite3 t.db "UPDATE journal SET record = substr(record, 1, 237) || x'01' || substr(record, 239) WHERE seq = $sale"
check 1 "journal verify finds the edit" -- "$TERMINAL" journal t.db verify --json
[ "$(json "j['first_bad_row'] == $sale")" = True ] && echo "ok $((n+=1)) - names row $sale" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "a tampered terminal does not start" -- "$TERMINAL" request t.db 100 EUR

echo "1..$n"
exit $fail
