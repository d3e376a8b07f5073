#!/usr/bin/env bats
# Containers by name: each holder's cgroup v2 path and container id, in
# JSON, in the CGROUP and CONTAINER columns, through --container and
# --cgroup, and in summary. First on a fixture tree (IPCSCOPE_ROOT) with
# each runtime's cgroup layout, then live, with helper processes moved into
# a cgroup named like a docker container's scope.

load helpers/common

FIX="$BATS_TEST_DIRNAME/fixtures/cgroups"

# the fixture's container ids (tests/fixtures/cgroups/proc/*/cgroup)
TAIL=0123456789abcdef0123456789abcdef0123456789abcdef0123
A=a0000000000a$TAIL	# 200: docker-ID.scope; also 210's v1 line
B=b0000000000b$TAIL	# 201: cri-containerd-ID.scope
C=c0000000000c$TAIL	# 202: crio-ID.scope/container; 209: crio-conmon-ID.scope
D=d0000000000d$TAIL	# 203: libpod-ID.scope/container
E=e0000000000e$TAIL	# 204: /docker/E/docker/F; 210: /docker/E
F=f0000000000f$TAIL
G=0123456789ab$TAIL	# 205: only in the v1 lines, 0::/
H=abcdefabcdef$TAIL	# 207: docker-ID.scope below a hostile name

setup() {
	common_setup
	CG_DIRS=()
	CG_BACK=()
}

teardown() {
	cg_teardown
	common_teardown
	cg_rmdirs
}

# fixture TREE ARGS...: ipcscope ARGS below the fixture tree, into $output
# (stdout only) and $stderr
fixture() {
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$FIX" "$IPCSCOPE" "$@"
	assert_success
}

# the inodes of the objects that `fixture list ARGS -o INODE` shows, sorted,
# comma-separated
fixture_inodes() {
	fixture list -n --raw -o INODE "$@"
	inodes=$(sort -n <<<"$output" | paste -sd,)
}

@test "fixture: each runtime's cgroup names its container, innermost first" {
	fixture list --json
	local j=$output
	# pid container cgroup, for each holder of the pipe each process holds alone
	holder() {
		jq -r --argjson p "$1" '[.objects[] | select(.inode == 9000 + $p) | .holders[]][0] |
			"\(.container) \(.cgroup)"' <<<"$j"
	}
	assert_equal "$(holder 200)" "a0000000000a /system.slice/docker-$A.scope"
	assert_equal "$(holder 201)" "b0000000000b /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_4e5f.slice/cri-containerd-$B.scope"
	assert_equal "$(holder 202)" "c0000000000c /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod99.slice/crio-$C.scope/container"
	assert_equal "$(holder 203)" "d0000000000d /machine.slice/libpod-$D.scope/container"
	# docker in docker: the inner one
	assert_equal "$(holder 204)" "f0000000000f /docker/$E/docker/$F"
	# a v1 host: the id from the v1 controllers' lines, the cgroup stays v2's
	assert_equal "$(holder 205)" "0123456789ab /"
	# no runtime's scope, conmon's scope, no cgroup file at all
	assert_equal "$(holder 206)" "null /user.slice/user-1000.slice/session-2.scope"
	assert_equal "$(holder 209)" "null /machine.slice/crio-conmon-$C.scope"
	assert_equal "$(holder 208)" "null null"
	# /docker/ID in the v2 line wins over another id in a v1 line
	assert_equal "$(holder 210)" "e0000000000e /docker/$E"
	# a holder object always has both keys
	jq -e '[.objects[].holders[] | has("cgroup") and has("container")] | all' <<<"$j"
}

@test "fixture: a hostile cgroup name is lossless in JSON and escaped in the table" {
	fixture list --json
	# U+FFFD for the byte that is not UTF-8, the exact bytes in base64
	assert_equal "$(jq -r '.objects[] | select(.inode == 9207) | .holders[0].cgroup' <<<"$output")" \
		"$(printf '/evil\033]0;x\a\xef\xbf\xbd.slice/docker-%s.scope' "$H")"
	assert_equal "$(jq -r '.objects[] | select(.inode == 9207) | .holders[0].cgroup_base64' <<<"$output" | base64 -d | od -An -c | tr -s ' ')" \
		"$(printf '/evil\033]0;x\a\xff.slice/docker-%s.scope\n' "$H" | head -c -1 | od -An -c | tr -s ' ')"
	assert_equal "$(jq -r '.objects[] | select(.inode == 9207) | .holders[0].container' <<<"$output")" abcdefabcdef
	# pure ASCII JSON
	LC_ALL=C grep -q $'[\x80-\xff]' <<<"$output" && fail "JSON that is not ASCII"
	fixture list -o INODE,CONTAINER,CGROUP --raw -n
	assert_line "9207 abcdefabcdef /evil\\e]0;x\\x07\\xff.slice/docker-$H.scope"
	[ "${#lines[@]}" -eq 14 ] || fail "not one line an object: $output"
	if printf '%s' "$output" | od -An -v -tx1 | grep -Eq ' (0[0-9b-f]|1[0-9a-f]|7f)'; then
		fail "raw control bytes in the table: $output"
	fi
}

