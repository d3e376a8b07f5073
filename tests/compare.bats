#!/usr/bin/env bats
# ipcscope agrees with util-linux lsfd on every (pid, fd, inode) of pipes,
# FIFOs, UNIX sockets and /dev/shm files and on every /dev/shm mapping, and
# lists every UNIX socket that ss -xa lists, with the same peers.

load helpers/common
load helpers/neighbours
load helpers/container

setup() { common_setup; }
teardown() {
	common_teardown
	ctr_stop
}

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

@test "agrees with lsfd and ss while neighbours with hostile names run" {
	command -v lsfd >/dev/null || skip "lsfd (util-linux) is not installed"
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	# sockets whose paths hold spaces, newlines, tabs, ESC, 0xff, quotes and
	# a backslash, such /dev/shm names, and a comm with control bytes
	start_hostile_neighbours
	run "$TOP/tests/helpers/compare-live.sh" "$IPCSCOPE" "$T/cmp"
	assert_success
	# the neighbours were among those compared, the sockets with their peers
	grep -qx "$hn_listen_listen_ino" "$T/cmp/ss.stable"
	grep -qx "$hn_listen_accepted_ino $hn_listen_client_ino" "$T/cmp/ss.peers"
	grep -qx "$hn_dgram_client_ino $hn_dgram_ino" "$T/cmp/ss.peers"
	grep -qx "$hn_abstract_ino" "$T/cmp/ss.stable"
	grep -qx "$hn_listen_pid 3 $hn_listen_listen_ino" "$T/cmp/stable.fds"
	grep -qx "$hn_fifo_pid 3 $hn_fifo_ino" "$T/cmp/stable.fds"
	grep -qx "$hn_shm_pid 3 $hn_shm_ino" "$T/cmp/stable.fds"
	grep -qx "$hn_comm_pid 3 $hn_comm_ino" "$T/cmp/stable.fds"
	# every record of ss was read: as many as ss has sockets
	[ "$(wc -l <"$T/cmp/ss1.records")" -ge 6 ]
	grep -qx "$hn_listen_listen_ino 0" "$T/cmp/ss1.records"
}

@test "compare-live.sh reads ss records whose paths hold newlines and spaces" {
	command -v lsfd >/dev/null || skip "lsfd (util-linux) is not installed"
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	mk a listener path="$T/a b"
	mk n listener path="$T/new\nline 1 * 2"
	run "$TOP/tests/helpers/compare-live.sh" "$IPCSCOPE" "$T/cmp"
	assert_success
	# no record is split at the newline or misread at the spaces
	grep -qx "$a_listen_ino 0" "$T/cmp/ss1.records"
	grep -qx "$n_listen_ino 0" "$T/cmp/ss1.records"
	grep -qx "$n_accepted_ino $n_client_ino" "$T/cmp/ss1.records"
	grep -qx "$n_client_ino $n_accepted_ino" "$T/cmp/ss1.records"
	run awk 'NF != 2 || $1 !~ /^[1-9][0-9]*$/ || $2 !~ /^[0-9]+$/' "$T/cmp/ss1.records"
	assert_output ""
}

@test "compare-live.sh leaves out processes under another root, whose /dev/shm lsfd cannot name" {
	command -v lsfd >/dev/null || skip "lsfd (util-linux) is not installed"
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	requires_root "to chroot"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	# a chroot as another fresh root or a container would be: / again,
	# mounted at $T/root in a mount namespace that ends with the process
	mkdir "$T/root"
	MK_PREFIX=(unshare -m --propagation private sh -c 'mount --rbind / "$0" && exec chroot "$0" "$@"' "$T/root")
	mk c shm-fd name="$SHM_PREFIX-chroot"
	MK_PREFIX=()
	# seen from here, its segment is not /dev/shm/... (the full name
	# depends on where this test's own root is, as in a chroot)
	run readlink "/proc/$c_pid/fd/3"
	[[ $output == *"$T/root/dev/shm/$SHM_PREFIX-chroot" ]] || fail "link: $output"
	mk h shm-fd name="$SHM_PREFIX-here"
	run "$TOP/tests/helpers/compare-live.sh" "$IPCSCOPE" "$T/cmp"
	assert_success
	grep -qx "$h_pid 3 $h_ino" "$T/cmp/stable.fds"
	run grep "^$c_pid " "$T/cmp/ipc.fds" "$T/cmp/stable.fds"
	assert_output ""
}

@test "agrees with lsfd on a container's /dev/shm descriptors; its mappings are in its maps" {
	command -v lsfd >/dev/null || skip "lsfd (util-linux) is not installed"
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	ctr_start
	MK_PREFIX=("${CTR_IN[@]}")
	mk f shm-fd name="$SHM_PREFIX-ctr" fd=5
	mk m shm-mapped name="$SHM_PREFIX-ctrmap"
	MK_PREFIX=()
	# from a chroot (a fresh root), the kernel names the container's file
	# below the real root, which the comparison cannot take as /dev/shm
	local name
	name=$(lsfd -p "$f_pid" -n -o ASSOC,NAME | awk '$1 == 5 { print $2 }')
	[[ $name == /dev/shm/* ]] || skip "lsfd names the container's file $name from here"
	run "$TOP/tests/helpers/compare-live.sh" "$IPCSCOPE" "$T/cmp"
	# 1 is a difference, the one kept below; anything else is a failure
	[[ $status =~ ^[01]$ ]] || fail "compare-live.sh failed (status $status): $output"
	# lsfd names the descriptors /dev/shm/... too: compared, and agreed
	grep -qx "$f_pid 5 $f_ino" "$T/cmp/stable.fds"
	grep -qx "$f_pid 5 $f_ino" "$T/cmp/ipc.fds"
	# lsfd 2.38 leaves out a mapping of another mount namespace's /dev/shm,
	# the only difference every comparison found; the process's maps have
	# it, with the inode ipcscope gives
	grep -qx "$m_pid $m_ino" "$T/cmp/ipc.maps"
	grep -q " $m_ino *[ ]/dev/shm/$SHM_PREFIX-ctrmap\$" "/proc/$m_pid/maps"
	run grep -vx "extra.maps: $m_pid $m_ino" "$T/cmp/diffs.kept"
	assert_output ""
}
