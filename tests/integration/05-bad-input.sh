# Bad input: a one-line error naming the problem, exit 1 or 2, and nothing
# half-created in the store or on disk.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" app '    return 1'
mkpy "$T/broken" app '    return (' # syntax error
expect_rc 0 H fn create ok --runtime python3 --handler app.handler --code "$T/code"
snapshot() { echo "$(rows functions) $(ls "$HEARTH_HOME/code" | tr '\n' ' ')"; }
before=$(snapshot)

bad() { # bad CODE WANT-IN-STDERR ARGS...
	bad_code=$1 bad_want=$2
	shift 2
	expect_rc "$bad_code" H "$@"
	expect_in "'$*'" "$ERR" "$bad_want"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "'$*' error is not one line: $ERR"
	expect_eq "'$*' left nothing" "$(snapshot)" "$before"
}
bad 2 "unknown runtime 'ruby'" fn create x --runtime ruby --handler app.handler --code "$T/code"
bad 2 "--runtime is required" fn create x --handler app.handler --code "$T/code"
bad 2 "--handler is required" fn create x --runtime python3 --code "$T/code"
bad 2 "handler 'apphandler' must look like module.function" fn create x --runtime python3 --handler apphandler --code "$T/code"
bad 2 "handler 'app.' must look like" fn create x --runtime python3 --handler app. --code "$T/code"
bad 2 "handler '../x.h' must be a path inside the code" fn create x --runtime python3 --handler ../x.h --code "$T/code"
bad 1 "the code has no nothere.py" fn create x --runtime python3 --handler nothere.handler --code "$T/code"
bad 1 "code path $T/missing" fn create x --runtime python3 --handler app.handler --code "$T/missing"
bad 2 "--code is required" fn create x --runtime python3 --handler app.handler
bad 1 "function 'ok' already exists" fn create ok --runtime python3 --handler app.handler --code "$T/code"
bad 2 "may only contain letters" fn create "a/b" --runtime python3 --handler app.handler --code "$T/code"
bad 2 "may only contain letters" fn create "a b" --runtime python3 --handler app.handler --code "$T/code"
bad 2 "longer than 64" fn create "$(printf 'x%.0s' $(seq 1 65))" --runtime python3 --handler app.handler --code "$T/code"
bad 2 "--memory '-5' must be a whole number from 64 to 10240" fn create x --runtime python3 --handler app.handler --code "$T/code" --memory -5
bad 2 "--memory '99999999999'" fn create x --runtime python3 --handler app.handler --code "$T/code" --memory 99999999999
bad 2 "--timeout '0'" fn create x --runtime python3 --handler app.handler --code "$T/code" --timeout 0
bad 2 "--timeout '901'" fn create x --runtime python3 --handler app.handler --code "$T/code" --timeout 901
bad 2 "--timeout 'abc'" fn create x --runtime python3 --handler app.handler --code "$T/code" --timeout abc
bad 2 "--env 'NOEQUALS' must be KEY=VALUE" fn create x --runtime python3 --handler app.handler --code "$T/code" --env NOEQUALS
bad 2 "'AWS_LAMBDA_X' is not a variable name" fn create x --runtime python3 --handler app.handler --code "$T/code" --env AWS_LAMBDA_X=1
bad 2 "environment variables total 5001 bytes; the limit is 4096" fn create x --runtime python3 --handler app.handler --code "$T/code" --env "BIG=$(head -c 4998 /dev/zero | tr '\0' x)"
bad 1 "no function 'nope'" fn invoke nope
bad 1 "no function 'nope'" fn update nope --memory 256
bad 1 "no function 'nope'" fn rm nope
bad 2 "payload is not valid JSON" fn invoke ok '{"a": '
bad 2 "payload is not valid JSON" fn invoke ok 'not json'
bad 2 "payload $T/nofile.json" fn invoke ok "@$T/nofile.json"
head -c 6291457 /dev/zero | tr '\0' ' ' > "$T/big.json"
bad 2 "larger than 6291456 bytes" fn invoke ok "@$T/big.json"
bad 2 "--memory '1'" fn update ok --memory 1
bad 1 "the code has no missing.py" fn update ok --handler missing.handler
bad 1 "code path $T/missing" fn update ok --code "$T/missing"
expect_rc 0 H fn show ok -o json
expect_eq "failed updates changed nothing" "$(json_get "$OUT" 'd["version"], d["memory_mb"], d["handler"]')" "1 128 app.handler"

# A module that fails to import: created fine, fails clearly at invoke.
expect_rc 0 H fn create broken --runtime python3 --handler app.handler --code "$T/broken"
expect_rc 1 H fn invoke broken
expect_eq "syntax error type" "$(json_get "$OUT" 'd["errorType"]')" "Runtime.UserCodeSyntaxError"
expect_in "import error line" "$ERR" "Unable to import module 'app'"
printf 'import not_a_module\ndef handler(e, c):\n    return 1\n' > "$T/broken/app.py"
expect_rc 0 H fn update broken --code "$T/broken"
expect_rc 1 H fn invoke broken
expect_eq "import error type" "$(json_get "$OUT" 'd["errorType"]')" "Runtime.ImportModuleError"
printf 'def other(e, c):\n    return 1\n' > "$T/broken/app.py"
expect_rc 0 H fn update broken --code "$T/broken"
expect_rc 1 H fn invoke broken
expect_eq "missing handler" "$(json_get "$OUT" 'd["errorType"]')" "Runtime.HandlerNotFound"
# Fixing the code fixes the function.
printf 'def handler(e, c):\n    return "fixed"\n' > "$T/broken/app.py"
expect_rc 0 H fn update broken --code "$T/broken"
expect_rc 0 H fn invoke broken
expect_eq "fixed" "$OUT" '"fixed"'
exit 0
