# tests/lib.sh — sourced by every integration test.
#
# Gives the test a private HEARTH_HOME under a temp dir, a pool size of 0
# (tests that want a pool set it), the ns driver by default, helpers that fail loudly with the line,
# and a cleanup trap that destroys every instance the test started (by
# pid, through `hearth vm rm --all`) and removes the temp dir.
set -u
: "${HEARTH:?HEARTH must point at the hearth binary}"
T=$(mktemp -d /tmp/hearth-test.XXXXXX)
export HEARTH_HOME="$T/home"
export HEARTH_POOL_SIZE=0
# Functions made without --driver run in ns sandboxes, whatever "auto"
# would pick on this host; the microVM tests ask for qemu by name.
export HEARTH_DRIVER=ns
unset NODE_EXTRA_CA_CERTS
BG_PIDS=""
TMUX_PID=""
H() { "$HEARTH" "$@"; }

cleanup() {
	# A terminal a test started (tmux), by its server's pid.
	[ -n "${TMUX_PID:-}" ] && kill "$TMUX_PID" 2>/dev/null
	# Anything else a test started in the background, by pid.
	for p in ${BG_PIDS:-}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$HEARTH" vm rm --all >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# expect_in WHAT HAYSTACK NEEDLE
expect_in() { case "$2" in *"$3"*) ;; *) fail "$1: '$3' not in: $2" ;; esac; }
expect_not_in() { case "$2" in *"$3"*) fail "$1: '$3' unexpectedly in: $2" ;; esac; }
# expect_rc WANT CMD...: run CMD, check its exit status, keep its output
expect_rc() {
	want=$1
	shift
	OUT=$("$@" 2>"$T/stderr")
	RC=$?
	ERR=$(cat "$T/stderr")
	[ "$RC" = "$want" ] || fail "'$*' exited $RC, want $want (stderr: $ERR)"
}
# json_get JSON PYTHON-EXPR (d is the parsed document)
json_get() { printf '%s' "$1" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

# Query the store (waiting on a writer, as hearth itself does).
q() { sqlite3 -cmd '.timeout 10000' "$HEARTH_HOME/state.db" "$1"; }
# Count the rows of a table in the store.
rows() { q "SELECT count(*) FROM $1 ${2:-}"; }

# A python function file: mkpy DIR NAME BODY-OF-HANDLER
mkpy() {
	mkdir -p "$1"
	printf 'import os, sys, time, json\ndef handler(event, context):\n%s\n' "$3" > "$1/$2.py"
}

# wait_paused STEP: until a process stopped at HEARTH_TEST_PAUSE=STEP
# (vm_test_pause) has written its pid to $HEARTH_HOME/paused-STEP; sets
# PAUSED_PID.  Removing the file lets it go on.
wait_paused() {
	i=0
	until [ -s "$HEARTH_HOME/paused-$1" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || fail "$1: never paused"; sleep 0.05
	done
	PAUSED_PID=$(cat "$HEARTH_HOME/paused-$1")
}
