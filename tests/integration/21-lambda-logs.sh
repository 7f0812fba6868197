# Logs and Lambda's runtime conventions (issue 11, items 1, 2, 6 and the
# Lambda expectations): output keeps its order and its lines whole, in
# `fn invoke --log`, `fn logs` and `fn logs -f`, however stdout and stderr
# alternate, and many times over (the fault was 1 run in 15); a line left
# unended ends before END; Python's logging and Node's console write
# Lambda's lines; Node waits for the event loop unless told not to, and a
# line printed while nothing runs joins no invocation; errors are shaped
# as Lambda's; each invocation gets a valid X-Ray trace id; the first
# invocation after a hot reload is a cold start; a handler that fails to
# load is logged START, END, REPORT, like any invocation.  The console's
# logs pane shows lines whole and in order too.
#
# Nothing waits on a timing: followers are polled (bounded) for the lines
# they must show.
. "$(dirname "$0")/../lib.sh"

ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
UUID='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
RUNS=20

# Wait (bounded) until file $2 holds $3 lines matching $4, or fail with $1.
wait_lines() {
	i=0
	until [ "$(grep -cE -- "$4" "$2" 2>/dev/null)" -ge "$3" ]; do
		i=$((i + 1))
		[ $i -lt 400 ] || fail "$1: $(cat "$2")"
		sleep 0.05
	done
}

# The lines between START and END of each invocation in log file $1, one
# invocation a line, its lines joined by '|'.
blocks() {
	awk '/^START RequestId: / { on = 1; b = ""; next }
	    /^END RequestId: / { if (on) print b; on = 0; next }
	    on { b = b (b == "" ? "" : "|") $0 }' "$1"
}

# 21.1 Order and whole lines.  print() with several arguments is several
# writes; alternating stdout and stderr is two descriptors.
mkpy "$T/py" order '    for i in range(8):
        print("out", i)
        print("err", i, file=sys.stderr)
    return "ok"'
blk=$(/usr/bin/python3 -c 'print("|".join("out %d|err %d" % (i, i) for i in range(8)))')
expect_rc 0 H fn create order --runtime python3 --handler order.handler --code "$T/py"
"$HEARTH" fn logs order -f --tail 0 >"$T/follow" 2>&1 & BG_PIDS=$!
sleep 0.3	# following by now: what came before would be history
: >"$T/inv"
n=0
while [ $n -lt $RUNS ]; do
	H fn invoke order --log >/dev/null 2>>"$T/inv" || fail "21.1 invoke $n: $(cat "$T/inv")"
	n=$((n + 1))
done
blocks "$T/inv" | sort | uniq -c | sed 's/^ *//' >"$T/inv.b"
expect_eq "21.1 --log, $RUNS runs" "$(cat "$T/inv.b")" "$RUNS $blk"
H fn logs order >"$T/stored" || fail "21.1 fn logs"
blocks "$T/stored" | sort | uniq -c | sed 's/^ *//' >"$T/stored.b"
expect_eq "21.1 fn logs, $RUNS runs" "$(cat "$T/stored.b")" "$RUNS $blk"
wait_lines "21.1 follower" "$T/follow" $RUNS '^REPORT RequestId: '
blocks "$T/follow" | sort | uniq -c | sed 's/^ *//' >"$T/follow.b"
expect_eq "21.1 fn logs -f, $RUNS runs" "$(cat "$T/follow.b")" "$RUNS $blk"
kill "$BG_PIDS"; wait "$BG_PIDS" 2>/dev/null; BG_PIDS=""

# The same for Node: console.log (stdout) and process.stderr.write.
mkdir -p "$T/js"
cat >"$T/js/order.js" <<'JS'
exports.handler = async () => {
  for (let i = 0; i < 8; i++) { console.log('out', i); process.stderr.write(`err ${i}\n`); }
  return 'ok';
};
JS
expect_rc 0 H fn create norder --runtime node --handler order.handler --code "$T/js"
: >"$T/ninv"
n=0
while [ $n -lt 5 ]; do
	H fn invoke norder --log >/dev/null 2>>"$T/ninv" || fail "21.1 node invoke"
	n=$((n + 1))
done
got=$(blocks "$T/ninv" | sed -E "s/$ISO	$UUID	INFO	//g" | sort | uniq -c | sed 's/^ *//')
expect_eq "21.1 node --log" "$got" "5 $blk"

# 21.2 A line left unended ends before END, in the log and in the store;
# `fn logs` ends with a newline.
mkpy "$T/py" partial '    sys.stdout.write("no-newline")
    return 1'
