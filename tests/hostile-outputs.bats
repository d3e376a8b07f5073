#!/usr/bin/env bats
# Hostile names through every output: process names (prctl, and a program
# file named with control bytes) and file names (FIFO, socket, abstract
# socket, shm) with ESC, CR, BEL, newline, tab, DEL, invalid UTF-8, a C1
# control, and the quotes, brackets and arrows of DOT, Mermaid and the
# Prometheus format. No raw control byte may reach stdout or stderr, JSON
# stays valid and exact, and DOT, Mermaid and metrics stay well-formed.

load helpers/common

# the file name part, in mkipc's escapes and as bytes
MKFN='h\e[31m\r\x07\n\t\x7f\xff\xc2\x9b"\\}|]-->{<>;%%#&'
RAWFN=$'h\e[31m\r\a\n\t\x7f\xff\xc2\x9b"\\}|]-->{<>;%%#&'
# as the table shows it in a UTF-8 locale
SHOWNFN='h\e[31m\r\x07\n\t\x7f\xff\u{009b}"\\}|]-->{<>;%%#&'
# a comm (15 bytes at most): set by prctl, and a program's file name
MKCOMM='a\e]0;\x07\r\x7f"\\}|'
RAWCOMM=$'a\e]0;\a\r\x7f"\\}|'
SHOWNCOMM='a\e]0;\x07\r\x7f"\\}|'
RAWCAT=$'c\e[2J\a\r\x7f\xff"|'
SHOWNCAT='c\e[2J\x07\r\x7f\xff"|'

setup() {
	common_setup
	# the exact escapes below are those of a UTF-8 locale
	export LC_ALL=C.UTF-8
}
teardown() { common_teardown; }

# assert_safe FILE...: no raw control byte (a line's leading tabs are
# DOT's and Mermaid's own), no raw C1 control, valid UTF-8
assert_safe() {
	local f
	for f; do
		if sed 's/^\t*//' "$f" | LC_ALL=C grep -qa $'[\x01-\x09\x0b-\x1f\x7f]'; then
			fail "raw control bytes in $f: $(sed 's/^\t*//' "$f" | LC_ALL=C grep -a $'[\x01-\x09\x0b-\x1f\x7f]' | cat -A | head -5)"
		fi
		if LC_ALL=C grep -qa $'\xc2[\x80-\x9f]' "$f"; then
			fail "a raw C1 control in $f"
		fi
		iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 ||
			fail "invalid UTF-8 in $f: $(LC_ALL=C grep -na $'[\x80-\xff]' "$f" | cat -A | head -5)"
	done
}

# out NAME ARGS...: runs ipcscope ARGS into $T/NAME.out and $T/NAME.err,
# both checked with assert_safe; as run, sets $status and $output
out() {
	local name=$1
	shift
	status=0
	"$IPCSCOPE" "$@" >"$T/$name.out" 2>"$T/$name.err" || status=$?
	output=$(cat "$T/$name.out")
	assert_safe "$T/$name.out" "$T/$name.err"
}

# The hostile world: a pipe between two processes with a hostile comm, a
# FIFO, a listening and a connected socket, an abstract socket and a shm
# segment with hostile names, and a program with a hostile file name
# asleep on a pipe. Sets PIDS, comma-separated.
hostile_world() {
	mk c comm value="$MKCOMM" fd=5
	mk f fifo path="$T/$MKFN"
	mk l listener path="$T/s$MKFN"
	mk a abstract name="$MKFN"
	mk s shm-orphan name="$SHM_PREFIX-$MKFN"
	cp /bin/cat "$T/$RAWCAT"
	blocked_pipe w "$T/$RAWCAT"
	[ -p "$T/$RAWFN" ] || fail "the FIFO has not the name meant"
	PIDS="$c_pid,$c_child_pid,$f_pid,$f_child_pid,$l_pid,$l_child_pid,$a_pid,$w_reader,$w_writer"
}

