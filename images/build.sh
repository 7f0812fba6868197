#!/bin/sh
# images/build.sh OUT [AGENT] — build hearth's runtime images from the
# host's Debian packages, offline: no Docker, no registry; with AGENT (the
# static hearth-agent), also the microVM guest (kernel and initramfs).
#
# Each image is a directory OUT/NAME with rootfs/ (what the sandbox sees as
# /) and image.json (name, runtime, command, size).  A rootfs holds the
# runtime's files (from dpkg's lists and the interpreter's library tree),
# the shared libraries they need (ldd closure), the bootstrap from
# images/NAME/, /opt/hearth/environment (variables only the image knows,
# which the agent adds to its runtime's: AWS_EXECUTION_ENV), and empty
# mount points.  An image is rebuilt only when its
# stamp (package versions and recipe files) changes, so a rebuild with
# nothing changed takes well under a second.
set -eu
out=${1:?usage: build.sh OUTDIR [AGENT]}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# Copy the files named on stdin (absolute host paths) into $1, keeping
# symlinks, plus every shared library the ELF files among them load.
copy_closure() {
	dest=$1
	list=$(mktemp)
	cat > "$list"
	# ldd every ELF file; keep absolute library paths it names.
	while read -r f; do
		[ -f "$f" ] || continue
		case $(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ') in
		177ELF) ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]*ld-linux/{print $1}' ;;
		esac
	done < "$list" | sort -u > "$list.libs"
	# Libraries are usually symlinks (libfoo.so.1 -> libfoo.so.1.2): add targets.
	while read -r l; do
		echo "$l"
		[ -L "$l" ] && readlink -f "$l"
	done < "$list.libs" >> "$list"
	sort -u "$list" | sed 's|^/||' | tar -C / -cf - --no-recursion -T - 2>/dev/null | tar -C "$dest" -xf -
	rm -f "$list" "$list.libs"
}

# Lay out the parts every image shares: merged-/usr links, mount points,
# a passwd naming the sandbox user.
skeleton() {
	root=$1
	mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" \
	    "$root/proc" "$root/dev" "$root/tmp" "$root/var/task" \
	    "$root/opt/hearth" "$root/etc"
	[ -e "$root/bin" ] || ln -s usr/bin "$root/bin"
	[ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
	[ -e "$root/lib64" ] || ln -s usr/lib64 "$root/lib64"
	printf 'root:x:0:0:root:/root:/bin/false\nsbx_user1051:x:1051:1051::/tmp:/bin/false\n' > "$root/etc/passwd"
	printf 'root:x:0:\nsbx_user1051:x:1051:\n' > "$root/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
	chmod 1777 "$root/tmp"
}

# build NAME RUNTIME STAMP-INPUTS... : run the recipe function recipe_NAME
# unless the stamp is unchanged.
build() {
	name=$1
	shift
	stamp=$( (cat "$0" "$@"; dpkg-query -W -f '${Package} ${Version}\n' 2>/dev/null | sort) | cksum | cut -d' ' -f1)
	if [ -f "$out/$name/stamp" ] && [ "$(cat "$out/$name/stamp")" = "$stamp" ] &&
	    [ -f "$out/$name/image.json" ]; then
		echo "  IMAGE  $name (up to date)"
		return
	fi
	echo "  IMAGE  $name"
	tmp="$out/.$name.new"
	rm -rf "$tmp"
	mkdir -p "$tmp/rootfs"
	skeleton "$tmp/rootfs"
	"recipe_$name" "$tmp"
	# The command again, one argument a line, for the agent in a microVM.
	printf '%s' "$cmd" | /usr/bin/python3 -c 'import json, sys
print("\n".join(json.load(sys.stdin)))' > "$tmp/rootfs/opt/hearth/cmd"
	size=$(du -sk "$tmp/rootfs" | cut -f1)
	printf '{"name": "%s", "runtime": "%s", "cmd": %s, "prewarm": true, "size_kb": %s}\n' \
	    "$name" "$name" "$cmd" "$size" > "$tmp/image.json"
	echo "$stamp" > "$tmp/stamp"
	rm -rf "$out/$name.old"
	[ -d "$out/$name" ] && mv "$out/$name" "$out/$name.old"
	mv "$tmp" "$out/$name"
	rm -rf "$out/$name.old"
}

# Debian's python3 (not whatever python3 is first on PATH): the
# interpreter, its standard library with compiled bytecode, lib-dynload's
# extension modules and the libraries they link.
recipe_python3() {
	py=$(readlink -f /usr/bin/python3)
	ver=$(basename "$py")
	{
		echo "$py"
		echo /usr/bin/python3
		find "/usr/lib/$ver" \( -path "*/test" -o -path "*/tests" -o \
		    -path "*/idlelib" -o -path "*/tkinter" -o -path "*/turtledemo" -o \
		    -path "*/ensurepip" -o -path "*/dist-packages" -o \
		    -path "*/config-*" \) -prune -o -print
	} | copy_closure "$1/rootfs"
	cp "$here/python3/bootstrap.py" "$1/rootfs/opt/hearth/bootstrap.py"
	# Run it as an imported module with its bytecode compiled now: a main
	# script is compiled at every start, which costs a cold start ~3 ms.
	/usr/bin/python3 -c 'import py_compile, sys; py_compile.compile(sys.argv[1],
	    cfile=sys.argv[2], dfile="/opt/hearth/bootstrap.py", doraise=True,
	    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)' \
	    "$1/rootfs/opt/hearth/bootstrap.py" \
	    "$1/rootfs/opt/hearth/__pycache__/bootstrap.cpython-$(/usr/bin/python3 -c 'import sys; print("%d%d" % sys.version_info[:2])').pyc"
	# Lambda's name for this runtime, from the interpreter the image holds.
	printf 'AWS_EXECUTION_ENV=AWS_Lambda_python%s\n' "$(/usr/bin/python3 -c \
	    'import sys; print("%d.%d" % sys.version_info[:2])')" > "$1/rootfs/opt/hearth/environment"
	cmd='["/usr/bin/python3", "-S", "-u", "-c", "import sys; sys.path.insert(0, \"/opt/hearth\"); import bootstrap; bootstrap.main()"]'
}

