#!/usr/bin/env bash
# run-bench.sh IPCSCOPE_BINARY
#
# Benchmarks `ipcscope list --json`, `ipcscope list` (the table) and
# `ipcscope list --type unix --json`, each with the bpf and the proc backend,
# against the "floor" (tests/bench/floor: the bare cost of reading the raw
# /proc facts) and against lsfd -J, lsfd, lsof -nP and ss -xap, under
# synthetic workloads of N processes x K objects of every IPC kind
# (tests/bench/workload). Where the bpf backend cannot run (not root), its
# runs are skipped and the reason said.
# See tests/bench/README.md.
#
# Environment:
#   BENCH_REPS=5                     repetitions per command (interleaved)
#   BENCH_SCENARIOS="20x5 200x10 1000x10"   NxK scenarios to run
#   BENCH_TIMEOUT=600                per-command timeout in seconds (0 = none)
#   BENCH_READY_TIMEOUT=600          max seconds to wait for the workload
#   BENCH_SCALE=1                    scale a scenario down if it does not fit
#                                    (0 = skip it instead)
#   BENCH_RAW=FILE                   append raw per-run results (CSV) to FILE
#   BENCH_TIMER=gnu|python|bash      force a timing method (default: GNU time,
#                                    else python3, else the bash builtin)
#   BENCH_BASELINE=BINARY            also time an older ipcscope build in the
#                                    same interleaved rounds (before/after)
#
# Builds nothing: the Makefile builds tests/bench/workload and tests/bench/floor.

# shellcheck disable=SC2012,SC2317  # ls of flat dirs; functions run from traps
set -u
set -o pipefail
export LC_ALL=C

usage() { echo "usage: $0 IPCSCOPE_BINARY" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

say()  { printf '%s\n' "$*"; }
warn() { printf 'run-bench: %s\n' "$*" >&2; }
die()  { warn "$*"; exit 1; }

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P) || die "cannot locate script dir"
WORKLOAD="$BENCH_DIR/workload"
FLOOR="$BENCH_DIR/floor"

REPS=${BENCH_REPS:-5}
SCENARIOS=${BENCH_SCENARIOS:-"20x5 200x10 1000x10"}
CMD_TIMEOUT=${BENCH_TIMEOUT:-600}
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-600}
SCALE=${BENCH_SCALE:-1}
RAW=${BENCH_RAW:-}

