#!/bin/sh
# tests/bench-vm.sh BUILD — microVM figures, side by side with their
# baselines: raw QEMU boot vs hearth's boot, restore vs boot, warm invoke
# in a VM vs in an ns sandbox, host memory per idle VM vs per sandbox.
# Never asserts.  Under TCG (no usable KVM) the figures are emulation's.
B=${1:-build}
HEARTH="$(cd "$B" && pwd)/hearth"
LIB="$(cd "$B" && pwd)"
T=$(mktemp -d /tmp/hearth-bench-vm.XXXXXX)
export HEARTH_HOME="$T/home" HEARTH_POOL_SIZE=0
unset NODE_EXTRA_CA_CERTS
trap '"$HEARTH" vm rm --all >/dev/null 2>&1; rm -rf "$T"' EXIT
H() { "$HEARTH" "$@"; }
N=${VM_RUNS:-5}

command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo "(no qemu-system-x86_64: microVM figures skipped)"; exit 0; }
[ -r "$LIB/images/guest/vmlinuz" ] || { echo "(no guest kernel: microVM figures skipped)"; exit 0; }

mkdir -p "$T/py" "$HEARTH_HOME"
printf 'def handler(event, context):\n    return {"ok": True}\n' > "$T/py/app.py"
H fn create vm --runtime python3 --handler app.handler --code "$T/py" --driver qemu >/dev/null
H fn create ns --runtime python3 --handler app.handler --code "$T/py" --driver ns >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now_ms() { date +%s%3N; }

# One VM in the pool; print how it started and how long it took (ms).
pool_vm() {
	H vm rm --all >/dev/null 2>&1
	H vm pool python3 --driver qemu --size 1 2>/dev/null >/dev/null
	H vm ls -o json | /usr/bin/python3 -c 'import json, sys
d = [r for r in json.load(sys.stdin) if r["driver"] == "qemu"]
print(d[0]["start"], d[0]["start_ms"], d[0]["accel"]) if d else print("none 0 -")'
}

