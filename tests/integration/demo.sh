# make demo, the README's first command, keeps working: the function answers
# through the provider and its logs come back.
. "$FL_TOP/tests/lib.sh"
out=$(bash "$FL_TOP/tests/demo.sh" 2>&1) || fail "make demo failed: $(echo "$out" | tail -30)"
assert_contains "deployed" "$out" "POST /system/functions -> 202"
assert_contains "answered" "$out" "Hello, OpenFaaS! I ran on Lambda: POST /greet (hello_openfaas-fn)"
assert_contains "function log" "$out" "handled a request for OpenFaaS"
assert_contains "report line" "$out" "REPORT RequestId:"
assert_contains "removed" "$out" "$(printf '200\ndone')"
