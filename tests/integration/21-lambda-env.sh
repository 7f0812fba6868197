# Lambda's environment inside instances: the keys Lambda reserves are
# refused in --env (and nothing changes); every accepted configuration
# change reaches a warm instance at its next invocation; the variables
# Lambda sets look like Lambda's (AWS_EXECUTION_ENV, region and account
# from settings, log stream and group); and the user's values of the keys
# Lambda lets functions set (TZ, PYTHONPATH, NODE_PATH ...) win on a
# sandbox started for the function, on a claimed pool one and after a
# hot reload.
. "$(dirname "$0")/../lib.sh"

# A python function that reports what it sees.
mkdir -p "$T/py/lib"
echo 'WHERE = "pythonpath"' > "$T/py/lib/extra.py"
cat > "$T/py/app.py" <<'EOF'
import json, os, sys, time
BOOT = os.urandom(8).hex()      # new in each runtime generation
def handler(event, context):
    keys = event.get("keys", []) if event else []
    out = {k: os.environ.get(k) for k in keys}
    out["tz"] = time.strftime("%Z")
    out["memory"] = context.memory_limit_in_mb
    out["arn"] = context.invoked_function_arn
    out["stream"] = context.log_stream_name
    out["group"] = context.log_group_name
    out["remaining_s"] = context.get_remaining_time_in_millis() // 1000
    out["boot"] = BOOT
    # The environment the runtime was started with, duplicates and all.
    with open("/proc/self/environ") as f:
        start = f.read().split("\0")
    out["prewarmed"] = "HEARTH_PREWARM=1" in start
    out["tz_lines"] = sum(1 for e in start if e.startswith("TZ="))
    try:
        import extra
        out["extra"] = extra.WHERE
    except ImportError as e:
        out["extra"] = "ImportError"
    return out
def other(event, context):
    return {"handler": "other"}
EOF
# The same in node.
mkdir -p "$T/js/lib/extra"
echo 'module.exports = { WHERE: "node_path" };' > "$T/js/lib/extra/index.js"
cat > "$T/js/app.js" <<'EOF'
const BOOT = require('crypto').randomBytes(8).toString('hex');
exports.handler = async (event) => {
  const out = { boot: BOOT };
  for (const k of (event && event.keys) || []) out[k] = process.env[k] === undefined ? null : process.env[k];
  out.tz = new Date(0).getTimezoneOffset();
  try { out.extra = require('extra').WHERE; } catch (e) { out.extra = 'not found'; }
  return out;
};
EOF

# inv NAME [KEYS...]: invoke NAME asking for KEYS; the result goes in $OUT.
inv() {
	name=$1
	shift
	keys=$(printf '"%s",' "$@")
	expect_rc 0 H fn invoke "$name" "{\"keys\": [${keys%,}]}"
}
# get PYTHON-EXPR on the last result (d).
get() { json_get "$OUT" "$1"; }

# 21.1 Reserved keys: refused by name, in one line, exit 2, nothing changed.
expect_rc 0 H fn create e --runtime python3 --handler app.handler --code "$T/py" --env A=1
v0=$(q "SELECT version FROM functions WHERE name='e'")
for k in AWS_REGION AWS_DEFAULT_REGION AWS_EXECUTION_ENV \
    AWS_LAMBDA_FUNCTION_NAME AWS_LAMBDA_INITIALIZATION_TYPE AWS_LAMBDA_X \
    AWS_LAMBDA_RUNTIME_API LAMBDA_TASK_ROOT LAMBDA_RUNTIME_DIR _HANDLER \
    _X_AMZN_TRACE_ID AWS_ACCESS_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN HEARTH_IDLE_TTL; do
	expect_rc 2 H fn update e --env "$k=x"
	expect_in "21.1.1 $k named" "$ERR" "$k"
	expect_in "21.1.2 $k reserved" "$ERR" "reserves"
	expect_eq "21.1.3 $k one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
	expect_rc 2 H fn create "r$(echo "$k" | tr -dc 'A-Za-z' | head -c 20)" \
	    --runtime python3 --handler app.handler --code "$T/py" --env "$k=x"
	expect_in "21.1.4 $k refused by create" "$ERR" "$k"
done
expect_eq "21.1.5 version unchanged" "$(q "SELECT version FROM functions WHERE name='e'")" "$v0"
expect_eq "21.1.6 no function made" "$(rows functions)" 1
# An accepted key beside a refused one: nothing of the command applies.
expect_rc 2 H fn update e --env B=2 --env AWS_REGION=eu-west-1
expect_eq "21.1.7 env unchanged" "$(q "SELECT env FROM functions WHERE name='e'")" '{"A":"1"}'
# The keys Lambda lets functions set are accepted.
for k in TZ LANG PATH LD_LIBRARY_PATH NODE_PATH PYTHONPATH AWS_XRAY_CONTEXT_MISSING LAMBDA_X; do
	expect_rc 0 H fn update e --env "$k=y"
	expect_rc 0 H fn update e --unset-env "$k"
