# The instance lifecycle is crash-safe: a client killed at any step of a
# cold start leaves nothing the next hearth process that looks does not
# destroy (row, sandbox processes, cgroups, run directory), and vm rm
# never says it removed what it did not.
#
# HEARTH_TEST_PAUSE=STEP stops inst_spawn at STEP (row: its row written,
# no VM yet; create: the sandbox made, its pid not yet recorded; pid: the
# row complete, before the first invocation) after writing its pid to
# $HEARTH_HOME/paused-STEP, so each kill lands exactly there.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" f '    return "ok"'
expect_rc 0 H fn create f --runtime python3 --handler f.handler --code "$T/code"

# procs_of ID: how many host processes are in instance ID's cgroup.
procs_of() {
	grep -l "/hearth/$1\$" /proc/[0-9]*/cgroup 2>/dev/null | wc -l
}

# gone ID WHAT: nothing of instance ID is left.
gone() {
	expect_eq "$2: row" "$(rows instances "WHERE id='$1'")" 0
	expect_eq "$2: processes" "$(procs_of "$1")" 0
	for c in /sys/fs/cgroup/*/hearth/"$1" /sys/fs/cgroup/hearth/"$1"; do
		[ -e "$c" ] && fail "$2: cgroup $c left behind"
	done
	[ -e "$HEARTH_HOME/run/$1" ] && fail "$2: run directory left behind"
	[ -e "$HEARTH_HOME/run/$1.owner" ] && fail "$2: owner file left behind"
	return 0
}

# settle: run the janitor (vm ls) until no row is 'starting'.  A killed
# client's sandbox setup (its middle process, PID 1 before its exec)
# holds the owner lock a moment longer; a live owner would hold it for good.
settle() {
	i=0
	while expect_rc 0 H vm ls && [ "$(rows instances "WHERE state='starting'")" != 0 ]; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "rows left starting"; sleep 0.05
	done
}

# paused STEP: start a cold invocation that stops at STEP (its output in
# $T/p.out and $T/p.err); sets CPID, and PAUSED_PID to the paused process.
paused() {
	rm -f "$HEARTH_HOME/paused-$1"
	HEARTH_TEST_PAUSE=$1 "$HEARTH" fn invoke f >"$T/p.out" 2>"$T/p.err" &
	CPID=$!
	BG_PIDS="$BG_PIDS $CPID"
	wait_paused "$1"
}

# 20.1 a client killed at each step of a cold start; the janitor (vm ls,
# then vm rm --all) destroys what it left.
for step in row create pid; do
	for janitor in "vm ls" "vm rm --all"; do
		paused $step
		id=$(q "SELECT id FROM instances WHERE state='starting'")
		[ -n "$id" ] || fail "$step: no starting row"
		# A starting instance whose owner is alive is left alone.
		expect_rc 0 H vm ls
		expect_eq "$step: owner alive, kept" "$(rows instances "WHERE id='$id'")" 1
		kill -9 "$CPID"
		wait "$CPID" 2>/dev/null
		# Its sandbox's middle process may still be finishing the setup.
		sleep 0.2
		expect_rc 0 H $janitor
		gone "$id" "$step, then $janitor"
	done
done

# 20.2 the same without the hook: kills at a spread of delays.
for d in 0.01 0.03 0.06 0.1 0.15 0.25 0.4; do
	"$HEARTH" fn invoke f >/dev/null 2>&1 &
	p=$!
	BG_PIDS="$BG_PIDS $p"
	sleep $d
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
ids=$(q "SELECT id FROM instances")
settle
# What is left is usable: ready, with a live sandbox.
for id in $(q "SELECT id FROM instances"); do
	expect_eq "spread: $id ready" "$(q "SELECT state FROM instances WHERE id='$id'")" ready
done
expect_rc 0 H vm rm --all
for id in $ids; do gone "$id" "spread"; done
[ -z "$(ls "$HEARTH_HOME/run")" ] || fail "run left: $(ls "$HEARTH_HOME/run")"

# 20.2b kills of clients that claim from the pool (claimed, being
# configured, serving): what is left is ready, the rest goes.
export HEARTH_POOL_SIZE=1
for d in 0.01 0.03 0.06 0.1 0.2; do
	expect_rc 0 H vm pool python3
	"$HEARTH" fn invoke f >/dev/null 2>&1 &
	p=$!
	BG_PIDS="$BG_PIDS $p"
	sleep $d
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
# A client that got as far as serving started a detached refill: wait
# for those of this HEARTH_HOME to finish (they are not ours to kill).
i=0
while grep -lz "^HEARTH_HOME=$HEARTH_HOME\$" /proc/[0-9]*/environ 2>/dev/null |
    sed 's#environ$#cmdline#' | xargs -r grep -lz '^pool$' 2>/dev/null | grep -q .; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "pool refill never ended"; sleep 0.05
done
ids=$(q "SELECT id FROM instances")
settle
for id in $(q "SELECT id FROM instances"); do
	expect_eq "pool: $id ready" "$(q "SELECT state FROM instances WHERE id='$id'")" ready
done
expect_rc 0 H vm rm --all
for id in $ids; do gone "$id" "pool"; done
[ -z "$(ls "$HEARTH_HOME/run")" ] || fail "run left: $(ls "$HEARTH_HOME/run")"
export HEARTH_POOL_SIZE=0

# 20.3 a destroy that fails is an error naming the instance, the row
# stays (marked gone, never ready), and the next vm rm finishes it.  A
# child cgroup makes the instance's memory cgroup impossible to remove.
expect_rc 0 H fn invoke f
id=$(q "SELECT id FROM instances WHERE fn='f'")
cg=/sys/fs/cgroup/memory/hearth/$id
[ -d "$cg" ] || cg=/sys/fs/cgroup/hearth/$id
[ -d "$cg" ] || skip "no cgroup directory for $id"
mkdir "$cg/stuck" || skip "cannot make a child cgroup"
expect_rc 1 H vm rm "$id"
expect_in "20.3 error names it" "$ERR" "$id"
expect_not_in "20.3 not claimed" "$OUT" "removed $id"
expect_eq "20.3 row kept, gone" "$(q "SELECT state FROM instances WHERE id='$id'")" gone
expect_rc 1 H vm rm --all
expect_in "20.3 --all names it" "$ERR" "$id"
expect_in "20.3 --all count" "$OUT" "removed 0 instances"
# Nobody invokes it: a new instance serves.
expect_rc 0 H fn invoke f
expect_eq "20.3 served elsewhere" "$OUT" '"ok"'
rmdir "$cg/stuck"
expect_rc 0 H vm rm --all
gone "$id" "20.3 after the fix"
[ -z "$(ls "$HEARTH_HOME/run")" ] || fail "run left: $(ls "$HEARTH_HOME/run")"

# 20.4 the ns driver's middle process (it maps the sandbox's user
# namespace) dies during the setup: the client says so, exits 1 and
# leaves nothing; with the client killed too, the janitor finds it all.
paused middle
id=$(q "SELECT id FROM instances WHERE state='starting'")
kill -9 "$PAUSED_PID"
wait "$CPID"
expect_eq "20.4 the client failed" "$?" 1
expect_in "20.4 said why" "$(cat "$T/p.err")" "sandbox $id"
gone "$id" "20.4 middle killed"
paused middle
id=$(q "SELECT id FROM instances WHERE state='starting'")
kill -9 "$CPID" "$PAUSED_PID"
wait "$CPID" 2>/dev/null
sleep 0.2
expect_rc 0 H vm ls
gone "$id" "20.4 client and middle killed, then vm ls"

# 20.5 the agent dies after its sandbox was made, before it was
# configured: the event was never sent, so a second new instance runs it;
# the first is gone.
paused pid
id=$(q "SELECT id FROM instances WHERE state='starting'")
agent=$(q "SELECT pid FROM instances WHERE id='$id'")
[ "$agent" -gt 0 ] || fail "20.5 no agent pid recorded"
kill -9 "$agent"
rm -f "$HEARTH_HOME/paused-pid"		# go on
# The second new instance stops at the same step: let it go on too.
wait_paused pid
rm -f "$HEARTH_HOME/paused-pid"
wait "$CPID"
expect_eq "20.5 served" "$?" 0
expect_eq "20.5 by another instance" "$(cat "$T/p.out")" '"ok"'
gone "$id" "20.5 agent killed"
expect_rc 0 H vm rm --all

# 20.5b what a killed client left goes at the next invocation that has to
# start an instance (of any function), with no listing command run; and
# fn show never counts it.
paused pid
id=$(q "SELECT id FROM instances WHERE state='starting'")
# Configured at birth: its row says with which version, while it starts.
expect_eq "20.5b the starting row's version" "$(q "SELECT fn_version FROM instances WHERE id='$id'")" \
    "$(q "SELECT version FROM functions WHERE name='f'")"
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
sleep 0.2
expect_rc 0 H fn show f -o json
expect_eq "20.5b fn show does not count it" "$(json_get "$OUT" 'd["instances"]')" 0
paused pid
id=$(q "SELECT id FROM instances WHERE state='starting'")
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
sleep 0.2
mkpy "$T/code2" g '    return "g"'
expect_rc 0 H fn create g --runtime python3 --handler g.handler --code "$T/code2"
expect_rc 0 H fn invoke g
gone "$id" "20.5b after another function's cold start"
expect_rc 0 H vm rm --all

# 20.6 the console dies (kill -9) while a job of its starts an instance:
# the job is interrupted with it, destroys what it was starting and
# exits; nothing is left, with no janitor run.
. "$(dirname "$0")/../tmux-lib.sh"
rm -f "$HEARTH_HOME/paused-pid"
tm new-session -d -s c -x 120 -y 40 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns HEARTH_TEST_PAUSE=pid LANG=C.UTF-8 TERM=xterm-256color $HEARTH"
TMUX_PID=$(tm display-message -p '#{pid}')
con=$(tm display-message -p -t c '#{pane_pid}')
wait_for c "Functions"
wait_for c "^ *f "
keys c i
wait_for c "invoke f with payload"
keys c Enter
wait_paused pid
job=$PAUSED_PID
id=$(q "SELECT id FROM instances WHERE state='starting'")
kill -9 "$con"
i=0
while kill -0 "$job" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "20.6 the job outlived its console"; sleep 0.05
done
gone "$id" "20.6 console killed"
exit 0
