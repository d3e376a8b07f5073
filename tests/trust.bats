#!/usr/bin/env bats
# leaks and clean never harm: a verdict that leads to removal needs a
# complete view, and clean re-checks use before it acts.

load helpers/common

setup() { common_setup; }
teardown() {
	common_teardown
	[ -z "${PUBDIR:-}" ] || rm -rf "$PUBDIR"
}

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)

# The object at PATH in the last $output (leaks --json), compact.
obj_at() { jq -c --arg p "$1" '.objects[] | select(.path == $p)' <<<"$output"; }

@test "partial view: in another pid and network namespace, a live socket is not certainly stale, and clean keeps it" {
	requires_root "to make pid and network namespaces"
	mkdir "$T/run"
	mk live listener path="$T/run/live.sock"
	local ns=(unshare --net --pid --mount --fork --mount-proc --kill-child)
	run --separate-stderr "${ns[@]}" "$IPCSCOPE" leaks --json --path "$T/run"
	assert_success
	local o
	o=$(obj_at "$T/run/live.sock")
	# seen from there, no socket is bound to it, but that view is partial
	assert_equal "$(jq -r '"\(.reason) \(.certain)"' <<<"$o")" "stale-socket false"
	[[ $(jq -r .uncertain <<<"$o") == *"processes outside this pid namespace are not seen"* ]]
	[[ $stderr == *"runs in a pid namespace that is not the host's"* ]]
	[[ $stderr == *"stale-socket verdicts are uncertain, and clean removes none of them"* ]]
	run --separate-stderr "${ns[@]}" "$IPCSCOPE" leaks --exit-code --path "$T/run"
	assert_success
	assert_line --regexp "^unix +$live_path_ino +$T/run/live.sock .* stale-socket +no\$"
	run --separate-stderr "${ns[@]}" "$IPCSCOPE" clean --force --path "$T/run/live.sock"
	assert_success
	assert_line "skipped unix $T/run/live.sock (stale-socket): uncertain: processes outside this pid namespace are not seen"
	refute_line --partial "removed"
	[ -S "$T/run/live.sock" ]
	[ "$(stat -c %i "$T/run/live.sock")" = "$live_path_ino" ]
	# from the host, the same file is live, and a stale one beside it certain
	mk dead stale-socket path="$T/run/dead.sock"
	unread_holds_nothing
	run --separate-stderr "$IPCSCOPE" leaks --json --path "$T/run"
	assert_success
	assert_equal "$(jq -r '[.objects[] | "\(.path) \(.reason) \(.certain)"] | join(";")' <<<"$output")" \
		"$T/run/dead.sock stale-socket true"
}

@test "partial view: a network namespace sock_diag could not read makes stale sockets uncertain" {
	requires_root "to make a network namespace"
	# nobody must reach the socket file: not below bats' private directories
	PUBDIR=$(mktemp -d /tmp/ipcscope-trust.XXXXXX)
	chmod 755 "$PUBDIR"
	mkdir "$PUBDIR/run"
	mk dead stale-socket path="$PUBDIR/run/dead.sock"
	unread_holds_nothing
	# nobody's socket in a new network namespace: root enters it for
	# sock_diag, nobody cannot, and reads only its net/unix
	MK_PREFIX=(unshare --net "${NOBODY[@]}")
	mk n unnamed
	MK_PREFIX=()
	run --separate-stderr "$IPCSCOPE" leaks --json --path "$PUBDIR/run"
	assert_success
	assert_equal "$(jq -r "$(printf '.objects[] | select(.path == "%s") | .certain' "$PUBDIR/run/dead.sock")" <<<"$output")" true
	"${NOBODY[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	chown 65534 "$PUBDIR/run" "$PUBDIR/run/dead.sock"
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" leaks --json --path "$PUBDIR/run"
	assert_success
	local u
	u=$(jq -r "$(printf '.objects[] | select(.path == "%s") | .uncertain' "$PUBDIR/run/dead.sock")" <<<"$output")
	[[ $u == *"could not be read"* ]] || fail "uncertain: $u"
	[[ $u == *"1 network namespace could not be read by sock_diag"* ]] || fail "uncertain: $u"
}

