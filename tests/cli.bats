#!/usr/bin/env bats
# Output control (--sort, --raw, --json-lines, --width, --color), and the
# summary and graph commands.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "--sort orders numerically, -COL descending, empty cells last" {
	mk a shm-orphan name="$SHM_PREFIX-a" size=40960
	mk b shm-orphan name="$SHM_PREFIX-b" size=8192
	mk c shm-orphan name="$SHM_PREFIX-c" size=1048576
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*" -o INODE,SIZE -n --bytes --sort SIZE
	assert_success
	assert_equal "$(echo "$output" | awk '{print $1}' | paste -sd,)" "$b_ino,$a_ino,$c_ino"
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*" -o INODE -n --sort -SIZE
	assert_equal "$(echo "$output" | awk '{print $1}' | paste -sd,)" "$c_ino,$a_ino,$b_ino"
	# by text
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*" -o PATH -n --sort -PATH
	assert_equal "$(echo "$output" | paste -sd,)" "/dev/shm/$SHM_PREFIX-c,/dev/shm/$SHM_PREFIX-b,/dev/shm/$SHM_PREFIX-a"
	# the JSON follows the same order
	ipc_json -t shm --path "/dev/shm/$SHM_PREFIX-*" --sort SIZE
	assert_equal "$(jqr '[.objects[].size] | join(",")')" "8192,40960,1048576"
	run --separate-stderr "$IPCSCOPE" list --sort NOPE
	assert_failure 2
	assert_equal "$stderr" "ipcscope: unknown column 'NOPE' (see --list-columns)"
}

@test "--raw: one space between cells, spaces inside escaped" {
	mk a shm-orphan name="$SHM_PREFIX-with space" size=4096
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*" -r -o TYPE,INODE,PATH,SIZE
	assert_success
	assert_line --index 0 "TYPE INODE PATH SIZE"
	assert_line --index 1 "shm $a_ino /dev/shm/$SHM_PREFIX-with\\x20space 4.0K"
}

@test "--json-lines: one complete object per line, no envelope" {
	mk p pipe
	mk q pipe
	run --separate-stderr "$IPCSCOPE" list --json-lines -t pipe --pid "$p_pid,$q_pid"
	assert_success
	assert_equal "${#lines[@]}" 2
	local l
	for l in "${lines[@]}"; do
		assert_equal "$(jq -r '.type' <<<"$l")" pipe
	done
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -s -r '[.[].inode] | sort | map(tostring) | join(",")')" \
		"$(printf '%s\n' "$p_ino" "$q_ino" | sort -n | paste -sd,)"
}

@test "--width cuts long cells with an ellipsis; without it nothing is cut" {
	mk a shm-orphan name="$SHM_PREFIX-$(printf 'x%.0s' {1..120})"
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*" --width 60
	assert_success
	local line
	for line in "${lines[@]}"; do
		[ "$(printf '%s' "$line" | wc -m)" -le 60 ] || fail "line wider than 60: $line"
	done
	assert_line --index 1 --partial "…"
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_line --index 1 --partial "/dev/shm/$SHM_PREFIX-$(printf 'x%.0s' {1..120})"
	run --separate-stderr "$IPCSCOPE" list --width 3
	assert_failure 2
}

@test "--color: always colors types and reasons, never and NO_COLOR do not" {
	mk a shm-orphan name="$SHM_PREFIX-col"
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-col" --color=always
	assert_line --index 1 --regexp $'^\e\\[32mshm\e\\[0m '
	run --separate-stderr "$IPCSCOPE" leaks -t shm --path "/dev/shm/$SHM_PREFIX-col" --color
	assert_line --index 1 --partial $'\e[31morphaned-shm\e[0m'
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-col" --color=never
	refute_output --partial $'\e['
	# auto: not on a pipe, and not under NO_COLOR even on a terminal
	run --separate-stderr "$IPCSCOPE" list -t shm --path "/dev/shm/$SHM_PREFIX-col" --color=auto
	refute_output --partial $'\e['
	if command -v script >/dev/null; then
		run script -qec "'$IPCSCOPE' list -t shm --path '/dev/shm/$SHM_PREFIX-col' 2>/dev/null" /dev/null
		assert_output --partial $'\e[32mshm'
		run script -qec "NO_COLOR=1 '$IPCSCOPE' list -t shm --path '/dev/shm/$SHM_PREFIX-col' 2>/dev/null" /dev/null
		refute_output --partial $'\e[32m'
	fi
	run --separate-stderr "$IPCSCOPE" list --color=sometimes
	assert_failure 2
	assert_equal "$stderr" "ipcscope: invalid --color 'sometimes' (auto, always or never)"
}

