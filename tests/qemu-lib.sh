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
