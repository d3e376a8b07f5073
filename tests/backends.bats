#!/usr/bin/env bats
# The two backends: proc walks /proc, bpf runs kernel iterators. Both must
# tell the same story, and choosing one must work as documented.

load helpers/common
load helpers/container

BIGIPC=${BIGIPC:-$TOP/tests/helpers/bigipc}
BIG_PIDS=()
# A command that runs ipcscope elsewhere (in a namespace); none: here.
RUN_IN=()

setup() { common_setup; }
teardown() {
	local p
	# the namespaces first: what runs in them dies with them
	pidns_stop
	ctr_stop
	for p in "${BIG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${BIG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	BIG_PIDS=()
	common_teardown
}

PIDNS_UNSHARE=""

# A child pid namespace with a /proc of its own (unshare --pid --fork
# --mount-proc) and nothing else of its own. Sets PIDNS_PID (its init, as
# the host numbers it) and PIDNS_IN, a command that runs another inside
# it: the pids that one prints, and the /proc it reads, are the
# namespace's.
pidns_start() {
	requires_root "to make a pid namespace"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
	unshare --pid --fork --mount-proc --kill-child --propagation private \
		sh -c 'echo ready >"$1" && exec sleep 100000' sh "$T/pidns.ready" \
		</dev/null >/dev/null 2>"$T/pidns.err" 3>&- &
	PIDNS_UNSHARE=$!
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$T/pidns.ready" ] && break
		kill -0 "$PIDNS_UNSHARE" 2>/dev/null || fail "the pid namespace did not start: $(cat "$T/pidns.err")"
		sleep 0.05
	done
	[ -s "$T/pidns.ready" ] || fail "the pid namespace did not start"
	PIDNS_PID=$(pgrep -P "$PIDNS_UNSHARE" | head -n 1)
	[ -n "$PIDNS_PID" ] || fail "no init below unshare $PIDNS_UNSHARE"
	PIDNS_IN=(nsenter -t "$PIDNS_PID" -p -m -r -w)
}

# Kills the namespace's init, and so everything in it.
pidns_stop() {
	[ -n "$PIDNS_UNSHARE" ] || return 0
	kill -KILL "$PIDNS_UNSHARE" 2>/dev/null || true
	wait "$PIDNS_UNSHARE" 2>/dev/null || true
	PIDNS_UNSHARE=""
}

# host_pid NSENTER_PID: the host's number of the process nsenter started
# in a namespace, which numbers it otherwise.
host_pid() {
	local p
	p=$(pgrep -P "$1" | head -n 1)
	[ -n "$p" ] || fail "nothing runs below nsenter $1"
	echo "$p"
}

# ns_pid HOST_PID: its number in its own pid namespace (NSpid's last).
ns_pid() {
	awk '$1 == "NSpid:" { print $NF }' "/proc/$1/status"
}

# Skips unless the bpf backend runs here (a build with it, root, BTF).
requires_bpf() {
	local why
	why=$("$IPCSCOPE" list --backend bpf --type pipe 2>&1 >/dev/null) ||
		skip "the bpf backend cannot run here: $why"
}

# The pids the mk helpers of this test printed (NAME_pid, NAME_child_pid,
# NAME_child_pids), comma-separated.
test_pids() {
	local v out=()
	for v in $(compgen -v | grep -E '_(pid|child_pid|child_pids)$'); do
		[ "$v" = BATS_ROOT_PID ] && continue
		[[ ${!v} =~ ^[0-9,]+$ ]] && out+=("${!v}")
	done
	(IFS=,; echo "${out[*]}")
}

