# The host trusts nothing that comes out of an instance.  (a) A function
# whose result, log lines and error carry a title-setting OSC, a screen
# clear, a C1 CSI, invalid UTF-8 and a bidi override: on a terminal
# (script(1), and the console in tmux) only escapes show; to a pipe the
# bytes are exact; -o json is strict JSON.  (b) A forged agent that
# answers with a multi-GB body, or a log length it does not send: the
# invocation fails clearly, hearth stays small, the instance is ended.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux-lib.sh"
command -v script >/dev/null || skip "script (util-linux) not installed"

export LANG=C.UTF-8
PY=/usr/bin/python3

# The attack: the bytes, and the escapes a terminal must show instead.
mkdir -p "$T/evil"
cat > "$T/evil/app.py" <<'EOF'
import sys
import bootstrap

RAW = b"\x1b]0;pwned\x07 \x1b[2J \x9b \xc2\x9b \xff\xfe \xe2\x80\xae"


class Raw:
    """A result or error the runtime sends as these bytes, not as JSON."""
    def __init__(self, b):
        self.b = b

    def encode(self):
        return self.b


_dumps = bootstrap.json_dumps


def dumps(o):
    if isinstance(o, Raw):
        return o
    if isinstance(o, dict) and "errorType" in o:
        return Raw(b'{"errorType": "Evil\x1b[2J", "errorMessage": "msg ' + RAW +
                   b' end"}')
    return _dumps(o)


bootstrap.json_dumps = dumps


def handler(event, context):
    sys.stdout.flush()
    sys.stdout.buffer.write(b"out " + RAW + b"\n")
    sys.stdout.flush()
    sys.stderr.buffer.write(b"err " + RAW + b"\n")
    sys.stderr.flush()
    if event.get("fail"):
        raise ValueError("boom")
    if event.get("json"):
        return Raw(b'{"r": "' + RAW + b'"}')
    if event.get("clean"):
        return Raw(b'{"r": "\\u001b]0;pwned\\u0007 \\u202e", "n": [1, 2]}')
    return Raw(RAW)
EOF
RAW='\033]0;pwned\007 \033[2J \233 \302\233 \377\376 \342\200\256'
ESCAPED='\x1b]0;pwned\x07 \x1b[2J \x9b \x9b \xff\xfe \u202e'

# tty_check FILE NEEDLE...: FILE is strict UTF-8 without a raw control
# character (but tabs and line ends: CRs before a newline), C1 or bidi
# character, and holds every NEEDLE.
cat > "$T/tty_check.py" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8: %s in %r" % (e, data[max(0, e.start - 20):e.end + 20]))
for i, ch in enumerate(text):
    o = ord(ch)
    if ch in "\n\t" or (ch == "\r" and text[i:].lstrip("\r")[:1] == "\n"):
        continue
    if o < 0x20 or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069:
        sys.exit("raw U+%04X at %d: %r" % (o, i, text[max(0, i - 20):i + 20]))
for want in sys.argv[2:]:
    if want not in text:
        sys.exit("%r not in %r" % (want, text))
EOF
tty_check() { $PY "$T/tty_check.py" "$@" || fail "$1: $($PY "$T/tty_check.py" "$@" 2>&1)"; }

# json_check FILE doc|lines EXPR: FILE is strict UTF-8 with no raw control
# character but newlines, parses strictly (no NaN either) as one document
# or one per line, and EXPR (d: the document, or the list) holds.
cat > "$T/json_check.py" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")
for i, ch in enumerate(text):
    if ch != "\n" and (ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f):
        sys.exit("raw U+%04X at %d" % (ord(ch), i))
def no_constant(c):
    raise ValueError("not JSON: " + c)
load = lambda s: json.loads(s, parse_constant=no_constant)
d = load(text) if sys.argv[2] == "doc" else [load(l) for l in text.splitlines()]
RAW = "\x1b]0;pwned\x07 \x1b[2J \ufffd \x9b \ufffd\ufffd \u202e"
if not eval(sys.argv[3]):
    sys.exit("%s: false for %r" % (sys.argv[3], d))
