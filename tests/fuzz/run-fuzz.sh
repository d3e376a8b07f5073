#!/usr/bin/env bash
# libFuzzer targets for ipcscope's parsers. See tests/fuzz/README.md.
#
#   run-fuzz.sh build                     build every target into tests/fuzz/out/
#   run-fuzz.sh run [SECONDS] [TARGET...] fuzz each target SECONDS (default 60)
#   run-fuzz.sh regress [TARGET...]       run each committed corpus file once
#   run-fuzz.sh coverage [TARGET...]      line/branch coverage of the parsers
#                                         by the corpus of the last run
#   run-fuzz.sh list | clean
#
# Environment: FUZZ_CC (default clang), FUZZ_CFLAGS (added to the compile
# flags), ASAN_OPTIONS / UBSAN_OPTIONS (passed through).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$here/out
corpus=$here/corpus
dicts=$here/dict

TARGETS=(procnet netlink maps fdinfo sysvipc mqueue mountinfo cgroup)

# Largest input per target: a whole procfs file for the text formats, one
# recv() buffer for netlink; fdinfo, a cgroup file and a queue file are a
# few lines.
max_len() {
	case $1 in
	fdinfo | cgroup) echo 4096 ;;
	mqueue) echo 512 ;;
	*) echo 65536 ;;
	esac
}

die() { echo "run-fuzz.sh: $*" >&2; exit 2; }

usage() {
	# the comment block at the top of this file
	sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
	exit "${1:-2}"
}

check_targets() {
	local t k ok
	for t in "$@"; do
		ok=0
		for k in "${TARGETS[@]}"; do [ "$t" = "$k" ] && ok=1; done
		[ $ok = 1 ] || die "unknown target '$t' (targets: ${TARGETS[*]})"
	done
}

# ---------------------------------------------------------------- build

# not $CC: that is the project's compiler, often gcc, and libFuzzer needs clang
CC=${FUZZ_CC:-clang}

check_tools() {
	if ! command -v "$CC" >/dev/null 2>&1; then
		cat >&2 <<-EOF
		run-fuzz.sh: '$CC' not found. The fuzz targets need clang with libFuzzer
		(-fsanitize=fuzzer); on Debian/Ubuntu: apt-get install clang
		(or set FUZZ_CC=clang-NN).
		EOF
		exit 2
	fi
	command -v pkg-config >/dev/null 2>&1 || die "pkg-config not found"
	pkg-config --exists libproc2 jansson ||
		die "missing libproc2/jansson development files (make deps)"
	# Some clang packages ship without the libFuzzer runtime.
	local probe=$out/.probe
	mkdir -p "$out"
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		> "$probe.c"
	if ! "$CC" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" 2>"$probe.err"; then
		cat "$probe.err" >&2
		die "'$CC' cannot build libFuzzer targets (-fsanitize=fuzzer); install a clang with compiler-rt"
	fi
	rm -f "$probe" "$probe.c" "$probe.err"
}

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS_COMMON="-g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE -Wall -Wextra"

# Sources the targets link: every file of src/ and its folders but main.c
# (libFuzzer has its own main).
lib_sources() {
	local f
	for f in "$root"/src/*.c "$root"/src/*/*.c; do
		[ "$f" = "$root/src/main.c" ] || echo "$f"
	done
}

# The -I option for src/: every include names its folder
# ("collect/fd.h"), so that an include says which layer it reaches.
src_includes() {
	printf -- '-I%s ' "$root/src"
}

