# The command table: help, usage errors, exit codes, -o json.
. "$(dirname "$0")/../lib.sh"

expect_rc 0 H help
expect_in "help lists fn create" "$OUT" "fn create"
expect_in "help lists vm ls" "$OUT" "vm ls"
expect_rc 0 H help fn invoke
expect_in "help fn invoke" "$OUT" "usage: hearth fn invoke NAME"
expect_rc 0 H fn create --help
expect_in "--help shows options" "$OUT" "--runtime"
expect_rc 2 H frobnicate
expect_in "unknown command" "$ERR" "unknown command 'frobnicate'"
expect_rc 2 H fn ls --bogus
expect_in "unknown option" "$ERR" "unknown option '--bogus'"
expect_rc 2 H fn show
expect_in "missing argument" "$ERR" "missing argument"
expect_rc 2 H fn ls -o yaml
expect_in "bad format" "$ERR" "unknown output format 'yaml'"
expect_rc 0 H version
expect_in "version" "$OUT" "hearth "
# Aliases run the same command.
expect_rc 0 H fn list -o json
expect_eq "empty json list" "$OUT" "[]"
expect_rc 0 H -o json fn ls
expect_eq "global -o json" "$OUT" "[]"
# Completion comes from the command table (and the store for names).
expect_rc 0 H complete -- fn in
expect_eq "complete command word" "$OUT" "invoke"
expect_rc 0 H complete -- fn create --ti
expect_eq "complete option" "$OUT" "--timeout"
# Plain hearth without a terminal is a usage error, not a hang.
expect_rc 2 H </dev/null
# The store was created with the current schema, in WAL mode.
expect_eq "wal" "$(q 'PRAGMA journal_mode')" "wal"
expect_eq "schema" "$(q "PRAGMA user_version")" "4"
exit 0