@test "fixture: CGROUP and CONTAINER list the distinct values of the holders, in their order" {
	fixture list -o INODE,PIDS,CONTAINER,CGROUP --raw -n
	# 9999: 200 (A), 201 (B), 206 (none), 210 (E)
	assert_line "9999 200,201,206,210 a0000000000a,b0000000000b,e0000000000e /system.slice/docker-$A.scope,/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_4e5f.slice/cri-containerd-$B.scope,/user.slice/user-1000.slice/session-2.scope,/docker/$E"
	# a segment held by two containers' processes, one by nobody: empty cells
	local seg lonely
	seg=$(stat -c %i "$FIX/dev/shm/ctr-seg")
	lonely=$(stat -c %i "$FIX/dev/shm/lonely")
	assert_line "$seg 200,203 a0000000000a,d0000000000d /system.slice/docker-$A.scope,/machine.slice/libpod-$D.scope/container"
	# --raw keeps the empty cells
	assert_line "$lonely   "
	assert_line "9208 208  "
	# the table's header, and the sort by a text column
	fixture list -t pipe -o INODE,CONTAINER --sort CONTAINER
	assert_line --index 0 --regexp '^ *INODE +CONTAINER$'
	assert_equal "$(awk 'NR > 1 { print $1 }' <<<"$output" | paste -sd,)" \
		"9205,9200,9999,9207,9201,9202,9203,9210,9204,9206,9208,9209"
	assert_line --index 3 --regexp '^ *9999 +a0000000000a,b0000000000b,e0000000000e$'
	# empty cells last
	assert_line --index 10 --regexp '^ *9206$'
	# the columns, like the others, are known to --list-columns and -o
	run "$IPCSCOPE" list --list-columns
	assert_line --regexp '^CGROUP +array +'
	assert_line --regexp '^CONTAINER +array +'
}

@test "fixture: --container takes the short id, the full id or a prefix, in any case" {
	local seg
	seg=$(stat -c %i "$FIX/dev/shm/ctr-seg")
	fixture_inodes --container a0000000000a
	assert_equal "$inodes" "9200,9999,$seg"
	fixture_inodes --container "$A"
	assert_equal "$inodes" "9200,9999,$seg"
	fixture_inodes --container "${A:0:30}"
	assert_equal "$inodes" "9200,9999,$seg"
	fixture_inodes --container "$(tr a-f A-F <<<"$A")"
	assert_equal "$inodes" "9200,9999,$seg"
	# fewer than 12 digits: a prefix of the short id
	fixture_inodes --container a0000
	assert_equal "$inodes" "9200,9999,$seg"
	# the first 12 digits decide: a longer id with other digits after them
	# is the same container's
	fixture_inodes --container a0000000000affff
	assert_equal "$inodes" "9200,9999,$seg"
	# the innermost container, the v1 fallback
	fixture_inodes --container f0000000000f
	assert_equal "$inodes" "9204"
	fixture_inodes --container e0000000000e
	assert_equal "$inodes" "9210,9999"
	fixture_inodes --container "$G"
	assert_equal "$inodes" "9205"
	# no such container; conmon's scope is no container
	fixture_inodes --container 1234567890ab
	assert_equal "$inodes" ""
	fixture_inodes --container c0000000000c
	assert_equal "$inodes" "9202"
	# repeated: any of them
	fixture_inodes --container b0000000000b --container d0000000000d
	assert_equal "$inodes" "9201,9203,9999,$seg"
	# with the other filters: all of them
	fixture_inodes --container a0000000000a --type pipe
	assert_equal "$inodes" "9200,9999"
}

