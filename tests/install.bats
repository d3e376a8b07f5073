#!/usr/bin/env bats
# make install and uninstall, with PREFIX and DESTDIR.

load helpers/common

setup() { common_setup; }
teardown() { common_teardown; }

@test "make install puts binary, man page and completions under DESTDIR/PREFIX; uninstall removes them" {
	# -o ipcscope: install the binary under test as it is, never rebuild it
	run make -s -C "$TOP" -o ipcscope install DESTDIR="$T/root" PREFIX=/opt/ipc
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
	run "$T/root/opt/ipc/bin/ipcscope" --version
	assert_success
	run make -s -C "$TOP" uninstall DESTDIR="$T/root" PREFIX=/opt/ipc
	assert_success
	assert_equal "$(find "$T/root" -type f | wc -l)" 0
}
