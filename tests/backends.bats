#!/usr/bin/env bats
# The two backends: proc walks /proc, bpf runs kernel iterators. Both must
# tell the same story, and choosing one must work as documented.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

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
backend_json() {
	"$IPCSCOPE" list --backend "$1" --json >"$T/$1.raw" 2>"$T/$1.err" ||
		fail "list --backend $1 failed: $(cat "$T/$1.err")"
	jq -S --arg pids "$2" --arg t "$T" --arg shm "$SHM_PREFIX" '
		($pids | split(",") | map(tonumber)) as $p |
		[.objects[] | select(any(.holders[]; .pid as $h | $p | index($h)) or
			((.path // "") | startswith($t) or contains($shm)))
		 | .holders |= sort_by(.pid, .fd // -1, .mapped)]
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
		"$IPCSCOPE" show --backend "$w" --json "$T/w.sock" | jq -S '.objects | map(.holders |= sort_by(.pid, .fd))' >"$T/show.$w"
	done
	assert_equal "$(jq 'length' "$T/show.bpf")" 2
	run diff "$T/show.proc" "$T/show.bpf"
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
