#!/usr/bin/env bats
# Processes that come and go during a scan are normal: every scan succeeds
# with valid output, and a reused pid never merges two processes.

load helpers/common

setup() {
	common_setup
	CHURN=()
}

teardown() {
	local g
	# each churn loop runs in a process group of its own: stop it whole
	for g in "${CHURN[@]}"; do
		kill -TERM -- "-$g" 2>/dev/null || true
	done
	for g in "${CHURN[@]}"; do
		wait "$g" 2>/dev/null || true
	done
	# a helper still under timeout's own process group ends within its -k
	((${#CHURN[@]} == 0)) || sleep 1.5
	common_teardown
}

churn() {
	setsid bash -c "$1" </dev/null >/dev/null 2>&1 3>&- &
	CHURN+=("$!")
}

@test "races: 25 scans while processes with pipes and sockets come and go" {
	churn 'while :; do sleep 0.01 | cat >/dev/null; done'
	# -k: timeout runs its command in a process group of its own, which the
	# teardown does not reach; a helper slow to die is killed all the same
	churn "while :; do timeout -k 1 0.2 '$MKIPC' socketpair fill=10; done"
	churn "while :; do timeout -k 1 0.3 '$MKIPC' listener path='$T/churn.sock' </dev/null; rm -f '$T/churn.sock'; done"
	churn "while :; do (exec 7<>/dev/null; sleep 0.02) & sleep 0.005; done"
	sleep 0.5
	local i
	for ((i = 1; i <= 25; i++)); do
		if ((i % 5 == 0)); then
			"$IPCSCOPE" list >"$T/out.txt" 2>"$T/err" || fail "table scan $i failed: $(cat "$T/err")"
			continue
		fi
		"$IPCSCOPE" list --json >"$T/out.json" 2>"$T/err" || fail "scan $i failed: $(cat "$T/err")"
		jq -e '.version == 1 and (.objects | length) > 0' "$T/out.json" >/dev/null ||
			fail "scan $i printed invalid JSON"
	done
}

@test "races: a pid reused between the process list and the walk is not merged" {
	requires_root "to choose the next pid through ns_last_pid"
	[ -w /proc/sys/kernel/ns_last_pid ] || skip "ns_last_pid is not writable here"
	mkfifo "$T/f"
	sleep 1000 >"$T/f" 3>&- &
	local victim=$!
	sleep 1000 <"$T/f" 3>&- &
	local reader=$!
	MK_PIDS+=("$reader")
	hooked
	IPCSCOPE_TEST_PAUSE_AFTER_PROCS=1 "$IPCSCOPE_HOOKED" list --json --type pipe,fifo \
		>"$T/out.json" 2>"$T/err" 3>&- &
	local scan=$! i
	wait_stopped "$scan" ipcscope
	# the victim dies; a new process holding a pipe of its own takes its pid
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null || true
	# start times count clock ticks (10 ms): a pid reused within the tick
	# its first owner started in cannot be told apart, by us or by ps
	sleep 0.05
	echo $((victim - 1)) >/proc/sys/kernel/ns_last_pid
	"$MKIPC" pipe >"$T/imp.out" 2>&1 </dev/null 3>&- &
	local impostor=$!
	MK_PIDS+=("$impostor")
	if [ "$impostor" != "$victim" ]; then
		kill -CONT "$scan"
		wait "$scan" || true
		skip "another process took pid $victim first"
	fi
	for ((i = 0; i < 100; i++)); do
		grep -qx READY "$T/imp.out" && break
		sleep 0.05
	done
	kill -CONT "$scan"
	wait "$scan" || fail "the scan failed: $(cat "$T/err")"
	jq -e . "$T/out.json" >/dev/null
	# neither the dead victim nor the impostor is reported under that pid
	run jq -r --argjson p "$victim" '.objects[] | select(any(.holders[]; .pid == $p)) | "\(.type) \(.inode)"' "$T/out.json"
	assert_output ""
	# the reader is still there, alone now on its FIFO
	run jq -r --argjson i "$(stat -c %i "$T/f")" '.objects[] | select(.inode == $i) | [.holders[] | "\(.pid):\(.fd):\(.mode)"] | join(" ")' "$T/out.json"
	assert_output "$reader:0:r"
}
