# Live logs (issue 10, item 6): `fn logs -f` shows the lines of an
# invocation while it runs, from the agents' streams, then its REPORT; a
# follower that falls behind a flood is told exactly how many bytes it
# missed instead of going silent; the stored record of a huge output keeps
# its first and last lines and says exactly how many bytes were cut
# between; START is there once; if an agent dies mid-invocation, the
# follower shows the END and REPORT hearth stored for it.
#
# Nothing here depends on timing: the live handler waits for a file the
# test creates only once the follower has shown its first line, and the
# lagging follower writes into a pipe nobody reads until the flood is over.
. "$(dirname "$0")/../lib.sh"

# Wait (bounded) until file $2 holds text $3, or fail with $1.
wait_for() {
	i=0
	until grep -qF -- "$3" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 400 ] || return 1
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

# Let the live handler go: SIGUSR1 to the python processes of its sandbox.
go() {
	for p in $(descendants "$(q "SELECT pid FROM instances WHERE fn='live'")"); do
		[ "$(ps -o comm= -p "$p")" = python3 ] && kill -USR1 "$p" 2>/dev/null
	done
}

# 19.1 Lines go out as they are written.  The handler prints, then waits
# for SIGUSR1 (60 s at most) before it ends.
mkpy "$T/live" app '    import signal
    if event.get("warm"):
        return "warm"
    got = []
    signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
    print("live-first", flush=True)
    end = time.time() + 60
    while not got and time.time() < end:
        time.sleep(0.02)
    print("live-last", got, flush=True)
    return "done"'
expect_rc 0 H fn create live --runtime python3 --handler app.handler --code "$T/live" --timeout 90
expect_rc 0 H fn invoke live '{"warm": 1}'	# an instance, warm
"$HEARTH" fn logs live -f --tail 0 >"$T/follow" 2>&1 & fpid=$!
BG_PIDS=$fpid
sleep 0.3	# let the follower start: a line before it would be history
H fn invoke live >"$T/inv.out" 2>&1 & inv=$!
BG_PIDS="$fpid $inv"
if ! wait_for x "$T/follow" live-first; then
	go
	fail "19.1 the follower showed nothing while the handler ran: $(cat "$T/follow")"
fi
kill -0 "$inv" 2>/dev/null || fail "19.1 the invocation ended before it was let go"
expect_not_in "19.1 no REPORT before the end" "$(cat "$T/follow")" "REPORT RequestId"
go
wait "$inv" || fail "19.1 invoke failed: $(cat "$T/inv.out")"
BG_PIDS=$fpid
wait_for x "$T/follow" "REPORT RequestId" || fail "19.1 no REPORT followed: $(cat "$T/follow")"
expect_in "19.1 the rest" "$(cat "$T/follow")" "live-last [1]"
expect_eq "19.1 START once" "$(grep -c '^START RequestId' "$T/follow")" 1
kill "$fpid"; wait "$fpid" 2>/dev/null; BG_PIDS=""

# 19.1b The same on a cold start: the instance appears after the follower
# began and is 'starting' through its first invocation, live all the same.
expect_rc 0 H vm rm --all
"$HEARTH" fn logs live -f --tail 0 >"$T/follow" 2>&1 & fpid=$!
BG_PIDS=$fpid
sleep 0.3
H fn invoke live >"$T/inv.out" 2>&1 & inv=$!
BG_PIDS="$fpid $inv"
if ! wait_for x "$T/follow" live-first; then
	go
	fail "19.1b the follower showed nothing of a cold start while it ran: $(cat "$T/follow")"
fi
kill -0 "$inv" 2>/dev/null || fail "19.1b the invocation ended before it was let go"
go
wait "$inv" || fail "19.1b invoke failed: $(cat "$T/inv.out")"
BG_PIDS=$fpid
wait_for x "$T/follow" "REPORT RequestId" || fail "19.1b no REPORT followed: $(cat "$T/follow")"
expect_eq "19.1b START once" "$(grep -c '^START RequestId' "$T/follow")" 1
kill "$fpid"; wait "$fpid" 2>/dev/null; BG_PIDS=""

