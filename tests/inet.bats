#!/usr/bin/env bats
# inet: TCP and UDP sockets whose other end is on this host, in the same
# network namespace. Each fact is checked against what ss says of the same
# live sockets (found by inode: ss -e prints ino:N), on the backend the
# suite runs (IPCSCOPE_BACKEND), and both backends are compared.

load helpers/common

setup() {
	common_setup
	command -v ss >/dev/null || skip "ss (iproute2) is not installed"
	NS=
	VETH=
}

teardown() {
	common_teardown
	# the namespace goes with its end of the veth pair, and so does ours
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
	[ -z "$VETH" ] || ip link del "$VETH" 2>/dev/null || true
}

# field F of the inet part of inode I: n I F
n() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i and .type == \"inet\") | .inet | .$2"; }
# a jq expression over the inet part of inode I: ni I EXPR
ni() { jqr --argjson i "$1" ".objects[] | select(.inode == \$i and .type == \"inet\") | .inet | $2"; }

# ss's line for inode I (PROTO t or u): state recvq sendq local peer users...
ss_line() { ss -H"$2"anpe | grep -E " ino:$1( |\$)"; }

# field K of ss's line (1 state, 2 recv-q, 3 send-q, 4 local, 5 peer)
ss_field() { ss_line "$1" "$2" | awk -v k="$3" '{ print $k }'; }

# "pid:fd" words of ss's users:((...)) for inode I, sorted
ss_users() {
	ss_line "$1" "$2" | grep -o 'pid=[0-9]*,fd=[0-9]*' | sed 's/pid=//; s/,fd=/:/' | sort | tr '\n' ' ' |
		sed 's/ $//'
}

# "pid:fd" words of ipcscope's holders of inode I, sorted
our_users() {
	jqr --argjson i "$1" '.objects[] | select(.inode == $i) | .holders[] | "\(.pid):\(.fd)"' | sort |
		tr '\n' ' ' | sed 's/ $//'
}

@test "inet: a local TCP client and server: peers, holders, queues and states as ss tells them" {
	mk t tcp fill=1000
	ipc_json --type inet
	# the connection, from both ends
	assert_equal "$(n "$t_client_ino" peer)" "$t_accepted_ino"
	assert_equal "$(n "$t_accepted_ino" peer)" "$t_client_ino"
	assert_equal "$(n "$t_client_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$t_pid:5"
	assert_equal "$(n "$t_accepted_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$t_child_pid:4"
	assert_equal "$(n "$t_client_ino" proto)/$(n "$t_client_ino" family)" tcp/ipv4
	assert_equal "$(ni "$t_client_ino" '"\(.local.addr):\(.local.port)->\(.remote.addr):\(.remote.port)"')" \
		"127.0.0.1:$t_cport->127.0.0.1:$t_lport"
	# holders, states and queues, as ss says
	local i
	for i in "$t_client_ino" "$t_accepted_ino" "$t_listen_ino"; do
		[ -n "$(ss_line "$i" t)" ] || fail "ss does not list inode $i"
		assert_equal "$(our_users "$i")" "$(ss_users "$i" t)"
	done
	assert_equal "$(ss_field "$t_accepted_ino" t 1)" ESTAB
	assert_equal "$(n "$t_accepted_ino" state)" established
	assert_equal "$(n "$t_accepted_ino" rqueue)" 1000
	assert_equal "$(n "$t_accepted_ino" rqueue)" "$(ss_field "$t_accepted_ino" t 2)"
	assert_equal "$(n "$t_client_ino" rqueue)" "$(ss_field "$t_client_ino" t 2)"
	assert_equal "$(jqr --argjson i "$t_accepted_ino" '.objects[] | select(.inode == $i) | .queued')" 1000
	# a listener's queues are its backlog: now and its limit
	assert_equal "$(ss_field "$t_listen_ino" t 1)" LISTEN
	assert_equal "$(n "$t_listen_ino" state)" listen
	assert_equal "$(n "$t_listen_ino" backlog)" "$(ss_field "$t_listen_ino" t 2)"
	assert_equal "$(n "$t_listen_ino" backlog_max)" "$(ss_field "$t_listen_ino" t 3)"
	assert_equal "$(n "$t_listen_ino" backlog_max)" 8
	assert_equal "$(n "$t_listen_ino" rqueue)" null
	# the table: PATH, STATE, PEER, BACKLOG, QUEUED
	run --separate-stderr "$IPCSCOPE" list --type inet -n -o INODE,PATH,STATE,SOCKTYPE,PEER,QUEUED \
		--bytes --pid "$t_pid"
	assert_success
	assert_line --regexp "^ *$t_accepted_ino +tcp 127\\.0\\.0\\.1:$t_lport->127\\.0\\.0\\.1:$t_cport +established +tcp +$t_child_pid/mkipc\\[4rw\\] +1000\$"
	run --separate-stderr "$IPCSCOPE" list --type inet -n -o INODE,PATH,BACKLOG --pid "$t_pid"
	assert_line --regexp "^ *$t_listen_ino +tcp 127\\.0\\.0\\.1:$t_lport +0/8\$"
}

