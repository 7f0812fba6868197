# Escapes through --code and $HEARTH_HOME (issue 8): code is copied,
# never mounted live from where --code pointed, and state is private.
# Each attack fails in one line, leaves nothing behind, and a good
# function still answers after it.
. "$(dirname "$0")/../lib.sh"

# Hearth under a deadline: an attack that makes it block fails the test.
HT() { timeout 60 "$HEARTH" "$@"; }

mkpy "$T/good" app '    return sorted(os.listdir("/var/task"))'
expect_rc 0 H fn create good --runtime python3 --handler app.handler --code "$T/good"
still_good() { # still_good AFTER-WHAT
	expect_rc 0 H fn invoke good
	expect_eq "$1: good function" "$OUT" '["app.py"]'
}
still_good "create"
snapshot() {
	echo "$(rows functions) $(ls -A "$HEARTH_HOME/code" | tr '\n' ' ')" \
	    "$(ls -A "$HEARTH_HOME/code/good" | tr '\n' ' ')"
}
before=$(snapshot)
refused() { # refused WANT-IN-STDERR ARGS...
	refused_want=$1
	shift
	expect_rc 1 HT "$@"
	expect_in "'$*'" "$ERR" "$refused_want"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "'$*' error is not one line: $ERR"
	expect_eq "'$*' left nothing" "$(snapshot)" "$before"
}
create() { echo fn create x --runtime python3 --handler app.handler; }

# 17-1: --code is a link to /: refused at once (/ holds $HEARTH_HOME),
# never stored as a link; a link to /dev meets a device and is refused.
ln -s / "$T/root-link"
refused "root-link: holds $HEARTH_HOME/code/x, where it would be copied" \
    $(create) --code "$T/root-link"
still_good "17-1 link to /"
ln -s /dev "$T/dev-link"
refused "; code holds only files, directories and symlinks" \
    $(create) --code "$T/dev-link"
still_good "17-1 link to /dev"

# 17-2: a link to a real code directory is followed and its target
# copied: the version is a real directory, and a later change to the
# target shows only after fn update.
mkpy "$T/real" app '    return sorted(os.listdir("/var/task"))'
ln -s "$T/real" "$T/real-link"
expect_rc 0 H fn create linked --runtime python3 --handler app.handler --code "$T/real-link"
[ -d "$HEARTH_HOME/code/linked/v1" ] && [ ! -L "$HEARTH_HOME/code/linked/v1" ] ||
    fail "17-2 code version is not a real directory"
expect_rc 0 H fn invoke linked
expect_eq "17-2 copied" "$OUT" '["app.py"]'
printf 'x = 1\n' > "$T/real/later.py"
expect_rc 0 H fn invoke linked
expect_eq "17-2 later change not live" "$OUT" '["app.py"]'
expect_rc 0 H fn update linked --code "$T/real-link"
expect_rc 0 H fn invoke linked
expect_eq "17-2 update copies again" "$OUT" '["app.py", "later.py"]'
before=$(snapshot)
still_good "17-2"

# 17-3: relative links that point at $HEARTH_HOME (../home from beside
# it; ../.. as stored under code/NAME/ it used to mean $HEARTH_HOME):
# refused, even though $HEARTH_HOME has an app.py.  A relative link to
# real code is copied, and /var/task holds no state.db.
cp "$T/good/app.py" "$HEARTH_HOME/app.py"
mkdir -p "$T/links/a"
ln -s ../home "$T/links/home-link"
refused "home-link: holds $HEARTH_HOME/code/x, where" $(create) --code "$T/links/home-link"
ln -s ../.. "$T/links/a/up"
refused "up: holds $HEARTH_HOME/code/x, where" $(create) --code "$T/links/a/up"
rm "$HEARTH_HOME/app.py"
ln -s ../real "$T/links/real-rel"
expect_rc 0 H fn create relative --runtime python3 --handler app.handler --code "$T/links/real-rel"
expect_rc 0 H fn invoke relative
expect_not_in "17-3 no state in /var/task" "$OUT" "state.db"
expect_eq "17-3 relative link copied" "$OUT" '["app.py", "later.py"]'
before=$(snapshot)
still_good "17-3"

# 17-4: a failed create chmods nothing through a link: the 0700 target
# stays 0700, and so does $HEARTH_HOME.
mkdir -m 700 "$T/private"
echo secret > "$T/private/notes.txt"
ln -s "$T/private" "$T/private-link"
ln -s private "$T/private-rel"
refused "the code has no app.py" $(create) --code "$T/private-link"
refused "the code has no app.py" $(create) --code "$T/private-rel"
expect_eq "17-4 target mode" "$(stat -c %a "$T/private")" "700"
expect_eq "17-4 home mode" "$(stat -c %a "$HEARTH_HOME")" "700"
still_good "17-4"

# 17-5: links inside the code are kept as links and resolve inside the
# sandbox: /etc/passwd is the image's, $HEARTH_HOME/state.db is nothing.
mkdir "$T/inner"
cat > "$T/inner/app.py" <<'PY'
def handler(event, context):
    out = {}
    for name in ("passwd", "state", "mine"):
        try:
            out[name] = open("/var/task/" + name, "rb").read().decode("latin-1")
        except OSError as e:
            out[name] = "error: " + e.strerror
    return out
