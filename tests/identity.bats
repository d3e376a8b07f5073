#!/usr/bin/env bats
# Identity and ages: every object named by what tells it apart (an
# eventfd by its eventfd-id), every held message queue found with no
# mqueue filesystem mounted, and no scan changing any object's times.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# the eventfd-id of fd FD of PID, from fdinfo (Linux 6.8 and later)
efd_id() {
	sed -n 's/^eventfd-id:[[:space:]]*//p' "/proc/$1/fdinfo/$2"
}

@test "eventfd: two counters are two objects, told by eventfd.id, with a null ipcns; show eventfd:ID takes one" {
	mk a eventfd fd=5 count=7
	mk b eventfd fd=6 count=9
	local ida idb
	ida=$(efd_id "$a_pid" 5)
	idb=$(efd_id "$b_pid" 6)
	[ -n "$ida" ] || skip "this kernel's eventfd fdinfo has no eventfd-id (before 6.8)"
	[ "$ida" != "$idb" ] || fail "two eventfds share eventfd-id $ida"
	# one anonymous inode for both: the inode alone names neither
	assert_equal "$a_ino:$a_dev" "$b_ino:$b_dev"
	ipc_json --type eventfd
	local sel='.objects[] | select(.type == "eventfd" and .eventfd.id == ($i | tonumber))'
	assert_equal "$(jqr --arg i "$ida" "[$sel | \"\(.inode) \(.ipcns) \(.eventfd.count) \([.holders[] | \"\(.pid):\(.fd)\"] | join(\",\"))\"] | join(\";\")")" \
		"$a_ino null 7 $(by_pid "$a_pid:5" "$a_child_pid:5" | tr ' ' ,)"
	assert_equal "$(jqr --arg i "$idb" "[$sel | \"\(.inode) \(.ipcns) \(.eventfd.count) \([.holders[] | \"\(.pid):\(.fd)\"] | join(\",\"))\"] | join(\";\")")" \
		"$b_ino null 9 $(by_pid "$b_pid:6" "$b_child_pid:6" | tr ' ' ,)"
	# no eventfd carries a namespace
	assert_equal "$(jqr '[.objects[] | select(.type == "eventfd" and .ipcns != null)] | length')" 0

	run --separate-stderr "$IPCSCOPE" show --json "eventfd:$ida"
	assert_success
	assert_equal "$(jq -r '[.objects[] | "\(.type) \(.eventfd.id) \(.eventfd.count)"] | join(";")' <<<"$output")" \
		"eventfd $ida 7"
	run --separate-stderr "$IPCSCOPE" show "eventfd:$idb"
	assert_success
	assert_line --regexp "^  id +$idb\$"
	assert_line --regexp "^  count +9\$"
	refute_line --regexp "^  id +$ida\$"
	# the table tells them apart too: PATH is the name show takes
	run --separate-stderr "$IPCSCOPE" list --type eventfd --pid "$a_pid,$b_pid" -n --raw -o PATH,HOLDERS
	assert_success
	assert_line --regexp "^eventfd:$ida .*$a_pid/mkipc\\[5rw\\]"
	assert_line --regexp "^eventfd:$idb .*$b_pid/mkipc\\[6rw\\]"
	# an id no counter has matches nothing
	run --separate-stderr "$IPCSCOPE" show "eventfd:$((ida > idb ? ida + 1000 : idb + 1000))"
	assert_failure 1
	assert_equal "$(grep -c 'no IPC object matches' <<<"$stderr")" 1
}

# Runs ipcscope ARGS in a mount namespace of its own with no mqueue
# filesystem mounted (every mqueue mount there is lazily unmounted); the
# JSON goes to $T/nomq.json, stderr to $T/nomq.err.
ipcscope_nomq() {
	run --separate-stderr unshare -m --propagation private sh -c '
		findmnt -rn -t mqueue -o TARGET | sort -r | while read -r t; do
			umount -l "$t" || exit 1
		done
		if findmnt -rn -t mqueue >/dev/null; then echo "an mqueue mount is left" >&2; exit 1; fi
		exec "$@"' sh "$IPCSCOPE" "$@"
	assert_success
	printf '%s\n' "$output" >"$T/nomq.json"
	printf '%s\n' "$stderr" >"$T/nomq.err"
	jq -e . "$T/nomq.json" >/dev/null || fail "invalid JSON: $output"
}

