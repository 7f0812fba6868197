# A python function: create, invoke, list, show, update config, remove.
. "$(dirname "$0")/../lib.sh"

mkpy "$T/code" app '    print("saw", event)
    return {"echo": event, "fn": context.function_name,
            "mem": context.memory_limit_in_mb, "rid": context.aws_request_id,
            "left": context.get_remaining_time_in_millis(),
            "env": os.environ.get("GREETING"), "cwd": os.getcwd()}'
expect_rc 0 H fn create echo --runtime python3 --handler app.handler \
    --code "$T/code" --memory 256 --timeout 5 --env GREETING=hi
expect_in "create" "$OUT" "created echo"
expect_rc 0 H fn invoke echo '{"n": 1}'
expect_eq "event" "$(json_get "$OUT" 'd["echo"]["n"]')" "1"
expect_eq "function name" "$(json_get "$OUT" 'd["fn"]')" "echo"
expect_eq "memory" "$(json_get "$OUT" 'd["mem"]')" "256"
expect_eq "env" "$(json_get "$OUT" 'd["env"]')" "hi"
expect_eq "cwd" "$(json_get "$OUT" 'd["cwd"]')" "/var/task"
left=$(json_get "$OUT" 'd["left"]')
[ "$left" -gt 4000 ] && [ "$left" -le 5000 ] || fail "remaining time $left"
rid1=$(json_get "$OUT" 'd["rid"]')
expect_rc 0 H fn invoke echo '{"n": 2}'
rid2=$(json_get "$OUT" 'd["rid"]')
[ "$rid1" != "$rid2" ] || fail "request ids repeat"
# The second call reused the warm instance.
expect_eq "one instance" "$(rows instances "WHERE fn='echo'")" "1"
expect_rc 0 H fn invoke echo -o json
expect_eq "json status" "$(json_get "$OUT" 'd["status"]')" "ok"
expect_eq "warm" "$(json_get "$OUT" 'd["cold"]')" "False"
# Payload from a file and from stdin.
echo '{"n": 3}' > "$T/ev.json"
expect_rc 0 H fn invoke echo "@$T/ev.json"
expect_eq "@file" "$(json_get "$OUT" 'd["echo"]["n"]')" "3"
OUT=$(echo '{"n": 4}' | H fn invoke echo -)
expect_eq "stdin" "$(json_get "$OUT" 'd["echo"]["n"]')" "4"

expect_rc 0 H fn ls
expect_in "ls" "$OUT" "echo"
expect_in "ls runtime" "$OUT" "python3"
expect_rc 0 H fn ls -o json
expect_eq "ls json" "$(json_get "$OUT" 'd[0]["name"], d[0]["memory_mb"], d[0]["timeout_s"]')" "echo 256 5"
expect_rc 0 H fn show echo -o json
expect_eq "show json" "$(json_get "$OUT" 'd["handler"], d["env"]["GREETING"], d["invocations"]')" "app.handler hi 5"
expect_rc 0 H fn show echo
expect_in "show text" "$OUT" "Handler:"

# Configuration changes reach the warm instance.
expect_rc 0 H fn update echo --env GREETING=hello --memory 192
expect_rc 0 H fn invoke echo
expect_eq "env updated" "$(json_get "$OUT" 'd["env"], d["mem"]')" "hello 192"
expect_eq "still one instance" "$(rows instances "WHERE fn='echo'")" "1"
expect_rc 0 H fn update echo --unset-env GREETING
expect_rc 0 H fn invoke echo
expect_eq "env unset" "$(json_get "$OUT" 'd["env"]')" "None"

# Single-file code and code from stdin.
printf 'def go(e, c):\n    return "one file"\n' > "$T/single.py"
expect_rc 0 H fn create single --runtime python3 --handler single.go --code "$T/single.py"
expect_rc 0 H fn invoke single
expect_eq "single file" "$OUT" '"one file"'
OUT=$(printf 'def h(e, c):\n    return "from stdin"\n' | H fn create piped --runtime python3 --handler main.h --code -) || fail "create from stdin"
expect_rc 0 H fn invoke piped
expect_eq "stdin code" "$OUT" '"from stdin"'

# Names complete from the store.
expect_rc 0 H complete -- fn invoke e
expect_eq "complete name" "$OUT" "echo"
# A result over 6 MB is refused, as on Lambda.
printf 'def big(e, c):\n    return "x" * (7 * 1024 * 1024)\n' > "$T/code/big.py"
expect_rc 0 H fn update echo --code "$T/code" --handler big.big
expect_rc 1 H fn invoke echo
expect_in "response too large" "$ERR" "Function.ResponseSizeTooLarge"
# A large event (5 MB) goes through.
/usr/bin/python3 -c 'import json; print(json.dumps({"pad": "y" * (5 * 1024 * 1024)}))' > "$T/big.json"
printf 'def size(e, c):\n    return len(e["pad"])\n' > "$T/code/size.py"
expect_rc 0 H fn update echo --code "$T/code" --handler size.size
expect_rc 0 H fn invoke echo "@$T/big.json"
expect_eq "5 MB event" "$OUT" "5242880"

expect_rc 0 H fn rm echo
expect_rc 1 H fn show echo
expect_in "gone" "$ERR" "no function 'echo'"
expect_eq "instances gone" "$(rows instances "WHERE fn='echo'")" "0"
[ ! -e "$HEARTH_HOME/code/echo" ] || fail "code dir left behind"
expect_eq "logs gone" "$(rows invocations "WHERE fn='echo'")" "0"
exit 0
