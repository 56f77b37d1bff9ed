# tap.sh: the TAP helpers the shell tests share. Source it; it expects n=0 and fail=0, and PY
# (a Python 3 with json) for json().

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
  if [ $st = 0 ]; then echo "ok $n - $what"; else echo "not ok $n - $what: $out"; fail=1; fi
}

json () {  # json EXPRESSION on the last output, as j
  "$PY" -c "import json,sys; j=json.loads(sys.argv[1]); print($1)" "$out"
}