EOF
json_check() { $PY "$T/json_check.py" "$@" || fail "$1: $($PY "$T/json_check.py" "$@" 2>&1)"; }

# in_tty OUT CMD: run the shell command CMD in a pseudo-terminal; what
# the terminal received goes to OUT; returns CMD's exit status.
in_tty() { script -qec "$2" /dev/null </dev/null >"$1" 2>&1; }

expect_rc 0 H fn create evil --runtime python3 --handler app.handler --code "$T/evil"

# 17.1 fn invoke --log on a terminal: result and output escaped
in_tty "$T/t1" "$HEARTH fn invoke evil --log"
expect_eq "17.1 exit" "$?" "0"
tty_check "$T/t1" "$ESCAPED" "out $ESCAPED" "err $ESCAPED"

# 17.2 an error on a terminal: error JSON and the one-line error escaped
in_tty "$T/t2" "$HEARTH fn invoke evil '{\"fail\": 1}'"
expect_eq "17.2 exit" "$?" "1"
tty_check "$T/t2" "function 'evil' failed: Evil\\x1b[2J: msg $ESCAPED end"

# 17.3 fn logs on a terminal
in_tty "$T/t3" "$HEARTH fn logs evil"
expect_eq "17.3 exit" "$?" "0"
tty_check "$T/t3" "out $ESCAPED" "err $ESCAPED" "REPORT RequestId: "

# 17.4 vm console on a terminal.  A sandbox's console is its agent's log,
# which the function cannot write: play the subverted agent and write it.
id=$(q "SELECT id FROM instances WHERE fn='evil'")
expect_rc 0 H vm inspect "$id" -o json
console=$(json_get "$OUT" 'd["console"]')
printf "agent says $RAW\r\nboot line\r\n" >> "$console"
in_tty "$T/t4" "$HEARTH vm console $id"
expect_eq "17.4 exit" "$?" "0"
tty_check "$T/t4" "agent says $ESCAPED" "boot line"

# 17.5 to pipes and files the bytes are exact; errors are escaped anyway
printf "$RAW\n" > "$T/raw.want"
H fn invoke evil > "$T/p1" || fail "17.5 invoke"
cmp -s "$T/p1" "$T/raw.want" || fail "17.5 result not byte-exact: $(od -c "$T/p1" | head -5)"
H fn invoke evil --log > /dev/null 2> "$T/p2" || fail "17.5 invoke --log"
printf "out $RAW\nerr $RAW\n" > "$T/log.want"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); w=open(sys.argv[2],"rb").read(); sys.exit(w not in d)' \
    "$T/p2" "$T/log.want" || fail "17.5 --log output not byte-exact: $(od -c "$T/p2" | head)"
H fn logs evil > "$T/p3" || fail "17.5 logs"
$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); w=open(sys.argv[2],"rb").read(); sys.exit(w not in d)' \
    "$T/p3" "$T/log.want" || fail "17.5 fn logs not byte-exact: $(od -c "$T/p3" | head)"
H vm console "$id" > "$T/p4" || fail "17.5 vm console"
printf "agent says $RAW\r\nboot line\r\n" > "$T/console.want"
[ "$(tail -c "$(wc -c < "$T/console.want")" "$T/p4" | od -An -tx1)" = "$(od -An -tx1 < "$T/console.want")" ] ||
    fail "17.5 vm console not byte-exact: $(tail -c 80 "$T/p4" | od -c)"
H fn invoke evil '{"fail": 1}' > /dev/null 2> "$T/p5" && fail "17.5 the error invoke succeeded"
tty_check "$T/p5" "Evil\\x1b[2J: msg $ESCAPED end"

