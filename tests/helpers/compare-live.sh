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
#    the lsfd runs (both for the processes under the same root directory as
#    this script: see alive() below);
#  - every (pid, inode) /dev/shm mapping of a name that still exists, likewise;
#  - every UNIX socket inode that both `ss -xa` runs list must appear, and
#    every peer inode they agree on must be ipcscope's unix.peer.
# Other processes keep running meanwhile: one may open and close a pipe
# between the two lsfd runs, and ipcscope then rightly reports an fd that
# neither run saw. So a comparison with differences is made again, up to
# COMPARE_ATTEMPTS times (3), and only a difference found every time counts.
# WORKDIR keeps the files of the last comparison.
# Prints counts and any difference; exits 1 on a difference.
set -eEuo pipefail
trap 'echo "compare-live.sh: line $LINENO: a command failed (status $?)" >&2' ERR
export LC_ALL=C
ipc=$1
w=${2:-$(mktemp -d)}
attempts=${COMPARE_ATTEMPTS:-3}
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
# "inode peer" for every socket of `ss -xaH` (peer 0 when it has none).
# ss prints socket paths raw: a path may hold spaces, tabs, newlines and any
# other byte but NUL, so neither lines nor field positions can be trusted.
# A record starts at a line that begins with its netid, state and two queue
# sizes, and ends where the next such line starts; its last fields are the
# local inode, the peer's address (always "*" when ss reads sock_diag) and
# the peer inode. Only a name forged to look like a whole record of its own
# could mislead this.
ss_records() {
	ss -xaH | perl -0777 -ne '
		my $head = qr/u_\S+[ \t]+[A-Z][A-Z-]*[ \t]+\d+[ \t]+\d+[ \t]/;
		for my $r (split /\n(?=$head)/) {
			next if $r eq "";
			$r =~ s/\n\z//;
			if ($r =~ /\A$head.*[ \t](\d+)[ \t]+\*[ \t]+(\d+)[ \t]*\z/s ||
			    $r =~ /\A$head.*?[ \t](\d+)[ \t]+.*[ \t](\d+)[ \t]*\z/s) {
				print "$1 $2\n";
			} else {
				(my $shown = $r) =~ s/[^\x20-\x7e]/?/g;
				print STDERR "compare-live.sh: cannot read this ss record: $shown\n";
				exit 1;
			}
		}'
}
ss_inodes() {
	awk '{ print $1 }' "$1" | sort -u
}
ss_peers() {
	awk '$2 != 0' "$1" | sort -u
}

# The lines of stdin whose process is in $w/here.pids: alive after the
# second lsfd run, and under the same root directory as this script (its
# /proc/PID/root reads "/"). lsfd tells /dev/shm files by their name, and a
# process under another root (a chroot, a container) holds files whose
# names, seen from here, are not /dev/shm/...: its /dev/shm is elsewhere in
# our tree, e.g. /var/tmp/ROOT/dev/shm/NAME. ipcscope goes by device and
# inode and knows them; lsfd cannot be held against it there.
alive() {
	awk 'NR == FNR { here[$1]; next } $1 in here' "$w/here.pids" -
}
here_pids() {
	# (find fails for the processes that exit meanwhile)
	{ find /proc -mindepth 2 -maxdepth 2 -name root -lname / -printf '%h\n' 2>/dev/null || true; } |
		sed -n 's|^/proc/\([0-9][0-9]*\)$|\1|p' | sort -u
}

