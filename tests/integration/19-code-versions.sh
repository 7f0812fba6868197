# Code versions are immutable and counted by the instances that use them;
# a hot reload reaches an instance at its next runtime generation, never
# under an invocation in flight.
#
# Every version's code holds d.txt (its label), one only-LABEL file and a
# module that knows its label; the handler reads d.txt, sleeps, reads it
# again and lists the only-* files, so one result shows whether it saw
# exactly one version from start to end.
. "$(dirname "$0")/../lib.sh"

# mkver DIR LABEL: a version of the code.
mkver() {
	mkdir -p "$1"
	echo "$2" > "$1/d.txt"
	: > "$1/only-$2"
	cat > "$1/app.py" <<PY
import os, time
V = "$2"
def handler(event, context):
    if event.get("mark"):
        open("/tmp/started-" + event["mark"], "w").close()
    before = open("/var/task/d.txt").read().strip()
    time.sleep(event.get("sleep", 0))
    after = open("/var/task/d.txt").read().strip()
    files = sorted(f for f in os.listdir("/var/task") if f.startswith("only-"))
    return {"module": V, "before": before, "after": after, "files": files}
PY
}

# one_version JSON: the label if the result saw one version throughout, else fail.
one_version() {
	printf '%s' "$1" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d["module"]
if not (d["before"] == d["after"] == v and d["files"] == ["only-" + v]):
    sys.exit("mixed versions: %r" % d)
print(v)' || fail "an invocation saw more than one version: $1"
}

# wait_started PID MARK: until the invocation marked MARK runs in sandbox PID.
wait_started() {
	i=0
	until [ -e "/proc/$1/root/tmp/started-$2" ]; do
		i=$((i + 1))
		[ "$i" -lt 3000 ] || fail "invocation $2 never started"
		sleep 0.01
	done
}

for l in a1 a2 a3; do mkver "$T/$l" "$l"; done
expect_rc 0 H fn create cv --runtime python3 --handler app.handler --code "$T/a1" --timeout 60
expect_rc 0 H fn invoke cv
expect_eq "first version" "$(one_version "$OUT")" a1
pid=$(q "SELECT pid FROM instances WHERE fn='cv'")
code="$HEARTH_HOME/code/cv"

# --- Two updates while an invocation sleeps on the first version.
H fn invoke cv '{"mark": "s1", "sleep": 3}' >"$T/sleeper.out" 2>"$T/sleeper.err" &
sleeper=$!
BG_PIDS="$sleeper"
wait_started "$pid" s1
expect_rc 0 H fn update cv --code "$T/a2"
expect_rc 0 H fn update cv --code "$T/a3"
# The sleeping invocation still uses v1: its directory is there, whole.
[ -f "$code/v1/d.txt" ] || fail "v1 was removed while an invocation used it"
expect_eq "unused v2 is gone" "$(ls "$code" | tr '\n' ' ')" "v1 v3 "
expect_eq "the row names the current version" \
    "$(q "SELECT code_version FROM instances WHERE fn='cv'")" 3
wait "$sleeper" || fail "the sleeping invocation failed: $(cat "$T/sleeper.out" "$T/sleeper.err")"
BG_PIDS=""
expect_eq "the sleeper kept its version" "$(one_version "$(cat "$T/sleeper.out")")" a1
# The next invocation, on the same sandbox, sees only the new version.
expect_rc 0 H fn invoke cv
expect_eq "next invocation" "$(one_version "$OUT")" a3
expect_eq "same sandbox" "$(q "SELECT pid FROM instances WHERE fn='cv'")" "$pid"
# Nothing uses v1 now: the next look removes it.
expect_rc 0 H vm ls
expect_eq "v1 removed once unused" "$(ls "$code" | tr '\n' ' ')" "v3 "

# --- A reload under a running invocation (the runtime idle otherwise).
mkver "$T/a4" a4
H fn invoke cv '{"mark": "s2", "sleep": 2}' >"$T/sleeper.out" 2>"$T/sleeper.err" &
sleeper=$!
BG_PIDS="$sleeper"
wait_started "$pid" s2
expect_rc 0 H fn update cv --code "$T/a4"
wait "$sleeper" || fail "the running invocation failed: $(cat "$T/sleeper.err")"
BG_PIDS=""
expect_eq "in flight: old files only" "$(one_version "$(cat "$T/sleeper.out")")" a3
expect_rc 0 H fn invoke cv
expect_eq "next: new files only" "$(one_version "$OUT")" a4