expect_rc 0 H fn create partial --runtime python3 --handler partial.handler --code "$T/py"
expect_rc 0 H fn invoke partial --log
expect_in "21.2 --log" "$ERR" "no-newline
END RequestId: "
expect_rc 0 H fn logs partial
expect_in "21.2 fn logs" "$OUT" "no-newline
END RequestId: "
expect_eq "21.2 final newline" "$(H fn logs partial | tail -c 1 | od -An -c | tr -d ' ')" '\n'

# 21.3 Python's logging: a root handler at INFO writing Lambda's lines,
# the request id in each, records at import kept for the first
# invocation (before its START, without a request id, as on Lambda).
cat >"$T/py/plog.py" <<'PY'
import logging
logging.getLogger().info("at-import")
def handler(event, context):
    logging.getLogger("app").info("info %s", event.get("n"))
    logging.getLogger().debug("hidden")
    try:
        1 / 0
    except ZeroDivisionError:
        logging.exception("caught")
    return context.aws_request_id
PY
expect_rc 0 H fn create plog --runtime python3 --handler plog.handler --code "$T/py"
expect_rc 0 H fn invoke plog '{"n": 7}' --log
rid=$(json_get "$OUT" 'd')
printf '%s\n' "$ERR" | grep -qE "^\[INFO\]	$ISO		at-import$" || fail "21.3 import record: $ERR"
printf '%s\n' "$ERR" | grep -qE "^\[INFO\]	$ISO	$rid	info 7$" || fail "21.3 info record: $ERR"
printf '%s\n' "$ERR" | grep -qE "^\[ERROR\]	$ISO	$rid	caught$" || fail "21.3 exception record: $ERR"
expect_in "21.3 traceback" "$ERR" "ZeroDivisionError: division by zero
END RequestId: $rid"
expect_not_in "21.3 debug" "$ERR" "hidden"
before=$(printf '%s\n' "$ERR" | sed -n '/^START /q;p')
expect_in "21.3 import record before START" "$before" "at-import"

# AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL, which Lambda sets
# from a function's logging configuration (a function may not set
# AWS_LAMBDA_* itself): the bootstrap's logging, run as it is in a runtime.
IMG=$(cd "$(dirname "$0")/../../images" && pwd)
AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=TRACE /usr/bin/python3 -S -c '
import sys
sys.path.insert(0, sys.argv[1])
import bootstrap
sys.meta_path.insert(0, bootstrap._LoggingFinder)
import logging
bootstrap._request_id = "rid-1"
logging.getLogger("app").info("info %d", 8, extra={"k": "v"})
logging.debug("debug")
try:
    1 / 0
except ZeroDivisionError:
    logging.exception("caught")