@test "hostile outputs: list, show, summary, leaks, clean's dry run and waits print no raw control byte" {
	hostile_world
	out list list --pid "$PIDS"
	assert_success
	run cat "$T/list.out"
	assert_line --regexp "^fifo +$f_ino +$(printf '%s' "$T/$SHOWNFN" | sed 's/[][\\.*^$|{}()+?]/\\&/g') "
	assert_output --partial "$c_pid/$SHOWNCOMM[5r]"
	out wide list --pid "$PIDS" -o TYPE,INODE,PATH,HOLDERS,PEER,CGROUP,UNIT,CONTAINER,OWNER
	out show-fifo show "$T/$RAWFN"
	assert_success
	run cat "$T/show-fifo.out"
	assert_line "  path      $T/$SHOWNFN"
	out show-sock show "$T/s$RAWFN"
	out show-abs show "@$RAWFN"
	assert_success
	out show-shm show "/dev/shm/$SHM_PREFIX-$RAWFN"
	assert_success
	out show-pipe show "pipe:[$c_ino]"
	run cat "$T/show-pipe.out"
	assert_line "    $c_pid/$SHOWNCOMM  fd 5  r  user root"
	out summary summary
	assert_success
	out leaks leaks --type shm,fifo,unix
	out clean clean --type shm --path "/dev/shm/$SHM_PREFIX-*"
	out waits waits --pid "$w_reader"
	assert_success
	run cat "$T/waits.out"
	# COMM in its 15 columns: the escaped comm is wider, cut with an ellipsis
	assert_line --regexp "^$w_reader +$w_reader +$(printf '%s' "${SHOWNCAT:0:14}" | sed 's/[][\\.*^$|{}()+?]/\\&/g')… read "
	out show-wait show "pipe:[$w_ino]"
	run cat "$T/show-wait.out"
	assert_line --partial "waits     $w_reader/$SHOWNCAT thread $w_reader in read on fd 0"
}

@test "hostile outputs: every JSON document is valid, has no raw control byte (DEL is \\u007f) and gives the exact bytes back" {
	hostile_world
	local doc
	for doc in "list --json --pid $PIDS" "show --json pipe:[$c_ino]" "leaks --json" \
		"waits --json --pid $w_reader" "summary --json" "graph --format json --pid $c_pid"; do
		# shellcheck disable=SC2086
		out json $doc
		jq -e . "$T/json.out" >/dev/null || fail "invalid JSON from $doc"
	done
	out list list --json --pid "$PIDS"
	# DEL was written escaped, and decodes to itself
	grep -q 'u007f' "$T/list.out"
	jq -r --argjson p "$c_pid" '[.objects[].holders[] | select(.pid == $p)][0].comm' "$T/list.out" >"$T/comm"
	printf '%s\n' "$RAWCOMM" | cmp - "$T/comm"
	jq -r --argjson i "$f_ino" '.objects[] | select(.inode == $i and .type == "fifo") | .path_base64' \
		"$T/list.out" | base64 -d >"$T/path"
	printf '%s' "$T/$RAWFN" | cmp - "$T/path"
	# not UTF-8 (0xff): the exact bytes are in comm_base64
	out waits waits --json --pid "$w_reader"
	jq -r '.waits[0].comm_base64' "$T/waits.out" | base64 -d >"$T/wcomm"
	printf '%s' "$RAWCAT" | cmp - "$T/wcomm"
}

