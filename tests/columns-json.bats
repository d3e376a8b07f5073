#!/usr/bin/env bats
# Every column's fact is in the JSON: the walk takes each column from
# `--list-columns --json`, prints it in the table, and finds the same fact
# in the member the column names, for every object both outputs list. A
# column no object here fills fails the walk, so a new column needs a
# scene here too.

load helpers/common

FIX="$BATS_TEST_DIRNAME/fixtures/cgroups"

setup() { common_setup; }
teardown() { common_teardown; }

# cell_of MEMBER-VALUE COLUMN: the JSON value as the table cell would read
# for the columns compared exactly; "=present" for the ones compared only
# by presence (AGE is "5m" in the table, seconds in JSON)
JQ_CELL='
def cell($col):
  if . == null then ""
  elif $col == "HOLDERS" or $col == "PEER" then
    (map(.pid) | reduce .[] as $p ([]; if index([$p]) then . else . + [$p] end) | map(tostring) | join(","))
  elif type == "array" then (map(tostring) | join(","))
  elif type == "boolean" then (if . then "yes" else "no" end)
  elif $col == "AGE" then "=present"
  else tostring end;
'

# the table cell reduced the same way: distinct pids of HOLDERS and PEER,
# BACKLOG's waiting count, PATH without what follows the path
table_cell() {
	local col=$1 cell=$2
	case $col in
	HOLDERS | PEER)
		# --raw writes the spaces between processes as \x20
		grep -oE '(^|\\x20)[0-9]+/' <<<"$cell" | sed 's/^\\x20//; s/\/$//' |
			awk '!seen[$0]++' | paste -sd, ;;
	BACKLOG) echo "${cell%%/*}" ;;
	AGE) [ -n "$cell" ] && echo "=present" || echo "" ;;
	*) echo "$cell" ;;
	esac
}

