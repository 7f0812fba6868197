# The console as a newcomer meets it (issue 11), in a real terminal
# (tmux): ':' lines parsed as the shell parses them, one-key delete,
# search prompts that open empty, the Events view searching and paging
# the whole history, a resize that hides nothing, one invocation rate,
# sparklines to scale, an 80x24 screen that cuts nothing, the invoke
# pane's log, a marked hot reload, a focused pane visible without
# colour, TERM=linux cleared on exit; then the reviewer's round:
# --since in the pane, errors replaced by later successes, an invoke
# prompt that opens empty, units as the CLI writes them, and Tab that
# lists what it cannot choose between.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux-lib.sh"

export LANG=C.UTF-8
env_line="HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 HEARTH_DRIVER=ns LANG=C.UTF-8"

mkpy "$T/code" app '    print("hello-from", event.get("n"))
    if event.get("boom"):
        raise ValueError("boom")
    return {"n": event.get("n")}'
mkpy "$T/code2" app '    print("second-code", event.get("n"))
    return {"v": 2}'
expect_rc 0 H fn create made --runtime python3 --handler app.handler --code "$T/code"
expect_rc 0 H fn invoke made '{"n": 1}'
expect_rc 0 H fn invoke made '{"n": 2}'

# The rows of the pane box titled $2 on window $1's screen, borders cut.
pane_rows() {
	screen "$1" | awk -v t="$2" '
		index($0, "┌─ " t) { inside = 1; next }
		inside && /^└/ { exit }
		inside { sub(/^│/, ""); sub(/│ *$/, ""); sub(/ +$/, ""); if ($0 != "") print }'
}
# The bottom row of window $1.
last_row() { screen "$1" | tail -n 1; }
# Does window $1 show text $2 in reverse video (SGR 7)?
reversed() { tm capture-pane -e -p -t "$1" | grep -a -- "$2" | grep -aq '\[\([0-9;]*;\)\{0,1\}7m'; }
# Start a console in window $1 at $2x$3 (more env in $4).
console() {
	tm new-session -d -s "$1" -x "$2" -y "$3" "env $env_line TERM=xterm-256color ${4:-} sh"
	keys "$1" "$HEARTH" Enter
	wait_for "$1" "Functions"
}

tm new-session -d -s boot -x 80 -y 24 "sh"
TMUX_PID=$(tm display-message -p '#{pid}')

# 21.1 ':fn logs NAME --tail 2': the pane is titled for NAME and holds
# the last 2 lines (END and REPORT), as `fn logs made --tail 2` prints
console wide 200 40
keys wide ":fn logs made --tail 2" Enter
wait_for wide "logs: made"
got=$(pane_rows wide "logs: made")
expect_eq "21.1 --tail 2 lines" "$(printf '%s\n' "$got" | wc -l | tr -d ' ')" 2
# The same lines as the shell's (the pane expands their tabs).
expect_eq "21.1 same lines as fn logs" "$(printf '%s\n' "$got" | awk '{ print $1, $2, $3 }')" \
    "$(H fn logs made --tail 2 | awk '{ print $1, $2, $3 }')"
screen wide | grep -q "logs: 2" && fail "21.1 pane titled for the option's value"

# 21.2 ':fn logs NAME -f' follows: a line invoked elsewhere arrives
keys wide Escape ":fn logs made -f" Enter
wait_for wide "logs: made  (following)"
screen wide | grep -q "logs: -f" && fail "21.2 pane titled -f"
expect_rc 0 H fn invoke made '{"n": 2121}'
wait_for wide "hello-from 2121"

# 21.3 errors are the shell's, on the status line; no empty pane
keys wide Escape ":fn logs nosuch" Enter
H fn logs nosuch 2>"$T/err.nosuch"
wait_for wide "$(sed 's/^hearth: //' "$T/err.nosuch" | cut -c1-40)"
screen wide | grep -q "logs: nosuch" && fail "21.3 empty pane for a missing function"
keys wide ":fn logs made --tail x" Enter
wait_for wide "tail 'x' must be a whole number"
keys wide ":fn logs" Enter
wait_for wide "missing argument"
# any line: the shell's words for it (a leading '-' is no global option)
echo "-f x" | H shell 2>"$T/err.dash" >/dev/null
keys wide ":-f x" Enter
wait_for wide "$(sed 's/^hearth: //' "$T/err.dash" | cut -c1-30)"

