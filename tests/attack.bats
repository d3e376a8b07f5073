#!/usr/bin/env bats
# An unprivileged user tries to turn root's scans against the machine: a
# namespace of their own (unshare -Urm) whose /dev/shm is a bind of a
# directory of root's, a FUSE server that never answers, a host file bound
# over a queue, files held in ways no fd table shows, and a late open in
# the window before an unlink. Root's clean --force, restricted by -P to
# this test's own names, must remove nothing that is held or not an IPC
# object, and every scan must end.

load helpers/common

setup() {
	common_setup
	requires_root "to play root against an unprivileged attacker"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	ATTACKER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	ATTACK_PIDS=()
	ATTACK_MOUNTS=()
	ATTACK_LOOPS=()
	# processes whose children (not ours to name) go with them
	ATTACK_PARENTS=()
	# FUSE connections to abort first: their servers' processes cannot end
	# before
	FUSE_CONNS=()
	FUSECTL_MOUNTED=
	# a place the attacker can reach: $T is root's alone
	A=$(mktemp -d /tmp/ipcscope-attack.XXXXXX)
	chmod 755 "$A"
}

# The FUSE connections of the filesystems our mkipc processes mounted
# below $T, from their mountinfo (the minor of a fuse mount's device is its
# connection): a factory that failed before READY never said its conn=,
# and its exit would wait on its own dead server for ever.
our_fuse_conns() {
	local p
	for p in "${MK_PIDS[@]}"; do
		awk -v t="$T/" '{ fs = ""; for (i = 7; i < NF; i++) if ($i == "-") { fs = $(i + 1); break } }
			fs ~ /^fuse/ && index($5 "/", t) == 1 { split($3, d, ":"); print d[2] }' \
			"/proc/$p/mountinfo" 2>/dev/null
	done
}

teardown() {
	local p m
	for m in "${FUSE_CONNS[@]}" $(our_fuse_conns); do
		echo 1 >"/sys/fs/fuse/connections/$m/abort" 2>/dev/null || true
	done
	[ -z "$FUSECTL_MOUNTED" ] || umount /sys/fs/fuse/connections 2>/dev/null || true
	for p in "${ATTACK_PARENTS[@]}"; do
		pkill -KILL -P "$p" 2>/dev/null || true
	done
	for p in "${ATTACK_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${ATTACK_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for m in "${ATTACK_MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
	for m in "${ATTACK_LOOPS[@]}"; do
		losetup -d "$m" 2>/dev/null || true
	done
	common_teardown
	rm -rf --one-file-system "$A"
}

# attack NAME SCRIPT: runs SCRIPT as nobody in a user and mount namespace
# of its own (unshare -Urm, or with extra unshare flags in ATTACK_FLAGS),
# then `sleep` there; sets NAME_pid and NAME_mntns. SCRIPT may print
# key=value facts before it is ready. Skips where unprivileged user
# namespaces are off.
attack() {
	local name=$1 script=$2 out="$A/$1.out" i
	"${ATTACKER[@]}" unshare -Urm ${ATTACK_FLAGS:-} true 2>/dev/null ||
		skip "an unprivileged user namespace cannot be made here (disabled, or in a chroot)"
	"${ATTACKER[@]}" unshare -Urm ${ATTACK_FLAGS:-} sh -c "$script"'
		echo READY; exec sleep 1000' >"$out" 2>"$A/$name.err" </dev/null 3>&- &
	ATTACK_PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		grep -qx READY "$out" 2>/dev/null && break
		kill -0 "$!" 2>/dev/null || fail "the attacker's setup failed: $(cat "$A/$name.err")"
		sleep 0.05
	done
	grep -qx READY "$out" || fail "the attacker did not get ready: $(cat "$A/$name.err")"
	printf -v "${name}_pid" '%s' "$!"
	printf -v "${name}_mntns" '%s' "$(stat -Lc %i "/proc/$!/ns/mnt")"
}

# a root-owned 0600 file, the kind clean must never touch: its inode
victim() {
	printf 'secret\n' >"$1"
	chmod 600 "$1"
	stat -c %i "$1"
}

# no object of the last ipc_json has inode $1 with a /dev/shm or queue type
refute_listed() {
	local n
	n=$(jqr --argjson i "$1" '[.objects[] | select(.inode == $i and
		(.type == "shm" or .type == "sem" or .type == "mqueue"))] | length')
	assert_equal "$n" 0
}

