# Logs: START/END/REPORT lines around the handler's output, stored per
# function, and followed live from another process.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" app '    print("line-from-handler", event.get("n"))
    print("to-stderr", file=sys.stderr)
    return event.get("n")'
expect_rc 0 H fn create lg --runtime python3 --handler app.handler --code "$T/code" --memory 160
expect_rc 0 H fn invoke lg '{"n": 1}'
expect_rc 0 H fn logs lg
expect_in "START" "$OUT" "START RequestId: "
expect_in "stdout" "$OUT" "line-from-handler 1"
expect_in "stderr" "$OUT" "to-stderr"
expect_in "END" "$OUT" "END RequestId: "
expect_in "REPORT" "$OUT" "Billed Duration: "
expect_in "memory size" "$OUT" "Memory Size: 160 MB"
expect_in "max memory" "$OUT" "Max Memory Used: "
expect_in "cold start" "$OUT" "Init Duration: "
expect_rc 0 H fn invoke lg '{"n": 2}'
expect_rc 0 H fn logs lg --tail 5
second=$(printf '%s\n' "$OUT" | grep REPORT)
expect_not_in "warm: no init" "$second" "Init Duration"
expect_eq "tail" "$(printf '%s\n' "$OUT" | wc -l)" "5"

# Follow in one process while another invokes.
"$HEARTH" fn logs lg -f --tail 0 >"$T/follow" 2>&1 & BG_PIDS=$!
sleep 0.3
expect_rc 0 H fn invoke lg '{"n": 42}'
i=0
while ! grep -q "line-from-handler 42" "$T/follow"; do
	i=$((i + 1))
	[ $i -lt 40 ] || fail "follow did not show the new line: $(cat "$T/follow")"
	sleep 0.05
done
grep -q "line-from-handler 1$" "$T/follow" && fail "--tail 0 printed old lines"
# Deleting the function ends the follow.
expect_rc 0 H fn create gone --runtime python3 --handler app.handler --code "$T/code"
"$HEARTH" fn logs gone -f >/dev/null 2>"$T/gone.err" & gone=$!
sleep 0.3	# following by now
expect_rc 0 H fn rm gone
i=0
while kill -0 "$gone" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 60 ] || { kill "$gone"; fail "logs -f outlived its function"; }; sleep 0.05
done
wait "$gone"
expect_eq "follow ends" "$?" "1"
expect_in "says why" "$(cat "$T/gone.err")" "function 'gone' was deleted"
kill "$BG_PIDS"
wait "$BG_PIDS" 2>/dev/null
BG_PIDS=""

# The agent streams output as it is written, before the invocation ends,
# and counts invocations in its stats.
mkpy "$T/slow" app '    print("early-line", flush=True)
    time.sleep(1.5)
    return "late"'
expect_rc 0 H fn create slow --runtime python3 --handler app.handler --code "$T/slow"
expect_rc 0 H fn invoke slow
sock=$(q "SELECT sock FROM instances WHERE fn='slow'")
curl -sN --unix-socket "$sock" "http://agent/logs?follow=1" >"$T/stream" 2>/dev/null &
BG_PIDS=$!
sleep 0.2
H fn invoke slow >"$T/slow.out" 2>&1 &
inv=$!
i=0
until [ "$(grep -c early-line "$T/stream")" = 2 ]; do	# backlog + live
	i=$((i + 1)); [ $i -lt 30 ] || fail "stream did not show the line live: $(cat "$T/stream")"; sleep 0.05
done
kill -0 "$inv" 2>/dev/null || fail "the invocation ended before its output streamed"
wait "$inv" || fail "slow invoke failed: $(cat "$T/slow.out")"
kill "$BG_PIDS"; wait "$BG_PIDS" 2>/dev/null; BG_PIDS=""
grep -q '"source": "platform", "line": "REPORT RequestId: ' "$T/stream" || fail "no REPORT in the stream"
stats=$(curl -s --unix-socket "$sock" http://agent/stats)
expect_eq "agent stats" "$(json_get "$stats" 'd["invocations"], d["errors"], d["busy"]')" "2 0 False"
exit 0
