# Scale down what a burst scaled up (issue 10, item 8): a claimed pool
# instance takes its function's idle TTL, not the pool's; instances beyond
# the recent peak concurrency are reaped long before their idle TTL.
. "$(dirname "$0")/../lib.sh"

export HEARTH_POOL_SIZE=1
mkpy "$T/code" f '    time.sleep(event.get("sleep", 0))
    return "ok"'
expect_rc 0 H fn create f --runtime python3 --handler f.handler --code "$T/code"

# alive PID: the process runs (and is no zombie).
alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
	    [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]
}

# 20s.1 A pool instance started with a long TTL, claimed by f (whose TTL
# is 1 s), exits about 1 s after its invocation, not 600 s.
HEARTH_IDLE_TTL=600 expect_rc 0 H vm pool python3
pool_id=$(q "SELECT id FROM instances WHERE fn IS NULL")
pool_pid=$(q "SELECT pid FROM instances WHERE id='$pool_id'")
alive "$pool_pid" || fail "20s.1 no pool instance"
HEARTH_IDLE_TTL=1 expect_rc 0 H fn invoke f
expect_eq "20s.1 claimed" "$(q "SELECT fn FROM instances WHERE id='$pool_id'")" f
i=0
while alive "$pool_pid"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "20s.1 the claimed instance kept the pool's TTL"
	sleep 0.05
done
expect_rc 0 H vm rm --all

# 20s.2 A burst of 4 concurrent invocations makes 4 instances; a trickle
# of one at a time after it needs one: the other 3 are reaped once the
# window (HEARTH_SCALE_WINDOW, 2 s here) has passed, not after 300 s.
export HEARTH_POOL_SIZE=0 HEARTH_SCALE_WINDOW=2
BG_PIDS=""
for k in 1 2 3 4; do
	H fn invoke f '{"sleep": 1}' >/dev/null 2>&1 & BG_PIDS="$BG_PIDS $!"
done
for p in $BG_PIDS; do
	wait "$p" || fail "20s.2 a burst invocation failed"
done
BG_PIDS=""
expect_eq "20s.2 burst instances" "$(rows instances "WHERE fn='f'")" 4
i=0
until [ "$(rows instances "WHERE fn='f'")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "20s.2 extra instances kept: $(rows instances "WHERE fn='f'")"
	expect_rc 0 H fn invoke f
	expect_rc 0 H vm ls
	sleep 0.2
done
expect_rc 0 H fn invoke f
expect_eq "20s.2 the warm one serves" "$OUT" '"ok"'
expect_rc 0 H vm rm --all

# 20s.3 A memory budget (instances.memory) with room for one instance of
# g: while it is busy, an invocation that would need a second waits, then
# fails throttled and exits non-zero; the warm one still serves.
export HEARTH_INSTANCES_MEMORY=200M
expect_rc 0 H fn create g --runtime python3 --handler f.handler --code "$T/code" --memory 128 --timeout 20
expect_rc 0 H fn invoke g
expect_eq "20s.3 one instance" "$(rows instances "WHERE fn='g'")" 1
H fn invoke g '{"sleep": 8}' >/dev/null 2>&1 & BG_PIDS=$!
# Until the sleeper holds the instance, a probe is served by it.
i=0
until ! H fn invoke g >"$T/p.out" 2>"$T/p.err"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "20s.3 never throttled"; sleep 0.05
done
expect_in "20s.3 throttled" "$(cat "$T/p.err")" "TooManyRequestsException"
expect_eq "20s.3 no second instance" "$(rows instances "WHERE fn='g'")" 1
wait "$BG_PIDS" || fail "20s.3 the busy invocation failed"
BG_PIDS=""
expect_rc 0 H fn invoke g
expect_eq "20s.3 the warm one serves" "$OUT" '"ok"'
expect_rc 0 H config ls
expect_in "20s.3 the setting" "$OUT" "instances.memory"

# 20s.4 A claimed pool instance (128 MB until claimed) raised to its
# function's memory is held to the budget as a new one is: with g's warm
# instance and the pool's (256 of 300 MB), h (256 MB) cannot claim, nor
# start one; it fails throttled, and the limits never add up past 300.
export HEARTH_INSTANCES_MEMORY=300M HEARTH_POOL_SIZE=1
expect_rc 0 H fn create h --runtime python3 --handler f.handler --code "$T/code" --memory 256
expect_rc 0 H vm pool python3
expect_eq "20s.4 pool instance" "$(rows instances "WHERE fn IS NULL")" 1
expect_rc 1 H fn invoke h
expect_in "20s.4 throttled" "$ERR" "TooManyRequestsException"
used=$(q "SELECT coalesce(sum(memory_mb), 0) FROM instances")
[ "$used" -le 300 ] || fail "20s.4 limits add up to $used MB, past the 300 MB budget"
expect_eq "20s.4 h has none" "$(rows instances "WHERE fn='h'")" 0
expect_rc 0 H vm rm --all
expect_rc 0 H fn invoke h
expect_eq "20s.4 with room, h serves" "$OUT" '"ok"'
expect_rc 0 H vm rm --all
