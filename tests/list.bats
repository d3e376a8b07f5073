#!/usr/bin/env bats
# ipcscope list: each kind of object with exact pids, fds, modes and inodes.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "fifo: reader and writer in two processes, with their ends" {
	mk f fifo path="$T/ff" rfd=5 wfd=6
	ipc_json --type fifo
	run obj "$f_ino" fifo
	assert_output --partial "\"path\":\"$T/ff\""
	assert_output --partial "\"deleted\":false"
	assert_equal "$(holders_of "$f_ino")" "$(by_pid "$f_pid:5:r:false" "$f_child_pid:6:w:false")"
	assert_equal "$(jqr --argjson i "$f_ino" '.objects[]|select(.inode==$i)|.dev')" "$f_dev"
}

@test "fifo: the table row shows both holders with their modes" {
	mk f fifo path="$T/ff" rfd=5 wfd=6
	run --separate-stderr "$IPCSCOPE" list --type fifo
	assert_success
	assert_line --regexp "^fifo +$f_ino +$T/ff +$(by_pid "$f_pid/mkipc\[5r\]" "$f_child_pid/mkipc\[6w\]")\$"
}

@test "pipe: across a fork, the read end and the write end" {
	mk p pipe rfd=7 wfd=9
	ipc_json --type pipe
	assert_equal "$(holders_of "$p_ino")" "$(by_pid "$p_pid:7:r:false" "$p_child_pid:9:w:false")"
	run obj "$p_ino" pipe
	assert_output --partial '"path":null'
	assert_output --partial "\"dev\":\"$p_dev\""
}

@test "pipe: a reader asleep in read has \"wait\" in the JSON and * in HOLDERS" {
	blocked_pipe b
	ipc_json --type pipe --pid "$b_reader"
	assert_equal "$(jqr --argjson i "$b_ino" '.objects[] | select(.inode==$i) | .holders[] |
		"\(.pid):\(.fd):\(.mode):\(.wait)"' | tr '\n' ' ' | sed 's/ $//')" \
		"$(by_pid "$b_writer:1:w:null" "$b_reader:0:r:read")"
	# mkipc's holders sleep in no call on what they hold
	mk p pipe rfd=7 wfd=9
	ipc_json --type pipe --pid "$p_pid"
	assert_equal "$(jqr --argjson i "$p_ino" '[.objects[] | select(.inode==$i) | .holders[].wait] | unique | join(",")')" ""
	assert_equal "$(jqr --argjson i "$p_ino" '[.objects[] | select(.inode==$i) | .holders[] | has("wait")] | unique | join(",")')" true
	run --separate-stderr "$IPCSCOPE" list --type pipe --pid "$b_reader" -o INODE,HOLDERS,PEER -n
	assert_success
	# HOLDERS marks the reader's entry; PEER is the other end, the writer
	assert_equal "$(awk -v i="$b_ino" '$1 == i { $1 = ""; sub(/^ +/, ""); print }' <<<"$output")" \
		"$(by_pid "$b_writer/sleep[1w]" "$b_reader/cat[0r*]") $b_writer/sleep[1w]"
	# without HOLDERS or PEER nothing shows waits, and the scan reads none
	command -v strace >/dev/null || skip "strace is not installed"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=openat -o "$T/trace" \
		"$IPCSCOPE" list --pid "$b_reader" -o INODE,PIDS >/dev/null 2>&1
	run grep -c 'syscall"' "$T/trace"
	assert_output 0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=openat -o "$T/trace" \
		"$IPCSCOPE" list --pid "$b_reader" -o INODE,HOLDERS >/dev/null 2>&1
	grep -q 'syscall"' "$T/trace" || fail "list -o HOLDERS read no thread's call"
}

@test "show: a line for each thread asleep on the object, with its call and why" {
	blocked_pipe b
	run --separate-stderr "$IPCSCOPE" show "pipe:[$b_ino]"
	assert_success
	assert_line "  waits     $b_reader/cat thread $b_reader in read on fd 0 (empty)"
	run grep -c '^  waits ' <<<"$output"
	assert_output 1
	# the writer sleeps too, but in no call on the pipe
	run --separate-stderr "$IPCSCOPE" show "pipe:[$b_ino]" --json
	assert_success
	assert_equal "$(jq -r '.objects[0].holders[] | "\(.comm):\(.wait)"' <<<"$output" | sort | tr '\n' ' ')" \
		"cat:read sleep:null "
}

