#!/bin/sh
# tests/bench-load.sh — the load table: 4, 16 and 64 concurrent clients,
# 2,000 invocations each, of a python function that works 10 ms: errors,
# latency, sandboxes started, the instances' peak memory (sampled twice a
# second), and how many instances are still there 60 s later.  Each level
# starts from no instances.  Prints; never asserts.
: "${HEARTH:?}"
T=$(mktemp -d /tmp/hearth-lbench.XXXXXX)
export HEARTH_HOME="$T/home" HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns
unset NODE_EXTRA_CA_CERTS
SAMPLER=""
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	"$HEARTH" vm rm --all >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
H() { "$HEARTH" "$@"; }
PY=/usr/bin/python3

mkdir -p "$T/py"
printf 'import time\ndef handler(event, context):\n    time.sleep(0.01)\n    return event\n' > "$T/py/app.py"
H fn create load --runtime python3 --handler app.handler --code "$T/py" >/dev/null || exit 1

# started: how many instances the store says were started so far.
started() {
	sqlite3 "$HEARTH_HOME/state.db" "SELECT count(*) FROM events WHERE kind = 'started'"
}

# instances FIELD: the sum of FIELD over the instances (or their count
# with FIELD "n").
instances() {
	H vm ls -o json 2>/dev/null | $PY -c '
import json, sys
rows = json.load(sys.stdin)
f = sys.argv[1]
print(len(rows) if f == "n" else
    round(sum(r[f] for r in rows if isinstance(r.get(f), (int, float)))))' "$1"
}

printf '%-8s %7s %9s %9s %10s %9s %14s\n' clients errors "p50 ms" "p99 ms" sandboxes "peak MB" "left after 60s"
for c in 4 16 64; do
	H vm rm --all >/dev/null
	before=$(started)
	: > "$T/mem"
	(while :; do instances memory_used_mb >> "$T/mem"; sleep 0.5; done) &
	SAMPLER=$!
	H fn bench load -n 2000 -c $c > "$T/out" 2>&1
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=""
	errors=$(sed -n 's/.* ok, \([0-9]*\) errors.*/\1/p' "$T/out")
	p50=$(sed -n 's/.*p50 \([0-9]*\) µs.*/\1/p' "$T/out")
	p99=$(sed -n 's/.*p99 \([0-9]*\) µs.*/\1/p' "$T/out")
	made=$(($(started) - before))
	peak=$(sort -n "$T/mem" | tail -1)
	sleep 60
	printf '%-8s %7s %9.1f %9.1f %10s %9s %14s\n' "$c" "${errors:-?}" \
	    "$(awk -v u="${p50:-0}" 'BEGIN { print u / 1000 }')" \
	    "$(awk -v u="${p99:-0}" 'BEGIN { print u / 1000 }')" \
	    "$made" "${peak:-?}" "$(instances n)"
done