# backend_json BACKEND PIDS: the objects of this test (held by one of its
# pids, or named below its places), every field, holders in a fixed order.
# Run under RUN_IN, when that is set.
backend_json() {
	"${RUN_IN[@]}" "$IPCSCOPE" list --backend "$1" --json >"$T/$1.raw" 2>"$T/$1.err" ||
		fail "list --backend $1 failed: $(cat "$T/$1.err")"
	jq -S --arg pids "$2" --arg t "$T" --arg shm "$SHM_PREFIX" '
		($pids | split(",") | map(tonumber)) as $p |
		[.objects[] | select(any(.holders[]; .pid as $h | $p | index($h)) or
			((.path // "") | startswith($t) or contains($shm)))
		 | .holders |= sort_by(.pid, .fd // -1, .mapped)
		 # seconds since last use: a second may pass between two runs
		 | del(.age)]
		| sort_by(.type, .inode, .ipcns // 0, .eventfd.id // 0)' "$T/$1.raw" >"$T/$1.json"
}

@test "backends: proc and bpf give the same objects, holders, fds, modes, mappings, fill levels and peers for every kind" {
	requires_bpf
	mk fifo fifo path="$T/f" rfd=5 wfd=6
	mk pipe pipe rfd=3 wfd=7 fill=1000
	mk sp socketpair fd=4 peerfd=9 fill=77
	mk lst listener path="$T/l.sock" lfd=3 cfd=5 afd=8
	mk pend pending path="$T/p.sock"
	mk abs abstract name="$SHM_PREFIX-abs"
	mk dg dgram path="$T/d.sock"
	mk shmfd shm-fd name="$SHM_PREFIX-fd" fd=6
	mk shmmap shm-mapped name="$SHM_PREFIX-map"
	mk shmdel shm-deleted name="$SHM_PREFIX-del"
	mk shmorph shm-orphan name="$SHM_PREFIX-orph"
	mk shmro shm-ro name="$SHM_PREFIX-ro" fd=4
	mk memfd memfd name="$SHM_PREFIX memfd" fd=5 map=1 fill=100
	mk memmap memfd-mapped name="$SHM_PREFIX-mapped"
	mk sem sem name="$SHM_PREFIX-sem"
	mk sysv sysvshm attach=1
	mk efd eventfd fd=7 count=26
	mk anon anonshm
	local pids
	pids=$(test_pids)
	backend_json proc "$pids"
	backend_json bpf "$pids"
	# not a comparison of two empty lists: every kind is there
	assert_equal "$(jq -r '[.[].type] | unique | join(",")' "$T/proc.json")" \
		"anonshm,eventfd,fifo,memfd,pipe,sem,shm,sysvshm,unix"
	assert_equal "$(jq -r '.[] | select(.inode == '"$pipe_ino"') | .pipe.queued' "$T/bpf.json")" 1000
	assert_equal "$(jq -r '.[] | select(.type == "eventfd") | .eventfd.count' "$T/bpf.json")" 26
	run diff "$T/proc.json" "$T/bpf.json"
	assert_success
	assert_equal "$(jq -r .backend.name "$T/proc.raw") $(jq -r .backend.name "$T/bpf.raw")" "proc bpf"
}

@test "backends: the same for a live shell pipeline, a FIFO between real programs, and a full pipe" {
	requires_bpf
	mkfifo "$T/live.fifo"
	(close_fds; exec sleep 1000 >"$T/live.fifo") &
	MK_PIDS+=("$!")
	(close_fds; exec cat <"$T/live.fifo" >/dev/null) &
	MK_PIDS+=("$!")
	# a writer blocked on a full pipe, its reader asleep elsewhere
	(close_fds; exec sh -c 'yes | sleep 1000') &
	local sh=$! pids p
	MK_PIDS+=("$sh")
	sleep 0.5
	# yes and sleep outlive their shell: teardown stops them too
	for p in $(pgrep -P "$sh"); do MK_PIDS+=("$p"); done
	pids=$(IFS=,; echo "${MK_PIDS[*]}")
	backend_json proc "$pids"
	backend_json bpf "$pids"
	assert_equal "$(jq '[.[] | select(.type == "fifo" and .path == "'"$T"'/live.fifo")] | length' "$T/bpf.json")" 1
	# the pipe yes fills: 65536 bytes queued of 65536
	assert_equal "$(jq -r '[.[] | select(.type == "pipe" and .pipe.queued == .pipe.capacity and .pipe.queued > 0)] | length' "$T/bpf.json")" 1
	run diff "$T/proc.json" "$T/bpf.json"
	assert_success
}

@test "backends: waits, deadlocks and a listener's peers read the same through bpf" {
	requires_bpf
	deadlock dl
	blocked_pipe bp
	mk lst listener path="$T/w.sock"
	local w
	for w in proc bpf; do
		run --separate-stderr "$IPCSCOPE" waits --backend "$w" --json
		assert_success
		jq -S '{cycles: [.cycles[] | select(any(.pids[]; . == '"$dl_a"'))],
			waits: [.waits[] | select(.pid == '"$bp_reader"' or .pid == '"$dl_a"' or .pid == '"$dl_b"')
				| del(.tid)] | sort_by(.pid, .fd)}' <<<"$output" >"$T/waits.$w"
	done
	assert_equal "$(jq '.cycles | length' "$T/waits.bpf")" 1
	# bpf may be surer, never less sure: it also reads the fds of processes
	# /proc hides (a VM's init), so a cycle proc calls uncertain for them
	# can be certain through bpf
	assert_equal "$(jq -s '.[0].cycles[0].certain as $p | .[1].cycles[0].certain as $b |
		($b or ($p | not))' "$T/waits.proc" "$T/waits.bpf")" true
	jq 'del(.cycles[].certain)' "$T/waits.proc" >"$T/waits.proc.c"
	jq 'del(.cycles[].certain)' "$T/waits.bpf" >"$T/waits.bpf.c"
	run diff "$T/waits.proc.c" "$T/waits.bpf.c"
	assert_success
	for w in proc bpf; do
		"$IPCSCOPE" show --backend "$w" --json "$T/w.sock" | jq -S '.objects | map(.holders |= sort_by(.pid, .fd) | del(.age))' >"$T/show.$w"
	done
	assert_equal "$(jq 'length' "$T/show.bpf")" 2
	run diff "$T/show.proc" "$T/show.bpf"
	assert_success
}

# ns_holders BACKEND TYPE INO: the holders of that object in
# $T/BACKEND.json, as pid:fd:mode:mapped words.
ns_holders() {
	jq -r --arg t "$2" --argjson i "$3" '.[] | select(.type == $t and .inode == $i) |
		[.holders[] | "\(.pid):\(.fd // "-"):\(.mode // "-"):\(.mapped)"] | join(" ")' "$T/$1.json"
}

# ns_compare WHAT: both backends' WHAT (a command and its options) run
# under RUN_IN, filtered by the jq program $2 into $T/WHAT.BACKEND, and
# the two compared.
ns_compare() {
	local b
	for b in proc bpf; do
		run --separate-stderr "${RUN_IN[@]}" "$IPCSCOPE" $1 --backend "$b" --json
		assert_success
		jq -S "${@:3}" "$2" <<<"$output" >"$T/${1%% *}.$b" || fail "jq failed on $b's $1"
	done
	run diff "$T/${1%% *}.proc" "$T/${1%% *}.bpf"
	assert_success
}

@test "backends: inside a child pid namespace, the same objects, holders, waits, leaks and process count, numbered as its /proc numbers them" {
	requires_bpf
	pidns_start
	MK_PREFIX=("${PIDNS_IN[@]}")
	mk pipe pipe rfd=3 wfd=7 fill=100
	local pipe_host pids b
	pipe_host=$(host_pid "${MK_PIDS[-1]}")
	mk fifo fifo path="$T/f" rfd=5 wfd=6
	mk sp socketpair fd=4 peerfd=9
	mk lst listener path="$T/l.sock"
	mk shmfd shm-fd name="$SHM_PREFIX-fd" fd=6
	mk shmmap shm-mapped name="$SHM_PREFIX-map"
	mk shmorph shm-orphan name="$SHM_PREFIX-orph"
	mk memfd memfd name="$SHM_PREFIX memfd" fd=5 map=1
	mk efd eventfd fd=7 count=3
	mk anon anonshm
	mk w wait-pipe-read
	# what only a thread holds, its leader gone: named by the thread's pid
	mk le leader-exited name="$SHM_PREFIX-le" fifo="$T/le.fifo" sock="$T/le.sock"
	MK_PREFIX=()
	# mkipc printed its pid as the namespace numbers it, not as the host does
	assert_equal "$(ns_pid "$pipe_host")" "$pipe_pid"
	[ "$pipe_host" != "$pipe_pid" ] || fail "the namespace numbers mkipc as the host does ($pipe_pid)"
	pids=$(test_pids)
	# a pipe of the host's, which no process of the namespace holds
	mk out pipe
	RUN_IN=("${PIDNS_IN[@]}")
	backend_json proc "$pids"
	backend_json bpf "$pids"
	assert_equal "$(jq -r .backend.name "$T/bpf.raw")" bpf
	# not two empty lists: every kind made is there, held by the pids the
	# namespace gives
	assert_equal "$(jq -r '[.[].type] | unique | join(",")' "$T/bpf.json")" \
		"anonshm,eventfd,fifo,memfd,pipe,shm,unix"
	assert_equal "$(ns_holders bpf pipe "$pipe_ino")" "$(by_pid "$pipe_pid:3:r:false" "$pipe_child_pid:7:w:false")"
	assert_equal "$(ns_holders bpf shm "$shmfd_ino")" "$shmfd_pid:6:rw:false"
	assert_equal "$(ns_holders bpf shm "$shmmap_ino")" "$shmmap_pid:-:rw:true"
	assert_equal "$(ns_holders bpf fifo "$le_fifo_ino")" "$le_child_pid:4:rw:false"
	assert_equal "$(ns_holders bpf eventfd "$efd_ino" | tr ' ' '\n' | cut -d: -f1 | sort -u | tr '\n' ' ')" \
		"$(printf '%s\n' "$efd_pid" "$efd_child_pid" | sort -u | tr '\n' ' ')"
	run diff "$T/proc.json" "$T/bpf.json"
	assert_success
	# nothing of a process the namespace does not see
	for b in proc bpf; do
		assert_equal "$(jq --argjson i "$out_ino" '[.objects[] | select(.type == "pipe" and .inode == $i)] | length' "$T/$b.raw")" 0
	done
	# the waiter, by its pid and tid there
	ns_compare waits '[.waits[] | select(.pid == $p)]' --argjson p "$w_child_pid"
	assert_equal "$(jq -r '.[] | "\(.pid) \(.tid) \(.syscall) \(.object.inode)"' "$T/waits.bpf")" \
		"$w_child_pid $w_child_tid read $w_ino"
	# an in-use file is no leak; the orphan is
	ns_compare "leaks -t shm" '[.objects[] | select(.path | contains($s)) | .path] | sort' --arg s "$SHM_PREFIX"
	assert_equal "$(jq -r 'join(" ")' "$T/leaks.bpf")" "/dev/shm/$SHM_PREFIX-orph"
	# every process of the namespace counted, each kind's holders too
	ns_compare summary '{processes, holders: [.types[] | select(.type | IN("shm", "memfd", "eventfd", "anonshm")) | {type, holders}]}'
	[ "$(jq '.processes.total' "$T/summary.bpf")" -ge 13 ]
	[ "$(jq '[.holders[].holders] | add' "$T/summary.bpf")" -ge 7 ]
}

@test "backends: inside a container (pid, mount, IPC, network, UTS namespaces), the same objects and holders, numbered as it numbers them" {
	requires_bpf
	ctr_start
	MK_PREFIX=("${CTR_ALL[@]}")
	mk pipe pipe rfd=3 wfd=7
	local pipe_host pids
	pipe_host=$(host_pid "${MK_PIDS[-1]}")
	mk sp socketpair fd=4 peerfd=9
	mk lst listener path="$T/c.sock"
	mk shmfd shm-fd name="$SHM_PREFIX-fd" fd=6
	mk shmorph shm-orphan name="$SHM_PREFIX-orph"
	mk q mqueue name="$SHM_PREFIX-q" fd=5
	mk sysv sysvshm attach=3
	mk sem sem name="$SHM_PREFIX-sem"
	mk efd eventfd fd=7 count=5
	MK_PREFIX=()
	assert_equal "$(ns_pid "$pipe_host")" "$pipe_pid"
	[ "$pipe_host" != "$pipe_pid" ] || fail "the container numbers mkipc as the host does ($pipe_pid)"
	pids=$(test_pids)
	RUN_IN=("${CTR_ALL[@]}")
	backend_json proc "$pids"
	backend_json bpf "$pids"
	assert_equal "$(jq -r .backend.name "$T/bpf.raw")" bpf
	assert_equal "$(jq -r '[.[].type] | unique | join(",")' "$T/bpf.json")" \
		"eventfd,mqueue,pipe,sem,shm,sysvshm,unix"
	assert_equal "$(ns_holders bpf pipe "$pipe_ino")" "$(by_pid "$pipe_pid:3:r:false" "$pipe_child_pid:7:w:false")"
	assert_equal "$(ns_holders bpf shm "$shmfd_ino")" "$shmfd_pid:6:rw:false"
	assert_equal "$(ns_holders bpf mqueue "$q_ino")" "$q_pid:5:rw:false"
	assert_equal "$(jq -r --argjson i "$sysv_shmid" '[.[] | select(.type == "sysvshm" and .inode == $i) | .holders[].pid] | join(",")' "$T/bpf.json")" \
		"$(printf '%s\n' "$sysv_pid" ${sysv_child_pids//,/ } | sort -n | paste -sd,)"
	run diff "$T/proc.json" "$T/bpf.json"
	assert_success
	ns_compare "leaks -t shm" '[.objects[] | select(.path | contains($s)) | .path] | sort' --arg s "$SHM_PREFIX"
	assert_equal "$(jq -r 'join(" ")' "$T/leaks.bpf")" "/dev/shm/$SHM_PREFIX-orph"
}

@test "backends: 300 mount namespaces, each with its own /dev/shm and mqueue filesystem: bpf lists every held file and queue, as proc does" {
	requires_bpf
	requires_root "to make mount and IPC namespaces"
	[ -x "$BIGIPC" ] || fail "the bigipc helper is not built ($BIGIPC)"
	local i n=300
	mkdir "$T/mq"
	(close_fds; exec "$BIGIPC" mntns-held "$n" "$T/mq" >"$T/big.out" 2>"$T/big.err" </dev/null) &
	BIG_PIDS+=("$!")
	for ((i = 0; i < 600; i++)); do
		grep -qx READY "$T/big.out" 2>/dev/null && break
		kill -0 "${BIG_PIDS[-1]}" 2>/dev/null || fail "bigipc failed: $(cat "$T/big.err")"
		sleep 0.05
	done
	grep -qx READY "$T/big.out" || fail "bigipc did not become ready"
	local held
	held=$(sed -n 's/^pids=//p' "$T/big.out" | tr , '\n' | sort -n | tr '\n' ' ')
	for b in proc bpf; do
		run --separate-stderr "$IPCSCOPE" list --backend "$b" --json -t shm,mqueue
		assert_success
		refute_regex "$stderr" "bpf backend|device map"
		assert_equal "$(jq -r .backend.name <<<"$output")" "$b"
		# (age: a second may pass between the two runs)
		jq -S --arg mq "$T/mq/bigipc-held" '[.objects[] | select(.path == "/dev/shm/bigipc-held" or .path == $mq)
			| del(.age)] | sort_by(.type, .dev, .inode)' <<<"$output" >"$T/big.$b"
	done
	# each namespace's file and queue, on a device of its own, held by its process
	assert_equal "$(jq '[.[] | select(.type == "shm")] | length' "$T/big.bpf")" "$n"
	assert_equal "$(jq '[.[] | select(.type == "mqueue")] | length' "$T/big.bpf")" "$n"
	assert_equal "$(jq '[.[] | .dev] | unique | length' "$T/big.bpf")" $((2 * n))
	assert_equal "$(jq -r '[.[] | select(.type == "shm") | .holders[] | .pid] | sort | .[]' "$T/big.bpf" | tr '\n' ' ')" "$held"
	assert_equal "$(jq -r '[.[] | select(.type == "mqueue") | .holders[] | .pid] | sort | .[]' "$T/big.bpf" | tr '\n' ' ')" "$held"
	run diff "$T/big.proc" "$T/big.bpf"
	assert_success
}

@test "backends: an iterator that fails halfway leaves nothing behind; /proc is walked instead, and a warning says so" {
	requires_bpf
	mk pipe pipe rfd=3 wfd=7 fill=10
	mk shm shm-mapped name="$SHM_PREFIX-half"
	mk sp socketpair fd=4 peerfd=9
	local pids
	pids=$(test_pids)
	backend_json proc "$pids"
	mv "$T/proc.json" "$T/want.json"
	# halfway through the fds (there are at least as many records as fds
	# held): some processes' fds and every mapping are in the model
	local half
	half=$(jq '[.objects[].holders[] | select(.fd != null)] | length / 2 | floor' "$T/proc.raw")
	[ "$half" -ge 2 ] || fail "too few fds on this machine to fail halfway ($half)"
	hooked
	IPCSCOPE=$IPCSCOPE_HOOKED IPCSCOPE_TEST_BPF_FAIL_AFTER=$half backend_json bpf "$pids"
	assert_equal "$(jq -c .backend "$T/bpf.raw")" '{"name":"proc","reason":"the bpf backend failed during the scan"}'
	assert_equal "$(jq -r '.warnings[] | select(startswith("the bpf backend failed"))' "$T/bpf.raw")" \
		"the bpf backend failed (reading an iterator failed: Input/output error); the processes were read through /proc instead"
	grep -q "ipcscope: the bpf backend failed" "$T/bpf.err"
	# no holder twice, nothing of the first walk left over
	assert_equal "$(jq '[.objects[] | .holders | group_by(.pid, .fd, .mapped) | map(length) | max] | max' "$T/bpf.raw")" 1
	run diff "$T/want.json" "$T/bpf.json"
	assert_success
}

@test "--backend bpf as an unprivileged user: exit 1 and one line saying why; auto falls back to proc" {
	requires_root "to switch to the nobody user"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)
	"${nobody[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	run --separate-stderr "${nobody[@]}" "$IPCSCOPE" list --backend bpf
	assert_failure 1
	assert_output ""
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_regex "$stderr" '^ipcscope: the bpf backend cannot run: .+'
	run --separate-stderr "${nobody[@]}" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(jq -r .backend.name <<<"$output")" proc
	run --separate-stderr "${nobody[@]}" env IPCSCOPE_BACKEND=bpf "$IPCSCOPE" summary
	assert_failure 1
	assert_regex "$stderr" '^ipcscope: the bpf backend cannot run: '
}

@test "--backend and IPCSCOPE_BACKEND: the option wins; the JSON says which ran and why" {
	run --separate-stderr env IPCSCOPE_BACKEND=bpf "$IPCSCOPE" list --backend proc --json --type pipe
	assert_success
	assert_equal "$(jq -c .backend <<<"$output")" '{"name":"proc","reason":"asked for"}'
	run --separate-stderr env IPCSCOPE_BACKEND=proc "$IPCSCOPE" list --json --type pipe
	assert_success
	assert_equal "$(jq -r .backend.name <<<"$output")" proc
	# auto: bpf where it loads, else proc with bpf's reason
	run --separate-stderr env -u IPCSCOPE_BACKEND "$IPCSCOPE" list --json --type pipe
	assert_success
	if "$IPCSCOPE" list --backend bpf --type pipe >/dev/null 2>&1; then
		assert_equal "$(jq -c .backend <<<"$output")" '{"name":"bpf","reason":"its programs loaded"}'
	else
		assert_equal "$(jq -r .backend.name <<<"$output")" proc
		[ "$(jq -r .backend.reason <<<"$output")" != "asked for" ]
	fi
	run --separate-stderr env IPCSCOPE_BACKEND=proc "$IPCSCOPE" summary --json
	assert_equal "$(jq -r .backend.name <<<"$output")" proc
	# and for people, summary's last line
	run --separate-stderr "$IPCSCOPE" summary --backend proc --type pipe
	assert_success
	assert_equal "${lines[${#lines[@]} - 1]}" "backend: proc (asked for)"
}

@test "--backend and IPCSCOPE_BACKEND: a bad value is a usage error naming it, escaped" {
	run --separate-stderr "$IPCSCOPE" list --backend ebpf
	assert_failure 2
	assert_equal "$stderr" "ipcscope: invalid --backend 'ebpf' (auto, proc or bpf)"
	run --separate-stderr env IPCSCOPE_BACKEND=$'b\e[2Jpf' "$IPCSCOPE" waits
	assert_failure 2
	assert_equal "$stderr" "ipcscope: invalid IPCSCOPE_BACKEND 'b\\e[2Jpf' (auto, proc or bpf)"
	run --separate-stderr "$IPCSCOPE" clean --backend
	assert_failure 2
}

@test "a fixture tree is read by proc: auto uses it, bpf is refused" {
	local fix="$BATS_TEST_DIRNAME/fixtures/basic"
	run --separate-stderr env -u IPCSCOPE_BACKEND IPCSCOPE_ROOT="$fix" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(jq -r .backend.name <<<"$output")" proc
	run --separate-stderr env IPCSCOPE_ROOT="$fix" "$IPCSCOPE" list --backend bpf
	assert_failure 1
	assert_equal "$stderr" "ipcscope: the bpf backend cannot run: it reads the running kernel, not the tree IPCSCOPE_ROOT names"
}

@test "every scanning command takes --backend" {
	local c
	for c in list show leaks waits summary graph metrics watch clean; do
		run "$IPCSCOPE" "$c" --help
		assert_success
		assert_output --partial "--backend WHICH"
	done
}

# the objects of this test in the order ipcscope listed them: type, inode
# and dev, one a line
natural_order() {
	jq -r --arg pids "$2" --arg t "$T" --arg shm "$SHM_PREFIX" '
		($pids | split(",") | map(tonumber)) as $p |
		.objects[] | select(any(.holders[]; .pid as $h | $p | index($h)) or
			((.path // "") | startswith($t) or contains($shm)))
		| "\(.type) \(.inode) \(.dev) \(.path // "")"' "$1"
}

@test "backends: the default order is the same for every backend and number of walker threads: type, named first by path, then inode" {
	mk a many count=300
	mk b many count=300
	mk f fifo path="$T/z-fifo"
	mk g fifo path="$T/a-fifo"
	mk s shm-fd name="$SHM_PREFIX-b"
	mk t shm-fd name="$SHM_PREFIX-a"
	mk u socketpair
	mk l listener path="$T/sock"
	# one inode for every eventfd: their ids order them
	mk e1 eventfd fd=5
	mk e2 eventfd fd=6
	local pids want got n b
	pids=$(test_pids)
	IPCSCOPE_THREADS=1 "$IPCSCOPE" list --backend proc --json >"$T/one.json" 2>/dev/null
	want=$(natural_order "$T/one.json" "$pids")
	[ "$(wc -l <<<"$want")" -ge 600 ] || fail "too few objects: $(wc -l <<<"$want")"
	# the order the man page gives: type in --type's order, named objects
	# first in byte order of their paths, then by inode
	local types
	types=$("$IPCSCOPE" list --help | sed -n 's/.*--type LIST.*//p' >/dev/null; echo fifo pipe unix shm memfd sem sysvshm mqueue eventfd anonshm)
	assert_equal "$want" "$(awk -v types="$types" 'BEGIN { n = split(types, t, " "); for (i = 1; i <= n; i++) rank[t[i]] = i }
		{ id = $1 == "eventfd" ? $4 : 0; path = $1 == "eventfd" ? "" : $4
		  printf "%02d %d %s %020d %020d %s\n", rank[$1], path == "" ? 1 : 0, path, $2, id, $0 }' <<<"$want" |
		LC_ALL=C sort -k1,1 -k2,2 -k3,3 -k4,4 -k5,5 | cut -d' ' -f6-)"
	for n in 2 4; do
		IPCSCOPE_THREADS=$n "$IPCSCOPE" list --backend proc --json >"$T/n.json" 2>/dev/null
		assert_equal "$(natural_order "$T/n.json" "$pids")" "$want"
		IPCSCOPE_THREADS=$n "$IPCSCOPE" list --backend proc -n --raw -o TYPE,INODE,DEV --pid "$pids" >"$T/n.txt" 2>/dev/null
		assert_equal "$(cat "$T/n.txt")" "$("$IPCSCOPE" list --backend proc -n --raw -o TYPE,INODE,DEV --pid "$pids" 2>/dev/null)"
	done
	if "$IPCSCOPE" list --backend bpf --type pipe >/dev/null 2>&1; then
		"$IPCSCOPE" list --backend bpf --json >"$T/bpf.json" 2>/dev/null
		assert_equal "$(natural_order "$T/bpf.json" "$pids")" "$want"
	fi
}

@test "below the pid namespace its /proc shows (unshare --pid, no --mount-proc): a warning, and nothing read through a pid that names another process" {
	requires_root "unshare --pid"
	mk p pipe fill=100
	run --separate-stderr unshare --pid --fork "$IPCSCOPE" list --backend proc --pid "$p_pid" --json
	assert_success
	jq -e . >/dev/null <<<"$output" || fail "invalid JSON"
	assert_equal "$(jq -r '[.warnings[] | select(startswith("ipcscope runs in a pid namespace below the one its /proc shows"))] | length' <<<"$output")" 1
	# the holders are /proc's numbers; the fill is not read, as pidfd_open
	# would take those numbers in ipcscope's own namespace
	assert_equal "$(jq -r --argjson i "$p_ino" '.objects[] | select(.inode == $i) | "\([.holders[].pid] | sort | join(",")) \(.pipe.queued)"' <<<"$output")" \
		"$(by_pid "$p_pid" "$p_child_pid" | tr ' ' ,) null"
	# where /proc is its own, no such warning, and the fill is read
	run --separate-stderr "$IPCSCOPE" list --backend proc --pid "$p_pid" --json
	assert_equal "$(jq -r '[.warnings[] | select(startswith("ipcscope runs in a pid namespace below"))] | length' <<<"$output")" 0
	assert_equal "$(jq -r --argjson i "$p_ino" '.objects[] | select(.inode == $i) | .pipe.queued' <<<"$output")" 100
}
