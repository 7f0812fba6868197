# Ctrl-C (issue 11, items 3 and 4).  An interrupted `fn invoke` leaves
# nothing behind — its new instance is destroyed before it dies, a warm
# one it waited on finishes the event and goes idle — and dies of SIGINT
# (status 130 to a shell).  The shell lives on: Ctrl-C drops the line
# being typed or ends the command running, and history is appended as
# each line runs.
#
# What is left is read from the store and /proc directly, never through a
# hearth command, whose janitor would clean up for the client.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" f '    time.sleep(event.get("sleep", 0))
    print("slept", flush=True)
    return "ok"'
expect_rc 0 H fn create f --runtime python3 --handler f.handler --code "$T/code" --timeout 30

procs_of() {
	grep -l "/hearth/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | wc -l
}

# nothing_left WHAT: no row, process, cgroup or run directory of any instance.
nothing_left() {
	expect_eq "$1: rows" "$(rows instances)" 0
	for c in /sys/fs/cgroup/*/hearth/* /sys/fs/cgroup/hearth/*; do
		[ -d "$c" ] || continue
		id=${c##*/}
		[ -e "$HEARTH_HOME/run/$id.owner" ] && fail "$1: instance $id left (cgroup $c)"
	done
	[ -z "$(ls "$HEARTH_HOME/run" 2>/dev/null)" ] || fail "$1: run left: $(ls "$HEARTH_HOME/run")"
	return 0
}

# interrupt PID: SIGINT, as a terminal's Ctrl-C sends it; the exit status.
interrupt() {
	kill -INT "$1"
	wait "$1"
}

# 21.1 Ctrl-C at each step of a cold start (HEARTH_TEST_PAUSE stops it
# there): the client dies of SIGINT, and has destroyed its instance.
for step in row create pid; do
	rm -f "$HEARTH_HOME/paused-$step"
	# env: a background job's SIGINT is ignored; a terminal's is not.
	env --default-signal=INT HEARTH_TEST_PAUSE=$step "$HEARTH" fn invoke f '{"sleep": 5}' \
	    >/dev/null 2>"$T/int.err" &
	p=$!
	BG_PIDS="$BG_PIDS $p"
	wait_paused "$step"
	id=$(q "SELECT id FROM instances")
	[ -n "$id" ] || fail "$step: no instance row"
	interrupt $p
	expect_eq "21.1 $step: died of SIGINT" "$?" 130
	expect_eq "21.1 $step: processes" "$(procs_of "$id")" 0
	nothing_left "21.1 $step"
	expect_in "21.1 $step: said" "$(cat "$T/int.err")" "interrupted"
done

# 21.2 Ctrl-C while a new instance runs the event (no hook: a real
# timeline): nothing left either, and the client did not wait the 5 s.
env --default-signal=INT "$HEARTH" fn invoke f '{"sleep": 5}' >/dev/null 2>&1 &
p=$!
BG_PIDS="$BG_PIDS $p"
i=0
until [ "$(rows instances "WHERE pid != 0")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "21.2 the instance never started"; sleep 0.05
done
sleep 0.3	# the event is sent as soon as the runtime is configured
start=$(date +%s)
interrupt $p
expect_eq "21.2 died of SIGINT" "$?" 130
[ $(($(date +%s) - start)) -lt 4 ] || fail "21.2 Ctrl-C waited for the handler"
nothing_left "21.2 running"

# 21.3 Ctrl-C while a warm instance runs the event: the instance is not
# ours to end; it finishes the event and serves the next one.
expect_rc 0 H fn invoke f
id=$(q "SELECT id FROM instances")
env --default-signal=INT "$HEARTH" fn invoke f '{"sleep": 2}' >/dev/null 2>&1 &
p=$!
BG_PIDS="$BG_PIDS $p"
sleep 0.5
interrupt $p
expect_eq "21.3 died of SIGINT" "$?" 130
expect_eq "21.3 the warm one stays" "$(q "SELECT id || ' ' || state FROM instances")" "$id ready"
sleep 2	# the rest of the event's 2 s
expect_rc 0 H fn invoke f
expect_eq "21.3 served by it" "$(q "SELECT id FROM instances")" "$id"
expect_rc 0 H vm rm --all

# 21.4 vm rm --all while another process starts an instance (a pool
# refill, say) waits for that start, then removes it: no error, nothing
# left, and the starter's own error is clear.
for d in 0.01 0.05 0.1; do
	"$HEARTH" vm pool python3 >/dev/null 2>&1 &
	p=$!
	BG_PIDS="$BG_PIDS $p"
	sleep $d
	expect_rc 0 H vm rm --all
	wait $p
	expect_rc 0 H vm rm --all
	nothing_left "21.4 after $d s"
done

# 21.5 The shell, in a real terminal.
command -v tmux >/dev/null || skip "tmux not installed"
sock="$T/tmux.sock"
tmux -S "$sock" new-session -d -x 120 -y 30 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns $HEARTH shell; echo SHELL-EXITED \$?; sleep 60"
TMUX_PID=$(tmux -S "$sock" display-message -p '#{pid}')
screen() { tmux -S "$sock" capture-pane -p; }
wait_for() {
	i=0
	until screen | grep -q -- "$1"; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "screen never showed '$1': $(screen)"; sleep 0.05
	done
}
wait_for "hearth>"
# Ctrl-C at the prompt drops the half-typed line; the shell goes on.
tmux -S "$sock" send-keys "fn show half-typed"
wait_for "half-typed"
tmux -S "$sock" send-keys C-c
sleep 0.3
tmux -S "$sock" send-keys "fn ls" Enter
wait_for "^f "
expect_not_in "21.5 the dropped line did not run" "$(screen)" "no function 'half-typed'"
expect_not_in "21.5 alive" "$(screen)" "SHELL-EXITED"
# Ctrl-C during a command ends that command, not the shell.
tmux -S "$sock" send-keys "fn invoke f '{\"sleep\": 20}'" Enter
i=0
until [ "$(rows instances)" != 0 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "21.5 the invocation never started"; sleep 0.05
done
sleep 0.5
tmux -S "$sock" send-keys C-c
wait_for "interrupted"
tmux -S "$sock" send-keys "fn ls" Enter
i=0
until [ "$(screen | grep -c '^f ')" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "21.5 the shell did not go on: $(screen)"; sleep 0.05
done
expect_not_in "21.5 still alive" "$(screen)" "SHELL-EXITED"
nothing_left "21.5 the interrupted cold start"
# History has each line as it ran, with the shell still running.
grep -q "fn invoke f" "$HEARTH_HOME/history" || fail "21.5 history not appended as lines run"
grep -q "half-typed" "$HEARTH_HOME/history" && fail "21.5 a dropped line is in history"
tmux -S "$sock" send-keys "exit" Enter
wait_for "SHELL-EXITED 0"
exit 0
