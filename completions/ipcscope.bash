# bash completion for ipcscope(1)                          -*- shell-script -*-
#
# Self-contained: needs neither the bash-completion package nor
# _init_completion. Column names come from 'ipcscope list --list-columns' at
# completion time, so they follow the installed binary.

# The long options of each command, as 'ipcscope COMMAND --help' lists them
# (tests/completions.bats checks this against --help).
_ipcscope_options() {
	case $1 in
	list | show)
		REPLY='--type --pid --user --path --container --cgroup --mqueue-dir --backend
			--json --json-lines --output --sort --raw --width --color
			--no-headings --bytes --list-columns --help' ;;
	leaks)
		REPLY='--type --user --path --container --cgroup --older-than
			--mqueue-dir --backend --exit-code --json --json-lines --output --sort --raw
			--width --color --no-headings --bytes --list-columns --help' ;;
	summary)
		REPLY='--type --user --path --container --cgroup --mqueue-dir --backend --json
			--bytes --help' ;;
	graph)
		REPLY='--format --depth --type --pid --user --path --container --cgroup
			--mqueue-dir --backend --help' ;;
	metrics)
		REPLY='--per-process --textfile --type --user --path --container
			--cgroup --mqueue-dir --backend --help' ;;
	watch)
		REPLY='--interval --count --queue-threshold --type --pid --user --path
			--container --cgroup --mqueue-dir --backend --json --help' ;;
	clean)
		REPLY='--type --user --path --container --cgroup --older-than
			--mqueue-dir --backend --force --help' ;;
	waits)
		REPLY='--type --pid --user --path --container --cgroup --mqueue-dir --backend
			--exit-code --json --no-headings --help' ;;
	*) REPLY= ;;
	esac
}

_ipcscope_takes_arg() {
	case $1 in
	--type | --pid | --user | --path | --container | --cgroup | --mqueue-dir | --backend | \
		--older-than | --output | --sort | --width | --format | --depth | --textfile | \
		--interval | --count | --queue-threshold) return 0 ;;
	esac
	return 1
}

# Resolves a long option of command $1 the way getopt_long does: exactly, or
# by an unambiguous prefix. REPLY is empty when it does not resolve.
_ipcscope_resolve() {
	local o match= n=0
	_ipcscope_options "$1"
	for o in $REPLY; do
		if [[ $o == "$2" ]]; then
			REPLY=$o
			return
		fi
		[[ $o == "$2"* ]] && match=$o && n=$((n + 1))
	done
	((n == 1)) && REPLY=$match || REPLY=
}

# A bundle of short options like -nbtpipe: sets the caller's sopt to the long
# name of the first option that takes an argument and sval to what follows it
# in the word (empty: the argument is the next word).
_ipcscope_short() {
	local w=${1#-} c
	sopt= sval=
	while [[ -n $w ]]; do
		c=${w:0:1}
		w=${w:1}
		case $c in
		t) sopt=--type ;;
		p) sopt=--pid ;;
		u) sopt=--user ;;
		P) sopt=--path ;;
		o) sopt=--output ;;
		*) continue ;;
		esac
		sval=$w
		return 0
	done
	return 1
}

# COMPREPLY: the words of $2... that start with $1.
_ipcscope_match() {
	local cur=$1 w
	shift
	COMPREPLY=()
	for w; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# COMPREPLY: completions of the last item of the comma list $1 from the
# candidates $2..., without the items already in the list. Lower case typed
# gets lower case names: the CLI ignores case in column names.
_ipcscope_list() {
	local cur=$1 head last c
	shift
	last=${cur##*,}
	head=${cur%"$last"}
	COMPREPLY=()
	for c; do
		[[ $last == *[[:lower:]]* ]] && c=${c,,}
		[[ $c == "$last"* && ",${head,,}" != *",${c,,},"* ]] && COMPREPLY+=("$head$c")
	done
	# so that one can go on with a comma
	compopt -o nospace 2>/dev/null
}

_ipcscope_columns() {
	local name rest
	columns=()
	while read -r name rest; do
		[[ -n $name ]] && columns+=("$name")
	done < <(command ipcscope list --list-columns 2>/dev/null)
}

# Removes the quoting bash leaves in the word, so compgen sees the file name.
_ipcscope_dequote() {
	local s=$1 i c
	REPLY=
	case $s in
	\'*)
		s=${s#\'}
		REPLY=${s%\'}
		return ;;
	\"*)
		s=${s#\"}
		s=${s%\"} ;;
	esac
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $c == \\ ]]; then
			i=$((i + 1))
			c=${s:i:1}
		fi
		REPLY+=$c
	done
}

# COMPREPLY: files (-f) or directories (-d) starting with $2.
_ipcscope_files() {
	_ipcscope_dequote "$2"
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen "$1" -- "$REPLY")
}

# COMPREPLY: the values of option $1 that complete $2.
_ipcscope_values() {
	local opt=$1 cur=$2 sign= columns p pids=()
	case $opt in
	--type)
		_ipcscope_list "$cur" fifo pipe unix uds socket shm memfd sem sysvshm mqueue eventfd anonshm inet all ;;
	--output)
		# +COLS appends to the default columns
		[[ $cur == +* ]] && sign=+ && cur=${cur#+}
		_ipcscope_columns
		_ipcscope_list "$cur" "${columns[@]}" ;;
	--sort)
		[[ $cur == -* ]] && sign=- && cur=${cur#-}
		_ipcscope_columns
		[[ $cur == *[[:lower:]]* ]] && columns=("${columns[@],,}")
		_ipcscope_match "$cur" "${columns[@]}" ;;
	--pid)
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[[ $p == *[!0-9]* ]] || pids+=("$p")
		done
		_ipcscope_list "$cur" "${pids[@]}" ;;
	--user) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
	--path) _ipcscope_files -f "$cur" ;;
	--mqueue-dir | --textfile) _ipcscope_files -d "$cur" ;;
	--format) _ipcscope_match "$cur" dot json mermaid ;;
	--color) _ipcscope_match "$cur" auto always never ;;
	--backend) _ipcscope_match "$cur" auto proc bpf ;;
	esac
	if [[ -n $sign ]]; then
		for p in "${!COMPREPLY[@]}"; do
			COMPREPLY[p]=$sign${COMPREPLY[p]}
		done
	fi
	return 0
}