@test "unprivileged: an shm file a root process holds is an uncertain leak; --exit-code and clean ignore it" {
	requires_root "to switch users"
	"${NOBODY[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	mk h shm-fd name="$SHM_PREFIX-held" fd=6
	chown 65534 "/dev/shm/$SHM_PREFIX-held"
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" leaks --json --type shm --path "/dev/shm/$SHM_PREFIX-held"
	assert_success
	local o
	o=$(obj_at "/dev/shm/$SHM_PREFIX-held")
	assert_equal "$(jq -r '"\(.inode) \(.reason) \(.certain)"' <<<"$o")" "$h_ino orphaned-shm false"
	[[ $(jq -r .uncertain <<<"$o") =~ ^[0-9]+\ process(es)?\ could\ not\ be\ read ]]
	assert_equal "$(jq -r '"\(.summary.objects) \(.summary.uncertain)"' <<<"$output")" "1 1"
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" leaks --exit-code --type shm --path "/dev/shm/$SHM_PREFIX-held"
	assert_success
	assert_line --regexp "^shm +$h_ino .* orphaned-shm +no\$"
	assert_line "1 leaked, 8.0K, 0B resident; 1 of them uncertain (CERTAIN no)"
	[[ $stderr == *"leak verdicts are uncertain, and clean removes none of them"* ]]
	[[ $stderr == *"run as root to see them"* ]]
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" clean --force --type shm --path "/dev/shm/$SHM_PREFIX-held"
	assert_success
	assert_line --regexp "^skipped shm /dev/shm/$SHM_PREFIX-held \(8.0K, orphaned-shm\): uncertain: [0-9]+ process(es)? could not be read\$"
	[ -e "/dev/shm/$SHM_PREFIX-held" ]
	# root sees the holder: no leak at all
	run --separate-stderr "$IPCSCOPE" leaks --json --type shm --path "/dev/shm/$SHM_PREFIX-held"
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
}

@test "hidepid=2: hidden processes are detected, said, counted in summary and metrics, and make verdicts uncertain" {
	requires_root "to mount a private /proc with hidepid"
	"${NOBODY[@]}" test -x "$IPCSCOPE" || skip "nobody cannot execute $IPCSCOPE"
	mk h shm-fd name="$SHM_PREFIX-hid" fd=5
	chown 65534 "/dev/shm/$SHM_PREFIX-hid"
	local in=(unshare --mount --propagation private sh -c)
	local mnt="mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND"
	run --separate-stderr "${in[@]}" "$mnt '$IPCSCOPE' summary"
	assert_success
	assert_line --regexp '^processes: [0-9]+, not readable: 0, hidden: some, how many is unknown$'
	assert_line --partial "not seen: /proc hides other users' processes (hidepid)"
	[[ $stderr == *"/proc is mounted with hidepid"* ]]
	run --separate-stderr "${in[@]}" "$mnt '$IPCSCOPE' metrics"
	assert_success
	assert_line "ipcscope_hidden_processes 1"
	assert_line "ipcscope_view_complete 0"
	# every leak is uncertain, ours among them, whatever else runs here
	local all unsure
	all=$(sed -n 's/^ipcscope_leaked_objects{reason="orphaned-shm"} //p' <<<"$output")
	unsure=$(sed -n 's/^ipcscope_leaked_uncertain_objects{reason="orphaned-shm"} //p' <<<"$output")
	[ "$all" -ge 1 ] && [ "$unsure" = "$all" ] || fail "leaked $all, uncertain $unsure"
	run --separate-stderr "${in[@]}" "$mnt '$IPCSCOPE' leaks --json --type shm --path '/dev/shm/$SHM_PREFIX-hid'"
	assert_success
	assert_equal "$(obj_at "/dev/shm/$SHM_PREFIX-hid" | jq -r '"\(.inode) \(.certain) \(.uncertain)"')" \
		"$h_ino false /proc hides other users' processes (hidepid)"
	run --separate-stderr "${in[@]}" "$mnt '$IPCSCOPE' clean --force --type shm --path '/dev/shm/$SHM_PREFIX-hid'"
	assert_success
	assert_line "skipped shm /dev/shm/$SHM_PREFIX-hid (8.0K, orphaned-shm): uncertain: /proc hides other users' processes (hidepid)"
	[ -e "/dev/shm/$SHM_PREFIX-hid" ]
	# the same, with the option spelled the old way and root's view: root sees all
	run --separate-stderr unshare --mount --propagation private sh -c \
		"mount -t proc -o hidepid=invisible proc /proc && '$IPCSCOPE' metrics"
	assert_line "ipcscope_hidden_processes 0"
}

@test "clean: a SysV segment attached and detached between the scan and the re-check is kept" {
	unread_holds_nothing
	mk v sysvshm-orphan size=4096
	hooked
	IPCSCOPE_TEST_PAUSE_BEFORE_RECHECK=1 "$IPCSCOPE_HOOKED" clean --force --type sysvshm \
		--path "key 0x00000000" >"$T/clean.out" 2>"$T/clean.err" 3>&- &
	local cp=$!
	wait_stopped "$cp" clean
	# perl's shmread attaches, reads and detaches: nattch is 0 again after
	perl -e 'shmread($ARGV[0], my $v, 0, 1) or die "shmread: $!"' "$v_shmid"
	kill -CONT "$cp"
	wait "$cp"
	run cat "$T/clean.out"
	assert_line "skipped sysvshm shmid $v_shmid (key 0x00000000) (4.0K, orphaned-sysvshm): it was attached or detached since the scan"
	run awk -v id="$v_shmid" 'NR > 1 && $2 == id {print $2}' /proc/sysvipc/shm
	assert_output "$v_shmid"
	# untouched, it goes
	run --separate-stderr "$IPCSCOPE" clean --force --type sysvshm --path "key 0x00000000"
	assert_line "removed sysvshm shmid $v_shmid (key 0x00000000) (4.0K, orphaned-sysvshm)"
}