@test "fixture: --cgroup globs the cgroup path, * spanning slashes, raw or escaped" {
	local seg
	seg=$(stat -c %i "$FIX/dev/shm/ctr-seg")
	fixture_inodes --cgroup '*docker-*'
	assert_equal "$inodes" "9200,9207,9999,$seg"
	fixture_inodes --cgroup '/kubepods.slice/*'
	assert_equal "$inodes" "9201,9202,9999"
	fixture_inodes --cgroup '/docker/*'
	assert_equal "$inodes" "9204,9210,9999"
	fixture_inodes --cgroup /
	assert_equal "$inodes" "9205"
	# repeated: any of them
	fixture_inodes --cgroup '/user.slice/*' --cgroup '/machine.slice/*'
	assert_equal "$inodes" "9203,9206,9209,9999,$seg"
	# the escaped form the table shows (a backslash in a glob escapes the
	# next character, as for --path), and the raw bytes
	fixture_inodes --cgroup '/evil\\e]0;x\\x07\\xff.slice/*'
	assert_equal "$inodes" "9207"
	fixture_inodes --cgroup "$(printf '/evil\033]0;x\a\xff.slice/*')"
	assert_equal "$inodes" "9207"
	# a process whose cgroup is unknown matches nothing, not even *
	fixture_inodes --cgroup '*' --type pipe
	assert_equal "$inodes" "9200,9201,9202,9203,9204,9205,9206,9207,9209,9210,9999"
	# with --container: both
	fixture_inodes --cgroup '/kubepods.slice/*' --container c0000000000c
	assert_equal "$inodes" "9202"
}

@test "fixture: summary counts each object once per container, with its bytes" {
	fixture summary
	assert_line --regexp '^CONTAINERS +OBJECTS +SIZE$'
	# a0000000000a: 9200, 9999 and the 4 KiB segment; d0000000000d: 9203
	# and the segment; ties by bytes, then by id
	local want=(
		'a0000000000a +3 +4.0K'
		'd0000000000d +2 +4.0K'
		'b0000000000b +2 +0B'
		'e0000000000e +2 +0B'
		'0123456789ab +1 +0B'
		'abcdefabcdef +1 +0B'
		'c0000000000c +1 +0B'
		'f0000000000f +1 +0B'
		# 9206, 9208, 9209 and the lonely segment
		'no container +4 +1000B'
	)
	local i section
	# the section, from its header to the blank line after it
	section=$(sed -n '/^CONTAINERS /,/^$/p' <<<"$output" | sed '1d;/^$/d')
	assert_equal "$(wc -l <<<"$section")" "${#want[@]}"
	for i in "${!want[@]}"; do
		[[ $(sed -n "$((i + 1))p" <<<"$section") =~ ^${want[i]}$ ]] ||
			fail "line $((i + 1)) of the containers is not '${want[i]}': $section"
	done
	fixture summary --bytes
	assert_line --regexp '^a0000000000a +3 +4096$'
	fixture summary --json
	assert_equal "$(jq -c '.containers[:2]' <<<"$output")" \
		'[{"container":"a0000000000a","objects":3,"bytes":4096},{"container":"d0000000000d","objects":2,"bytes":4096}]'
	assert_equal "$(jq -c '.containers[-1]' <<<"$output")" '{"container":null,"objects":4,"bytes":1000}'
	assert_equal "$(jq '.containers | length' <<<"$output")" 9
	# the filters apply to the summary
	fixture summary --json --container d0000000000d
	assert_equal "$(jq -c '.containers' <<<"$output")" \
		'[{"container":"d0000000000d","objects":2,"bytes":4096},{"container":"a0000000000a","objects":1,"bytes":4096},{"container":null,"objects":0,"bytes":0}]'
	# the text has no line for no object
	fixture summary --container d0000000000d
	assert_line --regexp '^d0000000000d +2 +4\.0K$'
	refute_line --partial 'no container'
}

@test "fixture: without cgroup files, cgroup and container are null and summary has no containers" {
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$BATS_TEST_DIRNAME/fixtures/basic" "$IPCSCOPE" list --json
	assert_success
	assert_equal "$(jq -c '[.objects[].holders[] | [.cgroup, .container]] | unique' <<<"$output")" '[[null,null]]'
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$BATS_TEST_DIRNAME/fixtures/basic" "$IPCSCOPE" summary
	assert_success
	refute_line --partial CONTAINERS
	run --separate-stderr env IPCSCOPE_BACKEND=proc IPCSCOPE_ROOT="$BATS_TEST_DIRNAME/fixtures/basic" "$IPCSCOPE" summary --json
	assert_success
	assert_equal "$(jq -c .containers <<<"$output")" '[]'
}