@test "inet: a client not accepted yet waits in the listener's backlog" {
	mk p tcp pending=1
	ipc_json --type inet
	assert_equal "$(n "$p_listen_ino" backlog)" 1
	assert_equal "$(n "$p_listen_ino" backlog)" "$(ss_field "$p_listen_ino" t 2)"
	assert_equal "$(n "$p_listen_ino" 'pending | join(",")')" "$p_client_ino"
	assert_equal "$(n "$p_client_ino" listener)" "$p_listen_ino"
	assert_equal "$(n "$p_client_ino" peer)" null
	assert_equal "$(ss_field "$p_client_ino" t 1)" ESTAB
	run --separate-stderr "$IPCSCOPE" list --type inet -n -o INODE,PEER --pid "$p_child_pid"
	assert_line --regexp "^ *$p_client_ino +$p_pid/mkipc\\[3rw\\] \\(backlog\\)\$"
	run --separate-stderr "$IPCSCOPE" show "socket:[$p_client_ino]"
	assert_success
	assert_line --regexp "^  waiting +in the backlog of listener $p_listen_ino, not accepted yet\$"
	assert_line --regexp "^    $p_pid/mkipc  fd 3  rw  user "
}

@test "inet: IPv6 over ::1 and UDP: a connected socket and the bound one it sends to" {
	mk t tcp family=v6
	mk u udp family=v6
	ipc_json --type inet
	assert_equal "$(n "$t_client_ino" peer)" "$t_accepted_ino"
	assert_equal "$(n "$t_client_ino" family)" ipv6
	assert_equal "$(ni "$t_client_ino" '"[\(.local.addr)]:\(.local.port)"')" "$(ss_field "$t_client_ino" t 4)"
	# UDP: the client's peer is the bound socket, whose senders it is in
	assert_equal "$(n "$u_client_ino" proto)" udp
	assert_equal "$(n "$u_client_ino" state)" connected
	assert_equal "$(n "$u_client_ino" peer)" "$u_server_ino"
	assert_equal "$(n "$u_server_ino" state)" unconnected
	assert_equal "$(n "$u_server_ino" 'senders | join(",")')" "$u_client_ino"
	assert_equal "$(n "$u_server_ino" 'peer_holders | map("\(.pid):\(.fd)") | join(" ")')" "$u_child_pid:4"
	assert_equal "$(ss_field "$u_server_ino" u 1)" UNCONN
	assert_equal "$(ss_field "$u_client_ino" u 1)" ESTAB
	assert_equal "$(ni "$u_server_ino" '"[\(.local.addr)]:\(.local.port)"')" "$(ss_field "$u_server_ino" u 4)"
	local i
	for i in "$u_client_ino" "$u_server_ino"; do
		assert_equal "$(our_users "$i")" "$(ss_users "$i" u)"
		assert_equal "$(n "$i" rqueue)" "$(ss_field "$i" u 2)"
	done
}

@test "inet: a listener on loopback is listed without clients; one on the wildcard only with local ones" {
	mk lo tcp-listen addr=127.0.0.1
	mk any tcp-listen addr=0.0.0.0
	ipc_json --type inet
	assert_equal "$(ss_field "$any_listen_ino" t 1)" LISTEN
	assert_equal "$(n "$lo_listen_ino" state)" listen
	assert_equal "$(obj "$any_listen_ino")" ""
	mk c tcp-connect addr=127.0.0.1 port="$any_lport"
	ipc_json --type inet
	# a local client, not accepted yet: the wildcard listener serves it
	assert_equal "$(n "$any_listen_ino" 'pending | join(",")')" "$c_ino"
	assert_equal "$(n "$c_ino" listener)" "$any_listen_ino"
}

