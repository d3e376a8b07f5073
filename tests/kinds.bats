#!/usr/bin/env bats
# The kinds added through the registry: eventfd, anonymous shared memory,
# and memfds on hugetlbfs.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# the eventfd objects of the last ipc_json whose holders include PID
efd_of() { jqr --argjson p "$1" '[.objects[] | select(.type == "eventfd" and any(.holders[]; .pid == $p))]'; }

@test "eventfd: one object held in both processes, told apart from other eventfds by its id" {
	mk a eventfd fd=7 count=5
	mk b eventfd fd=9 semaphore=1
	ipc_json --type eventfd
	local o
	o=$(efd_of "$a_pid")
	assert_equal "$(jq 'length' <<<"$o")" 1
	assert_equal "$(jq -r '.[0] | [.holders[] | "\(.pid):\(.fd):\(.mode)"] | join(" ")' <<<"$o")" \
		"$(by_pid "$a_pid:7:rw" "$a_child_pid:7:rw")"
	assert_equal "$(jq -r '.[0] | "\(.inode) \(.dev) \(.path)"' <<<"$o")" "$a_ino $a_dev null"
	assert_equal "$(jq -r '.[0].eventfd | "\(.count) \(.semaphore)"' <<<"$o")" "5 false"
	# the other helper's eventfd shares the inode, not the identity
	assert_equal "$(efd_of "$b_pid" | jq -r '.[0] | "\(.inode) \(.eventfd.count) \(.eventfd.semaphore) \([.holders[].fd] | join(","))"')" \
		"$b_ino 0 true 9,9"
	[ "$(efd_of "$a_pid" | jq '.[0].eventfd.id')" != "$(efd_of "$b_pid" | jq '.[0].eventfd.id')" ]
	run --separate-stderr "$IPCSCOPE" list --type eventfd --pid "$a_pid" -o TYPE,INODE,QUEUED,HOLDERS
	assert_success
	local cell
	cell=$(by_pid "$a_pid/mkipc[7rw]" "$a_child_pid/mkipc[7rw]" | sed 's/[][]/\\&/g')
	assert_line --regexp "^eventfd +$a_ino +5B +$cell\$"
	refute_output --partial "[9rw]"
}

@test "eventfd: the counter is read as the kernel writes it, in hex (26 is 1a, 4096 is 1000)" {
	mk a eventfd fd=5 count=26
	mk b eventfd fd=5 count=4096
	ipc_json --type eventfd
	assert_equal "$(efd_of "$a_pid" | jq -r '.[0].eventfd.count')" 26
	assert_equal "$(efd_of "$b_pid" | jq -r '.[0].eventfd.count')" 4096
}

@test "eventfd: show gives id and count; --pid finds the other holder; leaks never lists it" {
	mk a eventfd fd=6 count=2 semaphore=1
	run --separate-stderr "$IPCSCOPE" show --type eventfd --pid "$a_pid" "$a_ino"
	assert_success
	assert_line --regexp '^  id +[0-9]+$'
	assert_line '  count     2 (semaphore)'
	assert_line --regexp "^    $a_child_pid/mkipc +fd 6 +rw"
	run --separate-stderr "$IPCSCOPE" leaks --json --type eventfd
	assert_success
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
}

@test "anonshm: MAP_SHARED|MAP_ANONYMOUS memory, one object mapped by parent and child" {
	mk s anonshm size=131072
	ipc_json --type anonshm
	assert_equal "$(jqr --argjson i "$s_ino" '[.objects[] | select(.inode == $i)] | length')" 1
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode == $i) | "\(.type) \(.size) \(.path) \(.dev)"')" \
		"anonshm 131072 null 0:1"
	assert_equal "$(holders_of "$s_ino")" "$(by_pid "$s_pid:-:rw:true" "$s_child_pid:-:rw:true")"
	run --separate-stderr "$IPCSCOPE" list --type anonshm -o TYPE,INODE,SIZE,PIDS
	assert_line --regexp "^anonshm +$s_ino +128K +$(by_pid "$s_pid" "$s_child_pid" | tr ' ' ,)\$"
	run --separate-stderr "$IPCSCOPE" summary --json
	[ "$(jq '[.types[] | select(.type == "anonshm")][0].size' <<<"$output")" -ge 131072 ]
	run --separate-stderr "$IPCSCOPE" leaks --json --type anonshm
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
}

@test "memfd with MFD_HUGETLB: recognised on hugetlbfs by its name" {
	mk h memfd name="$SHM_PREFIX-huge" huge=1 size=0 fd=8
	ipc_json --type memfd
	assert_equal "$(jqr --argjson i "$h_ino" '.objects[] | select(.inode == $i) | "\(.type) \(.path) \(.dev)"')" \
		"memfd memfd:$SHM_PREFIX-huge $h_dev"
	assert_equal "$(holders_of "$h_ino")" "$h_pid:8:rw:false"
}

@test "--type takes the new kinds, and usage lists them" {
	run --separate-stderr "$IPCSCOPE" list --type eventfd,anonshm -o TYPE
	assert_success
	run --separate-stderr "$IPCSCOPE" list --type bogus
	assert_failure 2
	assert_equal "$stderr" "ipcscope: unknown type 'bogus' (choose from fifo, pipe, unix, shm, memfd, sem, sysvshm, mqueue, eventfd, anonshm, inet, all)"
}