# clean --force restricted to the test's names under /dev/shm
clean_ours() {
	run --separate-stderr "$IPCSCOPE" clean --force --type shm,sem --path "/dev/shm/$SHM_PREFIX*"
	assert_success
}

@test "attack: a bind of a root directory on the attacker's /dev/shm: nothing listed, nothing removed" {
	mkdir "$A/victims"
	local v own
	v=$(victim "$A/victims/$SHM_PREFIX-victim")
	# the attacker's own file there, held open: not an IPC object either
	: >"$A/victims/$SHM_PREFIX-own"
	chown 65534 "$A/victims/$SHM_PREFIX-own"
	own=$(stat -c %i "$A/victims/$SHM_PREFIX-own")
	attack x "mount --bind '$A/victims' /dev/shm && exec 3</dev/shm/$SHM_PREFIX-own;"
	ipc_json --type shm,sem
	refute_listed "$v"
	refute_listed "$own"
	jqr '.warnings[]' | grep -F "mnt:[$x_mntns]" | grep -q "not a tmpfs\|bind of a directory" ||
		fail "no warning names the namespace: $(jqr '.warnings[]')"
	run --separate-stderr "$IPCSCOPE" leaks --type shm,sem --path "/dev/shm/$SHM_PREFIX*"
	assert_success
	refute_output --partial "$SHM_PREFIX"
	clean_ours
	refute_output --partial removed
	[ -f "$A/victims/$SHM_PREFIX-victim" ] || fail "root's file was removed"
	assert_equal "$(cat "$A/victims/$SHM_PREFIX-victim")" secret
}

@test "attack: a bind of a host tmpfs, and of a directory in one, on /dev/shm: nothing listed, nothing removed" {
	mkdir "$A/hosttmp"
	mount -t tmpfs -o size=1m,mode=755 ipcscope-test "$A/hosttmp"
	ATTACK_MOUNTS+=("$A/hosttmp")
	mkdir "$A/hosttmp/sub"
	chmod 755 "$A/hosttmp/sub"
	local v1 v2
	v1=$(victim "$A/hosttmp/$SHM_PREFIX-whole")
	v2=$(victim "$A/hosttmp/sub/$SHM_PREFIX-part")
	attack whole "mount --bind '$A/hosttmp' /dev/shm;"
	attack part "mount --bind '$A/hosttmp/sub' /dev/shm;"
	ipc_json --type shm,sem
	refute_listed "$v1"
	refute_listed "$v2"
	jqr '.warnings[]' | grep -F "mnt:[$whole_mntns]" | grep -q "host's own tmpfs" ||
		fail "the host tmpfs was not refused: $(jqr '.warnings[]')"
	jqr '.warnings[]' | grep -F "mnt:[$part_mntns]" | grep -q "bind of a directory" ||
		fail "the directory bind was not refused: $(jqr '.warnings[]')"
	clean_ours
	refute_output --partial removed
	[ -f "$A/hosttmp/$SHM_PREFIX-whole" ] && [ -f "$A/hosttmp/sub/$SHM_PREFIX-part" ] ||
		fail "a file of the host's tmpfs was removed"
}