# Sets words and cword from COMP_WORDS, joined again where bash split a word
# at '=', ':' or '@' (COMP_WORDBREAKS): --output=TYPE is one word here. The
# current word ends at the cursor.
_ipcscope_words() {
	local line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}} rest w i brk prev_brk=0
	words=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		rest=${line#"${line%%[![:space:]]*}"}
		if ((i == COMP_CWORD)); then
			w=$rest
		elif [[ $rest != "$w"* ]]; then
			# the line does not match the words: use them as they are
			words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
			cword=$COMP_CWORD
			return
		fi
		brk=0
		[[ -n $w && $w != *[!=:@]* ]] && brk=1
		if ((i > 0)) && [[ $rest == "$line" ]] && ((brk || prev_brk)); then
			words[${#words[@]} - 1]+=$w
		else
			words+=("$w")
		fi
		prev_brk=$brk
		line=${rest#"$w"}
	done
	cword=$((${#words[@]} - 1))
}

_ipcscope() {
	local words cword cur cmd start i w expect= operands=0 dashdash=0 pre= strip
	local sopt sval opt brk REPLY IFS=$' \t\n'
	COMPREPLY=()
	if [[ -n ${COMP_LINE-} ]]; then
		_ipcscope_words
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	cur=${words[cword]}

	if ((cword == 1)) && [[ $cur != -* ]]; then
		_ipcscope_match "$cur" list show leaks waits summary graph metrics watch clean
		return 0
	fi
	# the command must come first; without one, it is list
	case ${words[1]} in
	-h | --help | -V | --version) ((cword > 1)) && return 0 ;;&
	-*) cmd=list start=1 ;;
	list | show | leaks | waits | summary | graph | metrics | watch | clean) cmd=${words[1]} start=2 ;;
	*) return 0 ;;
	esac

	for ((i = start; i < cword; i++)); do
		w=${words[i]}
		if [[ -n $expect ]]; then
			expect=
		elif ((dashdash)); then
			operands=$((operands + 1))
		else
			case $w in
			--) dashdash=1 ;;
			--*=*) ;;
			--*)
				_ipcscope_resolve "$cmd" "$w"
				_ipcscope_takes_arg "$REPLY" && expect=$REPLY ;;
			-?*) _ipcscope_short "$w" && [[ -z $sval ]] && expect=$sopt ;;
			# options may follow an operand; only -- ends them
			*) operands=$((operands + 1)) ;;
			esac
		fi
	done

	if [[ -n $expect ]]; then
		_ipcscope_values "$expect" "$cur"
	elif ((dashdash)) || { ((operands)) && [[ $cur != -* ]]; }; then
		# only show takes an operand, one OBJECT; @abstract names are left alone
		[[ $cmd == show && $operands -eq 0 && $cur != @* ]] && _ipcscope_files -f "$cur"
	elif [[ $cur == --*=* ]]; then
		_ipcscope_resolve "$cmd" "${cur%%=*}"
		opt=$REPLY
		if _ipcscope_takes_arg "$opt" || [[ $opt == --color ]]; then
			pre=${cur%%=*}=
			_ipcscope_values "$opt" "${cur#*=}"
		fi
	elif [[ $cur == - || $cur == --* ]]; then
		_ipcscope_options "$cmd"
		w=$REPLY
		((cword == 1)) && w+=' --version'
		# --color takes its optional WHEN only as --color=WHEN
		[[ $w == *--color* ]] && w+=' --color='
		_ipcscope_match "$cur" $w
	elif [[ $cur == -* ]]; then
		if _ipcscope_short "$cur" && [[ -n $sval ]]; then
			pre=${cur%"$sval"}
			_ipcscope_values "$sopt" "$sval"
		else
			COMPREPLY=("$cur")
		fi
	elif [[ $cmd == show ]]; then
		[[ $cur == @* ]] || _ipcscope_files -f "$cur"
	elif [[ -z $cur ]]; then
		# nothing but options can follow
		_ipcscope_options "$cmd"
		_ipcscope_match "" $REPLY
	fi

	if [[ -n $pre ]]; then
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=$pre${COMPREPLY[i]}
		done
	fi
	# readline replaces only what follows the last '=' or ':' in the word
	brk=
	[[ ${COMP_WORDBREAKS-} == *=* ]] && brk+='='
	[[ ${COMP_WORDBREAKS-} == *:* ]] && brk+=':'
	if [[ -n $brk && $cur == *["$brk"]* ]]; then
		strip=${cur%"${cur##*["$brk"]}"}
		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]#"$strip"}
		done
	fi
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _ipcscope ipcscope
