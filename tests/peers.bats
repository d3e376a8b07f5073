#!/usr/bin/env bats
# Who talks to whom: socket peers through sock_diag, pending connections,
# queues, pipe fill levels, other network namespaces, and `show`.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# field F of the unix (or pipe) part of inode I: u I F
u() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i and .type == \"unix\") | .unix.$2"; }
pp() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i) | .pipe.$2"; }

@test "peers: a socketpair across two processes, both directions" {
	mk s socketpair fd=4 peerfd=6
	ipc_json --type unix
	assert_equal "$(u "$s_ino" peer)" "$s_peer_ino"
	assert_equal "$(u "$s_peer_ino" peer)" "$s_ino"
	assert_equal "$(u "$s_ino" 'peer_holders | map("\(.pid):\(.fd):\(.comm)") | join(" ")')" "$s_child_pid:6:mkipc"
	assert_equal "$(u "$s_peer_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$s_pid:4"
	assert_equal "$(u "$s_ino" source)" sock_diag
}

@test "peers: a listener, its client and the accepted connection" {
	mk l listener path="$T/sock" lfd=3 cfd=4 afd=5
	ipc_json --type unix
	assert_equal "$(u "$l_client_ino" peer)" "$l_accepted_ino"
	assert_equal "$(u "$l_accepted_ino" peer)" "$l_client_ino"
	assert_equal "$(u "$l_listen_ino" peer)" null
	assert_equal "$(u "$l_client_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$l_pid:5"
	assert_equal "$(u "$l_accepted_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$l_child_pid:4"
	assert_equal "$(u "$l_listen_ino" 'pending | length')" 0
	assert_equal "$(u "$l_listen_ino" backlog_max)" 16
}

@test "peers: a connection not yet accepted is pending on the listener" {
	mk p pending path="$T/sock" lfd=3 cfd=4
	ipc_json --type unix
	# the listener lists the waiting client; the client points back at it
	assert_equal "$(u "$p_listen_ino" 'pending | join(",")')" "$p_client_ino"
	assert_equal "$(u "$p_listen_ino" backlog)" 1
	assert_equal "$(u "$p_listen_ino" backlog_max)" 16
	assert_equal "$(u "$p_client_ino" listener)" "$p_listen_ino"
	# its peer is the server's embryo socket, which has no inode yet
	assert_equal "$(u "$p_client_ino" peer)" null
	assert_equal "$(u "$p_client_ino" state)" connected
	# the table says the other end is still in the listener's backlog
	run --separate-stderr "$IPCSCOPE" list --type unix -o INODE,PEER --pid "$p_child_pid"
	assert_line --regexp "^ *$p_client_ino +$p_pid/mkipc\\[3rw\\] \\(backlog\\)\$"
	run --separate-stderr "$IPCSCOPE" list --type unix -o INODE,BACKLOG -n --pid "$p_pid"
	assert_line --regexp "^ *$p_listen_ino +1/16\$"
	run --separate-stderr "$IPCSCOPE" show "socket:[$p_client_ino]"
	assert_line --regexp "^  waiting +in the backlog of listener $p_listen_ino, not accepted yet\$"
	assert_line --regexp "^    $p_pid/mkipc  fd 3  rw  user "
}

@test "peers: a one-way datagram client resolves its peer" {
	mk d dgram path="$T/notify" fd=3 cfd=4
	ipc_json --type unix
	assert_equal "$(u "$d_client_ino" peer)" "$d_ino"
	assert_equal "$(u "$d_client_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$d_pid:3"
	assert_equal "$(u "$d_client_ino" type)" dgram
}

@test "queues: bytes written to a socket and not read" {
	mk s socketpair fd=3 peerfd=4 fill=1234
	ipc_json --type unix
	# the child wrote into its end; it waits in the parent's receive queue
	assert_equal "$(u "$s_ino" rqueue)" 1234
	assert_equal "$(u "$s_peer_ino" rqueue)" 0
	run --separate-stderr "$IPCSCOPE" list --type unix -o INODE,QUEUED --bytes -n --pid "$s_pid"
	assert_line --regexp "^ *$s_ino +1234\$"
}