@test "unix: a socketpair across two processes" {
	mk s socketpair type=stream fd=4 peerfd=6
	ipc_json --type unix
	assert_equal "$(holders_of "$s_ino")" "$s_pid:4:rw:false"
	assert_equal "$(holders_of "$s_peer_ino")" "$s_child_pid:6:rw:false"
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[]|select(.inode==$i)|"\(.unix.type) \(.unix.state) \(.path)"')" "stream connected null"
}

@test "unix: a seqpacket and a dgram socketpair keep their types" {
	mk q socketpair type=seqpacket
	mk d socketpair type=dgram
	ipc_json --type unix
	assert_equal "$(jqr --argjson i "$q_ino" '.objects[]|select(.inode==$i)|.unix.type')" seqpacket
	assert_equal "$(jqr --argjson i "$d_ino" '.objects[]|select(.inode==$i)|.unix.type')" dgram
}

@test "unix: a listener, its client and the accepted connection" {
	mk l listener path="$T/sock" lfd=3 cfd=4 afd=5
	ipc_json --type unix
	assert_equal "$(jqr --argjson i "$l_listen_ino" '.objects[]|select(.inode==$i)|"\(.path) \(.unix.state) \(.unix.type)"')" "$T/sock listen stream"
	assert_equal "$(holders_of "$l_listen_ino")" "$l_pid:3:rw:false"
	assert_equal "$(holders_of "$l_accepted_ino")" "$l_pid:5:rw:false"
	assert_equal "$(holders_of "$l_client_ino")" "$l_child_pid:4:rw:false"
	assert_equal "$(jqr --argjson i "$l_client_ino" '.objects[]|select(.inode==$i)|.unix.state')" connected
	assert_equal "$(jqr --argjson i "$l_accepted_ino" '.objects[]|select(.inode==$i)|.unix.state')" connected
}

@test "unix: an abstract socket is named @NAME" {
	mk a abstract name="$SHM_PREFIX-abs" type=stream fd=8
	ipc_json --type uds
	assert_equal "$(jqr --argjson i "$a_ino" '.objects[]|select(.inode==$i)|"\(.path) \(.unix.state)"')" "@$SHM_PREFIX-abs listen"
	assert_equal "$(holders_of "$a_ino")" "$a_pid:8:rw:false"
}

@test "unix: a bound datagram socket and an unnamed one" {
	mk d dgram path="$T/dg" fd=3 cfd=4
	mk u unnamed type=dgram fd=5
	ipc_json --type socket
	assert_equal "$(jqr --argjson i "$d_ino" '.objects[]|select(.inode==$i)|"\(.path) \(.unix.type)"')" "$T/dg dgram"
	assert_equal "$(holders_of "$d_client_ino")" "$d_child_pid:4:rw:false"
	assert_equal "$(jqr --argjson i "$u_ino" '.objects[]|select(.inode==$i)|"\(.path) \(.unix.type) \(.unix.state)"')" "null dgram unconnected"
	assert_equal "$(holders_of "$u_ino")" "$u_pid:5:rw:false"
}

@test "shm: held by fd, with size, owner and mode" {
	mk s shm-fd name="$SHM_PREFIX-fd" size=16384 fd=6
	ipc_json --type shm
	run obj "$s_ino" shm
	assert_output --partial "\"path\":\"/dev/shm/$SHM_PREFIX-fd\""
	assert_output --partial '"size":16384'
	assert_output --partial "\"owner\":\"$(id -un)\""
	assert_output --partial '"deleted":false'
	assert_equal "$(holders_of "$s_ino")" "$s_pid:6:rw:false"
}

@test "shm: a read-only fd has mode r" {
	mk s shm-ro name="$SHM_PREFIX-ro" fd=7
	ipc_json --type shm
	assert_equal "$(holders_of "$s_ino")" "$s_pid:7:r:false"
}

