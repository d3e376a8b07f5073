#!/usr/bin/env bats
# "It must never lie" (issue #12): memfd memory, usage errors that quote
# hostile arguments, tables with one long cell, strict --pid lists and
# options after show's OBJECT.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# bytes of memory the file behind /proc/PID/fd/FD really uses
fd_resident() {
	local st
	st=$(stat -L -c '%b %B' "/proc/$1/fd/$2") || fail "cannot stat /proc/$1/fd/$2"
	echo $((${st% *} * ${st#* }))
}

@test "memfd: RESIDENT is the memory written, in list, the table, summary and metrics" {
	mk m memfd name="$SHM_PREFIX-res" size=2097152 fill=1048576 fd=7
	local want
	want=$(fd_resident "$m_pid" 7)
	# 1 MiB was written into a 2 MiB file: resident is not the size
	[ "$want" -ge 1048576 ] && [ "$want" -lt 2097152 ] || fail "the kernel says $want bytes"
	run --separate-stderr "$IPCSCOPE" list --type memfd --path "memfd:$SHM_PREFIX-res" \
		-o INODE,SIZE,RESIDENT -n --bytes
	assert_success
	assert_output --regexp "^ *$m_ino +2097152 +$want\$"
	run --separate-stderr "$IPCSCOPE" summary --type memfd --path "memfd:$SHM_PREFIX-res" --json
	assert_success
	assert_equal "$(jq -r '.types[] | select(.type == "memfd") | "\(.objects) \(.size) \(.resident)"' <<<"$output")" \
		"1 2097152 $want"
	run --separate-stderr "$IPCSCOPE" summary --type memfd --path "memfd:$SHM_PREFIX-res" --bytes
	assert_success
	assert_line --regexp "^memfd +1 +1 +2097152 +$want\$"
	run --separate-stderr "$IPCSCOPE" metrics --type memfd --path "memfd:$SHM_PREFIX-res"
	assert_success
	assert_line "ipcscope_shm_resident_bytes{type=\"memfd\"} $want"
	assert_line "ipcscope_shm_bytes{type=\"memfd\"} 2097152"
}

@test "memfd: untouched is resident 0, not unknown; mapped only, its touched pages (root)" {
	mk a memfd name="$SHM_PREFIX-cold" size=1048576 fd=5
	mk b memfd-mapped name="$SHM_PREFIX-hot" size=65536
	run --separate-stderr "$IPCSCOPE" list --type memfd --path "memfd:$SHM_PREFIX-*" \
		-o INODE,SIZE,RESIDENT,NHOLDERS -n --bytes
	assert_success
	assert_line --regexp "^ *$a_ino +1048576 +0 +1\$"
	# only /proc/PID/map_files tells a mapping's file, and it needs root
	if [ "$(id -u)" -eq 0 ]; then
		assert_line --regexp "^ *$b_ino +65536 +65536 +1\$"
	else
		assert_line --regexp "^ *$b_ino +1\$"
	fi
}