@test "pipes: queued bytes, capacity, readers and writers" {
	mk p pipe fill=3000
	ipc_json --type pipe
	assert_equal "$(pp "$p_ino" queued)" 3000
	assert_equal "$(pp "$p_ino" capacity)" 65536
	assert_equal "$(pp "$p_ino" readers)" 1
	assert_equal "$(pp "$p_ino" writers)" 1
	assert_equal "$(pp "$p_ino" error)" null
	mk e pipe
	ipc_json --type pipe
	assert_equal "$(pp "$e_ino" queued)" 0
}

@test "pipes: reading the fill level adds no reader or writer" {
	mk f fifo path="$T/ff" rfd=3 wfd=4
	ipc_json --type fifo
	ipc_json --type fifo
	assert_equal "$(pp "$f_ino" readers) $(pp "$f_ino" writers)" "1 1"
	assert_equal "$(pp "$f_ino" capacity)" 65536
	# the FIFO is still held by exactly the helper's two fds
	assert_equal "$(holders_of "$f_ino")" "$(by_pid "$f_pid:3:r:false" "$f_child_pid:4:w:false")"
	[ "$(ls /proc/self/fd | wc -l)" -lt 100 ]
}

@test "pipes: PEER shows the other end from the process asked about" {
	mk p pipe rfd=3 wfd=4
	run --separate-stderr "$IPCSCOPE" list --type pipe -o INODE,PEER -n --pid "$p_pid"
	assert_line --regexp "^ *$p_ino +$p_child_pid/mkipc\\[4w\\]\$"
	run --separate-stderr "$IPCSCOPE" list --type pipe -o INODE,PEER -n --pid "$p_child_pid"
	assert_line --regexp "^ *$p_ino +$p_pid/mkipc\\[3r\\]\$"
}

@test "peers: the PEER column names the process on the other end" {
	mk s socketpair fd=4 peerfd=6
	run --separate-stderr "$IPCSCOPE" list --type unix --pid "$s_pid" -o INODE,HOLDERS,PEER -n
	assert_success
	assert_line --regexp "^ *$s_ino +$s_pid/mkipc\\[4rw\\] +$s_child_pid/mkipc\\[6rw\\]\$"
}

@test "netns: a socket in another network namespace, with its peer" {
	requires_root "to enter another network namespace"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	MK_PREFIX=(unshare -n)
	mk n socketpair fd=3 peerfd=4
	MK_PREFIX=()
	local ours
	ours=$(stat -L -c %i /proc/self/ns/net)
	ipc_json --type unix
	local theirs
	theirs=$(u "$n_ino" netns)
	[[ $theirs =~ ^[0-9]+$ ]] || fail "no netns for the socket: $theirs"
	[ "$theirs" != "$ours" ] || fail "the socket is reported in our own namespace"
	assert_equal "$theirs" "$(stat -L -c %i "/proc/$n_pid/ns/net")"
	assert_equal "$(u "$n_ino" source)" sock_diag
	assert_equal "$(u "$n_ino" peer)" "$n_peer_ino"
	assert_equal "$(holders_of "$n_ino")" "$n_pid:3:rw:false"
}

@test "netns: without root another namespace is read from net/unix, and says so" {
	requires_root "to switch users"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)
	"${nobody[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	# an unprivileged user can make its own network namespace with a user namespace
	unshare -U -n true 2>/dev/null || skip "user namespaces are disabled"
	MK_PREFIX=("${nobody[@]}" unshare -U -r -n)
	mk n socketpair fd=3 peerfd=4
	MK_PREFIX=()
	run --separate-stderr "${nobody[@]}" "$IPCSCOPE" list --json --type unix --pid "$n_pid"
	assert_success
	assert_equal "$(echo "$output" | jq -r --argjson i "$n_ino" '.objects[] | select(.inode == $i) | "\(.unix.source) \(.unix.peer)"')" "procfs null"
	[[ $(echo "$output" | jq -r '.warnings[]') == *"read from /proc/PID/net/unix, without peers"* ]]
}

