# From inside a function, try what a sandbox must not allow: read host
# files, see host processes, reach other instances or the network, load a
# module, mount, ptrace, make namespaces, write outside /tmp.
. "$(dirname "$0")/../lib.sh"

echo "canary-$$" > "$T/canary"
chmod 644 "$T/canary"
mkdir -p "$T/code"
cp "$(dirname "$0")/../probe_helpers.py" "$T/code/"
cat > "$T/code/probe.py" <<'PY'
import ctypes, os, _socket
from probe_helpers import attempt, connect
libc = ctypes.CDLL(None, use_errno=True)
def sysc(nr, *a):
    if libc.syscall(nr, *a) == -1:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return "ok"
def handler(event, context):
    return {
        "uid": os.getuid(),
        "canary": attempt(lambda: open(event["canary"]).read()),
        "host_passwd": attempt(lambda: open("/etc/passwd").read()),
        "sock": attempt(lambda: os.listdir(event["run"])),
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "mount": attempt(lambda: sysc(165, b"none", b"/tmp", b"tmpfs", 0, None)),
        "init_module": attempt(lambda: sysc(313, -1, b"", 0)),
        "ptrace": attempt(lambda: sysc(101, 16, 1, 0, 0)),
        "unshare": attempt(lambda: sysc(272, 0x10000000)),
        "chroot": attempt(lambda: sysc(161, b"/tmp")),
        "network": attempt(lambda: connect(("1.1.1.1", 53))),
        "write_task": attempt(lambda: open("/var/task/x", "w")),
        "write_root": attempt(lambda: open("/usr/x", "w")),
        "write_tmp": attempt(lambda: open("/tmp/x", "w").write("ok")),
        "ifaces": [n for _, n in _socket.if_nameindex()],
    }
PY
expect_rc 0 H fn create probe --runtime python3 --handler probe.handler --code "$T/code"
expect_rc 0 H fn create other --runtime python3 --handler probe.handler --code "$T/code"
expect_rc 0 H fn invoke other "{\"canary\": \"/x\", \"run\": \"/x\"}"
ev="{\"canary\": \"$T/canary\", \"run\": \"$HEARTH_HOME/run\"}"
expect_rc 0 H fn invoke probe "$ev"
r=$OUT
g() { json_get "$r" "d[\"$1\"]"; }
expect_eq "runs unprivileged" "$(g uid)" "1051"
expect_in "host file" "$(g canary)" "denied"
expect_not_in "host passwd" "$(g host_passwd)" "root:x:0:0:root:/root:/bin/bash"
expect_in "host sockets" "$(g sock)" "denied"
expect_eq "own processes only" "$(g pids)" "[1, 2]"
for k in mount init_module ptrace unshare chroot; do
	expect_in "$k" "$(g $k)" "denied: [Errno 1] Operation not permitted"
done
expect_in "no network" "$(g network)" "denied"
expect_eq "only loopback" "$(g ifaces)" "['lo']"
expect_in "read-only code" "$(g write_task)" "Read-only file system"
expect_in "read-only root" "$(g write_root)" "Read-only file system"
expect_eq "tmp writable" "$(g write_tmp)" "allowed: 2"
exit 0
