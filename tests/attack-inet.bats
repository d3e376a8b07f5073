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
	# a place the attacker can reach: $T is root's alone
	A=$(mktemp -d /tmp/ipcscope-attack.XXXXXX)
	chmod 755 "$A"
}

teardown() {
	common_teardown
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	rm -rf --one-file-system "$A"
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

@test "attack-inet: a v4 UDP socket connected to 127.0.0.1:P, where only a v6-only [::]:P is bound, sends to no one there" {
	own_netns
	MK_PREFIX=(nsenter --net="/run/netns/$NS")
	mk s udp-bind addr=:: fd=10
	# the user's: it names root's port, which takes no v4 datagram
	MK_PREFIX=(nsenter --net="/run/netns/$NS" "${ATTACKER[@]}")
	mk u udp-connect addr=127.0.0.1 port="$s_port" fd=10
	# a v6 one that does reach it
	mk v udp-connect addr=::1 port="$s_port" fd=11
	MK_PREFIX=()
	local b
	for b in proc bpf; do
		ipc_json --backend "$b" --type inet
		assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode == $i) |
			.inet.senders | map(tostring) | join(",")')" "$v_ino"
		assert_equal "$(jqr --argjson i "$u_ino" '[.objects[] | select(.inode == $i)] | length')" 0
		assert_equal "$(jqr --argjson i "$v_ino" '.objects[] | select(.inode == $i) | .inet.peer')" "$s_ino"
	done
}

# A file of the attacker's own tmpfs, named as the kernel names a memfd
# or an attached SysV segment, and mapped: mkipc makes it on a tmpfs on
# the namespace's /dev/shm, which then moves onto its root, so that the
# kernel's d_path gives root "/SYSV0000abcd (deleted)" and
# "/memfd:evil (deleted)". Neither is on the kernel's internal shmem (or
# hugetlbfs) mount: neither is a memfd, nor an attachment of the segment
# of that shmid (the tmpfs's inode), which may be root's.
@test "attack: a tmpfs file of the attacker's named /SYSV0000abcd or /memfd:NAME is no SysV attachment and no memfd" {
	setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urm true 2>/dev/null ||
		skip "an unprivileged user namespace cannot be made here (disabled, or in a chroot)"
	mkdir -m 777 "$A/u"
	"${ATTACKER[@]}" unshare -Urm sh -c '
		mount --make-rprivate / && mount -t tmpfs t /dev/shm || exit 1
		"$1" shm-deleted name=SYSV0000abcd size=4096 >"$2/s.out" 2>&1 </dev/null &
		"$1" shm-deleted name=memfd:evil size=4096 >"$2/m.out" 2>&1 </dev/null &
		i=0
		until grep -qx READY "$2/s.out" && grep -qx READY "$2/m.out"; do
			i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05
		done
		# -n: there is no mtab to write
		mount -n --move /dev/shm / || exit 1
		echo READY; exec sleep 1000' sh "$MKIPC" "$A/u" >"$T/x.out" 2>"$T/x.err" </dev/null 3>&- &
	local x=$! i s m
	MK_PIDS+=("$x")
	for ((i = 0; i < 200; i++)); do
		grep -qx READY "$T/x.out" 2>/dev/null && break
		kill -0 "$x" 2>/dev/null || break
		sleep 0.05
	done
	s=$(sed -n 's/^pid=//p' "$A/u/s.out")
	m=$(sed -n 's/^pid=//p' "$A/u/m.out")
	MK_PIDS+=($s $m)
	grep -qx READY "$T/x.out" || fail "the attacker's setup failed: $(cat "$T/x.err" "$A"/u/*.out)"
	grep -q ' /SYSV0000abcd (deleted)$' "/proc/$s/maps" || fail "no fake SysV mapping: $(cat "/proc/$s/maps")"
	grep -q ' /memfd:evil (deleted)$' "/proc/$m/maps" || fail "no fake memfd mapping"
	local b
	for b in proc bpf; do
		ipc_json --backend "$b" --pid "$s" --pid "$m"
		assert_equal "$(jqr '[.objects[] | select(.type == "sysvshm" or .type == "memfd")] | length')" 0
		ipc_json --backend "$b" --type sysvshm
		assert_equal "$(jqr --argjson s "$s" '[.objects[] | select(any(.holders[]; .pid == $s))] | length')" 0
	done
}
