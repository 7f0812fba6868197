# microVM faults: a missing QEMU or kernel, a guest that panics or never
# answers, a snapshot that cannot be saved (disk full), is corrupt or no
# longer matches, QEMU killed under a running invocation, and a VM whose
# shim dies.  Each is one clear error or notice, and the next invocation
# works.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../qemu-lib.sh"

qemu_require
trap 'umount "$HEARTH_HOME/snapshots" 2>/dev/null; cleanup' EXIT

mkpy "$T/py" app '    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"ok": True, "urandom": os.urandom(8).hex()}'
expect_rc 0 H fn create f --runtime python3 --handler app.handler --code "$T/py" --driver qemu --timeout 20

# Missing QEMU binary and kernel: one line naming what and how to fix it.
HEARTH_QEMU=/nonexistent/qemu expect_rc 1 H fn invoke f
expect_in "no qemu" "$ERR" "/nonexistent/qemu not found"
expect_eq "no qemu: one line" "$(printf '%s\n' "$ERR" | grep -vc notice)" "1"
expect_rc 0 H config set qemu.kernel /nonexistent/vmlinuz
expect_rc 1 H fn invoke f
expect_in "no kernel" "$ERR" "no guest kernel at /nonexistent/vmlinuz"
expect_eq "no instance left behind" "$(rows instances)" "0"

# A guest kernel that panics (no usable init): QEMU ends, the error
# carries the end of the serial console.
mkdir -p "$T/k"
cp "$LIBDIR/images/guest/vmlinuz" "$T/k/vmlinuz"
head -c 4096 /dev/urandom > "$T/k/initramfs.cpio"
expect_rc 0 H config set qemu.kernel "$T/k/vmlinuz"
expect_rc 1 H fn invoke f
expect_in "panic reported" "$ERR" "Kernel panic"
expect_in "serial tail" "$ERR" "serial console ends"
expect_eq "no instance left behind" "$(rows instances)" "0"
expect_eq "no run dir left behind" "$(find "$HEARTH_HOME/run" -mindepth 1 -type d | wc -l)" "0"
expect_rc 0 H config unset qemu.kernel

# An agent that never answers (a QEMU that never starts its guest, -S):
# the boot timeout, with the console's tail.
printf '#!/bin/sh\nexec qemu-system-x86_64 -S "$@"\n' > "$T/qemu-paused"
chmod +x "$T/qemu-paused"
expect_rc 0 H config set qemu.binary "$T/qemu-paused"
expect_rc 0 H config set qemu.boot_timeout 2
expect_rc 1 H fn invoke f
expect_in "boot timeout" "$ERR" "the agent did not answer within 2 s"
expect_in "serial tail" "$ERR" "serial console ends: (nothing on the serial console)"
expect_eq "no instance left behind" "$(rows instances)" "0"

# An agent of another protocol (an image built by an older hearth, whose
# agent would not acknowledge the events it takes): refused at once with
# what to do, not served.  The wrapper says the old agents' ready lines on
# the console, where the guest's would come, before a QEMU that waits.
for said in "hearth-agent: vm ready" "hearth-agent: vm ready, protocol 1"; do
	printf '#!/bin/sh\necho "%s"\nexec qemu-system-x86_64 -S "$@"\n' "$said" > "$T/qemu-old"
	chmod +x "$T/qemu-old"
	expect_rc 0 H config set qemu.binary "$T/qemu-old"
	expect_rc 1 H fn invoke f
	expect_in "old agent refused: $said" "$ERR" "this hearth protocol 2: rebuild its image"
	expect_eq "no instance left behind" "$(rows instances)" "0"
done
expect_rc 0 H config unset qemu.boot_timeout
expect_rc 0 H config unset qemu.binary

# Disk full while saving the snapshot: the VM serves anyway, a notice says why.
mkdir -p "$HEARTH_HOME/snapshots"
if mount -t tmpfs -o size=1m tmpfs "$HEARTH_HOME/snapshots" 2>/dev/null; then
	expect_rc 0 H fn invoke f
	expect_eq "served without a snapshot" "$(json_get "$OUT" 'd["ok"]')" "True"
	expect_in "snapshot notice" "$ERR" "not saved"
	expect_eq "no partial state left" "$(find "$HEARTH_HOME/snapshots" -type f | wc -l)" "0"
	umount "$HEARTH_HOME/snapshots"
	expect_rc 0 H vm rm --all
