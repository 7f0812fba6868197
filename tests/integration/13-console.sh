# The console in a real terminal (tmux 120x40): views, the ':' prompt,
# invoke, logs and stats panes, edit with hot reload, filter, delete,
# resize, --readonly, and a terminal left sane on quit and on SIGHUP.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux-lib.sh"

export LANG=C.UTF-8
env_line="HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 LANG=C.UTF-8 TERM=xterm-256color"

mkpy "$T/code" app '    print("hello-from-v1", event.get("n"))
    return {"version": "v1", "n": event.get("n")}'
printf '#!/bin/sh\nsed -i "s/v1/v2/g" "$1"\n' > "$T/editor.sh"
chmod +x "$T/editor.sh"

# A shell in the terminal, so the terminal's state can be checked after.
tm new-session -d -s main -x 120 -y 40 "env $env_line EDITOR=$T/editor.sh sh"
TMUX_PID=$(tm display-message -p '#{pid}')
BG_PIDS=$(tm display-message -p -t main '#{pane_pid}')
keys main "$HEARTH" Enter
wait_for main "Functions"
wait_for main "no functions yet"

# 13.1 create a function through ':'
keys main ":fn create demo --runtime python3 --handler app.handler --code $T/code" Enter
wait_for main "done: fn create demo"
wait_for main "demo *python3"

# 13.2 switch views by command and by key
keys main ":vm" Enter
wait_for main "Instances"
keys main 4
wait_for main "Events"
wait_for main "created *demo"
keys main ":fn" Enter
wait_for main "Functions"

# 13.3 invoke with i: payload prompt, result in a pane
keys main i
wait_for main "invoke demo with payload"
keys main C-u '{"n": 7}' Enter
wait_for main '"version": "v1"'
wait_for main "invoke demo: ok in"

# 13.4 logs pane sees a line printed by an invocation from another process
keys main Escape l
wait_for main "logs: demo"
H fn invoke demo '{"n": 4242}' >/dev/null || fail "13.4 invoke"
wait_for main "hello-from-v1 4242" 2

# 13.5 stats pane counts invocations
keys main Escape s
wait_for main "stats: demo"
wait_for main "invocations 2 "

# 13.6 e edits the code in $EDITOR and hot-reloads it
keys main Escape l
wait_for main "logs: demo"
keys main e
wait_for main "demo: reloaded"
expect_rc 0 H fn invoke demo '{"n": 1}'
expect_in "13.6 reloaded code runs" "$OUT" '"version": "v2"'
wait_for main "RELOAD runtime restarting"	# the logs pane shows the reload
keys main Escape 4
wait_for main "reloaded *demo"			# and so does the events view
keys main 1
wait_for main "Functions"

# 13.6b n creates a function from a template, through the same editor
keys main n
wait_for main "new function name:"
keys main fresh Enter
wait_for main "runtime (python3 or node; empty python3): *$"
keys main C-u node Enter
wait_for main "fresh: created"
expect_rc 0 H fn invoke fresh '{"name": "tmux"}'
expect_eq "13.6b template runs" "$OUT" '{"hello":"tmux"}'
expect_rc 0 H fn rm fresh

# 13.7 / filters rows (substring and regex)
expect_rc 0 H fn create other --runtime python3 --handler app.handler --code "$T/code"
wait_for main "other *python3"
keys main / "^dem"
wait_for main "filter: ^dem"
screen main | grep -q "other *python3" && fail "13.7 filter did not narrow rows"
keys main Escape
wait_for main "other *python3"

# 13.8 resize to 80x24 and back: redrawn, nothing left over
tm resize-window -t main -x 80 -y 24
wait_for main "demo"
[ "$(screen main | wc -l)" -le 24 ] || fail "13.8 screen taller than 24 rows"
tm resize-window -t main -x 120 -y 40
wait_for main "other *python3"

# 13.9 d asks, names the thing, and one key (y) deletes
keys main G d
wait_for main "delete function other? \[y/N\]"
keys main y
wait_for main "done: delete other"
expect_rc 1 H fn show other

# 13.10 q leaves the terminal sane
keys main q
wait_for main '^[#$] *$'
keys main "stty -a > $T/stty" Enter
i=0
until [ -s "$T/stty" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "13.10 stty"; sleep 0.05; done
grep -q -- "-icanon" "$T/stty" && fail "13.10 terminal left in raw mode"
grep -q -- " -echo " "$T/stty" && fail "13.10 terminal left without echo"

# 13.11 --readonly refuses d
keys main "$HEARTH --readonly" Enter
wait_for main "read-only"
keys main d
wait_for main "read-only: 'd' (delete) is disabled"
keys main ":fn rm demo" Enter
wait_for main "read-only: 'fn rm' is disabled"
keys main q
expect_rc 0 H fn show demo

# 13.12 SIGHUP (a dropped SSH link) ends the console; instances still answer
keys main "$HEARTH" Enter
wait_for main "Functions"
cpid=$(pgrep -P "$BG_PIDS" -f "$HEARTH" | head -1)
[ -n "$cpid" ] || fail "13.12 console pid not found"
kill -HUP "$cpid"
i=0
while kill -0 "$cpid" 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "13.12 console ignored SIGHUP"; sleep 0.05; done
expect_rc 0 H fn invoke demo '{"n": 2}'
expect_in "13.12 instance still answers" "$OUT" '"version": "v2"'
expect_eq "13.12 same warm instance" "$(rows instances "WHERE fn='demo'")" "1"

# 13.13 key bindings from the config file; a bad line names itself
printf 'bind x :fn invoke {name}\nbind Nope quit\n' > "$HEARTH_HOME/config"
keys main clear Enter "$HEARTH" Enter
wait_for main "config:2: unknown key 'Nope'"
printf 'bind x :fn invoke {name} '"'"'{"n": 55}'"'"'\n' > "$HEARTH_HOME/config"
keys main "$HEARTH" Enter
wait_for main "Functions"
keys main x
wait_for main "─ fn invoke demo '{\"n\": 55}' ─"
wait_for main '"n": 55}'
keys main ?
wait_for main 'x  *run :fn invoke {name}'
keys main q
tm kill-server
BG_PIDS=""
TMUX_PID=""
exit 0
