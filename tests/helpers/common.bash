# Shared setup for the bats suite: the binary under test, the mkipc object
# factory, and cleanup that runs even when a test fails.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
IPCSCOPE=${IPCSCOPE:-$TOP/ipcscope}
# The test binary (make check builds it): ./ipcscope with the IPCSCOPE_TEST_*
# hooks, which the shipped binary does not have. Only a test that needs a
# hook runs it.
IPCSCOPE_HOOKED=${IPCSCOPE_HOOKED:-$TOP/build/ipcscope-test}
MKIPC=${MKIPC:-$TOP/tests/helpers/mkipc}
# Unique per test file run, so parallel or leftover runs never collide.
SHM_PREFIX="ipcscope-test-$$-${BATS_TEST_NUMBER:-0}"
MK_PIDS=()
# A command to run mkipc under, e.g. (setpriv --reuid=65534 ...).
MK_PREFIX=()

common_setup() {
	[ -x "$IPCSCOPE" ] || fail "ipcscope is not built ($IPCSCOPE)"
	[ -x "$MKIPC" ] || fail "the mkipc helper is not built ($MKIPC)"
	T="$BATS_TEST_TMPDIR"
}

common_teardown() {
	local p
	for p in "${MK_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${MK_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	MK_PIDS=()
# A command to run mkipc under, e.g. (setpriv --reuid=65534 ...).
MK_PREFIX=()
	rm -f /dev/shm/"$SHM_PREFIX"* /dev/shm/sem."$SHM_PREFIX"* 2>/dev/null || true
}

