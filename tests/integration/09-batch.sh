# Batch files: comments, blank lines, FILE:LINE errors, -k, stdin.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" app '    return "batched"'
cat > "$T/ok.hearth" <<EOB
# create and call a function

fn create b1 --runtime python3 --handler app.handler --code "$T/code"
fn invoke b1   # trailing comment
fn ls
EOB
expect_rc 0 H -f "$T/ok.hearth"
expect_in "batch output" "$OUT" '"batched"'
cat > "$T/bad.hearth" <<EOB
fn show b1
fn show missing
fn create b2 --runtime python3 --handler app.handler --code "$T/code"
EOB
expect_rc 1 H -f "$T/bad.hearth"
expect_eq "stops at first error" "$ERR" "$T/bad.hearth:2: no function 'missing'"
expect_eq "later lines not run" "$(rows functions "WHERE name='b2'")" "0"
expect_rc 1 H -f "$T/bad.hearth" -k
expect_eq "keeps going" "$(rows functions "WHERE name='b2'")" "1"
expect_in "-k reports the error" "$ERR" "bad.hearth:2:"
printf 'fn bogus\n' > "$T/usage.hearth"
expect_rc 2 H -f "$T/usage.hearth"
expect_in "usage error" "$ERR" "usage.hearth:1: unknown command"
printf 'fn show "unterminated\n' > "$T/quote.hearth"
expect_rc 2 H -f "$T/quote.hearth"
expect_in "quote" "$ERR" "quote.hearth:1: unterminated \" quote"
OUT=$(printf 'fn invoke b1\n' | H -f -) || fail "stdin batch"
expect_eq "stdin batch" "$OUT" '"batched"'
expect_rc 1 H -f "$T/nope.hearth"
expect_in "missing file" "$ERR" "nope.hearth"
exit 0
