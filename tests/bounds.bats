#!/usr/bin/env bats
# Memory and time stay bounded when another user makes what ipcscope reads
# huge: one pipe held through 100,000 fds, maps files of 120 MB, hundreds
# of mount namespaces, FIFOs by the hundred thousand, thousands of threads
# asleep on one poll array or one epoll. Each scene is built by
# tests/helpers/bigipc; ipcscope runs under /usr/bin/time, and its peak RSS
# must stay under a bound that the code before these limits overshot by
# far, while its output stays exact. A bound leaves room for the machine's
# own processes: 4 MB is what a list of a quiet machine takes.

load helpers/common

BIGIPC=${BIGIPC:-$TOP/tests/helpers/bigipc}
BIG_PIDS=()
BIG_PREFIX=()
SHM_FILE=""

setup() {
	common_setup
	[ -x "$BIGIPC" ] || fail "the bigipc helper is not built ($BIGIPC)"
	[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (Debian package time)"
}

teardown() {
	local p
	for p in "${BIG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${BIG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	BIG_PIDS=()
	[ -z "$SHM_FILE" ] || rm -f "$SHM_FILE"
	# 200,000 FIFOs left behind would fill every later leak search
	rm -rf "$T/ff"
	common_teardown
}

# big NAME SCENE ARGS...: starts bigipc (or, with BIG_PREFIX set, bigipc
# under that command, which must exec it) and waits for READY; each
# key=value it prints becomes NAME_key.
big() {
	local name=$1 out="$T/big.$1.out" i line
	shift
	(close_fds; exec "${BIG_PREFIX[@]}" "$BIGIPC" "$@" >"$out" 2>"$T/big.$name.err" </dev/null) &
	BIG_PIDS+=("$!")
	for ((i = 0; i < 1200; i++)); do
		grep -qx READY "$out" 2>/dev/null && break
		kill -0 "${BIG_PIDS[-1]}" 2>/dev/null || fail "bigipc $* failed: $(cat "$T/big.$name.err")"
		sleep 0.05
	done
	grep -qx READY "$out" || fail "bigipc $* did not become ready"
	while IFS= read -r line; do
		[ "$line" = READY ] && break
		printf -v "${name}_${line%%=*}" '%s' "${line#*=}"
	done <"$out"
}

# peak ARGS...: runs ipcscope ARGS with stdout in $T/out and stderr in
# $T/err; sets RSS_KB to its peak RSS and SECS to its wall time.
peak() {
	/usr/bin/time -o "$T/time" -f '%M %e' "$IPCSCOPE" "$@" >"$T/out" 2>"$T/err" ||
		fail "ipcscope $* failed: $(cat "$T/err")"
	read -r RSS_KB SECS <"$T/time"
	echo "ipcscope $*: ${RSS_KB} KB peak, ${SECS} s" >&3
}

# rss_below MIB: the peak is under MIB. Under ASan (make check with
# SANFLAGS), whose shadow memory and quarantine are no measure of
# ipcscope's, only the output is checked.
rss_below() {
	if [ -n "${IPCSCOPE_SANITIZED:-}" ]; then
		echo "peak RSS not checked under sanitizers (${RSS_KB} KB)" >&3
		return 0
	fi
	[ "$RSS_KB" -lt $(($1 * 1024)) ] || fail "peak RSS ${RSS_KB} KB, over $1 MiB"
}

@test "bounds: one pipe with 100,000 holder entries, listed as JSON" {
	# 10 processes with 10,000 dups each, and the 2 ends each inherited.
	# A holder cost about 2.7 KB in the writer's tree (1 GB for 380,000),
	# so 270 MB here; streamed, it is the model's ~100 B and the ~150 B of
	# its text: 25 MB, and 4 MB of the rest.
	big h holders 10 10000
	peak list --json -t pipe
	rss_below 64
	run jq --argjson i "$h_ino" '.objects[] | select(.inode == $i) | .holders | length' "$T/out"
	assert_output 100020
	# every holder is one of the processes, and each has all its entries
	run jq -r --argjson i "$h_ino" '.objects[] | select(.inode == $i) | .holders[] | .pid' "$T/out"
	assert_equal "$(sort -n <<<"$output" | uniq -c | awk '{print $1}' | sort -u)" 10002
	assert_equal "$(sort -n <<<"$output" | uniq | tr '\n' ,)" "$(tr , '\n' <<<"$h_pids" | sort -n | tr '\n' ,)"
}

@test "bounds: a maps file of 120 MB is read a line at a time" {
	# 30,000 mappings of a file whose path is 4,000 bytes: the whole file
	# in one buffer was 120 MB; the line reader's buffer is 64 KiB
	big m maps 1 30000 4000 "$T"
	[ "$(wc -l <"/proc/$m_pids/maps")" -gt 30000 ]
	peak list --backend proc --pid "$m_pids" --json
	rss_below 32
	run jq -r '.backend.name' "$T/out"
	assert_output proc
	# the file is no IPC object
	run jq '.objects | length' "$T/out"
	assert_output 0
}

@test "bounds: 260 mount namespaces, each with a /dev/shm of its own" {
	# each namespace's tmpfs is one more device to know shm files by: the
	# bpf backend's map held 256 and gave up for /proc, and every shared
	# mapping was parsed in full. A process with 20,000 mappings of 4 KB
	# paths beside them: 80 MB in a whole-file read.
	big n mntns 260
	big m maps 1 20000 4000 "$T"
	peak leaks -t shm --json
	rss_below 32
	refute grep -q "bpf backend failed" "$T/err"
	# each namespace's orphan, found through its process
	run jq -r '.objects[] | select(.path == "/dev/shm/bigipc-orphan") | .home_pid' "$T/out"
	assert_equal "$(sort -n <<<"$output" | tr '\n' ,)" "$(tr , '\n' <<<"$n_pids" | sort -n | tr '\n' ,)"
	assert_equal "$(wc -l <<<"$output")" 260
}

@test "bounds: 200,000 FIFOs in a directory tree 200 deep" {
	# 65,536 of them become objects at most, ~400 B each, and ~250 B more
	# for a row of the table: 30 and 45 MB. All 200,000 were 90 MB as
	# JSON and 130 MB as a table (195 MB for 300,000).
	mkdir "$T/ff"
	"$BIGIPC" fifos "$T/ff" 200000 200 >/dev/null
	peak leaks -t fifo -P "$T/ff" --json
	rss_below 48
	# the cap counts the machine's other orphaned FIFOs too
	run jq '[.objects[] | select(.reason == "orphaned-fifo")] | length' "$T/out"
	[ "$output" -le 65536 ] && [ "$output" -ge 65000 ] || fail "$output FIFOs listed"
	grep -q "65536 files found; some may be missing" "$T/err"
	peak leaks -t fifo -P "$T/ff"
	rss_below 64
}

@test "bounds: 4,778 threads in poll on 4,096 copies of one pipe fd" {
	# 20 million waits before (30 s, 2.4 GB); one poll array decoded once,
	# and its 4,096 copies one wait per thread: 4,778 waits
	big p poll 4778 4096
	peak waits --json
	rss_below 64
	run jq --argjson p "$p_pid" '[.waits[] | select(.pid == $p)] | length,
		([.[] | .tid] | unique | length), ([.[] | "\(.fd) \(.object.inode) \(.syscall)"] | unique)' "$T/out"
	assert_output "$(printf '4778\n4778\n[\n  "%s %s poll"\n]' "$p_fd" "$p_ino")"
	peak list -t pipe --pid "$p_pid" --json
	rss_below 64
	run jq -r --argjson i "$p_ino" '.objects[] | select(.inode == $i) | .holders[] |
		"\(.pid) \(.fd) \(.wait)"' "$T/out"
	assert_output "$(printf '%s %s poll\n%s %s null' "$p_pid" "$p_fd" "$p_pid" "$p_wfd")"
}

@test "bounds: 1,000 threads in epoll_wait on one epoll of 19,000 dups" {
	# the epoll's fdinfo was read and its 4,096 first fds followed once
	# per thread (124 s, 518 MB); now once, and the dups of one pipe are
	# one wait per thread, through the first
	big e epoll 1000 19000
	peak waits --json
	rss_below 48
	run jq --argjson p "$e_pid" '[.waits[] | select(.pid == $p)] | length,
		([.[] | .tid] | unique | length), ([.[] | "\(.fd) \(.via) \(.object.inode)"] | unique)' "$T/out"
	assert_output "$(printf '1000\n1000\n[\n  "%s %s %s"\n]' $((e_epfd + 1)) "$e_epfd" "$e_ino")"
}

@test "bounds: a /dev/shm file mapped through a bind mount elsewhere is held" {
	# known by its device, not by the spelling of the path it was mapped
	# through: a chroot's or a container's /dev/shm is named otherwise
	SHM_FILE=/dev/shm/$SHM_PREFIX-bind
	head -c 8192 /dev/zero >"$SHM_FILE"
	mkdir "$T/bind"
	BIG_PREFIX=(unshare -m sh -c 'mount --make-rprivate / && mount --bind /dev/shm "$0" && exec "$@"' "$T/bind")
	big s mapfile "$T/bind/$SHM_PREFIX-bind"
	BIG_PREFIX=()
	# maps names the file as its mount is reached from our root: below a
	# chroot, the bind may not be reachable and be named otherwise
	local line
	line=$(grep -F -- "$SHM_PREFIX-bind" "/proc/$s_pid/maps") || fail "the file is not mapped"
	[[ $line != *" /dev/shm/$SHM_PREFIX-bind" ]] ||
		skip "maps names the mapping /dev/shm/... here: no other spelling to tell apart"
	[ -z "$(ls "/proc/$s_pid/fd" | sed '/^[012]$/d')" ]
	ipc_json -t shm -P "$SHM_FILE"
	run holders_of "$s_ino"
	assert_output "$s_pid:-:rw:true"
	run "$IPCSCOPE" leaks -t shm -P "$SHM_FILE"
	refute_output --partial "$SHM_FILE"
}

@test "bounds: a process's waits stop at 65,536, and the threads past them are said" {
	# 20 threads, each in poll on an array of its own of 4,096 pipes:
	# 81,920 waits on distinct objects. 16 threads' fit; the 4 others
	# count as not read. The waits' document was one tree (535 MB), and
	# is dumped a wait at a time.
	big q pollmany 20 4096
	peak waits --json
	rss_below 64
	run jq --argjson p "$q_pid" '[.waits[] | select(.pid == $p)] | length,
		([.[] | .tid] | unique | length)' "$T/out"
	assert_output "$(printf '65536\n16')"
	grep -Eq "^ipcscope: [0-9]+ sleeping threads were not followed: at most 65536 waits of one process are recorded$" "$T/err"
	[ "$(jq .threads_unread "$T/out")" -ge 4 ]
}
