#!/usr/bin/env bats
# Run as an unprivileged user: what is visible is shown, what is not is
# counted, and nothing fails.

load helpers/common

setup() {
	common_setup
	requires_root "to switch to the nobody user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)
	# nobody must be able to reach the binaries
	"${NOBODY[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
}
teardown() { common_teardown; }

@test "as nobody: exit 0, valid JSON, and a count of unreadable processes" {
	mk r pipe
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" list --json
	assert_success
	echo "$output" | jq -e . >/dev/null
	# root's helper processes at least could not be read
	echo "$output" | jq -r '.warnings[]' | grep -Eq '^[0-9]+ of [0-9]+ processes not readable'

	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr =~ ^ipcscope:\ [0-9]+\ of\ [0-9]+\ processes\ not\ readable.*run\ as\ root ]]
	# root's pipe is invisible: only holders make pipes visible
	assert_equal "$(echo "$output" | jq --argjson i "$r_ino" '[.objects[] | select(.inode == $i)] | length')" 0
}

@test "as nobody: /dev/shm objects and sockets are shown without root's holders" {
	mk s shm-fd name="$SHM_PREFIX-priv"
	mk u listener path="$T/sock"
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(echo "$output" | jq -c --argjson i "$s_ino" '.objects[] | select(.inode == $i) | [.path, .holders]')" \
		"[\"/dev/shm/$SHM_PREFIX-priv\",[]]"
	assert_equal "$(echo "$output" | jq -c --argjson i "$u_listen_ino" '.objects[] | select(.inode == $i) | [.path, .unix.state, .holders]')" \
		"[\"$T/sock\",\"listen\",[]]"
}

@test "as nobody: the user's own processes are shown with their holders" {
	MK_PREFIX=("${NOBODY[@]}")
	mk n pipe rfd=5 wfd=6
	MK_PREFIX=()
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" list --json --type pipe --pid "$n_pid"
	assert_success
	assert_equal "$(echo "$output" | jq -r --argjson i "$n_ino" '.objects[] | select(.inode == $i) | [.holders[] | "\(.pid):\(.fd):\(.mode):\(.user)"] | join(" ")')" \
		"$(by_pid "$n_pid:5:r:nobody" "$n_child_pid:6:w:nobody")"
}