@test "clean: -P selects a SysV segment by the key the PATH column shows" {
	unread_holds_nothing
	local key
	key=$(printf '0x0acc%04x' $(($$ % 65536)))
	mk a sysvshm-orphan size=4096 key="$key"
	mk b sysvshm-orphan size=4096
	run --separate-stderr "$IPCSCOPE" leaks --type sysvshm --path "key $key"
	assert_success
	assert_line --regexp "^sysvshm +$a_shmid +key $key .* orphaned-sysvshm +yes\$"
	refute_line --regexp "^sysvshm +$b_shmid "
	run --separate-stderr "$IPCSCOPE" clean --force -t sysvshm -P 'key 0x0acc*'
	assert_success
	assert_line "removed sysvshm shmid $a_shmid (key $key) (4.0K, orphaned-sysvshm)"
	refute_output --partial "shmid $b_shmid "
	run awk -v id="$b_shmid" 'NR > 1 && $2 == id {print $2}' /proc/sysvipc/shm
	assert_output "$b_shmid"
}

@test "leaks -t shm or -t fifo: no sock_diag warning, and no search for socket files" {
	mk o shm-orphan name="$SHM_PREFIX-q"
	mkdir "$T/run"
	mk s stale-socket path="$T/run/x.sock"
	run --separate-stderr "$IPCSCOPE" leaks --type shm --path "$T/run"
	assert_success
	refute_output --partial "x.sock"
	[[ $stderr != *sock_diag* ]] || fail "warned: $stderr"
	run --separate-stderr "$IPCSCOPE" leaks --json --type fifo --path "$T/run"
	assert_success
	[[ $stderr != *sock_diag* ]] || fail "warned: $stderr"
	assert_equal "$(jq '.objects | length' <<<"$output")" 0
	command -v strace >/dev/null || skip "strace is not installed"
	# LeakSanitizer cannot work under ptrace: no leak check in this run
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -o "$T/trace" -e trace=openat "$IPCSCOPE" leaks --type shm --path "$T/run" >/dev/null 2>&1
	run grep -F "$T/run" "$T/trace"
	assert_output ""
}

@test "denied processes as root get the real reason, not 'run as root'" {
	requires_root "to be root"
	# a root without CAP_SYS_PTRACE cannot read processes with more
	# capabilities than it has, such as this test's own shell; through
	# /proc, that is (the bpf backend reads their fds in the kernel: below)
	run --separate-stderr setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace \
		"$IPCSCOPE" list --json --type pipe --backend proc
	assert_success
	[[ $stderr =~ [0-9]+\ of\ [0-9]+\ processes\ not\ readable ]] || fail "no count: $stderr"
	[[ $stderr == *"runs as root without CAP_SYS_PTRACE"* ]] || fail "advice: $stderr"
	[[ $stderr != *"run as root to see them"* ]] || fail "advice: $stderr"
	# with all capabilities, whatever is still denied is not for want of root
	run --separate-stderr "$IPCSCOPE" list --json --type pipe
	assert_success
	[[ $stderr != *"run as root to see them"* ]] || fail "advice: $stderr"
}

@test "bpf: a root without CAP_SYS_PTRACE still sees the pipes of the processes /proc denies it" {
	requires_root "to be root"
	"$IPCSCOPE" list --backend bpf --type pipe >/dev/null 2>&1 || skip "the bpf backend cannot run here"
	mk p pipe rfd=3 wfd=4
	local drop=(setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace)
	# this shell has capabilities the dropped root lacks: /proc denies it
	run --separate-stderr "${drop[@]}" "$IPCSCOPE" list --json --type pipe --backend proc
	assert_success
	[[ $stderr =~ [0-9]+\ of\ [0-9]+\ processes\ not\ readable ]] || fail "no count: $stderr"
	local denied_pipes=$(jq "[.objects[] | select(any(.holders[]; .pid == $$))] | length" <<<"$output")
	run --separate-stderr "${drop[@]}" "$IPCSCOPE" list --json --type pipe --backend bpf
	assert_success
	[[ $stderr != *"not readable"* ]] || fail "bpf reported unreadable processes: $stderr"
	assert_equal "$denied_pipes" 0
	# bats' own pipes, held by this shell, are seen
	[ "$(jq "[.objects[] | select(any(.holders[]; .pid == $$))] | length" <<<"$output")" -gt 0 ]
	assert_equal "$(jq -r ".objects[] | select(.inode == $p_ino) | [.holders[] | \"\(.pid):\(.fd)\"] | join(\" \")" <<<"$output")" \
		"$(by_pid "$p_pid:3" "$p_child_pid:4")"
}