@test "inet: a connection whose other end is in another network namespace is not listed" {
	requires_root "it makes a network namespace and a veth pair"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	# a private test range (RFC 2544), only between our two ends
	local net="198.18.$(($$ % 200 + 20))"
	NS="ipcscope-inet-$$-$BATS_TEST_NUMBER"
	VETH="ipst$$"
	ip netns add "$NS" || skip "cannot add a network namespace here"
	ip link add "$VETH" type veth peer name "${VETH}p" || skip "cannot make a veth pair here"
	ip link set "${VETH}p" netns "$NS"
	ip addr add "$net.1/30" dev "$VETH"
	ip link set "$VETH" up
	ip -n "$NS" addr add "$net.2/30" dev "${VETH}p"
	ip -n "$NS" link set "${VETH}p" up
	ip -n "$NS" link set lo up
	MK_PREFIX=(ip netns exec "$NS")
	mk srv tcp-listen addr="$net.2"
	# a local pair inside that namespace: dumped there, and local there
	mk in tcp
	MK_PREFIX=()
	mk cli tcp-connect addr="$net.2" port="$srv_lport"
	mk t tcp
	[ "$(ss_field "$cli_ino" t 1)" = ESTAB ] || fail "ss does not show the client connected: $(ss -Htanpe)"
	ipc_json --type inet
	# the local pair is there, the one that leaves the namespace is not
	assert_equal "$(n "$t_client_ino" peer)" "$t_accepted_ino"
	assert_equal "$(obj "$cli_ino")" ""
	assert_equal "$(obj "$srv_listen_ino")" ""
	assert_equal "$(n "$in_client_ino" peer)" "$in_accepted_ino"
	assert_equal "$(n "$in_client_ino" netns)" "$(stat -L -c %i "/run/netns/$NS")"
	# its home: a process of that namespace
	local home
	home=$(jqr --argjson i "$in_client_ino" '.objects[] | select(.inode == $i) | .home_pid')
	assert_equal "$(stat -L -c %i "/proc/$home/ns/net")" "$(stat -L -c %i "/run/netns/$NS")"
	# nor as a UNIX socket, in the list of every type
	ipc_json
	assert_equal "$(obj "$cli_ino")" ""
	assert_equal "$(obj "$t_client_ino" | jq -r .type)" inet
}

@test "inet: a TCP pair passed from a namespace none of its holders is in is said, not listed" {
	requires_root "it makes a network namespace"
	# the child makes a loopback listener, client and accepted end in a
	# namespace of its own, hands the three over and exits
	mk p netns-pass-tcp
	[ "$p_netns" != "$(stat -L -c %i /proc/self/ns/net)" ] || fail "the sockets are in our namespace"
	ipc_json --type inet
	assert_equal "$(obj "$p_ino")" ""
	assert_equal "$(obj "$p_listen_ino")" ""
	run jq -r '.warnings[]' "$BATS_TEST_TMPDIR/ipc.json"
	assert_line "3 TCP or UDP sockets live in a network namespace none of their holders is in, which was not read: whether their other end is local is not known, and they are not shown"
	# and on stderr, in the table, and for the list of every type
	run "$IPCSCOPE" list
	assert_success
	assert_line --partial "ipcscope: 3 TCP or UDP sockets live in a network namespace none of their holders is in"
}

@test "inet: waits: recv on a local connection, accept on a listener" {
	mk r tcp wait=recv
	run --separate-stderr "$IPCSCOPE" waits --pid "$r_pid"
	assert_success
	assert_line --regexp "^$r_pid +$r_tid +mkipc +recvfrom +inet $r_wait_ino tcp 127\\.0\\.0\\.1:$r_lport->127\\.0\\.0\\.1:$r_cport \\[fd 5\\] +no-data +$r_child_pid/mkipc\\[4rw\\]"
	mk a tcp wait=accept
	run --separate-stderr "$IPCSCOPE" waits --pid "$a_pid" --json
	assert_success
	assert_equal "$(jq -r --argjson t "$a_tid" '.. | objects | select(.tid? == $t) | "\(.syscall) \(.object.inode) \(.object.type) \(.state)"' <<<"$output" | sort -u)" \
		"$a_syscall $a_wait_ino inet no-client"
}

@test "inet: graph joins the two processes of a local connection; show and metrics have it" {
	mk t tcp
	run --separate-stderr "$IPCSCOPE" graph --type inet --pid "$t_pid"
	assert_success
	assert_line --regexp "^	\"p($t_pid|$t_child_pid)\" -> \"p($t_pid|$t_child_pid)\" \\[label=\"inet tcp 127\\.0\\.0\\.1:[0-9]+->127\\.0\\.0\\.1:[0-9]+\", dir=none\\];\$"
	run --separate-stderr "$IPCSCOPE" show "socket:[$t_accepted_ino]"
	assert_success
	assert_line "inet $t_accepted_ino"
	assert_line --regexp "^  peer +socket $t_client_ino tcp 127\\.0\\.0\\.1:$t_cport->127\\.0\\.0\\.1:$t_lport\$"
	assert_line --regexp "^    $t_child_pid/mkipc  fd 4  rw  user "
	run --separate-stderr "$IPCSCOPE" metrics
	assert_success
	assert_line --regexp '^ipcscope_objects\{type="inet"\} [1-9][0-9]*$'
}

@test "inet: both backends give the same objects" {
	local why
	why=$("$IPCSCOPE" list --backend bpf --type pipe 2>&1 >/dev/null) ||
		skip "the bpf backend cannot run here: $why"
	mk t tcp fill=300
	mk u udp
	local b
	for b in proc bpf; do
		"$IPCSCOPE" list --backend "$b" --json --type inet --pid "$t_pid,$t_child_pid,$u_pid,$u_child_pid" |
			jq -S '.objects | map(del(.age)) | sort_by(.inode)' >"$T/$b.json"
	done
	assert_equal "$(jq length "$T/proc.json")" 5
	assert_equal "$(cat "$T/bpf.json")" "$(cat "$T/proc.json")"
}
