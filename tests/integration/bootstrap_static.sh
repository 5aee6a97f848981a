# The bootstrap is a small fully static ELF for x86_64 and arm64, and the arm64
# build runs the same invokes (under qemu-aarch64-static).
. "$FL_TOP/tests/lib.sh"
for b in "$B/bootstrap" "$B/bootstrap-arm64"; do
  assert_contains "$b: static" "$(file "$b")" "statically linked"
  [ "$(stat -c %s "$b")" -le 409600 ] || fail "$b is $(stat -c %s "$b") bytes, over 400 KB"
done
assert_contains "x86_64" "$(file "$B/bootstrap")" "x86-64"
assert_contains "arm64" "$(file "$B/bootstrap-arm64")" "aarch64"
[ -z "$(strings "$B/bootstrap" | grep -E '^/(etc/nsswitch|usr/lib/locale)' || true)" ] || fail "NSS or locale paths in the bootstrap"

make_task_root "$T/task" '{"schema":1,"argv":["/var/task/fwatchdog"],"env":["port=8080"]}'
cp "$B/bootstrap-arm64" "$T/task/bootstrap-arm64"
cat > "$T/task/bootstrap" <<'SH'
#!/bin/sh
exec /usr/bin/qemu-aarch64-static /var/task/bootstrap-arm64
SH
chmod +x "$T/task/bootstrap"
start_emulate "$T/task" --timeout 10
invoke "$EVENTS/aws-lambda-go/apigw-request.json" "$T/out.json" > "$T/cli.json"
assert_eq "arm64: no error" None "$(json "$T/cli.json" 'j.get("FunctionError")')"
assert_eq "arm64: path" /hello/world "$(echo_field "$T/out.json" 'e["path"]')"
invoke "$EVENTS/aws-lambda-go/sqs-event.json" "$T/out.json" >/dev/null
assert_eq "arm64: raw" POST "$(echo_field "$T/out.json" 'e["method"]')"