# --- The same on a pool sandbox, whose runtime was prewarmed before it had
# code: its first code reaches it, and later code does not.
for l in p1 p2 p3; do mkver "$T/$l" "$l"; done
HEARTH_POOL_SIZE=1 expect_rc 0 H vm pool python3
pool_id=$(q "SELECT id FROM instances WHERE fn IS NULL")
[ -n "$pool_id" ] || fail "no pool sandbox"
expect_rc 0 H fn create pw --runtime python3 --handler app.handler --code "$T/p1" --timeout 60
HEARTH_POOL_SIZE=1 expect_rc 0 H fn invoke pw
expect_eq "claimed" "$(q "SELECT fn FROM instances WHERE id='$pool_id'")" pw
expect_eq "pool sandbox, first code" "$(one_version "$OUT")" p1
ppid=$(q "SELECT pid FROM instances WHERE id='$pool_id'")
H fn invoke pw '{"mark": "s3", "sleep": 3}' >"$T/sleeper.out" 2>"$T/sleeper.err" &
sleeper=$!
BG_PIDS="$sleeper"
wait_started "$ppid" s3
expect_rc 0 H fn update pw --code "$T/p2"
expect_rc 0 H fn update pw --code "$T/p3"
[ -f "$HEARTH_HOME/code/pw/v1/d.txt" ] || fail "the prewarmed runtime's code was removed under it"
wait "$sleeper" || fail "the pool sandbox's invocation failed: $(cat "$T/sleeper.err")"
BG_PIDS=""
expect_eq "pool sandbox, in flight" "$(one_version "$(cat "$T/sleeper.out")")" p1
expect_rc 0 H fn invoke pw
expect_eq "pool sandbox, next" "$(one_version "$OUT")" p3
expect_eq "same pool sandbox" "$(q "SELECT count(*) FROM instances WHERE id='$pool_id' AND fn='pw'")" 1
expect_rc 0 H vm ls
expect_eq "pool sandbox's old code removed" "$(ls "$HEARTH_HOME/code/pw" | tr '\n' ' ')" "v3 "
# Removing its first version took no mount with it: it still serves the
# current one, from a directory that exists.
expect_rc 0 H fn invoke pw
expect_eq "pool sandbox, after its first code went" "$(one_version "$OUT")" p3
grep -q '/var/task.*deleted\|deleted.*/var/task' "/proc/$ppid/mountinfo" &&
    fail "a deleted version is mounted in the pool sandbox: $(grep /var/task "/proc/$ppid/mountinfo")"
expect_rc 0 H fn delete pw

# --- Two updaters, four invokers: every result is one version.
n=0
for u in 1 2; do
	for k in 1 2 3 4 5 6 7 8; do mkver "$T/u$u-$k" "u$u-$k"; done
done
updater() { # updater U
	for k in 1 2 3 4 5 6 7 8; do
		until H fn update cv --code "$T/u$1-$k" >/dev/null 2>"$T/upd$1.err"; do
			grep -q "try again" "$T/upd$1.err" || { echo "$1-$k" >>"$T/upd.fail"; break; }
		done
	done
}
invoker() { # invoker N: invoke until told to stop
	while [ ! -e "$T/stop" ]; do
		H fn invoke cv '{"sleep": 0.05}' >>"$T/inv$1.out" 2>>"$T/inv$1.err" ||
		    echo x >>"$T/inv.fail"
		echo >>"$T/inv$1.out"
	done
}
for i in 1 2 3 4; do invoker "$i" & BG_PIDS="$BG_PIDS $!"; done
updater 1 & u1=$!
updater 2 & u2=$!
BG_PIDS="$BG_PIDS $u1 $u2"
wait "$u1"
wait "$u2"
touch "$T/stop"
for p in $BG_PIDS; do wait "$p"; done
BG_PIDS=""
[ ! -e "$T/upd.fail" ] || fail "updates failed: $(cat "$T"/upd*.err)"
[ ! -e "$T/inv.fail" ] || fail "invocations failed: $(cat "$T"/inv*.err | sort | uniq -c | head)"
for i in 1 2 3 4; do
	while IFS= read -r line; do
		[ -n "$line" ] && one_version "$line" >/dev/null
	done <"$T/inv$i.out"
done
cur=$(q "SELECT code_version FROM functions WHERE name='cv'")
# No instance is left on a deleted version: each row's version exists and
# is what every process of its sandbox shows at /var/task.
for row in $(q "SELECT id || ':' || code_version FROM instances WHERE fn='cv'"); do
	id=${row%%:*}
	v=${row#*:}
	[ -f "$code/v$v/d.txt" ] || fail "instance $id is on v$v, which is gone"
	label=$(cat "$code/v$v/d.txt")
	for p in $(cat "/sys/fs/cgroup/hearth/$id/cgroup.procs" 2>/dev/null); do
		grep -q '/deleted' "/proc/$p/mountinfo" 2>/dev/null &&
		    fail "instance $id: process $p has a deleted mount: $(grep deleted "/proc/$p/mountinfo")"
	done
	got=$(cat "/proc/$(q "SELECT pid FROM instances WHERE id='$id'")/root/var/task/d.txt")
	expect_eq "instance $id shows its row's version" "$got" "$label"
done
# Once things settle every instance serves the current version.
label=$(cat "$code/v$cur/d.txt")
for i in 1 2 3 4 5 6; do
	expect_rc 0 H fn invoke cv
	expect_eq "settled" "$(one_version "$OUT")" "$label"
done
expect_rc 0 H vm ls
for d in "$code"/v*; do
	v=${d##*/v}
	[ "$v" = "$cur" ] && continue
	[ "$(rows instances "WHERE fn='cv' AND code_version=$v")" -gt 0 ] ||
	    fail "v$v is kept though no instance uses it (current v$cur)"
done

# --- Staging left by an update that died while copying code in: one an
# hour old goes at the next look; one being written now stays.
mkdir -p "$HEARTH_HOME/code/cv/.stage-dead/sub" "$HEARTH_HOME/code/cv/.stage-live"
echo x > "$HEARTH_HOME/code/cv/.stage-dead/sub/f"
touch -d '2 hours ago' "$HEARTH_HOME/code/cv/.stage-dead"
expect_rc 0 H vm ls
[ -e "$HEARTH_HOME/code/cv/.stage-dead" ] && fail "a dead update's staging is kept"
[ -d "$HEARTH_HOME/code/cv/.stage-live" ] || fail "a staging directory in use was removed"
exit 0
