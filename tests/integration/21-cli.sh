# The command line as people coming from git, docker, kubectl expect it:
# groups, typos, help, completion after the first word, list flags, units.
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# 21.1 A group name lists the group's commands; --help and `help` too.
for g in "fn" "fn --help" "vm --help" "image" "config" "vm snapshot" "help fn"; do
	expect_rc 0 H $g
	expect_in "group '$g'" "$OUT" "Commands:"
	expect_not_in "group '$g' is not unknown" "$ERR" "unknown command"
done
expect_rc 0 H fn
expect_in "fn lists fn ls" "$OUT" "  fn ls "
expect_in "fn lists fn invoke" "$OUT" "  fn invoke "
expect_not_in "fn lists only fn" "$OUT" "vm ls"
expect_rc 0 H vm --help
expect_in "vm lists vm snapshot ls" "$OUT" "vm snapshot ls"

# 21.2 A typo names the nearest command, exit 2.
expect_rc 2 H fn lss
expect_eq "fn lss" "$ERR" "hearth: unknown command 'fn lss' (did you mean 'fn ls'?)"
expect_rc 2 H fn invok hello
expect_eq "fn invok" "$ERR" "hearth: unknown command 'fn invok' (did you mean 'fn invoke'?)"
expect_rc 2 H help fn lss
expect_in "help fn lss" "$ERR" "did you mean 'fn ls'?"
expect_rc 2 H frobnicate
expect_in "no near command" "$ERR" "unknown command 'frobnicate' (try 'help')"

# 21.3 -f with no FILE says a FILE is needed, on one line.
expect_rc 2 H -f
expect_eq "-f alone" "$ERR" "hearth: -f needs a FILE of commands (- reads them from standard input)"

# 21.4 Help: one format from the table; required options in the usage line.
expect_rc 0 H fn create --help
expect_in "create usage" "$OUT" "usage: hearth fn create NAME --runtime RUNTIME --handler MOD.FUNC --code PATH [options]"
expect_in "create runtime required" "$OUT" "-r, --runtime RUNTIME"
expect_in "create required" "$OUT" "(required)"
expect_in "create defaults" "$OUT" "64 to 10240 (default 128)"
expect_in "create example" "$OUT" "Example:"
expect_rc 0 H fn bench --help
expect_in "bench -n" "$OUT" "-n, --requests N"
expect_in "bench -c" "$OUT" "-c, --concurrency C"
expect_rc 0 H fn logs --help
expect_in "logs -f" "$OUT" "-f, --follow"
expect_rc 0 H help fn invoke
expect_in "help == --help" "$OUT" "$(H fn invoke --help)"
expect_rc 0 H vm ls --help
expect_in "vm ls -q" "$OUT" "-q, --quiet"

# 21.5 Completion after the first word: options, values, names.
mkpy "$T/code" app '    return {"ok": True}'
expect_rc 0 H fn create hello --runtime python3 --handler app.handler \
    --code "$T/code/app.py" --env SECRET_TOKEN=abc --env STAGE=dev
expect_rc 0 H complete -- fn invoke hello -
expect_eq "invoke options" "$(echo $OUT)" "--log --output --help"
expect_rc 0 H complete -- fn create x --r
expect_eq "create --r" "$OUT" "--runtime"
expect_rc 0 H complete -- fn create x --runtime p
expect_eq "runtime value" "$OUT" "python3"
expect_rc 0 H complete -- fn create x --driver ""
expect_eq "driver values" "$(echo $OUT)" "ns qemu auto"
expect_rc 0 H complete -- fn invoke he
expect_eq "function name" "$OUT" "hello"
expect_rc 0 H complete -- fn invoke hello ""
expect_eq "payload is not a name" "$OUT" ""
expect_rc 0 H complete -- config get pool.s
expect_eq "setting key" "$OUT" "pool.size"
expect_rc 0 H complete --describe -- fn create x --ru
expect_eq "described" "$OUT" "$(printf -- '--runtime\tpython3 or node')"
# The shell completes through the same engine (readline on a pipe does
# not complete, so ask as the shell's own command would).
expect_rc 0 sh -c "echo 'complete -- fn create x --driver q' | '$HEARTH' shell"
expect_in "shell" "$OUT" "qemu"
# bash, through the installed script.
if command -v bash >/dev/null; then
	got=$(PATH="$(dirname "$HEARTH"):$PATH" bash -c '. "$1"; COMP_WORDS=(hearth fn create x --runtime p); COMP_CWORD=5; _hearth; echo "${COMPREPLY[*]}"' _ "$SRC/completions/hearth.bash")
	expect_eq "bash" "$got" "python3"
