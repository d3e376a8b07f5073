#!/usr/bin/env bats
# Holders that /proc/PID/fd and /proc/PID/maps do not show: a process whose
# main thread exited while another thread lives (the leader is a zombie,
# its fd, maps and ns/ entries empty), and a thread with an fd table of its
# own (unshare(CLONE_FILES)). Each was once a certain leak that clean
# --force removed while in use. Run under both backends (IPCSCOPE_BACKEND).

load helpers/common

setup() {
	common_setup
	requires_root "to read other processes' threads, and to remove files with clean"
	unread_holds_nothing
}
teardown() { common_teardown; }

leaks_json() {
	"$IPCSCOPE" leaks --json "$@" 2>"$T/leaks.err" >"$T/leaks.json" ||
		fail "ipcscope leaks --json $* failed: $(cat "$T/leaks.err")"
	jq -e . "$T/leaks.json" >/dev/null || fail "invalid JSON"
}

# the inodes leaks listed, space-separated
leaked_inodes() {
	jq -r '[.objects[] | .inode] | join(" ")' "$T/leaks.json"
}

# a zombie leader with live threads: the state every test here relies on
assert_leader_exited() {
	local st rest
	st=$(cat "/proc/$1/stat")
	rest=${st##*) }
	assert_equal "${rest%% *}" Z
	[ -d "/proc/$1/task/$2" ] || fail "thread $2 of $1 is gone"
}

@test "threads: an exited leader's live thread holds a /dev/shm file by fd and mapping, and a FIFO" {
	mk le leader-exited name="$SHM_PREFIX-le" fifo="$T/le.fifo" sock="$T/le.sock" map=1
	assert_leader_exited "$le_child_pid" "$le_child_tid"
	ipc_json --pid "$le_child_pid"
	assert_equal "$(holders_of "$le_ino")" "$le_child_pid:3:rw:false $le_child_pid:-:rw:true"
	assert_equal "$(holders_of "$le_fifo_ino")" "$le_child_pid:4:rw:false"
	assert_equal "$(holders_of "$le_listen_ino")" "$le_child_pid:5:rw:false"
	assert_equal "$(jqr --argjson i "$le_listen_ino" '.objects[] | select(.inode == $i) | "\(.unix.state) \(.unix.source)"')" \
		"listen sock_diag"
	# the mkipc parent created the files and holds none of them
	refute [ "$(jqr --argjson p "$le_pid" '[.objects[].holders[] | select(.pid == $p)] | length')" != 0 ]
	leaks_json --path "/dev/shm/$SHM_PREFIX-le" --path "$T"
	assert_equal "$(leaked_inodes)" ""
	run --separate-stderr "$IPCSCOPE" clean --force --path "/dev/shm/$SHM_PREFIX-le" --path "$T/le.fifo" --path "$T/le.sock"
	assert_success
	refute_output --partial removed
	[ -e "/dev/shm/$SHM_PREFIX-le" ] && [ -p "$T/le.fifo" ] && [ -S "$T/le.sock" ]
}

@test "threads: an exited leader's process that holds a /dev/shm file only by a mapping keeps it" {
	mk le leader-exited name="$SHM_PREFIX-lm" fifo="$T/lm.fifo" sock="$T/lm.sock" map=2
	assert_leader_exited "$le_child_pid" "$le_child_tid"
	ipc_json --type shm --path "/dev/shm/$SHM_PREFIX-lm"
	assert_equal "$(holders_of "$le_ino")" "$le_child_pid:-:rw:true"
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-lm"
	assert_equal "$(leaked_inodes)" ""
	run --separate-stderr "$IPCSCOPE" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-lm"
	assert_success
	refute_output --partial removed
	[ -e "/dev/shm/$SHM_PREFIX-lm" ]
}

@test "threads: a listener in its own network namespace, held by an exited leader's thread, is found there" {
	mk le leader-exited-netns name="$SHM_PREFIX-ln" fifo="$T/ln.fifo" sock="$T/ln.sock" map=0
	assert_leader_exited "$le_child_pid" "$le_child_tid"
	[ "$le_netns" != "$(stat -Lc %i /proc/self/ns/net)" ] || fail "the listener is in our namespace"
	ipc_json --type unix --pid "$le_child_pid"
	assert_equal "$(holders_of "$le_listen_ino")" "$le_child_pid:5:rw:false"
	assert_equal "$(jqr --argjson i "$le_listen_ino" '.objects[] | select(.inode == $i) | "\(.path) \(.unix.state) \(.unix.netns) \(.unix.source)"')" \
		"$T/ln.sock listen $le_netns sock_diag"
	leaks_json --type unix,fifo --path "$T"
	assert_equal "$(leaked_inodes)" ""
	run --separate-stderr "$IPCSCOPE" clean --force --type unix --path "$T/ln.sock"
	assert_success
	refute_output --partial removed
	[ -S "$T/ln.sock" ]
}

@test "threads: a thread's own fd table: its fds are holders of the process, the same fd number naming another object than the leader's" {
	mk tf thread-files name="$SHM_PREFIX-tf" fd=3 wfd=4
	# every process: the sibling's records come between the leader's table
	# and the thread's, as --pid's first pass does not take it
	ipc_json
	# fd 3: the shm file in the thread's table, the pipe's read end in the
	# leader's; fd 4, the write end, in both tables: one entry
	assert_equal "$(holders_of "$tf_ino")" "$tf_child_pid:3:rw:false"
	# the sibling, between them in pid order, holds both ends too
	assert_equal "$(holders_of "$tf_pipe_ino")" \
		"$(by_pid "$tf_child_pid:3:r:false" "$tf_child_pid:4:w:false" "$tf_sibling_pid:3:r:false" "$tf_sibling_pid:4:w:false")"
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-tf"
	assert_equal "$(leaked_inodes)" ""
	run --separate-stderr "$IPCSCOPE" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-tf"
	assert_success
	refute_output --partial removed
	[ -e "/dev/shm/$SHM_PREFIX-tf" ]
}

@test "threads: once the thread-held objects are gone, their files are leaks again" {
	mk le leader-exited name="$SHM_PREFIX-lg" fifo="$T/lg.fifo" sock="$T/lg.sock" map=1
	# the file outlives the process (mkipc removes it later): a leak then
	kill -KILL "$le_child_pid"
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$le_child_pid/task/$le_child_tid" ] || break
		sleep 0.05
	done
	leaks_json --type shm --path "/dev/shm/$SHM_PREFIX-lg"
	assert_equal "$(leaked_inodes)" "$le_ino"
}

@test "threads: a wait in a thread's own fd table is not taken for the leader's object of that fd number" {
	mk tf thread-files name="$SHM_PREFIX-tw" fd=3 wfd=4 block=1
	ipc_json --pid "$tf_child_pid"
	# fd 4 is the shared pipe's write end for the leader, the thread's own
	# pipe's read end for the thread that sleeps reading it
	# (its write end at a scratch fd of mkipc's)
	[[ "$(holders_of "$tf_own_pipe_ino")" =~ ^$tf_child_pid:4:r:false\ $tf_child_pid:[0-9]+:w:false$ ]] ||
		fail "the thread's own pipe: $(holders_of "$tf_own_pipe_ino")"
	assert_equal "$(jqr --argjson i "$tf_pipe_ino" '[.objects[] | select(.inode == $i) | .holders[] | select(.wait != null)] | length')" 0
	run --separate-stderr "$IPCSCOPE" waits --pid "$tf_child_pid"
	assert_success
	refute_output --partial "pipe $tf_pipe_ino"
}

# the objects of these inodes, every field, holders in a fixed order, from
# a walk of every process with either backend
backend_json() {
	"$IPCSCOPE" list --backend "$1" --json >"$T/$1.raw" 2>"$T/$1.err" ||
		fail "list --backend $1 failed: $(cat "$T/$1.err")"
	[ "$(jq -r .backend.name "$T/$1.raw")" = "$1" ] ||
		skip "the $1 backend did not run: $(jq -r .backend.reason "$T/$1.raw")"
	jq -S --arg inos "$2" '($inos | split(" ") | map(tonumber)) as $i |
		[.objects[] | select(.inode as $n | $i | index($n))
		 | .holders |= sort_by(.pid, .fd // -1, .mapped)
		 # seconds since last use: a second may pass between two runs;
		 # and the fill levels, which proc reads in a child it waits for
		 # only so long (a sanitizer build on a loaded machine ran out of
		 # time), bpf in the kernel: backends.bats compares those
		 | del(.age, .queued, .pipe.queued, .pipe.capacity, .pipe.error)]
		| sort_by(.type, .inode)' "$T/$1.raw" >"$T/$1.json"
}

@test "threads: proc and bpf give the same JSON for an exited leader and for a thread's own fd table" {
	why=$("$IPCSCOPE" list --backend bpf --type pipe 2>&1 >/dev/null) ||
		skip "the bpf backend cannot run here: $why"
	mk le leader-exited-netns name="$SHM_PREFIX-bl" fifo="$T/bl.fifo" sock="$T/bl.sock" map=1
	mk tf thread-files name="$SHM_PREFIX-bt" fd=3 wfd=4
	local inos
	inos=$(printf '%s\n' "$le_ino" "$le_fifo_ino" "$le_listen_ino" "$tf_ino" "$tf_pipe_ino" | sort -n | paste -sd' ')
	backend_json proc "$inos"
	backend_json bpf "$inos"
	# not two empty lists: both scenes are there
	assert_equal "$(jq -r '[.[].inode] | sort | map(tostring) | join(" ")' "$T/proc.json")" "$inos"
	run diff "$T/proc.json" "$T/bpf.json"
	assert_success
}
