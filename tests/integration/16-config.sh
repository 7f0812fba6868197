# Settings: config ls/get/set/unset, the file they live in (beside the
# console's bind lines), environment overrides, and bad input.
. "$(dirname "$0")/../lib.sh"
unset HEARTH_DRIVER HEARTH_POOL_SIZE

expect_rc 0 H config get driver.default
expect_eq "default driver" "$OUT" "auto"
expect_rc 0 H config set pool.size 3
expect_rc 0 H config set driver.default ns
expect_rc 0 H config get pool.size
expect_eq "set" "$OUT" "3"
expect_rc 0 H config ls -o json
expect_eq "source" "$(json_get "$OUT" '[r["source"] for r in d if r["key"] == "pool.size"][0]')" "file"
HEARTH_POOL_SIZE=5 expect_rc 0 H config ls -o json
expect_eq "env wins" "$(json_get "$OUT" '[(r["value"], r["source"]) for r in d if r["key"] == "pool.size"][0]')" "('5', 'HEARTH_POOL_SIZE')"

# The file keeps other lines; set replaces in place; unset removes.
printf 'bind x delete\n' >> "$HEARTH_HOME/config"
expect_rc 0 H config set pool.size 2
expect_eq "file" "$(cat "$HEARTH_HOME/config")" "set pool.size 2
set driver.default ns
bind x delete"
expect_rc 0 H config unset pool.size
expect_rc 0 H config get pool.size
expect_eq "unset: default again" "$OUT" "1"
expect_not_in "unset: line gone" "$(cat "$HEARTH_HOME/config")" "pool.size"

# New functions run under driver.default; --driver overrides it.
mkpy "$T/py" app '    return 1'
expect_rc 0 H fn create a --runtime python3 --handler app.handler --code "$T/py"
expect_rc 0 H fn show a -o json
expect_eq "auto under ns" "$(json_get "$OUT" 'd["driver"], d["driver_now"]')" "auto ns"
expect_rc 2 H fn create b --runtime python3 --handler app.handler --code "$T/py" --driver xen
expect_in "bad driver" "$ERR" "unknown driver 'xen'"
expect_eq "nothing created" "$(rows functions "WHERE name = 'b'")" "0"
expect_rc 2 H fn update a --driver xen
expect_rc 0 H fn show a -o json
expect_eq "unchanged" "$(json_get "$OUT" 'd["driver"], d["version"]')" "auto 1"

# Bad input: one line each, exit 2, the file untouched.
before=$(cat "$HEARTH_HOME/config")
expect_rc 2 H config set pool.size many
expect_in "bad value" "$ERR" "pool.size: 'many' is not a number from 0 to 64"
expect_rc 2 H config set nope 1
expect_in "unknown key" "$ERR" "unknown setting 'nope'"
expect_rc 2 H config set qemu.binary "/a b"
expect_rc 2 H config get
expect_eq "file untouched" "$(cat "$HEARTH_HOME/config")" "$before"

# A bad line in the file is named by FILE:LINE.
printf 'set pool.size lots\n' >> "$HEARTH_HOME/config"
expect_rc 1 H config ls
expect_in "file:line" "$ERR" "config:3: pool.size: 'lots' is not a number"
printf 'set driver.default ns\n' > "$HEARTH_HOME/config"
printf 'frobnicate\n' >> "$HEARTH_HOME/config"
expect_rc 0 H config ls

# A setting the environment gives is checked as `config set` checks it:
# one line naming the variable, exit 2, before any command runs.
for bad in HEARTH_POOL_SIZE=abc HEARTH_POOL_SIZE=-3 HEARTH_DRIVER=bogus \
    HEARTH_LAMBDA_REGION=local HEARTH_LAMBDA_ACCOUNT_ID=abc HEARTH_INSTANCES_MEMORY=lots; do
	expect_rc 2 env "$bad" "$HEARTH" fn ls
	expect_in "env $bad named" "$ERR" "${bad%%=*} (setting "
	expect_eq "env $bad: one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
done
HEARTH_POOL_SIZE=2 expect_rc 0 H config get pool.size
expect_eq "a good one is used" "$OUT" 2