@test "--container takes 1 to 64 hex digits, else a usage error naming the escaped value" {
	bad_container() {
		run --separate-stderr "$IPCSCOPE" "$@"
		assert_failure 2
		assert_output ""
		[ "${#stderr_lines[@]}" -eq 1 ] || fail "expected one stderr line, got: $stderr"
	}
	bad_container list --container 'zz!'
	assert_equal "$stderr" "ipcscope: invalid container id 'zz!' (1 to 64 hex digits)"
	bad_container list --container $'ab\e[2Jcd'
	assert_equal "$stderr" "ipcscope: invalid container id 'ab\\e[2Jcd' (1 to 64 hex digits)"
	bad_container list --container ''
	assert_equal "$stderr" "ipcscope: invalid container id '' (1 to 64 hex digits)"
	bad_container list --container "${A}0"
	assert_equal "$stderr" "ipcscope: invalid container id '${A}0' (1 to 64 hex digits)"
	bad_container list --container 0x12
	bad_container list --container ' a1'
	# every command that filters objects takes --container and --cgroup
	local cmd
	for cmd in list show leaks summary graph metrics watch clean; do
		bad_container "$cmd" --container 'zz!'
		assert_equal "$stderr" "ipcscope: invalid container id 'zz!' (1 to 64 hex digits)"
		run "$IPCSCOPE" "$cmd" --help
		assert_line --regexp '^ +--container ID +'
		assert_line --regexp '^ +--cgroup GLOB +'
	done
}

# ---- live: a cgroup named like a docker container's scope ----

# cg_mount: the first cgroup2 mount in our mountinfo: CG2 its mount point,
# CG2_ROOT the cgroup it shows (its root, "/" unless mounted from a
# cgroup namespace's view)
cg_mount() {
	local line
	line=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "cgroup2") { print $4, $5; exit } }' /proc/self/mountinfo)
	[ -n "$line" ] || skip "no cgroup2 filesystem is mounted"
	CG2_ROOT=${line%% *}
	CG2=$(printf '%b' "${line#* }")	# mountinfo writes a space as \040
	[ "$CG2_ROOT" = / ] || skip "cgroup2 at $CG2 is mounted from $CG2_ROOT, not its root"
}

# cg_make REL: makes the cgroup CG2/REL (and its parents below CG2), or
# skips the test when the cgroup2 hierarchy is not writable here
cg_make() {
	local rel=$1 d=$CG2 part err
	local IFS=/
	for part in $rel; do
		[ -n "$part" ] || continue
		d=$d/$part
		[ -d "$d" ] && continue
		err=$(mkdir "$d" 2>&1) || skip "cannot create a cgroup in $CG2 (a writable cgroup2 hierarchy is needed): $err"
		CG_DIRS=("$d" "${CG_DIRS[@]}")
	done
}

# cg_move PID REL: moves PID into CG2/REL, remembering where it was
cg_move() {
	local pid=$1 dir=$CG2/$2 was err
	was=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	err=$( { echo "$pid" >"$dir/cgroup.procs"; } 2>&1) ||
		skip "cannot move a process into $dir: $err"
	CG_BACK+=("$pid:$CG2$was")
}

# every process moved, back where it was (they are killed next)
cg_teardown() {
	local e
	for e in "${CG_BACK[@]}"; do
		echo "${e%%:*}" >"${e#*:}/cgroup.procs" 2>/dev/null || true
	done
	CG_BACK=()
}

# the cgroups made, deepest first; a cgroup whose last process is exiting
# may be busy for a moment
cg_rmdirs() {
	local d i
	for d in "${CG_DIRS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.1
		done
		[ ! -d "$d" ] || echo "# could not remove the test cgroup $d" >&3
	done
	CG_DIRS=()
}

