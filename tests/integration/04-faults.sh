# Exceptions, timeouts, the memory limit and a fork bomb: each is reported
# clearly, contained, and the next invocation works.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" f '    if event.get("raise"):
        raise ValueError("bad thing")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("mem"):
        hog = bytearray(event["mem"] * 1024 * 1024)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
    if event.get("fork"):
        n = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                n += 1
        except OSError as e:
            return {"forked": n, "error": e.errno}
    return "fine"'
expect_rc 0 H fn create f --runtime python3 --handler f.handler --code "$T/code" --timeout 1 --memory 128

# 4.1 exception: Lambda-shaped error JSON, exit 1
expect_rc 1 H fn invoke f '{"raise": true}'
expect_eq "4.1 type" "$(json_get "$OUT" 'd["errorType"], d["errorMessage"]')" "ValueError bad thing"
expect_in "4.1 stack" "$(json_get "$OUT" 'd["stackTrace"]')" "f.py"
expect_not_in "4.1 no bootstrap frames" "$(json_get "$OUT" 'd["stackTrace"]')" "bootstrap"
expect_rc 0 H fn invoke f
expect_eq "4.1 next works" "$OUT" '"fine"'

# 4.2 timeout
expect_rc 1 H fn invoke f '{"sleep": 5}'
expect_in "4.2 timeout message" "$OUT" "Task timed out after 1.00 seconds"
expect_in "4.2 stderr" "$ERR" "Task timed out after 1.00 seconds"
expect_rc 0 H fn invoke f
expect_eq "4.2 next works" "$OUT" '"fine"'
expect_rc 0 H fn logs f
expect_in "4.2 logged" "$OUT" "Task timed out after 1.00 seconds"
expect_in "4.2 report status" "$OUT" "Status: timeout"

# 4.3 memory limit: 300 MB in a 128 MB function
expect_rc 1 H fn invoke f '{"mem": 300}'
expect_eq "4.3 oom type" "$(json_get "$OUT" 'd["errorType"]')" "Runtime.OutOfMemory"
expect_in "4.3 oom message" "$ERR" "out of memory"
expect_rc 0 H fn invoke f
expect_eq "4.3 next works" "$OUT" '"fine"'

# 4.4 fork bomb: stopped by the pids limit, host unharmed
expect_rc 0 H fn invoke f '{"fork": true}'
forked=$(json_get "$OUT" 'd["forked"]')
[ "$forked" -lt 300 ] || fail "4.4 fork bomb not contained: $forked processes"
expect_eq "4.4 EAGAIN" "$(json_get "$OUT" 'd["error"]')" "11"
expect_rc 0 H fn invoke f '{}'
[ "$(ps -e --no-headers | wc -l)" -lt 2000 ] || fail "4.4 host process table flooded"

# 4.5 the sandbox dies under a running invocation: a clear failure, the
# event is not run a second time elsewhere, and the next call works.
expect_rc 0 H fn update f --timeout 5
expect_rc 0 H fn invoke f
pid=$(q "SELECT pid FROM instances WHERE fn='f'")
before=$(rows invocations "WHERE fn='f'")
H fn invoke f '{"sleep": 2}' >"$T/dying.out" 2>"$T/dying.err" & BG_PIDS=$!
sleep 0.5
kill -9 "$pid"
wait "$BG_PIDS"
rc=$?
BG_PIDS=""
[ "$rc" = 1 ] || fail "4.5 exit $rc, want 1"
expect_in "4.5 failure named" "$(cat "$T/dying.err")" "Sandbox.Failure"
expect_eq "4.5 recorded once" "$(rows invocations "WHERE fn='f'")" "$((before + 1))"
expect_eq "4.5 no second sandbox ran it" "$(rows instances "WHERE fn='f'")" "0"
expect_rc 0 H fn invoke f
expect_eq "4.5 next works" "$OUT" '"fine"'

# 4.6 a timeout replaces the sandbox (its processes may still be running).
pid=$(q "SELECT pid FROM instances WHERE fn='f'")
expect_rc 0 H fn update f --timeout 1
expect_rc 1 H fn invoke f '{"sleep": 3}'
i=0
while kill -0 "$pid" 2>/dev/null; do	# reaped by init a moment later
	i=$((i + 1)); [ $i -lt 40 ] || fail "4.6 timed-out sandbox still running"; sleep 0.05
done

# 4.7 the function is deleted under a running invocation, and made again
# under its name: the invocation says so, and its record goes nowhere (the
# new function inherits no log and no count).
expect_rc 0 H fn create d --runtime python3 --handler f.handler --code "$T/code" --timeout 10
expect_rc 0 H fn invoke d
H fn invoke d '{"sleep": 3}' >"$T/del.out" 2>"$T/del.err" & BG_PIDS=$!
sleep 0.5
expect_rc 0 H fn rm d
expect_rc 0 H fn create d --runtime python3 --handler f.handler --code "$T/code"
wait "$BG_PIDS"
BG_PIDS=""
expect_in "4.7 said" "$(cat "$T/del.err")" "function 'd' was deleted while it ran"
expect_rc 0 H fn show d -o json
expect_eq "4.7 the new d has no count" "$(json_get "$OUT" 'd["invocations"]')" 0
expect_eq "4.7 nor a record" "$(rows invocations "WHERE fn='d'")" 0
exit 0
