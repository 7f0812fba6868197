# From inside real functions (ns driver), attack the agent and the host as
# issue 8 found possible: take the agent's descriptors (pidfd_getfd), its
# memory (/proc/1/mem), grow a host file through its stdout, leave a
# daemon across a reload to steal the next event and the new secrets, park
# a second GET next, send a response too large to hold, and the system
# calls Docker's profile refuses; then, as the host, check that no two
# instances share a uid and that one tenant's uid can read nothing of
# another's processes.  Every attack must fail, and the next invocation
# must work.
. "$(dirname "$0")/../lib.sh"

BASE=2013265920		# PROTO_HOST_UID_BASE
mkdir -p "$T/code"
cp "$(dirname "$0")/../probe_helpers.py" "$T/code/"
cat > "$T/code/attack.py" <<'PY'
import ctypes, os, sys, time, _socket
from probe_helpers import attempt, sock, sysc
keep = []

def raw(data):
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(("127.0.0.1", 9001))
    s.sendall(data)
    got = b""
    while b"\r\n" not in got:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    return got.split(b"\r\n")[0].decode()

def steal_forever():
    # A daemon of this code generation: wait for events meant for others.
    # It starts after a second, once the test stops invoking, so it never
    # races this generation's own runtime for its next.
    time.sleep(1)
    while True:
        try:
            s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
            s.connect(("127.0.0.1", 9001))
            s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            got = s.recv(1 << 20)
            if got.startswith(b"HTTP/1.1 200"):
                with open("/tmp/stolen", "ab") as f:
                    f.write(got)
            s.close()
        except Exception:
            pass
        time.sleep(0.02)

