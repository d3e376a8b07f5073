#!/usr/bin/env bats
# valgrind finds no memory errors and no definite leaks.

load helpers/common

setup() {
	common_setup
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	if ldd "$IPCSCOPE" 2>/dev/null | grep -q 'libasan\|libubsan'; then
		skip "this build runs under the sanitizers, which valgrind cannot"
	fi
}
teardown() { common_teardown; }

vg() {
	run --separate-stderr valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 "$IPCSCOPE" "$@"
	[ "$status" -ne 99 ] || fail "valgrind: ipcscope $*: $stderr"
	assert_success
}

@test "valgrind: list, list --json, leaks, show, summary and graph are clean" {
	mk p pipe fill=100
	mk l listener path="$T/v.sock"
	mk s shm-shared name="$SHM_PREFIX-vg"
	mk o shm-orphan name="$SHM_PREFIX-vgo"
	vg list
	vg list --json
	vg leaks --path "$T"
	vg show "$T/v.sock"
	vg show "pipe:[$p_ino]"
	vg summary --json
	vg graph
	IPCSCOPE_THREADS=1 vg list --json
}
