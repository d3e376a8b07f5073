#!/usr/bin/env bats
# ipcscope waits: which thread sleeps on which object, why, who is at the
# other end, deadlock cycles and the bottleneck of a stalled pipeline.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env -u IPCSCOPE_BACKEND)

# waits --json into $T/w.json; fails on invalid JSON
waits_json() {
	"$IPCSCOPE" waits --json "$@" >"$T/w.json" 2>"$T/w.err" || fail "waits --json failed: $(cat "$T/w.err")"
	jq -e . "$T/w.json" >/dev/null || fail "invalid JSON"
}

# the waits of thread TID as "syscall fd via type inode state" lines, sorted
waits_of() {
	jq -r --argjson t "$1" '.waits[] | select(.tid == $t) |
		"\(.syscall) \(.fd) \(.via) \(.object.type) \(.object.inode) \(.state)"' "$T/w.json" | sort
}

# the other end of TID's wait on INODE as "pid:fd:mode:waiting" words
others_of() {
	jq -r --argjson t "$1" --argjson i "$2" '.waits[] | select(.tid == $t and .object.inode == $i) |
		.others[] | "\(.pid):\(.fd):\(.mode):\(.waiting)"' "$T/w.json" | tr '\n' ' ' | sed 's/ $//'
}

@test "waits: a reader on an empty pipe, with its writer at the other end" {
	mk a wait-pipe-read rfd=5 wfd=6
	waits_json -t pipe
	assert_equal "$(waits_of "$a_child_tid")" "read 5 null pipe $a_ino empty"
	assert_equal "$(others_of "$a_child_tid" "$a_ino")" "$a_pid:6:w:null"
	assert_equal "$(jq -r --argjson t "$a_child_tid" '.waits[] | select(.tid == $t) | "\(.pid) \(.comm) \(.others_complete)"' "$T/w.json")" \
		"$a_child_pid mkipc true"
	run --separate-stderr "$IPCSCOPE" waits -t pipe
	assert_success
	assert_line --index 0 --regexp '^PID +TID +COMM +SYSCALL +OBJECT +STATE +OTHER END$'
	assert_line --regexp "^$a_child_pid +$a_child_tid +mkipc +read +pipe $a_ino \[fd 5\] +empty +$a_pid/mkipc\[6w\]\$"
	# a reader of an empty pipe is only idle: no stall
	refute_line --regexp "^STALLED: .*($a_pid|$a_child_pid)/mkipc"
}

@test "waits: a writer on a full pipe whose reader sleeps elsewhere is stalled by it" {
	mk a wait-pipe-write rfd=3 wfd=4
	waits_json -t pipe
	assert_equal "$(waits_of "$a_child_tid")" "write 4 null pipe $a_ino full"
	assert_equal "$(jq -r --argjson t "$a_child_tid" '.waits[] | select(.tid == $t) | "\(.object.queued) \(.object.capacity)"' "$T/w.json")" \
		"$a_queued $a_capacity"
	assert_equal "$(others_of "$a_child_tid" "$a_ino")" "$a_pid:3:r:null"
	assert_equal "$(jq -r --argjson p "$a_pid" '.stalls[] | select(.bottleneck.pid == $p) |
		"\(.bottleneck.comm) \(.bottleneck.doing) \(.waiting | join(","))"' "$T/w.json")" \
		"mkipc $a_reader_syscall $a_child_pid"
	run --separate-stderr "$IPCSCOPE" waits -t pipe
	assert_success
	assert_line --regexp "^$a_child_pid +$a_child_tid +mkipc +write +pipe $a_ino \[fd 4\] +full +$a_pid/mkipc\[3r\]\$"
	assert_line "STALLED: $a_pid/mkipc ($a_reader_syscall) holds up $a_child_pid/mkipc"
	# the pipe's fill level says the same
	ipc_json -t pipe
	assert_equal "$(jqr --argjson i "$a_ino" '.objects[] | select(.inode == $i) | "\(.pipe.queued) \(.pipe.capacity)"')" \
		"$a_queued $a_capacity"
}

