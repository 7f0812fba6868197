# Two hearth processes (and more) use the store at once: parallel invokes
# of one function, creates of others, and listings, with no failures.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" app '    time.sleep(0.05)
    return event["n"]'
expect_rc 0 H fn create par --runtime python3 --handler app.handler --code "$T/code"
# Six callers at once, starting together on a function with no instance:
# each new sandbox is its creator's until it has served once.
for p in 1 2 3 4 5 6; do
	(
		for i in 1 2 3 4 5 6 7 8; do
			out=$(H fn invoke par "{\"n\": $p$i}") || { echo "invoke $p$i failed" >>"$T/fail"; continue; }
			[ "$out" = "$p$i" ] || echo "wrong result $out for $p$i" >>"$T/fail"
		done
	) &
	BG_PIDS="$BG_PIDS $!"
done
(
	for i in 1 2 3 4 5; do
		H fn create "c$i" --runtime python3 --handler app.handler --code "$T/code" >/dev/null || echo "create c$i failed" >>"$T/fail"
		H fn ls >/dev/null || echo "ls failed" >>"$T/fail"
	done
) &
BG_PIDS="$BG_PIDS $!"
for p in $BG_PIDS; do wait "$p"; done
BG_PIDS=""
[ ! -e "$T/fail" ] || fail "$(cat "$T/fail")"
expect_eq "all invocations recorded" "$(rows invocations "WHERE fn='par'")" "48"
expect_eq "creates" "$(rows functions)" "6"
# Racing creates of one name: exactly one wins, its code stays intact.
for i in 1 2 3 4 5 6; do
	H fn create race --runtime python3 --handler app.handler --code "$T/code" \
	    >/dev/null 2>>"$T/race.err" &
	BG_PIDS="$BG_PIDS $!"
done
for p in $BG_PIDS; do wait "$p"; done
BG_PIDS=""
expect_eq "race losers" "$(grep -c "function 'race' already exists" "$T/race.err")" "5"
expect_rc 0 H fn invoke race '{"n": 9}'
expect_eq "race winner works" "$OUT" "9"
# Callers at once need more than one instance; each served.
n=$(rows instances "WHERE fn='par'")
[ "$n" -ge 2 ] || fail "expected several instances for parallel callers, got $n"
# More clients than an agent has connection slots (48): one whose slots
# are all taken refuses the connection, which is busy, not dead.  Every
# invocation is served, and no warm instance is ended for it.
printf 'import time\ndef handler(event, context):\n    time.sleep(0.01)\n    return event\n' > "$T/code/slow.py"
expect_rc 0 H fn create many --runtime python3 --handler slow.handler --code "$T/code"
expect_rc 0 H fn bench many -n 2000 -c 64
expect_in "64 clients: all served" "$OUT" "2000 ok, 0 errors"
expect_eq "64 clients: no instance ended" "$(q "SELECT count(*) FROM events WHERE kind = 'reaped' AND detail LIKE 'many%'")" 0

exit 0
