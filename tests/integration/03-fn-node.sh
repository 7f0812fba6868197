# Node functions: async handlers, callback style, context, errors.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/code"
cat > "$T/code/index.js" <<'JS'
exports.handler = async (event, context) => {
  console.log('node saw', JSON.stringify(event));
  return { echo: event, fn: context.functionName, mem: context.memoryLimitInMB,
           rid: context.awsRequestId, left: context.getRemainingTimeInMillis() };
};
JS
cat > "$T/code/cb.js" <<'JS'
exports.handler = (event, context, callback) => {
  setTimeout(() => callback(null, { style: 'callback', n: event.n }), 5);
};
JS
cat > "$T/code/bad.js" <<'JS'
exports.handler = async () => { throw new TypeError('nope'); };
JS
expect_rc 0 H fn create njs --runtime node --handler index.handler --code "$T/code"
expect_rc 0 H fn invoke njs '{"a": [1, 2]}'
expect_eq "echo" "$(json_get "$OUT" 'd["echo"]["a"][1]')" "2"
expect_eq "context" "$(json_get "$OUT" 'd["fn"], d["mem"]')" "njs 128"
left=$(json_get "$OUT" 'd["left"]')
[ "$left" -gt 2000 ] && [ "$left" -le 3000 ] || fail "remaining time $left"
expect_rc 0 H fn create ncb --runtime node --handler cb.handler --code "$T/code"
expect_rc 0 H fn invoke ncb '{"n": 7}'
expect_eq "callback" "$(json_get "$OUT" 'd["style"], d["n"]')" "callback 7"
expect_rc 0 H fn create nbad --runtime node --handler bad.handler --code "$T/code"
expect_rc 1 H fn invoke nbad
expect_eq "error type" "$(json_get "$OUT" 'd["errorType"], d["errorMessage"]')" "TypeError nope"
expect_in "one-line error" "$ERR" "function 'nbad' failed: TypeError: nope"
expect_rc 0 H fn logs njs
expect_in "console.log captured" "$OUT" 'node saw {"a":[1,2]}'

# Errors at load, typed as Lambda's runtime types them: what the module
# threw keeps its type; a module it requires that is not there is
# Runtime.ImportModuleError; a syntax error Runtime.UserCodeSyntaxError.
mkdir -p "$T/init"
printf 'throw new RangeError("init boom");\n' > "$T/init/throws.js"
printf 'require("no-such-module");\nexports.handler = async () => 1;\n' > "$T/init/missing.js"
printf 'exports.handler = async () => {\n' > "$T/init/syntax.js"
for c in "throws RangeError init boom" "missing Runtime.ImportModuleError no-such-module" \
    "syntax Runtime.UserCodeSyntaxError Unexpected"; do
	set -- $c
	expect_rc 0 H fn create "ninit-$1" --runtime node --handler "$1.handler" --code "$T/init"
	expect_rc 1 H fn invoke "ninit-$1"
	expect_eq "init error $1: type" "$(json_get "$OUT" 'd["errorType"]')" "$2"
	expect_in "init error $1: message" "$(json_get "$OUT" 'd["errorMessage"]')" "$3"
done
exit 0