@test "waits: a thread in accept, in a process whose main thread sleeps" {
	mk a wait-accept path="$T/sock" lfd=8
	waits_json -t unix
	assert_equal "$(waits_of "$a_tid")" "$a_syscall 8 null unix $a_listen_ino no-client"
	assert_equal "$(jq -r --argjson t "$a_tid" '.waits[] | select(.tid == $t) | "\(.pid) \(.others | length) \(.others_complete)"' "$T/w.json")" \
		"$a_pid 0 false"
	# the main thread is not in an IPC wait: the process is not waiting
	assert_equal "$(jq -r --argjson p "$a_pid" '[.waits[] | select(.pid == $p)] | length' "$T/w.json")" 1
	run --separate-stderr "$IPCSCOPE" waits -t unix
	assert_success
	assert_line --regexp "^$a_pid +$a_tid +mkipc +$a_syscall +unix $a_listen_ino $T/sock \[fd 8\] +no-client +- \(anyone may come\)\$"
}

@test "waits: a reader of an eventfd at zero, named by its id, as list names it" {
	mk a wait-eventfd-read fd=7
	# a second eventfd on the same (and only) anonymous inode
	mk b eventfd fd=5
	local id
	id=$(awk '$1 == "eventfd-id:" { print $2 }' "/proc/$a_pid/fdinfo/7")
	[ -n "$id" ] || skip "this kernel's eventfd fdinfo has no eventfd-id (before 6.8)"
	waits_json -t eventfd
	assert_equal "$(waits_of "$a_tid")" "read 7 null eventfd $a_ino zero"
	assert_equal "$(jq -r --argjson t "$a_tid" '.waits[] | select(.tid == $t) | .object | "\(.label) \(.dev)"' "$T/w.json")" \
		"eventfd:$id $(stat -Lc '%Hd:%Ld' "/proc/$a_pid/fd/7")"
	run --separate-stderr "$IPCSCOPE" waits -t eventfd --pid "$a_pid"
	assert_success
	assert_line --regexp "^$a_pid +$a_tid +mkipc +read +eventfd $a_ino eventfd:$id \[fd 7\] +zero +$a_pid/mkipc\[7rw\]\$"
	# the other counter has no waiter
	refute_output --partial "$b_pid/"
}

@test "waits: the opener of a FIFO that has no writer, found by the path in its memory" {
	mk a wait-fifo-open path="$T/ff" mode=r
	waits_json -t fifo
	assert_equal "$(waits_of "$a_child_tid")" "openat null null fifo $a_ino no-writer"
	assert_equal "$(jq -r --argjson t "$a_child_tid" '.waits[] | select(.tid == $t) | "\(.object.path) \(.others | length) \(.others_complete)"' "$T/w.json")" \
		"$T/ff 0 false"
	mk b wait-fifo-open path="$T/fw" mode=w
	waits_json -t fifo
	assert_equal "$(waits_of "$b_child_tid")" "openat null null fifo $b_ino no-reader"
	run --separate-stderr "$IPCSCOPE" waits -t fifo
	assert_success
	assert_line --regexp "^$a_child_pid +$a_child_tid +mkipc +openat +fifo $a_ino $T/ff +no-writer +- \(anyone may come\)\$"
}

@test "waits: an epoll waiter waits on every fd its epoll instance watches" {
	mk a wait-epoll epfd=3 rfd=4 wfd=5 sfd=6 peerfd=7
	waits_json
	assert_equal "$(waits_of "$a_tid")" "$(printf '%s\n' "$a_syscall 4 3 pipe $a_pipe_ino empty" \
		"$a_syscall 6 3 unix $a_sock_ino no-data" | sort)"
	# the process writes its own pipe and holds the socket's peer
	assert_equal "$(others_of "$a_tid" "$a_pipe_ino")" "$a_pid:5:w:null"
	assert_equal "$(others_of "$a_tid" "$a_sock_ino")" "$a_pid:7:rw:null"
	run --separate-stderr "$IPCSCOPE" waits -t pipe
	assert_success
	assert_line --regexp "^$a_pid +$a_tid +mkipc +$a_syscall +pipe $a_pipe_ino \[fd 4\] \[epoll 3\] +empty +$a_pid/mkipc\[5w\]\$"
}

@test "waits: poll, ppoll, select and pselect6 waiters, from the sets in their memory" {
	local call
	for call in poll ppoll select pselect; do
		mk "$call" wait-poll call="$call" rfd=3 wfd=4 sfd=5 peerfd=6
	done
	waits_json
	for call in poll ppoll select pselect; do
		local tid="${call}_tid" sc="${call}_syscall" pi="${call}_pipe_ino" si="${call}_sock_ino"
		assert_equal "$(waits_of "${!tid}")" "$(printf '%s\n' "${!sc} 3 null pipe ${!pi} empty" \
			"${!sc} 5 null unix ${!si} no-data" | sort)"
	done
}

