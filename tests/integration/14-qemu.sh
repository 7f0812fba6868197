# Functions in QEMU microVMs (TCG here): boot and invoke python and node,
# the snapshot the first boot leaves and a restore from it, hot reload, a
# timeout, a second hearth process using a VM the first started,
# isolation from the host, and QEMU's confinement (uid, capabilities,
# seccomp, root, network) attacked from outside and from inside its jail.
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
expect_in "serial console captured" "$OUT" "hearth-agent: vm ready, protocol"
# The guest kernel's harmless PCI complaint is explained, once.
case "$OUT" in *"PCI: Fatal"*)
	expect_in "the PCI line explained" "$ERR" "is harmless: the microvm machine has no PCI bus"
	expect_eq "explained once" "$(printf '%s\n' "$ERR" | grep -c "is harmless")" 1 ;;
esac
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

# QEMU is confined: each VM's its own uid, no capabilities, its seccomp
# filter, no new privileges.  Two VMs run now (js, probe).
idj=$(q "SELECT id FROM instances WHERE fn = 'js'")
idp=$(q "SELECT id FROM instances WHERE fn = 'probe'")
qj=$(qemu_pid "$idj")
qp=$(qemu_pid "$idp")
uj=$(status_field "$qj" Uid)
up=$(status_field "$qp" Uid)
expect_eq "QEMU's uid follows its pid" "$uj" "$((2013265920 + 2 * qj))"
[ "$uj" != 0 ] || fail "QEMU runs as root"
[ "$uj" != "$up" ] || fail "two VMs' QEMUs share uid $uj"
for p in "$qj" "$qp"; do
	expect_eq "QEMU $p: all its uids" "$(awk '$1 == "Uid:" { print ($2 == $3 && $3 == $4 && $4 == $5) }' /proc/$p/status)" "1"
	expect_eq "QEMU $p: gid" "$(status_field "$p" Gid)" "$(status_field "$p" Uid)"
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_eq "QEMU $p: $c" "$(status_field "$p" $c)" "0000000000000000"
	done
	expect_eq "QEMU $p: seccomp filter" "$(status_field "$p" Seccomp)" "2"
	expect_eq "QEMU $p: hearth's filter and QEMU's own" "$(status_field "$p" Seccomp_filters)" "2"
	expect_eq "QEMU $p: no new privileges" "$(status_field "$p" NoNewPrivs)" "1"
done
accel=$(H vm inspect "$idp" -o json | json_get "$(cat)" 'd["accel"]')
if [ "$accel" = kvm ]; then
	expect_eq "QEMU under KVM: the kvm group only" "$(status_field "$qp" Groups)" \
	    "$(getent group kvm | cut -d: -f3)"
	devs="kvm null random urandom zero "
else
	expect_eq "QEMU under TCG: no groups" "$(status_field "$qp" Groups)" ""
	devs="null random urandom zero "
fi

# Its root holds nothing of the host but what QEMU needs: no
# $HEARTH_HOME, no /root, no /tmp (unless the images live there), no /proc,
# and it is read-only even to root.
r=/proc/$qp/root
want=$( { for d in bin sbin lib lib64; do [ -e "/$d" ] && echo "$d"; done
	echo dev; echo env; echo etc; echo usr; echo "$LIBDIR" | cut -d/ -f2; } | sort -u | tr '\n' ' ')
expect_eq "QEMU's root" "$(ls -A "$r" | sort | tr '\n' ' ')" "$want"
expect_eq "QEMU's /etc" "$(ls -A "$r/etc")" "ld.so.cache"
expect_eq "QEMU's /dev" "$(ls -A "$r/dev" | tr '\n' ' ')" "$devs"
for p in "$HEARTH_HOME" "$T" /root /proc /sys /home /var /run; do
	[ -e "$r$p" ] && fail "QEMU's root shows $p"
