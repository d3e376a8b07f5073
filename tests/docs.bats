#!/usr/bin/env bats
# The man page, --help and --list-columns come from, or are checked against,
# the same sources as the code: they cannot drift apart.

load helpers/common

MAN="$BATS_TEST_DIRNAME/../man/ipcscope.1"

setup() { common_setup; }
teardown() { common_teardown; }

@test "the man page is mandoc -Tlint clean" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run bash -c "mandoc -Tlint -W style '$MAN' 2>&1 | grep -v 'mandoc.db'"
	assert_output ""
}

@test "every column and its help line is in the man page's OUTPUT COLUMNS" {
	local name type help n=0
	while read -r name type help; do
		grep -qx ".It Sy $name" "$MAN" || fail "column $name missing from the man page"
		grep -A1 -x ".It Sy $name" "$MAN" | tail -1 | grep -qxF "$help" ||
			fail "man page help for $name differs from --list-columns: $help"
		n=$((n + 1))
	done < <("$IPCSCOPE" list --list-columns)
	[ "$n" -ge 10 ]
}

@test "every command in --help has a COMMANDS entry in the man page" {
	local n=0 cmd
	for cmd in $("$IPCSCOPE" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }'); do
		grep -q "^\.It Cm $cmd" "$MAN" || fail "command $cmd is not in the man page"
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}

@test "every JSON key the code emits is documented in the man page" {
	mk p pipe
	mk s socketpair
	mk l pending path="$T/sock"
	mk m shm-mapped name="$SHM_PREFIX-doc"
	"$IPCSCOPE" list --json >"$T/out.json" 2>/dev/null
	local schema key n=0
	schema=$(sed -n '/^\.Sh JSON OUTPUT/,/^\.Sh /p' "$MAN")
	for key in $(jq -r '[paths | map(select(type == "string")) | last // empty] | unique | .[]' "$T/out.json"); do
		grep -q "\"$key\"" <<<"$schema" || fail "JSON key '$key' is not in the man page's JSON OUTPUT"
		n=$((n + 1))
	done
	[ "$n" -ge 30 ]
}