# mk NAME FACTORY [key=value ...]
# Starts mkipc in the background and waits for READY. Every fact it prints,
# key=value, becomes the shell variable NAME_key. Exit status 3 from mkipc
# means "not supported here" and skips the test with its reason.
mk() {
	local name=$1
	shift
	local out="$BATS_TEST_TMPDIR/mk.$name.out" err="$BATS_TEST_TMPDIR/mk.$name.err"
	"${MK_PREFIX[@]}" "$MKIPC" "$@" >"$out" 2>"$err" </dev/null 3>&- &
	local bg=$!
	MK_PIDS+=("$bg")
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qx READY "$out" 2>/dev/null && break
		if ! kill -0 "$bg" 2>/dev/null; then
			local rc=0
			wait "$bg" || rc=$?
			if [ "$rc" -eq 3 ]; then
				skip "mkipc $1: not supported here: $(cat "$err")"
			fi
			fail "mkipc $* failed (status $rc): $(cat "$err")"
		fi
		sleep 0.05
	done
	grep -qx READY "$out" || fail "mkipc $* did not become ready: $(cat "$err")"
	local line key value
	while IFS= read -r line; do
		[ "$line" = READY ] && break
		key=${line%%=*}
		value=${line#*=}
		[[ $key =~ ^[a-z_]+$ && $value =~ ^[-0-9A-Za-z:,._]*$ ]] ||
			fail "mkipc printed an unexpected line: $line"
		printf -v "${name}_${key}" '%s' "$value"
	done <"$out"
}

# blocked_pipe NAME [READER]: `sleep 1000 | cat`, with cat (or READER, a
# program that reads its stdin, such as a copy of cat with a hostile name)
# asleep in read(0) on the empty pipe: a wait no mkipc factory makes. Sets
# NAME_writer (sleep), NAME_reader (cat) and NAME_ino (the pipe). Both are
# this shell's children, run under MK_PREFIX as mkipc is, and stopped at
# teardown.
blocked_pipe() {
	local name=$1 reader=${2:-cat} wpid="$BATS_TEST_TMPDIR/$1.writer" i r
	# the pid goes through a file this shell opens: MK_PREFIX's user may
	# not write here
	(close_fds; exec "${MK_PREFIX[@]}" sh -c 'echo $$ >&2; exec sleep 1000 2>/dev/null' 2>"$wpid") |
		(close_fds; exec "${MK_PREFIX[@]}" "$reader" >/dev/null) &
	r=$!
	MK_PIDS+=("$r")
	for ((i = 0; i < 200; i++)); do
		[ -s "$wpid" ] && break
		sleep 0.05
	done
	[ -s "$wpid" ] || fail "blocked_pipe $name: the writer did not start"
	MK_PIDS+=("$(cat "$wpid")")
	wait_read_fd0 "$r" "blocked_pipe $name: cat"
	printf -v "${name}_reader" '%s' "$r"
	printf -v "${name}_writer" '%s' "$(cat "$wpid")"
	printf -v "${name}_ino" '%s' "$(stat -Lc %i "/proc/$r/fd/0")"
}

# deadlock NAME: two cats, each asleep in read on the pipe the other one
# writes to (bash's coproc), and nothing else holds those pipes: a
# deadlock. Sets NAME_a and NAME_b (pids) and NAME_a_ino and NAME_b_ino
# (the pipe each reads). Run under MK_PREFIX, stopped at teardown.
deadlock() {
	local name=$1 out="$BATS_TEST_TMPDIR/$1.pids" a b
	# the coproc's fds are closed in bash's children: dup'd for the second cat
	(close_fds; exec "${MK_PREFIX[@]}" bash -c 'coproc cat; exec 5<&"${COPROC[0]}" 6>&"${COPROC[1]}"
		cat <&5 >&6 5<&- 6>&- & echo "$COPROC_PID $!"' >"$out" 2>/dev/null)
	read -r a b <"$out" || fail "deadlock $name: the cats did not start"
	MK_PIDS+=("$a" "$b")
	wait_read_fd0 "$a" "deadlock $name: the first cat"
	wait_read_fd0 "$b" "deadlock $name: the second cat"
	printf -v "${name}_a" '%s' "$a"
	printf -v "${name}_b" '%s' "$b"
	printf -v "${name}_a_ino" '%s' "$(stat -Lc %i "/proc/$a/fd/0")"
	printf -v "${name}_b_ino" '%s' "$(stat -Lc %i "/proc/$b/fd/0")"
}

# close_fds: in a subshell about to exec a process that waits, closes
# every fd above 2, such as bats' pipes and fd 3: a test that counts waits
# on pipes must not find others asleep on one its process inherited.
close_fds() {
	local f
	for f in /proc/"$BASHPID"/fd/*; do
		f=${f##*/}
		[ "$f" -gt 2 ] && eval "exec $f>&-"
	done 2>/dev/null
	return 0
}

# wait_read_fd0 PID WHAT: waits until PID sleeps (S) in a call whose first
# argument is fd 0, its read (the call's number differs between
# architectures), or fails naming WHAT.
wait_read_fd0() {
	local i st sc=()
	for ((i = 0; i < 200; i++)); do
		st=$(cat "/proc/$1/stat" 2>/dev/null) || break
		st=${st##*) }
		read -r -a sc <"/proc/$1/syscall" 2>/dev/null || sc=()
		[ "${st%% *}" = S ] && [ "${sc[1]:-}" = 0x0 ] && return 0
		sleep 0.05
	done
	fail "$2 did not block in read"
}

# Stops the mkipc instance NAME early (its cleanup runs), e.g. to see an
# object disappear.
mk_stop() {
	local pidvar="${1}_pid"
	kill -TERM "${!pidvar}" 2>/dev/null || true
	wait "${!pidvar}" 2>/dev/null || true
}

# ipcscope list --json, filtered with jq; fails the test if the output is
# not valid JSON.
ipc_json() {
	"$IPCSCOPE" list --json "$@" 2>"$BATS_TEST_TMPDIR/ipc.err" >"$BATS_TEST_TMPDIR/ipc.json" ||
		fail "ipcscope list --json $* failed: $(cat "$BATS_TEST_TMPDIR/ipc.err")"
	jq -e . "$BATS_TEST_TMPDIR/ipc.json" >/dev/null || fail "ipcscope printed invalid JSON"
}

# jq over the last ipc_json output.
jqr() {
	jq -r "$@" "$BATS_TEST_TMPDIR/ipc.json"
}

# The object with inode INO (and, optionally, type TYPE) from the last ipc_json.
obj() {
	if [ $# -gt 1 ]; then
		jq -c --argjson i "$1" --arg t "$2" '.objects[] | select(.inode == $i and .type == $t)' "$BATS_TEST_TMPDIR/ipc.json"
	else
		jq -c --argjson i "$1" '.objects[] | select(.inode == $i)' "$BATS_TEST_TMPDIR/ipc.json"
	fi
}

# holders of inode INO as "pid:fd:mode:mapped" words, in output order: by
# pid, then by fd, the mapping entry last
holders_of() {
	jq -r --argjson i "$1" '.objects[] | select(.inode == $i) | .holders[] |
		"\(.pid):\(.fd // "-"):\(.mode // "-"):\(.mapped)"' "$BATS_TEST_TMPDIR/ipc.json" | tr '\n' ' ' | sed 's/ $//'
}

# by_pid WORD...: words that start with a pid, in the order ipcscope lists
# holders, by pid (stable, so one process's entries keep their order):
# holders_of's "pid:fd:mode:mapped", a HOLDERS cell's "pid/comm[fds]" (as
# text or as a regex), or bare pids (| tr ' ' , for PIDS). A child's pid
# is not always above its parent's: pids wrap around.
by_pid() {
	printf '%s\n' "$@" | sort -s -t: -k1,1n | tr '\n' ' ' | sed 's/ $//'
}

# hooked: fails unless the test binary is built; a test that sets an
# IPCSCOPE_TEST_* variable runs "$IPCSCOPE_HOOKED".
hooked() {
	[ -x "$IPCSCOPE_HOOKED" ] ||
		fail "the test binary is not built ($IPCSCOPE_HOOKED: make check builds it)"
}

# wait_stopped PID WHAT: waits until PID has stopped itself (SIGSTOP, as the
# test binary's IPCSCOPE_TEST_PAUSE_* hooks do), or fails naming WHAT.
wait_stopped() {
	local i st rest
	for ((i = 0; i < 200; i++)); do
		st=$(cat "/proc/$1/stat" 2>/dev/null) || break
		# the state is the field after the last ')', which ends the comm
		rest=${st##*) }
		[ "${rest%% *}" = T ] && return 0
		sleep 0.05
	done
	fail "$2 did not pause"
}

# Processes that even root cannot read on this machine (a VM's init can be
# one). Leak verdicts need every process read, so a test that checks a
# certain verdict or a removal declares, through the test binary's hook,
# that these hold none of its objects. Only root's runs honour it. Where
# there are such processes, the rest of the test runs the test binary as
# $IPCSCOPE (the shipped one could give no certain verdict here); where
# there are none, it runs the shipped binary as every other test does.
unread_holds_nothing() {
	[ "$(id -u)" -eq 0 ] || return 0
	local p l=()
	for p in /proc/[0-9]*; do
		head -c1 "$p/maps" >/dev/null 2>&1 || [ ! -e "$p" ] || l+=("${p#/proc/}")
	done
	[ "${#l[@]}" -gt 0 ] || return 0
	hooked
	IPCSCOPE=$IPCSCOPE_HOOKED
	IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING=$(IFS=,; echo "${l[*]}")
	export IPCSCOPE_TEST_UNREAD_HOLDS_NOTHING
}

requires_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: $*"
}