@test "waits: a listener watched by epoll, poll or select waits for a client, as accept does" {
	local c tid sc ino via
	for c in epoll poll ppoll select pselect; do
		mk "$c" wait-mux-listen call=$c path="$T/l$c" lfd=5 epfd=6
	done
	waits_json -t unix
	for c in epoll poll ppoll select pselect; do
		tid="${c}_tid" sc="${c}_syscall" ino="${c}_listen_ino" via=null
		[ "$c" = epoll ] && via=6
		assert_equal "$(waits_of "${!tid}")" "${!sc} 5 $via unix ${!ino} no-client"
		# no client is queued, and any may come
		assert_equal "$(jq -r --argjson t "${!tid}" '.waits[] | select(.tid == $t) | "\(.others | length) \(.others_complete) \(.listener)"' "$T/w.json")" \
			"0 false null"
	done
	run --separate-stderr "$IPCSCOPE" waits -t unix
	assert_success
	assert_line --regexp "^$poll_pid +$poll_tid +mkipc +poll +unix $poll_listen_ino $T/lpoll \[fd 5\] +no-client +- \(anyone may come\)\$"
	assert_line --regexp "^$epoll_pid +$epoll_tid +mkipc +$epoll_syscall +unix $epoll_listen_ino $T/lepoll \[fd 5\] \[epoll 6\] +no-client +- \(anyone may come\)\$"
}

@test "waits: a connect blocked on a full backlog waits on the listener's holders" {
	local n
	mk p wait-connect-full path="$T/sock" lfd=5 cfd=6
	mk a wait-connect-full path="ipcscope-test-$$-$BATS_TEST_NUMBER" abstract=1 lfd=7 cfd=8
	waits_json -t unix
	assert_equal "$(waits_of "$p_child_tid")" "connect 6 null unix $p_ino backlog-full"
	assert_equal "$(waits_of "$a_child_tid")" "connect 8 null unix $a_ino backlog-full"
	# found by the path, and by the abstract name, the connect was given
	assert_equal "$(others_of "$p_child_tid" "$p_ino")" "$p_pid:5:rw:null"
	assert_equal "$(others_of "$a_child_tid" "$a_ino")" "$a_pid:7:rw:null"
	for n in p a; do
		local tid="${n}_child_tid" lino="${n}_listen_ino"
		assert_equal "$(jq -r --argjson t "${!tid}" '.waits[] | select(.tid == $t) | "\(.others_complete) \(.listener)"' "$T/w.json")" \
			"false ${!lino}"
	done
	# the listener's process does not accept: it holds the client up
	assert_equal "$(jq -r --argjson p "$p_pid" '.stalls[] | select(.bottleneck.pid == $p) | .waiting | join(",")' "$T/w.json")" \
		"$p_child_pid"
	run --separate-stderr "$IPCSCOPE" waits -t unix
	assert_success
	assert_line --regexp "^$p_child_pid +$p_child_tid +mkipc +connect +unix $p_ino \[fd 6\] +backlog-full +$p_pid/mkipc\[5rw\]\$"
	# --pid on the client alone still finds who holds the listener
	waits_json -t unix --pid "$p_child_pid"
	assert_equal "$(others_of "$p_child_tid" "$p_ino")" "$p_pid:5:rw:null"
}

@test "waits: select with only an exception set waits for urgent data, as POLLPRI does" {
	local c tid sc ino pid via
	for c in select pselect poll epoll; do
		mk "$c" wait-mux-end call=$c on=urgent fd=3 peerfd=4 epfd=5
	done
	waits_json -t unix
	for c in select pselect poll epoll; do
		tid="${c}_tid" sc="${c}_syscall" ino="${c}_ino" pid="${c}_pid" via=null
		[ "$c" = epoll ] && via=5
		assert_equal "$(waits_of "${!tid}")" "${!sc} 3 $via unix ${!ino} no-urgent"
		# only the peer can send it
		assert_equal "$(others_of "${!tid}" "${!ino}")" "${!pid}:4:rw:null"
	done
	# the fd it waits through is marked in HOLDERS
	run --separate-stderr "$IPCSCOPE" list -t unix --pid "$select_pid" -o inode,holders --no-headings
	assert_success
	assert_line --regexp "^ *$select_ino +$select_pid/mkipc\[3rw\*\]\$"
	run --separate-stderr "$IPCSCOPE" waits -t unix
	assert_success
	assert_line --regexp "^$select_pid +$select_tid +mkipc +select +unix $select_ino \[fd 3\] +no-urgent +$select_pid/mkipc\[4rw\]\$"
}

