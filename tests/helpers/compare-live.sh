#!/usr/bin/env bash
# Compares ipcscope with util-linux lsfd and iproute2 ss on the live system.
#
#   compare-live.sh IPCSCOPE [WORKDIR]
#
# lsfd and ss run twice, before and after ipcscope, so that only what was
# stable across the whole window is held against ipcscope:
#  - every (pid, fd, inode) of a FIFO, pipe, UNIX socket or /dev/shm file
#    that both lsfd runs agree on must be in ipcscope's output, and every such
#    triple ipcscope reports for a process alive throughout must be in one of
#    the lsfd runs;
#  - every (pid, inode) /dev/shm mapping of a name that still exists, likewise;
#  - every UNIX socket inode that both `ss -xa` runs list must appear, and
#    every peer inode they agree on must be ipcscope's unix.peer.
# Prints counts and any difference; exits 1 on a difference.
set -euo pipefail
ipc=$1
w=${2:-$(mktemp -d)}
mkdir -p "$w"

lsfd_cols=PID,ASSOC,TYPE,INODE,NAME,PROTONAME
fds_of_lsfd() {
	jq -r '.lsfd[] | select(.assoc | test("^[0-9]+$")) |
		select(.type == "FIFO" or (.type == "SOCK" and (.protoname // "" | startswith("UNIX"))) or
		       (.type == "REG" and (.name | startswith("/dev/shm/")))) |
		"\(.pid) \(.assoc) \(.inode)"' "$1" | sort -u
}
maps_of_lsfd() {
	jq -r '.lsfd[] | select((.assoc == "mem" or .assoc == "shm") and (.name | startswith("/dev/shm/"))) |
		"\(.pid) \(.inode)"' "$1" | sort -u
}
ss_inodes() {
	# the local inode is the third field from the end, whatever the path holds
	ss -xaH | awk '{ print $(NF-2) }' | sort -u
}
ss_peers() {
	# "inode peer" for every socket with a peer inode
	ss -xaH | awk '$(NF) ~ /^[1-9][0-9]*$/ { print $(NF-2), $(NF) }' | sort -u
}

lsfd -J -o "$lsfd_cols" >"$w/lsfd1.json"
ss_inodes >"$w/ss1"
ss_peers >"$w/sp1"
"$ipc" list --json >"$w/ipc.json" 2>"$w/ipc.err"
lsfd -J -o "$lsfd_cols" >"$w/lsfd2.json"
ss_inodes >"$w/ss2"
ss_peers >"$w/sp2"

alive() {
	local pid
	while read -r pid rest; do
		[ -d "/proc/$pid" ] && printf '%s %s\n' "$pid" "$rest"
	done
}

fds_of_lsfd "$w/lsfd1.json" >"$w/l1.fds"
fds_of_lsfd "$w/lsfd2.json" >"$w/l2.fds"
comm -12 "$w/l1.fds" "$w/l2.fds" | alive | sort -u >"$w/stable.fds"
sort -u "$w/l1.fds" "$w/l2.fds" >"$w/either.fds"
jq -r '.objects[] | select(.type | IN("fifo", "pipe", "unix", "shm", "sem")) |
	.inode as $i | .holders[] | select(.fd != null) | "\(.pid) \(.fd) \($i)"' \
	"$w/ipc.json" | alive | sort -u >"$w/ipc.fds"

maps_of_lsfd "$w/lsfd1.json" >"$w/l1.maps"
maps_of_lsfd "$w/lsfd2.json" >"$w/l2.maps"
comm -12 "$w/l1.maps" "$w/l2.maps" | alive | sort -u >"$w/stable.maps"
sort -u "$w/l1.maps" "$w/l2.maps" >"$w/either.maps"
jq -r '.objects[] | select((.type | IN("shm", "sem")) and (.deleted | not)) |
	.inode as $i | .holders[] | select(.mapped) | "\(.pid) \($i)"' \
	"$w/ipc.json" | alive | sort -u >"$w/ipc.maps"
# glibc's sem_open() maps a temporary sem.XXXXXX and then links it to its
# real name, so maps shows the temporary name as deleted. lsfd goes by that
# name and misses the mapping; ipcscope joins by inode. Semaphores are
# therefore held against lsfd in one direction only.
jq -r '.objects[] | select(.type == "shm" and (.deleted | not)) |
	.inode as $i | .holders[] | select(.mapped) | "\(.pid) \($i)"' \
	"$w/ipc.json" | alive | sort -u >"$w/ipc.maps.nosem"

comm -12 "$w/ss1" "$w/ss2" >"$w/ss.stable"
comm -12 "$w/sp1" "$w/sp2" >"$w/ss.peers"
jq -r '.objects[] | select(.type == "unix" and .unix.peer != null) | "\(.inode) \(.unix.peer)"' \
	"$w/ipc.json" | sort -u >"$w/ipc.peers"
jq -r '.objects[] | select(.type == "unix") | .inode' "$w/ipc.json" | sort -u >"$w/ipc.unix"

bad=0
report() {
	local what=$1 file=$2
	if [ -s "$file" ]; then
		echo "DIFF $what:"
		sed 's/^/  /' "$file" | head -20
		bad=1
	fi
}
comm -23 "$w/stable.fds" "$w/ipc.fds" >"$w/missing.fds"
comm -23 "$w/ipc.fds" "$w/either.fds" >"$w/extra.fds"
comm -23 "$w/stable.maps" "$w/ipc.maps" >"$w/missing.maps"
comm -23 "$w/ipc.maps.nosem" "$w/either.maps" >"$w/extra.maps"
comm -23 "$w/ss.stable" "$w/ipc.unix" >"$w/missing.unix"
comm -23 "$w/ss.peers" "$w/ipc.peers" >"$w/missing.peers"
report "(pid fd inode) in lsfd, not in ipcscope" "$w/missing.fds"
report "(pid fd inode) in ipcscope, not in lsfd" "$w/extra.fds"
report "(pid inode) /dev/shm mappings in lsfd, not in ipcscope" "$w/missing.maps"
report "(pid inode) /dev/shm mappings in ipcscope, not in lsfd" "$w/extra.maps"
report "UNIX socket inodes in ss -xa, not in ipcscope" "$w/missing.unix"
report "(inode peer) in ss -xa, not in ipcscope" "$w/missing.peers"
echo "compared: $(wc -l <"$w/stable.fds") fd triples, $(wc -l <"$w/stable.maps") shm mappings, $(wc -l <"$w/ss.stable") ss sockets, $(wc -l <"$w/ss.peers") ss peers"
exit $bad