@test "hostile outputs: DOT has well-quoted labels, one statement a line, and Graphviz reads it" {
	hostile_world
	out dot graph --pid "$PIDS"
	assert_success
	local q='"([^"\]|\\.)*"' line
	while IFS= read -r line; do
		[[ $line =~ ^(digraph\ ipcscope\ \{|\}|$'\t'(rankdir=LR|node\ \[.*\]|edge\ \[.*\])\;)$ ]] && continue
		[[ $line =~ ^$'\t'\"[po][0-9]+\"\ \[shape=(box|ellipse),\ label=$q\]\;$ ]] && continue
		[[ $line =~ ^$'\t'\"[po][0-9]+\"\ -\>\ \"[po][0-9]+\"\ \[(label=$q)?(,?\ ?dir=none)?(,?\ ?style=dashed)?\]\;$ ]] && continue
		fail "not a DOT statement of ipcscope's: $line"
	done <"$T/dot.out"
	run cat "$T/dot.out"
	assert_output --partial "label=\"fifo $(sed 's/[\\"]/\\&/g' <<<"$T/$SHOWNFN")\""
	assert_output --partial "label=\"$c_pid\\n$(sed 's/[\\"]/\\&/g' <<<"$SHOWNCOMM")\""
	if command -v dot >/dev/null; then
		dot -Tsvg "$T/dot.out" >"$T/dot.svg" 2>"$T/dot.err" || fail "dot: $(cat "$T/dot.err")"
		# the label is one text line, as ipcscope wrote it
		grep -q 'fifo ' "$T/dot.svg"
	fi
}

@test "hostile outputs: Mermaid labels hold no quote, pipe or angle bracket; every line is a node or an edge" {
	hostile_world
	out mermaid graph --format mermaid --pid "$PIDS"
	assert_success
	local l='"[^"|<>]*"' line
	while IFS= read -r line; do
		[ "$line" = "flowchart LR" ] && continue
		[[ $line =~ ^$'\t'[po][0-9]+(\[$l\]|\(\[$l\]\))$ ]] && continue
		[[ $line =~ ^$'\t'[po][0-9]+\ (--\>|-\.-\>|---|-\.-)(\|$l\|)?\ [po][0-9]+$ ]] && continue
		fail "not a Mermaid statement of ipcscope's: $line"
	done <"$T/mermaid.out"
	run cat "$T/mermaid.out"
	assert_output --partial 'fifo '"$T"'/h\e[31m\r\x07\n\t\x7f\xff\u{009b}#quot;\\}#124;]--#gt;{#lt;#gt;;%%#35;#amp;'
}

# assert_exposition FILE: every line a comment of the format or a sample
# whose label values escape only \, " and newline (and promtool agrees,
# where it is installed)
assert_exposition() {
	local name='[a-zA-Z_:][a-zA-Z0-9_:]*' lv='"([^"\]|\\[\"n])*"' line
	local labels="\{[a-zA-Z_][a-zA-Z0-9_]*=$lv(,[a-zA-Z_][a-zA-Z0-9_]*=$lv)*\}"
	while IFS= read -r line; do
		[[ $line =~ ^#\ (HELP|TYPE)\ $name\ [[:print:]]+$ ]] && continue
		[[ $line =~ ^$name($labels)?\ [0-9][0-9.e+-]*$ ]] && continue
		fail "not an exposition line: $(printf '%s' "$line" | cat -A)"
	done <"$1"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$1" >"$T/promtool.out" 2>&1 ||
			fail "promtool: $(cat "$T/promtool.out")"
	fi
}

@test "hostile outputs: metrics --per-process escapes a hostile comm's label value, on stdout and in --textfile" {
	hostile_world
	out metrics metrics --per-process
	assert_success
	assert_exposition "$T/metrics.out"
	# the name as the table shows it, then \ and " escaped for the format
	local want
	want=$(sed 's/[\\"]/\\&/g' <<<"$SHOWNCOMM")
	grep -qxF "ipcscope_process_objects{comm=\"$want\",type=\"pipe\"} 1" "$T/metrics.out" ||
		fail "no series for the hostile comm: $(grep -F 'comm="a' "$T/metrics.out")"
	want=$(sed 's/[\\"]/\\&/g' <<<"$SHOWNCAT")
	grep -qF "ipcscope_process_objects{comm=\"$want\",type=\"pipe\"}" "$T/metrics.out" ||
		fail "no series for the hostile program name"
	mkdir "$T/tf"
	out textfile metrics --per-process --textfile "$T/tf"
	assert_success
	assert_safe "$T/tf/ipcscope.prom"
	assert_exposition "$T/tf/ipcscope.prom"
}

@test "hostile outputs: watch reports a FIFO with a hostile name escaped, in text and in NDJSON" {
	local i
	timeout -k 5 20 "$IPCSCOPE" watch --interval 0.1 --type fifo >"$T/watch.out" 2>"$T/watch.err" 3>&- &
	local w1=$!
	timeout -k 5 20 "$IPCSCOPE" watch --json --interval 0.1 --type fifo >"$T/watchj.out" 2>"$T/watchj.err" 3>&- &
	local w2=$!
	MK_PIDS+=("$w1" "$w2")
	sleep 0.5
	mk f fifo path="$T/$MKFN"
	for ((i = 0; i < 100; i++)); do
		grep -qF "$f_ino" "$T/watch.out" && grep -qF "$f_ino" "$T/watchj.out" && break
		sleep 0.1
	done
	kill -TERM "$w1" "$w2" 2>/dev/null || true
	wait "$w1" "$w2" 2>/dev/null || true
	assert_safe "$T/watch.out" "$T/watch.err" "$T/watchj.out" "$T/watchj.err"
	grep -qF "$f_ino  $T/$SHOWNFN" "$T/watch.out" || fail "no added event: $(cat -A "$T/watch.out")"
	while IFS= read -r i; do
		jq -e . <<<"$i" >/dev/null || fail "invalid NDJSON line: $i"
	done <"$T/watchj.out"
}

@test "hostile outputs: usage errors and warnings on stderr quote hostile arguments escaped" {
	local x=$'\e[2J\r\a\x7f\xff\xc2\x9b\n' args
	local -a cases=(
		"list --type t$x" "list --user u$x" "list --pid 1$x" "list -o C$x" "list --sort C$x"
		"list --container c$x" "list --mqueue-dir $T/m$x" "list --color=c$x" "list --backend b$x"
		"graph --format f$x" "graph --depth 1$x" "watch --interval 1$x" "show /nonexistent/p$x"
		"show @a$x" "metrics --textfile $T/d$x" "list extra$x" "cmd$x" "--opt$x" "clean --force --path $T/p$x"
	)
	for args in "${cases[@]}"; do
		read -ra argv <<<"$args"
		out err "${argv[@]}"
		[ -s "$T/err.err" ] || [ "${argv[0]}" = clean ] || fail "no message for: $(printf '%q' "$args")"
	done
	out err show "/nonexistent/p$x"
	run cat "$T/err.err"
	assert_line 'ipcscope: no IPC object matches /nonexistent/p\e[2J\r\x07\x7f\xff\u{009b}\n'
}
