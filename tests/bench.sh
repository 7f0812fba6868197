#!/bin/sh
# tests/bench.sh BUILD — print hearth's performance figures side by side
# with their baselines.  Never asserts: figures vary with the machine.
B=${1:-build}
HEARTH="$(cd "$B" && pwd)/hearth"
export HEARTH
SPAWN="$(cd "$B" && pwd)/tests/bench-spawn"
T=$(mktemp -d /tmp/hearth-bench.XXXXXX)
export HEARTH_HOME="$T/home" HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns
unset NODE_EXTRA_CA_CERTS
trap '"$HEARTH" vm rm --all >/dev/null 2>&1; rm -rf "$T"' EXIT
H() { "$HEARTH" "$@"; }

mkdir -p "$T/py" "$T/js"
printf 'def handler(event, context):\n    return {"ok": True}\n' > "$T/py/app.py"
printf 'exports.handler = async (event) => ({ ok: true });\n' > "$T/js/index.js"
H fn create py --runtime python3 --handler app.handler --code "$T/py" >/dev/null
H fn create js --runtime node --handler index.handler --code "$T/js" >/dev/null

echo "== hearth bench: $(nproc) cores, kernel $(uname -r), cgroup $(test -e /sys/fs/cgroup/cgroup.controllers && echo v2 || echo v1)"
echo
echo "-- warm invoke through the whole stack (fn bench: client, store, agent, runtime)"
for f in py js; do
	printf '%-8s c=1  ' "$f"; H fn bench $f -n 5000 -c 1 | sed -n '2p;3p' | tr '\n' ' '; echo
	printf '%-8s c=2  ' "$f"; H fn bench $f -n 5000 -c 2 | sed -n '2p;3p' | tr '\n' ' '; echo
done
echo
echo "-- cold start: new sandbox -> runtime -> handler result"
printf '%-8s new sandbox   ' py; H fn bench py -n 60 --cold | sed -n '2p'
printf '%-8s from pool     ' py; H fn bench py -n 60 --pool | sed -n '2p'
printf '%-8s new sandbox   ' js; H fn bench js -n 30 --cold | sed -n '2p'
printf '%-8s from pool     ' js; H fn bench js -n 30 --pool | sed -n '2p'
echo
echo "-- baselines"
printf '%-50s' "python3 subprocess per invocation (same handler)"
"$SPAWN" 100 /usr/bin/python3 -c "import sys, json; sys.path.insert(0, '$T/py'); import app; print(json.dumps(app.handler({}, None)))"
printf '%-50s' "node subprocess per invocation (same handler)"
"$SPAWN" 40 /usr/bin/node -e "require('$T/js/index.js').handler({}).then(r => console.log(JSON.stringify(r)))"
printf '%-50s' "unshare -pmuin --fork /bin/true"
"$SPAWN" 100 unshare -pmuin --fork /bin/true
printf '%-50s' "fork+exec /bin/true"
"$SPAWN" 200 /bin/true
echo
echo "-- what each defence of a sandbox adds to a cold start (bench-defences, round robin)"
"$(cd "$B" && pwd)/tests/bench-defences" 500
echo "   the same, each child then starting python3 -S -c pass:"
"$(cd "$B" && pwd)/tests/bench-defences" 200 /usr/bin/python3 -S -c pass
echo
echo "-- memory per idle warm instance (10 python instances)"
H vm rm --all >/dev/null
i=0
while [ $i -lt 10 ]; do
	H fn create "m$i" --runtime python3 --handler app.handler --code "$T/py" >/dev/null
	H fn invoke "m$i" >/dev/null
	i=$((i + 1))
done
sleep 0.5
"$HEARTH" vm ls -o json | /usr/bin/python3 -c '
import json, sys

def kb(pid, *fields):
    total = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.split(":")[0] in fields:
                total += int(line.split()[1])
    return total

def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]

USS = ("Private_Clean", "Private_Dirty")
a_rss = a_pss = a_uss = r_rss = r_uss = cg = n = 0
for row in json.load(sys.stdin):
    if row["owner"] == "(pool)":
        continue
    agent = row["pid"]
    a_rss += kb(agent, "Rss")
    a_pss += kb(agent, "Pss")
    a_uss += kb(agent, *USS)
    # The child of the agent is the init of the runtime generation
    # (counted with the agent); the runtime is the child of that init.
    for init in children(agent):
        a_rss += kb(init, "Rss")
        a_pss += kb(init, "Pss")
        a_uss += kb(init, *USS)
        for c in children(init):
            r_rss += kb(c, "Rss")
            r_uss += kb(c, *USS)
    cg += row["memory_used_mb"] * 1024
    n += 1
print("%d idle instances; per instance:" % n)
print("  runtime (python3)    RSS %5.1f MiB   private %5.1f MiB" % (r_rss / n / 1024, r_uss / n / 1024))
print("  agent and its init   RSS %5.0f KiB   private %5.0f KiB   PSS %4.0f KiB" % (a_rss / n, a_uss / n, a_pss / n))
print("  cgroup charge        %5.1f MiB (private memory of both, page tables, kernel objects)" % (cg / n / 1024))
print("  beyond the runtime   %5.1f MiB (cgroup charge - runtime private memory)" % ((cg - r_uss) / n / 1024))
'
echo
echo "-- load: concurrent clients x 2,000 invocations (a python handler working 10 ms)"
sh "$(dirname "$0")/bench-load.sh"
echo
echo "-- fn logs -f: what a follower keeps up with (lines of 32 B, printed as fast as python can)"
sh "$(dirname "$0")/bench-logs.sh"
echo
sh "$(dirname "$0")/bench-vm.sh" "$B"
echo
echo "-- console (tmux 120x40)"
sh "$(dirname "$0")/bench-console.sh"
echo
sh "$(dirname "$0")/bench-fuzz.sh" "$B"