else
	echo "disk-full case not run: cannot mount a tmpfs here"
fi

# A good snapshot, then restores get fresh entropy each.
expect_rc 0 H fn invoke f
expect_rc 0 H vm snapshot ls -o json
expect_eq "snapshot saved" "$(json_get "$OUT" 'len(d)')" "1"
snap=$(json_get "$OUT" 'd[0]["name"]')
expect_rc 0 H vm rm --all
expect_rc 0 H fn invoke f
r1=$(json_get "$OUT" 'd["urandom"]')
expect_rc 0 H vm rm --all
expect_rc 0 H fn invoke f
r2=$(json_get "$OUT" 'd["urandom"]')
[ "$r1" != "$r2" ] || fail "two restores drew the same random bytes ($r1)"
expect_eq "restored" "$(H vm inspect "$(q 'SELECT id FROM instances')" -o json | json_get "$(cat)" 'd["start"]')" "restore"

# QEMU killed under a running invocation: that invocation fails clearly,
# the next one gets a fresh VM.
H fn invoke f '{"sleep": 8}' >"$T/inv.out" 2>"$T/inv.err" &
inv=$!
BG_PIDS="$BG_PIDS $inv"
id=$(q "SELECT id FROM instances")
for i in $(seq 1 100); do
	[ "$(H vm ls -o json | json_get "$(cat)" 'd[0]["idle_s"]')" = "0" ] && break
	sleep 0.1
done
sleep 1
kill -9 "$(qemu_pid "$id")"
wait "$inv"
expect_eq "killed invocation exits 1" "$?" "1"
expect_in "clear error" "$(cat "$T/inv.out")" "Sandbox.Failure"
expect_in "names the kill" "$(cat "$T/inv.out")" "killed by signal 9"
expect_rc 0 H fn invoke f
expect_eq "next works" "$(json_get "$OUT" 'd["ok"]')" "True"
[ "$(q 'SELECT id FROM instances')" != "$id" ] || fail "the dead VM was reused"

# A guest that hangs (QEMU stopped): the host gives up on its own clock
# (timeout + init budget + 5 s), the invocation fails, the VM is replaced.
expect_rc 0 H fn update f --timeout 1
expect_rc 0 H fn invoke f
id=$(q "SELECT id FROM instances")
kill -STOP "$(qemu_pid "$id")"
expect_rc 1 H fn invoke f
expect_in "hung guest" "$OUT" "Sandbox.Failure"
expect_rc 0 H fn invoke f
expect_eq "next works" "$(json_get "$OUT" 'd["ok"]')" "True"
[ "$(q 'SELECT id FROM instances')" != "$id" ] || fail "the hung VM was reused"
expect_rc 0 H fn update f --timeout 20

# A shim that dies takes QEMU with it; the row goes, no process is left.
id=$(q "SELECT id FROM instances")
shim=$(q "SELECT pid FROM instances")
qp=$(qemu_pid "$id")
kill -9 "$shim"
for i in $(seq 1 50); do kill -0 "$qp" 2>/dev/null || break; sleep 0.1; done
kill -0 "$qp" 2>/dev/null && [ "$(awk '{print $3}' /proc/$qp/stat)" != Z ] && fail "QEMU outlived its shim"
expect_rc 0 H vm ls
expect_not_in "dead VM gone" "$OUT" "$id"

# A corrupt snapshot: restore fails, the VM boots instead and says so.
head -c 1000000 /dev/urandom > "$HEARTH_HOME/snapshots/$snap/state"
expect_rc 0 H vm rm --all
expect_rc 0 H fn invoke f
expect_eq "served after a bad snapshot" "$(json_get "$OUT" 'd["ok"]')" "True"
expect_in "says so" "$ERR" "failed to restore"
expect_in "booted instead" "$ERR" "booted instead"
expect_rc 0 H vm inspect "$(q 'SELECT id FROM instances')" -o json
expect_eq "booted" "$(json_get "$OUT" 'd["start"]')" "boot"

# A snapshot made for something else (another kernel, say): not used.
sed -i 's/^key=kernel=/key=kernel=OTHER/' "$HEARTH_HOME/snapshots/$snap/meta"
expect_rc 0 H vm rm --all
expect_rc 0 H fn invoke f
expect_in "mismatch said" "$ERR" "was made for another kernel"
expect_rc 0 H vm snapshot rm --all
expect_rc 1 H vm snapshot rm nope
expect_in "unknown snapshot" "$ERR" "no snapshot 'nope'"

