#!/usr/bin/env bats
# Hostile names: escapes, newlines, tabs, invalid UTF-8, 4000-byte paths,
# NUL bytes in abstract names, odd comm values. JSON stays valid and
# lossless, the table keeps one object per line, and filters still match.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# no raw control byte and no invalid UTF-8 in the given text
assert_terminal_safe() {
	if printf '%s' "$1" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]'; then
		fail "raw control bytes in: $1"
	fi
	printf '%s' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 || fail "invalid UTF-8 in the table"
}

@test "hostile: a FIFO path with ESC, newline, tab and 0xff" {
	local name=$'x\e[31mred\nline\ttab\xffend'
	mk f fifo path="$T/x\\e[31mred\\nline\\ttab\\xffend"
	[ -p "$T/$name" ]
	ipc_json --type fifo
	# lossless: the exact bytes come back from path_base64
	jqr --argjson i "$f_ino" '.objects[] | select(.inode == $i) | .path_base64' | base64 -d >"$T/raw"
	printf '%s' "$T/$name" | cmp - "$T/raw"
	run --separate-stderr "$IPCSCOPE" list --type fifo --pid "$f_pid"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial "$T/x\\e[31mred\\nline\\ttab\\xffend"
	assert_terminal_safe "$output"
	# the filter matches the raw name and the escaped one
	ipc_json --type fifo --path "*red?line?tab*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$f_ino"
	ipc_json --type fifo --path "*red\\\\nline\\\\ttab\\\\xffend"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$f_ino"
}

@test "hostile: a 4000-byte path" {
	local d="$T" i
	for ((i = 0; i < 21; i++)); do
		d="$d/$(printf 'd%.0s' {1..190})"
	done
	mkdir -p "$d"
	local p="$d/f"
	[ "${#p}" -ge 3900 ] || fail "path only ${#p} bytes"
	mk f fifo path="$p"
	ipc_json --type fifo
	assert_equal "$(jqr --argjson i "$f_ino" '.objects[] | select(.inode == $i) | .path')" "$p"
	run --separate-stderr "$IPCSCOPE" list --type fifo --pid "$f_pid"
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial "$p"
	ipc_json --type fifo --path "$d/*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$f_ino"
	run --separate-stderr "$IPCSCOPE" show "$p"
	assert_success
	assert_line "fifo $f_ino"
}

@test "hostile: an abstract socket name with NUL bytes and spaces" {
	mk a abstract name="$SHM_PREFIX a\\x00b c\\x00"
	ipc_json --type unix
	# JSON carries the NULs exactly (as \u0000)
	assert_equal "$(jqr --argjson i "$a_ino" '.objects[] | select(.inode == $i) | .path | @json')" \
		"\"@$SHM_PREFIX a\\u0000b c\\u0000\""
	run --separate-stderr "$IPCSCOPE" list --type unix --pid "$a_pid" -o INODE,PATH -n
	assert_line --regexp "^ *$a_ino +@$SHM_PREFIX a\\\\x00b c\\\\x00\$"
	assert_terminal_safe "$output"
	ipc_json --type unix --path "@$SHM_PREFIX a*"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	ipc_json --type unix --path "@$SHM_PREFIX a\\\\x00b c\\\\x00"
	assert_equal "$(jqr '[.objects[].inode] | join(",")')" "$a_ino"
	run --separate-stderr "$IPCSCOPE" show "@$SHM_PREFIX a\\x00b c\\x00"
	assert_success
	assert_line "unix $a_ino"
}

@test "hostile: a socket path with a newline, exact from sock_diag" {
	mk l listener path="$T/new"$'\n'"line.sock"
	ipc_json --type unix
	assert_equal "$(jqr --argjson i "$l_listen_ino" '.objects[] | select(.inode == $i) | .path')" "$T/new"$'\n'"line.sock"
	run --separate-stderr "$IPCSCOPE" list --type unix --pid "$l_pid" -o INODE,PATH -n --sort INODE
	assert_line --regexp "^ *$l_listen_ino +$T/new\\\\nline\\.sock\$"
	assert_terminal_safe "$output"
}

@test "hostile: comm with an escape, a newline-free control byte and 0xff" {
	mk c comm value="a\\e[2Jb\\x01\\xffz" fd=5
	ipc_json --type pipe --pid "$c_pid"
	# the kernel keeps 15 bytes; the invalid byte is U+FFFD, base64 has them all
	jqr --argjson p "$c_pid" '[.objects[].holders[] | select(.pid == $p)][0].comm_base64' | base64 -d >"$T/comm"
	printf 'a\033[2Jb\001\377z' | cmp - "$T/comm"
	assert_equal "$(jqr --argjson p "$c_pid" '[.objects[].holders[] | select(.pid == $p)][0].comm')" \
		"$(printf 'a\033[2Jb\001\357\277\275z')"
	run --separate-stderr "$IPCSCOPE" list --type pipe --pid "$c_pid"
	assert_line --partial "$c_pid/a\\e[2Jb\\x01\\xffz[5r]"
	assert_terminal_safe "$output"
}

@test "hostile: invisible and direction-changing characters are escaped" {
	mk s shm-orphan name="$SHM_PREFIX-$(printf '\xe2\x80\xaeevil\xc2\x9bx')"
	run --separate-stderr env LC_ALL=C.UTF-8 "$IPCSCOPE" list --type shm --path "/dev/shm/$SHM_PREFIX-*" -o PATH -n
	assert_success
	assert_output "/dev/shm/$SHM_PREFIX-\\u{202e}evil\\u{009b}x"
	# outside a UTF-8 locale every non-ASCII byte is escaped
	run --separate-stderr env LC_ALL=C "$IPCSCOPE" list --type shm --path "/dev/shm/$SHM_PREFIX-*" -o PATH -n
	assert_output "/dev/shm/$SHM_PREFIX-\\xe2\\x80\\xaeevil\\xc2\\x9bx"
}

@test "never harmful: a FIFO nobody opened blocks no command" {
	mk f fifo-unopened path="$T/lonely"
	local cmd
	for cmd in "list" "list --json" "leaks --path $T" "show $T/lonely" "summary" "graph"; do
		run timeout -k 5 20 "$IPCSCOPE" $cmd
		[ "$status" -ne 124 ] || fail "ipcscope $cmd blocked on the FIFO"
	done
	# nobody opened it, ipcscope included
	run timeout -k 5 20 "$IPCSCOPE" leaks --json --path "$T"
	[[ $output == *'"reason":"orphaned-fifo"'* ]]
}

@test "never harmful: a symlink planted in /dev/shm is not followed" {
	mk f fifo-unopened path="$T/target-fifo"
	mk s shm-orphan name="$SHM_PREFIX-real"
	ln -s "$T/target-fifo" "/dev/shm/$SHM_PREFIX-link"
	ln -s /etc/passwd "/dev/shm/$SHM_PREFIX-passwd"
	run --separate-stderr timeout -k 5 20 "$IPCSCOPE" list --json --type shm,sem
	assert_success
	[ "$(echo "$output" | jq --arg p "/dev/shm/$SHM_PREFIX-" '[.objects[] | select(.path | startswith($p))] | length')" -eq 1 ]
	run timeout -k 5 20 "$IPCSCOPE" clean --force --path "/dev/shm/$SHM_PREFIX-link"
	assert_success
	[ -L "/dev/shm/$SHM_PREFIX-link" ] && [ -p "$T/target-fifo" ]
}
