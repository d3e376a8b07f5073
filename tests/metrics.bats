#!/usr/bin/env bats
# ipcscope metrics: the Prometheus text format, the values, and the atomic
# textfile for node_exporter.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

metric() { # NAME{labels} from the last output
	# through the environment: awk -v would interpret the backslashes
	K="$1" awk '$1 == ENVIRON["K"] { print $2 }' <<<"$output"
}

@test "metrics: promtool accepts the output, with and without --per-process" {
	command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
	mk p pipe fill=100
	mk c comm value='we\x22ird\\a\nme' fd=5
	"$IPCSCOPE" metrics >"$T/m.prom" 2>/dev/null
	run promtool check metrics <"$T/m.prom"
	assert_success
	assert_output ""
	"$IPCSCOPE" metrics --per-process >"$T/p.prom" 2>/dev/null
	run promtool check metrics <"$T/p.prom"
	assert_success
	assert_output ""
}

@test "metrics: counts, sizes and leaks of the objects the helper made" {
	mk a shm-orphan name="$SHM_PREFIX-m1" size=8192
	mk b shm-orphan name="$SHM_PREFIX-m2" size=16384
	mk c shm-fd name="$SHM_PREFIX-m3" size=4096
	run --separate-stderr "$IPCSCOPE" metrics --type shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_success
	assert_equal "$(metric 'ipcscope_objects{type="shm"}')" 3
	assert_equal "$(metric 'ipcscope_holders{type="shm"}')" 1
	assert_equal "$(metric 'ipcscope_shm_bytes{type="shm"}')" 28672
	assert_equal "$(metric 'ipcscope_leaked_objects{reason="orphaned-shm"}')" 2
	assert_equal "$(metric 'ipcscope_leaked_bytes{reason="orphaned-shm"}')" 24576
	assert_equal "$(metric 'ipcscope_objects{type="pipe"}')" 0
	assert_line --regexp '^ipcscope_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+"\} 1$'
	assert_line --regexp '^ipcscope_scan_duration_seconds [0-9]+\.[0-9]+$'
	assert_line --regexp '^ipcscope_unreadable_processes [0-9]+$'
	# every metric has HELP and TYPE
	local name
	for name in $(grep -v '^#' <<<"$output" | sed 's/[{ ].*//' | sort -u); do
		grep -q "^# HELP $name " <<<"$output" || fail "no HELP for $name"
		grep -q "^# TYPE $name gauge$" <<<"$output" || fail "no TYPE for $name"
	done
}

@test "metrics: waiting threads by type and state, and deadlock cycles" {
	requires_root "to run the waiting processes as a user of their own"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	# a uid no one else runs as: --user then counts only these processes
	local u=$((3000000 + $$ % 100000))
	MK_PREFIX=(setpriv --reuid="$u" --regid="$u" --clear-groups)
	run --separate-stderr "$IPCSCOPE" metrics --user "$u"
	assert_success
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="empty"}')" 0
	assert_equal "$(metric ipcscope_deadlock_cycles)" 0
	blocked_pipe b
	deadlock d
	run --separate-stderr "$IPCSCOPE" metrics --user "$u"
	assert_success
	# cat of sleep | cat, and the two cats of the deadlock
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="empty"}')" 3
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="full"}')" 0
	assert_equal "$(metric 'ipcscope_waiting_threads{type="unix",state="no-data"}')" 0
	assert_equal "$(metric ipcscope_deadlock_cycles)" 1
	assert_line --regexp '^ipcscope_unreadable_threads [0-9]+$'
	local name i
	for name in ipcscope_waiting_threads ipcscope_deadlock_cycles ipcscope_unreadable_threads; do
		grep -q "^# HELP $name " <<<"$output" || fail "no HELP for $name"
		grep -q "^# TYPE $name gauge$" <<<"$output" || fail "no TYPE for $name"
	done
	if command -v promtool >/dev/null; then
		run promtool check metrics <<<"$output"
		assert_success
		assert_output ""
	fi
	# one cat of the deadlock gone, the other reads the end of its pipe
	kill -TERM "$d_a"
	for ((i = 0; i < 100; i++)); do
		[ "$(cut -d' ' -f3 "/proc/$d_b/stat" 2>/dev/null)" = S ] || break
		sleep 0.05
	done
	run --separate-stderr "$IPCSCOPE" metrics --user "$u" --type pipe
	assert_success
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="empty"}')" 1
	assert_equal "$(metric ipcscope_deadlock_cycles)" 0
	# the filters apply: no pipe is a unix socket
	run --separate-stderr "$IPCSCOPE" metrics --user "$u" --type unix
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="empty"}')" 0
}

@test "metrics: the largest pipe and socket queues" {
	mk p pipe fill=5000
	mk s socketpair fill=7000
	run --separate-stderr "$IPCSCOPE" metrics
	assert_success
	[ "$(metric ipcscope_pipe_queued_bytes_max)" -ge 5000 ]
	[ "$(metric ipcscope_unix_queue_bytes_max)" -ge 7000 ]
}

@test "metrics: --per-process counts objects per command name, escaped" {
	mk m many count=7
	mk c comm value="we\"ird" fd=5
	run --separate-stderr "$IPCSCOPE" metrics --per-process --type pipe
	assert_success
	[ "$(metric 'ipcscope_process_objects{comm="mkipc",type="pipe"}')" -ge 7 ]
	assert_equal "$(metric 'ipcscope_process_objects{comm="we\"ird",type="pipe"}')" 1
}

@test "metrics: --textfile writes DIR/ipcscope.prom atomically" {
	mkdir "$T/tf"
	mk a shm-orphan name="$SHM_PREFIX-tf"
	if command -v strace >/dev/null; then
		# LeakSanitizer cannot work under ptrace: no leak check in this run
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -o "$T/trace" -e trace=openat,fsync,rename,renameat,renameat2 \
			"$IPCSCOPE" metrics --textfile "$T/tf" 2>/dev/null
		# a temporary file in the same directory, synced, then renamed over
		grep -Eq "openat\(AT_FDCWD, \"$T/tf/\.ipcscope\.prom\.[A-Za-z0-9]{6}\", O_RDWR\|O_CREAT\|O_EXCL" "$T/trace"
		grep -q 'fsync(' "$T/trace"
		grep -Eq "rename(at2?)?\(.*\"$T/tf/\.ipcscope\.prom\.[A-Za-z0-9]{6}\",.*\"$T/tf/ipcscope\.prom\"" "$T/trace"
	else
		"$IPCSCOPE" metrics --textfile "$T/tf" 2>/dev/null
	fi
	[ -f "$T/tf/ipcscope.prom" ]
	assert_equal "$(stat -c %a "$T/tf/ipcscope.prom")" 644
	assert_equal "$(ls -A "$T/tf")" "ipcscope.prom"
	grep -q '^ipcscope_leaked_objects{reason="orphaned-shm"} [1-9]' "$T/tf/ipcscope.prom"
	tail -1 "$T/tf/ipcscope.prom" | grep -q '^ipcscope_build_info'
	run --separate-stderr "$IPCSCOPE" metrics --textfile "$T/missing"
	assert_failure 1
	[[ $stderr == *"cannot write $T/missing/ipcscope.prom: No such file or directory"* ]]
}