[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer (got '$REPS')"
[[ $CMD_TIMEOUT =~ ^[0-9]+$ ]] || die "BENCH_TIMEOUT must be a number of seconds (got '$CMD_TIMEOUT')"
[[ $READY_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "BENCH_READY_TIMEOUT must be a positive integer"
for s in $SCENARIOS; do
	[[ $s =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || die "bad scenario '$s' in BENCH_SCENARIOS (expected NxK, e.g. 200x10)"
done

[[ -x $WORKLOAD ]] || die "$WORKLOAD is missing: build it first (make)"
[[ -x $FLOOR ]] || die "$FLOOR is missing: build it first (make)"

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------- ipcscope
IPCSCOPE_ARG=$1
IPCSCOPE=""
IPCSCOPE_PROBLEM=""
if [[ $IPCSCOPE_ARG == */* ]]; then
	if [[ -f $IPCSCOPE_ARG && -x $IPCSCOPE_ARG ]]; then
		IPCSCOPE=$(cd -- "$(dirname -- "$IPCSCOPE_ARG")" && pwd -P)/$(basename -- "$IPCSCOPE_ARG")
	else
		IPCSCOPE_PROBLEM="binary $IPCSCOPE_ARG not found or not executable"
	fi
else
	IPCSCOPE=$(command -v -- "$IPCSCOPE_ARG" 2>/dev/null) || IPCSCOPE=""
	[[ -n $IPCSCOPE ]] || IPCSCOPE_PROBLEM="command $IPCSCOPE_ARG not found"
fi
[[ -n $IPCSCOPE_PROBLEM ]] && warn "$IPCSCOPE_PROBLEM: its runs are recorded as failed"

# An older build to compare with, timed in the same rounds, so that machine
# noise hits both alike: a before/after figure from two separate runs is not.
BASELINE=${BENCH_BASELINE:-}
if [[ -n $BASELINE ]]; then
	[[ -f $BASELINE && -x $BASELINE ]] || die "BENCH_BASELINE=$BASELINE is not an executable file"
	BASELINE=$(cd -- "$(dirname -- "$BASELINE")" && pwd -P)/$(basename -- "$BASELINE")
fi

# ---------------------------------------------------------------- state + cleanup
SCRATCH=$(mktemp -d /tmp/ipcscope-bench-run.XXXXXX) || die "mktemp failed"
WL_PID=""        # running workload
WL_RC=0          # its exit status once stopped
WL_CHILDREN=""   # its worker pids (for the leftover check)
CUR_PID=""       # running measured command (wrapper pid)
CUR_GROUP=0      # 1 if CUR_PID leads its own process group (timeout)
SHM_BEFORE=$(ls -A /dev/shm 2>/dev/null | sort)
TMP_BEFORE=$(ls -A /tmp 2>/dev/null | sort)

# true if PID exists and is not a zombie
alive() {
	local line
	{ read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line:0:1} != Z ]]
}

# pids whose parent is $1
children_of() {
	local want=$1 f line fields
	for f in /proc/[0-9]*/stat; do
		{ read -r line < "$f"; } 2>/dev/null || continue
		line=${line##*) }
		read -r -a fields <<< "$line"
		if [[ ${fields[1]} == "$want" ]]; then
			f=${f#/proc/}
			printf '%s\n' "${f%/stat}"
		fi
	done
}

kill_current_cmd() {
	[[ -n $CUR_PID ]] || return 0
	if alive "$CUR_PID"; then
		if [[ $CUR_GROUP -eq 1 ]] && kill -TERM -- "-$CUR_PID" 2>/dev/null; then
			:
		else
			local c
			for c in $(children_of "$CUR_PID"); do kill -TERM "$c" 2>/dev/null; done
			kill -TERM "$CUR_PID" 2>/dev/null
		fi
	fi
	wait "$CUR_PID" 2>/dev/null
	CUR_PID=""
}

# Stop the workload (SIGTERM, it cleans up itself), then verify and, if
# needed, finish the cleanup.  Prints what it found.  Returns 1 on leftovers.
stop_workload() {
	local pid=$WL_PID i rc=0 left="" p f
	[[ -n $pid ]] || return 0
	WL_PID=""
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 600; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			warn "workload $pid did not exit within 60 s of SIGTERM; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	WL_RC=$?
	# workers die with the parent (PR_SET_PDEATHSIG); wait a little for that
	for ((i = 0; i < 100; i++)); do
		left=""
		for p in $WL_CHILDREN; do
			alive "$p" && [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$WORKLOAD"* ]] && left+=" $p"
		done
		[[ -z $left ]] && break
		sleep 0.1
	done
	if [[ -n $left ]]; then
		warn "workload processes still running after the workload exited:$left; killing them"
		for p in $left; do kill -KILL "$p" 2>/dev/null; done
		rc=1
	fi
	WL_CHILDREN=""
	# files: the workload's temp dir lives inside $SCRATCH; shm names carry its pid
	local leftovers=()
	for f in "$SCRATCH"/ipcscope-bench-* /dev/shm/ipcscope-bench-"$pid"-*; do
		[[ -e $f || -L $f ]] && leftovers+=("$f")
	done
	if ((${#leftovers[@]})); then
		warn "workload left ${#leftovers[@]} file(s) behind (e.g. ${leftovers[0]}); removing them"
		rm -rf -- "${leftovers[@]}"
		rc=1
	fi
	if [[ $rc -eq 0 ]]; then
		say "cleanup: workload $pid exited (status $WL_RC); verified: no workload processes, no /dev/shm segments, no temp files left"
	else
		say "cleanup: workload $pid exited (status $WL_RC) but needed help (see warnings above); leftovers were removed"
	fi
	return "$rc"
}

final_cleanup() {
	local st=$?
	trap - EXIT INT TERM HUP
	kill_current_cmd
	stop_workload >/dev/null 2>&1 || true
	rm -rf -- "$SCRATCH"
	# Report anything new in /dev/shm or /tmp since we started.
	local shm_new tmp_new
	shm_new=$(comm -13 <(printf '%s\n' "$SHM_BEFORE") <(ls -A /dev/shm 2>/dev/null | sort) | grep -c ipcscope-bench)
	tmp_new=$(comm -13 <(printf '%s\n' "$TMP_BEFORE") <(ls -A /tmp 2>/dev/null | sort) | grep -c ipcscope-bench)
	if [[ $shm_new -ne 0 || $tmp_new -ne 0 ]]; then
		warn "WARNING: ipcscope-bench entries left: /dev/shm: $shm_new, /tmp: $tmp_new"
		st=1
	fi
	exit "$st"
}
on_signal() {
	warn "interrupted by SIG$1; cleaning up"
	trap - INT TERM HUP
	case $1 in INT) exit 130 ;; TERM) exit 143 ;; *) exit 129 ;; esac
}
trap final_cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# ---------------------------------------------------------------- tools
apt_install() { # package
	local log="$SCRATCH/apt.log"
	say "installing Debian package '$1' (apt-get install -y $1) ..."
	if DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >>"$log" 2>&1; }; then
		return 0
	fi
	warn "apt-get install $1 failed:"; tail -n 5 "$log" >&2
	return 1
}

declare -A SKIP=()
if ! command -v lsof >/dev/null 2>&1; then
	if [[ $IS_ROOT -eq 1 ]] && command -v apt-get >/dev/null 2>&1; then
		apt_install lsof
	fi
	command -v lsof >/dev/null 2>&1 || {
		SKIP[lsof]="lsof is not installed (install it: apt-get install lsof)"
		warn "${SKIP[lsof]}; skipping lsof"
	}
fi
command -v lsfd >/dev/null 2>&1 || { SKIP[lsfd]="lsfd (util-linux) is not installed"; warn "${SKIP[lsfd]}; skipping lsfd"; }
command -v ss >/dev/null 2>&1 || { SKIP[ss]="ss (iproute2) is not installed"; warn "${SKIP[ss]}; skipping ss"; }

gnu_time_ok() { [[ -x /usr/bin/time ]] && /usr/bin/time -f '%U %S %M' -o /dev/null true >/dev/null 2>&1; }
TIME_MODE=""
if [[ -n ${BENCH_TIMER:-} ]]; then
	case $BENCH_TIMER in gnu | python | bash) TIME_MODE=$BENCH_TIMER ;;
	*) die "BENCH_TIMER must be gnu, python or bash" ;; esac
	[[ $TIME_MODE == gnu ]] && ! gnu_time_ok && die "BENCH_TIMER=gnu but GNU time does not work"
elif gnu_time_ok; then
	TIME_MODE=gnu
elif [[ $IS_ROOT -eq 1 ]] && command -v apt-get >/dev/null 2>&1 && apt_install time && gnu_time_ok; then
	TIME_MODE=gnu
elif command -v python3 >/dev/null 2>&1; then
	TIME_MODE=python
	warn "GNU time not available; using a python3 os.wait4() fallback"
else
	TIME_MODE=bash
	warn "neither GNU time nor python3 available; using the bash 'time' builtin (no peak RSS)"
fi

TO=()
if [[ $CMD_TIMEOUT -gt 0 ]]; then
	if command -v timeout >/dev/null 2>&1; then
		TO=(timeout -k 10 "$CMD_TIMEOUT")
	else
		warn "timeout(1) not found; commands run without a time limit"
	fi
fi

# python3 fallback: writes "user sys maxrss_kib wall_us".  Note: Linux keeps
# the pre-exec RSS high-water mark across execve, so peak RSS has a floor of
# the interpreter's own RSS (~10 MiB); the "harness floor" line shows it.
PY_TIMER='
import os, sys, time
out = sys.argv[1]; argv = sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except OSError as e:
        sys.stderr.write("%s: %s\n" % (argv[0], e)); os._exit(127)
_, st, ru = os.wait4(pid, 0)
t1 = time.perf_counter()
with open(out, "w") as f:
    f.write("%.3f %.3f %d %d\n" % (ru.ru_utime, ru.ru_stime, ru.ru_maxrss, (t1 - t0) * 1e6))
sys.exit(128 + os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st))
'

now_us() { local t=$EPOCHREALTIME; printf '%s' "${t/./}"; }

# measure NAME CMD... : runs CMD (stdin /dev/null, stdout /dev/null, stderr
# to $SCRATCH/err.NAME); sets M_RC M_WALL M_CPU M_RSS (KiB, or "" if unknown).
measure() {
	local name=$1; shift
	local tf="$SCRATCH/time.out" ef="$SCRATCH/err.$name" t0 t1 u s m w line
	: > "$tf"
	CUR_GROUP=0
	((${#TO[@]})) && CUR_GROUP=1
	t0=$(now_us)
	case $TIME_MODE in
	gnu)    "${TO[@]}" /usr/bin/time -f '%U %S %M' -o "$tf" "$@" </dev/null >/dev/null 2>"$ef" & ;;
	python) "${TO[@]}" python3 -c "$PY_TIMER" "$tf" "$@" </dev/null >/dev/null 2>"$ef" & ;;
	bash)   ( TIMEFORMAT='%3U %3S'; { time "${TO[@]}" "$@" </dev/null >/dev/null 2>"$ef"; } 2>"$tf" ) & ;;
	esac
	CUR_PID=$!
	wait "$CUR_PID"
	M_RC=$?
	t1=$(now_us)
	CUR_PID=""
	M_WALL=$(( t1 - t0 ))   # microseconds
	line=$(tail -n 1 "$tf" 2>/dev/null)
	read -r u s m w <<< "$line"
	[[ $TIME_MODE == python && ${w:-} =~ ^[0-9]+$ ]] && M_WALL=$w
	if [[ $u =~ ^[0-9.]+$ && $s =~ ^[0-9.]+$ ]]; then
		M_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
	else
		M_CPU=""
	fi
	[[ ${m:-} =~ ^[0-9]+$ ]] && M_RSS=$m || M_RSS=""
}

# ---------------------------------------------------------------- commands
# ipcscope with each backend: bpf (kernel iterators) and proc (/proc walk),
# its JSON, its table, and its UNIX sockets; lsfd as JSON and as a table.
CMD_NAMES=(bpf-list proc-list bpf-table proc-table bpf-unix proc-unix floor lsfd lsfd-table lsof ss)
declare -A CMD_LABEL=(
	[bpf-list]="ipcscope list --json (bpf)"
	[proc-list]="ipcscope list --json (proc)"
	[bpf-table]="ipcscope list (bpf)"
	[proc-table]="ipcscope list (proc)"
	[bpf-unix]="ipcscope list -t unix --json (bpf)"
	[proc-unix]="ipcscope list -t unix --json (proc)"
	[floor]="floor"
	[lsfd]="lsfd -J"
	[lsfd-table]="lsfd"
	[lsof]="lsof -nP"
	[ss]="ss -xap"
)
if [[ -n $BASELINE ]]; then
	# each right beside its counterpart, so both run after the same
	# command: what ran before (ss -xap warms /proc's dentries, lsof
	# evicts them) moves a time by more than the 5% being looked for.
	# An older build may have no --backend: it is compared with proc.
	CMD_NAMES=(bpf-list proc-list baseline-list bpf-table proc-table bpf-unix proc-unix
		baseline-unix floor lsfd lsfd-table lsof ss)
	CMD_LABEL[baseline-list]="baseline list --json"
	CMD_LABEL[baseline-unix]="baseline list --type unix --json"
fi
if [[ -n $IPCSCOPE_PROBLEM ]]; then
	for n in bpf-list proc-list bpf-table proc-table bpf-unix proc-unix; do
		SKIP[$n]=$IPCSCOPE_PROBLEM
	done
elif ! BPF_WHY=$("$IPCSCOPE" list --backend bpf --type pipe 2>&1 >/dev/null); then
	for n in bpf-list bpf-table bpf-unix; do
		SKIP[$n]="the bpf backend cannot run here: ${BPF_WHY#ipcscope: }"
	done
	warn "the bpf backend cannot run here; its runs are skipped: ${BPF_WHY#ipcscope: }"
fi

# The commands of round REP: with a baseline, every other round runs it
# before the build under test, so neither always goes first.
round_order() {
	local n
	for n in "${CMD_NAMES[@]}"; do
		if [[ -n $BASELINE && $(( $1 % 2 )) -eq 0 ]]; then
			case $n in
			proc-list) n=baseline-list ;; baseline-list) n=proc-list ;;
			proc-unix) n=baseline-unix ;; baseline-unix) n=proc-unix ;;
			esac
		fi
		printf '%s\n' "$n"
	done
}

run_cmd() {
	case $1 in
	bpf-list)      measure "$1" "$IPCSCOPE" list --json --backend bpf ;;
	proc-list)     measure "$1" "$IPCSCOPE" list --json --backend proc ;;
	bpf-table)     measure "$1" "$IPCSCOPE" list --backend bpf ;;
	proc-table)    measure "$1" "$IPCSCOPE" list --backend proc ;;
	bpf-unix)      measure "$1" "$IPCSCOPE" list --type unix --json --backend bpf ;;
	proc-unix)     measure "$1" "$IPCSCOPE" list --type unix --json --backend proc ;;
	floor)         measure "$1" "$FLOOR" ;;
	lsfd)          measure "$1" lsfd -J ;;
	lsfd-table)    measure "$1" lsfd ;;
	lsof)          measure "$1" lsof -nP ;;
	ss)            measure "$1" ss -xap ;;
	baseline-list) measure "$1" "$BASELINE" list --json ;;
	baseline-unix) measure "$1" "$BASELINE" list --type unix --json ;;
	esac
}