# 17.6 -o json is strict JSON, whatever the function sent
H fn invoke evil -o json > "$T/j1" || fail "17.6 invoke -o json"
json_check "$T/j1" doc 'd["status"] == "ok" and d["result"] == RAW'
H fn invoke evil '{"json": 1}' -o json > "$T/j2" || fail "17.6 json-like result"
json_check "$T/j2" doc 'd["result"] == "{\"r\": \"" + RAW + "\"}"'
H fn invoke evil '{"clean": 1}' -o json > "$T/j3" || fail "17.6 clean result"
json_check "$T/j3" doc 'd["result"] == {"r": "\x1b]0;pwned\x07 \u202e", "n": [1, 2]}'
H fn invoke evil '{"fail": 1}' -o json > "$T/j4" 2>/dev/null && fail "17.6 error exit"
json_check "$T/j4" doc 'd["status"] == "error" and "msg \x1b]0;pwned" in d["result"]'
H fn logs evil -o json > "$T/j5" || fail "17.6 logs -o json"
json_check "$T/j5" lines 'any(l["line"] == "out " + RAW for l in d) and all(set(l) == {"ts", "request_id", "line"} for l in d)'
H fn logs evil -o json --tail 3 > "$T/j6" || fail "17.6 logs --tail -o json"
json_check "$T/j6" lines 'len(d) == 3 and d[-1]["line"].startswith("REPORT ")'
H fn logs evil -o json --tail 0 > "$T/j7" || fail "17.6 empty logs -o json"
json_check "$T/j7" lines 'd == []'
H vm inspect "$id" -o json > "$T/j8" || fail "17.6 vm inspect -o json"
json_check "$T/j8" doc 'd["id"] == "'"$id"'"'

# 17.7 the console: the invoke result and the logs pane show escapes, and
# the terminal's title stays what it was.
tm new-session -d -s main -x 140 -y 40 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns LANG=C.UTF-8 TERM=xterm-256color sh"
TMUX_PID=$(tm display-message -p '#{pid}')
title=$(tm display-message -p -t main '#{pane_title}')
keys main "$HEARTH" Enter
wait_for main "evil *python3"
keys main i
wait_for main "invoke evil with payload"
keys main C-u '{}' Enter
wait_for main "invoke evil: ok in"
wait_for main 'u001b]0;pwned'
keys main Escape l
wait_for main "logs: evil"
wait_for main 'out \\x1b]0;pwned\\x07 \\x1b\[2J \\x9b \\x9b \\xff\\xfe \\u202e'
keys main Escape ":fn invoke evil '{\"fail\": 1}'" Enter
wait_for main 'Evil\\x1b\[2J: msg \\x1b]0;pwned'
keys main Escape q
wait_for main '^[#$] *$'
keys main "$HEARTH fn invoke evil --log" Enter
wait_for main 'err \\x1b]0;pwned'
expect_eq "17.7 terminal title untouched" "$(tm display-message -p -t main '#{pane_title}')" "$title"
tm kill-server
TMUX_PID=""

# (b) A forged agent.  forge.py SOCK MODE takes over an instance's agent
# socket and answers /invoke: "length" announces 3 GB, "stream" sends
# 3 GB in chunks (streamed, never built), "loglen" a log length over
# PROTO_LOG_MAX, "lying" one longer than its body.
cat > "$T/forge.py" <<'EOF'
import os, socket, sys
path, mode = sys.argv[1], sys.argv[2]
os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
print("ready", flush=True)
head = b"HTTP/1.1 200 OK\r\nX-Hearth-Status: ok\r\n"
block = b"x" * (1 << 20)
while True:
    c, _ = srv.accept()
    c.recv(65536)
    try:
        if mode == "length":
            c.sendall(head + b"Content-Length: %d\r\n\r\n" % (3 << 30))
            for _ in range(3 << 10):
                c.sendall(block)
        elif mode == "stream":
            c.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(3 << 10):
                c.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
            c.sendall(b"0\r\n\r\n")
        elif mode == "loglen":
            c.sendall(head + b"X-Hearth-Log-Length: 4000000\r\nContent-Length: 2\r\n\r\nok")
        else:
            c.sendall(head + b"X-Hearth-Log-Length: 100\r\nContent-Length: 2\r\n\r\nok")
    except OSError:
        pass
    c.close()
