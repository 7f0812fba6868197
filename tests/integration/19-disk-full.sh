# A full disk: every command says "No space left on device" once and
# fails (or, for an invocation that ran, says once that its logs were not
# stored), nothing is left half-written (no staging directory, no
# half-made config, the old code still serving), and all works again once
# space is freed.  HEARTH_HOME is a small tmpfs of its own; the images and
# code it copies from live elsewhere.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
mkdir -p "$HEARTH_HOME"
mount -t tmpfs -o size=24m,mode=0700 hearth-test-full "$HEARTH_HOME" 2>/dev/null ||
    skip "cannot mount a tmpfs"
FILL="$HEARTH_HOME/fill"
# Free the disk first so that vm rm can use the store, then unmount before
# lib.sh's cleanup removes the temp dir.
trap 'rm -f "$FILL"; "$HEARTH" vm rm --all >/dev/null 2>&1
	umount "$HEARTH_HOME" 2>/dev/null || umount -l "$HEARTH_HOME"; cleanup' EXIT

# fill [KB]: fill the disk, leaving KB kilobytes free (none by default).
fill() {
	rm -f "$FILL"
	dd if=/dev/zero of="$FILL" bs=1M 2>/dev/null
	[ "${1:-0}" = 0 ] || truncate -s "-${1}K" "$FILL"
	sync
}
# once WHAT TEXT NEEDLE: NEEDLE appears in TEXT on exactly one line.
once() {
	expect_eq "$1: lines saying '$3'" "$(printf '%s\n' "$2" | grep -c -- "$3")" 1
}
# The function's code directory has nothing but published versions.
no_stage() {
	left=$(ls -A "$HEARTH_HOME/code/f" | grep -v '^v[0-9]*$' | grep -v '^\.lock$')
	expect_eq "$1: left in code/f" "$left" ""
}

mkpy "$T/v1" app '    sys.stdout.write(("x" * 99 + "\n") * event.get("n", 1))
    return open(os.path.join(os.path.dirname(__file__), "d.txt")).read()'
echo v1 > "$T/v1/d.txt"
cp -r "$T/v1" "$T/v2"
echo v2 > "$T/v2/d.txt"
head -c 10M /dev/urandom > "$T/v2/big.bin"
expect_rc 0 H fn create f --runtime python3 --handler app.handler --code "$T/v1"
expect_rc 0 H fn invoke f
expect_eq "before" "$OUT" '"v1\n"'
expect_rc 0 H config set logs.fn_bytes 512K
cp "$HEARTH_HOME/config" "$T/config.before"
printf 'fn ls\nfn show f\n' | H shell >/dev/null 2>&1
cp "$HEARTH_HOME/history" "$T/history.before"

# No space at all: the store cannot open, and each command says why once.
fill
# The shell's history is appended to, never rewritten in place: on a full
# disk the new line is lost, not the file.
printf 'fn ls\n' | H shell >/dev/null 2>&1
head -c "$(stat -c %s "$T/history.before")" "$HEARTH_HOME/history" | cmp -s - "$T/history.before" ||
    fail "history lost on a full disk: $(cat "$HEARTH_HOME/history")"
expect_rc 1 H fn update f --code "$T/v2"
once "update, full" "$ERR" "No space left on device"
expect_eq "update, full: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
expect_not_in "update, full" "$ERR" "File exists"
no_stage "update, full"
expect_rc 1 H fn create g --runtime python3 --handler app.handler --code "$T/v1"
once "create, full" "$ERR" "No space left on device"
[ -e "$HEARTH_HOME/code/g" ] && fail "create, full: left code/g"
expect_rc 1 H fn invoke f
once "invoke, full" "$ERR" "No space left on device"
expect_rc 1 H config set logs.fn_bytes 1M
once "config set, full" "$ERR" "No space left on device"
expect_in "config set, full: names the file" "$ERR" "/config: No space left on device"
cmp -s "$HEARTH_HOME/config" "$T/config.before" || fail "config changed on a full disk"
expect_eq "config temp files" "$(ls -A "$HEARTH_HOME" | grep -c '^config.')" 0

# Room for the store, not for new code or a big record: the copy fails
# and goes; an invocation runs on the old code and says once, for a whole
# batch or bench, that its logs were not stored.
fill 48
expect_rc 1 H fn update f --code "$T/v2"
once "update, nearly full" "$ERR" "No space left on device"
expect_not_in "update, nearly full" "$ERR" "File exists"
no_stage "update, nearly full"
expect_rc 1 H fn create g --runtime python3 --handler app.handler --code "$T/v2"
once "create, nearly full" "$ERR" "No space left on device"
[ -e "$HEARTH_HOME/code/g" ] && fail "create, nearly full: left code/g"
expect_eq "create, nearly full: no row" "$(rows functions "WHERE name = 'g'")" 0
expect_rc 0 H fn show f -o json
expect_in "code version kept" "$(json_get "$OUT" 'd["code_dir"]')" "/code/f/v1"
for i in 1 2 3; do echo "fn invoke f '{\"n\": 5000}'"; done > "$T/three.hearth"
expect_rc 0 H -f "$T/three.hearth"
expect_eq "old code serves" "$(printf '%s\n' "$OUT" | grep -c '"v1\\n"')" 3
once "batch" "$ERR" "logs not stored"
once "batch" "$ERR" "No space left on device"
# (One client: the warm instance serves it.  A second instance may not
# fit in what is left, since its row, owner lock and run directory need
# room too.)
expect_rc 0 H fn bench f '{"n": 5000}' -n 4 -c 1
once "bench" "$ERR" "logs of 4 of 4 invocations not stored"
once "bench" "$ERR" "No space left on device"

# Space again: everything works, and the logs are stored.
rm -f "$FILL"
expect_rc 0 H fn update f --code "$T/v2"
no_stage "after"
expect_rc 0 H fn invoke f '{"n":3}'
expect_eq "new code" "$OUT" '"v2\n"'
expect_eq "invoke after: no note" "$ERR" ""
# The first invocation's record and this one's: the batch's were lost.
expect_rc 0 H fn logs f
expect_eq "records stored" "$(printf '%s\n' "$OUT" | grep -c '^REPORT')" 2
expect_rc 0 H config set logs.fn_bytes 1M
expect_rc 0 H config get logs.fn_bytes
expect_in "config after" "$OUT" "1M"
echo "PASS"