@test "live: a process in a docker-like scope: JSON, columns, filters and summary" {
	requires_root "to create cgroups and move processes into them"
	cg_mount
	local id short rel path other=ffffffff0000ffff
	id=$(printf '%08x' $$ "$BATS_TEST_NUMBER" 1 2 3 4 5 6 | head -c 64)
	[ "${#id}" -eq 64 ] || fail "bad test id $id"
	short=${id:0:12}
	rel="ipcscope-test-$$.slice/docker-$id.scope"
	cg_make "$rel"
	mk s shm-fd name="$SHM_PREFIX-cg" fd=5
	mk p pipe
	cg_move "$s_pid" "$rel"
	cg_move "$p_pid" "$rel"
	cg_move "$p_child_pid" "$rel"
	path=/$rel
	# what the kernel says, which ipcscope must give back
	assert_equal "$(sed -n 's/^0:://p' "/proc/$s_pid/cgroup")" "$path"

	# JSON: every holder, the exact path and the short id
	ipc_json
	assert_equal "$(jqr --argjson i "$s_ino" '.objects[] | select(.inode == $i) | .holders[] | "\(.pid) \(.fd) \(.cgroup) \(.container)"')" \
		"$s_pid 5 $path $short"
	assert_equal "$(jqr --argjson i "$p_ino" '[.objects[] | select(.inode == $i and .type == "pipe") | .holders[] | "\(.pid) \(.cgroup) \(.container)"] | sort | join(";")')" \
		"$(printf '%s\n' "$p_pid $path $short" "$p_child_pid $path $short" | sort | paste -sd';')"
	# show --json writes holders the same way
	run --separate-stderr "$IPCSCOPE" show "/dev/shm/$SHM_PREFIX-cg" --json
	assert_success
	assert_equal "$(jq -r '.objects[0].holders[0] | "\(.cgroup) \(.container)"' <<<"$output")" "$path $short"

	# the columns
	run --separate-stderr "$IPCSCOPE" list --pid "$s_pid,$p_pid" -o INODE,CONTAINER,CGROUP --raw -n
	assert_success
	assert_line "$s_ino $short $path"
	assert_line "$p_ino $short $path"

	# --container: exactly these processes' objects, by short id, full id
	# or a prefix; another id: none of them
	local want
	want=$(printf '%s\n' "$s_ino" "$p_ino" | sort -n | paste -sd,)
	local spec
	for spec in "$short" "$id" "${id:0:8}" "$(tr a-f A-F <<<"$short")"; do
		run --separate-stderr "$IPCSCOPE" list --container "$spec" -o INODE --raw -n
		assert_success
		if [ "$spec" = "${id:0:8}" ]; then
			# a short prefix may match another container too
			assert_line "$s_ino"
			assert_line "$p_ino"
		else
			assert_equal "$(sort -n <<<"$output" | paste -sd,)" "$want"
		fi
	done
	run --separate-stderr "$IPCSCOPE" list --container "$other" -o INODE --raw -n
	assert_success
	grep -qx -e "$s_ino" -e "$p_ino" <<<"$output" && fail "another container's objects: $output"
	# repeated: either
	run --separate-stderr "$IPCSCOPE" list --container "$other" --container "$short" -o INODE --raw -n
	assert_success
	assert_equal "$(sort -n <<<"$output" | paste -sd,)" "$want"

	# --cgroup: * spans the slashes
	run --separate-stderr "$IPCSCOPE" list --cgroup '*docker-*' -o INODE --raw -n
	assert_success
	assert_line "$s_ino"
	assert_line "$p_ino"
	run --separate-stderr "$IPCSCOPE" list --cgroup "/ipcscope-test-$$.slice/*" -o INODE --raw -n
	assert_success
	assert_equal "$(sort -n <<<"$output" | paste -sd,)" "$want"
	run --separate-stderr "$IPCSCOPE" list --cgroup "/ipcscope-test-$$.slice" -o INODE --raw -n
	assert_success
	assert_output ""

	# summary: the container, its two objects and the segment's 8 KiB
	run --separate-stderr "$IPCSCOPE" summary --json
	assert_success
	assert_equal "$(jq -c --arg c "$short" '.containers[] | select(.container == $c)' <<<"$output")" \
		"{\"container\":\"$short\",\"objects\":2,\"bytes\":8192}"
	run --separate-stderr "$IPCSCOPE" summary
	assert_success
	assert_line --regexp '^CONTAINERS +OBJECTS +SIZE$'
	assert_line --regexp "^$short +2 +8\\.0K\$"
	run --separate-stderr "$IPCSCOPE" summary --container "$short" --bytes
	assert_success
	assert_line --regexp "^$short +2 +8192\$"

	# the other commands filter the same way: graph's pipe edge, metrics' count
	run --separate-stderr "$IPCSCOPE" graph --format json --container "$short"
	assert_success
	assert_equal "$(jq -r --argjson i "$p_ino" '[.edges[] | select(.inode == $i) | "\(.from)>\(.to)"] | join(";")' <<<"$output")" \
		"p$p_child_pid>p$p_pid"
	assert_equal "$(jq '[.nodes[] | select(.kind == "process") | .pid] | sort' <<<"$output" | jq -c .)" \
		"$(printf '%s\n' "$p_pid" "$p_child_pid" | sort -n | jq -sc .)"
	run --separate-stderr "$IPCSCOPE" metrics --container "$short"
	assert_success
	assert_line 'ipcscope_objects{type="shm"} 1'
	assert_line 'ipcscope_objects{type="pipe"} 1'
}
