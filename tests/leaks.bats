#!/usr/bin/env bats
# SysV shm with every attacher, POSIX message queues, `leaks` and a safe
# `clean`.

load helpers/common

setup() {
	common_setup
	unread_holds_nothing
}
teardown() { common_teardown; }

leaks_json() {
	"$IPCSCOPE" leaks --json "$@" 2>"$BATS_TEST_TMPDIR/ipc.err" >"$BATS_TEST_TMPDIR/ipc.json" ||
		fail "ipcscope leaks --json $* failed: $(cat "$BATS_TEST_TMPDIR/ipc.err")"
	jq -e . "$BATS_TEST_TMPDIR/ipc.json" >/dev/null || fail "invalid JSON"
}
reason_of() { jqr --argjson i "$1" '[.objects[] | select(.inode == $i) | .reason] | join(",")'; }
sysv() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i and .type == \"sysvshm\") | $2"; }

@test "sysvshm: every attached process is a holder, with nattch" {
	mk s sysvshm size=16384 attach=3
	ipc_json --type sysvshm
	local want
	want=$(printf '%s\n' "$s_pid" ${s_child_pids//,/ } | sort -n | paste -sd' ')
	assert_equal "$(sysv "$s_shmid" '[.holders[] | "\(.pid)"] | join(" ")')" "$want"
	assert_equal "$(sysv "$s_shmid" '[.holders[] | .mapped] | unique | join(",")')" "true"
	assert_equal "$(sysv "$s_shmid" '"\(.sysv.nattch) \(.sysv.shmid) \(.sysv.key) \(.size) \(.sysv.size) \(.sysv.removed) \(.sysv.cpid)"')" \
		"3 $s_shmid $s_key 16384 16384 false $s_pid"
	assert_equal "$(sysv "$s_shmid" '"\(.sysv.perms) \(.sysv.creator) \(.sysv.owner) \(.owner)"')" "0600 $(id -un) $(id -un) $(id -un)"
	[ "$(sysv "$s_shmid" '.sysv.atime')" -gt 0 ]
	leaks_json --type sysvshm
	assert_equal "$(reason_of "$s_shmid")" ""
}

@test "sysvshm: an orphaned segment is a leak, with its size" {
	mk o sysvshm-orphan size=12288
	ipc_json --type sysvshm
	assert_equal "$(sysv "$o_shmid" '"\(.sysv.nattch) \(.holders | length)"')" "0 0"
	leaks_json --type sysvshm
	assert_equal "$(reason_of "$o_shmid")" orphaned-sysvshm
	assert_equal "$(sysv "$o_shmid" '.size')" 12288
	run --separate-stderr "$IPCSCOPE" leaks --type sysvshm
	assert_line --regexp "^sysvshm +$o_shmid +key 0x00000000 +12K .* orphaned-sysvshm +yes\$"
}

@test "sysvshm: removed but still attached is listed as removed, not leaked" {
	mk r sysvshm-removed
	ipc_json --type sysvshm
	assert_equal "$(sysv "$r_shmid" '"\(.sysv.removed) \(.deleted) \(.sysv.key)"')" "true true 0"
	assert_equal "$(sysv "$r_shmid" '[.holders[] | .pid] | join(" ")')" "$r_pid"
	leaks_json --type sysvshm
	assert_equal "$(reason_of "$r_shmid")" ""
}

@test "mqueue: a queue with its holder, on an mqueue fs mounted in a private mount namespace" {
	requires_root "to mount an mqueue filesystem"
	mk q mqueue name="$SHM_PREFIX-q" fd=7
	mkdir "$T/mq"
	run --separate-stderr unshare -m --propagation private sh -c \
		"mount -t mqueue none '$T/mq' && '$IPCSCOPE' list --json --type mqueue"
	assert_success
	local o
	o=$(echo "$output" | jq -c --arg p "$T/mq/$SHM_PREFIX-q" '.objects[] | select(.path == $p)')
	[ -n "$o" ] || fail "queue not listed: $output"
	# mq_getattr's counts: the queue file, whose read would stamp the
	# queue's atime and ctime, is not read, so its QSIZE is not known
	assert_equal "$(jq -r '"\(.type) \(.mqueue.messages) \(.mqueue.qsize) \(.size) \(.mqueue.notify_pid)"' <<<"$o")" "mqueue 1 null null null"
	assert_equal "$(jq -r '[.holders[] | "\(.pid):\(.fd):\(.mode)"] | join(" ")' <<<"$o")" "$q_pid:7:rw"
	# --mqueue-dir names the mount explicitly
	run --separate-stderr unshare -m --propagation private sh -c \
		"mount -t mqueue none '$T/mq' && '$IPCSCOPE' list --json --type mqueue --mqueue-dir '$T/mq'"
	assert_success
	[ "$(echo "$output" | jq --arg p "$T/mq/$SHM_PREFIX-q" '[.objects[] | select(.path == $p)] | length')" -eq 1 ]
}

@test "mqueue: --mqueue-dir that is no mqueue filesystem is a usage error, for every command" {
	mkdir "$T/plain"
	: >"$T/plain/victim"
	local cmd
	for cmd in list leaks clean summary metrics; do
		run --separate-stderr "$IPCSCOPE" "$cmd" --type mqueue --mqueue-dir "$T/plain"
		assert_failure 2
		assert_equal "$stderr" "ipcscope: --mqueue-dir '$T/plain' is not an mqueue filesystem"
		assert_output ""
	done
	run --separate-stderr "$IPCSCOPE" clean --force --type mqueue --mqueue-dir "$T/plain"
	assert_failure 2
	[ -e "$T/plain/victim" ]
	run --separate-stderr "$IPCSCOPE" list --type mqueue --mqueue-dir "$T/not-there"
	assert_failure 2
	assert_equal "$stderr" "ipcscope: cannot use --mqueue-dir '$T/not-there': No such file or directory"
}

@test "mqueue: clean --force removes an orphaned queue only from a real mqueue filesystem" {
	requires_root "to mount an mqueue filesystem"
	mkdir "$T/mq"
	run --separate-stderr unshare -m --propagation private sh -c "
		mount -t mqueue none '$T/mq' && : >'$T/mq/$SHM_PREFIX-lost' &&
		'$IPCSCOPE' clean --force --type mqueue --mqueue-dir '$T/mq' --path '$T/mq/$SHM_PREFIX-*' &&
		ls -A '$T/mq'"
	assert_success
	assert_line "removed mqueue $T/mq/$SHM_PREFIX-lost (0B, orphaned-mqueue)"
	refute_output --partial "$SHM_PREFIX-lost
"
}

@test "leaks: of orphaned, mapped-only, fd-held and deleted-but-mapped shm only the orphan" {
	mk o shm-orphan name="$SHM_PREFIX-orphan" size=8192
	mk m shm-mapped name="$SHM_PREFIX-mapped"
	mk f shm-fd name="$SHM_PREFIX-fd"
	mk d shm-deleted name="$SHM_PREFIX-deleted"
	leaks_json --type shm
	assert_equal "$(reason_of "$o_ino")" orphaned-shm
	assert_equal "$(reason_of "$m_ino")" ""
	assert_equal "$(reason_of "$f_ino")" ""
	assert_equal "$(reason_of "$d_ino")" ""
	assert_equal "$(jqr --argjson i "$o_ino" '.objects[] | select(.inode == $i) | "\(.size) \(.resident) \(.holders | length)"')" "8192 0 0"
	[ "$(jqr --argjson i "$o_ino" '.objects[] | select(.inode == $i) | .age')" -ge 0 ]
	assert_equal "$(jqr '.summary | keys | join(",")')" "objects,resident,size,uncertain"
	assert_equal "$(jqr --argjson i "$o_ino" '.objects[] | select(.inode == $i) | "\(.certain) \(.uncertain)"')" "true null"
}

@test "leaks: a semaphore nobody maps is orphaned; a mapped one is not" {
	mk s sem name="$SHM_PREFIX-sem"
	leaks_json --type sem
	assert_equal "$(reason_of "$s_ino")" ""
	mk_stop s
	sem_file="/dev/shm/sem.$SHM_PREFIX-sem2"
	printf 'x' >"$sem_file"
	leaks_json --type sem
	assert_equal "$(jqr --arg p "$sem_file" '.objects[] | select(.path == $p) | .reason')" orphaned-shm
}

@test "leaks: a stale socket file next to a live one, by identity" {
	mkdir "$T/run"
	mk live listener path="$T/run/live.sock"
	mk dead stale-socket path="$T/run/dead.sock"
	leaks_json --path "$T/run"
	assert_equal "$(jqr '[.objects[] | "\(.type) \(.path) \(.reason) \(.unix)"] | join(";")')" \
		"unix $T/run/dead.sock stale-socket null"
	# a live socket renamed away: its file is still matched by identity
	mv "$T/run/live.sock" "$T/run/moved.sock"
	leaks_json --path "$T/run"
	assert_equal "$(jqr '[.objects[] | .path] | join(";")')" "$T/run/dead.sock"
}

@test "leaks: a FIFO nobody opened, never opened by ipcscope either" {
	mk f fifo-unopened path="$T/lonely.fifo"
	mk g fifo path="$T/busy.fifo"
	run --separate-stderr timeout -k 5 20 "$IPCSCOPE" leaks --json --path "$T"
	assert_success
	assert_equal "$(echo "$output" | jq -r '[.objects[] | "\(.type) \(.inode) \(.reason)"] | join(";")')" \
		"fifo $f_ino orphaned-fifo"
}

@test "leaks: a symlink in a searched directory is not followed" {
	mkdir "$T/target" "$T/search"
	mk f fifo-unopened path="$T/target/hidden.fifo"
	ln -s "$T/target" "$T/search/link"
	leaks_json --path "$T/search"
	assert_equal "$(jqr '.objects | length')" 0
}

@test "leaks: --older-than keeps only what was not used for that long" {
	mk a shm-orphan name="$SHM_PREFIX-old"
	mk b shm-orphan name="$SHM_PREFIX-new"
	touch -d '3 hours ago' "/dev/shm/$SHM_PREFIX-old"
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-*" --older-than 2h
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	[ "$(jqr '.objects[0].age')" -ge 10800 ]
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-*" --older-than 10
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_equal "$(jqr '.objects | length')" 2
	run --separate-stderr "$IPCSCOPE" leaks --older-than 2x
	assert_failure 2
	assert_equal "$stderr" "ipcscope: invalid duration '2x' (like 30s, 10m, 2h, 1d)"
}

@test "leaks: --exit-code is 3 with leaks, 0 without; a summary line ends the table" {
	mk a shm-orphan name="$SHM_PREFIX-ec" size=4096
	run --separate-stderr "$IPCSCOPE" leaks --exit-code --type shm --path "/dev/shm/$SHM_PREFIX-ec"
	assert_failure 3
	assert_line --index 0 --regexp '^TYPE +INODE +PATH +SIZE +RESIDENT +OWNER +AGE +REASON +CERTAIN$'
	assert_line --regexp "^shm +$a_ino +/dev/shm/$SHM_PREFIX-ec +4.0K +0B +$(id -un) +[0-9]+s +orphaned-shm +yes\$"
	assert_line --index 2 "1 leaked, 4.0K, 0B resident"
	run --separate-stderr "$IPCSCOPE" leaks --exit-code --type shm --path "/dev/shm/$SHM_PREFIX-none"
	assert_success
	assert_line --index 1 "0 leaked, 0B, 0B resident"
}

@test "clean: a dry run by default, then --force removes every kind" {
	mkdir "$T/run"
	mk o shm-orphan name="$SHM_PREFIX-c"
	mk v sysvshm-orphan
	mk s stale-socket path="$T/run/dead.sock"
	mk f fifo-unopened path="$T/run/old.fifo"
	mk h shm-fd name="$SHM_PREFIX-held"
	run --separate-stderr "$IPCSCOPE" clean --path "/dev/shm/$SHM_PREFIX-*" --path "$T/run"
	assert_success
	assert_line "would remove shm /dev/shm/$SHM_PREFIX-c (8.0K, orphaned-shm)"
	assert_line "would remove unix $T/run/dead.sock (stale-socket)"
	assert_line "would remove fifo $T/run/old.fifo (orphaned-fifo)"
	assert_line --partial "dry run: nothing was removed"
	[ -e "/dev/shm/$SHM_PREFIX-c" ] && [ -S "$T/run/dead.sock" ] && [ -p "$T/run/old.fifo" ]
	run --separate-stderr "$IPCSCOPE" clean --force --path "/dev/shm/$SHM_PREFIX-*" --path "$T/run"
	assert_success
	assert_line "removed shm /dev/shm/$SHM_PREFIX-c (8.0K, orphaned-shm)"
	assert_line "removed unix $T/run/dead.sock (stale-socket)"
	assert_line "removed fifo $T/run/old.fifo (orphaned-fifo)"
	refute_output --partial "$SHM_PREFIX-held"
	[ ! -e "/dev/shm/$SHM_PREFIX-c" ] && [ ! -e "$T/run/dead.sock" ] && [ ! -e "$T/run/old.fifo" ]
	[ -e "/dev/shm/$SHM_PREFIX-held" ]
	# the SysV segment, by its shmid
	run --separate-stderr "$IPCSCOPE" clean --force --type sysvshm --user "$(id -u)"
	assert_line --regexp "^removed sysvshm shmid $v_shmid \(key 0x[0-9a-f]{8}\) \(8.0K, orphaned-sysvshm\)\$"
	# gone from the kernel's list
	run awk -v id="$v_shmid" 'NR > 1 && $2 == id' /proc/sysvipc/shm
	assert_output ""
}

@test "clean: an object that gains a holder after the scan is not removed" {
	mk o shm-orphan name="$SHM_PREFIX-race"
	hooked
	IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK=1 "$IPCSCOPE_HOOKED" clean --force --type shm \
		--path "/dev/shm/$SHM_PREFIX-race" >"$T/clean.out" 2>"$T/clean.err" 3>&- &
	local cp=$!
	wait_stopped "$cp" clean
	# between the scan and the re-check, someone opens the segment
	mk h shm-open name="$SHM_PREFIX-race" fd=5
	kill -CONT "$cp"
	wait "$cp"
	run cat "$T/clean.out"
	assert_line "skipped shm /dev/shm/$SHM_PREFIX-race (8.0K, orphaned-shm): it has a holder now"
	[ -e "/dev/shm/$SHM_PREFIX-race" ]
}

@test "clean: as another user, other users' objects are refused" {
	requires_root "to switch users"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)
	"${nobody[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	mk o shm-orphan name="$SHM_PREFIX-mine"
	run --separate-stderr "${nobody[@]}" "$IPCSCOPE" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-mine"
	assert_success
	assert_line "skipped shm /dev/shm/$SHM_PREFIX-mine (8.0K, orphaned-shm): owned by root; only root may remove it"
	[ -e "/dev/shm/$SHM_PREFIX-mine" ]
}