# 21.4 delete asks once: y deletes, and the next key is a key, not text
expect_rc 0 H fn create gone --runtime python3 --handler app.handler --code "$T/code"
wait_for wide "gone *python3"
keys wide g d
wait_for wide "delete function gone? \[y/N\]"
keys wide Escape
wait_for wide "not deleted: gone"
expect_rc 0 H fn show gone
keys wide d
wait_for wide "delete function gone? \[y/N\]"
keys wide n
wait_for wide "not deleted: gone"
keys wide d
wait_for wide "delete function gone? \[y/N\]"
keys wide y j
wait_for wide "done: delete gone"
expect_rc 1 H fn show gone
last_row wide | grep -q "yj" && fail "21.4 keys after y landed in a prompt"

# 21.5 '/' in the logs pane opens empty; Up recalls the last search
keys wide l
wait_for wide "logs: made"
keys wide / hello-from Enter
keys wide /
wait_for wide "search (Up recalls): *$"
last_row wide | grep -q "hello-from" && fail "21.5 search prompt prefilled"
keys wide Up
wait_for wide "search (Up recalls): hello-from$"
keys wide Escape Escape

# 21.6 resize 80x24 -> 40x10 -> 80x24 with the last row selected: the
# first row shows again without 'g'
for i in 01 02 03 04 05 06 07 08 09 10 11; do
	expect_rc 0 H fn create "f$i" --runtime python3 --handler app.handler --code "$T/code"
done
wait_for wide "f11 *python3"
tm resize-window -t wide -x 80 -y 24
keys wide G
wait_for wide "made *python3"
tm resize-window -t wide -x 40 -y 10
sleep 0.3
tm resize-window -t wide -x 80 -y 24
wait_for wide "f01 *python3"
wait_for wide "made *python3"

# 21.7 80x24: every view shows its name whole; hints wrap and keep <q>quit;
# help is not cut and lists Enter once; columns drop whole, not mid-word
for v in "1 Functions" "2 Instances" "3 Images" "4 Events"; do
	keys wide "${v%% *}"
	wait_for wide "^ hearth  ${v#* } "
	wait_for wide "<q>quit"		# (once a status message is gone)
done
keys wide 2
wait_for wide "ID"
header=$(screen wide | sed -n 2p)
for word in $header; do
	case " ID^ IDv DRIVER OWNER RUNTIME STATE PID LIMIT USED IDLE START " in
	*" $word "*) ;;
	*) fail "21.7 Instances column title cut: '$word' in: $header" ;;
	esac
done
keys wide 1 '?'
wait_for wide "help"
screen wide | grep -q "Enter Enter" && fail "21.7 help lists Enter twice"
wait_for wide "(agent log"
keys wide j j j j			# the line goes on in the next row
wait_for wide "of a sandbox)"
keys wide G
wait_for wide "opens the logs pane."
keys wide Escape
tm resize-window -t wide -x 200 -y 40
wait_for wide "DRIVER"
screen wide | grep -q "made .* ns *$" || fail "21.7 no DRIVER cell when wide"

# 21.8 the invoke pane shows the invocation's log under the result
keys wide / "^made" Enter
wait_for wide "filter: ^made"
keys wide i
wait_for wide "invoke made with payload"
keys wide C-u '{"n": 88}' Enter
wait_for wide "Function logs"
wait_for wide "hello-from 88"
wait_for wide "REPORT RequestId"

# 21.9 the focused pane's title is in reverse video (seen without colour)
keys wide Escape Escape q
wait_for wide '^[#$] *$'
keys wide "NO_COLOR=1 $HEARTH" Enter
wait_for wide "Functions"
keys wide / "^made" Enter
wait_for wide "filter: ^made"
keys wide l
wait_for wide "logs: made"
reversed wide "logs: made" || fail "21.9 focused pane title not in reverse video"
keys wide Tab
i=0
while reversed wide "logs: made"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "21.9 unfocused title still reversed"; sleep 0.05
done

# 21.10 a hot reload is a marked line in the logs pane
keys wide Tab
expect_rc 0 H fn update made --code "$T/code2"
wait_for wide "made updated: version"
reversed wide "made updated: version" || fail "21.10 reload line not marked"
keys wide Escape q
wait_for wide '^[#$] *$'

