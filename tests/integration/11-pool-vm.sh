# The pool pre-starts sandboxes; vm ls shows instances; vm rm destroys
# them; a sandbox killed from outside is noticed and replaced.
. "$(dirname "$0")/../lib.sh"

export HEARTH_POOL_SIZE=1
expect_rc 0 H vm pool python3
expect_rc 0 H vm ls -o json
expect_eq "one pool instance" "$(json_get "$OUT" 'len(d), d[0]["owner"], d[0]["state"]')" "1 (pool) ready"
pool_id=$(json_get "$OUT" 'd[0]["id"]')
mkpy "$T/code" app '    return "pooled"'
expect_rc 0 H fn create pl --runtime python3 --handler app.handler --code "$T/code"
expect_rc 0 H fn invoke pl -o json
expect_eq "served" "$(json_get "$OUT" 'd["result"], d["cold"]')" "pooled True"
expect_eq "claimed the pool instance" "$(q "SELECT fn FROM instances WHERE id='$pool_id'")" "pl"
# The pool refills in the background.
i=0
until [ "$(rows instances "WHERE fn IS NULL AND state='ready'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "pool did not refill"; sleep 0.05
done
expect_rc 0 H vm ls
expect_in "vm ls owner" "$OUT" "pl"
expect_in "vm ls pool" "$OUT" "(pool)"
expect_in "vm ls driver" "$OUT" "ns"

# Kill the sandbox from outside: the next invoke notices and recovers.
pid=$(q "SELECT pid FROM instances WHERE fn='pl'")
kill -9 "$pid"
sleep 0.1
expect_rc 0 H fn invoke pl
expect_eq "recovered" "$OUT" '"pooled"'
expect_rc 0 H vm ls -o json
expect_not_in "dead instance gone" "$OUT" "\"pid\": $pid,"

expect_rc 0 H vm rm "$(q "SELECT id FROM instances WHERE fn='pl'")"
expect_rc 1 H vm rm nosuchid
expect_in "vm rm unknown" "$ERR" "no instance 'nosuchid'"
expect_rc 0 H vm rm --all
expect_eq "all removed" "$(rows instances)" "0"
[ -z "$(ls "$HEARTH_HOME/run")" ] || fail "run dirs left: $(ls "$HEARTH_HOME/run")"
ls /sys/fs/cgroup/memory/hearth 2>/dev/null | grep -q "$pool_id" && fail "cgroup left behind"
exit 0
