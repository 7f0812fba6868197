# Functions in QEMU microVMs (TCG here): boot and invoke python and node,
# the snapshot the first boot leaves and a restore from it, hot reload, a
# timeout, a second hearth process using a VM the first started, and
# isolation from the host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../qemu-lib.sh"

qemu_require

# A first VM boots (and is saved as python3's snapshot).
mkpy "$T/py" app '    if event.get("spin"):
        while True:
            pass
    return {"hello": event.get("name"), "uid": os.getuid(), "host": os.uname().nodename,
            "release": os.uname().release, "pid1": open("/proc/1/cmdline").read().split("\0")[0],
            "task": sorted(os.listdir("/var/task"))}'
expect_rc 0 H fn create py --runtime python3 --handler app.handler --code "$T/py" --driver qemu --timeout 2
expect_rc 0 H fn show py
expect_in "driver shown" "$OUT" "Driver:"
expect_rc 0 H fn invoke py '{"name": "vm"}'
expect_eq "python result" "$(json_get "$OUT" 'd["hello"], d["uid"], d["host"], d["task"]')" "vm 1051 py ['app.py']"
guest_kernel=$(json_get "$OUT" 'd["release"]')
expect_not_in "a guest kernel, not the host's" "$guest_kernel" "$(uname -r)"
expect_in "agent is the guest's init" "$(json_get "$OUT" 'd["pid1"]')" "init"
id=$(q "SELECT id FROM instances WHERE fn = 'py'")
expect_eq "one qemu instance" "$(q "SELECT driver FROM instances WHERE fn = 'py'")" "qemu"
expect_rc 0 H vm inspect "$id" -o json
expect_eq "booted" "$(json_get "$OUT" 'd["start"], d["alive"], d["accel"] in ("kvm", "tcg")')" "boot yes True"
expect_rc 0 H vm console "$id"
expect_in "serial console captured" "$OUT" "hearth-agent: vm ready"
expect_rc 0 H vm snapshot ls -o json
expect_eq "snapshot saved" "$(json_get "$OUT" 'd[0]["runtime"], d[0]["size_mb"] > 0')" "python3 True"
expect_rc 0 H vm ls
expect_in "vm ls shows the driver" "$OUT" "qemu"

# A second hearth process (this one) uses the VM the first started: same
# instance, warm (no Init Duration).
expect_rc 0 H fn invoke py '{"name": "again"}' --log
expect_in "warm in the same VM" "$(q "SELECT id FROM instances WHERE fn = 'py'")" "$id"
expect_not_in "warm: no init" "$ERR$OUT" "Init Duration"

# Hot reload inside the VM.
mkpy "$T/py2" app '    return {"version": 2, "task": sorted(os.listdir("/var/task"))}'
printf 'data\n' > "$T/py2/extra.txt"
expect_rc 0 H fn update py --code "$T/py2"
expect_rc 0 H fn invoke py
expect_eq "reloaded code" "$(json_get "$OUT" 'd["version"], d["task"]')" "2 ['app.py', 'extra.txt']"
expect_eq "same VM after reload" "$(q "SELECT id FROM instances WHERE fn = 'py'")" "$id"

# Timeout: the agent stops a spinning handler; the VM serves on.
expect_rc 0 H fn update py --code "$T/py"
expect_rc 1 H fn invoke py '{"spin": true}'
expect_in "timeout" "$OUT" "Task timed out after 2.00 seconds"
expect_rc 0 H fn invoke py '{"name": "after"}'
expect_eq "after timeout" "$(json_get "$OUT" 'd["hello"]')" "after"

# Restore: a new VM of the same runtime starts from the snapshot.
id=$(q "SELECT id FROM instances WHERE fn = 'py'")
expect_rc 0 H vm rm "$id"
expect_rc 0 H fn invoke py '{"name": "restored"}'
expect_eq "restored result" "$(json_get "$OUT" 'd["hello"]')" "restored"
id2=$(q "SELECT id FROM instances WHERE fn = 'py'")
expect_rc 0 H vm inspect "$id2" -o json
expect_eq "restored, not booted" "$(json_get "$OUT" 'd["start"]')" "restore"
expect_rc 0 H vm console "$id2"
expect_in "restored console" "$OUT" "restored from snapshot python3-"