@test "shm: mapped with its fd closed is held, not orphaned" {
	mk s shm-mapped name="$SHM_PREFIX-map" size=8192
	ipc_json --type shm
	assert_equal "$(holders_of "$s_ino")" "$s_pid:-:rw:true"
	run "$IPCSCOPE" list --type shm --path "/dev/shm/$SHM_PREFIX-map"
	assert_success
	assert_line --regexp "^shm +$s_ino +/dev/shm/$SHM_PREFIX-map +8\.0K +$s_pid/mkipc\[memrw\]\$"
}

@test "shm: one holder by fd in one process, by mapping in another" {
	mk s shm-shared name="$SHM_PREFIX-sh" fd=5
	ipc_json --type shm
	assert_equal "$(holders_of "$s_ino")" "$(by_pid "$s_pid:5:rw:false" "$s_child_pid:-:rw:true")"
}

@test "shm: an orphaned segment is listed with no holders" {
	mk s shm-orphan name="$SHM_PREFIX-orphan" size=4096
	ipc_json --type shm
	run obj "$s_ino" shm
	assert_output --partial '"holders":[]'
	assert_output --partial '"size":4096'
	assert_output --partial "\"path\":\"/dev/shm/$SHM_PREFIX-orphan\""
}

@test "shm: unlinked but still mapped is listed as deleted" {
	mk s shm-deleted name="$SHM_PREFIX-del" size=8192
	[ ! -e "/dev/shm/$SHM_PREFIX-del" ]
	ipc_json --type shm
	run obj "$s_ino" shm
	assert_output --partial '"deleted":true'
	assert_output --partial "\"path\":\"/dev/shm/$SHM_PREFIX-del\""
	assert_equal "$(holders_of "$s_ino")" "$s_pid:-:rw:true"
	run "$IPCSCOPE" list --type shm
	assert_line --regexp "^shm +$s_ino +/dev/shm/$SHM_PREFIX-del \(deleted\) "
}

@test "shm: a file named like a deleted one is not taken for deleted" {
	mk s shm-fd name="$SHM_PREFIX-x (deleted)" fd=5
	ipc_json --type shm
	run obj "$s_ino" shm
	assert_output --partial '"deleted":false'
	assert_output --partial "\"path\":\"/dev/shm/$SHM_PREFIX-x (deleted)\""
}

@test "memfd: named memfd:NAME, held by fd" {
	mk m memfd name="$SHM_PREFIX-mfd" size=4096 fd=9
	ipc_json --type memfd
	run obj "$m_ino" memfd
	assert_output --partial "\"path\":\"memfd:$SHM_PREFIX-mfd\""
	assert_output --partial '"deleted":false'
	assert_output --partial '"size":4096'
	assert_equal "$(holders_of "$m_ino")" "$m_pid:9:rw:false"
}

@test "memfd: an fd and a mapping in one process make two holder entries" {
	mk m memfd name="$SHM_PREFIX-mfd2" fd=4 map=1
	ipc_json --type memfd
	assert_equal "$(holders_of "$m_ino")" "$m_pid:4:rw:false $m_pid:-:rw:true"
}

@test "memfd: held only by a mapping" {
	mk m memfd-mapped name="$SHM_PREFIX-mfdm"
	ipc_json --type memfd
	assert_equal "$(jqr --argjson i "$m_ino" '.objects[]|select(.inode==$i)|.path')" "memfd:$SHM_PREFIX-mfdm"
	assert_equal "$(holders_of "$m_ino")" "$m_pid:-:rw:true"
}

@test "sem: a named semaphore is type sem, held by its mapping" {
	mk s sem name="$SHM_PREFIX-sem"
	ipc_json --type sem
	run obj "$s_ino" sem
	assert_output --partial "\"path\":\"/dev/shm/sem.$SHM_PREFIX-sem\""
	assert_equal "$(holders_of "$s_ino")" "$s_pid:-:rw:true"
	# and it is not listed as shm
	ipc_json --type shm
	run obj "$s_ino"
	assert_output ""
}