@test "attack: a host file bound over an entry of the attacker's own tmpfs is neither listed nor removed" {
	local v
	v=$(victim "$A/$SHM_PREFIX-target")
	chmod 644 "$A/$SHM_PREFIX-target"
	attack x "mount -t tmpfs none /dev/shm && : >/dev/shm/$SHM_PREFIX-target &&
		mount --bind '$A/$SHM_PREFIX-target' /dev/shm/$SHM_PREFIX-target;"
	ipc_json --type shm
	refute_listed "$v"
	clean_ours
	refute_output --partial removed
	[ -f "$A/$SHM_PREFIX-target" ] || fail "the bound host file was removed"
}

@test "attack: a FUSE server on /dev/shm, or under a path an opener waits in, that never answers: every command ends, with a warning" {
	[ -c /dev/fuse ] || skip "no /dev/fuse here"
	mk f fuse-hang path=/dev/shm
	mkdir "$T/fz"
	mk g fuse-hang path="$T/fz" opener=1
	local c
	for c in list leaks summary metrics waits graph "clean --force --path /dev/shm/$SHM_PREFIX-none"; do
		run --separate-stderr timeout -k 5 30 "$IPCSCOPE" $c
		[ "$status" -ne 124 ] || fail "ipcscope $c hung"
		assert_success
		[[ $stderr == *"mnt:[$f_mntns]"*"not a tmpfs"* ]] ||
			fail "ipcscope $c did not say why the FUSE /dev/shm is not listed: $stderr"
	done
	# the opener sleeps in the FUSE lookup itself: its FIFO cannot be told,
	# so no FIFO is certainly orphaned
	mk o fifo-unopened path="$T/orphan.fifo"
	unread_holds_nothing
	run --separate-stderr timeout -k 5 30 "$IPCSCOPE_HOOKED" leaks --json --type fifo --path "$T/orphan.fifo"
	assert_success
	assert_equal "$(jq '.objects[0].certain' <<<"$output")" false
	[[ $stderr == *"open() wait for could not be told"* ]] || fail "no word on the opener: $stderr"
}

@test "attack: a dozen openers whose FIFO's directory became a FUSE that never answers: the scan waits 6 s in all, not 1 s each" {
	[ -c /dev/fuse ] || skip "no /dev/fuse here"
	mkdir "$T/d"
	unshare -m --propagation private sh -c '
		mount -t tmpfs ipcscope-test "$1" && mkfifo "$1/f" || exit 1
		i=0; while [ $i -lt 12 ]; do cat "$1/f" >/dev/null & i=$((i + 1)); done
		sleep 0.3
		exec "$2" fuse-hang path="$1" newns=0' sh "$T/d" "$MKIPC" >"$T/fh.out" 2>"$T/fh.err" </dev/null 3>&- &
	local f=$! i
	MK_PIDS+=("$f")
	ATTACK_PARENTS+=("$f")
	for ((i = 0; i < 100; i++)); do
		grep -qx READY "$T/fh.out" 2>/dev/null && break
		sleep 0.05
	done
	grep -qx READY "$T/fh.out" || skip "could not mount the FUSE here: $(cat "$T/fh.err")"
	local c start took
	for c in waits leaks; do
		start=$(date +%s)
		run --separate-stderr timeout -k 5 60 "$IPCSCOPE" $c
		took=$(($(date +%s) - start))
		[ "$status" -ne 124 ] || fail "ipcscope $c hung"
		[ "$took" -le 15 ] || fail "ipcscope $c took $took s: more than the budget"
		[[ $stderr == *"waited 6000 ms in all"* ]] || fail "ipcscope $c did not say it stopped waiting: $stderr"
	done
}