# walk CMD ARGS...: for every column, ipcscope CMD -o TYPE,INODE,DEV,COL
# against ipcscope CMD --json ARGS; adds the columns seen filled to $FILLED
walk() {
	local cmd=$1 name member type members line t i d cell want got n json m
	shift
	json="$T/walk.json"
	"$IPCSCOPE" "$cmd" --json "$@" >"$json" 2>"$T/walk.err" || fail "$cmd --json failed: $(cat "$T/walk.err")"
	while read -r name member type members; do
		[[ $member =~ ^(\.[a-z_]+)+$ ]] || fail "column $name names no JSON member: '$member'"
		while IFS= read -r line; do
			read -r t i d cell <<<"$line"
			# leaks ends its table with a total line
			[[ $i =~ ^[0-9]+$ ]] || continue
			# PATH keeps its own spaces (\x20 in --raw) and may add a label
			n=$(jq --arg t "$t" --argjson i "$i" --arg d "$d" \
				'[.objects[] | select(.type == $t and .inode == $i and .dev == $d)] | length' "$json")
			[ "$n" -eq 1 ] || continue
			# a column only some kinds fill names each one's member
			# (.unix.state, .inet.state); another kind's cell is empty
			m=$member
			[ "$members" = null ] || m=$(jq -r --arg t "$t" '.[$t] // ""' <<<"$members")
			if [ -z "$m" ]; then
				got=
			else
				got=$(jq -r --arg t "$t" --argjson i "$i" --arg d "$d" --arg c "$name" "$JQ_CELL"'
					.objects[] | select(.type == $t and .inode == $i and .dev == $d) | '"$m"' | cell($c)' "$json")
			fi
			want=$(table_cell "$name" "$cell")
			if [ "$name" = PATH ]; then
				# a pathless object's PATH is its kind's label
				[ -z "$got" ] || [[ $want == "$got"* ]] ||
					fail "$cmd: $t $i: PATH '$want' does not start with .path '$got'"
			elif [[ $want == *\\* ]]; then
				# escaped hostile bytes (hostile-outputs.bats checks
				# those): here only that both say something
				[ -n "$got" ] || fail "$cmd: $t $i: column $name is '$want' but JSON $member is empty"
			else
				[ "$got" = "$want" ] ||
					fail "$cmd: $t $i $d: column $name is '$want' but JSON $member is '$got'"
			fi
			[ -z "$want" ] || FILLED+=" $name"
		done < <("$IPCSCOPE" "$cmd" -n --raw --bytes -o "TYPE,INODE,DEV,$name" "$@" 2>/dev/null)
	done < <("$IPCSCOPE" list --list-columns --json |
		jq -r '.columns[] | "\(.name) \(.member) \(.type) \(.members | tojson)"')
}

@test "--list-columns --json names each column's JSON member and type" {
	run --separate-stderr "$IPCSCOPE" list --json --list-columns
	assert_success
	assert_equal "$(jq -r '.version' <<<"$output")" 1
	assert_equal "$(jq -r '.columns | length' <<<"$output")" \
		"$("$IPCSCOPE" list --list-columns | wc -l)"
	assert_equal "$(jq -r '.columns[] | select(.name == "STATE") | .member' <<<"$output")" ".unix.state"
	# a column only some kinds fill names each one's member
	assert_equal "$(jq -c '.columns[] | select(.name == "STATE") | .members' <<<"$output")" \
		'{"unix":".unix.state","inet":".inet.state"}'
	assert_equal "$(jq -c '.columns[] | select(.name == "TYPE") | .members' <<<"$output")" null
	assert_equal "$(jq -r '.columns[] | select(.name == "RESIDENT") | "\(.member) \(.type)"' <<<"$output")" \
		".resident number"
	# the text list and the JSON list agree, column for column
	diff <("$IPCSCOPE" list --list-columns | awk '{ print $1, $2 }') \
		<(jq -r '.columns[] | "\(.name) \(.type)"' <<<"$output")
}

@test "every column's fact is in the JSON, live and on a fixture tree" {
	unread_holds_nothing
	mk p pipe fill=100
	mk sp socketpair fill=10
	mk l listener path="$T/sock"
	mk m memfd name=cols size=1048576 fill=1048576
	mk sv sysvshm
	mk sh shm-fd name="$SHM_PREFIX-a"
	mk del shm-deleted name="$SHM_PREFIX-del"
	mk orph shm-orphan name="$SHM_PREFIX-orph"
	mk sd sock-shutdown how=wr nonblock=1
	mk tcp tcp fill=10
	FILLED=""
	local pids="$p_pid,$p_child_pid,$sp_pid,$l_pid,$m_pid,$sv_pid,$sh_pid,$del_pid,$sd_pid,$tcp_pid"
	# --pid: a pipe's PEER is its other end relative to the pids asked
	walk list --pid "$pids"
	walk list --pid "$p_pid"
	walk leaks --path "/dev/shm/$SHM_PREFIX-*"
	# containers by cgroup, which only a fixture tree has here
	IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$FIX" walk list
	local name missing=""
	while read -r name; do
		[[ " $FILLED " == *" $name "* ]] || missing+=" $name"
	done < <("$IPCSCOPE" list --list-columns | awk '{ print $1 }')
	[ -z "$missing" ] || fail "no object here filled:$missing"
}

@test "list --json has resident, queued, nholders, pids and peer for every object" {
	mk m memfd name=res size=1048576 fill=1048576
	mk p pipe fill=100
	ipc_json --pid "$m_pid"
	assert_equal "$(obj "$m_ino" memfd | jq -r '.resident')" 1048576
	assert_equal "$(obj "$m_ino" memfd | jq -r '"\(.nholders) \(.pids | join(","))"')" "1 $m_pid"
	ipc_json --pid "$p_pid"
	assert_equal "$(obj "$p_ino" pipe | jq -r '.queued')" 100
	# the parent reads, the child writes: with --pid on the parent, the
	# peer is the child's write end
	assert_equal "$(obj "$p_ino" pipe | jq -c '[.peer[] | [.pid, .fd, .mode]]')" \
		"[[$p_child_pid,$p_wfd,\"w\"]]"
	# without --pid a pipe has no other end to tell
	ipc_json
	assert_equal "$(obj "$p_ino" pipe | jq -r '.peer')" null
}

@test "PEER of a FIFO whose both ends the asked process holds is no one else" {
	mkfifo "$T/f"
	# P holds both ends (fd 3, read-write); Q only reads; W only writes
	sleep 1000 3<>"$T/f" &
	local p=$!
	MK_PIDS+=("$p")
	sleep 1000 <"$T/f" &
	local q=$!
	MK_PIDS+=("$q")
	sleep 1000 >"$T/f" &
	local w=$!
	MK_PIDS+=("$w")
	local ino i
	ino=$(stat -c %i "$T/f")
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$q/fd/0")" = "$T/f" ] && [ "$(readlink "/proc/$w/fd/1")" = "$T/f" ] && break
		sleep 0.05
	done
	run --separate-stderr "$IPCSCOPE" list --pid "$p" -n --raw -o INODE,HOLDERS,PEER
	assert_success
	local line
	line=$(awk -v i="$ino" '$1 == i' <<<"$output")
	[[ $line == *"$q/sleep[0r]"* && $line == *"$w/sleep[1w]"* ]] || fail "Q and W are not holders: $line"
	# the pipe loops back to P: Q shares its read end and W its write
	# end, and neither is the one P talks to
	assert_equal "$(awk '{ print NF }' <<<"$line")" 2
	ipc_json --pid "$p"
	assert_equal "$(obj "$ino" fifo | jq -c '.peer')" "[]"
	# asked about Q, a reader alone: its other end is every writer
	run --separate-stderr "$IPCSCOPE" list --pid "$q" -n --raw -o INODE,PEER
	assert_equal "$(awk -v i="$ino" '$1 == i { print $2 }' <<<"$output")" \
		"$(by_pid "$p/sleep[3rw]" "$w/sleep[1w]" | sed 's/ /\\x20/')"
	ipc_json --pid "$q"
	assert_equal "$(obj "$ino" fifo | jq -c '[.peer[] | [.pid, .fd, .mode]]')" \
		"$(by_pid "$p:3:rw" "$w:1:w" | jq -Rc 'split(" ") | map(split(":") | [(.[0] | tonumber), (.[1] | tonumber), .[2]])')"
}
