#!/usr/bin/env bats
# Sockets away from our network namespace, and what a socket says of its
# ends: sockets made in a namespace that no process is in and no mount
# keeps, handed over with SCM_RIGHTS (util-linux test_mkfds' unix-in-netns
# and foreign-sockets scenes); the object-level home of a container's
# sockets; a dgram server's senders; shutdown and O_NONBLOCK.

load helpers/common
load helpers/container

NETNS=""

setup() { common_setup; }
teardown() {
	common_teardown
	ctr_stop
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null || true
	[ -z "${UDIR:-}" ] || rm -rf "$UDIR"
}

# jq expression E over the unix part of inode I: u I E
u() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i and .type == \"unix\") | .unix | $2"; }

# "fd:inode" of each UNIX socket fd of pid $1 that lsfd lists, sorted
lsfd_unix_fds() {
	lsfd -n -r -p "$1" -o FD,INODE,PROTONAME | awk '$3 ~ /^UNIX/ { print $1 ":" $2 }' | sort | tr '\n' ' '
}

# the same from the last ipc_json
ours_unix_fds() {
	jqr --argjson p "$1" '.objects[] | select(.type == "unix") | .inode as $i |
		.holders[] | select(.pid == $p) | "\(.fd):\($i)"' | sort | tr '\n' ' '
}

# The three sockets of netns-pass NAME, all held by its pid, in namespace
# NETNS_INO, with what sock_diag in that namespace says of them.
assert_passed() {
	local n=$1 ns=$2 path=$3 pid ino peer lino
	pid=${n}_pid ino=${n}_ino peer=${n}_peer_ino lino=${n}_listen_ino
	assert_equal "$(holders_of "${!ino}")" "${!pid}:3:rw:false"
	assert_equal "$(holders_of "${!peer}")" "${!pid}:4:rw:false"
	assert_equal "$(holders_of "${!lino}")" "${!pid}:5:rw:false"
	assert_equal "$(u "${!ino}" '"\(.netns) \(.source) \(.type) \(.state) \(.peer)"')" \
		"$ns sock_diag stream connected ${!peer}"
	assert_equal "$(u "${!peer}" '"\(.netns) \(.source) \(.peer)"')" "$ns sock_diag ${!ino}"
	assert_equal "$(u "${!lino}" '"\(.netns) \(.source) \(.state) \(.backlog_max)"')" \
		"$ns sock_diag listen 16"
	assert_equal "$(jqr --argjson i "${!lino}" '.objects[] | select(.inode == $i) | .path')" "$path"
	assert_equal "$(u "${!ino}" '.peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "${!pid}:4"
}

@test "netns: sockets made in an ip netns that is then deleted, passed by SCM_RIGHTS to a host process, are listed with their holders" {
	requires_root "to make a network namespace"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	NETNS="ipcscope-test-$$-$BATS_TEST_NUMBER"
	ip netns add "$NETNS" || skip "cannot add a network namespace here"
	mk n netns-pass netns="/run/netns/$NETNS" path="$T/l.sock"
	# no process and no mount keeps it now: only the sockets
	ip netns del "$NETNS"
	NETNS=""
	[ "$n_netns" != "$(stat -Lc %i /proc/self/ns/net)" ] || fail "the sockets are in our namespace"
	[ "$n_netns" != "$(stat -Lc %i "/proc/$n_pid/ns/net")" ] || fail "the holder is in their namespace"
	ipc_json --type unix --pid "$n_pid"
	assert_passed n "$n_netns" "$T/l.sock"
	# the whole listing too, not only --pid's
	ipc_json --type unix
	assert_passed n "$n_netns" "$T/l.sock"
	if command -v lsfd >/dev/null; then
		assert_equal "$(ours_unix_fds "$n_pid")" "$(lsfd_unix_fds "$n_pid")"
	fi
	run "$IPCSCOPE" list --type unix --pid "$n_pid" -o INODE,PATH,NETNS,HOLDERS
	assert_success
	assert_line --regexp "^ *$n_listen_ino +$T/l.sock +$n_netns +$n_pid/mkipc\\[5rw\\]\$"
}

@test "netns: sockets made in a namespace of their own (unshare in a child that exits) are listed with their holders" {
	requires_root "to make a network namespace"
	mk n netns-pass path="$T/l.sock" type=stream
	[ "$n_netns" != "$(stat -Lc %i /proc/self/ns/net)" ] || fail "the sockets are in our namespace"
	ipc_json --type unix
	assert_passed n "$n_netns" "$T/l.sock"
	if command -v lsfd >/dev/null; then
		assert_equal "$(ours_unix_fds "$n_pid")" "$(lsfd_unix_fds "$n_pid")"
	fi
}

