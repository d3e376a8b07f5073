#!/usr/bin/env bats
# Containers: every namespace's /dev/shm, mqueue filesystem and SysV
# segments, seen from the host and from inside, named by container, and
# cleaned through their own namespace.

load helpers/common
load helpers/container

setup() { common_setup; }
teardown() {
	common_teardown
	ctr_stop
}

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)

# The object of TYPE whose path (or, with no path, inode) is $2, from the
# last ipc_json, compact.
obj_path() { jq -c --arg t "$1" --arg p "$2" '.objects[] | select(.type == $t and .path == $p)' "$T/ipc.json"; }

@test "container: its /dev/shm files held by fd only, mapped only, and orphaned, seen from the host" {
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk f shm-fd name="$SHM_PREFIX-fd" fd=7
	mk m shm-mapped name="$SHM_PREFIX-map"
	mk o shm-orphan name="$SHM_PREFIX-orph"
	MK_PREFIX=()
	# the container's tmpfs is not ours
	[ "$f_dev" != "$(stat -c '%Hd:%Ld' /dev/shm)" ]
	[ ! -e "/dev/shm/$SHM_PREFIX-fd" ]
	ipc_json -t shm
	local fo mo
	fo=$(obj_path shm "/dev/shm/$SHM_PREFIX-fd")
	assert_equal "$(jq -r '"\(.inode) \(.dev) \(.mntns) \(.home_pid != null)"' <<<"$fo")" \
		"$f_ino $f_dev $CTR_MNTNS true"
	assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.fd):\(.mode):\(.mapped)"] | join(" ")' <<<"$fo")" \
		"$f_pid:7:rw:false"
	mo=$(obj_path shm "/dev/shm/$SHM_PREFIX-map")
	assert_equal "$(jq -r '"\(.inode) \(.mntns)"' <<<"$mo")" "$m_ino $CTR_MNTNS"
	assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.mapped)"] | join(" ")' <<<"$mo")" "$m_pid:true"
	# the table says whose it is
	run --separate-stderr "$IPCSCOPE" list -t shm -o INODE,PATH,HOLDERS
	assert_success
	assert_line --regexp "^ *$f_ino +/dev/shm/$SHM_PREFIX-fd \[(mnt:\[$CTR_MNTNS\]|container [0-9a-f]{12})\] +$f_pid/mkipc\[7rw\]\$"
	# the orphan is a leak of that namespace, certain once every process was read
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE" leaks --json -t shm
	assert_success
	assert_equal "$(jq -r --arg p "/dev/shm/$SHM_PREFIX-orph" '.objects[] | select(.path == $p) |
		"\(.inode) \(.reason) \(.certain) \(.mntns)"' <<<"$output")" "$o_ino orphaned-shm true $CTR_MNTNS"
	assert_equal "$(jq -r --arg p "/dev/shm/$SHM_PREFIX-fd" '[.objects[] | select(.path == $p)] | length' <<<"$output")" 0
}

@test "container: its message queue, held and listed, with its IPC namespace" {
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk q mqueue name="$SHM_PREFIX-q" fd=6
	MK_PREFIX=()
	ipc_json -t mqueue
	local qo
	qo=$(obj_path mqueue "$CTR_MQ/$SHM_PREFIX-q")
	[ -n "$qo" ] || fail "no queue $CTR_MQ/$SHM_PREFIX-q in: $(cat "$T/ipc.json")"
	assert_equal "$(jq -r '"\(.inode) \(.dev) \(.ipcns)"' <<<"$qo")" "$q_ino $q_dev $CTR_IPCNS"
	assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.fd)"] | join(" ")' <<<"$qo")" "$q_pid:6"
}

@test "container: SysV segments of its IPC namespace with their attachers; every identity is unique" {
	ctr_start
	mk h sysvshm
	MK_PREFIX=("${CTR_IN[@]}")
	mk a sysvshm
	mk o sysvshm-orphan
	MK_PREFIX=()
	ipc_json -t sysvshm
	# (inode, dev, ipcns) is the identity: no two objects share it
	assert_equal "$(jqr '[.objects[] | [.inode, .dev, .ipcns]] | (length == (unique | length))')" true
	local ao
	ao=$(jq -c --argjson i "$a_shmid" --argjson n "$CTR_IPCNS" \
		'.objects[] | select(.inode == $i and .ipcns == $n)' "$T/ipc.json")
	assert_equal "$(jq -r '"\(.sysv.nattch) \(.home_pid != null)"' <<<"$ao")" "1 true"
	assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.mapped)"] | join(" ")' <<<"$ao")" "$a_pid:true"
	# ours is in our namespace, with its own attacher
	assert_equal "$(jq -r --argjson i "$h_shmid" --argjson n "$(stat -Lc %i /proc/self/ns/ipc)" \
		'.objects[] | select(.inode == $i and .ipcns == $n) | [.holders[].pid] | join(" ")' "$T/ipc.json")" "$h_pid"
	# nsenter's ipcs sees the container's orphan; so do leaks, certain
	run nsenter -t "$CTR_PID" -i ipcs -m -i "$o_shmid"
	assert_success
	run --separate-stderr "$IPCSCOPE" leaks --json -t sysvshm
	assert_success
	assert_equal "$(jq -r --argjson i "$o_shmid" --argjson n "$CTR_IPCNS" \
		'.objects[] | select(.inode == $i and .ipcns == $n) | "\(.reason) \(.certain)"' <<<"$output")" \
		"orphaned-sysvshm true"
}