done
case $LIBDIR in
/tmp/*)	expect_eq "QEMU's /tmp: the images only" "$(ls -A "$r/tmp")" "$(echo "$LIBDIR" | cut -d/ -f3)" ;;
*)	[ -e "$r/tmp" ] && fail "QEMU's root shows /tmp" ;;
esac
expect_eq "the fw_cfg settings: QEMU's alone" "$(stat -c '%a %u' "$r/env")" "400 $up"
expect_rc 1 touch "$r/planted"
expect_in "QEMU's root is read-only" "$ERR" "Read-only file system"
expect_rc 1 touch "$r$LIBDIR/images/python3/rootfs.erofs"
expect_in "the disk is read-only" "$ERR" "Read-only file system"

# From inside the jail, with QEMU's uid: the host's files are not there,
# the other VM and the shim cannot be signalled.
shim=$(q "SELECT pid FROM instances WHERE fn = 'probe'")
inside=$(nsenter -t "$qp" -m -i -n setpriv --reuid="$up" --regid="$up" --clear-groups \
    --no-new-privs /bin/sh -c 'cat "$1/state.db" 2>&1; echo x 2>&1 > /planted
	kill -0 "$2" 2>&1; kill -0 "$3" 2>&1; cat /env > /dev/null && echo own-settings' \
    sh "$HEARTH_HOME" "$shim" "$qj" 2>&1)
expect_in "no store in the jail" "$inside" "state.db: No such file"
expect_in "nothing written in the jail" "$inside" "Read-only file system"
expect_eq "neither the shim nor the other QEMU can be signalled" \
    "$(printf '%s\n' "$inside" | grep -c 'Operation not permitted')" "2"
expect_in "QEMU reads its own settings" "$inside" "own-settings"

# The shim keeps only CAP_KILL (to stop QEMU) and cannot gain more; it
# and QEMU are in a network namespace of their own, QEMU in its own
# mount and IPC namespaces too.
expect_eq "shim: CapEff" "$(status_field "$shim" CapEff)" "0000000000000020"
expect_eq "shim: CapPrm" "$(status_field "$shim" CapPrm)" "0000000000000020"
expect_eq "shim: CapBnd" "$(status_field "$shim" CapBnd)" "0000000000000000"
expect_eq "shim: no new privileges" "$(status_field "$shim" NoNewPrivs)" "1"
[ "$(readlink /proc/$shim/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
    fail "the shim shares the host's network namespace"
expect_eq "QEMU in the shim's network" "$(readlink /proc/$qp/ns/net)" "$(readlink /proc/$shim/ns/net)"
for ns in mnt ipc; do
	[ "$(readlink /proc/$qp/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ] ||
	    fail "QEMU shares the host's $ns namespace"
done

# The forwarded port exists only in the shim's namespace: from the host
# nobody (not even root) reaches it; agent.sock is the shim's owner's.
port=$(qemu_fwd_port "$qp")
[ -n "$port" ] || fail "no forwarded port in QEMU's command line"
nsenter -t "$shim" -n /usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$port" ||
    fail "the port does not answer in the shim's namespace"
as_nobody /usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$port" 2>/dev/null &&
    fail "nobody connected to the VM's port $port"
tcp_try 127.0.0.1 "$port" && fail "root on the host reached the VM's port $port"
sock="$HEARTH_HOME/run/$idp/agent.sock"
expect_eq "agent.sock: owner only" "$(stat -c '%a %u' "$sock")" "600 0"
# 64 idle connections as nobody, to the port and to agent.sock: none
# opens, and the next invocation works while they are tried and held.
cat > "$T/hog.py" <<'PY'
import socket, sys, time
held, why = [], ""
for i in range(64):
    for fam, addr in ((socket.AF_INET, ("127.0.0.1", int(sys.argv[1]))),
                      (socket.AF_UNIX, sys.argv[2])):
        s = socket.socket(fam)
        try:
            s.connect(addr)
            held.append(s)
        except OSError as e:
            why = e.strerror
print(len(held), why, flush=True)
time.sleep(120)
PY
as_nobody /usr/bin/python3 - "$port" "$sock" < "$T/hog.py" > "$T/hog.out" 2>&1 &
hog=$!
BG_PIDS="$BG_PIDS $hog"
for i in $(seq 1 100); do [ -s "$T/hog.out" ] && break; sleep 0.05; done
expect_eq "nobody holds no connection" "$(cut -d' ' -f1 "$T/hog.out")" "0"
expect_rc 0 H fn invoke probe "{\"canary\": \"$T/canary\", \"home\": \"$HEARTH_HOME\"}"
expect_eq "invocation after the hog" "$(json_get "$OUT" "d['host']")" "probe"
kill "$hog"
wait "$hog" 2>/dev/null

# Even from inside the shim's network namespace (root, nsenter), 60
# connections that never show the token are closed by the agent within a
# second or two and do not hold the host's slots: invocations go on.
nsenter -t "$shim" -n /usr/bin/python3 - "$port" > "$T/unauth.out" 2>&1 <<'PY' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) for _ in range(60)]
print("open", len(held), flush=True)
time.sleep(3)
closed = 0
for s in held:
    s.settimeout(0.5)
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
print("closed", closed, flush=True)
PY
unauth=$!
BG_PIDS="$BG_PIDS $unauth"
for i in $(seq 1 100); do grep -q open "$T/unauth.out" && break; sleep 0.05; done
expect_rc 0 H fn invoke probe "{\"canary\": \"$T/canary\", \"home\": \"$HEARTH_HOME\"}"
expect_eq "invocation beside 60 unauthenticated connections" "$(json_get "$OUT" "d['host']")" "probe"
wait "$unauth"
expect_eq "unauthenticated connections closed" "$(sed -n 's/^closed //p' "$T/unauth.out")" "60"

# Inside the guest, the runtime is as confined as in a sandbox: the same
# seccomp allowlist, no user namespaces, the generation's init (pid 1 of
# its namespace) out of reach, and nothing of old code after a reload.
cat > "$T/py/vmatk.py" <<'PY'
import ctypes, os, time
from probe_helpers import attempt, sock, sysc
def handler(event, context):
    if event.get("op") == "daemon":
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    time.sleep(1)
            os._exit(0)
        time.sleep(0.1)
    return {
        "version": "v1",
        "io_uring": attempt(lambda: sysc(425, 8, ctypes.create_string_buffer(120))),
        "vsock": attempt(lambda: sock(40)),
        "userns": attempt(lambda: sysc(272, 0x10000000)),
        "max_userns": open("/proc/sys/user/max_user_namespaces").read().strip(),
        "getfd": attempt(lambda: sysc(438, sysc(434, 1, 0), 0, 0)),
        "mem": attempt(lambda: open("/proc/1/mem", "r+b") and "opened"),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    }
PY
expect_rc 0 H fn create vmatk --runtime python3 --handler vmatk.handler --code "$T/py" --driver qemu
expect_rc 0 H fn invoke vmatk '{"op": "daemon"}'
r=$OUT
for k in io_uring userns getfd; do
	expect_in "in the guest: $k refused" "$(json_get "$r" "d['$k']")" "Operation not permitted"
done
expect_in "in the guest: no AF_VSOCK" "$(json_get "$r" 'd["vsock"]')" "Address family not supported"
expect_in "in the guest: /proc/1/mem" "$(json_get "$r" 'd["mem"]')" "denied"
expect_eq "in the guest: no user namespaces" "$(json_get "$r" 'd["max_userns"]')" "0"
expect_eq "in the guest: the daemon runs" "$(json_get "$r" 'len(d["pids"]) > 2')" "True"
sed 's/"v1"/"v2"/' "$T/py/vmatk.py" > "$T/vmatk2.py"
mkdir -p "$T/py2b" && cp "$T/py/probe_helpers.py" "$T/py2b/" && mv "$T/vmatk2.py" "$T/py2b/vmatk.py"
expect_rc 0 H fn update vmatk --code "$T/py2b"
expect_rc 0 H fn invoke vmatk
expect_eq "in the guest: new code after the reload" "$(json_get "$OUT" 'd["version"]')" "v2"
expect_eq "in the guest: no daemon survives the reload" "$(json_get "$OUT" 'd["pids"]')" "[1, 2]"

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
wait_for vmc "restore [0-9]*ms"
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
