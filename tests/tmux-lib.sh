# tests/tmux-lib.sh — drive the console in a real terminal (tmux).
#
# tm runs tmux on the test's own server socket; screen WINDOW prints what
# the terminal shows; wait_for WINDOW TEXT [SECONDS] waits until it shows
# TEXT; keys WINDOW KEYS... types.
command -v tmux >/dev/null || skip "tmux not installed"
sock="$T/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t "$1"; }
wait_for() { # wait_for WINDOW TEXT [SECONDS]
	i=0
	until screen "$1" | grep -q -- "$2"; do
		i=$((i + 1))
		[ $i -lt $((${3:-5} * 20)) ] || fail "screen never showed '$2':
$(screen "$1")"
		sleep 0.05
	done
}
keys() { tm send-keys -t "$@"; }
