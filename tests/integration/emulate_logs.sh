#!/bin/bash
# The CloudWatch Logs subset: the functions' output and the platform lines
# (START, END, REPORT) in /aws/lambda/NAME, a stream per sandbox, read with
# the AWS CLI's logs commands (filter-log-events, get-log-events,
# describe-log-streams/-groups, tail); bounded by --log-retention-kb.
. "$FL_TOP/tests/lib.sh"
. "$FL_TOP/tests/fixtures/rapi_lib.sh"

make_task "$T/task"
make_zip "$T/task" "$T/fn.zip"
start_service --log-retention-kb 16
create_fn lg "$T/fn.zip" --environment "Variables={RAPI_CLIENT=$TASK_RAPI_CLIENT}" >/dev/null
for i in 1 2 3; do post_invoke lg '{"do":"log"}' >/dev/null; done
rid=$(header X-Amzn-RequestId)
G=/aws/lambda/lg

aws_logs filter-log-events --log-group-name $G >"$T/f.json"
msgs=$(jget "$T/f.json" '"\n".join(e["message"] for e in d["events"])')
assert_eq "START lines" 3 "$(grep -c '^START RequestId: ' <<<"$msgs")"
assert_eq "REPORT lines" 3 "$(grep -c '^REPORT RequestId: ' <<<"$msgs")"
assert_eq "the function's own lines" 3 "$(grep -cx 'to stderr: line two' <<<"$msgs")"
grep -qx "END RequestId: $rid" <<<"$msgs" || fail "END of the last invoke"
stream=$(jget "$T/f.json" 'd["events"][0]["logStreamName"]')
[[ $stream =~ ^[0-9]{4}/[0-9]{2}/[0-9]{2}/\[\$LATEST\][0-9a-f]{32}$ ]] || fail "stream name [$stream]"
aws_logs filter-log-events --log-group-name $G --filter-pattern '"RequestId: '"$rid"'" -START' >"$T/f.json"
assert_eq "filtered" "END REPORT" "$(jget "$T/f.json" '" ".join(e["message"].split()[0] for e in d["events"])')"
aws_logs filter-log-events --log-group-name $G --log-stream-names "$stream" --page-size 2 >"$T/f.json"
assert_eq "paged: all events across pages" "$(printf '%s\n' "$msgs" | wc -l)" "$(jget "$T/f.json" 'len(d["events"])')"

aws_logs describe-log-groups >"$T/g.json"
assert_eq "groups" "['$G']" "$(jget "$T/g.json" '[g["logGroupName"] for g in d["logGroups"]]')"
aws_logs describe-log-streams --log-group-name $G >"$T/s.json"
assert_eq "one sandbox, one stream" "['$stream']" "$(jget "$T/s.json" '[s["logStreamName"] for s in d["logStreams"]]')"
aws_logs get-log-events --log-group-name $G --log-stream-name "$stream" --start-from-head --limit 3 >"$T/e.json"
assert_eq "from the head" "init done" "$(jget "$T/e.json" 'd["events"][0]["message"][:9]')"
fwd=$(jget "$T/e.json" 'd["nextForwardToken"]')
aws_logs get-log-events --log-group-name $G --log-stream-name "$stream" --next-token "$fwd" --limit 1 >"$T/e2.json"
assert_eq "the next one" "$(jget "$T/f.json" 'd["events"][3]["message"]')" "$(jget "$T/e2.json" 'd["events"][0]["message"]')"
aws_logs get-log-events --log-group-name $G --log-stream-name "$stream" --limit 1 >"$T/e3.json"
assert_eq "the newest by default" REPORT "$(jget "$T/e3.json" 'd["events"][0]["message"].split()[0]')"
aws_logs tail $G --since 5m >"$T/tail.txt" || fail "aws logs tail"
grep -q "END RequestId: $rid" "$T/tail.txt" || fail "tail: $(cat "$T/tail.txt")"

expect_cli_error 254 ResourceNotFoundException "The specified log group does not exist." \
  aws_logs filter-log-events --log-group-name /aws/lambda/nope
expect_cli_error 254 ResourceNotFoundException "The specified log stream does not exist." \
  aws_logs get-log-events --log-group-name $G --log-stream-name nope
code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'X-Amz-Target: Logs_20140328.PutLogEvents' \
  -H 'Content-Type: application/x-amz-json-1.1' -d '{}' "$ENDPOINT/")
assert_eq "unknown Logs operation" 400 "$code"
assert_eq "type" UnknownOperationException "$(jget "$T/body" 'd["__type"]')"

# --- bounded: 16 KB per group; the oldest go first
for i in $(seq 1 40); do post_invoke lg '{"do":"log"}' >/dev/null; done
aws_logs describe-log-groups >"$T/g.json"
[ "$(jget "$T/g.json" 'd["logGroups"][0]["storedBytes"]')" -le 16384 ] || fail "retention: $(cat "$T/g.json")"
aws_logs filter-log-events --log-group-name $G >"$T/f.json"
jget "$T/f.json" '"\n".join(e["message"] for e in d["events"])' | grep -q "^init done" && fail "the oldest lines are still there"
jget "$T/f.json" 'd["events"][-1]["message"]' | grep -q '^REPORT' || fail "the newest lines are not there"
stop_service
echo ok
