#!/usr/bin/env bats
# The parsers on captured fixture trees (IPCSCOPE_ROOT): fd links as text,
# fdinfo modes, maps with \012 and " (deleted)", /proc/net/unix, /dev/shm.

load helpers/common

FIX="$BATS_TEST_DIRNAME/fixtures/basic"

setup() { common_setup; }
teardown() { common_teardown; }

fix_json() {
	IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT=$1 "$IPCSCOPE" list --json "${@:2}" >"$BATS_TEST_TMPDIR/ipc.json" 2>"$BATS_TEST_TMPDIR/ipc.err" ||
		fail "ipcscope failed on fixture $1: $(cat "$BATS_TEST_TMPDIR/ipc.err")"
	jq -e . "$BATS_TEST_TMPDIR/ipc.json" >/dev/null || fail "invalid JSON"
}

@test "fixture: a pipe's two ends, with modes from fdinfo flags" {
	fix_json "$FIX"
	assert_equal "$(holders_of 5001)" "100:3:r:false 101:1:w:false"
	assert_equal "$(jqr '.objects[] | select(.inode == 5001) | [.holders[].user] | join(",")')" "root,nobody"
}

@test "fixture: comm with a control byte is escaped in the table, exact in JSON" {
	fix_json "$FIX"
	assert_equal "$(jqr '.objects[] | select(.inode == 5001) | .holders[1].comm')" "$(printf 'wr\033iter')"
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$FIX" "$IPCSCOPE" list --type pipe
	assert_success
	assert_line --regexp '^pipe +5001 +100/server one\[3r\] 101/wr\\eiter\[1w\]$'
}

@test "fixture: /proc/net/unix gives type, state, paths with spaces, abstract names" {
	fix_json "$FIX" --type unix
	assert_equal "$(jqr '.objects[] | select(.inode == 7001) | "\(.path)|\(.unix.type)|\(.unix.state)"')" "/run/server one.sock|stream|listen"
	assert_equal "$(holders_of 7001)" "100:4:rw:false"
	assert_equal "$(jqr '.objects[] | select(.inode == 7002) | .unix.state')" connected
	assert_equal "$(jqr '.objects[] | select(.inode == 7003) | "\(.path)|\(.unix.state)"')" "null|connected"
	assert_equal "$(holders_of 7003)" "101:2:rw:false"
	assert_equal "$(jqr '.objects[] | select(.inode == 7004) | "\(.path)|\(.unix.type)|\(.holders | length)"')" "@abstract@name|dgram|0"
	assert_equal "$(jqr '.objects[] | select(.inode == 7005) | .unix.type')" seqpacket
	# the truncated last line is dropped, not misread
	assert_equal "$(jqr '[.objects[] | select(.type == "unix")] | length')" 5
}

@test "fixture: sockets that net/unix does not list are not UNIX sockets; an eventfd is one" {
	fix_json "$FIX"
	# fd 8 is an eventfd, from a kernel whose fdinfo has no eventfd-id:
	# it stands alone, and is no socket
	assert_equal "$(jqr '[.objects[] | select(.inode == 99) | "\(.type) \(.path)"] | join(";")')" "eventfd null"
	assert_equal "$(holders_of 99)" "100:8:rw:false"
}

@test "fixture: /dev/shm objects, held, orphaned and a semaphore; symlinks ignored" {
	fix_json "$FIX"
	assert_equal "$(jqr '.objects[] | select(.path == "/dev/shm/seg one") | "\(.type)|\(.size)|\(.deleted)"')" "shm|100|false"
	assert_equal "$(jqr '.objects[] | select(.path == "/dev/shm/seg one") | [.holders[] | "\(.pid):\(.fd):\(.mode)"] | join(" ")')" "100:6:r"
	assert_equal "$(jqr '.objects[] | select(.path == "/dev/shm/orphan") | "\(.type)|\(.holders | length)"')" "shm|0"
	assert_equal "$(jqr '.objects[] | select(.path == "/dev/shm/sem.lock") | .type')" sem
	assert_equal "$(jqr '[.objects[] | select(.path == "/dev/shm/planted-link")] | length')" 0
}

@test "fixture: a deleted mapping whose name holds \\012 is decoded and listed once" {
	fix_json "$FIX" --type shm
	assert_equal "$(jqr '.objects[] | select(.inode == 2) | .path')" "$(printf '/dev/shm/gone\nline')"
	assert_equal "$(jqr '.objects[] | select(.inode == 2) | .deleted')" true
	# two ranges of one object in one process make one holder entry
	assert_equal "$(holders_of 2)" "100:-:rw:true"
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$FIX" "$IPCSCOPE" list --type shm
	assert_line --regexp '^shm +2 +/dev/shm/gone\\nline \(deleted\) +100/server one\[memrw\]$'
}

@test "fixture: a memfd held by fd and mapped, the junk maps line skipped" {
	fix_json "$FIX" --type memfd
	assert_equal "$(jqr '[.objects[] | select(.path == "memfd:cache") | .holders[] | "\(.pid):\(.fd // "-"):\(.mode):\(.mapped)"] | sort | join(" ")')" \
		"100:-:r:true 100:7:rw:false 101:-:r:true"
}

@test "fixture: no /proc/net/unix is a warning, not a failure" {
	cp -a "$FIX" "$T/tree"
	rm "$T/tree/proc/net/unix"
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/tree" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(echo "$output" | jq -r '.warnings[] | select(startswith("cannot read"))')" "cannot read /proc/net/unix: No such file or directory"
	assert_equal "$stderr" "ipcscope: cannot read /proc/net/unix: No such file or directory"
	assert_equal "$(echo "$output" | jq '[.objects[] | select(.type == "unix")] | length')" 0
	assert_equal "$(echo "$output" | jq '[.objects[] | select(.type == "pipe")] | length')" 1
}

@test "fixture: truncated files and a process that vanished are survived" {
	cp -a "$FIX" "$T/tree"
	printf '0000000000000000: 0000' >"$T/tree/proc/net/unix"
	head -c 30 "$FIX/proc/100/maps" >"$T/tree/proc/100/maps"
	: >"$T/tree/proc/100/fdinfo/3"
	rm -r "$T/tree/proc/101/fd"
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/tree" "$IPCSCOPE" list --json
	assert_success
	echo "$output" | jq -e . >/dev/null
	# fdinfo without flags: the holder stays, its mode unknown
	assert_equal "$(echo "$output" | jq -c '.objects[] | select(.inode == 5001) | [.holders[] | [.pid, .fd, .mode]]')" "[[100,3,null]]"
}

@test "fixture: a FIFO planted in /dev/shm is never opened" {
	cp -a "$FIX" "$T/tree"
	mkfifo "$T/tree/dev/shm/planted-fifo"
	run timeout -k 5 10 env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/tree" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(echo "$output" | jq '[.objects[] | select(.path == "/dev/shm/planted-fifo")] | length')" 0
}

@test "IPCSCOPE_ROOT that does not exist: exit 1 with a message" {
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$T/nope" "$IPCSCOPE" list
	assert_failure 1
	assert_equal "$stderr" "ipcscope: IPCSCOPE_ROOT '$T/nope': No such file or directory"
}
