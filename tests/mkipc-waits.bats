#!/usr/bin/env bats
# The mkipc waits factories themselves: at READY every blocked thread is
# asleep in the syscall it printed, on the fd it printed, and every process
# holds exactly the fds the factory lists (ipcscope waits finds "the other
# end" from the holders, so a stray holder would mislead it).

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# asleep PID TID NR [FD]: task TID of PID sleeps (S) in syscall NR, with
# FD as its first argument
asleep() {
	local sc st nr a0
	sc=$(cat "/proc/$1/task/$2/syscall")
	st=$(cat "/proc/$1/task/$2/stat")
	st=${st##*) }
	assert_equal "${st%% *}" S
	read -r nr a0 _ <<<"$sc"
	assert_equal "$nr" "$3"
	[ -z "${4-}" ] || assert_equal "$((a0))" "$4"
}

# fds PID: PID's fds above 2 as "fd:target" words, in fd order
fds() {
	local f
	for f in /proc/"$1"/fd/*; do
		[ "${f##*/}" -ge 3 ] && echo "${f##*/}:$(readlink "$f")"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

@test "wait-pipe-read: the child sleeps in read on the read end, the parent holds the write end" {
	mk a wait-pipe-read rfd=5 wfd=6
	assert_equal "$a_syscall" read
	asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr" 5
	assert_equal "$(fds "$a_child_pid")" "5:pipe:[$a_ino]"
	assert_equal "$(fds "$a_pid")" "6:pipe:[$a_ino]"
}

@test "wait-pipe-write: the child sleeps in write on a full pipe, the parent holds the read end" {
	mk a wait-pipe-write
	assert_equal "$a_syscall" write
	asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr" 4
	assert_equal "$a_queued" "$a_capacity"
	assert_equal "$a_reader_syscall" rt_sigsuspend
	assert_equal "$(fds "$a_child_pid")" "4:pipe:[$a_ino]"
	assert_equal "$(fds "$a_pid")" "3:pipe:[$a_ino]"
}

@test "wait-accept: a second thread sleeps in accept on the listening socket" {
	mk a wait-accept path="$T/sock" lfd=8
	[ "$a_tid" != "$a_pid" ]
	[[ $a_syscall == accept || $a_syscall == accept4 ]]
	asleep "$a_pid" "$a_tid" "$a_syscall_nr" 8
	assert_equal "$(fds "$a_pid")" "8:socket:[$a_listen_ino]"
}

@test "wait-eventfd-read: a second thread sleeps in read on an eventfd at 0" {
	mk a wait-eventfd-read fd=7
	[ "$a_tid" != "$a_pid" ]
	assert_equal "$a_syscall" read
	asleep "$a_pid" "$a_tid" "$a_syscall_nr" 7
	assert_equal "$(fds "$a_pid")" "7:anon_inode:[eventfd]"
}

@test "wait-fifo-open: the child sleeps in open holding nothing; cleanup removes the FIFO" {
	local m
	for m in r w; do
		mk a wait-fifo-open path="$T/fifo" mode=$m
		assert_equal "$a_mode $a_syscall" "$m openat"
		asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr"
		assert_equal "$(fds "$a_child_pid")" ""
		assert_equal "$(fds "$a_pid")" ""
		assert_equal "$(stat -c %i "$T/fifo")" "$a_ino"
		mk_stop a
		[ ! -e "$T/fifo" ]
	done
}

@test "wait-epoll: a second thread sleeps in epoll_wait on the epoll fd" {
	mk a wait-epoll
	[[ $a_syscall == epoll_wait || $a_syscall == epoll_pwait* ]]
	asleep "$a_pid" "$a_tid" "$a_syscall_nr" 3
	[[ $(fds "$a_pid") =~ ^"3:anon_inode:[eventpoll] 4:pipe:[$a_pipe_ino] 5:pipe:[$a_pipe_ino] 6:socket:[$a_sock_ino] 7:socket:["[0-9]+"]"$ ]]
}

@test "wait-poll: the thread sleeps in the syscall call= names" {
	local c want
	for c in poll ppoll select pselect; do
		want=$c
		[ "$c" = pselect ] && want=pselect6
		"$MKIPC" wait-poll call=$c </dev/null >"$T/out" 2>"$T/err" &
		local p=$!
		MK_PIDS+=("$p")
		local i
		for ((i = 0; i < 100; i++)); do
			grep -qx READY "$T/out" && break
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		if ! grep -qx READY "$T/out"; then
			local rc=0
			wait "$p" || rc=$?
			[ "$rc" -eq 3 ] && continue	# not on this architecture
			fail "wait-poll call=$c: status $rc: $(cat "$T/err")"
		fi
		grep -qx "syscall=$want" "$T/out"
		asleep "$p" "$(sed -n 's/^tid=//p' "$T/out")" "$(sed -n 's/^syscall_nr=//p' "$T/out")"
		kill "$p"
		wait "$p"
	done
}

@test "wait-mux-listen: a second thread sleeps in call= on the listener alone" {
	local c
	for c in epoll poll select; do
		mk "$c" wait-mux-listen call=$c path="$T/l$c" lfd=5 epfd=6
	done
	[[ $epoll_syscall == epoll_wait || $epoll_syscall == epoll_pwait* ]]
	asleep "$epoll_pid" "$epoll_tid" "$epoll_syscall_nr" 6
	[[ $(fds "$epoll_pid") =~ ^"5:socket:[$epoll_listen_ino] 6:anon_inode:[eventpoll]"$ ]]
	# EPOLLIN, and the EPOLLERR and EPOLLHUP every entry gets
	grep -Eq '^tfd: +5 events: +19 ' /proc/"$epoll_pid"/fdinfo/6
	assert_equal "$poll_syscall" poll
	asleep "$poll_pid" "$poll_tid" "$poll_syscall_nr"
	assert_equal "$(fds "$poll_pid")" "5:socket:[$poll_listen_ino]"
	assert_equal "$select_syscall" select
	asleep "$select_pid" "$select_tid" "$select_syscall_nr" 6
	assert_equal "$(fds "$select_pid")" "5:socket:[$select_listen_ino]"
}

@test "wait-mux-end: a poll with no events on a pipe, a select with only the exception set" {
	mk h wait-mux-end call=poll on=hangup fd=5 peerfd=6 epfd=7
	assert_equal "$h_on $h_syscall" "hangup poll"
	asleep "$h_pid" "$h_tid" "$h_syscall_nr"
	assert_equal "$(fds "$h_pid")" "5:pipe:[$h_ino] 6:pipe:[$h_ino]"
	mk u wait-mux-end call=select on=urgent fd=5 peerfd=6 epfd=7
	assert_equal "$u_on $u_syscall" "urgent select"
	# select(nfds = 6, ...): only the exception set is given
	asleep "$u_pid" "$u_tid" "$u_syscall_nr" 6
	read -r _ _ rset wset xset _ <"/proc/$u_pid/task/$u_tid/syscall"
	assert_equal "$rset $wset" "0x0 0x0"
	[ "$xset" != 0x0 ]
	assert_equal "$(fds "$u_pid")" "5:socket:[$u_ino] 6:socket:[$u_peer_ino]"
	run "$MKIPC" wait-mux-end call=select on=hangup
	assert_equal "$status" 2
	run "$MKIPC" wait-mux-end call=poll on=oneshot
	assert_equal "$status" 2
	# oneshot: the first epoll_wait took the byte, the second sleeps
	mk o wait-mux-end call=epoll on=oneshot fd=5 peerfd=6 epfd=7
	asleep "$o_pid" "$o_tid" "$o_syscall_nr" 7
	assert_equal "$(fds "$o_pid")" "5:pipe:[$o_ino] 6:pipe:[$o_ino] 7:anon_inode:[eventpoll]"
	# the entry is disarmed: only EPOLLONESHOT is left
	grep -Eq '^tfd: +5 events: +40000000 ' /proc/"$o_pid"/fdinfo/7
}

@test "wait-connect-full: the child sleeps in connect, the listener's backlog full" {
	mk a wait-connect-full path="$T/sock" lfd=5 cfd=6
	assert_equal "$a_syscall" connect
	asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr" 6
	assert_equal "$(fds "$a_child_pid")" "6:socket:[$a_ino]"
	assert_equal "$(fds "$a_pid")" "5:socket:[$a_listen_ino]"
	assert_equal "$(cat "/proc/$a_child_pid/wchan")" unix_wait_for_peer
	# a backlog of 0 that holds one connection
	assert_equal "$("$IPCSCOPE" list -t unix --json | jq -r --argjson i "$a_listen_ino" '.objects[] | select(.inode == $i) | "\(.unix.backlog) \(.unix.backlog_max)"')" "1 0"
}

@test "deadlock-pipes: each child of the ring reads its pipe and holds the next one's write end" {
	mk a deadlock-pipes n=3
	local pids tids inos i
	IFS=, read -ra pids <<<"$a_child_pids"
	IFS=, read -ra tids <<<"$a_child_tids"
	IFS=, read -ra inos <<<"$a_pipe_inos"
	assert_equal "${#pids[@]} ${#inos[@]} $a_syscall" "3 3 read"
	for i in 0 1 2; do
		asleep "${pids[i]}" "${tids[i]}" "$a_syscall_nr" 3
		assert_equal "$(fds "${pids[i]}")" "3:pipe:[${inos[i]}] 4:pipe:[${inos[(i + 1) % 3]}]"
	done
	assert_equal "$(fds "$a_pid")" ""
}

@test "deadlock-socketpair: both children sleep in recv, one end each" {
	mk a deadlock-socketpair
	local pids tids
	IFS=, read -ra pids <<<"$a_child_pids"
	IFS=, read -ra tids <<<"$a_child_tids"
	assert_equal "$a_syscall" recvfrom
	asleep "${pids[0]}" "${tids[0]}" "$a_syscall_nr" 3
	asleep "${pids[1]}" "${tids[1]}" "$a_syscall_nr" 4
	assert_equal "$(fds "${pids[0]}")" "3:socket:[$a_ino]"
	assert_equal "$(fds "${pids[1]}")" "4:socket:[$a_peer_ino]"
	assert_equal "$(fds "$a_pid")" ""
}

@test "pipeline: the writer waits on a full pipe, the bottleneck sleeps, the rest wait for data" {
	mk a pipeline n=4
	local pids tids inos
	IFS=, read -ra pids <<<"$a_stage_pids"
	IFS=, read -ra tids <<<"$a_stage_tids"
	IFS=, read -ra inos <<<"$a_pipe_inos"
	assert_equal "$a_bottleneck_pid" "${pids[1]}"
	[[ $a_syscalls =~ ^write,(clock_)?nanosleep,read,read$ ]]
	asleep "${pids[0]}" "${tids[0]}" "${a_syscall_nrs%%,*}" 4
	asleep "${pids[3]}" "${tids[3]}" "${a_syscall_nrs##*,}" 3
	assert_equal "$(fds "${pids[0]}")" "4:pipe:[${inos[0]}]"
	assert_equal "$(fds "${pids[1]}")" "3:pipe:[${inos[0]}] 4:pipe:[${inos[1]}]"
	assert_equal "$(fds "${pids[3]}")" "3:pipe:[${inos[2]}]"
	assert_equal "$(fds "$a_pid")" ""
}

@test "wait-mq-receive and wait-mq-send: the child holds the only descriptor and sleeps in the call" {
	mk a wait-mq-receive name="$SHM_PREFIX-r"
	assert_equal "$a_syscall $a_queued" "mq_timedreceive 0"
	asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr" 3
	assert_equal "$(fds "$a_child_pid")" "3:/$SHM_PREFIX-r"
	assert_equal "$(fds "$a_pid")" ""
	mk b wait-mq-send name="$SHM_PREFIX-s" fd=9
	assert_equal "$b_syscall $b_queued" "mq_timedsend $b_maxmsg"
	asleep "$b_child_pid" "$b_child_tid" "$b_syscall_nr" 9
	assert_equal "$(fds "$b_pid")" ""
}

@test "wait-sock-full: the child sleeps in send, the parent holds the peer with data queued" {
	mk a wait-sock-full
	assert_equal "$a_syscall" sendto
	asleep "$a_child_pid" "$a_child_tid" "$a_syscall_nr" 3
	[ "$a_queued" -gt 0 ]
	assert_equal "$(fds "$a_child_pid")" "3:socket:[$a_ino]"
	assert_equal "$(fds "$a_pid")" "4:socket:[$a_peer_ino]"
}

@test "waits factories end with status 0 and leave no process behind" {
	local f p kids i rc
	for f in "deadlock-pipes n=3" "wait-accept path=$T/s2"; do
		# shellcheck disable=SC2086
		"$MKIPC" $f </dev/null >"$T/out" &
		p=$!
		for ((i = 0; i < 100; i++)); do
			grep -qx READY "$T/out" && break
			sleep 0.05
		done
		kids=$(sed -n 's/^child_pids=//p' "$T/out" | tr , ' ')
		kill "$p"
		rc=0
		wait "$p" || rc=$?
		assert_equal "$rc" 0
		for p in $kids; do	# reaped by mkipc itself
			[ ! -e "/proc/$p" ]
		done
	done
	[ ! -e "$T/s2" ]
}
