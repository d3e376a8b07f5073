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

# bad WANT ARGS...: ipcscope ARGS is a usage error: exit 2, one line on
# stderr, nothing on stdout, no control byte but the final newline, and
# WANT (the argument, escaped) in the message.
bad() {
	local want=$1 rc=0
	shift
	"$IPCSCOPE" "$@" >"$T/out" 2>"$T/err" || rc=$?
	local shown
	shown=$(printf '%q ' "$@")
	[ "$rc" -eq 2 ] || fail "ipcscope $shown: exit $rc, not 2: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "ipcscope $shown: printed to stdout"
	[ "$(wc -l <"$T/err")" -eq 1 ] && [ "$(tail -c 1 "$T/err" | od -An -tx1 | tr -d ' ')" = 0a ] ||
		fail "ipcscope $shown: not one line on stderr: $(od -c "$T/err")"
	if head -c -1 "$T/err" | od -An -v -tx1 | grep -Eq ' (0[0-9a-f]|1[0-9a-f]|7f)'; then
		fail "ipcscope $shown: raw control bytes on stderr: $(od -c "$T/err")"
	fi
	grep -qF -- "$want" "$T/err" || fail "ipcscope $shown: '$want' not in: $(cat "$T/err")"
}

@test "usage errors quote hostile arguments escaped, on one line" {
	bad "unknown user 'no\\nuser'" list -u $'no\nuser'
	bad "unknown type 'pipe\\e]0;x\\x07'" list -t $'pipe\e]0;x\a'
	bad "unknown type 'x\\xff'" list -t $'pipe,x\xff'
	bad "invalid pid '1\\n2'" list --pid $'1\n2'
	bad "unknown column '\\e[31m'" list -o $'TYPE,\e[31m'
	bad "unknown column '\\tX'" list --sort $'-\tX'
	bad "invalid duration '1\\n'" leaks --older-than $'1\n'
	bad "invalid width '8\\r0'" list --width $'8\r0'
	bad "invalid interval '\\e'" watch --interval $'\e'
	bad "invalid count '\\x01'" watch --count $'\x01'
	bad "invalid queue threshold '\\x7f'" watch --queue-threshold $'\x7f'
	bad "invalid format 'dot\\n'" graph --format $'dot\n'
	bad "invalid depth '\\e1'" graph --depth $'\e1'
	bad "invalid --color '\\x07'" list --color=$'\a'
	bad "unknown option '--bo\\egus'" list $'--bo\egus'
	bad "unknown option '-\\e'" list -$'\e'
	bad "unknown option '-\\xc3'" list -$'\xc3'
	bad "unknown option '--json=\\e'" list $'--json=\e'
	bad "unexpected argument 'extra\\nargument'" list $'extra\nargument'
	bad "unknown command 'lis\\nt'" $'lis\nt'
	bad "unexpected argument '\\e[2J'" show /tmp $'\e[2J'
	# not usage errors, but the same untrusted text in messages
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT=$'/no\e[2Jroot' "$IPCSCOPE" list
	assert_failure 1
	assert_equal "$stderr" "ipcscope: IPCSCOPE_ROOT '/no\\e[2Jroot': No such file or directory"
	run --separate-stderr "$IPCSCOPE" metrics --textfile "$T/no"$'\n''dir'
	assert_failure 1
	[[ $stderr == *"ipcscope: cannot write $T/no\\ndir/ipcscope.prom: No such file or directory" ]] ||
		fail "not escaped: $stderr"
	if printf '%s' "$stderr" | od -An -v -tx1 | grep -Eq ' (0[0-9b-f]|1[0-9a-f]|7f)'; then
		fail "raw control bytes on stderr: $stderr"
	fi
}

@test "table: HOLDERS, the free-width column, is the last default column" {
	# a long HOLDERS cell: two processes whose names are all escapes
	mk c comm value='\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12' fd=3 wfd=4
	mk s socketpair
	run --separate-stderr "$IPCSCOPE" list -t pipe,unix --pid "$c_pid,$c_child_pid,$s_pid,$s_child_pid"
	assert_success
	assert_line --index 0 --regexp '^TYPE +INODE +PATH +SIZE +PEER +HOLDERS$'
	local esc='\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0b\\x0c\\x0e\\x0f\\x10\\x11\\x12'
	local cell
	cell=$(by_pid "$c_pid/$esc\\[3r\\]" "$c_child_pid/$esc\\[4w\\]")
	assert_line --regexp "^pipe +$c_ino +$cell\$"
	# the socket's PEER comes before the long cell's column, not after it
	assert_line --regexp "^unix +$s_ino +$s_child_pid/mkipc\\[4rw\\] +$s_pid/mkipc\\[3rw\\]\$"
	local line
	for line in "${lines[@]}"; do
		[[ $line != *' ' ]] || fail "trailing blanks: '$line'"
		if [[ $line == unix* ]] && [ "${#line}" -gt 80 ]; then
			fail "a socket row padded to ${#line} columns: '$line'"
		fi
	done
}