@test "summary: counts per type, top processes, leaks, unreadable processes" {
	# more objects than any other process is likely to hold, to be on top
	mk m many count=300
	mk o shm-orphan name="$SHM_PREFIX-sum" size=16384
	run --separate-stderr "$IPCSCOPE" summary --json
	assert_success
	local j=$output
	[ "$(jq '[.types[] | select(.type == "pipe")][0].objects' <<<"$j")" -ge 300 ]
	[ "$(jq '[.types[] | select(.type == "pipe")][0].holders' <<<"$j")" -ge 600 ]
	assert_equal "$(jq -r '[.types[].type] | join(",")' <<<"$j")" "fifo,pipe,unix,shm,memfd,sem,sysvshm,mqueue,eventfd,anonshm,inet"
	# the helper with 300 pipes (600 fds) holds 300 objects, and the list
	# is in descending order
	assert_equal "$(jq --argjson p "$m_pid" '[.top_processes[] | select(.pid == $p)][0].objects' <<<"$j")" 300
	jq -e '[.top_processes[].objects] | . == (sort | reverse)' <<<"$j"
	[ "$(jq '[.leaks[] | select(.reason == "orphaned-shm")][0].objects' <<<"$j")" -ge 1 ]
	[ "$(jq '[.leaks[] | select(.reason == "orphaned-shm")][0].size' <<<"$j")" -ge 16384 ]
	[ "$(jq '.processes.total' <<<"$j")" -gt 2 ]
	jq -e '.processes.unreadable | type == "number"' <<<"$j"
	run --separate-stderr "$IPCSCOPE" summary
	assert_success
	assert_line --index 0 --regexp '^TYPE +OBJECTS +HOLDERS +SIZE +RESIDENT$'
	assert_line --regexp "^$m_pid/mkipc \\($(id -un)\\) +300\$"
	assert_line --regexp '^processes: [0-9]+, not readable: [0-9]+, hidden: (none|some, how many is unknown)$'
}

@test "graph: a pipe is a directed edge from writer to reader" {
	mk p pipe
	run --separate-stderr "$IPCSCOPE" graph --format json --pid "$p_pid"
	assert_success
	assert_equal "$(jq -r '[.nodes[] | select(.kind == "process") | .pid] | sort | map(tostring) | join(",")' <<<"$output")" \
		"$(printf '%s\n' "$p_pid" "$p_child_pid" | sort -n | paste -sd,)"
	assert_equal "$(jq -r --argjson i "$p_ino" '[.edges[] | select(.inode == $i) | "\(.from)>\(.to) \(.type) \(.directed) \(.wait)"] | join(";")' <<<"$output")" \
		"p$p_child_pid>p$p_pid pipe true false"
}

@test "graph: a pipe its reader sleeps on is a wait edge: dashed, dotted, \"wait\": true" {
	blocked_pipe b
	mk p pipe
	run --separate-stderr "$IPCSCOPE" graph --format json --pid "$b_reader,$p_pid"
	assert_success
	assert_equal "$(jq -r --argjson i "$b_ino" --argjson j "$p_ino" '[.edges[] | select(.inode == $i or .inode == $j) |
		"\(.from)>\(.to) \(.inode) \(.wait)"] | sort | join(";")' <<<"$output")" \
		"$(printf '%s\n' "p$b_writer>p$b_reader $b_ino true" "p$p_child_pid>p$p_pid $p_ino false" | sort | paste -sd';')"
	run --separate-stderr "$IPCSCOPE" graph --pid "$b_reader,$p_pid"
	assert_success
	assert_line "	\"p$b_writer\" -> \"p$b_reader\" [label=\"pipe $b_ino\", style=dashed];"
	assert_line "	\"p$p_child_pid\" -> \"p$p_pid\" [label=\"pipe $p_ino\"];"
	run --separate-stderr "$IPCSCOPE" graph --format mermaid --pid "$b_reader,$p_pid"
	assert_success
	assert_line "	p$b_writer -.->|\"pipe $b_ino\"| p$b_reader"
	assert_line "	p$p_child_pid -->|\"pipe $p_ino\"| p$p_pid"
}