@test "hold: a FIFO bind-mounted in an attacker's namespace is held; a /dev/shm file with another name bound is uncertain" {
	mkfifo "$A/$SHM_PREFIX-fifo"
	: >"$A/target" ; : >"$A/t2"
	chmod 666 "$A/$SHM_PREFIX-fifo" "$A/target" "$A/t2"
	echo data >"/dev/shm/$SHM_PREFIX-linkA"
	ln "/dev/shm/$SHM_PREFIX-linkA" "/dev/shm/$SHM_PREFIX-linkB"
	chmod 644 "/dev/shm/$SHM_PREFIX-linkA"
	attack x "mount --bind '$A/$SHM_PREFIX-fifo' '$A/target' &&
		mount --bind /dev/shm/$SHM_PREFIX-linkB '$A/t2';"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --json --type fifo --path "$A/*"
	assert_success
	assert_equal "$(jq '[.objects[] | select(.path | endswith("-fifo"))] | length' <<<"$output")" 0
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type fifo --path "$A/*"
	refute_output --partial removed
	[ -p "$A/$SHM_PREFIX-fifo" ] || fail "the bound FIFO was removed"
	# one name of a /dev/shm file is bound: the other is no certain leak
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-link*"
	refute_output --partial removed
	[ -f "/dev/shm/$SHM_PREFIX-linkA" ] && [ -f "/dev/shm/$SHM_PREFIX-linkB" ] ||
		fail "a name of the bound file was removed"
	rm -f "/dev/shm/$SHM_PREFIX-linkA" "/dev/shm/$SHM_PREFIX-linkB"
}

@test "attack: a host file bound over a queue of the attacker's mqueue filesystem is never opened" {
	mkdir "$A/mq"
	chmod 777 "$A/mq"
	v=$(victim "$A/$SHM_PREFIX-mqtarget")
	chmod 644 "$A/$SHM_PREFIX-mqtarget"
	: >"$A/open.log"
	chmod 666 "$A/open.log"
	mk w watch-open path="$A/$SHM_PREFIX-mqtarget" log="$A/open.log"
	ATTACK_FLAGS=-i attack q "mount -t mqueue none '$A/mq' && : >'$A/mq/q' && : >'$A/mq/plain' &&
		mount --bind '$A/$SHM_PREFIX-mqtarget' '$A/mq/q';"
	ipc_json --type mqueue
	refute_listed "$v"
	# the queue beside it is still listed, from the attacker's namespace
	assert_equal "$(jqr '[.objects[] | select(.type == "mqueue" and (.path | endswith("/plain")))] | length')" 1
	run --separate-stderr "$IPCSCOPE" clean --force --type mqueue --path "$A/mq/q"
	assert_success
	refute_output --partial removed
	sleep 0.2
	assert_equal "$(wc -l <"$A/open.log")" 0
	[ -f "$A/$SHM_PREFIX-mqtarget" ] || fail "the host file is gone"
}

@test "hold: an fd in flight and an io_uring's registered file keep a /dev/shm file from clean" {
	mk f shm-in-flight name="$SHM_PREFIX-flight"
	mk u shm-uring name="$SHM_PREFIX-uring"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_success
	assert_line --partial "skipped shm /dev/shm/$SHM_PREFIX-flight"
	assert_line --partial "skipped shm /dev/shm/$SHM_PREFIX-uring"
	refute_output --partial removed
	[ "$(stat -c %i "/dev/shm/$SHM_PREFIX-flight")" = "$f_ino" ]
	[ "$(stat -c %i "/dev/shm/$SHM_PREFIX-uring")" = "$u_ino" ]
	# once the holds are gone, the same clean removes them
	mk_stop f
	mk o shm-orphan name="$SHM_PREFIX-free"
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-free"
	assert_success
	assert_line --partial "removed shm /dev/shm/$SHM_PREFIX-free"
	[ ! -e "/dev/shm/$SHM_PREFIX-free" ]
}

@test "hold: a /dev/shm file attached to a loop device is kept by clean" {
	command -v losetup >/dev/null || skip "losetup (util-linux) is not installed"
	mk o shm-orphan name="$SHM_PREFIX-loop" size=1048576
	local dev
	dev=$(losetup --find --show "/dev/shm/$SHM_PREFIX-loop" 2>/dev/null) ||
		skip "no loop device can be had here"
	ATTACK_LOOPS+=("$dev")
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-loop"
	assert_success
	assert_line --partial "skipped shm /dev/shm/$SHM_PREFIX-loop"
	refute_output --partial removed
	[ "$(stat -c %i "/dev/shm/$SHM_PREFIX-loop")" = "$o_ino" ]
}

@test "hold: a file opened during clean's last window is not removed (the lease breaks)" {
	mk o shm-orphan name="$SHM_PREFIX-late"
	unread_holds_nothing
	IPCSCOPE_TEST_PAUSE_BEFORE_UNLINK=1 "$IPCSCOPE_HOOKED" clean --force --type shm \
		--path "/dev/shm/$SHM_PREFIX-late" >"$T/clean.out" 2>"$T/clean.err" &
	local cp=$! rc=0
	MK_PIDS+=("$cp")
	wait_stopped "$cp" "clean"
	# clean holds its lease: an opener now waits for it to let go
	cat "/dev/shm/$SHM_PREFIX-late" >/dev/null &
	local op=$!
	MK_PIDS+=("$op")
	sleep 0.3
	kill -0 "$op" || fail "the late opener was not held back by the lease"
	kill -CONT "$cp"
	wait "$cp" || rc=$?
	assert_equal "$rc" 0
	grep -q "skipped shm /dev/shm/$SHM_PREFIX-late.*opened at the last moment" "$T/clean.out" ||
		fail "clean did not skip the file opened late: $(cat "$T/clean.out" "$T/clean.err")"
	wait "$op"
	[ "$(stat -c %i "/dev/shm/$SHM_PREFIX-late")" = "$o_ino" ]
}

@test "hold: a FIFO with a reader asleep in open() is held, not orphaned; a relative path with .. is told as the kernel did" {
	mkdir -p "$T/run/sub"
	mkfifo "$T/run/real.fifo" "$T/run/sub/real.fifo" "$T/run/free.fifo"
	(cd "$T/run/sub" && exec cat ../real.fifo >/dev/null) &
	local r=$! i
	MK_PIDS+=("$r")
	for ((i = 0; i < 100; i++)); do
		[ "$(cat /proc/$r/wchan 2>/dev/null)" = wait_for_partner ] && break
		sleep 0.05
	done
	local real sub free
	real=$(stat -c %i "$T/run/real.fifo")
	sub=$(stat -c %i "$T/run/sub/real.fifo")
	free=$(stat -c %i "$T/run/free.fifo")
	run --separate-stderr "$IPCSCOPE" waits --json
	assert_success
	assert_equal "$(jq -c --argjson p "$r" '[.waits[] | select(.pid == $p) | [.object.inode, .state]]' \
		<<<"$output")" "[[$real,\"no-writer\"]]"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --json --type fifo --path "$T/run/*"
	assert_success
	assert_equal "$(jq -c '[.objects[].inode] | sort' <<<"$output")" "$(jq -nc --argjson a "$sub" --argjson b "$free" '[$a, $b] | sort')"
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type fifo --path "$T/run/real.fifo"
	assert_success
	refute_output --partial removed
	[ -p "$T/run/real.fifo" ]
	# the reader still gets its writer
	echo hello >"$T/run/real.fifo"
	wait "$r"
}

@test "hold: a /dev/shm file bound onto another path, in a mount namespace of root's, is held by that mount" {
	mk o shm-orphan name="$SHM_PREFIX-bound"
	: >"$T/target"
	unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && echo ok >"$3" && exec sleep 1000' \
		sh "/dev/shm/$SHM_PREFIX-bound" "$T/target" "$T/bound.ok" </dev/null 3>&- &
	local b=$! i
	MK_PIDS+=("$b")
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/bound.ok" ] && break
		sleep 0.05
	done
	[ -s "$T/bound.ok" ] || fail "the bind mount was not made"
	ipc_json --type shm --path "/dev/shm/$SHM_PREFIX-bound"
	assert_equal "$(jqr -c --argjson i "$o_ino" '.objects[] | select(.inode == $i) | .held_by')" '["mount"]'
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --type shm --path "/dev/shm/$SHM_PREFIX-bound"
	assert_success
	refute_output --partial "$SHM_PREFIX-bound"
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-bound"
	refute_output --partial removed
	[ -e "/dev/shm/$SHM_PREFIX-bound" ]
	kill -KILL "$b"
	wait "$b" 2>/dev/null || true
	# with the mount gone, the file is an orphan again
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --type shm --path "/dev/shm/$SHM_PREFIX-bound"
	assert_line --partial "/dev/shm/$SHM_PREFIX-bound"
}

@test "hold: a listener in a network namespace no process is in (ip netns) keeps its socket file live" {
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	local ns="ipcscope-test-$$-${BATS_TEST_NUMBER}"
	ip netns add "$ns" || skip "cannot add a network namespace here"
	mk l listener-in-netns netns="/run/netns/$ns" path="$T/l.sock"
	unread_holds_nothing
	# kept by the mount: dumped, and the socket file is live
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --json --type unix --path "$T/l.sock"
	ip netns del "$ns"
	assert_success
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
	# no mount and no process now: the namespace is found through the
	# listener's holder (SIOCGSKNS on a duplicate of its fd) and dumped, so
	# the file is still live
	run --separate-stderr "$IPCSCOPE_HOOKED" leaks --json --type unix --path "$T/l.sock"
	assert_success
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type unix --path "$T/l.sock"
	refute_output --partial removed
	[ -S "$T/l.sock" ]
}

@test "docker-like: a tmpfs on a runtime's host path, bound into a container's /dev/shm: orphans found and removed, victims of a plain tmpfs not" {
	local id shmdir
	id=$(printf '%064d' "$$")
	shmdir="$A/var/lib/docker/containers/$id/mounts/shm"
	mkdir -p "$shmdir"
	mount -t tmpfs -o size=1m,mode=1777 shm "$shmdir"
	ATTACK_MOUNTS+=("$shmdir")
	printf x >"$shmdir/$SHM_PREFIX-orphan"
	local ino
	ino=$(stat -c %i "$shmdir/$SHM_PREFIX-orphan")
	unshare -m --propagation private sh -c 'mount --bind "$1" /dev/shm && echo ok >"$2" && exec sleep 1000' \
		sh "$shmdir" "$T/ctr.ok" </dev/null 3>&- &
	local c=$! i
	MK_PIDS+=("$c")
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/ctr.ok" ] && break
		sleep 0.05
	done
	ipc_json --type shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_equal "$(jqr -c --argjson i "$ino" '.objects[] | select(.inode == $i) | [.path, .home_pid]')" \
		"[\"/dev/shm/$SHM_PREFIX-orphan\",$c]"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE_HOOKED" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-orphan"
	assert_success
	assert_line --partial "removed shm /dev/shm/$SHM_PREFIX-orphan"
	[ ! -e "$shmdir/$SHM_PREFIX-orphan" ]
}

# fusectl, through which a test ends a FUSE server that hangs (the
# kernel's, usually mounted)
fusectl_or_skip() {
	[ -c /dev/fuse ] || skip "no /dev/fuse here"
	mountpoint -q /sys/fs/fuse/connections && return 0
	mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null ||
		skip "no fusectl to end the FUSE server's connection with"
	# teardown unmounts what the test mounted
	FUSECTL_MOUNTED=1
}

@test "attack: 4,200 network namespaces of one user, a socket kept in each: root enters at most 4,096 a scan, says so, lists the rest from their fds, and keeps the listener's file" {
	"${ATTACKER[@]}" unshare -Ur true 2>/dev/null ||
		skip "an unprivileged user namespace cannot be made here (disabled, or in a chroot)"
	mkdir "$A/u"
	chmod 777 "$A/u"
	MK_PREFIX=("${ATTACKER[@]}" unshare -Ur)
	mk m netns-many path="$A/u/l.sock" n=4200
	MK_PREFIX=()
	assert_equal "$(ls "/proc/$m_pid/fd" | wc -l)" 4204
	ipc_json --type unix --pid "$m_pid"
	# every socket is listed, held by the attacker
	# (another root scan running now may hold a duplicate for a moment)
	assert_equal "$(jqr --argjson p "$m_pid" '[.objects[] | select(.type == "unix" and
		any(.holders[]; .pid == $p))] | length')" 4201
	# the budget: at most 4096 namespaces entered (other processes' come
	# first), the rest of the attacker's known from their fds, with their
	# namespace named
	local fromfd named
	fromfd=$(jqr '[.objects[] | select(.unix.source == "fd")] | length')
	named=$(jqr '[.objects[] | select(.unix.source == "fd" and (.unix.netns | type) == "number")] |
		length')
	[ "$fromfd" -ge 105 ] || fail "only $fromfd sockets were not dumped: more than 4096 namespaces were entered"
	assert_equal "$named" "$fromfd"
	jqr '.warnings[]' | grep -q "other network namespaces were not dumped: a scan enters at most 4096" ||
		fail "no warning of the budget: $(jqr '.warnings[]' | head -5)"
	# the listener, dumped or not, is never a certain stale socket
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE" leaks --json --type unix --path "$A/u/l.sock"
	assert_success
	assert_equal "$(jq '[.objects[] | select(.certain)] | length' <<<"$output")" 0
	run --separate-stderr "$IPCSCOPE" clean --force --type unix --path "$A/u/l.sock"
	refute_output --partial removed
	[ -S "$A/u/l.sock" ] || fail "the listener's socket file was removed"
}

@test "attack: a holder that swaps its sockets' fds for a file of its own FUSE server, which answers no one else: every list and leaks ends, saying what it could not look at" {
	fusectl_or_skip
	mkdir "$T/fz"
	mk f fuse-flip path="$T/fz" n=16
	FUSE_CONNS+=("$f_conn")
	local i j s stopped=0 cmd=()
	for ((i = 0; i < 8; i++)); do
		# leaks also asks whether an unlisted socket is AF_UNIX
		cmd=(list --pid "$f_pid")
		((i % 2)) && cmd=(leaks)
		# in the background: a close that waits for a FLUSH cannot be killed
		"$IPCSCOPE" "${cmd[@]}" --type unix >"$T/out.$i" 2>"$T/err.$i" </dev/null &
		s=$!
		ATTACK_PIDS+=("$s")
		for ((j = 0; j < 200; j++)); do
			kill -0 "$s" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$s" 2>/dev/null && fail "${cmd[0]} (scan $i) did not end in 20 s: $(cat /proc/$s/wchan)"
		wait "$s" || fail "scan $i failed: $(cat "$T/err.$i")"
		! grep -q "stopped (it did not end in time)" "$T/err.$i" || stopped=$((stopped + 1))
	done
	# the swap was met, and said
	[ "$stopped" -ge 1 ] || fail "no scan met a swapped fd: $(cat "$T"/err.*)"
}

@test "attack: watch beside a holder that swaps its sockets' fds for a FUSE file: one look at held fds is left waiting, not one a scan" {
	fusectl_or_skip
	mkdir "$T/fz"
	mk f fuse-flip path="$T/fz" n=16
	FUSE_CONNS+=("$f_conn")
	# the path names this test's scans and the children they leave
	"$IPCSCOPE" watch --count 10 --interval 0.2 --type unix --path "$T/watch-mark" \
		>"$T/w.out" 2>"$T/w.err" </dev/null &
	local w=$! j p n=0
	ATTACK_PIDS+=("$w")
	for ((j = 0; j < 600; j++)); do
		kill -0 "$w" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$w" 2>/dev/null && fail "watch did not end in 60 s"
	wait "$w" || fail "watch failed: $(cat "$T/w.err")"
	grep -q "stopped (it did not end in time)" "$T/w.err" || fail "no scan met a swapped fd: $(cat "$T/w.err")"
	for p in /proc/[0-9]*; do
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "--path $T/watch-mark" && n=$((n + 1))
	done
	[ "$n" -le 1 ] || fail "$n children of watch are left waiting"
}

# scan_ends OUT ARGS...: runs "$IPCSCOPE" ARGS in the background (a wait
# on a FUSE FLUSH cannot be killed, not even by timeout), stdout to OUT,
# stderr to OUT.err; fails when it has not ended in 20 s, or failed. With
# SCAN_PIPED=1 its stdout goes through a pipe, whose end must come too: a
# child of its left waiting must not keep the pipe open.
scan_ends() {
	local out=$1 s j
	shift
	if [ "${SCAN_PIPED:-0}" = 1 ]; then
		{ "$IPCSCOPE" "$@" 2>"$out.err" </dev/null; echo $? >"$out.rc"; } | cat >"$out" &
		s=$!
		ATTACK_PIDS+=("$s")
		for ((j = 0; j < 200; j++)); do
			kill -0 "$s" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$s" 2>/dev/null && fail "ipcscope $* | cat did not end in 20 s"
		wait "$s"
		[ "$(cat "$out.rc")" = 0 ] || fail "ipcscope $* failed: $(cat "$out.err")"
		return 0
	fi
	"$IPCSCOPE" "$@" >"$out" 2>"$out.err" </dev/null &
	s=$!
	ATTACK_PIDS+=("$s")
	for ((j = 0; j < 200; j++)); do
		kill -0 "$s" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$s" 2>/dev/null && fail "ipcscope $* did not end in 20 s: $(cat /proc/$s/wchan)"
	wait "$s" || fail "ipcscope $* failed: $(cat "$out.err")"
}

@test "attack: a holder of a file of its own FUSE server, which answers no one else: root's proc walk asks that filesystem nothing (no statfs), and ends" {
	fusectl_or_skip
	mkdir "$T/fz"
	# (mounted allow_other in our user namespace, as fusermount3 would:
	# root's calls reach the server)
	mk f fuse-flip path="$T/fz" n=0 fd=10
	FUSE_CONNS+=("$f_conn")
	# (from a chroot, as a fresh root is, the kernel names it below the
	# real root; a stat of it would wait on the server)
	[[ $(readlink "/proc/$f_pid/fd/10") == *"$T/fz/f" ]] || fail "fd 10 is not the FUSE file"
	scan_ends "$T/out.pid" list --backend proc --pid "$f_pid"
	scan_ends "$T/out.all" list --backend proc
	scan_ends "$T/out.leaks" leaks --backend proc
}

@test "attack: a holder that swaps its pipes' fds for a file of its own FUSE server between the walk and the look at their fill: every scan ends, saying which fill levels it did not read" {
	fusectl_or_skip
	mkdir "$T/fz"
	mk f fuse-flip path="$T/fz" n=16 pipes=1
	FUSE_CONNS+=("$f_conn")
	local i stopped=0 filled
	for ((i = 0; i < 6; i++)); do
		# every other one through a pipe, as `ipcscope | less` reads it
		SCAN_PIPED=$((i % 2)) scan_ends "$T/out.$i" list --backend proc --json --type pipe --pid "$f_pid"
		! grep -q "pipe fill levels\? or queue counts\? not read" "$T/out.$i.err" ||
			stopped=$((stopped + 1))
		# what was read before the stall is kept: the pipes P alone holds
		# (at fd+n+i) hold one byte each
		filled=$(jq '[.objects[] | select(.pipe.queued == 1)] | length' "$T/out.$i")
		[ "$filled" -le 16 ] || fail "more pipes than made: $filled"
	done
	# the swap was met, and said
	[ "$stopped" -ge 1 ] || fail "no scan met a swapped fd: $(cat "$T"/out.*.err)"
}
