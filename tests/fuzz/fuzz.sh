#!/bin/sh
# tests/fuzz/fuzz.sh [-s SEED] DIR RUNS NAME... — run libFuzzer harnesses.
#
# Each DIR/fuzz-NAME (DIR is BUILD/fuzz) runs for RUNS executions, from
# its committed seeds (tests/fuzz/corpus/NAME, read only) and a fresh
# working corpus (DIR/corpus/NAME, where what it finds goes), and prints one
# line: executions, wall time, executions a second, and the coverage it
# reached (libFuzzer's final cov: and ft: figures).  A crash, a broken
# invariant or a sanitizer report fails it: its log's tail is printed and
# the input is kept under DIR/artifacts/.  Exit 0 if every harness
# passed, 1 if one failed, 77 (with a SKIP line) if one is not built.
# -s fixes libFuzzer's seed, for figures that compare across runs.
here=$(cd "$(dirname "$0")" && pwd)
seed=
if [ "${1:-}" = -s ]; then
	seed="-seed=$2"
	shift 2
fi
[ $# -ge 3 ] || { echo "usage: fuzz.sh [-s SEED] DIR RUNS NAME..." >&2; exit 2; }
D=$(mkdir -p "$1" && cd "$1" && pwd) || exit 2
runs=$2
shift 2

# The code harness makes its trees under TMPDIR: a tmpfs if there is one,
# private to this run and removed with it.
tmp=$(mktemp -d /dev/shm/hearth-fuzz.XXXXXX 2>/dev/null || mktemp -d /tmp/hearth-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$D/artifacts"

# The longest input each harness is given: past the caps it checks
# (headers, lines), and for the reply harness within what a socketpair
# holds unread.
max_len() {
	case $1 in
	http|reply)	echo 131072 ;;
	stream)		echo 262144 ;;
	*)		echo 65536 ;;
	esac
}

status=0
for name in "$@"; do
	bin=$D/fuzz-$name
	if [ ! -x "$bin" ]; then
		if ! command -v clang >/dev/null 2>&1; then
			echo "SKIP: clang with libFuzzer not installed (apt-get install clang libclang-rt-14-dev)"
		else
			echo "SKIP: $bin not built (make fuzz-build)"
		fi
		exit 77
	fi
	work=$D/corpus/$name
	log=$D/$name.log
	seeds=$here/corpus/$name
	[ -d "$seeds" ] || seeds=
	rm -rf "$work"
	mkdir -p "$work"
	start=$(date +%s.%N)
	TMPDIR=$tmp "$bin" -runs="$runs" -max_len="$(max_len "$name")" \
	    -timeout=30 -print_final_stats=1 $seed \
	    -artifact_prefix="$D/artifacts/$name-" \
	    "$work" ${seeds:+"$seeds"} >"$log" 2>&1
	rc=$?
	end=$(date +%s.%N)
	if [ $rc -ne 0 ] || grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken' "$log"; then
		echo "fuzz-$name: FAILED (exit $rc); the end of $log:"
		tail -40 "$log" | sed 's/^/    | /'
		status=1
		continue
	fi
	awk -v name="fuzz-$name" -v secs="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" '
		/^stat::number_of_executed_units:/ { runs = $2 }
		/ cov: / {
			for (i = 1; i < NF; i++) {
				if ($i == "cov:") cov = $(i + 1)
				if ($i == "ft:") ft = $(i + 1)
				if ($i == "corp:") { corp = $(i + 1); sub("/.*", "", corp) }
			}
		}
		END {
			printf "%-12s %8d runs %7.1f s %7.0f exec/s   cov %4d  ft %5d  corpus %4d\n",
			    name, runs, secs, (secs > 0 ? runs / secs : 0), cov, ft, corp
		}' "$log"
done
exit $status