@test "container: clean removes its orphans through its own namespace and keeps what is held" {
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk f shm-fd name="$SHM_PREFIX-held"
	mk o shm-orphan name="$SHM_PREFIX-orph"
	mk s sysvshm-orphan
	mk a sysvshm
	MK_PREFIX=()
	# a file of the same name here, held: the container's is another object
	mk here shm-fd name="$SHM_PREFIX-orph"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE" clean -t shm,sysvshm
	assert_success
	assert_line --regexp "^would remove shm /dev/shm/$SHM_PREFIX-orph \[(mnt:\[$CTR_MNTNS\]|container [0-9a-f]{12})\] \(8.0K, orphaned-shm\)\$"
	assert_line --regexp "^would remove sysvshm shmid $s_shmid \(key 0x00000000\) \[(ipc:\[$CTR_IPCNS\]|container [0-9a-f]{12})\] \(8.0K, orphaned-sysvshm\)\$"
	run --separate-stderr "$IPCSCOPE" clean --force -t shm,sysvshm -P "/dev/shm/$SHM_PREFIX-*" -P 'key 0x00000000'
	assert_success
	assert_line --partial "removed shm /dev/shm/$SHM_PREFIX-orph"
	assert_line --partial "removed sysvshm shmid $s_shmid"
	refute_line --partial "$SHM_PREFIX-held"
	# gone in there; what is held, there and here, is still there
	run nsenter -t "$CTR_PID" -m -r stat -c %i "/dev/shm/$SHM_PREFIX-orph"
	assert_failure
	run nsenter -t "$CTR_PID" -m -r stat -c %i "/dev/shm/$SHM_PREFIX-held"
	assert_output "$f_ino"
	# ipcs -i says so, with status 0, when an id is not there
	run nsenter -t "$CTR_PID" -i ipcs -m -i "$s_shmid"
	assert_output --partial "id $s_shmid not found"
	run nsenter -t "$CTR_PID" -i ipcs -m -i "$a_shmid"
	assert_success
	refute_output --partial "not found"
	[ "$(stat -c %i "/dev/shm/$SHM_PREFIX-orph")" = "$here_ino" ]
}

@test "inside the container: its own objects are seen, the host's processes are said to be unseen, nothing is certainly leaked" {
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk f shm-fd name="$SHM_PREFIX-fd"
	mk o shm-orphan name="$SHM_PREFIX-orph"
	MK_PREFIX=()
	local inside=(nsenter -t "$CTR_PID" -a -r -w)
	run --separate-stderr "${inside[@]}" "$IPCSCOPE" list --json -t shm
	assert_success
	# the holder runs in the host's pid namespace: from in there it is not seen
	assert_equal "$(jq -r --arg p "/dev/shm/$SHM_PREFIX-fd" '.objects[] | select(.path == $p) |
		"\(.inode) \(.mntns) \(.home_pid) \(.holders | length)"' <<<"$output")" "$f_ino $CTR_MNTNS null 0"
	[[ $stderr == *"runs in a pid namespace that is not the host's"* ]]
	run --separate-stderr "${inside[@]}" "$IPCSCOPE" leaks --exit-code -t shm
	assert_success
	assert_line --regexp "^shm +$f_ino +/dev/shm/$SHM_PREFIX-fd .* orphaned-shm +no\$"
	assert_line --regexp "^shm +$o_ino +/dev/shm/$SHM_PREFIX-orph .* orphaned-shm +no\$"
	run --separate-stderr "${inside[@]}" "$IPCSCOPE" clean --force -t shm
	assert_success
	refute_line --partial "removed"
	run nsenter -t "$CTR_PID" -m -r stat -c %i "/dev/shm/$SHM_PREFIX-orph"
	assert_output "$o_ino"
}

@test "container: named by its docker-like cgroup scope; --container and --cgroup select it" {
	ctr_start
	requires_container_cgroup
	MK_PREFIX=("${CTR_IN[@]}")
	mk f shm-fd name="$SHM_PREFIX-fd"
	mk o shm-orphan name="$SHM_PREFIX-orph"
	MK_PREFIX=()
	ctr_join f
	mk h shm-fd name="$SHM_PREFIX-host"
	ipc_json -t shm
	assert_equal "$(jq -r '"\(.container) \(.holders[0].container) \(.holders[0].cgroup)"' \
		<<<"$(obj_path shm "/dev/shm/$SHM_PREFIX-fd")")" "$CTR_ID $CTR_ID $CTR_CGROUP"
	# an orphan belongs to the container of its namespace
	assert_equal "$(jq -r .container <<<"$(obj_path shm "/dev/shm/$SHM_PREFIX-orph")")" "$CTR_ID"
	assert_equal "$(jq -r '"\(.container) \(.holders[0].container)"' \
		<<<"$(obj_path shm "/dev/shm/$SHM_PREFIX-host")")" "null null"
	run --separate-stderr "$IPCSCOPE" list -t shm --container "$CTR_ID" -o INODE,PATH
	assert_success
	assert_line --regexp "^ *$f_ino +/dev/shm/$SHM_PREFIX-fd \[container $CTR_ID\]\$"
	assert_line --regexp "^ *$o_ino +/dev/shm/$SHM_PREFIX-orph \[container $CTR_ID\]\$"
	refute_line --partial "$SHM_PREFIX-host"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE" leaks -t shm --container "$CTR_ID"
	assert_success
	assert_line --regexp "^shm +$o_ino +/dev/shm/$SHM_PREFIX-orph \[container $CTR_ID\] .* orphaned-shm +yes\$"
}
