load helpers/common
load helpers/neighbours
setup() { common_setup; }
teardown() { common_teardown; }

# Shell completions. The bash function is driven directly, with COMP_WORDS
# split the way readline splits the line; zsh runs in a pty and fish through
# 'complete -C'. Options and columns are checked against --help and
# --list-columns, so the completions cannot drift from the CLI.

# the commands, as --help lists them
COMMANDS=$("$IPCSCOPE" --help 2>/dev/null |
	awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { printf "%s ", $1 }')
COMMANDS=${COMMANDS% }

# complete_bash LINE: the bash completions for LINE with the cursor at its
# end, sorted, one a line. The inner bash gets $COMP_PATH as PATH if set.
complete_bash() {
	run env PATH="${COMP_PATH:-$PATH}" "$BASH" --norc --noprofile -c '
		source "$1"
		line=$2 w= words=()
		# as readline: words end at unescaped blanks, and a run of = : @
		# (from COMP_WORDBREAKS) is a word of its own
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			if [[ $c == \\ ]]; then
				w+=$c${line:i+1:1}
				i=$((i + 1))
			elif [[ $c == [[:blank:]] ]]; then
				[[ -n $w ]] && words+=("$w")
				w=
			elif [[ $c == [=:@] ]]; then
				[[ -n $w && $w == *[!=:@]* ]] && words+=("$w") && w=
				w+=$c
			else
				[[ -n $w && $w != *[!=:@]* ]] && words+=("$w") && w=
				w+=$c
			fi
		done
		words+=("$w")
		COMP_WORDS=("${words[@]}")
		COMP_CWORD=$((${#words[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_ipcscope ipcscope "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}" || exit
		((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
	' complete_bash "$TOP/completions/ipcscope.bash" "$1"
	assert_success
	output=$(LC_ALL=C sort <<<"$output")
	lines=()
	[ -z "$output" ] || mapfile -t lines <<<"$output"
}

# the column names --list-columns prints, sorted, one a line
columns() {
	"$IPCSCOPE" list --list-columns | awk '{ print $1 }' | LC_ALL=C sort
}

# PREFIX added before each line of stdin
prefixed() {
	sed "s/^/$1/"
}

# the long options 'ipcscope COMMAND --help' lists, sorted, one a line
help_options() {
	"$IPCSCOPE" "$1" --help | sed -n '/^Options:/,/^$/p' |
		grep -oE '^ +(-[[:alnum:]], +)?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | LC_ALL=C sort -u
}

@test "bash: the commands complete at the first word" {
	PATH="$TOP:$PATH"
	complete_bash "ipcscope l"
	assert_output $'leaks\nlist'
	complete_bash "ipcscope s"
	assert_output $'show\nsummary'
	complete_bash "ipcscope "
	assert_output "$(tr ' ' '\n' <<<"$COMMANDS" | LC_ALL=C sort)"
	# the same six as 'ipcscope --help' lists
	assert_output "$("$IPCSCOPE" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }' | LC_ALL=C sort)"
	# options alone mean list, with -h and -V of the bare command
	complete_bash "ipcscope --v"
	assert_output "--version"
	complete_bash "ipcscope --ty"
	assert_output "--type"
	complete_bash "ipcscope nosuchcommand --"
	assert_output ""
}

@test "bash: only the options of the command being completed" {
	PATH="$TOP:$PATH"
	complete_bash "ipcscope leaks --ol"
	assert_output "--older-than"
	complete_bash "ipcscope list --for"
	assert_output ""
	complete_bash "ipcscope graph --for"
	assert_output "--format"
	complete_bash "ipcscope clean --f"
	assert_output "--force"
	complete_bash "ipcscope list --v"
	assert_output ""
	complete_bash "ipcscope summary --j"
	assert_output "--json"
	# nothing but options may follow list: an empty word offers them
	complete_bash "ipcscope summary "
	assert_output "$(help_options summary)"
	# --color takes WHEN only as --color=WHEN
	complete_bash "ipcscope list --col"
	assert_output $'--color\n--color='
}

@test "bash: every long option of each command's --help is offered, and no other" {
	PATH="$TOP:$PATH"
	local cmd opts n=0
	for cmd in $COMMANDS; do
		opts=$(help_options "$cmd")
		[ -n "$opts" ] || fail "no options parsed from 'ipcscope $cmd --help'"
		complete_bash "ipcscope $cmd --"
		assert_equal "$(grep -v '=$' <<<"$output")" "$opts"
		n=$((n + $(wc -l <<<"$opts")))
	done
	[ "$n" -ge 50 ]
	# the bare command: list's options and --version
	complete_bash "ipcscope --"
	assert_equal "$(grep -v '=$' <<<"$output")" "$( (help_options list; echo --version) | LC_ALL=C sort)"
}

@test "bash: --type values, in a comma list, in every option form" {
	PATH="$TOP:$PATH"
	complete_bash "ipcscope list --type pipe,sh"
	assert_output "pipe,shm"
	complete_bash "ipcscope leaks -t pipe,sh"
	assert_output "pipe,shm"
	# bash splits --type=pipe,sh at '=': the reply replaces what follows it
	complete_bash "ipcscope list --type=pipe,sh"
	assert_output "pipe,shm"
	complete_bash "ipcscope --type=f"
	assert_output "fifo"
	# a short option bundle with its value attached
	complete_bash "ipcscope list -nbtpipe,sh"
	assert_output "-nbtpipe,shm"
	# an abbreviated long option, as getopt_long takes it
	complete_bash "ipcscope clean --ty f"
	assert_output "fifo"
	# values already in the list are not offered again
	complete_bash "ipcscope list --type pipe,shm,"
	refute_line "pipe,shm,pipe"
	refute_line "pipe,shm,shm"
	assert_line "pipe,shm,fifo"
	assert_line "pipe,shm,mqueue"
	assert_equal "${#lines[@]}" 12
	complete_bash "ipcscope graph --type "
	assert_output "$(printf '%s\n' fifo pipe unix uds socket shm memfd sem sysvshm mqueue eventfd anonshm inet all | LC_ALL=C sort)"
}

@test "bash: column names come from --list-columns, after -o, --output= and --sort" {
	PATH="$TOP:$PATH"
	local cols
	cols=$(columns)
	[ "$(wc -l <<<"$cols")" -ge 10 ]
	complete_bash "ipcscope list -o "
	assert_output "$cols"
	complete_bash "ipcscope leaks --output="
	assert_output "$cols"
	complete_bash "ipcscope show --sort "
	assert_output "$cols"
	complete_bash "ipcscope list -o TYPE,IN"
	assert_output "TYPE,INODE"
	complete_bash "ipcscope list -o +PE"
	assert_output $'+PEER\n+PEERINO'
	complete_bash "ipcscope list --output=+TYPE,PE"
	assert_output $'+TYPE,PEER\n+TYPE,PEERINO'
	# a column already listed is not offered again
	complete_bash "ipcscope list -o TYPE,"
	assert_output "$(grep -vx TYPE <<<"$cols" | prefixed TYPE,)"
	complete_bash "ipcscope list --sort -PE"
	assert_output $'-PEER\n-PEERINO'
	complete_bash "ipcscope leaks --sort=-"
	assert_output "$(prefixed - <<<"$cols")"
	# the CLI ignores case in column names, and so does the completion
	complete_bash "ipcscope list -o type,ino"
	assert_output "type,inode"
}

@test "bash: column names follow the ipcscope found in PATH, if any" {
	mkdir "$T/bin"
	printf '#!/bin/sh\nprintf "ALPHA    string  first\\nBETA     number  second\\n"\n' >"$T/bin/ipcscope"
	chmod +x "$T/bin/ipcscope"
	PATH="$T/bin:$PATH"
	complete_bash "ipcscope list -o "
	assert_output $'ALPHA\nBETA'
	# without ipcscope: commands and options, but no columns
	mkdir "$T/empty"
	COMP_PATH="$T/empty" complete_bash "ipcscope list -o "
	assert_output ""
	COMP_PATH="$T/empty" complete_bash "ipcscope l"
	assert_output $'leaks\nlist'
	COMP_PATH="$T/empty" complete_bash "ipcscope leaks --ol"
	assert_output "--older-than"
}

@test "bash: pids after --pid are the live ones, in a comma list" {
	PATH="$TOP:$PATH"
	sleep 1000 &
	local pid=$!
	MK_PIDS+=("$pid")
	complete_bash "ipcscope list --pid "
	assert_line "$pid"
	assert_line "1"
	refute_line --regexp '[^0-9]'
	[ "${#lines[@]}" -ge 2 ]
	complete_bash "ipcscope graph -p 1,$pid"
	assert_output "1,$pid"
	complete_bash "ipcscope show --pid=$pid,"
	assert_line "$pid,1"
	refute_line "$pid,$pid"
	refute_line --regexp "^$pid,.*[^0-9]"
}

@test "bash: users after --user" {
	PATH="$TOP:$PATH"
	complete_bash "ipcscope list --user "
	assert_line "root"
	complete_bash "ipcscope clean -u ro"
	assert_line "root"
	complete_bash "ipcscope leaks --user=ro"
	assert_line "root"
}

@test "bash: --format and --color=WHEN values" {
	PATH="$TOP:$PATH"
	complete_bash "ipcscope graph --format "
	assert_output $'dot\njson\nmermaid'
	complete_bash "ipcscope graph --format=m"
	assert_output "mermaid"
	complete_bash "ipcscope list --color="
	assert_output $'always\nauto\nnever'
	complete_bash "ipcscope leaks --color=n"
	assert_output "never"
	# "--color always" would make always an operand: the next word is not WHEN
	complete_bash "ipcscope list --color a"
	assert_output ""
	# free values get no completion
	complete_bash "ipcscope leaks --older-than "
	assert_output ""
	complete_bash "ipcscope graph --depth "
	assert_output ""
}

@test "bash: paths after --path and show, directories after --mqueue-dir" {
	PATH="$TOP:$PATH"
	mkdir "$T/dir" "$T/dir with space"
	touch "$T/file"
	cd "$T"
	complete_bash "ipcscope leaks --path f"
	assert_output "file"
	complete_bash "ipcscope list --path=$T/fi"
	assert_output "$T/file"
	complete_bash "ipcscope show di"
	assert_output $'dir\ndir with space'
	complete_bash "ipcscope show dir\\ w"
	assert_output "dir with space"
	complete_bash "ipcscope show -- fi"
	assert_output "file"
	complete_bash "ipcscope --mqueue-dir $T/"
	assert_output "$(printf '%s\n' "$T/dir" "$T/dir with space" | LC_ALL=C sort)"
	# show takes one OBJECT; @abstract names are not completed
	complete_bash "ipcscope show file "
	assert_output ""
	complete_bash "ipcscope show @"
	assert_output ""
}

# complete_zsh LINE...: each LINE completed by zsh in a pty (zsh/zpty), with
# _ipcscope autoloaded from completions/. $zsh_out: "== LINE", then what
# compadd was given, and _message texts as "MESSAGE: ...".
complete_zsh() {
	command -v zsh >/dev/null || skip "zsh is not installed"
	zsh -fc 'zmodload zsh/zpty' 2>/dev/null || skip "zsh has no zsh/zpty module"
	cat >"$T/zcomp.zsh" <<'EOF'
zmodload zsh/zpty
dir=$1 out=$2
shift 2
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D; unsetopt autolist"
# record what completion adds instead of scraping the screen
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __h; builtin compadd -A __h \"\$@\"; (( \$#__h )) && print -rl -- \$__h >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "_message() { print -r -- \"MESSAGE: \${@[-1]}\" >>${(q)out} }"
zpty -w z "zle -C _t_complete complete-word _main_complete; _t_run() { print -r -- \"== \$BUFFER\" >>${(q)out}; zle _t_complete; print -r -- '#DONE' >>${(q)out}; BUFFER=; }; zle -N _t_run; bindkey '^T' _t_run"
n=0
for line; do
  n=$((n + 1))
  zpty -wn z "$line"$'\C-t'
  tries=0
  while [[ $(grep -c '^#DONE$' $out 2>/dev/null) -lt $n ]]; do
    (( ++tries > 200 )) && { print -r -- "zsh did not complete: $line" >&2; exit 1 }
    sleep 0.05
    while zpty -rt z got; do :; done
  done
done
zpty -d z
EOF
	rm -f "$T/zsh.out"
	zsh -f "$T/zcomp.zsh" "$TOP/completions" "$T/zsh.out" "$@" || fail "the zsh driver failed"
	zsh_out=$(grep -vx '#DONE' "$T/zsh.out")
}

# the completions of LINE in the last complete_zsh output, sorted
zsh_section() {
	awk -v want="== $1" '$0 == want { on = 1; next } /^== / { on = 0 } on' <<<"$zsh_out" | LC_ALL=C sort
}

@test "zsh: the completion file parses and covers every command" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -n "$TOP/completions/_ipcscope"
	assert_success
	assert_output ""
	run head -1 "$TOP/completions/_ipcscope"
	assert_output "#compdef ipcscope"
	grep -q '^_ipcscope() {' "$TOP/completions/_ipcscope" || fail "_ipcscope is not defined"
	local cmd
	for cmd in $COMMANDS; do
		grep -q "'$cmd:" "$TOP/completions/_ipcscope" || fail "zsh does not complete the command $cmd"
	done
}

@test "zsh: commands, options, comma lists, columns and pids really complete" {
	PATH="$TOP:$PATH"
	sleep 1000 &
	local pid=$!
	MK_PIDS+=("$pid")
	local each=() c
	for c in $COMMANDS; do
		each+=("ipcscope $c --")
	done
	complete_zsh "ipcscope l" "ipcscope " "ipcscope leaks --ol" "ipcscope list --for" \
		"ipcscope graph --for" "ipcscope list --type pipe,sh" "ipcscope list -t pipe,shm," \
		"ipcscope list -o " "ipcscope list -o TYPE,IN" "ipcscope list -o +PE" \
		"ipcscope list --sort=-PE" "ipcscope graph -p $pid" "ipcscope list --pid=1,$pid" \
		"ipcscope list --user ro" "ipcscope graph --format " "ipcscope list --color=" \
		"ipcscope -" "${each[@]}"
	assert_equal "$(zsh_section "ipcscope l")" $'leaks\nlist'
	assert_equal "$(zsh_section "ipcscope ")" "$(tr ' ' '\n' <<<"$COMMANDS" | LC_ALL=C sort)"
	assert_equal "$(zsh_section "ipcscope leaks --ol")" "--older-than"
	assert_equal "$(zsh_section "ipcscope list --for")" "MESSAGE: no arguments"
	assert_equal "$(zsh_section "ipcscope graph --for")" "--format"
	# _values -s , adds the item after the comma
	assert_equal "$(zsh_section "ipcscope list --type pipe,sh")" "shm"
	run zsh_section "ipcscope list -t pipe,shm,"
	assert_line "fifo"
	refute_line "pipe"
	refute_line "shm"
	assert_equal "$(zsh_section "ipcscope list -o ")" "$(columns)"
	assert_equal "$(zsh_section "ipcscope list -o TYPE,IN")" "INODE"
	assert_equal "$(zsh_section "ipcscope list -o +PE")" $'PEER\nPEERINO'
	assert_equal "$(zsh_section "ipcscope list --sort=-PE")" $'PEER\nPEERINO'
	assert_equal "$(zsh_section "ipcscope graph -p $pid")" "$pid"
	assert_equal "$(zsh_section "ipcscope list --pid=1,$pid")" "$pid"
	run zsh_section "ipcscope list --user ro"
	assert_line "root"
	assert_equal "$(zsh_section "ipcscope graph --format ")" $'dot\njson\nmermaid'
	assert_equal "$(zsh_section "ipcscope list --color=")" $'always\nauto\nnever'
	# the bare command: list's options, their short forms, and -V
	run zsh_section "ipcscope -"
	local opt cmd
	for opt in $(help_options list) --version -V -t -o; do
		assert_line -- "$opt"
	done
	# exactly the long options of each command's --help
	for cmd in $COMMANDS; do
		assert_equal "$(zsh_section "ipcscope $cmd --" | grep -vx -- --)" "$(help_options "$cmd")"
	done
}

# complete_fish LINE: the fish completions of LINE without descriptions,
# sorted; ipcscope.fish is autoloaded from completions/ as fish would.
complete_fish() {
	command -v fish >/dev/null || skip "fish is not installed"
	run env XDG_CONFIG_HOME="$T/fish-config" fish -c '
		set -g fish_complete_path $argv[1]
		complete -C $argv[2] | string replace -r "\t.*" "" | LC_ALL=C sort
	' "$TOP/completions" "$1"
	assert_success
}

@test "fish: the completion file parses and covers every command" {
	command -v fish >/dev/null || skip "fish is not installed"
	run fish -n "$TOP/completions/ipcscope.fish"
	assert_success
	assert_output ""
	grep -q '^complete -c ipcscope ' "$TOP/completions/ipcscope.fish" || fail "no 'complete -c ipcscope'"
	local cmd
	for cmd in $COMMANDS; do
		grep -q "^complete -c ipcscope .* -a $cmd " "$TOP/completions/ipcscope.fish" ||
			fail "fish does not complete the command $cmd"
	done
}

@test "fish: commands, options, comma lists, columns and pids really complete" {
	command -v fish >/dev/null || skip "fish is not installed"
	PATH="$TOP:$PATH"
	complete_fish "ipcscope l"
	assert_output $'leaks\nlist'
	complete_fish "ipcscope "
	assert_output "$(tr ' ' '\n' <<<"$COMMANDS" | LC_ALL=C sort)"
	complete_fish "ipcscope leaks --ol"
	assert_output "--older-than"
	complete_fish "ipcscope list --for"
	assert_output ""
	complete_fish "ipcscope graph --for"
	assert_output "--format"
	complete_fish "ipcscope list --type pipe,sh"
	assert_output "pipe,shm"
	complete_fish "ipcscope list --type=pipe,sh"
	assert_output "--type=pipe,shm"
	complete_fish "ipcscope list -t pipe,shm,"
	assert_line "pipe,shm,fifo"
	refute_line "pipe,shm,pipe"
	refute_line "pipe,shm,shm"
	complete_fish "ipcscope list -o "
	assert_output "$(columns)"
	complete_fish "ipcscope list -o TYPE,IN"
	assert_output "TYPE,INODE"
	complete_fish "ipcscope list -o +PE"
	assert_output $'+PEER\n+PEERINO'
	complete_fish "ipcscope list --sort=-PE"
	assert_output $'--sort=-PEER\n--sort=-PEERINO'
	complete_fish "ipcscope list --user ro"
	assert_line "root"
	complete_fish "ipcscope graph --format "
	assert_output $'dot\njson\nmermaid'
	complete_fish "ipcscope list --color="
	assert_output $'--color=always\n--color=auto\n--color=never'
	sleep 1000 &
	local pid=$!
	MK_PIDS+=("$pid")
	complete_fish "ipcscope graph --pid 1,$pid"
	assert_output "1,$pid"
	# exactly the long options of each command's --help
	local cmd
	complete_fish "ipcscope list --col"
	assert_output $'--color\n--color='
	for cmd in $COMMANDS; do
		complete_fish "ipcscope $cmd --"
		# --color= too, for --color=WHEN
		assert_equal "$(grep -v '=$' <<<"$output")" "$(help_options "$cmd")"
	done
}

@test "fish: pids complete while a process with a hostile comm runs" {
	command -v fish >/dev/null || skip "fish is not installed"
	PATH="$TOP:$PATH"
	# ESC, a newline, a tab, a control byte, 0xff, quotes and a backslash
	mk c comm value="$HOSTILE_COMM"
	complete_fish "ipcscope graph --pid 1,$c_pid"
	assert_output "1,$c_pid"
	# with descriptions: one line per process, its comm without control
	# bytes, and nothing on stderr
	run --separate-stderr env XDG_CONFIG_HOME="$T/fish-config" fish -c '
		set -g fish_complete_path $argv[1]
		source $argv[1]/ipcscope.fish
		__ipcscope_pids
	' "$TOP/completions"
	assert_success
	assert_equal "$stderr" ""
	assert_line "$c_pid"$'\t?[1m???\xff"\'\\ x'
	assert_line --regexp "^1"$'\t'
	refute_line --regexp '^[0-9]+$'
	LC_ALL=C grep -qv $'^[0-9][0-9]*\t' <<<"$output" && fail "a line that is not PID<tab>COMM: $(LC_ALL=C grep -v $'^[0-9][0-9]*\t' <<<"$output" | head -1)"
	LC_ALL=C grep -q $'\t.*[\x01-\x1f\x7f]' <<<"$output" && fail "a control byte in a description"
	[ "${#lines[@]}" -ge 2 ]
}

@test "zsh: pids complete while a process with a hostile comm runs" {
	PATH="$TOP:$PATH"
	mk c comm value="$HOSTILE_COMM"
	complete_zsh "ipcscope graph -p $c_pid" "ipcscope list --pid=1,$c_pid"
	assert_equal "$(zsh_section "ipcscope graph -p $c_pid")" "$c_pid"
	assert_equal "$(zsh_section "ipcscope list --pid=1,$c_pid")" "$c_pid"
}

@test "bash: pids complete while a process with a hostile comm runs" {
	PATH="$TOP:$PATH"
	mk c comm value="$HOSTILE_COMM"
	complete_bash "ipcscope graph -p 1,$c_pid"
	assert_output "1,$c_pid"
	complete_bash "ipcscope list --pid "
	assert_line "$c_pid"
	refute_line --regexp '[^0-9]'
}
