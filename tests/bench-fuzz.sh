#!/bin/sh
# tests/bench-fuzz.sh BUILD — the fuzzers' figures: each libFuzzer harness
# for a fixed number of executions (FUZZ_BENCH_RUNS, 100000) from its seed
# corpus with a fixed seed, so runs compare: executions, executions a
# second, and the coverage reached.  Never asserts; `make fuzz` is the
# long run that fails on a crash.
B=${1:-build}
N=${FUZZ_BENCH_RUNS:-100000}
here=$(cd "$(dirname "$0")" && pwd)

echo "-- fuzzing: libFuzzer harnesses, $N executions each (seed 1)"
for t in "$here"/fuzz/fuzz-*.c; do
	n=$(basename "$t" .c)
	sh "$here/fuzz/fuzz.sh" -s 1 "$B/fuzz" "$N" "${n#fuzz-}" | sed 's/^SKIP: /(skipped: /; /^(skipped/s/$/)/'
done
