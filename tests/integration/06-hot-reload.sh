# Hot reload: under a stream of invocations from two processes, fn update
# swaps the code of warm instances without restarting their sandboxes;
# no invocation fails and the next one runs the new code.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/v1" app '    time.sleep(0.01)
    return "v1"'
mkpy "$T/v2" app '    return "v2"'
expect_rc 0 H fn create hot --runtime python3 --handler app.handler --code "$T/v1"
expect_rc 0 H fn invoke hot
expect_eq "v1" "$OUT" '"v1"'
pid_before=$(q "SELECT pid FROM instances WHERE fn='hot'")

stream() { # stream OUTFILE: invoke until told to stop, record failures
	while [ ! -e "$T/stop" ]; do
		H fn invoke hot >>"$1.out" 2>>"$1.err" || echo "failed" >>"$1.fail"
	done
}
stream "$T/a" & BG_PIDS="$!"
stream "$T/b" & BG_PIDS="$BG_PIDS $!"
sleep 1
expect_rc 0 H fn update hot --code "$T/v2"
expect_in "update" "$OUT" "updated hot (version 2)"
sleep 1
touch "$T/stop"
for p in $BG_PIDS; do wait "$p"; done
BG_PIDS=""
[ ! -e "$T/a.fail" ] && [ ! -e "$T/b.fail" ] || fail "invocations failed during reload: $(cat "$T"/*.err)"
grep -q '"v1"' "$T/a.out" "$T/b.out" || fail "no v1 results before the update"
tail -n 1 "$T/a.out" | grep -q '"v2"' || fail "stream a did not switch to v2"
expect_rc 0 H fn invoke hot
expect_eq "next runs the new code" "$OUT" '"v2"'
# The first instance was reloaded in place, not replaced.
pids=$(q "SELECT pid FROM instances WHERE fn='hot'")
expect_in "same sandbox" "$pids" "$pid_before"
# Code no instance uses is removed: at once if nothing runs it, else at a
# later look (here `vm ls`) once the runtime generation on it has ended.
expect_rc 0 H fn update hot --code "$T/v1"
expect_rc 0 H fn update hot --code "$T/v2"
expect_rc 0 H fn invoke hot
expect_rc 0 H vm ls
expect_eq "old code pruned" "$(ls "$HEARTH_HOME/code/hot" | tr '\n' ' ')" "v4 "
exit 0