# Code that would land outside /var/task is refused whole; the old code
# stays in place.
sock="$HEARTH_HOME/run/$id2/agent.sock"
for bad in '../evil' '/etc/evil' 'a/../../evil'; do
	r=$(printf 'f 644 3 %s\nabc' "$bad" | curl -s --unix-socket "$sock" -X PUT --data-binary @- http://agent/code)
	expect_in "bundle with $bad refused" "$r" "malformed code bundle"
done
r=$(printf 'f 644 99 app.py\nshort' | curl -s --unix-socket "$sock" -X PUT --data-binary @- http://agent/code)
expect_in "truncated bundle refused" "$r" "malformed code bundle"
expect_rc 0 H fn invoke py '{"name": "intact"}'
expect_eq "old code intact" "$(json_get "$OUT" 'd["hello"]')" "intact"

# vm console -f follows the serial log until the VM stops.
H vm console "$id2" -f > "$T/follow" &
fpid=$!
BG_PIDS="$BG_PIDS $fpid"
sleep 0.5
expect_rc 0 H vm rm "$id2"
for i in $(seq 1 50); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fpid" 2>/dev/null && fail "vm console -f outlived its VM"
expect_in "followed" "$(cat "$T/follow")" "restored from snapshot"

# Node in a VM.
mkdir -p "$T/js"
cat > "$T/js/index.js" <<'JS'
exports.handler = async (event) => ({ node: process.version, sum: event.a + event.b });
JS
expect_rc 0 H fn create js --runtime node --handler index.handler --code "$T/js" --driver qemu
expect_rc 0 H fn invoke js '{"a": 2, "b": 3}'
expect_eq "node result" "$(json_get "$OUT" 'd["sum"]')" "5"

# Isolation: the host's files and network are out of reach.
echo "canary-$$" > "$T/canary"
chmod 644 "$T/canary"
cp "$(dirname "$0")/../probe_helpers.py" "$T/py/"
cat > "$T/py/probe.py" <<'PY'
import os
from probe_helpers import attempt, connect, talk
def handler(event, context):
    return {
        "host": os.uname().nodename,
        "canary": attempt(lambda: open(event["canary"]).read()),
        "home": attempt(lambda: os.listdir(event["home"])),
        "host_net": attempt(lambda: connect(("10.0.2.2", 22))),
        "internet": attempt(lambda: connect(("1.1.1.1", 53))),
        "agent": attempt(lambda: talk(("10.0.2.15", 1051), b"GET /health HTTP/1.1\r\n\r\n")),
        "write_root": attempt(lambda: open("/usr/x", "w")),
    }
PY
expect_rc 0 H fn create probe --runtime python3 --handler probe.handler --code "$T/py" --driver qemu
expect_rc 0 H fn invoke probe "{\"canary\": \"$T/canary\", \"home\": \"$HEARTH_HOME\"}"
r=$OUT
for k in canary home host_net internet write_root; do
	expect_in "isolation $k" "$(json_get "$r" "d['$k']")" "denied"
done
expect_not_in "no canary" "$r" "canary-$$"
expect_not_in "the agent does not serve the guest" "$(json_get "$r" "d['agent']")" "200"
expect_eq "a restored VM takes its own name" "$(json_get "$r" "d['host']")" "probe"

# A warm pool of VMs: the first invocation takes one that is running.
expect_rc 0 H vm pool python3 --driver qemu --size 1
pool_id=$(q "SELECT id FROM instances WHERE fn IS NULL AND driver = 'qemu'")
[ -n "$pool_id" ] || fail "no pool VM"
expect_rc 0 H fn create pooled --runtime python3 --handler app.handler --code "$T/py" --driver qemu
HEARTH_POOL_SIZE=1 expect_rc 0 H fn invoke pooled '{"name": "p"}'
expect_eq "pool result" "$(json_get "$OUT" 'd["hello"]')" "p"
expect_eq "claimed the pool VM" "$(q "SELECT id FROM instances WHERE fn = 'pooled'")" "$pool_id"
# The claim refills the pool in the background: wait for it, so cleanup
# finds the new VM.
for i in $(seq 1 300); do
	[ "$(q "SELECT count(*) FROM instances WHERE fn IS NULL AND driver = 'qemu' AND state = 'ready' AND pid > 0")" = 1 ] && break
	sleep 0.1
done

# The console: the Instances view says how each VM started; c shows a VM's
# serial console, Enter what `vm inspect` says.
. "$(dirname "$0")/../tmux-lib.sh"
tm new-session -d -s vmc -x 160 -y 40 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 LANG=C.UTF-8 TERM=xterm-256color $HEARTH"
TMUX_PID=$(tm display-message -p '#{pid}')
wait_for vmc "Functions"
keys vmc 2
wait_for vmc "Instances"
wait_for vmc "restore [0-9.]*s"
keys vmc c
wait_for vmc "hearth-agent: vm ready" 10
keys vmc Escape Enter
wait_for vmc "Accelerator:" 10
# The logs and stats panes stream from the agent inside the VM.
keys vmc Escape 1
wait_for vmc "Functions"
keys vmc "/" "^js$" Enter l
wait_for vmc "logs: js"
H fn invoke js '{"a": 40, "b": 2}' >/dev/null || fail "invoke js for the logs pane"
wait_for vmc "END RequestId" 10
keys vmc Escape s
wait_for vmc "stats: js"
wait_for vmc "invocations [1-9]" 10
keys vmc Escape q
