#!/usr/bin/env bats
# Output: JSON schema v1, the table, escaping of hostile names, help,
# version, and what happens when stdout goes away.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "json: version 1 with objects and warnings, every schema field present" {
	mk s shm-fd name="$SHM_PREFIX-j"
	mk u socketpair
	ipc_json
	assert_equal "$(jqr '.version')" 1
	assert_equal "$(jqr '.warnings | type')" array
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode==$i) | keys_unsorted | join(",")')" \
		"type,inode,dev,path,deleted,size,owner,ipcns,mntns,home_pid,container,resident,age,queued,nholders,pids,cgroups,containers,peer,holders,held_by"
	assert_equal "$(jqr --argjson i "$u_ino" '.objects[] | select(.inode==$i) | keys_unsorted | join(",")')" \
		"type,inode,dev,path,deleted,size,owner,ipcns,mntns,home_pid,container,resident,age,queued,nholders,pids,cgroups,containers,peer,unix,holders,held_by"
	# our own /dev/shm: its mount namespace is ours, and it has no home
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode==$i) | "\(.mntns) \(.ipcns) \(.home_pid) \(.container)"')" \
		"$(stat -Lc %i /proc/self/ns/mnt) null null null"
	assert_equal "$(jqr --argjson i "$u_ino" '.objects[] | select(.inode==$i) | .unix | keys_unsorted | join(",")')" \
		"type,state,peer,netns,source,peer_holders,senders,pending,backlog,backlog_max,rqueue,wqueue,listener,shutdown,nonblock"
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode==$i) | .holders[0] | keys_unsorted | join(",")')" \
		"pid,comm,user,fd,mode,mapped,cgroup,container,wait"
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode==$i) | .holders[0] | "\(.comm) \(.user)"')" "mkipc $(id -un)"
}

@test "json: every object has a known type and an integer inode" {
	ipc_json
	run jqr '.objects[] | select((.type | IN("fifo","pipe","unix","shm","memfd","sem","sysvshm","mqueue","eventfd","anonshm","inet") | not) or (.inode | type) != "number")'
	assert_output ""
}

@test "table: header and one line per object" {
	mk p many count=5
	run --separate-stderr "$IPCSCOPE" list --type pipe --pid "$p_pid"
	assert_success
	assert_line --index 0 --regexp '^TYPE +INODE +PATH +SIZE +PEER +HOLDERS$'
	assert_equal "${#lines[@]}" 6
	assert_line --index 5 --regexp "^pipe +[0-9]+ +$p_pid/mkipc\[[0-9]+r,[0-9]+w\]\$"
}

@test "no command means list" {
	mk p pipe
	run --separate-stderr "$IPCSCOPE" --type pipe --json
	assert_success
	echo "$output" | jq -e --argjson i "$p_ino" '.objects[] | select(.inode == $i)'
}

@test "hostile names: newline, ESC, tab and 0xff stay on one escaped table line" {
	mk s shm-orphan name="$SHM_PREFIX-a\\nb\\ec\\td\\xffe"
	run --separate-stderr "$IPCSCOPE" list --type shm --path "*$SHM_PREFIX*"
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial "/dev/shm/$SHM_PREFIX-a\\nb\\ec\\td\\xffe"
	# no raw control byte or invalid UTF-8 reaches the terminal
	if printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\xff]'; then
		fail "raw control bytes in the table"
	fi
}

@test "hostile names: JSON stays valid and the bytes can be recovered" {
	mk s shm-orphan name="$SHM_PREFIX-a\\nb\\ec\\xffd"
	ipc_json --type shm
	# the invalid byte becomes U+FFFD in path; path_base64 holds the bytes
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[]|select(.inode==$i)|.path')" \
		"$(printf '/dev/shm/%s-a\nb\033c\xef\xbf\xbdd' "$SHM_PREFIX")"
	jqr --argjson i "$s_ino" '.objects[]|select(.inode==$i)|.path_base64' | base64 -d >"$T/raw"
	printf '/dev/shm/%s-a\nb\033c\377d' "$SHM_PREFIX" >"$T/want"
	cmp "$T/raw" "$T/want"
	# valid names carry no _base64 sibling
	mk v shm-orphan name="$SHM_PREFIX-plain"
	ipc_json --type shm
	assert_equal "$(jqr --argjson i "$v_ino" '.objects[]|select(.inode==$i)|has("path_base64")')" false
}

