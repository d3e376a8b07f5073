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

# every key of a JSON document, once
json_keys() {
	jq -r '[paths | map(select(type == "string")) | last // empty] | unique | .[]' "$1"
}

@test "every JSON key the code emits is documented in the man page" {
	mk p pipe
	mk s socketpair
	mk l pending path="$T/sock"
	mk m shm-mapped name="$SHM_PREFIX-doc"
	mk o shm-orphan name="$SHM_PREFIX-leak"
	mk v sysvshm attach=2
	"$IPCSCOPE" list --json >"$T/list.json" 2>/dev/null
	"$IPCSCOPE" leaks --json >"$T/leaks.json" 2>/dev/null
	"$IPCSCOPE" summary --json >"$T/summary.json" 2>/dev/null
	"$IPCSCOPE" graph --format json >"$T/graph.json" 2>/dev/null
	local doc key n=0 schema
	schema=$(sed -n '/^\.Sh JSON OUTPUT/,/^\.Sh /p' "$MAN")
	for key in $(json_keys "$T/list.json") $(json_keys "$T/leaks.json"); do
		grep -q "\"$key\"" <<<"$schema" || fail "JSON key '$key' is not in the man page's JSON OUTPUT"
		n=$((n + 1))
	done
	[ "$n" -ge 40 ]
	# summary and graph document theirs with the command
	for doc in summary graph; do
		schema=$(sed -n "/^\.It Cm $doc\$/,/^\.It Cm /p" "$MAN")
		for key in $(json_keys "$T/$doc.json"); do
			grep -q "\"$key\"" <<<"$schema" || fail "$doc JSON key '$key' is not in the man page"
		done
	done
}