@test "netns: a user who may not enter the sockets' namespace still sees them held, and is told what is unknown" {
	requires_root "to switch users"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	UDIR=$(mktemp -d /tmp/ipcscope-netns.XXXXXX)
	chmod 777 "$UDIR"
	# a user namespace of its own lets nobody make a network namespace
	"${nobody[@]}" unshare -U -r true 2>/dev/null || skip "user namespaces are not allowed here"
	MK_PREFIX=("${nobody[@]}" unshare -U -r)
	mk n netns-pass path="$UDIR/l.sock"
	MK_PREFIX=()
	"${nobody[@]}" env -u IPCSCOPE_BACKEND "$IPCSCOPE" list --json --type unix --pid "$n_pid" >"$T/ipc.json" 2>"$T/ipc.err" ||
		fail "ipcscope failed: $(cat "$T/ipc.err")"
	assert_equal "$(holders_of "$n_ino")" "$n_pid:3:rw:false"
	assert_equal "$(holders_of "$n_peer_ino")" "$n_pid:4:rw:false"
	assert_equal "$(holders_of "$n_listen_ino")" "$n_pid:5:rw:false"
	# SIOCGSKNS names the namespace; entering it to dump it needs root
	assert_equal "$(u "$n_ino" '"\(.netns) \(.source) \(.type) \(.peer) \(.shutdown)"')" \
		"$n_netns fd stream null null"
	assert_equal "$(u "$n_listen_ino" '"\(.source) \(.state) \(.pending)"')" "fd listen null"
	grep -q "3 UNIX sockets of network namespaces that could not be dumped" "$T/ipc.err" ||
		fail "no warning: $(cat "$T/ipc.err")"
}

@test "netns: a socket in a container's network namespace has the container's home_pid and container" {
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk c socketpair fd=3 peerfd=4
	MK_PREFIX=()
	ctr_join c
	local ns
	ns=$(stat -Lc %i "/proc/$CTR_PID/ns/net")
	ipc_json --type unix
	local home
	home=$(jqr --argjson i "$c_ino" '.objects[] | select(.inode == $i) | .home_pid')
	[[ $home =~ ^[0-9]+$ ]] || fail "no home_pid: $home"
	assert_equal "$(stat -Lc %i "/proc/$home/ns/net")" "$ns"
	assert_equal "$(u "$c_ino" .netns)" "$ns"
	if [ -n "$CTR_ID" ]; then
		assert_equal "$(jqr --argjson i "$c_ino" '.objects[] | select(.inode == $i) | .container')" "$CTR_ID"
		assert_equal "$(jqr --argjson i "$c_peer_ino" '.objects[] | select(.inode == $i) | .container')" "$CTR_ID"
	fi
	# our own namespace's sockets have none
	mk h socketpair fd=3 peerfd=4
	ipc_json --type unix
	assert_equal "$(jqr --argjson i "$h_ino" '.objects[] | select(.inode == $i) | "\(.home_pid) \(.container)"')" "null null"
}

@test "peers: a dgram server's PEER and peer_holders are the senders connected to it" {
	mk d dgram path="$T/d.sock" fd=3 cfd=4
	ipc_json --type unix
	assert_equal "$(u "$d_ino" '.senders | join(",")')" "$d_client_ino"
	assert_equal "$(u "$d_ino" '.peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$d_child_pid:4"
	# the sender's own peer is the server, as before
	assert_equal "$(u "$d_client_ino" .peer)" "$d_ino"
	assert_equal "$(u "$d_client_ino" '.peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$d_pid:3"
	assert_equal "$(u "$d_client_ino" '.senders | length')" 0
	run "$IPCSCOPE" list --type unix -o INODE,PEER,HOLDERS
	assert_success
	assert_line --regexp "^ *$d_ino +$d_child_pid/mkipc\\[4rw\\] +$d_pid/mkipc\\[3rw\\]\$"
	# --pid on the server: its sender is the other end
	run "$IPCSCOPE" list --type unix --pid "$d_pid" -o INODE,PEER
	assert_success
	assert_line --regexp "^ *$d_ino +$d_child_pid/mkipc\\[4rw\\]\$"
	run "$IPCSCOPE" show "$d_ino"
	assert_success
	assert_line --regexp "^ +sender +socket $d_client_ino connected to it\$"
}

@test "shutdown: read, write and both, on a socket and as its peer sees it, and nonblock" {
	local how want peer
	for how in rd wr rdwr; do
		case $how in
		rd) want=read peer=write ;;
		wr) want=write peer=read ;;
		rdwr) want=both peer=both ;;
		esac
		mk s sock-shutdown how="$how" nonblock=1
		ipc_json --type unix
		assert_equal "$(u "$s_ino" '"\(.shutdown) \(.nonblock)"')" "$want true"
		assert_equal "$(u "$s_peer_ino" '"\(.shutdown) \(.nonblock)"')" "$peer false"
		run "$IPCSCOPE" list --type unix --pid "$s_pid" -o INODE,SHUTDOWN,NONBLOCK
		assert_success
		assert_line --regexp "^ *$s_ino +$want +yes\$"
		assert_line --regexp "^ *$s_peer_ino +$peer +no\$"
		mk_stop s
	done
	# untouched: both directions open, blocking
	mk p socketpair fd=3 peerfd=4
	ipc_json --type unix
	assert_equal "$(u "$p_ino" '"\(.shutdown) \(.nonblock)"')" "none false"
	run "$IPCSCOPE" list --type unix --pid "$p_pid" -o INODE,SHUTDOWN,NONBLOCK
	assert_success
	assert_line --regexp "^ *$p_ino +none +no\$"
}
