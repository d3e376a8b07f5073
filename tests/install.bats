#!/usr/bin/env bats
# make install and uninstall, with PREFIX and DESTDIR; the Makefile's own
# behaviour (no relinking, CPPFLAGS and LDFLAGS).

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

# make, without what an outer make (make check) passes down: MAKEFLAGS, and
# the variables given on its command line, which make exports (.ci/run's
# SANFLAGS, CFLAGS and WERROR)
clean_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANFLAGS -u CFLAGS -u CPPFLAGS \
		-u LDFLAGS -u WERROR make --no-print-directory "$@"
}

# the directories below $1, one a line, relative and sorted
dirs_below() {
	(cd "$1" && find . -mindepth 1 -type d | LC_ALL=C sort)
}

@test "make install puts binary, man page and completions under DESTDIR/PREFIX; uninstall removes them" {
	# -o ipcscope: install the binary under test as it is, never rebuild it
	run clean_make -s -C "$TOP" -o ipcscope install DESTDIR="$T/root" PREFIX=/opt/ipc
	assert_success
	local f
	for f in bin/ipcscope share/man/man1/ipcscope.1 \
		share/bash-completion/completions/ipcscope \
		share/zsh/site-functions/_ipcscope \
		share/fish/vendor_completions.d/ipcscope.fish; do
		[ -f "$T/root/opt/ipc/$f" ] || fail "not installed: $f"
	done
	[ -x "$T/root/opt/ipc/bin/ipcscope" ]
	cmp "$TOP/ipcscope" "$T/root/opt/ipc/bin/ipcscope"
	# those and nothing else: never the test binary
	assert_equal "$(find "$T/root" -type f | wc -l)" 5
	run "$T/root/opt/ipc/bin/ipcscope" --version
	assert_success
	run clean_make -s -C "$TOP" uninstall DESTDIR="$T/root" PREFIX=/opt/ipc
	assert_success
	assert_equal "$(find "$T/root" -type f | wc -l)" 0
	# nor the directories install made: DESTDIR is left as it was, empty
	assert_equal "$(dirs_below "$T/root")" ""
}

@test "make uninstall without DESTDIR removes the directories install made, and keeps PREFIX's bin, share and share/man" {
	# PREFIX as a Debian /usr/local is: bin and share/man exist, empty
	mkdir -p "$T/usr-local/bin" "$T/usr-local/share/man" "$T/usr-local/src"
	local before
	before=$(dirs_below "$T/usr-local")
	run clean_make -s -C "$TOP" -o ipcscope install PREFIX="$T/usr-local"
	assert_success
	[ -f "$T/usr-local/share/fish/vendor_completions.d/ipcscope.fish" ]
	[ "$(dirs_below "$T/usr-local" | wc -l)" -ge 11 ]
	run clean_make -s -C "$TOP" uninstall PREFIX="$T/usr-local"
	assert_success
	assert_equal "$(find "$T/usr-local" -type f | wc -l)" 0
	assert_equal "$(dirs_below "$T/usr-local")" "$before"
	# a directory that holds something else stays, with what it holds
	run clean_make -s -C "$TOP" -o ipcscope install PREFIX="$T/usr-local"
	assert_success
	touch "$T/usr-local/share/zsh/site-functions/_other"
	run clean_make -s -C "$TOP" uninstall PREFIX="$T/usr-local"
	assert_success
	[ -f "$T/usr-local/share/zsh/site-functions/_other" ]
	[ ! -e "$T/usr-local/share/fish" ]
	[ ! -e "$T/usr-local/share/bash-completion" ]
	[ ! -e "$T/usr-local/share/man/man1" ]
}

@test "make install: fish loads the completion from where it is installed, or install says what to do" {
	command -v fish >/dev/null || skip "fish is not installed"
	# fish's own directories in $T, and no XDG_DATA_DIRS, as on a console
	export XDG_CONFIG_HOME="$T/fish-config" XDG_DATA_HOME="$T/fish-data"
	unset XDG_DATA_DIRS
	run clean_make -s -C "$TOP" -o ipcscope install DESTDIR="$T/root" PREFIX=/opt/ipc
	assert_success
	# fish reads PREFIX/share/fish/vendor_completions.d when XDG_DATA_DIRS
	# names PREFIX/share ...
	run env XDG_DATA_DIRS="$T/root/opt/ipc/share" PATH="$T/root/opt/ipc/bin:$PATH" \
		fish -c 'complete -C "ipcscope l"' </dev/null
	assert_success
	assert_line --regexp $'^leaks\t'
	assert_line --regexp $'^list\t'
	# ... and not otherwise: without DESTDIR, install then says what to do
	run clean_make -s -C "$TOP" -o ipcscope install PREFIX="$T/p"
	assert_success
	assert_output --partial "note: fish does not look in $T/p/share/fish/vendor_completions.d"
	assert_output --partial "FISHCOMPDIR=/etc/fish/completions"
	# no note when FISHCOMPDIR is a directory fish reads
	run clean_make -s -C "$TOP" -o ipcscope install PREFIX="$T/q" \
		FISHCOMPDIR="$T/fish-data/fish/vendor_completions.d"
	assert_success
	refute_output --partial "note:"
	[ -f "$T/fish-data/fish/vendor_completions.d/ipcscope.fish" ]
	run env PATH="$T/q/bin:$PATH" fish -c 'complete -C "ipcscope l"' </dev/null
	assert_line --regexp $'^leaks\t'
}