PY
ln -s /etc/passwd "$T/inner/passwd"
ln -s "$HEARTH_HOME/state.db" "$T/inner/state"
ln -s app.py "$T/inner/mine"
expect_rc 0 H fn create inner --runtime python3 --handler app.handler --code "$T/inner"
[ -L "$HEARTH_HOME/code/inner/v1/passwd" ] || fail "17-5 a link inside was not kept as a link"
expect_rc 0 H fn invoke inner
r=$OUT
[ "$(json_get "$r" 'd["passwd"]')" != "$(cat /etc/passwd)" ] || fail "17-5 read the host's /etc/passwd"
expect_not_in "17-5 passwd" "$(json_get "$r" 'd["passwd"]')" "root:x:0:0:root:/root:/bin/bash"
expect_not_in "17-5 state.db" "$(json_get "$r" 'd["state"]')" "SQLite format 3"
expect_in "17-5 state.db" "$(json_get "$r" 'd["state"]')" "error: No such file or directory"
expect_in "17-5 link within the code" "$(json_get "$r" 'd["mine"]')" "def handler"
before=$(snapshot)
still_good "17-5"

# 17-6: special files are refused by name and never opened: a FIFO (which
# would block a reader) and a socket.
mkpy "$T/fifo" app '    return 1'
mkfifo "$T/fifo/pipe"
refused "fifo/pipe: a named pipe; code holds only" $(create) --code "$T/fifo"
refused "fifo/pipe: not a file or directory" $(create) --code "$T/fifo/pipe"
mkpy "$T/sock" app '    return 1'
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock/s"
refused "sock/s: a socket" $(create) --code "$T/sock"
still_good "17-6"

# 17-7: the source changes under the copy.  When hearth opens lib/, a
# watcher swaps it for a link to a directory of secrets with the same
# names; when it opens fifos/, another renames a FIFO over each file.
# The copy may succeed or be refused, but it never holds a secret and
# never blocks.
cat > "$T/swap.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
IN_OPEN = 0x20
kind, d, arg, ready = sys.argv[1:5]
fd = libc.inotify_init1(0)
if libc.inotify_add_watch(fd, os.fsencode(d), IN_OPEN) < 0:
    sys.exit("inotify_add_watch failed")
open(ready, "w").close()
os.read(fd, 4096)
if kind == "link":
    os.rename(d, d + ".old")
    os.symlink(arg, d)
else:
    for name in os.listdir(d):
        os.mkfifo(os.path.join(arg, name))
        os.rename(os.path.join(arg, name), os.path.join(d, name))
PY
swap() { # swap KIND DIR ARG: start the watcher and wait until it watches
	rm -f "$T/ready"
	/usr/bin/python3 "$T/swap.py" "$1" "$2" "$3" "$T/ready" &
	BG_PIDS="$BG_PIDS $!"
	for i in $(seq 1 100); do
		[ -e "$T/ready" ] && return 0
		sleep 0.05
	done
	fail "watcher for $2 did not start"
}
mkpy "$T/swap" app '    return 1'
mkdir "$T/swap/lib" "$T/secret"
for i in $(seq 1 500); do
	echo "original $i" > "$T/swap/lib/f$i"
	echo "SECRET $i" > "$T/secret/f$i"
done
swap link "$T/swap/lib" "$T/secret"
expect_rc_any() { OUT=$(HT "$@" 2>"$T/stderr"); RC=$?; ERR=$(cat "$T/stderr"); }
expect_rc_any fn create swapped --runtime python3 --handler app.handler --code "$T/swap"
case $RC in
0)  ! grep -rq SECRET "$HEARTH_HOME/code/swapped" || fail "17-7 copied a secret through a swapped link"
    expect_rc 0 H fn rm swapped ;;
1)  expect_in "17-7 swapped directory" "$ERR" "changed while it was being copied" ;;
*)  fail "17-7 swapped directory: exit $RC ($ERR)" ;;
esac
mkpy "$T/swap2" app '    return 1'
mkdir "$T/swap2/fifos"
for i in $(seq 1 500); do echo "$i" > "$T/swap2/fifos/f$i"; done
mkdir "$T/fifos-new"
swap fifo "$T/swap2/fifos" "$T/fifos-new"
expect_rc_any fn create swapped --runtime python3 --handler app.handler --code "$T/swap2"
case $RC in
0)  expect_rc 0 H fn rm swapped ;;
1)  case $ERR in
    *"changed while it was being copied"* | *"a named pipe"*) ;;
    *) fail "17-7 FIFO swapped in: $ERR" ;;
    esac ;;
*)  fail "17-7 FIFO swapped in: hearth blocked or failed (exit $RC: $ERR)" ;;
esac
expect_eq "17-7 left nothing" "$(snapshot)" "$before"
still_good "17-7"

