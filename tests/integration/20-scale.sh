# Scale down what a burst scaled up (issue 10, item 8): a claimed pool
# instance takes its function's idle TTL, not the pool's.
. "$(dirname "$0")/../lib.sh"

export HEARTH_POOL_SIZE=1
mkpy "$T/code" f '    return "ok"'
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