def handler(event, context):
    op = event["op"]
    if op == "fds":
        out = {}
        for pid in [1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            if pid == os.getpid():
                continue
            out["pidfd_open %d" % pid] = attempt(lambda: sysc(434, pid, 0))
            try:
                pfd = sysc(434, pid, 0)
            except OSError:
                continue
            for fd in range(8):
                out["getfd %d/%d" % (pid, fd)] = attempt(lambda: sysc(438, pfd, fd, 0))
        out["mem"] = attempt(lambda: open("/proc/1/mem", "r+b") and "opened")
        out["fd dir"] = attempt(lambda: os.listdir("/proc/1/fd"))
        out["fd 1"] = attempt(lambda: os.open("/proc/1/fd/1", os.O_WRONLY))
        out["environ"] = attempt(lambda: open("/proc/1/environ").read())
        out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        return out
    if op == "flood":
        chunk = "x" * 65535 + "\n"
        for _ in range(1600):		# 100 MB at the runtime's stdout
            sys.stdout.write(chunk)
        sys.stdout.flush()
        # And 100 MB at the agent's own stdout, if it can be had.
        def agent_stdout():
            try:
                return sysc(438, sysc(434, 1, 0), 1, 0)
            except OSError:
                return os.open("/proc/1/fd/1", os.O_WRONLY)
        try:
            fd = agent_stdout()
        except OSError as e:
            return "flooded; agent's stdout: %s" % e
        for _ in range(1600):
            os.write(fd, chunk.encode())
        return "flooded; agent's stdout too"
    if op == "syscalls":
        tries = {
            "io_uring_setup": lambda: sysc(425, 8, ctypes.create_string_buffer(120)),
            "vsock": lambda: sock(40), "packet": lambda: sock(17),
            "alg": lambda: sock(38),
            "pidfd_getfd": lambda: sysc(438, 0, 0, 0),
            "process_madvise": lambda: sysc(440, 0, 0, 0, 0, 0),
            "process_vm_readv": lambda: sysc(310, 1, 0, 0, 0, 0, 0),
            "move_pages": lambda: sysc(279, 0, 0, 0, 0, 0, 0),
            "mbind": lambda: sysc(237, 0, 0, 0, 0, 0, 0),
            "set_mempolicy": lambda: sysc(238, 0, 0, 0),
            "migrate_pages": lambda: sysc(256, 0, 0, 0, 0),
            "keyctl": lambda: sysc(250, 0, 0, 0, 0, 0),
            "add_key": lambda: sysc(248, b"user", b"k", b"v", 1, -2),
            "bpf": lambda: sysc(321, 0, 0, 0),
            "perf_event_open": lambda: sysc(298, 0, 0, -1, -1, 0),
            "userfaultfd": lambda: sysc(323, 0),
            "fsopen": lambda: sysc(430, b"tmpfs", 0),
            "open_tree": lambda: sysc(428, -100, b"/", 1),
            "mount": lambda: sysc(165, b"none", b"/tmp", b"tmpfs", 0, None),
            "unshare user": lambda: sysc(272, 0x10000000),
            "setns": lambda: sysc(308, 0, 0),
            "ptrace": lambda: sysc(101, 16, 1, 0, 0),
            "kexec_load": lambda: sysc(246, 0, 0, 0, 0),
            "init_module": lambda: sysc(175, 0, 0, b""),
            "clock_settime": lambda: sysc(227, 0, ctypes.create_string_buffer(16)),
        }
        out = {k: attempt(f) for k, f in tries.items()}
        # What a runtime needs still works.
        out["inet"] = attempt(lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM).close())
        out["unix"] = attempt(lambda: _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM).close())
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        out["fork"] = os.waitpid(pid, 0)[1] >> 8
        return out
    if op == "daemon":
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                for fd in (0, 1, 2):
                    os.close(fd)
                steal_forever()
            os._exit(0)
        time.sleep(0.1)
        return "daemon started"
    if op == "version":
        return "v1 " + os.environ.get("SECRET", "")
    if op == "second":
        # While this invocation is in flight no next may park; once this
        # one is answered and the runtime waits, a second one is refused.
        first = raw(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        if os.fork() == 0:
            time.sleep(0.5)
            got = attempt(lambda: raw(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
            open("/tmp/second", "w").write(got)
            os._exit(0)
        return first
    if op == "read-second":
        return open("/tmp/second").read()
    if op == "huge":
        # Claim a 2 GB response for this very invocation and send 16 MB of it.
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        s.connect(("127.0.0.1", 9001))
        s.sendall(("POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n"
                   "Content-Length: 2000000000\r\n\r\n" % context.aws_request_id).encode())
        block = b"y" * (1 << 20)
        for _ in range(16):
            s.sendall(block)
        s.close()
        time.sleep(0.2)
        return "too late"
    if op == "parser":
        return {
            "chunked": raw(b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            "two lengths": raw(b"POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n"),
            "long head": attempt(lambda: raw(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nX-Pad: " + b"p" * 100000 + b"\r\n\r\n")),
            "bad line": raw(b"GET  /x HTTP/1.1\r\n\r\n"),
        }
    if op == "resources":
        import resource, socket, select
        out = {"nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
               "capbnd": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd")][0],
               "cgroup": open("/proc/self/cgroup").read(),
               "uevent": attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)),
               "route": attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0).close())}
        # Pin TCP buffers: 40 loopback pairs, 4 MB each way, never read.
        lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(64)
        pairs, queued = [], 0
        for _ in range(40):
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            c.connect(lst.getsockname())
            a, _ = lst.accept()
            a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            c.setblocking(False)
            pairs.append((c, a))
        block = b"z" * (1 << 16)
        for c, a in pairs:
            while True:
                try:
                    n = c.send(block)
                except (BlockingIOError, OSError):
                    break
                queued += n
                if n == 0:
                    break
        out["tcp_queued_mb"] = queued >> 20
        return out
    if op == "garbage":
        # Pipelined requests whose answers are never read, then silence.
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        s.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", 9001))
        s.setblocking(False)
        try:
            s.send(b"GET /x HTTP/1.1\r\n\r\n" * 200000 + b"BAD\r\n\r\n")
        except BlockingIOError:
            pass
        time.sleep(0.5)
        try:
            s.send(b"more")
        except OSError:
            pass
        keep.append(s)
        return "sent"
    if op == "ping":
        return {"pong": os.environ.get("SECRET", ""), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
PY

expect_rc 0 H fn create a --runtime python3 --handler attack.handler --code "$T/code" --env SECRET=alpha --timeout 10
expect_rc 0 H fn create b --runtime python3 --handler attack.handler --code "$T/code" --env SECRET=bravo
ping() {	# ping FN: the function still answers, with its own secret
	expect_rc 0 H fn invoke "$1" '{"op": "ping"}'
	expect_in "$1 answers" "$OUT" '"pong"'
}

# 17.1 The agent's descriptors and memory are out of reach.
expect_rc 0 H fn invoke a '{"op": "fds"}'
r=$OUT
expect_eq "17.1 no fd taken" "$(json_get "$r" '[k for k, v in d.items() if k.startswith("getfd") and v.startswith("allowed")]')" "[]"
for k in mem "fd dir" "fd 1" environ; do
	expect_in "17.1 /proc/1 $k" "$(json_get "$r" "d['$k']")" "denied"
done
expect_eq "17.1 only the generation's processes" "$(json_get "$r" 'd["pids"]')" "[1, 2]"
ping a

# 17.2 100 MB at the runtime's stdout: the invocation keeps 1 MB, the
# agent's log (a host file) stays as small as it was.
id=$(q "SELECT id FROM instances WHERE fn = 'a'")
log="$HEARTH_HOME/run/$id/agent.log"
before=$(stat -c %s "$log")
expect_rc 0 H fn invoke a '{"op": "flood"}' --log
expect_in "17.2 agent's stdout out of reach" "$OUT" "flooded; agent's stdout: [Errno"
expect_in "17.2 output cut" "$ERR" "[hearth: output truncated]"
[ "$(printf '%s' "$ERR" | wc -c)" -lt $((1100 * 1024)) ] || fail "17.2 invocation log over 1 MB"
expect_eq "17.2 agent.log unchanged" "$(stat -c %s "$log")" "$before"
[ "$(du -sk "$HEARTH_HOME" | cut -f1)" -lt 20000 ] || fail "17.2 HEARTH_HOME grew: $(du -sh "$HEARTH_HOME")"
ping a

# 17.3 System calls outside the allowlist fail; what runtimes need works.
expect_rc 0 H fn invoke a '{"op": "syscalls"}'
r=$OUT
expect_eq "17.3 nothing refused got through" "$(json_get "$r" '[k for k, v in d.items() if k not in ("inet", "unix", "fork") and not v.startswith("denied")]')" "[]"
for k in io_uring_setup pidfd_getfd process_madvise mount "unshare user" ptrace keyctl bpf; do
	expect_in "17.3 $k refused" "$(json_get "$r" "d['$k']")" "Operation not permitted"
done
for k in vsock packet alg; do
	expect_in "17.3 no $k sockets" "$(json_get "$r" "d['$k']")" "Address family not supported"
done
expect_in "17.3 inet sockets" "$(json_get "$r" 'd["inet"]')" "allowed"
expect_in "17.3 unix sockets" "$(json_get "$r" 'd["unix"]')" "allowed"
expect_eq "17.3 fork" "$(json_get "$r" 'd["fork"]')" "7"
ping a

# 17.4 A setsid daemon of the old code does not survive a reload: the next
# event and the new secret reach the new code only.
expect_rc 0 H fn invoke a '{"op": "daemon"}'
expect_rc 0 H fn invoke a '{"op": "version"}'
expect_eq "17.4 old code ran" "$OUT" '"v1 alpha"'
sleep 1.5	# the daemon is asking for next now, and refused
sed 's/"v1 "/"v2 "/' "$T/code/attack.py" > "$T/v2.py"
mkdir -p "$T/code2" && cp "$T/code/probe_helpers.py" "$T/code2/" && mv "$T/v2.py" "$T/code2/attack.py"
expect_rc 0 H fn update a --code "$T/code2" --env SECRET=charlie
for i in 1 2 3; do
	expect_rc 0 H fn invoke a '{"op": "version"}'
	expect_eq "17.4 new code answers ($i)" "$OUT" '"v2 charlie"'
done
expect_rc 0 H fn invoke a '{"op": "ping"}'
expect_eq "17.4 no daemon left" "$(json_get "$OUT" 'd["pids"]')" "[1, 2]"
stolen=$(cat /proc/$(q "SELECT pid FROM instances WHERE fn = 'a'")/root/tmp/stolen 2>/dev/null)
expect_not_in "17.4 nothing stolen" "$stolen" "charlie"
expect_not_in "17.4 no event stolen" "$stolen" "daemon"

# 17.5 No GET next while an invocation is in flight, and a second one
# while the runtime's is parked is refused, not swapped in.
expect_rc 0 H fn invoke b '{"op": "second"}'
expect_in "17.5 next during an invocation" "$OUT" "403"
sleep 1
expect_rc 0 H fn invoke b '{"op": "read-second"}'
expect_in "17.5 second next refused" "$OUT" "403"
ping b

# 17.6 A response claiming 2 GB: Lambda's error, dropped unread.
expect_rc 1 H fn invoke b '{"op": "huge"}'
expect_in "17.6 too large" "$OUT" "Function.ResponseSizeTooLarge"
bpid=$(q "SELECT pid FROM instances WHERE fn = 'b'")
if [ -n "$bpid" ]; then
	hwm=$(awk '/VmHWM/ {print $2}' /proc/$bpid/status)
	[ "$hwm" -lt 40000 ] || fail "17.6 the agent held the body: VmHWM $hwm kB"
fi
ping b

# 17.7 The parser is strict: chunked bodies, two lengths, a long head and
# a bad request line are refused.
expect_rc 0 H fn invoke b '{"op": "parser"}'
r=$OUT
expect_in "17.7 chunked" "$(json_get "$r" 'd["chunked"]')" "400"
expect_in "17.7 two lengths" "$(json_get "$r" 'd["two lengths"]')" "400"
expect_not_in "17.7 long head" "$(json_get "$r" 'd["long head"]')" "200"
expect_in "17.7 bad line" "$(json_get "$r" 'd["bad line"]')" "400"
ping b

# 17.8 As the host: each instance has host uids of its own, derived from
# its PID 1; the agent's environment holds no secret; one tenant's uid
# can read nothing of another's processes (what a leaked mount would show).
runtime_of() {	# runtime_of AGENT_PID: agent -> generation init -> runtime
	init=$(cat /proc/$1/task/$1/children | awk '{print $1}')
	cat /proc/$init/task/$init/children | awk '{print $1}'
}
uid_of() { awk '/^Uid:/ {print $2}' /proc/$1/status; }
apid=$(q "SELECT pid FROM instances WHERE fn = 'a'")
bpid=$(q "SELECT pid FROM instances WHERE fn = 'b'")
art=$(runtime_of "$apid")
brt=$(runtime_of "$bpid")
[ -n "$art" ] && [ -n "$brt" ] || fail "17.8 runtimes not found ($art, $brt)"
expect_eq "17.8 a's agent uid" "$(uid_of "$apid")" "$((BASE + 2 * apid))"
expect_eq "17.8 a's runtime uid" "$(uid_of "$art")" "$((BASE + 2 * apid + 1))"
expect_eq "17.8 b's runtime uid" "$(uid_of "$brt")" "$((BASE + 2 * bpid + 1))"
[ "$(uid_of "$art")" != "$(uid_of "$brt")" ] || fail "17.8 two instances share a uid"
expect_not_in "17.8 agent environ" "$(tr '\0' '\n' < /proc/$apid/environ)" "charlie"
expect_not_in "17.8 agent environ" "$(tr '\0' '\n' < /proc/$apid/environ)" "AWS_LAMBDA"
as_b() { setpriv --reuid="$(uid_of "$brt")" --regid="$(uid_of "$brt")" --clear-groups "$@"; }
for f in environ mem maps; do
	as_b sh -c "cat /proc/$art/$f" >/dev/null 2>&1 && fail "17.8 b's uid read a's /proc/$art/$f"
done
as_b sh -c "ls /proc/$apid/fd" >/dev/null 2>&1 && fail "17.8 b's uid listed a's agent fds"
as_b sh -c "cat /proc/$apid/environ" >/dev/null 2>&1 && fail "17.8 b's uid read a's agent environ"
ping a
ping b

# 17.9 A row whose pid now names another tenant's sandbox (an agent gone
# past its idle TTL, its pid reused): an update must not reach into that
# sandbox, and removing the row must not kill it.
apid=$(q "SELECT pid FROM instances WHERE fn = 'a'")
kill -9 "$apid"
for i in $(seq 1 50); do [ -d /proc/$apid ] || break; sleep 0.05; done
q "UPDATE instances SET pid = $bpid WHERE fn = 'a'"
mkdir -p "$T/secret" && cp "$T/code2/"* "$T/secret/" && echo "API_KEY=a-only" > "$T/secret/key.txt"
expect_rc 0 H fn update a --code "$T/secret"
expect_rc 0 H fn invoke b '{"op": "ping"}'
expect_eq "17.9 b's sandbox still b's" "$(json_get "$OUT" 'd["pong"]')" "bravo"
[ -e "/proc/$bpid/root/var/task/key.txt" ] && fail "17.9 a's code was moved into b's sandbox"
kill -0 "$bpid" 2>/dev/null || fail "17.9 b's sandbox was killed"
expect_rc 0 H fn invoke a '{"op": "ping"}'
expect_eq "17.9 a answers from a sandbox of its own" "$(json_get "$OUT" 'd["pong"]')" "charlie"

# 17.10 Resources the host would share: descriptors limited as on Lambda,
# no capabilities even in the bounding set, a cgroup namespace of its own,
# no uevent netlink (the host's devices), and TCP buffers charged to the
# sandbox's memory, so 40 stuffed pairs pin far less than 320 MB.
expect_rc 0 H fn invoke b '{"op": "resources"}'
r=$OUT
expect_eq "17.10 descriptor limit" "$(json_get "$r" 'd["nofile"]')" "[1024, 1024]"
expect_eq "17.10 bounding set" "$(json_get "$r" 'd["capbnd"]')" "0000000000000000"
expect_eq "17.10 cgroup namespace" "$(json_get "$r" 'set(l.split(":")[2] for l in d["cgroup"].split())')" "{'/'}"
expect_in "17.10 no uevent socket" "$(json_get "$r" 'd["uevent"]')" "Protocol not supported"
expect_in "17.10 routing netlink" "$(json_get "$r" 'd["route"]')" "allowed"
[ "$(json_get "$r" 'd["tcp_queued_mb"]')" -lt 200 ] || fail "17.10 TCP buffers not charged: $(json_get "$r" 'd["tcp_queued_mb"]') MB queued"
ping b

# 17.11 Requests whose answers are never read: the agent stops answering
# that connection and does not spin (its CPU time barely moves).
expect_rc 0 H fn invoke b '{"op": "garbage"}'
bpid=$(q "SELECT pid FROM instances WHERE fn = 'b'")
cpu() { awk '{print $14 + $15}' /proc/$bpid/stat; }
c0=$(cpu)
sleep 2
c1=$(cpu)
[ $((c1 - c0)) -lt 50 ] || fail "17.11 the agent spins: $((c1 - c0)) ticks in 2 s"
ping b
exit 0