' "$IMG/python3" >"$T/json" || fail "21.3 JSON logging failed"
/usr/bin/python3 - "$T/json" <<'PY' || fail "21.3 JSON records: $(cat "$T/json")"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
by = {r["message"]: r for r in recs}
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
r = by["info 8"]
assert list(r) == ["timestamp", "level", "message", "logger", "requestId", "k"], r
assert (r["level"], r["logger"], r["requestId"], r["k"]) == ("INFO", "app", "rid-1", "v"), r
assert iso.match(r["timestamp"]), r
assert by["debug"]["level"] == "DEBUG", by
e = by["caught"]
assert (e["level"], e["errorType"], e["errorMessage"]) == ("ERROR", "ZeroDivisionError", "division by zero"), e
assert e["stackTrace"] and e["location"].endswith(":<module>:13"), e
PY
out=$(AWS_LAMBDA_LOG_LEVEL=ERROR /usr/bin/python3 -S -c '
import sys
sys.path.insert(0, sys.argv[1])
import bootstrap, logging
bootstrap.setup_logging(logging)
logging.warning("hidden")
logging.error("shown")
' "$IMG/python3")
expect_eq "21.3 AWS_LAMBDA_LOG_LEVEL" "$(printf '%s' "$out" | cut -f1,4)" "[ERROR]	shown"
out=$(AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=WARN node -e '
const b = require(process.argv[1]);
b.patchConsole();
console.info("hidden");
console.warn("w", 1);
console.error({ a: 1 });
b.logError("Invoke Error", new RangeError("far"));
' "$IMG/node/bootstrap.js")
printf '%s\n' "$out" | /usr/bin/python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
assert [(r["level"], r["message"]) for r in recs[:2]] == [("WARN", "w 1"), ("ERROR", {"a": 1})], recs
e = recs[2]["message"]
assert (e["errorType"], e["errorMessage"], e["stackTrace"][0]) == ("RangeError", "far", "RangeError: far"), recs
assert len(recs) == 3 and all("timestamp" in r for r in recs), recs
' || fail "21.3 node JSON console: $out"

# 21.4 Node's console: time, request id, level, message; console.error is
# ERROR, console.warn WARN; before the first event the request id is
# "undefined", as on Lambda.
cat >"$T/js/clog.js" <<'JS'
console.log('at-load');
exports.handler = async (event, context) => {
  console.log('log', 1);
  console.info('info');
  console.warn('warn');
  console.error('error', { a: 1 });
  console.debug('debug');
  return context.awsRequestId;
};
JS
expect_rc 0 H fn create clog --runtime node --handler clog.handler --code "$T/js"
expect_rc 0 H fn invoke clog --log
rid=$(json_get "$OUT" 'd')
for l in "undefined	INFO	at-load" "$rid	INFO	log 1" "$rid	INFO	info" \
    "$rid	WARN	warn" "$rid	ERROR	error { a: 1 }" "$rid	DEBUG	debug"; do
	printf '%s\n' "$ERR" | grep -qxE "$ISO	$l" || fail "21.4 no line '$l' in: $ERR"
done

# 21.5 callbackWaitsForEmptyEventLoop.  Default true: the invocation ends
# once the event loop is empty, the timer's line inside it.  False: it ends
# at the callback, and the line, printed while nothing runs, joins no
# invocation (a follower sees it, without a request id).
cat >"$T/js/wait.js" <<'JS'
exports.handler = (event, context, callback) => {
  if (event.nowait) context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('timer', event.n), 300);
  callback(null, event.n);
};
JS
expect_rc 0 H fn create wait --runtime node --handler wait.handler --code "$T/js"
expect_rc 0 H fn invoke wait '{"n": 1}' --log
expect_in "21.5 waited" "$(blocks "$T/stderr")" "INFO	timer 1"
"$HEARTH" fn logs wait -f --tail 0 >"$T/wfollow" 2>&1 & BG_PIDS=$!
sleep 0.3
expect_rc 0 H fn invoke wait '{"n": 2, "nowait": true}' --log
expect_eq "21.5 result at the callback" "$OUT" "2"
expect_not_in "21.5 not waited" "$ERR" "timer 2"
wait_lines "21.5 idle line to followers" "$T/wfollow" 1 "INFO	timer 2"
expect_rc 0 H fn invoke wait '{"n": 3}' --log
expect_not_in "21.5 idle line not in the next invocation" "$ERR" "timer 2"
expect_rc 0 H fn logs wait
expect_not_in "21.5 idle line not stored" "$OUT" "timer 2"
kill "$BG_PIDS"; wait "$BG_PIDS" 2>/dev/null; BG_PIDS=""

# 21.6 Errors as Lambda shapes them for Node: a rejected string is of type
# "string"; an Error carries its stack as "trace", and nothing else.
cat >"$T/js/errs.js" <<'JS'
exports.str = async () => Promise.reject('a string');
exports.err = async () => { throw new RangeError('too far'); };
JS
expect_rc 0 H fn create nstr --runtime node --handler errs.str --code "$T/js"
expect_rc 1 H fn invoke nstr
expect_eq "21.6 string" "$(json_get "$OUT" 'd["errorType"], d["errorMessage"], d["trace"], sorted(d)')" \
    "string a string [] ['errorMessage', 'errorType', 'trace']"
expect_rc 0 H fn create nerr --runtime node --handler errs.err --code "$T/js"
expect_rc 1 H fn invoke nerr --log
expect_eq "21.6 error" "$(json_get "$OUT" 'd["errorType"], d["errorMessage"], d["trace"][0], sorted(d)')" \
    "RangeError too far RangeError: too far ['errorMessage', 'errorType', 'trace']"
printf '%s\n' "$ERR" | grep -qE "^$ISO	$UUID	ERROR	Invoke Error 	\{\"errorType\":\"RangeError\"" ||
    fail "21.6 Invoke Error line: $ERR"

# 21.7 X-Ray: a valid trace header for each invocation, in _X_AMZN_TRACE_ID.
mkpy "$T/py" trace '    return os.environ.get("_X_AMZN_TRACE_ID")'
cat >"$T/js/trace.js" <<'JS'
exports.handler = async () => process.env._X_AMZN_TRACE_ID;
JS
expect_rc 0 H fn create ptrace --runtime python3 --handler trace.handler --code "$T/py"
expect_rc 0 H fn create ntrace --runtime node --handler trace.handler --code "$T/js"
for f in ptrace ntrace; do
	expect_rc 0 H fn invoke $f
	a=$(json_get "$OUT" 'd')
	expect_rc 0 H fn invoke $f
	b=$(json_get "$OUT" 'd')
	for v in "$a" "$b"; do
		printf '%s\n' "$v" | grep -qxE 'Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0' ||
		    fail "21.7 $f: trace id '$v'"
		secs=$(printf '%d' "0x$(printf '%s' "$v" | cut -c8-15)")
		now=$(date +%s)
		[ $((now - secs)) -lt 86400 ] && [ $((secs - now)) -lt 86400 ] ||
		    fail "21.7 $f: trace time $secs, now $now"
	done
	[ "$a" != "$b" ] || fail "21.7 $f: the same trace id twice: $a"
done

# 21.8 The first invocation after a hot reload restarts the runtime: a
# cold start, with Init Duration in its REPORT; the next is warm.
expect_rc 0 H fn invoke ptrace -o json
expect_eq "21.8 warm before" "$(json_get "$OUT" 'd["cold"]')" "False"
expect_rc 0 H fn update ptrace --memory 192
expect_rc 0 H fn invoke ptrace -o json --log
expect_eq "21.8 cold after reload" "$(json_get "$OUT" 'd["cold"], d["init_ms"] > 0')" "True True"
expect_in "21.8 Init Duration" "$(printf '%s\n' "$ERR" | grep '^REPORT')" "Init Duration: "
expect_rc 0 H fn invoke ptrace -o json --log
expect_eq "21.8 warm after" "$(json_get "$OUT" 'd["cold"]')" "False"
expect_not_in "21.8 no Init Duration" "$ERR" "Init Duration"

# 21.9 A handler that fails to import: START, its error, END, REPORT.
printf 'import no_such_module\ndef handler(e, c):\n    return 1\n' >"$T/py/broken.py"
expect_rc 0 H fn create broken --runtime python3 --handler broken.handler --code "$T/py"
expect_rc 1 H fn invoke broken
expect_rc 0 H fn logs broken
got=$(printf '%s\n' "$OUT" | grep -nE '^(START|END|REPORT) ' | cut -d' ' -f1 | tr '\n' ' ')
case $got in
*":START "*":END "*":REPORT "*) ;;
*) fail "21.9 START, END, REPORT in order: $OUT" ;;
esac
expect_in "21.9 the error" "$OUT" "Runtime.ImportModuleError"
expect_eq "21.9 START once" "$(printf '%s\n' "$OUT" | grep -c '^START ')" "1"
expect_eq "21.9 final newline" "$(H fn logs broken | tail -c 1 | od -An -c | tr -d ' ')" '\n'
# A record stored without its final newline (by an older hearth) is
# printed with one all the same, stored and followed.
q "UPDATE invocations SET log = rtrim(log, char(10)) WHERE fn = 'broken'"
expect_eq "21.9 stored unended" "$(q "SELECT substr(log, -1) = char(10) FROM invocations WHERE fn = 'broken'")" "0"
expect_eq "21.9 printed ended" "$(H fn logs broken | tail -c 1 | od -An -c | tr -d ' ')" '\n'
# 21.10 The console's logs pane (tmux): each invocation's lines whole and
# in order.  "aorder" sorts first, so it is the function selected.
. "$(dirname "$0")/../tmux-lib.sh"
mkpy "$T/py" aorder '    for i in range(5):
        print("out", i)
        print("err", i, file=sys.stderr)
    return "ok"'
blk5=$(/usr/bin/python3 -c 'print("|".join("out %d|err %d" % (i, i) for i in range(5)))')
expect_rc 0 H fn create aorder --runtime python3 --handler aorder.handler --code "$T/py"
expect_rc 0 H fn invoke aorder
tm new-session -d -s main -x 120 -y 40 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 \
    HEARTH_DRIVER=ns LANG=C.UTF-8 TERM=xterm-256color $HEARTH"
TMUX_PID=$(tm display-message -p '#{pid}')
wait_for main "aorder"
keys main l
wait_for main "logs: aorder"
n=0
while [ $n -lt 5 ]; do
	expect_rc 0 H fn invoke aorder --log
	rid=$(printf '%s\n' "$ERR" | sed -n 's/^END RequestId: //p')
	wait_for main "END RequestId: $rid"
	screen main | sed 's/^│//; s/ *│$//' >"$T/pane"
	got=$(awk -v rid="$rid" '$0 == "END RequestId: " rid { print b; exit }
	    /^START RequestId: / { b = ""; on = 1; next }
	    on { b = b (b == "" ? "" : "|") $0 }' "$T/pane")
	expect_eq "21.10 console, run $n" "$got" "$blk5"
	n=$((n + 1))
done
keys main q
exit 0