@test "waits: a poll that only a hangup can end waits for the other end to go" {
	local c tid sc ino pid via
	for c in poll ppoll epoll; do
		mk "$c" wait-mux-end call=$c on=hangup fd=3 peerfd=4 epfd=5
	done
	waits_json -t pipe
	for c in poll ppoll epoll; do
		tid="${c}_tid" sc="${c}_syscall" ino="${c}_ino" pid="${c}_pid" via=null
		[ "$c" = epoll ] && via=5
		assert_equal "$(waits_of "${!tid}")" "${!sc} 3 $via pipe ${!ino} hangup"
		# the writer's close ends it: the writer is the other end
		assert_equal "$(others_of "${!tid}" "${!ino}")" "${!pid}:4:w:null"
	done
	run --separate-stderr "$IPCSCOPE" waits -t pipe
	assert_success
	assert_line --regexp "^$poll_pid +$poll_tid +mkipc +poll +pipe $poll_ino \[fd 3\] +hangup +$poll_pid/mkipc\[4w\]\$"
}

@test "waits: metrics count a hangup or urgent wait in a series of its own" {
	requires_root "to run the waiting processes as a user of their own"
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	# a uid no one else runs as: --user then counts only these processes
	local u=$((3100000 + $$ % 100000))
	MK_PREFIX=(setpriv --reuid="$u" --regid="$u" --clear-groups)
	mk h wait-mux-end call=poll on=hangup
	mk x wait-mux-end call=select on=urgent
	MK_PREFIX=()
	run --separate-stderr "$IPCSCOPE" metrics --user "$u"
	assert_success
	metric() { K="$1" awk '$1 == ENVIRON["K"] { print $2 }' <<<"$output"; }
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="hangup"}')" 1
	assert_equal "$(metric 'ipcscope_waiting_threads{type="pipe",state="empty"}')" 0
	assert_equal "$(metric 'ipcscope_waiting_threads{type="unix",state="no-urgent"}')" 1
	assert_equal "$(metric 'ipcscope_waiting_threads{type="unix",state="no-data"}')" 0
	# and only where some thread is in it
	refute_line --partial 'state="hangup"} 0'
}

@test "waits: an epoll entry that a one-shot event disarmed is no wait" {
	mk o wait-mux-end call=epoll on=oneshot fd=3 peerfd=4 epfd=5
	# the entry keeps only EPOLLONESHOT: the kernel wakes nothing through it
	grep -Eq '^tfd: +3 events: +40000000 ' /proc/"$o_pid"/fdinfo/5
	waits_json
	assert_equal "$(jq --argjson p "$o_pid" '[.waits[] | select(.pid == $p)] | length' "$T/w.json")" 0
}

@test "waits --pid: the process's own open of a FIFO that has no writer" {
	mk a wait-fifo-open path="$T/ff" mode=r
	waits_json --pid "$a_child_pid"
	assert_equal "$(waits_of "$a_child_tid")" "openat null null fifo $a_ino no-writer"
	run --separate-stderr "$IPCSCOPE" waits --pid "$a_child_pid"
	assert_success
	assert_line --regexp "^$a_child_pid +$a_child_tid +mkipc +openat +fifo $a_ino $T/ff +no-writer +- \(anyone may come\)\$"
	# another process's --pid does not take it
	waits_json --pid "$a_pid"
	assert_equal "$(jq '.waits | length' "$T/w.json")" 0
}

@test "waits: a COMM that escapes make wider than its column is cut, and the columns stay" {
	# 15 escape bytes: the comm "\e" 15 times, 30 columns once escaped
	local name=$'\e\e\e\e\e\e\e\e\e\e\e\e\e\e\e' head row
	cp /bin/cat "$T/$name"
	blocked_pipe w "$T/$name"
	run --separate-stderr env LC_ALL=C "$IPCSCOPE" waits -t pipe
	assert_success
	head=${lines[0]}
	row=$(printf '%s\n' "${lines[@]}" | grep "^$w_reader ")
	# 14 columns of it (7 escapes), then the ellipsis ("~" in the C locale)
	[[ $row =~ ^$w_reader\ +$w_reader\ +(\\e){7}~\ read\ +pipe\ $w_ino\ \[fd\ 0\]\ +empty ]] ||
		fail "unexpected row: $row"
	# SYSCALL starts where its heading does
	local before=${head%%SYSCALL*} rest=${row%%read *}
	assert_equal "${#rest}" "${#before}"
}

