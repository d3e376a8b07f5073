#!/usr/bin/env bats
# .ci/run: every stage runs, each ends with one line, and the run fails at
# the end if any stage failed. make, sh and mandoc are stand-ins here that
# log their arguments, so no stage really builds or tests anything.

load helpers/common

setup() {
	common_setup
	mkdir -p "$T/tree/.ci" "$T/tree/tests/helpers" "$T/tree/man" "$T/bin"
	cp "$TOP/.ci/run" "$T/tree/.ci/run"
	cp "$TOP/tests/helpers/man-lint.sh" "$T/tree/tests/helpers/"
	cp "$TOP/man/ipcscope.1" "$T/tree/man/"
	# make fails when one of its arguments is $FAIL_MAKE
	cat >"$T/bin/make" <<'EOF'
#!/bin/sh
echo "make $*" >>"$CALLS"
case " $* " in *" $FAIL_MAKE "*) exit 2 ;; esac
exit 0
EOF
	printf '#!/bin/sh\necho "sh $*" >>"$CALLS"\n' >"$T/bin/sh"
	printf '#!/bin/sh\nexit 0\n' >"$T/bin/mandoc"
	chmod +x "$T/bin/make" "$T/bin/sh" "$T/bin/mandoc"
	export CALLS="$T/calls"
}
teardown() { common_teardown; }

# runs the copy of .ci/run with the stand-ins first in PATH
ci_run() {
	: >"$CALLS"
	run env PATH="$T/bin:$PATH" FAIL_MAKE="${1:-no-such-call}" bash "$T/tree/.ci/run" </dev/null
}

@test ".ci/run: every stage ends with one line, and all of them pass" {
	ci_run
	assert_success
	local stage
	for stage in deps test man-lint fuzz-regress fuzz asan-ubsan; do
		assert_line --regexp "^== stage $stage: ok \\([0-9]+ s\\)\$"
	done
	assert_equal "$(grep -c '^== stage .*: ok' <<<"$output")" 12
	assert_line "== .ci/run: ok"
	# the README's test command with -Werror, the fuzzers, the sanitizers
	run cat "$CALLS"
	assert_line "sh tests/install-deps.sh"
	assert_line "make WERROR=1 check"
	assert_line "make fuzz-regress"
	assert_line "make fuzz FUZZ_SECONDS=20"
	assert_line --regexp '^make WERROR=1 CFLAGS=.* SANFLAGS=-fsanitize=address,undefined .* check$'
}

@test ".ci/run: a failed stage does not stop the ones after it; the run fails at the end" {
	ci_run fuzz-regress
	assert_failure 1
	assert_line --regexp '^== stage fuzz-regress: FAILED \(exit 2, [0-9]+ s\)$'
	# the stages after it still ran, and passed
	assert_line --regexp '^== stage fuzz: ok'
	assert_line --regexp '^== stage asan-ubsan: ok'
	assert_line "== .ci/run: FAILED"
	run cat "$CALLS"
	assert_line "make fuzz FUZZ_SECONDS=20"
	assert_line --regexp 'SANFLAGS=.* check$'
}

@test ".ci/run: a failed command ends its own stage" {
	# make clean fails: neither the test stage nor the sanitizer stage gets
	# to make check, and the other stages run
	ci_run clean
	assert_failure 1
	assert_line --regexp '^== stage test: FAILED'
	assert_line --regexp '^== stage asan-ubsan: FAILED'
	assert_line --regexp '^== stage man-lint: ok'
	assert_line --regexp '^== stage fuzz: ok'
	run cat "$CALLS"
	refute_line --regexp 'check$'
	assert_line "make fuzz-regress"
}

@test ".ci/run: the man page lint stage fails on what the lint reports" {
	printf '#!/bin/sh\necho "mandoc: x.1:1:1: WARNING: something"\n' >"$T/bin/mandoc"
	ci_run
	assert_failure 1
	assert_line --regexp '^== stage man-lint: FAILED'
	assert_line "mandoc: x.1:1:1: WARNING: something"
}
