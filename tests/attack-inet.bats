#!/usr/bin/env bats
# An unprivileged user against root's scans of TCP and UDP sockets
# (kinds/inet.c, collect/inet.c): sockets of theirs made to look like the
# other end of root's.

load helpers/common

setup() {
	common_setup
	requires_root "to play root against an unprivileged attacker"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
	ATTACKER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	NS=
}

teardown() {
	common_teardown
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
}

# a network namespace of this test's own (ip netns), loopback up, where
# a v6 socket bound to the wildcard is v6-only, as a daemon's often is
# (nginx's [::]:80, say): 0.0.0.0 and [::] on one port are then two
# listeners, of two users
own_netns() {
	NS="ipcscope-atk-$$-$BATS_TEST_NUMBER"
	ip netns add "$NS" || skip "cannot add a network namespace here"
	ip -n "$NS" link set lo up
	ip netns exec "$NS" sysctl -qw net.ipv6.bindv6only=1 2>/dev/null ||
		skip "no IPv6 in a new network namespace here"
	ip -n "$NS" -6 addr show dev lo | grep -q '::1' || skip "no IPv6 loopback here"
}

@test "attack-inet: a user's 0.0.0.0:P beside root's v6-only [::]:P: root's waiting [::1] client is root's listener's, not the user's" {
	own_netns
	MK_PREFIX=(nsenter --net="/run/netns/$NS")
	mk r tcp-listen addr=:: lfd=10
	MK_PREFIX=(nsenter --net="/run/netns/$NS" "${ATTACKER[@]}")
	mk u tcp-listen addr=0.0.0.0 port="$r_lport" lfd=10
	MK_PREFIX=(nsenter --net="/run/netns/$NS")
	# root's client, in the backlog of root's listener (never accepted)
	mk c tcp-connect addr=::1 port="$r_lport" fd=11
	MK_PREFIX=()
	nsenter --net="/run/netns/$NS" ss -Htanpe | grep -q " ino:$u_listen_ino " || fail "the user's listener is not there"
	local b
	for b in proc bpf; do
		ipc_json --backend "$b" --type inet
		assert_equal "$(jqr --argjson i "$c_ino" '.objects[] | select(.inode == $i) | .inet.listener')" \
			"$r_listen_ino"
		assert_equal "$(jqr --argjson i "$r_listen_ino" '.objects[] | select(.inode == $i) |
			.inet.pending | join(",")')" "$c_ino"
		# the user's listener has no local client: not listed, or with none
		assert_equal "$(jqr --argjson i "$u_listen_ino" '[.objects[] | select(.inode == $i) |
			.inet.pending // [] | .[]] | length')" 0
	done
}
