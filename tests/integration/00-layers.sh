#!/bin/sh
# 00-layers: the layers of hearth do not reach into each other.
#
# The Makefile compiles each layer with only the include paths it may use;
# this check catches what include paths cannot: a header reached by a
# relative path, a stream written by a command, SQL in the console, a
# driver named above vm/.  Each failure names the file and line.
cd "$(dirname "$0")/../.." || exit 1
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT

# code FILE...: "file:line:text" with string literals and comment lines
# blanked, so words inside help texts and comments do not count.
code() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		sed -E 's/"([^"\\]|\\.)*"/""/g' "$f" | awk -v f="$f" '
			/^[ \t]*(\/\*|\*|\/\/)/ { next }
			{ print f ":" NR ":" $0 }'
	done
}

# includes FILE...: "file:line:header" for every quoted or system include.
includes() {
	grep -nE '^#include' "$@" | sed -E 's/#include *[<"]([^>"]+)[>"].*/\1/'
}

# rule NAME: report the hits on stdin under NAME.
rule() {
	hits=$(cat)
	[ -z "$hits" ] && return
	echo "FAIL $1:"
	echo "$hits" | sed 's/^/    /'
	echo x >> "$bad"
}

# The console draws what the manager returns: no SQL, no drivers.
includes tui/*.c tui/*.h | grep -E ':(.*/)?(store|vm|qemu|proto|agent|inst|cgroup)\.h$|:(.*/)?sqlite3\.h$' |
    rule "tui/ includes a store or driver header"
code tui/*.c tui/*.h |
    grep -E '\bsqlite3_|\bstore_(exec|stmt|prepare|done|begin|commit|rollback|event)\(|\bvm_[a-z_]+\(|\bagent_[a-z_]+\(' |
    rule "tui/ runs SQL or calls a driver or the agent itself"

# vm/ knows nothing of the store, the manager or the commands.
includes vm/*.c vm/*.h | grep -E ':(.*/)?(hearth|core|store|tui|esc|inst|agent)\.h$|:(.*/)?sqlite3\.h$' |
    rule "vm/ includes a manager or command-layer header"
code vm/*.c vm/*.h |
    grep -E '\bsqlite3_|\b(config|store|fn|inst|pool|invoke|list|logs|cmd|out|esc)_[a-z_]+\(' |
    rule "vm/ calls into the manager or the commands"

# The agent and the shim share only proto.h with the host.
grep -nE '^#include *"' vm/agent/*.c vm/agent/*.h |
    grep -vE '"(proto|agent|seccomp-bpf|seccomp-vmm)\.h"' |
    rule "vm/agent/ includes a host header"
grep -nE '^#include *"' vm/shim/*.c vm/shim/*.h |
    grep -vE '"(shim\.h|\.\./agent/proto\.h|seccomp-vmm\.h)"' |
    rule "vm/shim/ includes a host or agent header"

# The manager never prints and knows nothing of commands or terminals.
includes src/core/*.c src/core/*.h | grep -E ':(.*/)?(hearth|tui|curses|ncurses)\.h$|:(.*/)?readline/' |
    rule "src/core/ includes a command-layer or terminal header"
code src/core/*.c |
    grep -E '\b(stdout|stderr)\b|\b(printf|puts|putchar|perror|vprintf)\(|\b(write|dprintf|fdopen)\( *(1|2|STD(OUT|ERR)_FILENO)\b' |
    rule "src/core/ writes to a terminal stream"

# Commands parse, call the manager and hand results to out.c.
includes src/cmd/*.c | grep -E ':(.*/)?(store|vm|qemu|inst|cgroup|proto)\.h$|:(.*/)?sqlite3\.h$' |
    rule "a command includes a store or driver header"
code src/cmd/*.c |
    grep -E '\b(printf|fprintf|vfprintf|fputs|fputc|putc|putchar|puts|fwrite|perror|fflush)\(|\b(write|dprintf|fdopen)\( *(1|2)\b|\b(stdout|stderr|STD(OUT|ERR)_FILENO)\b' |
    rule "a command writes to a stream itself (use out.c)"
code src/cmd/*.c | grep -E 'ctx->(out|err)\b|\bFILE\b|\bout_(table_print|bytes|report)\(' |
    rule "a command picks a stream (use out_show, out_output, out_log)"
code src/cmd/*.c | grep -E '\bsqlite3_|\bstore_(prepare|stmt|exec|begin|commit)\(' |
    rule "a command runs SQL itself"

# Nothing above vm/ names a driver, its settings or its functions.
code src/*.c src/cmd/*.c src/core/*.c tui/*.c |
    grep -E '\b(ns|qemu|cgroup|qmp|accel|bundle)_[a-z_]+\(' |
    rule "a driver's own function is called above vm/"
grep -nE '"(ns|qemu)(\.[a-z_.]*)?"' src/*.c src/cmd/*.c src/core/*.c tui/*.c |
    grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' |
    rule "a driver is named above vm/"

# Headers are found through the layer's include path, never around it.
grep -nE '^#include *"[^"]*\.\./' src/*.[ch] src/*/*.[ch] tui/*.[ch] vm/*.[ch] vm/agent/*.[ch] |
    rule "a header reached by a relative path"

if [ -s "$bad" ]; then
	exit 1
fi
echo "layers hold"