@test "show: a socket path, by the identity of the file" {
	mk l listener path="$T/app.sock" lfd=3 cfd=4 afd=5
	run --separate-stderr "$IPCSCOPE" show "$T/app.sock"
	assert_success
	assert_line "unix $l_listen_ino"
	assert_line --regexp "^  state +listen\$"
	assert_line --regexp "^    $l_pid/mkipc  fd 3  rw  user $(id -un)\$"
	# accepted sockets are bound to the same file
	assert_line "unix $l_accepted_ino"
	assert_line --regexp "^  peer +socket $l_client_ino\$"
	assert_line --regexp "^    $l_child_pid/mkipc  fd 4  rw  user $(id -un)\$"
}

@test "show: an abstract name, an inode, pipe:[INO] and socket:[INO]" {
	mk a abstract name="$SHM_PREFIX-abs" fd=3
	mk p pipe fill=10
	run --separate-stderr "$IPCSCOPE" show "@$SHM_PREFIX-abs"
	assert_success
	assert_line "unix $a_ino"
	run --separate-stderr "$IPCSCOPE" show "$a_ino"
	assert_line "unix $a_ino"
	run --separate-stderr "$IPCSCOPE" show "socket:[$a_ino]"
	assert_line "unix $a_ino"
	run --separate-stderr "$IPCSCOPE" show "pipe:[$p_ino]"
	assert_success
	assert_line "pipe $p_ino"
	assert_line --regexp "^  queued +10 of 65536 bytes\$"
	assert_line --regexp "^    $p_pid/mkipc  fd 3  r  user "
	assert_line --regexp "^    $p_child_pid/mkipc  fd 4  w  user "
}

@test "show: a /dev/shm path and a FIFO path, with --json in the list schema" {
	mk s shm-shared name="$SHM_PREFIX-seg" fd=5
	mk f fifo path="$T/ff"
	run --separate-stderr "$IPCSCOPE" show --json "/dev/shm/$SHM_PREFIX-seg"
	assert_success
	assert_equal "$(echo "$output" | jq -r '[.version, (.objects | length), .objects[0].inode] | join(" ")')" "1 1 $s_ino"
	assert_equal "$(echo "$output" | jq -r '[.objects[0].holders[] | "\(.pid):\(.fd // "-")"] | join(" ")')" "$(by_pid "$s_pid:5" "$s_child_pid:-")"
	run --separate-stderr "$IPCSCOPE" show "$T/ff"
	assert_success
	assert_line "fifo $f_ino"
}

@test "show: an unknown object is exit 1, 'no IPC object matches X'" {
	run --separate-stderr "$IPCSCOPE" show "$T/nothing-here"
	assert_failure 1
	[[ $stderr == *"ipcscope: no IPC object matches $T/nothing-here" ]]
	run --separate-stderr "$IPCSCOPE" show "pipe:[1]"
	assert_failure 1
	run --separate-stderr "$IPCSCOPE" show
	assert_failure 2
}

@test "peers: sorting the list keeps each socket's peer and its holders" {
	mk s socketpair fd=5 peerfd=6
	ipc_json --type unix --sort -INODE
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode == $i) | "\(.unix.peer) \([.unix.peer_holders[] | "\(.pid):\(.fd)"] | join(","))"')" \
		"$s_peer_ino $s_child_pid:6"
	run --separate-stderr "$IPCSCOPE" list --type unix --pid "$s_pid" --sort INODE -o INODE,PEER
	assert_line --regexp "^ *$s_ino +$s_child_pid/mkipc\\[6rw\\]\$"
}