# A flood on the serial console and on QEMU's stderr.  No function can
# reach the guest's console (the runtime's output goes to the agent), so
# the flood is made where the guest's output ends up: QEMU's stdout, the
# pipe the shim reads, here from a wrapper that writes 3 MB before QEMU
# starts and, once told (SIGUSR1), 5 MB more while the VM serves.  The
# VM boots and serves through it, console.log stays at 1 MiB at most
# (rotated once: 2 MiB in all), qemu.log at 64 KiB, and `vm console -f`
# follows the console across its rotations.
cat > "$T/qemu-chatty" <<'PY'
#!/usr/bin/python3
import os, select, signal, sys

def flood(fd, line, size, last=b""):
    """Write size bytes of line, then last; wait for room as QEMU does
    (it makes its stdout non-blocking, and the flooder shares it)."""
    out = line * (size // len(line)) + last
    p = select.poll()
    p.register(fd, select.POLLOUT)
    while out:
        try:
            out = out[os.write(fd, out[:65536]):]
        except BlockingIOError:
            p.poll()

flood(1, b"flood before boot ...............................................\n", 3000000)
flood(2, b"qemu stderr flood\n", 300000)
if os.fork() == 0:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    signal.sigwait([signal.SIGUSR1])
    flood(1, b"flood while serving .....................................\n", 5000000,
          b"flood-done\n")
    os._exit(0)
os.execvp("qemu-system-x86_64", ["qemu-system-x86_64"] + sys.argv[1:])
PY
chmod +x "$T/qemu-chatty"
expect_rc 0 H vm rm --all
expect_rc 0 H config set qemu.binary "$T/qemu-chatty"
expect_rc 0 H fn invoke f
expect_eq "booted through a flood" "$(json_get "$OUT" 'd["ok"]')" "True"
id=$(q "SELECT id FROM instances")
run="$HEARTH_HOME/run/$id"
flooder=$(cat "/proc/$(qemu_pid "$id")/task/$(qemu_pid "$id")/children")
[ -n "$flooder" ] || fail "no flooder under QEMU"
BG_PIDS="$BG_PIDS $flooder"
H vm console "$id" -f > "$T/follow" &
fpid=$!
BG_PIDS="$BG_PIDS $fpid"
kill -USR1 "$flooder"
expect_rc 0 H fn invoke f
expect_eq "serves during a flood" "$(json_get "$OUT" 'd["ok"]')" "True"
for i in $(seq 1 300); do
	tail -c 100 "$run/console.log" 2>/dev/null | grep -q flood-done && break
	sleep 0.1
done
expect_in "the whole flood was read" "$(tail -c 100 "$run/console.log")" "flood-done"
for f in console.log console.log.1; do
	[ "$(stat -c %s "$run/$f")" -le 1048576 ] || fail "$f holds $(stat -c %s "$run/$f") bytes"
	expect_eq "$f: owner only" "$(stat -c %a "$run/$f")" "600"
done
[ -e "$run/console.log.2" ] && fail "console.log rotated more than once"
for f in qemu.log qemu.log.1; do
	[ "$(stat -c %s "$run/$f")" -le 65536 ] || fail "$f holds $(stat -c %s "$run/$f") bytes"
done
expect_rc 0 H fn invoke f
expect_eq "serves after a flood" "$(json_get "$OUT" 'd["ok"]')" "True"
expect_rc 0 H vm console "$id" --tail 1
expect_eq "vm console reads the rotated log" "$OUT" "flood-done"
# The follower reads every 200 ms and may lag on a loaded machine (or
# under the sanitizers): let it catch up before the VM (and the log it
# follows) goes; what it holds back it prints as it exits.
for i in $(seq 1 300); do
	tail -c 100 "$T/follow" 2>/dev/null | grep -q flood-done && break
	sleep 0.1
done
expect_rc 0 H vm rm "$id"
for i in $(seq 1 50); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$fpid" 2>/dev/null && fail "vm console -f outlived its VM"
expect_in "vm console -f followed the rotations" "$(tail -c 100 "$T/follow")" "flood-done"
expect_rc 0 H config unset qemu.binary