# 21.11 one invocation rate, over 10 s and labelled, in the header, the
# stats pane and its instance row; sparklines to scale (quiet: no full bar)
keys wide clear Enter "$HEARTH" Enter
wait_for wide "Functions"
wait_for wide "0.0 inv/s (10s)" 20
keys wide ":made" Enter
keys wide / "^made" Enter
wait_for wide "filter: ^made"
keys wide s
wait_for wide "stats: made"
wait_for wide "INV/S(10s)"
wait_for wide "^│[0-9a-f]\{12\} .* 0.0 "	# its agent's first sample is in
for i in 1 2 3 4 5; do echo "fn invoke made '{\"n\": $i}'"; done > "$T/five"
expect_rc 0 H -f "$T/five"
wait_for wide "0.5 inv/s (10s)   p50"		# the pane
wait_for wide "hearth  Functions .* 0.5 inv/s (10s)"	# the header
wait_for wide "^│[0-9a-f]\{12\} .* 0.5 "		# the instance
screen wide | grep "^│[0-9a-f]\{12\} " | grep -q "█" && fail "21.11 a full bar for a quiet instance:
$(screen wide)"
keys wide Escape q
wait_for wide '^[#$] *$'

# 21.12 Events: '/' searches the whole history, and paging reaches the
# oldest row, however many invocations a bench run added since
expect_rc 0 H fn create boom --runtime python3 --handler app.handler --code "$T/code"
expect_rc 1 H fn invoke boom '{"boom": 1}'
expect_rc 1 H fn invoke boom '{"boom": 1}'
expect_rc 1 H fn invoke boom '{"boom": 1}'
expect_rc 0 H fn create bench --runtime python3 --handler app.handler --code "$T/code"
expect_rc 0 H fn bench bench -n 600
tm resize-window -t wide -x 120 -y 40
keys wide clear Enter "$HEARTH" Enter
wait_for wide "Functions"
keys wide 4
wait_for wide "invoked *bench"
keys wide / errored Enter
wait_for wide "filter: errored"
expect_eq "21.12 every error found" "$(screen wide | grep -c "errored *boom")" 3
keys wide Escape / "boom" Enter
wait_for wide "filter: boom"
expect_eq "21.12 a function's errors found" "$(screen wide | grep -c "errored *boom")" 3
keys wide Escape / "error)$" Enter
wait_for wide "errored *boom"
keys wide Escape
wait_for wide "invoked *bench"
screen wide | grep -q "created *made" && fail "21.12 setup: oldest rows already on screen"
n=0
while [ $n -lt 45 ]; do keys wide NPage; n=$((n + 1)); done
wait_for wide "created *made"
keys wide g
wait_for wide "invoked *bench"
keys wide G
wait_for wide "created *made"
keys wide q
wait_for wide '^[#$] *$'

# 21.13 TERM=linux (no alternate screen): the console's frame is cleared on exit
tm new-session -d -s linux -x 80 -y 24 "env $env_line TERM=linux sh"
keys linux "$HEARTH" Enter
wait_for linux "Functions"
keys linux q
wait_for linux '^[#$] *$'
sleep 0.3
screen linux | grep -q "Functions\|<q>quit" && fail "21.13 console left on a TERM=linux screen:
$(screen linux)"

# Wait until window $1 no longer shows text $2.
wait_gone() {
	i=0
	while screen "$1" | grep -q -- "$2"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "screen still shows '$2':
$(screen "$1")"
		sleep 0.05
	done
}

# 21.14 ':fn logs NAME --since 1m', with -n and with -f, leaves out the
# lines of invocations logged before, as `fn logs NAME --since 1m` does
# (the first invocation is made an hour old in the store)
expect_rc 0 H fn create old --runtime python3 --handler app.handler --code "$T/code"
expect_rc 0 H fn invoke old '{"n": 1401}'
q "UPDATE invocations SET ts = ts - 3600 WHERE fn = 'old'"
expect_rc 0 H fn logs old --since 1m
expect_eq "21.14 fn logs --since 1m of an hour-old invocation" "$OUT" ""
expect_rc 0 H fn invoke old '{"n": 1402}'
expect_rc 0 H fn logs old --since 1m -n 50
expect_in "21.14 fn logs --since 1m" "$OUT" "hello-from 1402"
expect_not_in "21.14 fn logs --since 1m" "$OUT" "hello-from 1401"
want=$(H fn logs old --since 1m -n 50 | wc -l | tr -d ' ')
tm resize-window -t wide -x 200 -y 40
keys wide clear Enter "$HEARTH" Enter
wait_for wide "Functions"
for opts in "--since 1m" "--since 1m -n 50" "-n 50 --since 1m -f"; do
	keys wide ":fn logs old $opts" Enter
	wait_for wide "logs: old .* since 1m"
	wait_for wide "hello-from 1402"
	screen wide | grep -q "hello-from 1401" && fail "21.14 ':fn logs old $opts' shows a line logged before --since:
