#!/bin/sh
# images/build.sh OUT — build hearth's runtime images from the host's
# Debian packages, offline: no Docker, no registry.
#
# Each image is a directory OUT/NAME with rootfs/ (what the sandbox sees as
# /) and image.json (name, runtime, command, size).  A rootfs holds the
# runtime's files (from dpkg's lists and the interpreter's library tree),
# the shared libraries they need (ldd closure), the bootstrap from
# images/NAME/, and empty mount points.  An image is rebuilt only when its
# stamp (package versions and recipe files) changes, so a rebuild with
# nothing changed takes well under a second.
set -eu
out=${1:?usage: build.sh OUTDIR}
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
	cmd='["/usr/bin/node", "--max-semi-space-size=4", "/opt/hearth/bootstrap.js"]'
}

[ -x /usr/bin/python3 ] && build python3 "$here/python3/bootstrap.py"
[ -x /usr/bin/node ] && build node "$here/node/bootstrap.js"
exit 0
