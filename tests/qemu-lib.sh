# tests/qemu-lib.sh — sourced by the microVM tests after lib.sh.
#
# qemu_require skips the test (saying why) when this machine cannot run
# microVMs: no QEMU, or no guest kernel (make images fetches it from
# Debian's archive).
LIBDIR=$(dirname "$HEARTH")
qemu_require() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[ -r "$LIBDIR/images/guest/vmlinuz" ] ||
	    skip "no guest kernel in $LIBDIR/images/guest (make images could not fetch it)"
	[ -r "$LIBDIR/images/python3/rootfs.erofs" ] ||
	    skip "no erofs image of python3 (mkfs.erofs missing?)"
}

# The QEMU pid of instance ID (the shim owns it).
qemu_pid() { cat "$HEARTH_HOME/run/$1/qemu.pid"; }
# The first value of FIELD in /proc/PID/status (Uid: the real uid).
status_field() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status"; }
# The host port QEMU forwards to the agent, from its command line.
qemu_fwd_port() { tr '\0' '\n' < "/proc/$1/cmdline" | sed -n 's/.*hostfwd=tcp:127\.0\.0\.1:\([0-9]*\)-.*/\1/p'; }
# tcp_try HOST PORT: exit 0 if a TCP connection opens within a second.
tcp_try() { /usr/bin/python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)' "$1" "$2" 2>/dev/null; }
# As nobody, with no groups: a local user without any privilege.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
