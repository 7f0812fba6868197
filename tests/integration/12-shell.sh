# The readline shell in a real terminal (tmux): commands, tab completion
# of commands and function names, history kept in $HEARTH_HOME.
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || skip "tmux not installed"

mkpy "$T/code" app '    return "from shell"'
expect_rc 0 H fn create shelly --runtime python3 --handler app.handler --code "$T/code"
sock="$T/tmux.sock"
tmux -S "$sock" new-session -d -x 120 -y 30 "env HEARTH_HOME=$HEARTH_HOME HEARTH_POOL_SIZE=0 $HEARTH shell"
TMUX_PID=$(tmux -S "$sock" display-message -p '#{pid}')
screen() { tmux -S "$sock" capture-pane -p; }
wait_for() {
	i=0
	until screen | grep -q -- "$1"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "screen never showed '$1': $(screen)"; sleep 0.05
	done
}
wait_for "hearth>"
tmux -S "$sock" send-keys "fn inv" Tab
wait_for "fn invoke"
tmux -S "$sock" send-keys "shel" Tab
wait_for "fn invoke shelly"
tmux -S "$sock" send-keys Enter
wait_for '"from shell"'
tmux -S "$sock" send-keys "fn show nope" Enter
wait_for "no function 'nope'"
tmux -S "$sock" send-keys "exit" Enter
i=0
while tmux -S "$sock" has-session 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "shell did not exit"; sleep 0.05
done
TMUX_PID=""
grep -q "fn invoke shelly" "$HEARTH_HOME/history" || fail "history not saved"
# Piped stdin: the shell runs lines without a prompt.
OUT=$(printf 'fn invoke shelly\n' | H shell)
expect_eq "piped shell" "$OUT" '"from shell"'
exit 0