@test "mqueue: a queue held where no mqueue filesystem is mounted is listed, with its holder, on either backend" {
	requires_root "to unmount mqueue filesystems in a mount namespace of its own"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	mk q mqueue name="$SHM_PREFIX-q" fd=7
	local sel='.objects[] | select(.inode == ($i | tonumber) and .dev == $d)' o be
	for be in proc bpf; do
		ipcscope_nomq list --json --type mqueue --backend "$be"
		if [ "$be" = bpf ] && [ "$(jq -r .backend.name "$T/nomq.json")" != bpf ]; then
			# the proc walk ran: nothing new to compare
			continue
		fi
		o=$(jq -c --arg i "$q_ino" --arg d "$q_dev" "$sel" "$T/nomq.json")
		[ -n "$o" ] || fail "$be: the queue $q_dev/$q_ino is not listed: $(cat "$T/nomq.json") $(cat "$T/nomq.err")"
		assert_equal "$(jq -r '"\(.type) \(.path) \(.deleted) \(.owner)"' <<<"$o")" \
			"mqueue /$SHM_PREFIX-q false $(id -un)"
		assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.fd):\(.mode)"] | join(" ")' <<<"$o")" "$q_pid:7:rw"
		# mkipc's one message of 5 bytes, through mq_getattr on a
		# duplicate of the holder's fd
		assert_equal "$(jq -r '"\(.mqueue.messages) \(.mqueue.maxmsg > 0) \(.mqueue.msgsize > 0)"' <<<"$o")" \
			"1 true true"
		jq -c "$sel" --arg i "$q_ino" --arg d "$q_dev" "$T/nomq.json" >"$T/obj.$be"
		# only the queues no process holds need a mount: the note says so
		grep -q 'that no process holds are not listed' "$T/nomq.err" ||
			fail "$be: no note on the unheld queues: $(cat "$T/nomq.err")"
	done
	if [ -s "$T/obj.bpf" ]; then
		# the same object from both backends
		assert_equal "$(jq -S 'del(.holders[].wait, .age)' "$T/obj.bpf")" "$(jq -S 'del(.holders[].wait, .age)' "$T/obj.proc")"
	fi
}

# stat's atime, mtime and ctime of PATH (followed), to the nanosecond
times_of() {
	stat -L -c '%x|%y|%z' "$1"
}

@test "no scan changes any object's times: a queue, a /dev/shm file and a FIFO, after list, leaks, metrics and summary" {
	requires_root "to make an IPC namespace and mount an mqueue filesystem in a mount namespace of its own"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
	# The queue lives in an IPC namespace of its own, and the mount
	# namespace that shows it names first a bind of one queue file, which
	# makes ipcscope leave that namespace's queues alone: a scan of the
	# whole machine by another ipcscope (another test suite running on
	# this machine, an older binary that reads queue files) must not touch
	# this queue while it is watched. Only the scans below, told the
	# mount by --mqueue-dir, list it.
	MK_PREFIX=(unshare -i)
	mk q mqueue name="$SHM_PREFIX-q" fd=7
	MK_PREFIX=()
	mk s shm-fd name="$SHM_PREFIX-s" size=8192 fd=5
	mk f fifo path="$T/fifo"
	mkdir "$T/mq" "$T/mqa"
	: >"$T/decoy"
	local qpath="/proc/$q_pid/fd/7" before after
	before="q=$(times_of "$qpath") s=$(times_of "/dev/shm/$SHM_PREFIX-s") f=$(times_of "$T/fifo")"
	# a change made by a scan must be able to show: the times are older
	# than the scans by more than any timestamp granularity
	sleep 1.1
	run --separate-stderr nsenter -t "$q_pid" -i unshare -m --propagation private sh -c '
		d=$1 q=$2
		shift 2
		mount -t mqueue none "$d/mqa" && mount --bind "$d/mqa/$q" "$d/decoy" &&
			umount "$d/mqa" && mount -t mqueue none "$d/mq" || exit 1
		for c in list leaks metrics summary "list --json" "leaks --json" "summary --json"; do
			# $c is two words where it has --json
			"$@" $c --mqueue-dir "$d/mq" >/dev/null || { echo "$c failed" >&2; exit 1; }
		done
		"$@" list --json --type mqueue --mqueue-dir "$d/mq"' sh "$T" "$SHM_PREFIX-q" "$IPCSCOPE"
	assert_success
	after="q=$(times_of "$qpath") s=$(times_of "/dev/shm/$SHM_PREFIX-s") f=$(times_of "$T/fifo")"
	assert_equal "$after" "$before"
	# the queue was seen through the mount, so the listing looked at it
	assert_equal "$(jq -r --arg p "$T/mq/$SHM_PREFIX-q" '[.objects[] | select(.path == $p) | .type] | join(",")' <<<"$output")" mqueue
}