# 17-8: code over Lambda's 250 MB (262,144,000 bytes) is refused before
# it is copied (a sparse file), from stdin too, and while copying from a
# pipe; a failed update keeps the old code.
mkpy "$T/big" app '    return 1'
truncate -s 251M "$T/big/blob.bin"
refused "big/blob.bin: over the 250 MB limit for a function's code" $(create) --code "$T/big"
refused "over the 250 MB limit" fn update good --code "$T/big"
refused "code from stdin: over the 250 MB limit" $(create) --code - < "$T/big/blob.bin"
mkfifo "$T/big.fifo"
head -c 262144001 /dev/zero > "$T/big.fifo" 2>/dev/null &
BG_PIDS="$BG_PIDS $!"
refused "code from stdin: over the 250 MB limit" $(create) --code - < "$T/big.fifo"
still_good "17-8"

# 17-9: a $HEARTH_HOME others could write is refused, naming it and why;
# nothing is created in it.  A sticky world-writable parent (as /tmp) is
# fine, and a link to a good home is used by its real path.
home_refused() { # home_refused DIR WANT
	expect_rc 1 env HEARTH_HOME="$1" "$HEARTH" fn ls
	expect_in "17-9 $1" "$ERR" "$2"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "17-9 $1: not one line: $ERR"
	expect_rc 1 env HEARTH_HOME="$1" "$HEARTH" $(create) --code "$T/good"
	[ -z "$(ls -A "$1" 2>/dev/null)" ] || fail "17-9 $1: something was created in it"
}
mkdir -m 777 "$T/ww"
home_refused "$T/ww" "state directory $T/ww: writable by others (mode 0777)"
mkdir -m 770 "$T/gw"
home_refused "$T/gw" "state directory $T/gw: writable by its group (mode 0770)"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$T/theirs"
	chown 65534:65534 "$T/theirs"
	home_refused "$T/theirs" "state directory $T/theirs: owned by uid 65534, not by this user (uid 0)"
	mkdir -m 755 "$T/theirs-parent"
	chown 65534:65534 "$T/theirs-parent"
	home_refused "$T/theirs-parent/home" "$T/theirs-parent above it is owned by uid 65534"
fi
mkdir -m 777 "$T/open"
home_refused "$T/open/home" "$T/open above it is writable by others without the sticky bit (mode 0777)"
chmod 1777 "$T/open"
expect_rc 0 env HEARTH_HOME="$T/open/home2" "$HEARTH" fn ls
expect_eq "17-9 missing home made 0700" "$(stat -c %a "$T/open/home2")" "700"
ln -s "$T/open/home2" "$T/home-link"
expect_rc 0 env HEARTH_HOME="$T/home-link" "$HEARTH" $(create) --code "$T/good"
expect_rc 0 env HEARTH_HOME="$T/home-link" "$HEARTH" fn show x -o json
expect_eq "17-9 real path used" "$(json_get "$OUT" 'd["code_dir"]')" "$T/open/home2/code/x/v1"
still_good "17-9"

# 17-10: under umask 000, everything of hearth's is private (files 0600,
# directories 0700: database, its -wal and -shm, config, history, run
# directories, logs, sockets) and the code is readable by the sandbox.
# The shell keeps the store open (so -wal and -shm exist) until done.
U="$T/u"
(
	umask 000
	export HEARTH_HOME="$U"
	"$HEARTH" fn create u --runtime python3 --handler app.handler --code "$T/good" &&
	    "$HEARTH" fn invoke u && "$HEARTH" config set pool.size 0 &&
	    { echo "fn ls"; for i in $(seq 1 200); do
		[ -e "$T/done" ] && break; sleep 0.05; done; } | "$HEARTH" shell
) > "$T/umask.out" 2>&1 &
umask_pid=$!
BG_PIDS="$BG_PIDS $umask_pid"
for i in $(seq 1 200); do
	grep -q '^u ' "$T/umask.out" && break
	sleep 0.05
done
expect_eq "17-10 -wal" "$(stat -c %a "$U/state.db-wal")" "600"
expect_eq "17-10 -shm" "$(stat -c %a "$U/state.db-shm")" "600"
touch "$T/done"
wait "$umask_pid" || fail "17-10 hearth under umask 000: $(cat "$T/umask.out")"
loose=$(find "$U" -path "$U/code/*/v*" -prune -o \( -type d ! -perm 700 -o \
    ! -type d ! -perm 600 \) -printf '%m %p\n')
expect_eq "17-10 loose modes" "$loose" ""
expect_eq "17-10 state.db" "$(stat -c %a "$U/state.db")" "600"
expect_eq "17-10 history" "$(stat -c %a "$U/history")" "600"
expect_eq "17-10 code" "$(stat -c %a "$U/code/u/v1" "$U/code/u/v1/app.py" | tr '\n' ' ')" "755 644 "
[ -n "$(find "$U/run" -name agent.sock)" ] || fail "17-10 no instance ran under umask 000"
# A database left 0644 by an older hearth is made private.
chmod 644 "$U/state.db"
expect_rc 0 env HEARTH_HOME="$U" "$HEARTH" fn ls
expect_eq "17-10 old state.db" "$(stat -c %a "$U/state.db")" "600"
env HEARTH_HOME="$U" "$HEARTH" vm rm --all >/dev/null 2>&1
still_good "17-10"
exit 0