@test "hostile names: the JSON text itself is plain ASCII" {
	mk s shm-orphan name="$SHM_PREFIX-\\xc3\\xa9t\\xc3\\xa9"
	"$IPCSCOPE" list --json --type shm >"$T/out.json" 2>/dev/null
	if LC_ALL=C grep -q $'[\x80-\xff]' "$T/out.json"; then
		fail "non-ASCII bytes in JSON output"
	fi
	assert_equal "$(jq -r --argjson i "$s_ino" '.objects[]|select(.inode==$i)|.path' "$T/out.json")" "/dev/shm/$SHM_PREFIX-été"
}

@test "--help and --version print to stdout and exit 0" {
	run --separate-stderr "$IPCSCOPE" --help
	assert_success
	assert_line --partial "list"
	assert_equal "$stderr" ""
	run --separate-stderr "$IPCSCOPE" list --help
	assert_success
	assert_line --partial "--type LIST"
	# the column table feeds --help
	assert_line --regexp '^ +HOLDERS +holding processes'
	run --separate-stderr "$IPCSCOPE" --version
	assert_success
	assert_equal "${#lines[@]}" 2
	[[ ${lines[0]} =~ ^ipcscope\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "first line: ${lines[0]}"
	grep -q "^VERSION := ${lines[0]#ipcscope }\$" "$TOP/Makefile"
	# the backends this build has
	[[ ${lines[1]} =~ ^backends:\ proc(,\ bpf|\ \(built\ without\ bpf:\ .+\))$ ]] || fail "second line: ${lines[1]}"
}

@test "-o chooses columns, +COL appends, --list-columns lists them all" {
	mk p pipe
	run --separate-stderr "$IPCSCOPE" list --type pipe -o INODE,PIDS
	assert_success
	assert_line --index 0 --regexp '^ *INODE +PIDS$'
	assert_line --regexp "^ *$p_ino +$(by_pid "$p_pid" "$p_child_pid" | tr ' ' ,)\$"
	run --separate-stderr "$IPCSCOPE" list --type pipe -o +DEV
	assert_line --index 0 --regexp '^TYPE +INODE +PATH +SIZE +PEER +HOLDERS +DEV$'
	run --separate-stderr "$IPCSCOPE" list --list-columns
	assert_success
	assert_line --regexp '^INODE +number +inode number'
	assert_line --regexp '^PATH +string '
}

@test "-n drops the header, --bytes prints exact sizes" {
	mk s shm-orphan name="$SHM_PREFIX-sz" size=12288
	run --separate-stderr "$IPCSCOPE" list --type shm -n --path "*$SHM_PREFIX-sz"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --regexp "^shm +$s_ino +/dev/shm/$SHM_PREFIX-sz +12K *\$"
	run --separate-stderr "$IPCSCOPE" list --type shm -n --bytes --path "*$SHM_PREFIX-sz"
	assert_line --regexp "^shm +$s_ino +/dev/shm/$SHM_PREFIX-sz +12288 *\$"
}

@test "a closed stdout ends the run quietly" {
	# enough output to overflow the pipe buffer, so the writes really fail
	mk m many count=400
	run bash -c "'$IPCSCOPE' list --json 2>'$T/err' | head -c 10"
	assert_success
	assert_output '{"version"'
	run cat "$T/err"
	refute_output --partial "write error"
	refute_output --partial "Broken pipe"
	# and with SIGPIPE ignored, as some parents leave it: EPIPE, exit 0
	run bash -c "trap '' PIPE; '$IPCSCOPE' list --json 2>'$T/err2' | head -c 10; exit \${PIPESTATUS[0]}"
	assert_success
	run cat "$T/err2"
	refute_output --partial "write error"
}

@test "a full disk is a write error: exit 1 and a message" {
	run --separate-stderr bash -c "'$IPCSCOPE' list >/dev/full"
	assert_failure 1
	[[ $stderr == *"write error: No space left on device"* ]]
}

# an age may change between two runs
norm_age() { sed -E 's/"age":[0-9]+/"age":-1/g' "$@"; }

# same_objects COMMAND ARGS...: each object of the list, as one JSON line,
# is the same bytes in the envelope and in --json-lines; in the default
# order, where each object follows one of its own type, and sorted by
# inode, where the types alternate; and, for list, rendered alone by show,
# by a writer that has seen no other object.
same_objects() {
	"$IPCSCOPE" "$@" --json 2>/dev/null | sed -n 's/^\({.*}\),\{0,1\}$/\1/p' | norm_age >"$T/env.jsonl"
	"$IPCSCOPE" "$@" --json-lines 2>/dev/null | tee "$T/raw.jsonl" | norm_age >"$T/lines.jsonl"
	[ -s "$T/lines.jsonl" ] || fail "$* listed nothing"
	cmp "$T/env.jsonl" "$T/lines.jsonl" || fail "$*: --json and --json-lines differ"
	# sorted otherwise, each object is still the same bytes: peers and
	# all (the link stage resolves them before any sort)
	"$IPCSCOPE" "$@" --json-lines --sort -INODE 2>/dev/null | norm_age | sort >"$T/mixed.jsonl"
	sort "$T/lines.jsonl" | cmp - "$T/mixed.jsonl" || fail "$*: the order changed the objects"
	[ "$1" = list ] || return 0
	local line type ino
	while IFS= read -r line; do
		type=$(jq -r .type <<<"$line")
		ino=$(jq -r .inode <<<"$line")
		"$IPCSCOPE" show "$ino" "${@:2}" --type "$type" --json-lines 2>/dev/null | norm_age >"$T/one.jsonl"
		[ "$(cat "$T/one.jsonl")" = "$line" ] || fail "$type $ino alone: $(cat "$T/one.jsonl"), in the list: $line"
	done <"$T/lines.jsonl"
}

@test "json: an object prints the same bytes wherever it is in the list, and alone" {
	mk f fifo path="$T/f\xff-fifo"
	mk p pipe fill=100
	mk u socketpair type=seqpacket fill=7
	mk l listener path="$T/l.sock"
	mk w pending path="$T/w.sock"
	mk a abstract name="ipcscope-test-$$-tree"
	mk s shm-fd name="$SHM_PREFIX-tree"
	mk m shm-mapped name="$SHM_PREFIX-treemap"
	mk d memfd name=tree map=1
	mk e sem name="$SHM_PREFIX-treesem"
	mk v sysvshm
	mk c comm value='we\x01\xffrd'
	local pids="$f_pid,$p_pid,$u_pid,$l_pid,$w_pid,$a_pid,$s_pid,$m_pid,$d_pid,$e_pid,$v_pid,$c_pid"
	mk o shm-orphan name="$SHM_PREFIX-treeorphan\xfe"
	mk o2 shm-orphan name="$SHM_PREFIX-treeorphan2"
	same_objects list --pid "$pids"
	# the comparison covered objects of every shape, and *_base64 keys
	assert_equal "$(jq -rs '[.[].type] | unique | join(",")' "$T/raw.jsonl")" "fifo,memfd,pipe,sem,shm,sysvshm,unix"
	assert_equal "$(jq -rs '[.[] | .. | objects | keys[] | select(endswith("_base64"))] | unique | join(",")' "$T/raw.jsonl")" \
		"comm_base64,path_base64"
	same_objects leaks --path "/dev/shm/$SHM_PREFIX-treeorphan*"
	assert_equal "$(jq -rs '[.[] | keys_unsorted[-4:] | join(",")] | unique | join(" ")' "$T/raw.jsonl")" \
		"held_by,reason,certain,uncertain"
	assert_equal "$(jq -rs '[.[] | select(.path_base64)] | length' "$T/raw.jsonl")" 1
}

@test "json: the fixture's objects print the same bytes wherever they are, and alone" {
	IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$BATS_TEST_DIRNAME/fixtures/basic" same_objects list
	[ "$(wc -l <"$T/raw.jsonl")" -ge 10 ] || fail "the fixture listed too little"
}