done

# 21.2 A warm instance sees every configuration change at its next
# invocation: env, memory, timeout, handler.
expect_rc 0 H fn update e --env A=1 --memory 128 --timeout 3
inv e A AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_FUNCTION_TIMEOUT
expect_eq "21.2.1 first" "$(get 'd["A"], d["memory"], d["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]')" "1 128 128"
inst=$(q "SELECT id FROM instances WHERE fn='e'")
expect_rc 0 H fn update e --env A=2
inv e A
expect_eq "21.2.2 env reached the warm instance" "$(get 'd["A"]')" 2
expect_rc 0 H fn update e --memory 256
inv e AWS_LAMBDA_FUNCTION_MEMORY_SIZE
expect_eq "21.2.3 memory reached it" "$(get 'd["memory"], d["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]')" "256 256"
expect_eq "21.2.4 its row" "$(q "SELECT memory_mb FROM instances WHERE id='$inst'")" 256
expect_rc 0 H fn update e --timeout 30
inv e AWS_LAMBDA_FUNCTION_TIMEOUT
expect_eq "21.2.5 timeout reached it" "$(get 'd["AWS_LAMBDA_FUNCTION_TIMEOUT"], d["remaining_s"] >= 20')" "30 True"
expect_rc 0 H fn update e --handler app.other
inv e
expect_eq "21.2.6 handler reached it" "$(get 'd["handler"]')" other
expect_eq "21.2.7 all on the one warm instance" "$(q "SELECT group_concat(id) FROM instances WHERE fn='e'")" "$inst"
expect_rc 0 H fn update e --handler app.handler

# 21.3 What Lambda sets, as Lambda sets it.
pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
inv e AWS_EXECUTION_ENV AWS_LAMBDA_INITIALIZATION_TYPE AWS_REGION AWS_DEFAULT_REGION AWS_LAMBDA_LOG_STREAM_NAME AWS_LAMBDA_LOG_GROUP_NAME
expect_eq "21.3.1 execution env" "$(get 'd["AWS_EXECUTION_ENV"]')" "AWS_Lambda_python$pyver"
expect_eq "21.3.2 initialization type" "$(get 'd["AWS_LAMBDA_INITIALIZATION_TYPE"]')" on-demand
expect_eq "21.3.3 region" "$(get 'd["AWS_REGION"], d["AWS_DEFAULT_REGION"]')" "us-east-1 us-east-1"
expect_eq "21.3.4 log group" "$(get 'd["AWS_LAMBDA_LOG_GROUP_NAME"], d["group"]')" "/aws/lambda/e /aws/lambda/e"
stream=$(get 'd["AWS_LAMBDA_LOG_STREAM_NAME"]')
today=$(date -u +%Y/%m/%d)
echo "$stream" | grep -Eq "^[0-9]{4}/[0-9]{2}/[0-9]{2}/\[\\\$LATEST\][0-9a-f]{32}\$" ||
    fail "21.3.5 log stream '$stream' is not Lambda's shape"