@test "table: with no terminal, one long cell in a middle column pads no other row" {
	mk c comm value='\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12' fd=3 wfd=4
	mk s socketpair
	local esc='\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x0b\\x0c\\x0e\\x0f\\x10\\x11\\x12'
	# -o keeps the user's order; the long cell is printed whole and
	# shifts only its own row
	run --separate-stderr "$IPCSCOPE" list -t pipe,unix -o HOLDERS,INODE -n \
		--pid "$c_pid,$c_child_pid,$s_pid,$s_child_pid"
	assert_success
	assert_line --regexp "^$(by_pid "$c_pid/$esc\\[3r\\]" "$c_child_pid/$esc\\[4w\\]") {2,8}$c_ino\$"
	assert_line --regexp "^$s_pid/mkipc\\[3rw\\] {2,8}$s_ino\$"
	assert_line --regexp "^$s_child_pid/mkipc\\[4rw\\] {2,8}$s_peer_ino\$"
	# a long path in the default table: the short path's row keeps its size
	local long="$T/$(printf 'p%.0s' {1..200})/$(printf 'q%.0s' {1..200})/$(printf 'r%.0s' {1..200})"
	mkdir -p "${long%/*}"
	mk f fifo path="$long"
	mk g fifo path="$T/short"
	run --separate-stderr "$IPCSCOPE" list -t fifo --path "$T/*" -n
	assert_success
	# two blanks after PATH, then the empty SIZE and PEER, each with two
	assert_line --regexp "^fifo +$f_ino  $long {14}$(by_pid "$f_pid/mkipc\\[3r\\]" "$f_child_pid/mkipc\\[4w\\]")\$"
	assert_line --regexp "^fifo +$g_ino  $T/short {14}$(by_pid "$g_pid/mkipc\\[3r\\]" "$g_child_pid/mkipc\\[4w\\]")\$"
}

@test "--pid: an empty entry in the list is a usage error" {
	mk p pipe
	bad "'1,,2'" list --pid 1,,2
	bad "',1'" list --pid ,1
	bad "'1,'" list --pid 1,
	bad "','" list --pid ,
	bad "''" list --pid ''
	bad "'2,,'" graph --pid 2,,
	run --separate-stderr "$IPCSCOPE" list -t pipe --pid "$p_pid,$p_child_pid" -o INODE,PIDS -n
	assert_success
	assert_line --regexp "^ *$p_ino +$(by_pid "$p_pid" "$p_child_pid" | tr ' ' ,)\$"
}

@test "show: options may follow OBJECT, and -- ends the options" {
	mk l listener path="$T/x.sock"
	run --separate-stderr "$IPCSCOPE" show "$T/x.sock" --json
	assert_success
	assert_equal "$(jq -r '[.objects[].inode] | sort | map(tostring) | join(",")' <<<"$output")" \
		"$(printf '%s\n' "$l_listen_ino" "$l_accepted_ino" | sort -n | paste -sd,)"
	run --separate-stderr "$IPCSCOPE" show "$T/x.sock" -o INODE -n --sort INODE
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | tr -d ' ' | paste -sd,)" \
		"$(printf '%s\n' "$l_listen_ino" "$l_accepted_ino" | sort -n | paste -sd,)"
	# an object whose name starts with a dash
	mk f fifo path="$T/-x"
	cd "$T"
	run --separate-stderr "$IPCSCOPE" show -- -x
	assert_success
	assert_line --index 0 "fifo $f_ino"
	run --separate-stderr "$IPCSCOPE" show -o INODE -n -- -x
	assert_success
	assert_output --regexp "^ *$f_ino\$"
	bad "unknown option '-x'" show -x
	bad "unexpected argument '-x'" show "$T/x.sock" -- -x
}