@test "waits: a 2-process deadlock through pipes is a cycle; --exit-code says so" {
	mk d deadlock-pipes n=2
	unread_holds_nothing
	waits_json -t pipe
	local pids inos
	pids=$(tr , '\n' <<<"$d_child_pids" | sort -n | paste -sd,)
	inos=$(tr , '\n' <<<"$d_pipe_inos" | sort -n | paste -sd,)
	assert_equal "$(jq -r --arg p "$pids" '.cycles[] | select((.pids | map(tostring) | join(",")) == $p) |
		"\([.objects[].inode] | sort | map(tostring) | join(",")) \([.objects[].type] | unique | join(",")) \(.certain)"' "$T/w.json")" \
		"$inos pipe true"
	# each waits in read, and the other end waits in read too
	local c0=${d_child_pids%%,*} t0=${d_child_tids%%,*} i0=${d_pipe_inos%%,*}
	local c1=${d_child_pids##*,}
	assert_equal "$(others_of "$t0" "$i0")" "$c1:$d_wfd:w:read"
	run --separate-stderr "$IPCSCOPE" waits -t pipe --exit-code
	assert_equal "$status" 3
	assert_line --regexp "^DEADLOCK: .*$c0/mkipc.* wait on each other through pipe [0-9]+, pipe [0-9]+\$"
	assert_line --regexp "^DEADLOCK: .*$c1/mkipc"
}

@test "waits: a 3-process deadlock through pipes is one cycle of three" {
	mk d deadlock-pipes n=3
	unread_holds_nothing
	waits_json -t pipe
	local pids inos
	pids=$(tr , '\n' <<<"$d_child_pids" | sort -n | paste -sd,)
	inos=$(tr , '\n' <<<"$d_pipe_inos" | sort -n | paste -sd,)
	assert_equal "$(jq -r --arg p "$pids" '[.cycles[] | select((.pids | map(tostring) | join(",")) == $p)] | length' "$T/w.json")" 1
	assert_equal "$(jq -r --arg p "$pids" '.cycles[] | select((.pids | map(tostring) | join(",")) == $p) |
		"\([.objects[].inode] | sort | map(tostring) | join(",")) \(.certain)"' "$T/w.json")" "$inos true"
}

@test "waits: a deadlock through a socketpair, both sides in recv" {
	mk d deadlock-socketpair fd=3 peerfd=4
	unread_holds_nothing
	waits_json -t unix
	local c0=${d_child_pids%%,*} c1=${d_child_pids##*,} t0=${d_child_tids%%,*}
	assert_equal "$(waits_of "$t0")" "$d_syscall 3 null unix $d_ino no-data"
	assert_equal "$(others_of "$t0" "$d_ino")" "$c1:$d_peerfd:rw:$d_syscall"
	local pids inos
	pids=$(printf '%s\n' "$c0" "$c1" | sort -n | paste -sd,)
	inos=$(printf '%s\n' "$d_ino" "$d_peer_ino" | sort -n | paste -sd,)
	assert_equal "$(jq -r --arg p "$pids" '.cycles[] | select((.pids | map(tostring) | join(",")) == $p) |
		"\([.objects[].inode] | sort | map(tostring) | join(",")) \(.certain)"' "$T/w.json")" "$inos true"
}

@test "waits: a stuck pipeline names its bottleneck" {
	mk p pipeline n=4
	waits_json -t pipe
	local s0 s2 s3
	IFS=, read -r s0 _ s2 s3 <<<"$p_stage_pids"
	# the writer it does not read from, and both readers downstream
	assert_equal "$(jq -r --argjson b "$p_bottleneck_pid" '.stalls[] | select(.bottleneck.pid == $b) |
		"\(.bottleneck.doing) \(.waiting | sort | map(tostring) | join(","))"' "$T/w.json")" \
		"clock_nanosleep $(printf '%s\n' "$s0" "$s2" "$s3" | sort -n | paste -sd,)"
	# the last stage waits on the stage before it, which waits itself
	local i0 i2
	IFS=, read -r i0 _ i2 <<<"$p_pipe_inos"
	assert_equal "$(jq -r --argjson p "$s3" '.waits[] | select(.pid == $p) | "\(.syscall) \(.state) \(.others[0].pid) \(.others[0].waiting)"' "$T/w.json")" \
		"read empty $s2 read"
	assert_equal "$(jq -r --argjson p "$s0" '.waits[] | select(.pid == $p) | "\(.syscall) \(.object.inode) \(.state)"' "$T/w.json")" \
		"write $i0 full"
	run --separate-stderr "$IPCSCOPE" waits -t pipe
	assert_success
	assert_line --regexp "^STALLED: $p_bottleneck_pid/mkipc \(clock_nanosleep\) holds up $s0/mkipc, ($s2/mkipc, $s3/mkipc|$s3/mkipc, $s2/mkipc)\$"
	# no deadlock of ours: a busy host may have one of its own
	refute_line --regexp "^DEADLOCK: (.*[ ,])?($p_bottleneck_pid|$s0|$s2|$s3)/"
}

@test "waits: message queues: a receiver on an empty queue, a sender on a full one" {
	requires_root "to mount an mqueue filesystem in a private mount namespace"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	mk r wait-mq-receive name="$SHM_PREFIX-r" fd=3
	mk s wait-mq-send name="$SHM_PREFIX-s" fd=3
	mkdir "$T/mq"
	run --separate-stderr unshare -m --propagation private sh -c \
		'mount -t mqueue none "$1" && exec "$2" waits --json -t mqueue --mqueue-dir "$1"' sh "$T/mq" "$IPCSCOPE"
	assert_success
	printf '%s\n' "$output" >"$T/w.json"
	assert_equal "$(waits_of "$r_child_tid")" "mq_timedreceive 3 null mqueue $r_ino empty"
	assert_equal "$(waits_of "$s_child_tid")" "mq_timedsend 3 null mqueue $s_ino full"
	assert_equal "$(jq -r --argjson t "$r_child_tid" '.waits[] | select(.tid == $t) | "\(.object.path) \(.others_complete)"' "$T/w.json")" \
		"$T/mq/$SHM_PREFIX-r false"
}

@test "waits: a socket whose peer's receive queue is full" {
	mk a wait-sock-full fd=3 peerfd=4
	waits_json -t unix
	assert_equal "$(waits_of "$a_child_tid")" "$a_syscall 3 null unix $a_ino peer-full"
	assert_equal "$(others_of "$a_child_tid" "$a_ino")" "$a_pid:4:rw:null"
	assert_equal "$(jq -r --argjson p "$a_pid" '.stalls[] | select(.bottleneck.pid == $p) | .waiting | join(",")' "$T/w.json")" \
		"$a_child_pid"
}

@test "waits as another user: others' threads are not read, and a cycle of its own is not certain" {
	requires_root "to run as nobody"
	MK_PREFIX=("${NOBODY[@]}")
	mk d deadlock-pipes n=2
	MK_PREFIX=()
	mk r wait-pipe-read
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" waits --json -t pipe
	assert_success
	printf '%s\n' "$output" >"$T/w.json"
	# root's waiting thread is not seen; nobody's cycle is, uncertain
	assert_equal "$(jq -r --argjson t "$r_child_tid" '[.waits[] | select(.tid == $t)] | length' "$T/w.json")" 0
	local pids
	pids=$(tr , '\n' <<<"$d_child_pids" | sort -n | paste -sd,)
	assert_equal "$(jq -r --arg p "$pids" '.cycles[] | select((.pids | map(tostring) | join(",")) == $p) | .certain' "$T/w.json")" false
	run --separate-stderr "${NOBODY[@]}" "$IPCSCOPE" waits -t pipe --exit-code
	assert_equal "$status" 3
	assert_line --regexp "^DEADLOCK \(uncertain\): "
	[[ $stderr == *"processes not readable"* ]]
}

@test "waits: usage errors and a closed stdout" {
	run --separate-stderr "$IPCSCOPE" waits --bogus
	assert_equal "$status" 2
	run --separate-stderr "$IPCSCOPE" waits -t nosuch
	assert_equal "$status" 2
	assert_equal "$(wc -l <<<"$stderr")" 1
	mk a wait-pipe-read
	run bash -c '"$1" waits 2>/dev/null | head -n 1' sh "$IPCSCOPE"
	assert_success
	assert_output --regexp '^PID +TID'
}
