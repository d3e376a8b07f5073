#!/usr/bin/env bats
# The man page, --help and --list-columns come from, or are checked against,
# the same sources as the code: they cannot drift apart.

load helpers/common
load helpers/neighbours

MAN="$BATS_TEST_DIRNAME/../man/ipcscope.1"

setup() { common_setup; }
teardown() { common_teardown; }

@test "the man page is mandoc -Tlint clean" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run "$TOP/tests/helpers/man-lint.sh" "$MAN"
	assert_success
	assert_output ""
}

@test "man page lint does not depend on the pages installed on this machine" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	# a page whose only fault is a reference to a page no machine has
	printf '%s\n' '.Dd January 1, 2024' '.Dt LINTME 1' '.Os' '.Sh NAME' '.Nm lintme' \
		'.Nd lint test' '.Sh DESCRIPTION' 'Text.' '.Sh SEE ALSO' '.Xr no-such-page-ipcscope 1' \
		>"$T/lintme.1"
	run "$TOP/tests/helpers/man-lint.sh" "$T/lintme.1"
	assert_success
	assert_output ""
	# and the lint still finds real faults, style ones included
	printf '%s\n' '.Dd January 1, 2024' '.Dt LINTME 1' '.Os' '.Sh NAME' '.Nm lintme' \
		'.Nd lint test' '.Sh DESCRIPTION' 'Text. ' '.Sh SEE ALSO' '.Xr no-such-page-ipcscope 1' \
		>"$T/lintme.1"
	run "$TOP/tests/helpers/man-lint.sh" "$T/lintme.1"
	assert_failure
	assert_output --partial "whitespace at end of input line"
	refute_output --partial "no-such-page-ipcscope"
}

@test "every column and its help line is in the man page's OUTPUT COLUMNS" {
	local name type help n=0 cols
	cols=$(sed -n '/^\.Sh OUTPUT COLUMNS/,/^\.Sh /p' "$MAN")
	while read -r name type help; do
		grep -qx ".It Sy $name" <<<"$cols" || fail "column $name missing from the man page"
		grep -A1 -x ".It Sy $name" <<<"$cols" | tail -1 | grep -qxF "$help" ||
			fail "man page help for $name differs from --list-columns: $help"
		n=$((n + 1))
	done < <("$IPCSCOPE" list --list-columns)
	[ "$n" -ge 10 ]
}

@test "the man page's Columns and members list is --list-columns --json's" {
	local members
	members=$(sed -n '/^\.Ss Columns and members/,/^\.El/p' "$MAN" |
		sed -n '/^\.It Sy /{ s/^\.It Sy //; N; s/\n\.Li / /; p; }')
	[ -n "$members" ] || fail "no Columns and members list in the man page"
	assert_equal "$members" "$("$IPCSCOPE" list --list-columns --json | jq -r '.columns[] | "\(.name) \(.member)"')"
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

# the fields the man page says get a NAME_base64 sibling when they are not
# valid UTF-8 (the .Fa list of the paragraph that starts "Names are bytes")
base64_fields() {
	sed -n '/^Names are bytes/,/_base64/s/^\.Fa \([a-z_]*\).*/\1/p' "$MAN"
}

# documented KEY SCHEMA: KEY is quoted in SCHEMA, or KEY is NAME_base64 for
# a documented NAME that the man page gives such a sibling
documented() {
	local key=$1 schema=$2
	if [[ $key == *_base64 ]]; then
		grep -qx "${key%_base64}" <<<"$(base64_fields)" || return 1
		key=${key%_base64}
	fi
	grep -q "\"$key\"" <<<"$schema"
}

@test "every JSON key the code emits is documented in the man page" {
	mk p pipe
	mk s socketpair
	mk l pending path="$T/sock"
	mk m shm-mapped name="$SHM_PREFIX-doc"
	mk o shm-orphan name="$SHM_PREFIX-leak"
	mk v sysvshm attach=2
	# names that are not UTF-8 bring in *_base64 keys, as other processes'
	# names may at any time
	start_hostile_neighbours
	"$IPCSCOPE" list --json >"$T/list.json" 2>/dev/null
	"$IPCSCOPE" leaks --json >"$T/leaks.json" 2>/dev/null
	"$IPCSCOPE" summary --json >"$T/summary.json" 2>/dev/null
	"$IPCSCOPE" graph --format json >"$T/graph.json" 2>/dev/null
	local doc key n=0 schema
	[ "$(base64_fields | wc -l)" -ge 2 ] || fail "no NAME_base64 fields found in the man page"
	schema=$(sed -n '/^\.Sh JSON OUTPUT/,/^\.Sh /p' "$MAN")
	for key in $(json_keys "$T/list.json") $(json_keys "$T/leaks.json"); do
		documented "$key" "$schema" || fail "JSON key '$key' is not in the man page's JSON OUTPUT"
		n=$((n + 1))
	done
	[ "$n" -ge 40 ]
	json_keys "$T/list.json" | grep -qx path_base64 || fail "no path_base64 in the list output"
	json_keys "$T/list.json" | grep -qx comm_base64 || fail "no comm_base64 in the list output"
	# summary and graph document theirs with the command
	for doc in summary graph; do
		schema=$(sed -n "/^\.It Cm $doc\$/,/^\.It Cm /p" "$MAN")
		for key in $(json_keys "$T/$doc.json"); do
			documented "$key" "$schema" || fail "$doc JSON key '$key' is not in the man page"
		done
	done
}

@test "README: the --pid \$(pgrep ...) recipes work with two processes of that name" {
	local readme="$TOP/README.md" n=0 sub
	# every $(pgrep ...) on a line with --pid
	while IFS= read -r sub; do
		[[ $sub == '$(pgrep -d, '* ]] || fail "README: pgrep without -d, in a --pid value: $sub"
		n=$((n + 1))
	done < <(grep -e '--pid' "$readme" | grep -o '\$(pgrep [^)]*)')
	[ "$n" -ge 3 ] || fail "README: only $n \$(pgrep ...) in --pid values found"
	# two processes with one name, as two gzips would be
	local name="ipct$$"
	mk a comm value="$name"
	mk b comm value="$name"
	run pgrep -d, -x "$name"
	assert_success
	local pids=$output
	run --separate-stderr "$IPCSCOPE" list --pid "$pids" -o TYPE,INODE,HOLDERS -n
	assert_success
	assert_line --partial "$a_pid/$name"
	assert_line --partial "$b_pid/$name"
}

# the README's "full pipes" recipe, as printed there, on a scene with a
# full pipe and a FIFO no fd holds (whose queued and capacity are both
# null, and must not match)
@test "README: the full pipes recipe lists the full pipe and no unheld FIFO" {
	local recipe
	recipe=$(sed -n '/^# full pipes/,/^#/p' "$TOP/README.md" | grep -v '^#')
	[[ $recipe == *"ipcscope list"* ]] || fail "no full pipes recipe in the README"
	mk w wait-pipe-write
	# a FIFO whose only user sleeps in open(): listed, held by no fd
	mk f wait-fifo-open path="$T/unheld"
	run --separate-stderr bash -c "PATH=\"$(dirname "$IPCSCOPE"):\$PATH\"; $recipe"
	assert_success
	local inodes
	inodes=$(jq -r '.inode' <<<"$output" | sort -n | paste -sd,)
	[[ ,$inodes, == *",$w_ino,"* ]] || fail "the full pipe $w_ino is not listed: $inodes"
	[[ ,$inodes, != *",$f_ino,"* ]] || fail "the unheld FIFO $f_ino is listed: $inodes"
}

