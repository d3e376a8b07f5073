#!/usr/bin/env bats
# --type, --pid, --user and --path select objects; bad values are usage errors.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "--type takes a comma list and aliases" {
	mk p pipe
	mk f fifo path="$T/ff"
	mk s socketpair
	ipc_json --type pipe,fifo
	assert_equal "$(jqr '[.objects[].type] | unique | join(",")')" "fifo,pipe"
	ipc_json --type socket
	assert_equal "$(jqr '[.objects[].type] | unique | join(",")')" "unix"
	ipc_json --type all
	assert_equal "$(jqr --argjson a "$p_ino" --argjson b "$f_ino" --argjson c "$s_ino" '[.objects[] | select(.inode == $a or .inode == $b or .inode == $c) | .type] | sort | join(",")')" "fifo,pipe,unix"
}

@test "--pid keeps the objects the process holds, with all their holders" {
	mk p pipe
	mk q pipe
	ipc_json --pid "$p_child_pid"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$p_ino"
	assert_equal "$(holders_of "$p_ino")" "$(by_pid "$p_pid:3:r:false" "$p_child_pid:4:w:false")"
}

@test "--pid takes a comma list" {
	mk p pipe
	mk q pipe
	ipc_json --type pipe --pid "$p_pid,$q_pid"
	assert_equal "$(jqr '[.objects[].inode] | sort | map(tostring) | join(",")')" "$(printf '%s\n' "$p_ino" "$q_ino" | sort -n | paste -sd,)"
}

@test "--user keeps objects held or owned by that user" {
	mk s shm-fd name="$SHM_PREFIX-u"
	ipc_json --type shm --user "$(id -un)"
	[ -n "$(obj "$s_ino")" ]
	ipc_json --type shm --user "$(id -u)"
	[ -n "$(obj "$s_ino")" ]
	if [ "$(id -u)" -eq 0 ]; then
		ipc_json --type shm --user nobody
		assert_equal "$(obj "$s_ino")" ""
	fi
}

@test "--path matches a glob against the path" {
	mk a shm-orphan name="$SHM_PREFIX-alpha"
	mk b shm-orphan name="$SHM_PREFIX-beta"
	ipc_json --path "/dev/shm/$SHM_PREFIX-al*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	ipc_json --path "*$SHM_PREFIX-beta"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$b_ino"
}

@test "--path matches abstract socket names and memfd names" {
	mk a abstract name="$SHM_PREFIX-abs"
	mk m memfd name="$SHM_PREFIX-mfd"
	ipc_json --path "@$SHM_PREFIX-*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	ipc_json --path "memfd:$SHM_PREFIX-*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$m_ino"
}

bad_usage() {
	run --separate-stderr "$IPCSCOPE" "$@"
	assert_failure 2
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "expected one stderr line, got: $stderr"
}

@test "usage errors: exit 2, one line naming the bad value, nothing on stdout" {
	bad_usage list --type bogus
	assert_equal "$stderr" "ipcscope: unknown type 'bogus' (choose from fifo, pipe, unix, shm, memfd, sem, sysvshm, mqueue, eventfd, anonshm, inet, all)"
	bad_usage list --type pipe,nope
	[[ $stderr == *"'nope'"* ]]
	bad_usage list --pid abc
	assert_equal "$stderr" "ipcscope: invalid pid 'abc'"
	bad_usage list --pid 0
	[[ $stderr == *"'0'"* ]]
	bad_usage list --pid 99999999999
	[[ $stderr == *"'99999999999'"* ]]
	bad_usage list --pid -5
	bad_usage list --pid 12x
	[[ $stderr == *"'12x'"* ]]
	bad_usage list --user no-such-user-here
	[[ $stderr == *"'no-such-user-here'"* ]]
	bad_usage list --frobnicate
	assert_equal "$stderr" "ipcscope: unknown option '--frobnicate'"
	bad_usage list -Z
	assert_equal "$stderr" "ipcscope: unknown option '-Z'"
	bad_usage list --type
	[[ $stderr == *"--type"* ]]
	bad_usage frobnicate
	[[ $stderr == *"unknown command 'frobnicate'"* ]]
	bad_usage list extra-arg
	[[ $stderr == *"'extra-arg'"* ]]
	bad_usage list -o TYPE,NOPE
	[[ $stderr == *"'NOPE'"* ]]
}