# one comparison: the files in $w, its differences in $w/diffs
compare_once() {
	lsfd -J -o "$lsfd_cols" >"$w/lsfd1.json"
	ss_records >"$w/ss1.records"
	"$ipc" list --json >"$w/ipc.json" 2>"$w/ipc.err"
	lsfd -J -o "$lsfd_cols" >"$w/lsfd2.json"
	ss_records >"$w/ss2.records"
	here_pids >"$w/here.pids"
	ss_inodes "$w/ss1.records" >"$w/ss1"
	ss_peers "$w/ss1.records" >"$w/sp1"
	ss_inodes "$w/ss2.records" >"$w/ss2"
	ss_peers "$w/ss2.records" >"$w/sp2"

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
	# therefore held against lsfd in one direction only. So are segments whose
	# name holds a newline: /proc/PID/maps writes it as \012, and lsfd
	# (util-linux 2.38) then loses the mapping.
	jq -r '.objects[] | select(.type == "shm" and (.deleted | not) and (.path // "" | contains("\n") | not)) |
		.inode as $i | .holders[] | select(.mapped) | "\(.pid) \($i)"' \
		"$w/ipc.json" | alive | sort -u >"$w/ipc.maps.nosem"

	comm -12 "$w/ss1" "$w/ss2" >"$w/ss.stable"
	comm -12 "$w/sp1" "$w/sp2" >"$w/ss.peers"
	jq -r '.objects[] | select(.type == "unix" and .unix.peer != null) | "\(.inode) \(.unix.peer)"' \
		"$w/ipc.json" | sort -u >"$w/ipc.peers"
	jq -r '.objects[] | select(.type == "unix") | .inode' "$w/ipc.json" | sort -u >"$w/ipc.unix"

	comm -23 "$w/stable.fds" "$w/ipc.fds" >"$w/missing.fds"
	comm -23 "$w/ipc.fds" "$w/either.fds" >"$w/extra.fds"
	comm -23 "$w/stable.maps" "$w/ipc.maps" >"$w/missing.maps"
	comm -23 "$w/ipc.maps.nosem" "$w/either.maps" >"$w/extra.maps"
	comm -23 "$w/ss.stable" "$w/ipc.unix" >"$w/missing.unix"
	comm -23 "$w/ss.peers" "$w/ipc.peers" >"$w/missing.peers"
	# every difference as one line, "KIND: entry"
	for k in missing.fds extra.fds missing.maps extra.maps missing.unix missing.peers; do
		sed "s/^/$k: /" "$w/$k"
	done >"$w/diffs"
}

what() {
	case $1 in
	missing.fds) echo "(pid fd inode) in lsfd, not in ipcscope" ;;
	extra.fds) echo "(pid fd inode) in ipcscope, not in lsfd" ;;
	missing.maps) echo "(pid inode) /dev/shm mappings in lsfd, not in ipcscope" ;;
	extra.maps) echo "(pid inode) /dev/shm mappings in ipcscope, not in lsfd" ;;
	missing.unix) echo "UNIX socket inodes in ss -xa, not in ipcscope" ;;
	missing.peers) echo "(inode peer) in ss -xa, not in ipcscope" ;;
	esac
}

# Compare until a comparison finds none of the differences that all the
# ones before it found; a difference that every attempt finds is reported.
rm -f "$w"/diffs.*
for ((a = 1; a <= attempts; a++)); do
	compare_once
	sort -u "$w/diffs" >"$w/diffs.$a"
	if [ "$a" -eq 1 ]; then
		cp "$w/diffs.1" "$w/diffs.kept"
	else
		comm -12 "$w/diffs.kept" "$w/diffs.$a" >"$w/diffs.new"
		mv "$w/diffs.new" "$w/diffs.kept"
	fi
	[ -s "$w/diffs.kept" ] || break
done
bad=0
if [ -s "$w/diffs.kept" ]; then
	echo "found by each of $attempts comparisons:"
	for k in missing.fds extra.fds missing.maps extra.maps missing.unix missing.peers; do
		if grep -q "^$k: " "$w/diffs.kept"; then
			echo "DIFF $(what "$k"):"
			sed -n "s/^$k: /  /p" "$w/diffs.kept" | sed -n 1,20p
		fi
	done
	bad=1
elif [ "$a" -gt 1 ]; then
	echo "differences that comparison $a did not find again (other processes at work):"
	sort -u "$w"/diffs.[0-9]* | sed -n 1,20p | sed 's/^/  /'
fi
echo "compared: $(wc -l <"$w/stable.fds") fd triples, $(wc -l <"$w/stable.maps") shm mappings, $(wc -l <"$w/ss.stable") ss sockets, $(wc -l <"$w/ss.peers") ss peers"
exit $bad