# a copy of what make needs to build ipcscope and the helpers, in $T/tree
copy_tree() {
	mkdir -p "$T/tree/tests/helpers" "$T/tree/tests/bench"
	cp -r "$TOP/Makefile" "$TOP/src" "$TOP/man" "$TOP/completions" "$T/tree/"
	cp "$TOP/tests/helpers/mkipc.c" "$T/tree/tests/helpers/"
	cp "$TOP/tests/bench/"*.c "$T/tree/tests/bench/"
}

@test "make: a second make has nothing to do" {
	copy_tree
	run clean_make -s -C "$T/tree" -j2 CFLAGS=-O0 all tests/helpers/mkipc
	assert_success
	run clean_make -q -C "$T/tree" CFLAGS=-O0 all tests/helpers/mkipc
	assert_success
	run clean_make -n -C "$T/tree" CFLAGS=-O0
	assert_success
	assert_output "make: Nothing to be done for 'all'."
	# make builds no test binary (make check does)
	[ ! -e "$T/tree/build/ipcscope-test" ]
	# a changed source is rebuilt and relinked, and only that
	touch "$T/tree/src/util.c"
	run clean_make -n -C "$T/tree" CFLAGS=-O0
	assert_line --partial "-o build/util.o src/util.c"
	assert_line --regexp '^cc .*-o ipcscope |^.* -o ipcscope '
	[ "${#lines[@]}" -eq 2 ]
}

@test "make BPF=0: the proc backend alone; --version and --backend bpf say so, auto uses proc" {
	copy_tree
	run clean_make -s -C "$T/tree" -j2 CFLAGS=-O0 BPF=0
	assert_success
	run "$T/tree/ipcscope" --version
	assert_success
	assert_line --index 1 "backends: proc (built without bpf: clang, bpftool or libbpf-dev was missing)"
	run --separate-stderr "$T/tree/ipcscope" list --backend bpf --type pipe
	assert_failure 1
	assert_equal "$stderr" "ipcscope: the bpf backend cannot run: this ipcscope was built without the bpf backend (clang, bpftool or libbpf-dev was missing)"
	run --separate-stderr env -u IPCSCOPE_BACKEND "$T/tree/ipcscope" list --json --type pipe
	assert_success
	assert_equal "$(jq -r .backend.name <<<"$output")" proc
	# nothing of the bpf part was built
	[ ! -e "$T/tree/build/bpf" ]
}

@test "make: missing libraries stop the build with one message, not an up-to-date tree" {
	copy_tree
	run clean_make -s -C "$T/tree" -j2 CFLAGS=-O0
	assert_success
	# up to date: no library check, nothing to do
	run clean_make -q -C "$T/tree" CFLAGS=-O0 PKG_CONFIG=false
	assert_success
	touch "$T/tree/src/util.c"
	run clean_make -C "$T/tree" CFLAGS=-O0 PKG_CONFIG=false
	assert_failure
	assert_output --partial "missing build dependencies: libproc2 jansson"
	run clean_make -C "$T/tree" PKG_CONFIG=false deps-check
	assert_failure
	assert_output --partial "missing build dependencies: libproc2 jansson"
}

@test "make: CPPFLAGS and LDFLAGS reach every compile and link" {
	run clean_make -n -B -C "$TOP" CPPFLAGS=-DIPCSCOPE_CPPFLAGS_SEEN LDFLAGS=-Wl,--as-needed \
		ipcscope tests/helpers/mkipc tests/bench/workload tests/bench/floor
	assert_success
	local line compiles=0 links=0
	while IFS= read -r line; do
		case $line in
		*" -c "*)
			[[ $line == *-DIPCSCOPE_CPPFLAGS_SEEN* ]] || fail "no CPPFLAGS in: $line"
			compiles=$((compiles + 1)) ;;
		*" -o ipcscope "* | *" -o tests/"*)
			[[ $line == *-Wl,--as-needed* ]] || fail "no LDFLAGS in: $line"
			[[ $line == *" -o ipcscope "* ]] || [[ $line == *-DIPCSCOPE_CPPFLAGS_SEEN* ]] ||
				fail "no CPPFLAGS in: $line"
			links=$((links + 1)) ;;
		esac
	done < <(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' <<<"$output" | tr '\t' ' ')
	[ "$compiles" -ge 10 ] || fail "only $compiles compile commands"
	assert_equal "$links" 4
}