$(screen wide)"
	expect_eq "21.14 ':fn logs old $opts': the lines fn logs prints" \
	    "$(pane_rows wide "logs: old" | wc -l | tr -d ' ')" "$want"
	case $opts in *-f*)
		expect_rc 0 H fn invoke old '{"n": 1403}'
		wait_for wide "hello-from 1403"
		screen wide | grep -q "hello-from 1401" && fail "21.14 -f: a line logged before --since" ;;
	esac
	keys wide Escape
	wait_gone wide "logs: old"
done

# 21.15 a command that succeeds replaces the last one's error on the
# status line: a pane opened, a view switched to
keys wide ":fn logs old --tail x" Enter
wait_for wide "tail 'x' must be a whole number"
keys wide ":fn logs old" Enter
wait_for wide "logs: old  (stored"
last_row wide | grep -q "must be a whole number" && fail "21.15 the last command's error outlived a success: $(last_row wide)"
keys wide Escape
wait_gone wide "logs: old"
keys wide ":fn logs old --tail x" Enter
wait_for wide "tail 'x' must be a whole number"
keys wide ":ev" Enter
wait_for wide "^ hearth  Events "
last_row wide | grep -q "must be a whole number" && fail "21.15 the error outlived ':ev': $(last_row wide)"
keys wide ":fn" Enter
wait_for wide "^ hearth  Functions "

# 21.16 the invoke prompt opens empty (empty is {}); Up recalls the last payload
keys wide / "^old" Enter
wait_for wide "filter: ^old"
keys wide i
wait_for wide "invoke old with payload"
last_row wide | grep -q ': *$' || fail "21.16 invoke prompt prefilled: $(last_row wide)"
keys wide abc
wait_for wide "invoke old with payload.*: abc$"
keys wide C-u '{"n": 1601}' Enter
wait_for wide "hello-from 1601"
keys wide Escape
wait_gone wide "hello-from 1601"
keys wide i
wait_for wide "invoke old with payload"
keys wide Up
wait_for wide "invoke old with payload.*: {\"n\": 1601}$"
keys wide Enter
wait_for wide "hello-from 1601"
expect_eq "21.16 Up recalled the payload" "$(H fn logs old | grep -c "hello-from 1601")" 2
keys wide Escape
wait_gone wide "hello-from 1601"
keys wide i
wait_for wide "invoke old with payload"
keys wide Enter
wait_for wide "hello-from None"
keys wide Escape
wait_gone wide "hello-from None"

# 21.17 sizes and durations carry the units the CLI's text gives them
# (128MiB, 3s, 60B, 21ms) in every view and in the details pane
cli=$(H fn ls | awk '$1 == "old" { print $5, $6 }')
expect_eq "21.17 setup: fn ls units" "$cli" "128MiB 3s"
wait_for wide "^ *old *python3 *app.handler *128MiB *3s "
keys wide 2
wait_for wide " old *python3 *ready *[0-9]* *128MiB *[0-9]*\.[0-9]MiB .* spawn [0-9]*ms *$"
H vm ls old | grep -q " 128MiB *[0-9]*\.[0-9]MiB *spawn *[0-9]*ms " || fail "21.17 setup: vm ls units"
keys wide 3
size=$(H image ls | awk '$1 == "python3" { print $3 }')
wait_for wide "^ *python3 *python3 *$size "
keys wide 1
wait_for wide "^ *old *python3"
keys wide Enter
code=$(H fn show old | awk '$1 == "Code" && $2 == "size:" { print $3 }')
expect_in "21.17 setup: fn show code size" "$code" "B"
wait_for wide "Memory: *128MiB"
wait_for wide "Timeout: *3s"
wait_for wide "(code v1, $code)"
wait_for wide "ok  *[0-9]*\.[0-9][0-9]ms *[0-9]*MiB  *\(cold\|warm\) "
keys wide Escape Escape

# 21.18 Tab on an ambiguous word completes what the candidates share;
# the next Tab lists them, as readline does (the shell's candidates)
expect_rc 0 H fn create envp --runtime python3 --handler app.handler --code "$T/code"
expect_rc 0 H fn create envq --runtime python3 --handler app.handler --code "$T/code"
want=$(H complete -- fn invoke en | awk 'NR > 1 { printf "  " } { printf "%s", $0 } END { print "" }')
expect_eq "21.18 setup: the shell's candidates" "$want" "envp  envq"
keys wide ":fn invoke en" Tab
wait_for wide "^:fn invoke env$"
keys wide Tab
wait_for wide "^$want *$"
keys wide q			# any other key takes the list away
wait_gone wide "^$want *$"
keys wide Tab
wait_for wide "^:fn invoke envq *$"
keys wide Escape
wait_gone wide "^:fn invoke"

tm kill-server
TMUX_PID=""
exit 0
