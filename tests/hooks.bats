#!/usr/bin/env bats
# The IPCSCOPE_TEST_* hooks live in the test binary (IPCSCOPE_HOOKED) only:
# the shipped ipcscope neither reads them nor contains their names, so that
# `sudo -E ipcscope clean --force` cannot carry a caller's hook into root's
# run. And clean --force never removes below IPCSCOPE_ROOT.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

HOOKS=(IPCSCOPE_TEST_PAUSE_AFTER_PROCS IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK
	IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK IPCSCOPE_TEST_BPF_FAIL_AFTER
	IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING)

@test "hooks: the shipped binary contains no IPCSCOPE_TEST_ string; the test binary has each hook" {
	run grep -c IPCSCOPE_TEST_ "$IPCSCOPE"
	assert_output 0
	run bash -c 'strings "$1" | grep -c IPCSCOPE_TEST_' sh "$IPCSCOPE"
	assert_output 0
	hooked
	local h
	for h in "${HOOKS[@]}"; do
		strings "$IPCSCOPE_HOOKED" | grep -qx "$h" || fail "the test binary lacks $h"
	done
}

@test "hooks: the shipped binary ignores every IPCSCOPE_TEST_* variable: clean --force runs through, unpaused" {
	requires_root "to remove what clean finds"
	mk o shm-orphan name="$SHM_PREFIX-nohook"
	# were a pause honoured, timeout would end the stopped clean (124)
	run --separate-stderr env IPCSCOPE_TEST_PAUSE_AFTER_PROCS=1 \
		IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK=1 IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK=1 \
		IPCSCOPE_TEST_BPF_FAIL_AFTER=1 timeout -k 5 20 "$IPCSCOPE" clean --force --type shm \
		--path "/dev/shm/$SHM_PREFIX-nohook"
	[ "$status" -ne 124 ] || fail "the shipped binary stopped itself"
	assert_success
	refute_output --partial "test hook"
	[[ $stderr != *"test hook"* ]] || fail "a test hook spoke: $stderr"
}

@test "hooks: the shipped binary ignores IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING; the test binary honours it" {
	requires_root "the hook is root's only"
	local p l=()
	for p in /proc/[0-9]*; do
		head -c1 "$p/maps" >/dev/null 2>&1 || [ ! -e "$p" ] || l+=("${p#/proc/}")
	done
	[ "${#l[@]}" -gt 0 ] || skip "root reads every process here: the hook has nothing to do"
	mk o shm-orphan name="$SHM_PREFIX-unread"
	local ids want
	ids=$(IFS=,; echo "${l[*]}")
	# the bpf backend reads even these processes' fds: the verdict is the
	# same as without the variable, whatever it is
	run --separate-stderr "$IPCSCOPE" leaks --json --type shm --path "/dev/shm/$SHM_PREFIX-unread"
	assert_success
	# the verdict, not the warnings: on a busy host those change between runs
	want=$(jq -c '.objects[0].certain' <<<"$output")
	run --separate-stderr env IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING="$ids" \
		"$IPCSCOPE" leaks --json --type shm --path "/dev/shm/$SHM_PREFIX-unread"
	assert_success
	assert_equal "$(jq -c '.objects[0].certain' <<<"$output")" "$want"
	[[ $stderr != *"test hook"* ]] || fail "a test hook spoke: $stderr"
	[[ $output != *"test hook"* ]] || fail "a test hook spoke in the JSON: $output"
	hooked
	run --separate-stderr env IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING="$ids" \
		"$IPCSCOPE_HOOKED" leaks --json --type shm --path "/dev/shm/$SHM_PREFIX-unread"
	assert_success
	assert_equal "$(jq '.objects[0].certain' <<<"$output")" true
}

@test "hooks: IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK stops the test binary's clean after the re-check, before the removal" {
	requires_root "to remove what clean finds"
	unread_holds_nothing
	hooked
	mk o shm-orphan name="$SHM_PREFIX-unlink"
	IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK=1 "$IPCSCOPE_HOOKED" clean --force --type shm \
		--path "/dev/shm/$SHM_PREFIX-unlink" >"$T/clean.out" 2>"$T/clean.err" 3>&- &
	local cp=$!
	wait_stopped "$cp" clean
	# re-checked and planned for removal, but still there
	[ -e "/dev/shm/$SHM_PREFIX-unlink" ] || fail "removed before the pause"
	kill -CONT "$cp"
	wait "$cp" || fail "clean failed: $(cat "$T/clean.err")"
	run cat "$T/clean.out"
	assert_line "removed shm /dev/shm/$SHM_PREFIX-unlink (8.0K, orphaned-shm)"
	[ ! -e "/dev/shm/$SHM_PREFIX-unlink" ]
}

@test "hooks: clean --force below IPCSCOPE_ROOT is refused, by both binaries, and removes nothing" {
	cp -a "$BATS_TEST_DIRNAME/fixtures/basic" "$T/tree"
	local bin
	hooked
	for bin in "$IPCSCOPE" "$IPCSCOPE_HOOKED"; do
		run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/tree" \
			IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING=1 "$bin" clean --force
		assert_failure 1
		assert_output ""
		assert_equal "$stderr" "${bin##*/}: clean --force removes only from the live system, not below IPCSCOPE_ROOT"
		[ -e "$T/tree/dev/shm/orphan" ] && [ -e "$T/tree/dev/shm/sem.lock" ]
	done
	# the dry run still says what it would remove there
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/tree" "$IPCSCOPE" clean
	assert_success
	assert_line "would remove shm /dev/shm/orphan (0B, orphaned-shm)"
}