# 19.2 The agent dies mid-invocation: its stream breaks off before the
# END, and the follower shows the END and REPORT hearth stored for it.
"$HEARTH" fn logs live -f --tail 0 >"$T/follow" 2>&1 & fpid=$!
BG_PIDS=$fpid
sleep 0.3
H fn invoke live >"$T/inv.out" 2>&1 & inv=$!
BG_PIDS="$fpid $inv"
wait_for x "$T/follow" live-first || { go; fail "19.2 nothing followed: $(cat "$T/follow")"; }
kill -9 "$(q "SELECT pid FROM instances WHERE fn='live'")"
wait "$inv"
BG_PIDS=$fpid
req=$(sed -n 's/^START RequestId: \([^ ]*\) .*/\1/p' "$T/follow" | tail -1)
[ -n "$req" ] || fail "19.2 no START followed: $(cat "$T/follow")"
wait_for x "$T/follow" "REPORT RequestId: $req" || fail "19.2 no REPORT after the agent died: $(cat "$T/follow")"
expect_eq "19.2 START once" "$(grep -c "^START RequestId: $req" "$T/follow")" 1
expect_eq "19.2 END once" "$(grep -c "^END RequestId: $req" "$T/follow")" 1
kill "$fpid"; wait "$fpid" 2>/dev/null; BG_PIDS=""

# 19.3 A flood: 300,000 lines of 32 bytes, then "flood-last".
N=300000
mkpy "$T/flood" app "    w = sys.stdout.write
    for i in range(0, $N, 1000):
        w(''.join('flood-%025d\\n' % j for j in range(i, i + 1000)))
    w('flood-last\\n')
    sys.stdout.flush()
    return 'flooded'"
expect_rc 0 H fn create fl --runtime python3 --handler app.handler --code "$T/flood" --timeout 120
expect_rc 0 H fn invoke fl '{"warm": 1}'	# an instance; its log is all lines too
# The follower writes into a pipe held open here and not read: it blocks,
# and the agent's queue for it fills.
mkfifo "$T/pipe"
exec 3<>"$T/pipe"
"$HEARTH" fn logs fl -f --tail 0 >"$T/pipe" 2>"$T/follow.err" & fpid=$!
BG_PIDS=$fpid
sleep 0.3
expect_rc 0 H fn invoke fl
req=$(H fn logs fl -o json | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["request_id"])')
cat <&3 >"$T/follow" & cpid=$!
BG_PIDS="$fpid $cpid"
wait_for x "$T/follow" "REPORT RequestId: $req" ||
	fail "19.3 the follower never got to the REPORT: $(tail -c 2000 "$T/follow") $(cat "$T/follow.err")"
kill "$fpid"; wait "$fpid" 2>/dev/null
kill "$cpid"; wait "$cpid" 2>/dev/null
exec 3>&-
BG_PIDS=""
total=$((N * 32 + 11))
# What the follower shows of the flood, plus what it was told it missed,
# is all of it, to the byte.
/usr/bin/python3 - "$T/follow" "$total" <<'PY' || fail "19.3 follower: see above"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
shown = sum(len(l) + 1 for l in text.split("\n") if l.startswith("flood-"))
drops = [int(m.replace(",", "")) for m in
         re.findall(r"\[hearth: this follower fell behind: ([0-9,]+) bytes dropped\]", text)]
if not drops:
    sys.exit("FAIL: no counted drop notice; the follower showed %d bytes" % shown)
if shown + sum(drops) != int(sys.argv[2]):
    sys.exit("FAIL: shown %d + dropped %d != %s" % (shown, sum(drops), sys.argv[2]))
PY
# The stored record: the first lines, the last, an exact count between.
expect_rc 0 H fn logs fl
rec=$(printf '%s\n' "$OUT" | awk -v r="$req" 'index($0, "START RequestId: " r) { on = 1 } on { print } index($0, "REPORT RequestId: " r) { on = 0 }')
expect_eq "19.3 START once" "$(printf '%s\n' "$OUT" | grep -c "^START RequestId: $req")" 1
expect_in "19.3 first line kept" "$rec" "flood-0000000000000000000000000"
expect_in "19.3 last line kept" "$rec" "flood-last"
expect_in "19.3 the line before it" "$rec" "flood-$(printf '%025d' $((N - 1)))"
printf '%s\n' "$rec" >"$T/rec"
/usr/bin/python3 - "$T/rec" "$total" <<'PY' || fail "19.3 stored record: see above"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
kept = sum(len(l) + 1 for l in lines if l.startswith("flood-"))
cut = [int(m) for l in lines for m in
       re.findall(r"^\[hearth: output truncated\] ([0-9]+) bytes of output not kept", l)]
if len(cut) != 1:
    sys.exit("FAIL: %d cut notices" % len(cut))
if kept + cut[0] != int(sys.argv[2]):
    sys.exit("FAIL: kept %d + cut %d != %s" % (kept, cut[0], sys.argv[2]))
PY
exit 0