# Debian's nodejs: the node binary and the libraries it links.
recipe_node() {
	node=$(readlink -f /usr/bin/node)
	{
		echo "$node"
		[ "$node" = /usr/bin/node ] || echo /usr/bin/node
	} | copy_closure "$1/rootfs"
	cp "$here/node/bootstrap.js" "$1/rootfs/opt/hearth/bootstrap.js"
	# Lambda's name for this runtime: nodejs<major>.x.
	printf 'AWS_EXECUTION_ENV=AWS_Lambda_nodejs%s.x\n' \
	    "$(/usr/bin/node -p 'process.versions.node.split(".")[0]')" > "$1/rootfs/opt/hearth/environment"
	cmd='["/usr/bin/node", "--max-semi-space-size=4", "/opt/hearth/bootstrap.js"]'
}

# A read-only block image of an image's rootfs for the qemu driver:
# uncompressed erofs, which boots and reads faster under TCG than lz4
# (decompression is emulated) and than ext4 (see README, "Guest images").
block_image() {
	name=$1
	command -v mkfs.erofs >/dev/null 2>&1 || return 0
	[ -f "$out/$name/rootfs.erofs" ] && [ "$out/$name/rootfs.erofs" -nt "$out/$name/stamp" ] && return 0
	mkfs.erofs --quiet --all-root -T0 "$out/$name/rootfs.erofs.new" "$out/$name/rootfs" >/dev/null &&
	    mv "$out/$name/rootfs.erofs.new" "$out/$name/rootfs.erofs"
}

# Modules the guest loads, in dependency order (a module's "depends="
# entries first), as file paths under the unpacked kernel tree $1.
module_order() {
	local tree=$1 m f deps
	shift
	for m in "$@"; do
		f=$(find "$tree" -name "$m.ko" | head -1)
		[ -n "$f" ] || { echo "guest: no module $m in $tree" >&2; return 1; }
		deps=$(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | tr ',' ' ')
		[ -z "$deps" ] || module_order "$tree" $deps
		echo "$f"
	done
}

# The microVM guest: Debian's cloud kernel, fetched as a .deb and unpacked
# here (never installed on the host), and an uncompressed initramfs with
# hearth-agent as /init and the modules it loads before it mounts the
# root image: fw_cfg (its settings), virtio-mmio, the block device, the
# network card (the agent's channel is QEMU user networking) and erofs.
build_guest() {
	agent=$1
	dir=$out/guest
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	    awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	if [ -z "$pkg" ]; then
		echo "  GUEST  skipped: apt knows no linux-image-cloud-amd64 (qemu driver unavailable)"
		return 0
	fi
	stamp=$( (echo "$pkg"; apt-cache policy "$pkg" | sed -n 2p; cat "$0" "$agent") | cksum | cut -d' ' -f1)
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
		echo "  GUEST  $pkg (up to date)"
		return 0
	fi
	echo "  GUEST  $pkg"
	tmp=$out/.guest.new
	rm -rf "$tmp"
	mkdir -p "$tmp/deb" "$tmp/x" "$tmp/initramfs/modules"
	if ! (cd "$tmp/deb" && apt-get download "$pkg" >/dev/null 2>&1); then
		echo "  GUEST  skipped: could not download $pkg (qemu driver unavailable)"
		rm -rf "$tmp"
		return 0
	fi
	dpkg-deb -x "$tmp"/deb/*.deb "$tmp/x"
	cp "$tmp"/x/boot/vmlinuz-* "$tmp/vmlinuz"
	kver=$(basename "$tmp"/x/boot/vmlinuz-* | sed 's/^vmlinuz-//')
	i=0
	module_order "$tmp/x/lib/modules" qemu_fw_cfg virtio_mmio virtio_blk virtio_net erofs |
	    awk '!seen[$0]++' | while read -r f; do
		i=$((i + 1))
		n=$(printf '%02d-%s' "$i" "$(basename "$f")")
		cp "$f" "$tmp/initramfs/modules/$n"
	done
	cp "$agent" "$tmp/initramfs/init"
	mkdir -p "$tmp/initramfs/dev" "$tmp/initramfs/proc" "$tmp/initramfs/sys" \
	    "$tmp/initramfs/newroot"
	(cd "$tmp/initramfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$tmp/initramfs.cpio"
	printf '{"kernel": "%s", "package": "%s"}\n' "$kver" "$pkg" > "$tmp/guest.json"
	rm -rf "$tmp/deb" "$tmp/x" "$tmp/initramfs"
	echo "$stamp" > "$tmp/stamp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
}

[ -x /usr/bin/python3 ] && build python3 "$here/python3/bootstrap.py" && block_image python3
[ -x /usr/bin/node ] && build node "$here/node/bootstrap.js" && block_image node
[ -n "${2:-}" ] && build_guest "$2"
exit 0
