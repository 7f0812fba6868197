# The idle-TTL race (issue 10, item 5): an invocation that reaches an
# agent as its idle TTL runs out is served, or sent elsewhere if the
# agent never took it — never failed with a Sandbox.Failure it did not
# cause; one the agent took and did not answer still runs once only.
#
# The race is made deterministic by stopping the agent (SIGSTOP): while
# it is stopped its idle TTL runs out and an invocation connects and
# sends its request, which waits unread in the listener's queue; then
# the agent goes on (SIGCONT: it wakes idle, with the request queued) or
# dies (SIGKILL: the queued connection is reset, the event never read).
. "$(dirname "$0")/../lib.sh"

export HEARTH_IDLE_TTL=1
mkpy "$T/code" f '    if event.get("mark"):
        with open("/tmp/runs", "a") as f:
            f.write("run\n")
        time.sleep(event["mark"])
    return {"ok": True}'
expect_rc 0 H fn create f --runtime python3 --handler f.handler --code "$T/code" --timeout 10

# The agent of f's one instance: its host pid and socket.
agent() {
	pid=$(q "SELECT pid FROM instances WHERE fn='f'")
	sock=$(q "SELECT sock FROM instances WHERE fn='f'")
	[ -n "$pid" ] && [ -S "$sock" ] || fail "$1: no instance of f"
}

# Wait until a connection waits, unaccepted, on the listener at $sock.
queued() {
	i=0
	until [ "$(ss -xlH src "$sock" 2>/dev/null | awk '{ print $3 }')" = 1 ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "$1: the invocation never connected"
		sleep 0.05
	done
}

# Every process under pid (its sandbox), one per line.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
	    { parent[$1] = $2 }
	    END { for (p in parent) for (q = p; q in parent; q = parent[q])
		if (parent[q] == root) { print p; break } }'
}

command -v ss >/dev/null || skip "no ss (iproute2) to see the listener's queue"

# 19.1 idle with a request queued: the agent serves it, as it took it.
expect_rc 0 H fn invoke f
agent 19.1
kill -STOP "$pid"
sleep 1.5	# past the idle TTL while stopped
H fn invoke f >"$T/q.out" 2>"$T/q.err" & BG_PIDS=$!
queued 19.1
kill -CONT "$pid"
wait "$BG_PIDS"
rc=$?
BG_PIDS=""
[ "$rc" = 0 ] || fail "19.1 exit $rc: $(cat "$T/q.err")"
expect_not_in "19.1 no failure" "$(cat "$T/q.out" "$T/q.err")" "Sandbox.Failure"
expect_eq "19.1 result" "$(json_get "$(cat "$T/q.out")" 'd["ok"]')" "True"

# 19.2 the agent gone with the request unread: it never ran there, so it
# runs on a new instance instead of failing.
expect_rc 0 H fn invoke f
agent 19.2
old=$(q "SELECT id FROM instances WHERE fn='f'")
kill -STOP "$pid"
H fn invoke f >"$T/k.out" 2>"$T/k.err" & BG_PIDS=$!
queued 19.2
kill -9 "$pid"
wait "$BG_PIDS"
rc=$?
BG_PIDS=""
[ "$rc" = 0 ] || fail "19.2 exit $rc: $(cat "$T/k.out" "$T/k.err")"
expect_not_in "19.2 no failure" "$(cat "$T/k.out" "$T/k.err")" "Sandbox.Failure"
expect_eq "19.2 result" "$(json_get "$(cat "$T/k.out")" 'd["ok"]')" "True"
[ "$(q "SELECT id FROM instances WHERE fn='f'")" != "$old" ] ||
    fail "19.2 the dead instance served it"

# 19.3 taken, then no answer (the sandbox dies under the handler): one
# clear failure, and the event is not run a second time anywhere.
expect_rc 0 H fn invoke f
agent 19.3
before=$(rows invocations "WHERE fn='f'")
H fn invoke f '{"mark": 5}' >"$T/d.out" 2>"$T/d.err" & BG_PIDS=$!
runs=""
i=0
while [ -z "$runs" ]; do
	for p in $(descendants "$pid"); do
		[ -f "/proc/$p/root/tmp/runs" ] && runs="/proc/$p/root/tmp/runs" && break
	done
	i=$((i + 1))
	[ $i -lt 200 ] || fail "19.3 the handler never started"
	[ -n "$runs" ] || sleep 0.05
done
expect_eq "19.3 ran once" "$(wc -l < "$runs")" "1"
kill -9 "$pid"
wait "$BG_PIDS"
rc=$?
BG_PIDS=""
[ "$rc" = 1 ] || fail "19.3 exit $rc, want 1"
err=$(cat "$T/d.err")
expect_in "19.3 failure named" "$err" "Sandbox.Failure"
expect_in "19.3 says why not retried" "$err" "not sent again, as it may have run"
expect_eq "19.3 reported once" "$(printf '%s\n' "$err" | grep -c "Sandbox.Failure")" "1"
expect_eq "19.3 recorded once" "$(rows invocations "WHERE fn='f'")" "$((before + 1))"
expect_eq "19.3 no second sandbox ran it" "$(rows instances "WHERE fn='f'")" "0"

# 19.4 the load that found it: invocations about one TTL apart.
for gap in 0.95 1.01 0.97 1.00 0.99 0.96 1.01 0.98; do
	sleep "$gap"
	expect_rc 0 H fn invoke f
	expect_not_in "19.4 ($gap s) no failure" "$OUT $ERR" "Sandbox.Failure"
done
exit 0
