#!/bin/sh
# tests/run.sh BUILD — run every test: C unit tests, integration tests,
# then a short run of each libFuzzer harness (tests/fuzz/fuzz-*.c).
#
# Each test is a program: exit 0 passes, 77 skips (it prints why), anything
# else fails.  Output is kept only for failures.  The last line is
# "N passed, N failed, N skipped".
B=${1:-build}
export HEARTH="$(cd "$B" && pwd)/hearth"
here=$(cd "$(dirname "$0")" && pwd)
pass=0 failn=0 skipn=0
log=$(mktemp)
only=${TESTS:-}

run() {
	name=$1
	shift
	if [ -n "$only" ] && ! echo "$name" | grep -Eq -- "$only"; then
		return
	fi
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	case $rc in
	0)  pass=$((pass + 1)); printf 'PASS  %-36s %5.1fs\n' "$name" "$secs" ;;
	77) skipn=$((skipn + 1)); printf 'SKIP  %-36s %s\n' "$name" "$(grep -m1 '^SKIP' "$log" | cut -c7-)" ;;
	*)  failn=$((failn + 1)); printf 'FAIL  %-36s (exit %d)\n' "$name" "$rc"
	    sed 's/^/    | /' "$log" | tail -40 ;;
	esac
}

for t in "$B"/tests/test-*; do
	case $t in *.d) continue ;; esac
	[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
for t in "$here"/integration/*.sh; do
	run "$(basename "$t" .sh)" sh "$t"
done
for t in "$here"/fuzz/fuzz-*.c; do
	n=$(basename "$t" .c)
	run "18-$n" sh "$here/fuzz/fuzz.sh" "$B/fuzz" 20000 "${n#fuzz-}"
done
rm -f "$log"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