echo "-- microVM start ($N runs each, interleaved, medians)"
# The QEMU command line hearth uses, taken from a VM it booted, to run by
# hand: what booting costs without hearth (and without its jail).
H vm pool python3 --driver qemu --size 1 >/dev/null 2>&1
id=$(H vm ls -o json | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
qp=$(cat "$HEARTH_HOME/run/$id/qemu.pid")
tr '\0' '\n' < "/proc/$qp/cmdline" > "$T/cmdline"
cp "$HEARTH_HOME/run/$id/env" "$T/env"
H vm rm --all >/dev/null 2>&1
mkdir -p "$T/raw"
: > "$T/boot"; : > "$T/raw.times"; : > "$T/phase"
i=0
while [ $i -lt $N ]; do
	# hearth: boot to agent-ready (shim started, QEMU up, agent rekeyed).
	H vm snapshot rm --all >/dev/null 2>&1
	set -- $(pool_vm)
	accel=$3
	echo "$2" >> "$T/boot"
	cat "$HEARTH_HOME"/run/*/phases >> "$T/phase" 2>/dev/null
	H vm rm --all >/dev/null 2>&1
	# raw: the same command line, unconfined (no shim, no jail: QEMU as
	# root in the host's namespaces, -sandbox kept), from exec to the
	# first serial output and to the agent's "vm ready" line.  What the
	# shim hands QEMU as descriptors or in its jail becomes paths here:
	# QMP's socket, the fw_cfg settings; the forward gets a free port.
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -e "s|hostfwd=tcp:127.0.0.1:[0-9]*-|hostfwd=tcp:127.0.0.1:$port-|" \
	    -e "s|^socket,id=qmp,fd=[0-9]*,|socket,id=qmp,path=$T/raw/qmp.sock,|" \
	    -e "s|,file=/env\$|,file=$T/raw/env|" "$T/cmdline" |
	    grep -v '^$' > "$T/raw.args"
	cp "$T/env" "$T/raw/env"
	# The serial console is QEMU's stdout, watched from one process that
	# blocks on it, so the watching costs QEMU no CPU.
	/usr/bin/python3 - "$T/raw.args" >> "$T/raw.times" <<'PY'
import os, select, subprocess, sys, time
args = [a for a in open(sys.argv[1]).read().split("\n") if a]
start = time.monotonic()
p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
first = ready = 0
text = b""
while time.monotonic() - start < 60:
    if not select.select([p.stdout], [], [], 1)[0]:
        continue
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
        break
    if not first:
        first = time.monotonic() - start
    text = text[-64:] + chunk
    if b"hearth-agent: vm ready" in text:
        ready = time.monotonic() - start
        break
p.kill()
p.wait()
print("%d %d" % (first * 1000, ready * 1000))
PY
	i=$((i + 1))
done
awk '{ print $1 }' "$T/raw.times" > "$T/raw.first"
awk '{ print $2 }' "$T/raw.times" > "$T/raw.ms"
raw=$(median < "$T/raw.ms")
boot=$(median < "$T/boot")
printf '%-58s %6s ms\n' "raw QEMU, same command line, to first serial output" "$(median < "$T/raw.first")"
printf '%-58s %6s ms\n' "raw QEMU, same command line, to the agent's serial line" "$raw"
printf '%-58s %6s ms  (ratio %.2f)\n' "hearth boot to agent-ready (shim, QEMU, agent, new token)" "$boot" \
    "$(echo "$boot $raw" | awk '{ print $1 / $2 }')"
# Within one boot, what hearth adds after the guest is up: immune to the
# run-to-run spread of TCG boots that the medians above carry.
seen=$(awk '{ print $2 }' "$T/phase" | median)
agent=$(awk '{ print $4 }' "$T/phase" | median)
printf '    same boots: agent line on the console at %s ms, agent rekeyed at %s ms:\n' "$seen" "$agent"
printf '    hearth adds %s ms after the guest is up (ratio %.3f)\n' "$((agent - seen))" \
    "$(echo "$agent $seen" | awk '{ print $1 / $2 }')"
# A snapshot for the restores.
H vm pool python3 --driver qemu --size 1 >/dev/null 2>&1
# Restores: a snapshot exists now (the last boot saved one).
i=0
: > "$T/restore"
while [ $i -lt $N ]; do
	set -- $(pool_vm)
	[ "$1" = restore ] && echo "$2" >> "$T/restore"
	i=$((i + 1))
done
restore=$(median < "$T/restore")
printf '%-58s %6s ms  (%.1fx faster than booting)\n' "hearth restore from snapshot to agent-ready" "$restore" \
    "$(echo "$boot $restore" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')"
H vm snapshot ls | sed 's/^/    /'
start=$(now_ms)
H vm rm --all >/dev/null
H fn invoke vm >/dev/null 2>&1
printf '%-58s %6s ms\n' "first invocation, new VM restored (whole command)" $(( $(now_ms) - start ))
start=$(now_ms)
H fn invoke ns >/dev/null 2>&1
printf '%-58s %6s ms\n' "first invocation, new ns sandbox (whole command)" $(( $(now_ms) - start ))
echo "    accelerator: $accel"
echo
echo "-- warm invoke, microVM vs ns sandbox (fn bench, c=1)"
printf '%-8s ' vm; H fn bench vm -n 500 -c 1 | sed -n '2p;3p' | tr '\n' ' '; echo
printf '%-8s ' ns; H fn bench ns -n 2000 -c 1 | sed -n '2p;3p' | tr '\n' ' '; echo
echo
echo "-- host memory per idle instance (3 of each, function invoked once)"
H vm rm --all >/dev/null
for i in 1 2 3; do
	H fn create "v$i" --runtime python3 --handler app.handler --code "$T/py" --driver qemu >/dev/null
	H fn create "n$i" --runtime python3 --handler app.handler --code "$T/py" --driver ns >/dev/null
	H fn invoke "v$i" >/dev/null 2>&1
	H fn invoke "n$i" >/dev/null 2>&1
done
sleep 1
H vm ls -o json | HEARTH_HOME="$HEARTH_HOME" /usr/bin/python3 -c '
import json, os, sys

def kb(pid, *fields):
    total = 0
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.split(":")[0] in fields:
                    total += int(line.split()[1])
    except OSError:
        pass
    return total

def tree(pid):
    out = [pid]
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            for c in f.read().split():
                out += tree(int(c))
    except OSError:
        pass
    return out

rows = [r for r in json.load(sys.stdin) if r["owner"] != "(pool)"]
for drv in ("qemu", "ns"):
    mine = [r for r in rows if r["driver"] == drv]
    if not mine:
        continue
    rss = pss = 0
    for r in mine:
        for p in tree(r["pid"]):
            rss += kb(p, "Rss")
            pss += kb(p, "Pss")
    n = len(mine)
    what = "shim + QEMU (guest RAM it touched)" if drv == "qemu" else "agent + runtime"
    print("%-5s %d idle: RSS %6.1f MiB  PSS %6.1f MiB per instance  (%s)" %
          (drv, n, rss / n / 1024, pss / n / 1024, what))
'