fi
# The scripts in completions/ are what the binary prints.
for sh in bash:hearth.bash zsh:_hearth fish:hearth.fish; do
	expect_rc 0 H completion "${sh%%:*}"
	expect_eq "completions/${sh#*:} is current" "$OUT" "$(cat "$SRC/completions/${sh#*:}")"
done
command -v zsh >/dev/null && { zsh -n "$SRC/completions/_hearth" || fail "zsh syntax"; }
if command -v fish >/dev/null; then
	fish -n "$SRC/completions/hearth.fish" || fail "fish syntax"
	got=$(PATH="$(dirname "$HEARTH"):$PATH" fish -c "source '$SRC/completions/hearth.fish'; complete -C'hearth fn create x --r'")
	expect_eq "fish" "$got" "$(printf -- '--runtime\tpython3 or node')"
fi

# 21.6 fn show masks secret-looking values, as the console does.
expect_rc 0 H fn show hello
expect_in "masked" "$OUT" '"SECRET_TOKEN":"********"'
expect_in "not secret" "$OUT" '"STAGE":"dev"'
expect_not_in "no clear secret" "$OUT" "abc"
expect_rc 0 H fn show hello -o json
expect_eq "masked json" "$(json_get "$OUT" 'd["env"]["SECRET_TOKEN"]')" "********"
expect_rc 0 H fn show hello --show-secrets
expect_in "--show-secrets" "$OUT" '"SECRET_TOKEN":"abc"'

# 21.7 -q on every list; fn rm A B C; vm ls NAME; version -o json.
expect_rc 0 H fn create other --runtime python3 --handler app.handler --code "$T/code/app.py"
expect_rc 0 H fn create third --runtime python3 --handler app.handler --code "$T/code/app.py"
expect_rc 0 H fn ls -q
expect_eq "fn ls -q" "$(echo $OUT)" "hello other third"
expect_rc 0 H fn invoke hello
expect_rc 0 H fn invoke other
expect_rc 0 H vm ls hello -q
expect_eq "vm ls NAME" "$(echo "$OUT" | wc -l)" "1"
expect_eq "vm ls NAME is hello's" "$(q "SELECT fn FROM instances WHERE id='$OUT'")" "hello"
expect_rc 0 H vm ls other -o json
expect_eq "vm ls NAME json" "$(json_get "$OUT" '[r["owner"] for r in d]')" "['other']"
expect_rc 1 H vm ls nosuch
expect_in "vm ls unknown function" "$ERR" "no function 'nosuch'"
expect_rc 0 H image ls -q
expect_in "image ls -q" "$OUT" "python3"
expect_rc 0 H config ls -q
expect_in "config ls -q" "$OUT" "pool.size"
expect_not_in "config ls -q: keys only" "$OUT" "SOURCE"
expect_rc 0 H vm snapshot ls -q
expect_rc 0 H version -o json
expect_eq "version json" "$(json_get "$OUT" 'd["version"]')" "$(H version | cut -d' ' -f2)"
expect_rc 1 H fn rm other nosuch third
expect_in "rm: each" "$OUT" "removed other"
expect_in "rm: goes on" "$OUT" "removed third"
expect_in "rm: says which failed" "$ERR" "no function 'nosuch'"
expect_rc 0 H fn ls -q
expect_eq "rm left hello" "$OUT" "hello"

# 21.8 Units: every size and duration in text carries its unit; JSON numbers.
expect_rc 0 H vm ls
expect_in "limit MiB" "$OUT" "128MiB"
expect_rc 0 sh -c "'$HEARTH' vm ls | sed -n 2p | grep -E '[0-9.]+MiB +[0-9.]+MiB +spawn +[0-9]+ms +[0-9]+ +[0-9]+s'"
expect_rc 0 H vm ls -o json
expect_eq "json numbers" "$(json_get "$OUT" 'type(d[0]["memory_mb"]).__name__, type(d[0]["memory_used_mb"]).__name__')" "int float"
expect_rc 0 H fn show hello
expect_in "show memory" "$OUT" "128MiB"
expect_in "show timeout" "$OUT" "3s"
expect_rc 0 H fn ls
expect_in "ls memory" "$OUT" "128MiB"

# 21.9 The shell strips quotes as bash does: say how to quote JSON.
expect_rc 2 sh -c "echo 'fn invoke hello {\"sleep\":1}' | '$HEARTH' shell"
expect_in "quote hint" "$ERR" "quote JSON payloads"
expect_rc 2 H fn invoke hello '{"a":}'
expect_not_in "quoted payload: no hint" "$ERR" "quote JSON"

# 21.11 A payload is exactly one JSON text (RFC 8259), read by the same
# strict reader -o json writes through: trailing data, leading zeros, raw
# control characters and lone surrogates never reach the handler.
ran=$(rows invocations)
tab=$(printf '{"a":"x\ty"}')
for case in '{}{"n":4}:2' '{"a":1} x:8' '1 2:2' '{"a":1}}:7' '{"a":01}:7' \
    "$tab:7" '{"a":"\ud800"}:12' '{"a":"\udc00x"}:12' '[1,]:3' '{"a":1,}:7'; do
	p=${case%:*}
	expect_rc 2 H fn invoke hello "$p"
	expect_in "payload $p" "$ERR" "hearth: payload is not valid JSON (near byte ${case##*:})"
	expect_eq "payload $p: one line" "$(printf '%s\n' "$ERR" | wc -l)" "1"
done
printf '{}{}' > "$T/two.json"
expect_rc 2 H fn invoke hello @"$T/two.json"
expect_in "@FILE payload" "$ERR" "payload is not valid JSON (near byte 2)"
expect_rc 2 sh -c "printf '{\"a\":01}' | '$HEARTH' fn invoke hello -"
expect_in "stdin payload" "$ERR" "payload is not valid JSON (near byte 7)"
expect_rc 2 H fn bench hello '1 2' -n 1
expect_in "bench payload" "$ERR" "payload is not valid JSON (near byte 2)"
expect_eq "no bad payload ran" "$(rows invocations)" "$ran"
expect_rc 0 H fn invoke hello ' {"a": [1, -0.5e3, "\ud83d\ude00", null]} '
expect_eq "valid payload ran" "$(rows invocations)" "$((ran + 1))"

# 21.12 Every error is one line: a newline typed into a value or a name
# is shown escaped, as in a table cell.
NL=$(printf 'us-east-1\nx')
expect_rc 2 H config set lambda.region "$NL"
expect_eq "config set: one line" "$(printf '%s\n' "$ERR" | wc -l)" "1"
expect_in "config set: escaped" "$ERR" 'us-east-1\nx'
expect_rc 1 H fn rm "$(printf 'x\ny')"
expect_eq "fn rm: one line" "$ERR" "hearth: no function 'x\\ny'"
expect_rc 2 H "$(printf 'fn\nls')"
expect_eq "unknown command: one line" "$(printf '%s\n' "$ERR" | wc -l)" "1"

# 21.13 A reserved variable's reason is true of its name.
expect_rc 2 H fn update hello --env AWS_LAMBDA_EXEC_WRAPPER=/opt/wrap
expect_in "exec wrapper" "$ERR" "hearth does not support wrapper scripts yet"
expect_rc 2 H fn update hello --env AWS_LAMBDA_FOO=1
expect_in "AWS_LAMBDA_ prefix" "$ERR" "Lambda reserves the AWS_LAMBDA_ prefix"
expect_not_in "hearth does not set FOO" "$ERR" "hearth sets it"

# 21.14 An update that changes nothing is not a new version and restarts
# nothing; one with nothing to change is a usage error.
expect_rc 0 H fn invoke hello
v=$(q "SELECT version FROM functions WHERE name='hello'")
expect_rc 2 H fn update hello
expect_eq "update alone" "$ERR" "hearth: fn update hello: nothing to change; give --handler, --code, --memory, --timeout, --env, --unset-env or --driver"
expect_rc 0 H fn update hello --unset-env NOPE
expect_eq "unset of nothing" "$OUT" "hello unchanged (version $v)"
expect_rc 0 H fn update hello --memory 128 --env STAGE=dev --timeout 3
expect_eq "same values" "$OUT" "hello unchanged (version $v)"
expect_rc 0 H -o json fn update hello --unset-env NOPE
expect_eq "unchanged json" "$(json_get "$OUT" 'd["version"]')" "$v"
expect_eq "no new version" "$(q "SELECT version FROM functions WHERE name='hello'")" "$v"
expect_rc 0 H fn invoke hello -o json
expect_eq "still warm" "$(json_get "$OUT" 'd["cold"]')" "False"
expect_rc 2 H fn update hello --env FOO=1 --unset-env FOO
expect_in "set and unset" "$ERR" "--env FOO and --unset-env FOO: set it or unset it, not both"
expect_rc 0 H fn update hello --env FOO=1
expect_eq "a change" "$OUT" "updated hello (version $((v + 1)))"

# 21.15 -q is global, as -o is: before the command too.
expect_rc 0 H -q fn ls
expect_eq "hearth -q fn ls" "$OUT" "hello"
expect_rc 0 H -q vm ls hello
expect_eq "global -q == -q" "$OUT" "$(H vm ls hello -q)"
expect_rc 2 H -q fn invoke hello
expect_in "-q on a non-list" "$ERR" "-q is for listings"

# 21.16 Every bounded option shows its bounds (and default) in its help.
expect_rc 0 H fn bench --help
expect_in "bench -n bounds" "$OUT" "invocations in all, 1 to 10000000 (default 200)"
expect_in "bench -c bounds" "$OUT" "invocations in flight, 1 to 64 (default 1)"
expect_rc 0 H vm pool --help
expect_in "pool --size bounds" "$OUT" "0 to 64"
expect_rc 0 H fn logs --help
expect_in "logs --tail bounds" "$OUT" "0 to 100000000"
expect_rc 0 H vm console --help
expect_in "console --tail bounds" "$OUT" "1 to 1000000"
expect_rc 2 H fn bench hello -n 0
expect_eq "bench -n 0" "$ERR" "hearth: --requests '0' must be a whole number from 1 to 10000000"

# 21.17 --opt=value in bash: bash splits the word at COMP_WORDBREAKS' =,
# the script glues it back and answers for the part bash replaces.
if command -v bash >/dev/null; then
	got=$(PATH="$(dirname "$HEARTH"):$PATH" bash -c '. "$1"; COMP_LINE="hearth fn create x --driver=q"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(hearth fn create x --driver = q); COMP_CWORD=6; _hearth; echo "${COMPREPLY[*]}"' _ "$SRC/completions/hearth.bash")
	expect_eq "bash --driver=q" "$got" "qemu"
	got=$(PATH="$(dirname "$HEARTH"):$PATH" bash -c '. "$1"; COMP_LINE="hearth fn create x --driver="; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(hearth fn create x --driver =); COMP_CWORD=5; _hearth; echo "${COMPREPLY[*]}"' _ "$SRC/completions/hearth.bash")
	expect_eq "bash --driver=" "$got" "ns qemu auto"
	got=$(PATH="$(dirname "$HEARTH"):$PATH" bash -c '. "$1"; COMP_LINE="hearth fn create x --driver = q"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(hearth fn create x --driver = q); COMP_CWORD=6; _hearth; echo "${COMPREPLY[*]}"' _ "$SRC/completions/hearth.bash")
	expect_eq "bash: a blank-separated = is a word" "$got" ""
fi

# 21.10 Tab in a real terminal: the shell's readline and the console's
# ':' prompt complete through the same engine, after the first word.
command -v tmux >/dev/null || exit 0
. "$(dirname "$0")/../tmux-lib.sh"
env_line="HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 LANG=C.UTF-8 TERM=xterm-256color"
tm new-session -d -s main -x 120 -y 30 "env $env_line sh"
TMUX_PID=$(tm display-message -p '#{pid}')
BG_PIDS=$(tm display-message -p -t main '#{pane_pid}')
keys main "$HEARTH shell" Enter
wait_for main "hearth>"
keys main "fn create x --r" Tab
wait_for main "hearth> fn create x --runtime *$"
keys main "p" Tab
wait_for main "hearth> fn create x --runtime python3 *$"
keys main C-u "fn invoke he" Tab
wait_for main "hearth> fn invoke hello *$"
keys main C-u "fn create x --driver=q" Tab
wait_for main "hearth> fn create x --driver=qemu *$"
keys main C-u "help fn" Enter
wait_for main "  fn invoke "
keys main C-d
wait_for main '^[#$] *$'
keys main clear Enter "$HEARTH" Enter
wait_for main "Functions"
keys main ":fn create x --driver q" Tab
wait_for main ":fn create x --driver qemu *$"
keys main C-u "fn invoke hello -" Tab
wait_for main ":fn invoke hello --"
keys main Escape q
wait_for main '^[#$] *$'
if command -v bash >/dev/null; then
	# bash itself, with the script loaded as a user loads it.
	keys main clear Enter "PATH=$(dirname "$HEARTH"):\$PATH bash --norc" Enter
	keys main "source <(hearth completion bash); PS1='bash> '" Enter
	wait_for main "^bash> *$"
	keys main "hearth fn create x --driver=q" Tab
	wait_for main "^bash> hearth fn create x --driver=qemu *$"
	keys main C-u "hearth fn create x --runtime p" Tab
	wait_for main "^bash> hearth fn create x --runtime python3 *$"
	keys main C-u "exit" Enter
	wait_for main '^[#$] *$'
fi
if command -v zsh >/dev/null; then
	keys main clear Enter "PATH=$(dirname "$HEARTH"):\$PATH zsh -f" Enter
	keys main "autoload -U compinit && compinit -u && . $SRC/completions/_hearth && PS1='zsh> '" Enter
	wait_for main "^zsh> *$"
	keys main "hearth fn create x --r" Tab
	wait_for main "^zsh> hearth fn create x --runtime *$"
	keys main "p" Tab
	wait_for main "^zsh> hearth fn create x --runtime python3 *$"
	keys main C-u "exit" Enter
	wait_for main '^[#$] *$'
fi
tm kill-server
BG_PIDS=""
TMUX_PID=""
exit 0