@test "graph: shared memory becomes a node joined to every holder; sockets join peers" {
	mk s shm-shared name="$SHM_PREFIX-g" fd=5
	mk u socketpair
	run --separate-stderr "$IPCSCOPE" graph --format json
	assert_success
	local onode
	onode=$(jq -r --argjson i "$s_ino" '.nodes[] | select(.kind == "object" and .inode == $i) | .id' <<<"$output")
	[ -n "$onode" ] || fail "no object node for the segment"
	assert_equal "$(jq -r --arg o "$onode" '[.edges[] | select(.to == $o) | .from] | sort | join(",")' <<<"$output")" \
		"$(printf 'p%s\n' "$s_pid" "$s_child_pid" | sort | paste -sd,)"
	assert_equal "$(jq -r --argjson a "$u_ino" --argjson b "$u_peer_ino" '[.edges[] | select(.type == "unix" and (.inode == $a or .inode == $b)) | [.from, .to] | sort | join("-")] | join(";")' <<<"$output")" \
		"$(printf 'p%s\n' "$u_pid" "$u_child_pid" | sort | paste -sd-)"
}

@test "graph: --depth limits the neighbourhood of --pid" {
	mk p pipe
	run --separate-stderr "$IPCSCOPE" graph --format json --pid "$p_pid" --depth 0
	assert_success
	assert_equal "$(jq -r '[.nodes[].id] | join(",")' <<<"$output")" "p$p_pid"
	assert_equal "$(jq '.edges | length' <<<"$output")" 0
}

@test "graph: DOT renders with dot -Tsvg without warnings; Mermaid is well formed" {
	command -v dot >/dev/null || skip "graphviz (dot) is not installed"
	mk p pipe
	mk l listener path="$T/quote\"d.sock"
	mk s shm-shared name="$SHM_PREFIX-dot"
	"$IPCSCOPE" graph >"$T/g.dot" 2>/dev/null
	grep -q "\"p$p_child_pid\" -> \"p$p_pid\" \\[label=\"pipe $p_ino\"\\];" "$T/g.dot"
	run dot -Tsvg -o "$T/g.svg" "$T/g.dot"
	assert_success
	assert_output ""
	grep -q '<svg' "$T/g.svg"
	run --separate-stderr "$IPCSCOPE" graph --format mermaid
	assert_success
	assert_line --index 0 "flowchart LR"
	assert_line "	p$p_child_pid -->|\"pipe $p_ino\"| p$p_pid"
	assert_output --partial "quote#quot;d.sock"
	run --separate-stderr "$IPCSCOPE" graph --format png
	assert_failure 2
}

@test "graph --type keeps only those kinds of edges; summary --bytes prints exact sizes" {
	mk p pipe
	mk s socketpair
	run --separate-stderr "$IPCSCOPE" graph --format json --type pipe --pid "$p_pid,$s_pid"
	assert_success
	assert_equal "$(jq -r '[.edges[].type] | unique | join(",")' <<<"$output")" pipe
	assert_equal "$(jq -r --argjson i "$p_ino" '[.edges[] | select(.inode == $i)] | length' <<<"$output")" 1
	run --separate-stderr "$IPCSCOPE" graph --format json --type unix --pid "$p_pid,$s_pid"
	assert_equal "$(jq -r '[.edges[].type] | unique | join(",")' <<<"$output")" unix
	mk o shm-orphan name="$SHM_PREFIX-b" size=12288
	# only our segment: other processes' come and go between two runs
	run --separate-stderr "$IPCSCOPE" summary --bytes --type shm --path "/dev/shm/$SHM_PREFIX-*"
	assert_success
	assert_line --regexp '^shm +1 +0 +12288 +[0-9]+$'
	local bytes
	bytes=$("$IPCSCOPE" summary --json --type shm --path "/dev/shm/$SHM_PREFIX-*" 2>/dev/null |
		jq '.types[] | select(.type == "shm") | .size')
	assert_equal "$bytes" 12288
}

@test "--pid with a pid no process has warns, names it, and exits 0 (list, graph, waits)" {
	mk p pipe
	# a pid that was a process a moment ago: ours, reaped
	sleep 0 &
	local gone=$!
	wait "$gone"
	local cmd
	for cmd in list graph waits; do
		run --separate-stderr "$IPCSCOPE" "$cmd" --pid "$gone,$p_pid"
		assert_success
		[[ $stderr == *"no process $gone was seen"* ]] || fail "$cmd: no warning about $gone: $stderr"
		[[ $stderr != *"no process $p_pid"* ]] || fail "$cmd: a live pid is called unseen: $stderr"
	done
	run --separate-stderr "$IPCSCOPE" list --pid "$gone" --json
	assert_success
	assert_equal "$(jq -r --arg w "no process $gone was seen" '[.warnings[] | select(startswith($w))] | length' <<<"$output")" 1
	# a pid it saw holds nothing: no warning
	run --separate-stderr "$IPCSCOPE" list --pid "$p_pid" -t sysvshm
	assert_success
	[[ $stderr != *"was seen"* ]] || fail "a live pid holding nothing is called unseen: $stderr"
}