# ---------------------------------------------------------------- machine + limits
read_num() { local v; v=$(cat "$1" 2>/dev/null) && [[ $v =~ ^[0-9]+$ ]] && printf '%s' "$v"; }
meminfo_kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
count_procs() { local a=(/proc/[0-9]*); printf '%s' "${#a[@]}"; }
count_threads() { local a=(/proc/[0-9]*/task/[0-9]*); printf '%s' "${#a[@]}"; }
count_fds() { find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# cgroup "max current" for a controller file pair, empty if unlimited/unknown
cgroup_limit() { # v2file v1controller v1file v1usage v2current
	local line path v2=$1 c1=$2 f1=$3 u1=$4 cur2=$5 max cur
	while IFS= read -r line; do
		if [[ $line == 0::* ]]; then
			path=${line#0::}
			max=$(cat "/sys/fs/cgroup$path/$v2" 2>/dev/null) || continue
			cur=$(cat "/sys/fs/cgroup$path/$cur2" 2>/dev/null) || continue
		elif [[ $line =~ ^[0-9]+:([^:]*,)?$c1(,[^:]*)?:(.*)$ ]]; then
			path=${BASH_REMATCH[3]}
			max=$(cat "/sys/fs/cgroup/$c1$path/$f1" 2>/dev/null) || continue
			cur=$(cat "/sys/fs/cgroup/$c1$path/$u1" 2>/dev/null) || continue
		else
			continue
		fi
		# "max" or absurdly large (v1 "unlimited" = 2^63-ish) means no limit
		[[ $max =~ ^[0-9]+$ && ${#max} -lt 16 && $cur =~ ^[0-9]+$ ]] && { printf '%s %s' "$max" "$cur"; return; }
	done < /proc/self/cgroup
}

CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
[[ -z $CPU_MODEL ]] && command -v lscpu >/dev/null 2>&1 && CPU_MODEL=$(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')
NOFILE_SOFT=$(ulimit -Sn); NOFILE_HARD=$(ulimit -Hn)
NR_OPEN=$(read_num /proc/sys/fs/nr_open)
FILE_MAX=$(read_num /proc/sys/fs/file-max)
PID_MAX=$(read_num /proc/sys/kernel/pid_max)
THREADS_MAX=$(read_num /proc/sys/kernel/threads-max)
MAP_COUNT_MAX=$(read_num /proc/sys/vm/max_map_count)

say "=== ipcscope benchmark ==="
say "machine: nproc=$(nproc) kernel=$(uname -r) arch=$(uname -m) cpu=\"${CPU_MODEL:-unknown}\""
say "memory: total=$(( $(meminfo_kib MemTotal) / 1024 )) MiB available=$(( $(meminfo_kib MemAvailable) / 1024 )) MiB"
say "limits: RLIMIT_NOFILE soft=$NOFILE_SOFT hard=$NOFILE_HARD (fs.nr_open=${NR_OPEN:-?}) fs.file-max=${FILE_MAX:-?} kernel.pid_max=${PID_MAX:-?} kernel.threads-max=${THREADS_MAX:-?} user=$(id -un)"
say "ipcscope: ${IPCSCOPE:-$IPCSCOPE_ARG}${IPCSCOPE_PROBLEM:+ ($IPCSCOPE_PROBLEM)}"
[[ -n $BASELINE ]] && say "baseline: $BASELINE"
tv() { "$@" 2>&1 | head -n 1; }
say "tools: lsfd: $( [[ -z ${SKIP[lsfd]:-} ]] && tv lsfd --version || echo skipped ); lsof: $( [[ -z ${SKIP[lsof]:-} ]] && lsof -v 2>&1 | awk '/revision:/ { print $2; exit }' || echo skipped ); ss: $( [[ -z ${SKIP[ss]:-} ]] && tv ss -V || echo skipped )"
case $TIME_MODE in
gnu)    say "timing: GNU time (user/sys: 10 ms resolution; peak RSS = max RSS of the command) + wall clock from \$EPOCHREALTIME" ;;
python) say "timing: python3 os.wait4 fallback (wall clock around fork..wait4; peak RSS has a floor of python's own RSS, see below)" ;;
bash)   say "timing: bash time builtin fallback (no peak RSS) + wall clock from \$EPOCHREALTIME" ;;
esac
say "repetitions: $REPS (interleaved round-robin), scenarios: $SCENARIOS, per-command timeout: ${CMD_TIMEOUT}s"

# harness overhead: the same wrapper around /bin/true
OVH=(); OVR=()
for _ in 1 2 3 4 5; do measure overhead /bin/true; OVH+=("$M_WALL"); OVR+=("${M_RSS:-0}"); done
OVERHEAD_US=$(printf '%s\n' "${OVH[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
OVERHEAD_RSS=$(printf '%s\n' "${OVR[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
say "harness floor (/bin/true through the same wrapper, median of 5): wall $(awk -v u="$OVERHEAD_US" 'BEGIN { printf "%.4f", u / 1e6 }') s (included in all wall times), peak RSS $(awk -v r="$OVERHEAD_RSS" 'BEGIN { printf "%.1f", r / 1024 }') MiB"

# plan_scenario N K: sets PLAN_N PLAN_K PLAN_NOFILE (hard limit to set, or "")
# and prints what it decided.  Returns 1 if the scenario must be skipped.
plan_scenario() {
	local n=$1 k=$2 reasons=() v cap
	PLAN_NOFILE=""
	local per_proc=$(( 11 * k + 8 ))

	# per-process fds (RLIMIT_NOFILE; the workload raises soft to hard itself)
	if [[ $NOFILE_HARD != unlimited && $NOFILE_HARD -lt $per_proc ]]; then
		# raising the hard limit needs CAP_SYS_RESOURCE (root usually has it): probe
		if ( ulimit -n "$per_proc" ) 2>/dev/null; then
			PLAN_NOFILE=$per_proc
			say "note: raising RLIMIT_NOFILE to $per_proc for the workload (hard limit is $NOFILE_HARD)"
		else
			v=$(( (NOFILE_HARD - 8) / 11 ))
			reasons+=("RLIMIT_NOFILE hard limit $NOFILE_HARD < $per_proc fds needed per process (K=$k) and it cannot be raised here (needs CAP_SYS_RESOURCE); K reduced to $v")
			k=$v
		fi
	fi
	(( k >= 1 )) || { say "SKIP: RLIMIT_NOFILE hard limit $NOFILE_HARD is too low for even K=1"; return 1; }
	per_proc=$(( 11 * k + 8 ))
	if [[ -n $MAP_COUNT_MAX && $(( k + 200 )) -gt $MAP_COUNT_MAX ]]; then
		v=$(( MAP_COUNT_MAX - 200 )); reasons+=("vm.max_map_count $MAP_COUNT_MAX too low; K reduced to $v"); k=$v
		(( k >= 1 )) || { say "SKIP: vm.max_map_count too low"; return 1; }
	fi

	local cap_n=$n
	local need_proc=$(( 11 * k + 4 ))   # fds held per worker (incl. stdio)
	# system-wide open files
	local used _x max
	read -r used _x max < /proc/sys/fs/file-nr
	cap=$(( (max - used - 20000) * 9 / 10 / need_proc ))
	if (( cap < cap_n )); then reasons+=("fs.file-max $max (in use: $used) allows only ~$cap workers"); cap_n=$cap; fi
	# pids / threads
	local threads; threads=$(count_threads)
	if [[ -n $PID_MAX ]]; then
		cap=$(( PID_MAX - threads - 500 ))
		if (( cap < cap_n )); then reasons+=("kernel.pid_max $PID_MAX (threads now: $threads) allows only ~$cap workers"); cap_n=$cap; fi
	fi
	if [[ -n $THREADS_MAX ]]; then
		cap=$(( THREADS_MAX - threads - 500 ))
		if (( cap < cap_n )); then reasons+=("kernel.threads-max $THREADS_MAX (threads now: $threads) allows only ~$cap workers"); cap_n=$cap; fi
	fi
	v=$(ulimit -u)
	if [[ $IS_ROOT -eq 0 && $v != unlimited ]]; then
		local mine=0
		command -v ps >/dev/null 2>&1 && mine=$(ps -L -U "$(id -u)" --no-headers 2>/dev/null | wc -l)
		cap=$(( v - mine - 50 ))
		if (( cap < cap_n )); then reasons+=("RLIMIT_NPROC $v (your threads now: $mine) allows only ~$cap workers"); cap_n=$cap; fi
	fi
	read -r max used <<< "$(cgroup_limit pids.max pids pids.max pids.current pids.current)"
	if [[ -n ${max:-} ]]; then
		cap=$(( max - used - 100 ))
		if (( cap < cap_n )); then reasons+=("cgroup pids.max $max (in use: $used) allows only ~$cap workers"); cap_n=$cap; fi
	fi
	# memory: ~0.5 MiB + 48 KiB per K per worker (measured ~0.36 MiB at K=10),
	# plus 1 GiB headroom for the measured tools
	local per_kib=$(( 512 + 48 * k )) avail
	avail=$(meminfo_kib MemAvailable)
	cap=$(( (avail - 1048576) / per_kib ))
	if (( cap < cap_n )); then reasons+=("MemAvailable $(( avail / 1024 )) MiB allows only ~$cap workers (estimate $per_kib KiB each + 1 GiB headroom)"); cap_n=$cap; fi
	read -r max used <<< "$(cgroup_limit memory.max memory memory.limit_in_bytes memory.usage_in_bytes memory.current)"
	if [[ -n ${max:-} ]]; then
		cap=$(( ((max - used) / 1024 - 1048576) / per_kib ))
		if (( cap < cap_n )); then reasons+=("cgroup memory limit $(( max / 1048576 )) MiB allows only ~$cap workers"); cap_n=$cap; fi
	fi
	# /dev/shm space and inodes (2 segments of 4 KiB per K per worker)
	local shm_kib shm_ino
	shm_kib=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [[ $shm_kib =~ ^[0-9]+$ ]]; then
		cap=$(( (shm_kib - 1024) / (8 * k) ))
		if (( cap < cap_n )); then reasons+=("/dev/shm has $shm_kib KiB free: room for ~$cap workers"); cap_n=$cap; fi
	fi
	shm_ino=$(df -Pi /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [[ $shm_ino =~ ^[0-9]+$ ]]; then
		cap=$(( (shm_ino - 100) / (2 * k) ))
		if (( cap < cap_n )); then reasons+=("/dev/shm has $shm_ino free inodes: room for ~$cap workers"); cap_n=$cap; fi
	fi
	v=$(df -Pi "$SCRATCH" 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [[ $v =~ ^[0-9]+$ && $v -gt 0 ]]; then  # some filesystems report 0 = unlimited
		cap=$(( (v - 100) / (2 * k) ))
		if (( cap < cap_n )); then reasons+=("/tmp has $v free inodes: room for ~$cap workers"); cap_n=$cap; fi
	fi

	PLAN_N=$cap_n
	PLAN_K=$k
	if ((${#reasons[@]})); then
		say "LIMITS: scenario ${1}x${2} cannot run at full size on this machine:"
		local r; for r in "${reasons[@]}"; do say "  - $r"; done
		if (( PLAN_N < 1 )); then say "SKIP: not even one worker fits"; return 1; fi
		if [[ $SCALE != 1 ]]; then say "SKIP: BENCH_SCALE=0, not scaling"; return 1; fi
		say "SCALED: running ${PLAN_N}x${PLAN_K} instead of ${1}x${2}"
	else
		say "limits: OK for ${n}x${k} (needs $(( n + 1 )) processes, ~$(( n * need_proc )) fds, ~$(( n * per_kib / 1024 )) MiB, $(( 2 * n * k )) shm segments)"
	fi
	return 0
}

# ---------------------------------------------------------------- reporting
fmt_us() { awk -v u="$1" 'BEGIN { printf "%.4f", u / 1e6 }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A MED_WALL MED_CPU MED_RSS STATUS
summarize() { # results file
	local res=$1 name n ok fails codes
	for name in "${CMD_NAMES[@]}"; do
		MED_WALL[$name]=""; MED_CPU[$name]=""; MED_RSS[$name]=""
		if [[ -n ${SKIP[$name]:-} ]]; then STATUS[$name]="skipped"; continue; fi
		n=$(awk -v c="$name" '$1 == c' "$res" | wc -l)
		ok=$(awk -v c="$name" '$1 == c && $3 == 0' "$res" | wc -l)
		fails=$(( n - ok ))
		if (( n == 0 )); then STATUS[$name]="not run"; continue; fi
		if (( fails > 0 )); then
			codes=$(awk -v c="$name" '$1 == c && $3 != 0 { print $3 }' "$res" | sort -u | tr '\n' ' ')
			STATUS[$name]="failed ($fails/$n runs; exit status ${codes% })"
			continue
		fi
		STATUS[$name]="ok"
		MED_WALL[$name]=$(awk -v c="$name" '$1 == c { print $4 }' "$res" | median)
		MED_CPU[$name]=$(awk -v c="$name" '$1 == c && $5 != "-" { print $5 }' "$res" | median)
		MED_RSS[$name]=$(awk -v c="$name" '$1 == c && $6 != "-" { print $6 }' "$res" | median)
	done
}

ratio() { # a b -> a/b or n/a
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

print_table() {
	local name w c r
	printf '%-38s %14s %14s %22s\n' "command" "median wall(s)" "median CPU(s)" "median peak RSS(MiB)"
	for name in "${CMD_NAMES[@]}"; do
		if [[ ${STATUS[$name]} != ok ]]; then
			local why=${STATUS[$name]}
			if [[ $why == skipped && ($name == bpf-* || $name == proc-*) && -n $IPCSCOPE_PROBLEM ]]; then
				why="failed (${SKIP[$name]})"
			elif [[ $why == skipped ]]; then
				why="skipped (${SKIP[$name]})"
			fi
			printf '%-38s %s\n' "${CMD_LABEL[$name]}" "$why"
			continue
		fi
		w=$(fmt_us "${MED_WALL[$name]}")
		c=${MED_CPU[$name]:-n/a}; [[ $c != n/a ]] && c=$(awk -v x="$c" 'BEGIN { printf "%.3f", x }')
		r=${MED_RSS[$name]:-}; [[ -n $r ]] && r=$(awk -v x="$r" 'BEGIN { printf "%.1f", x / 1024 }') || r="n/a"
		printf '%-38s %14s %14s %22s\n' "${CMD_LABEL[$name]}" "$w" "$c" "$r"
	done
}

print_ratios() {
	local pair a b rlabel
	printf 'ratios (median wall / median CPU / median peak RSS):\n'
	for pair in "bpf-list floor json(bpf)/floor" "bpf-list lsfd json(bpf)/lsfd-J" \
		"bpf-table lsfd-table table(bpf)/lsfd" "bpf-unix ss unix(bpf)/ss" \
		"bpf-list lsof json(bpf)/lsof" "bpf-list proc-list json(bpf)/json(proc)" \
		"proc-list floor json(proc)/floor" "proc-list lsfd json(proc)/lsfd-J" \
		"proc-table lsfd-table table(proc)/lsfd" "proc-unix ss unix(proc)/ss" \
		${BASELINE:+"proc-list baseline-list list(proc)/baseline" "proc-unix baseline-unix unix(proc)/baseline"}; do
		read -r a b rlabel <<< "$pair"
		if [[ ${STATUS[$a]} != ok ]]; then
			printf '  %-22s n/a (%s failed)\n' "$rlabel" "${CMD_LABEL[$a]}"
		elif [[ ${STATUS[$b]} != ok ]]; then
			printf '  %-22s n/a (%s %s)\n' "$rlabel" "${CMD_LABEL[$b]}" "${STATUS[$b]}"
		else
			printf '  %-22s %s / %s / %s\n' "$rlabel" \
				"$(ratio "${MED_WALL[$a]}" "${MED_WALL[$b]}")" \
				"$(ratio "${MED_CPU[$a]}" "${MED_CPU[$b]}")" \
				"$(ratio "${MED_RSS[$a]}" "${MED_RSS[$b]}")"
		fi
	done
}

# ---------------------------------------------------------------- scenarios
OVERALL_RC=0
for scen in $SCENARIOS; do
	N=${scen%x*}; K=${scen#*x}
	say ""
	say "=== scenario ${N}x${K}: $N processes x $K of every IPC kind ==="
	if ! plan_scenario "$N" "$K"; then OVERALL_RC=1; continue; fi
	RN=$PLAN_N; RK=$PLAN_K
	label="${RN}x${RK}"

	wl_out="$SCRATCH/workload.out"; wl_err="$SCRATCH/workload.err"
	: > "$wl_out"; : > "$wl_err"
	t0=$(now_us)
	(
		if [[ -n $PLAN_NOFILE ]]; then ulimit -n "$PLAN_NOFILE" || exit 1; fi
		exec "$WORKLOAD" "$RN" "$RK" "$SCRATCH"
	) </dev/null >"$wl_out" 2>"$wl_err" &
	WL_PID=$!
	ready=""
	while :; do
		ready=$(grep -m 1 '^READY ' "$wl_out" 2>/dev/null)
		[[ -n $ready ]] && break
		if ! alive "$WL_PID"; then break; fi
		if (( $(now_us) - t0 > READY_TIMEOUT * 1000000 )); then
			warn "workload not ready after ${READY_TIMEOUT}s"; break
		fi
		sleep 0.05
	done
	if [[ -z $ready ]]; then
		say "FAILED: the workload did not become ready:"
		sed 's/^/  /' "$wl_err"
		stop_workload || OVERALL_RC=1
		OVERALL_RC=1
		continue
	fi
	WL_CHILDREN=$(children_of "$WL_PID" | tr '\n' ' ')
	ready_s=$(fmt_us $(( $(now_us) - t0 )))
	wl_procs=$(sed -n 's/.*total_processes=\([0-9]*\).*/\1/p' <<< "$ready")
	wl_fds=$(sed -n 's/.*total_fds=\([0-9]*\).*/\1/p' <<< "$ready")
	sys_procs=$(count_procs)
	sys_fds=$(count_fds)
	say "workload ready in ${ready_s}s: ${ready#READY }"

	res="$SCRATCH/results.$label"; : > "$res"
	wl_died=0
	for ((rep = 1; rep <= REPS; rep++)); do
		if ! alive "$WL_PID"; then wl_died=1; break; fi
		for name in $(round_order "$rep"); do
			[[ -n ${SKIP[$name]:-} ]] && continue
			run_cmd "$name"
			printf '%s %d %d %d %s %s\n' "$name" "$rep" "$M_RC" "$M_WALL" "${M_CPU:--}" "${M_RSS:--}" >> "$res"
			if [[ $M_RC -ne 0 && ! -e "$SCRATCH/reported.$label.$name" ]]; then
				: > "$SCRATCH/reported.$label.$name"
				warn "${CMD_LABEL[$name]} exited with status $M_RC (rep $rep); stderr:"
				tail -n 5 "$SCRATCH/err.$name" | sed 's/^/  /' >&2
			fi
		done
	done
	alive "$WL_PID" || wl_died=1
	if [[ $wl_died -eq 1 ]]; then
		warn "the workload died during the measurements; the results below are NOT valid"
		sed 's/^/  /' "$wl_err" >&2
		OVERALL_RC=1
	fi
	floor_line=$(grep -m 1 '^floor: procs=' "$SCRATCH/err.floor" 2>/dev/null)
	sys_procs_after=$(count_procs)

	summarize "$res"
	say ""
	[[ $wl_died -eq 1 ]] && say "WARNING: the workload died during the runs (after $((rep - 1)) complete repetitions); these results are NOT valid"
	say "results ${label} ($((rep - 1)) interleaved repetitions; workload: $wl_procs processes, $wl_fds fds):"
	print_table
	print_ratios
	say "machine during run: $sys_procs processes, $sys_fds fds (/proc/*/fd entries) before the runs; $sys_procs_after processes after"
	[[ -n $floor_line ]] && say "floor saw: ${floor_line#floor: }  (readable fds only)"
	if [[ -n $RAW ]]; then
		[[ -s $RAW ]] || echo "scenario,command,rep,exit_status,wall_s,cpu_s,peak_rss_kib" >> "$RAW"
		awk -v s="$label" '{ printf "%s,%s,%s,%s,%.6f,%s,%s\n", s, $1, $2, $3, $4 / 1e6, $5, $6 }' "$res" >> "$RAW"
	fi
	[[ ${STATUS[proc-list]} == ok && ${STATUS[proc-unix]} == ok ]] || OVERALL_RC=1
	for n in bpf-list bpf-table bpf-unix; do
		[[ ${STATUS[$n]} == ok || -n ${SKIP[$n]:-} ]] || OVERALL_RC=1
	done
	stop_workload || OVERALL_RC=1
done

say ""
say "done."
exit "$OVERALL_RC"