EOF
mkpy "$T/plain" app '    return "fine"'
expect_rc 0 H fn create plain --runtime python3 --handler app.handler --code "$T/plain"
n=0
for mode in length stream loglen lying; do
	n=$((n + 1))
	expect_rc 0 H fn invoke plain
	id=$(q "SELECT id FROM instances WHERE fn='plain'")
	sock=$(q "SELECT sock FROM instances WHERE id='$id'")
	[ -S "$sock" ] || fail "17.8.$n no agent socket at '$sock'"
	before=$(rows invocations "WHERE fn='plain'")
	: > "$T/forge.$n"
	$PY "$T/forge.py" "$sock" "$mode" > "$T/forge.$n" 2>&1 &
	BG_PIDS=$!
	i=0
	until grep -q ready "$T/forge.$n"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "17.8.$n forged agent did not start: $(cat "$T/forge.$n")"; sleep 0.05
	done
	/usr/bin/time -f 'maxrss_kb %M' -o "$T/time" "$HEARTH" fn invoke plain > "$T/b.out" 2> "$T/b.err"
	rc=$?
	kill "$BG_PIDS"; wait "$BG_PIDS" 2>/dev/null; BG_PIDS=""
	expect_eq "17.8.$n ($mode) exit" "$rc" "1"
	err=$(cat "$T/b.err")
	expect_in "17.8.$n ($mode) error" "$err" "Sandbox.Failure"
	expect_in "17.8.$n ($mode) names the instance" "$err" "instance $id sent a reply over the cap"
	case $mode in
	length) expect_in "17.8.$n names the cap" "$err" "over the 7405568-byte reply cap" ;;
	stream) expect_in "17.8.$n names the cap" "$err" "reply body over the 7405568-byte cap" ;;
	loglen) expect_in "17.8.$n names the cap" "$err" "over the 1048576-byte log cap" ;;
	lying) expect_in "17.8.$n names the lie" "$err" "X-Hearth-Log-Length 100 beyond the 2-byte body" ;;
	esac
	json_check "$T/b.out" doc 'd["errorType"] == "Sandbox.Failure"'
	rss=$(sed -n 's/^maxrss_kb //p' "$T/time")
	[ -n "$rss" ] && [ "$rss" -lt 102400 ] || fail "17.8.$n ($mode) hearth peaked at ${rss:-?} kB"
	expect_eq "17.8.$n ($mode) instance ended" "$(rows instances "WHERE id='$id'")" "0"
	expect_eq "17.8.$n ($mode) event" \
	    "$(rows events "WHERE kind='reaped' AND subject='$id' AND detail LIKE 'plain: sent a reply over the cap%'")" "1"
	expect_eq "17.8.$n ($mode) recorded once, not retried" \
	    "$(rows invocations "WHERE fn='plain'")" "$((before + 1))"
	expect_eq "17.8.$n ($mode) crash recorded" \
	    "$(q "SELECT status FROM invocations WHERE fn='plain' ORDER BY id DESC LIMIT 1")" "crash"
done
# The next invocation gets a new instance and works.
expect_rc 0 H fn invoke plain
expect_eq "17.9 next works" "$OUT" '"fine"'
# 17.10 a log holding NUL bytes is kept and printed by its length, all of
# it: what follows the NUL is the function's, not whatever the host's heap
# held after a copy that stopped at the NUL.
mkdir -p "$T/nul"
printf 'import sys\ndef handler(event, context):\n    sys.stdout.write("nul<\\0>" + "x" * 300 + "<end\\n")\n    return 1\n' > "$T/nul/app.py"
expect_rc 0 H fn create nul --runtime python3 --handler app.handler --code "$T/nul"
H fn invoke nul --log > /dev/null 2> "$T/n1" || fail "17.10 invoke"
H fn logs nul > "$T/n2" || fail "17.10 logs"
for f in n1 n2; do
	$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(b"nul<\0>" + b"x" * 300 + b"<end\n" not in d)' \
	    "$T/$f" || fail "17.10 $f: the log after its NUL is not the function's: $(od -c "$T/$f" | head -8)"
done

exit 0
