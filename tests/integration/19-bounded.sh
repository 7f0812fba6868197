# Bounded state: counters that count every invocation, not the rows kept;
# logs bounded by bytes per function and in all, oldest dropped first; an
# instance killed from outside never listed as ready; a store made by an
# older hearth migrates and keeps its data.
. "$(dirname "$0")/../lib.sh"
unset HEARTH_LOGS_FN_BYTES HEARTH_LOGS_TOTAL_BYTES

# A store made by the hearth before counters (schema 3), when one is
# given (HEARTH_OLD=path/to/an/old/hearth): its invocations are counted,
# its logs kept.
OLD=${HEARTH_OLD:-}
mkpy "$T/quiet" app '    return event.get("n", 0)'
if [ -n "$OLD" ] && [ -x "$OLD" ] && "$OLD" fn ls >/dev/null 2>&1 &&
    [ "$(q 'PRAGMA user_version')" = "3" ]; then
	expect_rc 0 "$OLD" fn create q --runtime python3 --handler app.handler --code "$T/quiet"
	for n in 1 2 3; do expect_rc 0 "$OLD" fn invoke q "{\"n\": $n}"; done
	expect_rc 0 H fn show q -o json
	expect_eq "migrated" "$(q 'PRAGMA user_version')" "4"
	expect_eq "counted from the old rows" "$(json_get "$OUT" 'd["invocations"], d["errors"]')" "3 0"
	expect_rc 0 H fn logs q
	expect_eq "old logs kept" "$(printf '%s\n' "$OUT" | grep -c '^REPORT')" "3"
	expect_eq "sizes seeded" "$(q "SELECT log_bytes = (SELECT sum(length(CAST(log AS BLOB))) FROM invocations WHERE fn = 'q') FROM functions WHERE name = 'q'")" "1"
else
	echo "no schema-3 hearth given (HEARTH_OLD): migration checked by unit/test-store only"
	rm -rf "$HEARTH_HOME"
	expect_rc 0 H fn create q --runtime python3 --handler app.handler --code "$T/quiet"
	for n in 1 2 3; do expect_rc 0 H fn invoke q "{\"n\": $n}"; done
fi

# 2,100 invocations: rows stop at FN_LOG_KEEP (2,000), the count does not.
expect_rc 0 H fn bench q -n 2100 -c 2 -o json
expect_eq "bench ok" "$(json_get "$OUT" 'd["errors"]')" "0"
expect_rc 0 H fn show q -o json
expect_eq "fn show counts all" "$(json_get "$OUT" 'd["invocations"]')" "2103"
expect_rc 0 H fn ls -o json
expect_eq "fn ls counts all" "$(json_get "$OUT" '[r["invocations"] for r in d if r["name"] == "q"][0]')" "2103"
kept=$(rows invocations "WHERE fn = 'q'")
[ "$kept" -le 2064 ] || fail "rows not capped: $kept kept"

# A chatty function (60 KB of output an invocation) stays under its cap,
# the newest kept; a second one under the host cap, the oldest anywhere
# dropped first.
mkpy "$T/chatty" app '    sys.stdout.write("y" * 60000 + "\n")
    return 1'
expect_rc 0 H fn create chat --runtime python3 --handler app.handler --code "$T/chatty"
expect_rc 0 H fn create chat2 --runtime python3 --handler app.handler --code "$T/chatty"
expect_rc 0 H config set logs.fn_bytes 256K
expect_rc 0 H config set logs.total_bytes 512K
expect_rc 0 H fn bench chat -n 12 -o json
bytes=$(q "SELECT sum(length(CAST(log AS BLOB))) FROM invocations WHERE fn = 'chat'")
[ "$bytes" -le 262144 ] || fail "chat keeps $bytes bytes, over its 256K cap"
[ "$bytes" -gt 190000 ] || fail "chat keeps only $bytes bytes"
expect_eq "chat: the newest kept" "$(q "SELECT max(id) - min(id) + 1 = count(*) FROM invocations WHERE fn = 'chat'")" "1"
expect_rc 0 H fn show chat -o json
expect_eq "chat counted" "$(json_get "$OUT" 'd["invocations"]')" "12"
# q's small rows are the oldest (some went when chat ran), chat's newer.
last_q=$(q "SELECT max(id) FROM invocations WHERE fn = 'q'")
n_q=$(rows invocations "WHERE fn = 'q'")
n_chat=$(rows invocations "WHERE fn = 'chat'")
expect_rc 0 H fn bench chat2 -n 12 -o json
total=$(q "SELECT sum(length(CAST(log AS BLOB))) FROM invocations")
[ "$total" -le 524288 ] || fail "store keeps $total bytes of log, over its 512K cap"
[ "$(rows invocations "WHERE fn = 'q'")" -lt "$n_q" ] || fail "q's old rows were not dropped"
expect_eq "q: its newest kept" "$(q "SELECT max(id) = $last_q AND max(id) - min(id) + 1 = count(*) FROM invocations WHERE fn = 'q'")" "1"
expect_eq "chat: newer than q's, kept" "$(rows invocations "WHERE fn = 'chat'")" "$n_chat"
expect_eq "chat2: the newest kept" "$(q "SELECT max(id) - min(id) + 1 = count(*) FROM invocations WHERE fn = 'chat2'")" "1"
expect_rc 0 H fn show q -o json
expect_eq "counts survive dropped rows" "$(json_get "$OUT" 'd["invocations"]')" "2103"
expect_rc 0 H fn logs chat2 --tail 1
expect_in "newest log readable" "$OUT" "REPORT RequestId: "
expect_rc 0 H config unset logs.fn_bytes
expect_rc 0 H config unset logs.total_bytes

# An instance killed from outside: not ready in fn show, vm inspect, vm ls.
expect_rc 0 H fn invoke q '{"n": 7}'
expect_rc 0 H vm ls -o json
id=$(json_get "$OUT" '[r["id"] for r in d if r["owner"] == "q"][0]')
pid=$(json_get "$OUT" '[r["pid"] for r in d if r["owner"] == "q"][0]')
expect_rc 0 H fn show q -o json
live=$(json_get "$OUT" 'd["instances"]')
[ "$live" -ge 1 ] || fail "no live instance of q"
kill -9 "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "pid $pid outlived kill -9"
	sleep 0.05
done
# vm inspect shows the row as it is (no janitor runs first): gone.
expect_rc 0 H vm inspect "$id" -o json
expect_eq "vm inspect: gone" "$(json_get "$OUT" 'd["state"], d["alive"]')" "gone no"
# fn show runs the janitor: the row goes, and it is not counted.
expect_rc 0 H fn show q -o json
expect_eq "fn show: one fewer" "$(json_get "$OUT" 'd["instances"]')" "$((live - 1))"
expect_rc 0 H vm ls -o json
expect_eq "vm ls: not ready" "$(json_get "$OUT" '[r["state"] for r in d if r["id"] == "'"$id"'"]')" "[]"
expect_rc 0 H fn invoke q '{"n": 8}'
expect_eq "a new instance serves" "$OUT" "8"
exit 0
