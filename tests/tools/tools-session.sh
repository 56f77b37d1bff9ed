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
cred_id=$(json "j['credential_id']")
[ ${#cred_id} = 32 ] && echo "ok $((n+=1)) - credential --json gives the credential id" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 0 "inspect the credential" -- "$ISSUER" inspect "$cred" --json
[ "$(json "j['type'] == 'C' and j['credential_id'] == '$cred_id' and j['issuer_signature'] == 'not checked'")" = True ] && echo "ok $((n+=1)) - its fields, the same id" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 0 "bundle" -- "$ISSUER" bundle iss
echo "$out" > bundle.txt
check 0 "inspect the bundle" -- "$TERMINAL" inspect bundle.txt --json
[ "$(json "j['root_fingerprint'] == '$fpr' and j['root_signature'] == 'valid' and j['n'] == 1")" = True ] && echo "ok $((n+=1)) - fingerprint and root signature" || { echo "not ok $((n+=1)) - $out"; fail=1; }
issuer_pk=$(json "j['entries'][0]['issuer_public_key']")
check 0 "the credential under its issuer key" -- "$ISSUER" inspect "$cred" --key "$issuer_pk"
expect "issuer_signature: valid" "issuer signature valid"
check 1 "the credential under another key" -- "$ISSUER" inspect "$cred" --key "$pk" --json
[ "$(json "j['issuer_signature'] == 'invalid' and not j['signatures_valid']")" = True ] && echo "ok $((n+=1)) - invalid, exit 1" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "inspect a garbled text" -- "$ISSUER" inspect "${cred:0:100}" --json
[ "$(json "j['error']")" = malformed ] && echo "ok $((n+=1)) - malformed" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "inspect with a bad key" -- "$ISSUER" inspect "$cred" --key nope
check 2 "terminal init with the wrong root" -- "$TERMINAL" init t.db --trust bundle.txt --merchant kiosk-1 --root 0000000000000000000000000000000000000000000000000000000000000000
[ ! -e t.db ] && echo "ok $((n+=1)) - nothing left behind" || { echo "not ok $((n+=1)) - t.db left behind"; fail=1; }
# A second init of a path that gets enrolled while the first still reads its bundle must
# fail without deleting the enrolled terminal (its database and key).
# The shell holds the FIFO open for writing (fd 3), so the first init blocks in its read
# until the bundle is written and fd 3 closed; the init itself must not inherit fd 3.
mkfifo slow-bundle.fifo
exec 3<>slow-bundle.fifo
timeout 20 "$TERMINAL" init race.db --trust - --merchant kiosk-9 --root "$fpr" <slow-bundle.fifo >race.out 2>&1 3>&- &
slow=$!
sleep 0.5
check 0 "another init enrols the path meanwhile" -- "$TERMINAL" init race.db --trust bundle.txt --merchant kiosk-8 --root "$fpr"
cat bundle.txt >&3
exec 3>&-
wait $slow; got=$?
[ "$got" = 2 ] && echo "ok $((n+=1)) - the slow init fails" || { echo "not ok $((n+=1)) - the slow init exited $got: $(cat race.out)"; fail=1; }
check 0 "the enrolled terminal is intact" -- "$TERMINAL" status race.db --json
[ "$(json "j['merchant_id']")" = kiosk-8 ] && [ -e race.db.key ] && echo "ok $((n+=1)) - database and key kept" || { echo "not ok $((n+=1)) - $out"; fail=1; }

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
check 0 "inspect the payment" -- "$WALLET" inspect "$pay" --key "$issuer_pk" --json
[ "$(json "j['payer_signature'] == 'valid' and j['credential']['issuer_signature'] == 'valid' and j['request']['amount'] == 450 and len(j['sale_id']) == 64")" = True ] && echo "ok $((n+=1)) - payer and issuer signatures, amount" || { echo "not ok $((n+=1)) - $out"; fail=1; }
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
[ "$(json "j['outcome_unknown']")" = False ] && echo "ok $((n+=1)) - outcome_unknown in --json" || { echo "not ok $((n+=1)) - $out"; fail=1; }

[ "$(/usr/bin/python3 -c "import base64,sys; s=sys.argv[1][5:]; b=base64.urlsafe_b64decode(s+'='*(-len(s)%4)); print(b[16:32].hex())" "$cred")" = "$cred_id" ] && echo "ok $((n+=1)) - the credential id printed is bytes 16..31" || { echo "not ok $((n+=1)) - $cred_id"; fail=1; }
check 0 "revoke" -- "$ISSUER" revoke iss "$cred_id"
echo "$out" > revoked.txt
check 0 "inspect the list" -- "$ISSUER" inspect revoked.txt --key "$issuer_pk"
expect "revoked: $cred_id" "lists the id"
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

# A code followed by a NUL byte and more is not the code: refused, from a file and from
# standard input alike (the NUL must not cut the input short).
check 0 "request" -- "$TERMINAL" request t.db 200 EUR
check 0 "pay" -- "$WALLET" pay second.wallet "$cred2" "$out"
pay4=$out
{ printf '%s' "$pay4"; printf '\0junk\n'; } > nul.txt
check 1 "a payment, a NUL byte and junk in a file" -- "$TERMINAL" authorize t.db nul.txt --json
[ "$(json "not j['approved'] and j['reason'] == 'malformed'")" = True ] && echo "ok $((n+=1)) - malformed" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 1 "the same on standard input" -- sh -c '"$1" authorize t.db - --json < nul.txt' sh "$TERMINAL"
[ "$(json "not j['approved'] and j['reason'] == 'malformed'")" = True ] && echo "ok $((n+=1)) - malformed" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "a trust bundle with a NUL byte is bad input" -- sh -c '{ cat bundle3.txt; printf "\0x"; } | "$1" trust t.db -' sh "$TERMINAL"
check 0 "the payment alone is approved" -- "$TERMINAL" authorize t.db "$pay4" --json
[ "$(json "j['approved'] and j['amount'] == 200")" = True ] && echo "ok $((n+=1)) - approved" || { echo "not ok $((n+=1)) - $out"; fail=1; }

# Amounts of 2^63 and above are printed exactly in JSON (json-glib has only signed numbers).
check 0 "a second terminal" -- "$TERMINAL" init big.db --trust bundle3.txt --merchant kiosk-2 --root "$fpr"
check 0 "its revocation lists" -- "$TERMINAL" revocations big.db lists3.txt
check 0 "no caps, no floor" -- "$TERMINAL" config big.db --cap-total 0 --floor-limit 0 --stale-cap 0
check 0 "a request for 2^63 cents" -- "$TERMINAL" request big.db 9223372036854775808 EUR
check 0 "the wallet pays it" -- "$WALLET" pay second.wallet "$cred2" "$out" --json
[ "$(json "j['amount'] == 9223372036854775808")" = True ] && echo "ok $((n+=1)) - the wallet prints 2^63 exactly" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 1 "the terminal refuses it" -- "$TERMINAL" authorize big.db "$(json "j['payment']")" --json
[ "$(json "j['amount'] == 9223372036854775808 and j['reason'] == 'over_payment_limit'")" = True ] && echo "ok $((n+=1)) - the decision prints 2^63 exactly" || { echo "not ok $((n+=1)) - $out"; fail=1; }

# A storage fault at open (here a file-size limit: a full disk or a read-only medium answer
# the same) is storage_unavailable, not bad input; a missing database stays bad input.
cp big.db full.db && cp big.db.key full.db.key
check 1 "a storage fault at open" -- bash -c 'trap "" XFSZ; ulimit -f 0; "$1" request full.db 100 EUR --json' _ "$TERMINAL"
[ "$(json "j['error']")" = storage_unavailable ] && echo "ok $((n+=1)) - storage_unavailable" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "a database that does not exist" -- "$TERMINAL" status nowhere.db --json
[ "$(json "j['error']")" = bad_input ] && echo "ok $((n+=1)) - bad_input" || { echo "not ok $((n+=1)) - $out"; fail=1; }

# A checkpoint that left the device covers rows that are then deleted without a trace (a
# setting changed and changed back, the stored checkpoint dropped): JSON names the row.
check 0 "a setting changed" -- "$TERMINAL" config big.db --cap-count 7
check 0 "and changed back" -- "$TERMINAL" config big.db --cap-count 500
check 0 "a checkpoint leaves the device" -- "$TERMINAL" journal big.db checkpoint
echo "$out" > ckpt-big.txt
check 0 "journal list" -- "$TERMINAL" journal big.db --json
last=$(json "j[-1]['seq']")
sqlite3 big.db "DELETE FROM journal WHERE seq >= $((last - 1)); DELETE FROM checkpoints"
check 0 "the journal alone still verifies" -- "$TERMINAL" journal big.db verify
check 1 "the checkpoint finds the missing rows" -- "$TERMINAL" journal big.db verify --checkpoint ckpt-big.txt --json
[ "$(json "j['first_bad_row'] == $last and 'missing' in j['message']")" = True ] && echo "ok $((n+=1)) - first_bad_row names row $last" || { echo "not ok $((n+=1)) - $out"; fail=1; }

# Someone edits the sale in the database.
sqlite3 t.db "UPDATE journal SET record = substr(record, 1, 237) || x'01' || substr(record, 239) WHERE seq = $sale"
check 1 "journal verify finds the edit" -- "$TERMINAL" journal t.db verify --json
[ "$(json "j['first_bad_row'] == $sale")" = True ] && echo "ok $((n+=1)) - names row $sale" || { echo "not ok $((n+=1)) - $out"; fail=1; }
check 2 "a tampered terminal does not start" -- "$TERMINAL" request t.db 100 EUR

# inspect on the reconciliation vectors: U and O need the terminal and the acquirer key.
if [ -n "${VECTORS:-}" ] && [ -r "$VECTORS" ]; then
  vec () {  # vec RECORD_NAME KEY: a value of messages.txt
    /usr/bin/python3 -c "
import sys
name, key = sys.argv[2], sys.argv[3]
for rec in open(sys.argv[1]).read().split('\n\n'):
    lines = [l for l in rec.split('\n') if l and not l.startswith('#')]
    kv = dict(l.split(': ', 1) for l in lines)
    if name in (kv.get('vector'), kv.get('key')):
        print(kv[key]); break
" "$VECTORS" "$1" "$2"
  }
  tpk=$(vec terminal public_key); apk=$(vec acquirer public_key)
  check 0 "inspect a sync request with both keys" -- "$TERMINAL" inspect "$(vec sync-request-1 text)" --key "$tpk" --acquirer-key "$apk" --json
  [ "$(json "j['type'] == 'U' and j['terminal_signature'] == 'valid' and j['terminal_id_matches_key'] and len(j['records']) == 4 and j['records'][3]['mode'] == 1 and j['request_hash'] == '$(vec sync-request-1 request_hash)'")" = True ] && echo "ok $((n+=1)) - U: signature, records, request_hash" || { echo "not ok $((n+=1)) - $out"; fail=1; }
  check 0 "without the acquirer key: not checked" -- "$TERMINAL" inspect "$(vec sync-request-2 text)" --key "$tpk"
  expect "terminal_signature: not checked" "says not checked"
  check 1 "bound to another acquirer: invalid" -- "$TERMINAL" inspect "$(vec sync-request-2 text)" --key "$tpk" --acquirer-key "$tpk"
  check 0 "inspect a sync answer" -- "$TERMINAL" inspect "$(vec sync-answer-1 text)" --key "$apk" --json
  [ "$(json "j['acquirer_signature'] == 'valid' and j['verdicts'][0]['reason_name'] == 'insufficient_funds' and j['answer_hash'] == '$(vec sync-answer-1 answer_hash)'")" = True ] && echo "ok $((n+=1)) - A: signature, verdicts, answer_hash" || { echo "not ok $((n+=1)) - $out"; fail=1; }
  check 0 "inspect an online request" -- "$WALLET" inspect "$(vec online-request-1 text)" --key "$tpk" --acquirer-key "$apk" --json
  [ "$(json "j['terminal_signature'] == 'valid' and j['payment']['payer_signature'] == 'valid'")" = True ] && echo "ok $((n+=1)) - O: both signatures" || { echo "not ok $((n+=1)) - $out"; fail=1; }
  check 0 "inspect a decision" -- "$ISSUER" inspect "$(vec decision-2 text)" --key "$apk"
  expect "reason_name: insufficient_funds" "D: the reason"
  check 1 "a decision under the wrong key" -- "$ISSUER" inspect "$(vec decision-1 text)" --key "$tpk"
fi

echo "1..$n"
exit $fail