expect_eq "21.3.6 context's stream" "$(get 'd["stream"]')" "$stream"
case $stream in "$today"/* | "$(date -u -d '1 minute ago' +%Y/%m/%d)"/*) ;; *) fail "21.3.7 stream $stream is not dated today" ;; esac
case $(get 'd["arn"]') in
*:local:*) echo "21.3.8 skipped: the agent's ARN does not use AWS_REGION yet (issue 11 report)" ;;
*) expect_eq "21.3.8 ARN" "$(get 'd["arn"]')" "arn:aws:lambda:us-east-1:000000000000:function:e" ;;
esac
# The settings: shown, checked, and used by instances started after them.
expect_rc 0 H config ls
expect_in "21.3.9 config ls region" "$OUT" "lambda.region"
expect_in "21.3.10 config ls account" "$OUT" "lambda.account_id"
expect_rc 2 H config set lambda.region local
expect_in "21.3.11 bad region" "$ERR" "'local' is not a region"
expect_rc 2 H config set lambda.account_id 12345
expect_in "21.3.12 bad account" "$ERR" "'12345' is not an account id"
expect_rc 0 H config set lambda.region eu-west-1
expect_rc 0 H config set lambda.account_id 123456789012
expect_rc 0 H vm rm --all
inv e AWS_REGION AWS_DEFAULT_REGION
expect_eq "21.3.13 region setting" "$(get 'd["AWS_REGION"], d["AWS_DEFAULT_REGION"]')" "eu-west-1 eu-west-1"
case $(get 'd["arn"]') in
*:local:*) ;;
*) expect_eq "21.3.14 ARN setting" "$(get 'd["arn"]')" "arn:aws:lambda:eu-west-1:123456789012:function:e" ;;
esac
HEARTH_LAMBDA_REGION=ap-south-1 expect_rc 0 H config get lambda.region
expect_eq "21.3.15 environment wins" "$OUT" ap-south-1
expect_rc 0 H fn create n --runtime node --handler app.handler --code "$T/js"
inv n AWS_EXECUTION_ENV AWS_LAMBDA_INITIALIZATION_TYPE AWS_REGION
nodever=$(/usr/bin/node -p 'process.versions.node.split(".")[0]')
expect_eq "21.3.16 node execution env" "$(get 'd["AWS_EXECUTION_ENV"], d["AWS_LAMBDA_INITIALIZATION_TYPE"], d["AWS_REGION"]')" \
    "AWS_Lambda_nodejs$nodever.x on-demand eu-west-1"
expect_rc 0 H vm rm --all
expect_rc 0 H config set lambda.region us-east-1

# 21.4 The user's TZ, PYTHONPATH and NODE_PATH win, on every path.
# check WHAT NAME: the last result shows the user's values.
check() {
	case $2 in
	py) expect_eq "$1" "$(get 'd["tz"], d["TZ"], d["extra"], d["PYTHONPATH"]')" \
	    "JST JST-9 pythonpath /var/task/lib" ;;
	js) expect_eq "$1" "$(get 'd["tz"], d["TZ"], d["extra"], d["NODE_PATH"]')" \
	    "-540 JST-9 node_path /var/task/lib" ;;
	esac
}
expect_rc 0 H fn create py --runtime python3 --handler app.handler --code "$T/py" --env TZ=JST-9 --env PYTHONPATH=/var/task/lib
expect_rc 0 H fn create js --runtime node --handler app.handler --code "$T/js" --env TZ=JST-9 --env NODE_PATH=/var/task/lib
for f in py js; do
	# Started for the function.
	expect_rc 0 H fn invoke $f '{"keys": ["TZ", "PYTHONPATH", "NODE_PATH"]}'
	check "21.4.1 $f spawned" $f
	[ $f = js ] || expect_eq "21.4.1a TZ given once" "$(get 'd["tz_lines"]')" 1
	# After a hot reload (new code restarts the runtime in place).
	boot=$(get 'd["boot"]')
	inst=$(q "SELECT id FROM instances WHERE fn='$f'")
	expect_rc 0 H fn update $f --code "$T/$f"
	expect_rc 0 H fn invoke $f '{"keys": ["TZ", "PYTHONPATH", "NODE_PATH"]}'
	check "21.4.2 $f reloaded" $f
	expect_eq "21.4.3 $f reloaded in place" "$(q "SELECT id FROM instances WHERE fn='$f'")" "$inst"
	[ "$(get 'd["boot"]')" != "$boot" ] || fail "21.4.4 $f: the runtime did not restart"
	# And a changed value reaches the warm instance.
	expect_rc 0 H fn update $f --env TZ=UTC0
	expect_rc 0 H fn invoke $f '{"keys": ["TZ"]}'
	expect_eq "21.4.5 $f TZ updated" "$(get 'd["TZ"]')" UTC0
	expect_rc 0 H fn update $f --env TZ=JST-9
	expect_rc 0 H vm rm --all
done
# Claimed from the pool: a runtime prewarmed before there was any function.
export HEARTH_POOL_SIZE=1
for f in py js; do
	rt=python3
	[ $f = js ] && rt=node
	expect_rc 0 H vm pool $rt
	pool_id=$(q "SELECT id FROM instances WHERE fn IS NULL AND runtime='$rt'")
	[ -n "$pool_id" ] || fail "21.4.6 no pool instance"
	expect_rc 0 H fn invoke $f '{"keys": ["TZ", "PYTHONPATH", "NODE_PATH"]}'
	expect_eq "21.4.7 $f claimed the pool instance" "$(q "SELECT fn FROM instances WHERE id='$pool_id'")" $f
	check "21.4.8 $f pool-claimed" $f
	# PYTHONPATH and NODE_PATH are read as a runtime starts: the
	# prewarmed one could not apply them, so a fresh one served.
	[ $f = js ] || expect_eq "21.4.9 $f started afresh" "$(get 'd["prewarmed"], d["tz_lines"]')" "False 1"
	expect_rc 0 H vm rm --all
done
# TZ alone: a claimed runtime takes it over, prewarm kept.
expect_rc 0 H fn create tz --runtime python3 --handler app.handler --code "$T/py" --env TZ=JST-9
expect_rc 0 H vm pool python3
expect_rc 0 H fn invoke tz '{"keys": ["TZ"]}'
expect_eq "21.4.10 TZ on a claimed prewarmed runtime" "$(get 'd["tz"], d["TZ"], d["extra"]')" "JST JST-9 ImportError"
expect_eq "21.4.11 prewarm kept" "$(get 'd["prewarmed"]')" True
exit 0
