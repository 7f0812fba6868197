#!/bin/sh
# tests/bench-logs.sh — what `fn logs -f` keeps up with: a python function
# prints N lines of 32 bytes as fast as it can, a follower writes them to
# a file, and the figures are the lines it printed per second of the
# function's run, what it reported dropped (the agent drops for a follower
# that falls behind, with a counted notice), and the follower's peak RSS.
# Prints; never asserts.
: "${HEARTH:?}"
T=$(mktemp -d /tmp/hearth-logbench.XXXXXX)
export HEARTH_HOME="$T/home" HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns
unset NODE_EXTRA_CA_CERTS
FPID=""
cleanup() {
	[ -n "$FPID" ] && kill "$FPID" 2>/dev/null
	"$HEARTH" vm rm --all >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
H() { "$HEARTH" "$@"; }

mkdir -p "$T/py"
cat > "$T/py/app.py" <<'PY'
import sys, time
def handler(event, context):
    n = event["n"]
    line = "l" * 31 + "\n"
    t = time.monotonic()
    w = sys.stdout.write
    for i in range(n):
        w(line)
    sys.stdout.flush()
    return round(time.monotonic() - t, 3)
PY
H fn create flood --runtime python3 --handler app.handler --code "$T/py" --timeout 120 >/dev/null || exit 1
H fn invoke flood '{"n": 1}' >/dev/null || exit 1	# a warm instance

printf '%-10s %9s %12s %12s %14s %12s\n' lines "fn s" "followed" "lines/s" "dropped bytes" "follower MB"
for n in 100000 1000000; do
	"$HEARTH" fn logs flood -f --tail 0 > "$T/follow" 2> "$T/follow.err" &
	FPID=$!
	sleep 0.5
	secs=$(H fn invoke flood "{\"n\": $n}")
	# Until the follower printed this invocation's REPORT (or 60 s).
	i=0
	while [ "$(grep -c '^REPORT' "$T/follow")" -lt 1 ] && [ $i -lt 600 ]; do
		i=$((i + 1)); sleep 0.1
	done
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$FPID/status" 2>/dev/null)
	kill "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=""
	got=$(grep -c '^lllll' "$T/follow")
	dropped=$(sed -n 's/.* \([0-9,]*\) bytes dropped.*/\1/p' "$T/follow" "$T/follow.err" |
	    tr -d , | awk '{ s += $1 } END { print s + 0 }')
	printf '%-10s %9s %12s %12.0f %14s %12.1f\n' "$n" "$secs" "$got" \
	    "$(awk -v g="$got" -v s="$secs" 'BEGIN { print (s > 0 ? g / s : 0) }')" \
	    "$dropped" "$(awk -v k="${hwm:-0}" 'BEGIN { print k / 1024 }')"
done
