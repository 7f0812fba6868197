#!/bin/sh
# tests/bench-console.sh — the console's figures, measured through a real
# terminal (tmux): idle CPU; and with a function printing 10,000 log lines
# a second into the open logs pane, keypress-to-screen latency, RSS, and
# bytes written to the terminal per second.  Prints; never asserts.
: "${HEARTH:?}"
command -v tmux >/dev/null || { echo "console: tmux not installed, skipped"; exit 0; }
T=$(mktemp -d /tmp/hearth-cbench.XXXXXX)
export HEARTH_HOME="$T/home" HEARTH_POOL_SIZE=0 LANG=C.UTF-8
unset NODE_EXTRA_CA_CERTS
sock="$T/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
cleanup() {
	[ -n "${LOADER:-}" ] && kill "$LOADER" 2>/dev/null
	tm kill-server 2>/dev/null
	"$HEARTH" vm rm --all >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

mkdir -p "$T/code"
printf 'def handler(event, context):\n    for i in range(1000):\n        print("flood line", i, "of request", context.aws_request_id)\n    return 1\n' > "$T/code/app.py"
"$HEARTH" fn create flood --runtime python3 --handler app.handler --code "$T/code" >/dev/null
"$HEARTH" fn invoke flood >/dev/null

tm new-session -d -s c -x 120 -y 40 "env HEARTH_HOME=$HEARTH_HOME TERM=xterm-256color $HEARTH"
sleep 1
pid=$(pgrep -P "$(tm display-message -p -t c '#{pane_pid}')" hearth || tm display-message -p -t c '#{pane_pid}')
hz=$(getconf CLK_TCK)

t0=$(cpu_ticks "$pid")
sleep 10
t1=$(cpu_ticks "$pid")
echo "console idle CPU over 10 s: $(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {
	if (b == a) printf "< %.1f%% (no CPU tick of 1/%d s in 10 s)", 100 / hz / 10, hz
	else printf "%.2f%%", (b - a) / hz / 10 * 100 }')"

# The flood: 10 invocations a second of 1,000 lines each.
tm send-keys -t c l
( while :; do "$HEARTH" fn invoke flood >/dev/null 2>&1; sleep 0.1; done ) &
LOADER=$!
sleep 2
rss0=$(rss_kb "$pid")
tm pipe-pane -t c -o "cat > $T/tty.bytes"
t0=$(cpu_ticks "$pid")
start=$(date +%s.%N)

# Keypress to screen: toggle timestamps and wait for the pane to change.
lat=""
for i in $(seq 1 20); do
	before=$(tm capture-pane -p -t c | md5sum)
	k0=$(date +%s%N)
	tm send-keys -t c t
	while [ "$(tm capture-pane -p -t c | md5sum)" = "$before" ]; do :; done
	k1=$(date +%s%N)
	lat="$lat $(( (k1 - k0) / 1000 ))"
	sleep 0.2
done
sleep 4
end=$(date +%s.%N)
t1=$(cpu_ticks "$pid")
tm pipe-pane -t c
rss1=$(rss_kb "$pid")
bytes=$(wc -c < "$T/tty.bytes")
kill "$LOADER"; LOADER=""
lines=$("$HEARTH" fn show flood -o json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["invocations"] * 1000)')
echo "$lat" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END {
	printf "keypress-to-screen under a 10,000 lines/s log flood: p50 %.1f ms  max %.1f ms (20 keys)\n", v[int(NR / 2) + 1] / 1000, v[NR] / 1000 }'
awk -v b="$bytes" -v a="$start" -v e="$end" 'BEGIN { printf "terminal output in that state: %.0f bytes/s\n", b / (e - a) }'
echo "console CPU in that state: $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f%%", (b - a) / hz / (e - s) * 100 }')"
echo "console RSS: ${rss0} KiB at the start of the flood, ${rss1} KiB after (~$lines lines logged in all)"
