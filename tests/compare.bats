#!/usr/bin/env bats
# ipcscope agrees with util-linux lsfd on every (pid, fd, inode) of pipes,
# FIFOs, UNIX sockets and /dev/shm files and on every /dev/shm mapping, and
# lists every UNIX socket that ss -xa lists, with the same peers.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "agrees with lsfd and ss on the live system" {
	command -v lsfd >/dev/null || skip "lsfd (util-linux) is not installed"
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	mk f fifo path="$T/ff"
	mk p pipe
	mk s socketpair type=seqpacket
	mk l listener path="$T/sock"
	mk a abstract name="$SHM_PREFIX-abs"
	mk d dgram path="$T/dg"
	mk h shm-fd name="$SHM_PREFIX-fd"
	mk m shm-mapped name="$SHM_PREFIX-map"
	mk x shm-shared name="$SHM_PREFIX-sh"
	mk e sem name="$SHM_PREFIX-sem"
	run "$TOP/tests/helpers/compare-live.sh" "$IPCSCOPE" "$T/cmp"
	assert_success
	# the helpers' own objects were among those compared
	grep -qx "$f_child_pid 4 $f_ino" "$T/cmp/stable.fds"
	grep -qx "$l_child_pid 4 $l_client_ino" "$T/cmp/stable.fds"
	grep -qx "$h_pid 3 $h_ino" "$T/cmp/stable.fds"
	grep -qx "$m_pid $m_ino" "$T/cmp/stable.maps"
	grep -qx "$x_child_pid $x_ino" "$T/cmp/stable.maps"
	grep -qx "$a_ino" "$T/cmp/ss.stable"
	grep -qx "$l_client_ino $l_accepted_ino" "$T/cmp/ss.peers"
	grep -qx "$s_ino $s_peer_ino" "$T/cmp/ss.peers"
	grep -qx "$d_client_ino $d_ino" "$T/cmp/ss.peers"
}