# An object's name: its path below src/, so that kinds/unix.c and
# collect/unix.c do not collide.
obj_name() {
	local rel=${1#"$root"/src/}
	echo "${rel//\//-}"
}

# Something newer than the stamp of the last good build?
stale() {
	local stamp=$out/.built t
	[ -f "$stamp" ] || return 0
	for t in "${TARGETS[@]}"; do
		[ -x "$out/fuzz_$t" ] || return 0
	done
	[ -n "$(find "$root/src" "$here" -maxdepth 2 \
		\( -name '*.[ch]' ! -name 'gen-*' -o -name '*.def' -o -name run-fuzz.sh \) \
		-newer "$stamp" -print -quit)" ]
}

build() {
	check_tools
	local pkg_cflags pkg_libs objdir=$out/obj f o t pids=() failed=0
	pkg_cflags=$(pkg-config --cflags libproc2 jansson)
	pkg_libs=$(pkg-config --libs libproc2 jansson)
	mkdir -p "$objdir"
	rm -f "$out/.built"
	echo "== building fuzz targets with $CC into ${out#"$root"/}/"
	# -fsanitize=fuzzer-no-link: coverage for the parsers, without main()
	for f in $(lib_sources); do
		o=$objdir/$(obj_name "${f%.c}").o
		# shellcheck disable=SC2086
		"$CC" $CFLAGS_COMMON $SAN -fsanitize=fuzzer-no-link ${FUZZ_CFLAGS:-} \
			$(src_includes) $pkg_cflags -c -o "$o" "$f" &
		pids+=($!)
	done
	for t in "${pids[@]}"; do wait "$t" || failed=1; done
	[ $failed = 0 ] || die "compiling src/ failed"
	pids=()
	for t in "${TARGETS[@]}"; do
		# shellcheck disable=SC2086
		"$CC" $CFLAGS_COMMON $SAN -fsanitize=fuzzer ${FUZZ_CFLAGS:-} \
			$(src_includes) -I"$here" $pkg_cflags -o "$out/fuzz_$t" \
			"$here/fuzz_$t.c" "$objdir"/*.o $pkg_libs &
		pids+=($!)
	done
	for t in "${pids[@]}"; do wait "$t" || failed=1; done
	[ $failed = 0 ] || die "linking the fuzz targets failed"
	touch "$out/.built"
	for t in "${TARGETS[@]}"; do echo "   ${out#"$root"/}/fuzz_$t"; done
}

build_if_needed() {
	if stale; then build; fi
}

# ---------------------------------------------------------------- run

# "#1234 DONE cov: 56 ft: 78 corp: 9/1Kb ... exec/s: 999 rss: 40Mb"
summary_line() {
	local t=$1 log=$2 status=$3 last execs cov ft corp eps
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
	printf '%-10s %-6s %12s %9s %6s %6s %12s\n' "$t" "$status" "${execs:--}" \
		"${eps:--}" "${cov:--}" "${ft:--}" "${corp:--}"
}

run() {
	local secs=${1:-60}
	shift || true
	if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
		die "SECONDS must be a positive integer, not '$secs'"
	fi
	local targets=("$@")
	[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
	check_targets "${targets[@]}"
	build_if_needed
	local t work art log dict rc bad=() lines=()
	for t in "${targets[@]}"; do
		# never let libFuzzer write into the committed corpus
		work=$out/work/$t
		art=$out/artifacts/$t
		log=$out/logs/$t.log
		rm -rf "$work" "$art"
		mkdir -p "$work" "$art" "$out/logs"
		if [ -d "$corpus/$t" ]; then
			find "$corpus/$t" -maxdepth 1 -type f -exec cp -t "$work" {} +
		fi
		dict=()
		[ -f "$dicts/$t.dict" ] && dict=(-dict="$dicts/$t.dict")
		echo "== fuzz_$t for ${secs}s (log: ${log#"$root"/})"
		rc=0
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-max_len="$(max_len "$t")" -artifact_prefix="$art/" \
			-print_final_stats=1 "${dict[@]}" "$work" >"$log" 2>&1 || rc=$?
		if [ $rc -ne 0 ] || [ -n "$(ls -A "$art")" ]; then
			bad+=("$t")
			lines+=("$(summary_line "$t" "$log" FAIL)")
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|.*FUZZ_CHECK|artifact_prefix|Test unit written)' \
				"$log" | head -n 8 | sed 's/^/   /' >&2 || true
		else
			lines+=("$(summary_line "$t" "$log" ok)")
		fi
	done
	echo
	printf '%-10s %-6s %12s %9s %6s %6s %12s\n' target status execs exec/s cov ft corpus
	printf '%s\n' "${lines[@]}"
	if [ ${#bad[@]} -gt 0 ]; then
		echo >&2
		for t in "${bad[@]}"; do
			echo "FAIL: fuzz_$t found a problem; inputs: ${out#"$root"/}/artifacts/$t/, log: ${out#"$root"/}/logs/$t.log" >&2
		done
		exit 1
	fi
}

# ---------------------------------------------------------------- regress

regress() {
	local targets=("$@")
	[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
	check_targets "${targets[@]}"
	build_if_needed
	local t files log art rc bad=()
	mkdir -p "$out/logs"
	for t in "${targets[@]}"; do
		files=()
		if [ -d "$corpus/$t" ]; then
			mapfile -t files < <(find "$corpus/$t" -maxdepth 1 -type f | sort)
		fi
		if [ ${#files[@]} -eq 0 ]; then
			echo "   fuzz_$t: no corpus files"
			continue
		fi
		log=$out/logs/$t.regress.log
		art=$out/artifacts/$t.regress
		rm -rf "$art"
		mkdir -p "$art"
		# given files, libFuzzer runs each of them once and stops at the
		# first failure; nothing is written to the corpus
		rc=0
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$out/fuzz_$t" -runs=1 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$art/" "${files[@]}" >"$log" 2>&1 || rc=$?
		if [ $rc -ne 0 ]; then
			bad+=("$t")
			echo "FAIL fuzz_$t (log: ${log#"$root"/})"
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ALARM|.*FUZZ_CHECK)' "$log" |
				head -n 5 | sed 's/^/   /' || true
			# libFuzzer stopped at the first bad file: name every one
			for f in "${files[@]}"; do
				ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
				"$out/fuzz_$t" -runs=1 -timeout=10 -rss_limit_mb=2048 \
					-artifact_prefix="$art/" "$f" >/dev/null 2>&1 ||
					echo "   fails: ${f#"$root"/}"
			done
		else
			echo "ok   fuzz_$t (${#files[@]} files)"
		fi
	done
	if [ ${#bad[@]} -gt 0 ]; then
		echo "FAIL: regression inputs fail in: ${bad[*]}" >&2
		exit 1
	fi
}

# ---------------------------------------------------------------- coverage

# The functions each target exists for, and their file.
parser_of() {
	case $1 in
	procnet) echo "collect/unix.c unix_parse_procnet procnet_line hex_field" ;;
	netlink) echo "collect/unix.c unix_parse_diag diag_msg diag_state" ;;
	maps) echo "collect/maps.c maps_parse_line scan_hex expect" ;;
	fdinfo) echo "collect/fd.c fd_parse_fdinfo" ;;
	sysvipc) echo "collect/shm.c shm_parse_sysvipc sysv_line field_i64 field_u64 field_octal" ;;
	mqueue) echo "collect/shm.c mq_parse_info" ;;
	mountinfo) echo "collect/mounts.c ns_parse_mountinfo mounts_line split_line unescape_octal parse_devno set_fact keep_bind keep_nsfs" ;;
	cgroup) echo "collect/cgroup.c cgroup_parse find_container scope_id all_hex" ;;
	esac
}

coverage() {
	local targets=("$@")
	[ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
	check_targets "${targets[@]}"
	check_tools
	local cov=$out/cov prof=${FUZZ_PROFDATA:-llvm-profdata} llcov=${FUZZ_LLVM_COV:-llvm-cov}
	if ! command -v "$prof" >/dev/null || ! command -v "$llcov" >/dev/null; then
		die "coverage needs llvm-profdata and llvm-cov (set FUZZ_PROFDATA / FUZZ_LLVM_COV)"
	fi
	local pkg_cflags pkg_libs t f dir file funcs pids=() failed=0
	pkg_cflags=$(pkg-config --cflags libproc2 jansson)
	pkg_libs=$(pkg-config --libs libproc2 jansson)
	local CF="-g -O0 -std=gnu11 -D_GNU_SOURCE -fprofile-instr-generate -fcoverage-mapping"
	rm -rf "$cov"
	mkdir -p "$cov/obj"
	for f in $(lib_sources); do
		# shellcheck disable=SC2086
		"$CC" $CF $(src_includes) $pkg_cflags -c -o "$cov/obj/$(obj_name "${f%.c}").o" "$f" &
		pids+=($!)
	done
	for t in "${pids[@]}"; do wait "$t" || failed=1; done
	[ $failed = 0 ] || die "coverage build of src/ failed"
	for t in "${targets[@]}"; do
		# shellcheck disable=SC2086
		"$CC" $CF -fsanitize=fuzzer $(src_includes) -I"$here" $pkg_cflags \
			-o "$cov/fuzz_$t" "$here/fuzz_$t.c" "$cov/obj"/*.o $pkg_libs
		# the corpus the last `run` grew, else the committed one
		dir=$out/work/$t
		[ -d "$dir" ] || dir=$corpus/$t
		LLVM_PROFILE_FILE="$cov/$t.profraw" "$cov/fuzz_$t" -runs=0 "$dir" \
			>"$cov/$t.log" 2>&1 || die "coverage run of $t failed (see $cov/$t.log)"
		"$prof" merge -sparse -o "$cov/$t.profdata" "$cov/$t.profraw"
		read -r file funcs <<<"$(parser_of "$t")"
		echo "== $t: corpus ${dir#"$root"/} ($(find "$dir" -type f | wc -l) files)"
		"$llcov" report -show-functions -instr-profile="$cov/$t.profdata" \
			"$cov/fuzz_$t" "$root/src/$file" |
			awk -v want=" $funcs " 'NR <= 2 && /^Name/ { print; next }
				{ n = $1; sub(/^.*:/, "", n) } index(want, " " n " ") { print }'
	done
}

# ---------------------------------------------------------------- main

cmd=${1:-}
shift || true
case $cmd in
build) [ $# -eq 0 ] || usage; build ;;
run) run "$@" ;;
regress) regress "$@" ;;
coverage) coverage "$@" ;;
list) printf '%s\n' "${TARGETS[@]}" ;;
clean) rm -rf "$out" ;;
-h|--help|help) usage 0 ;;
*) usage ;;
esac
