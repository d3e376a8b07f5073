#!/usr/bin/env bash
# Keeps hostile-named neighbours alive until it is stopped, to run the whole
# suite next to them (the suite must pass whatever else runs on the machine):
#
#   tests/helpers/hostile-neighbours.sh DIR &
#   make check
#   kill "$(cat DIR/pid)"
#
# The same objects as start_hostile_neighbours (helpers/neighbours.bash):
# sockets and a FIFO below DIR, shm, a semaphore and an abstract socket
# named ipcscope-neighbour-PID-..., and a process with a hostile comm. On
# SIGTERM, SIGINT or SIGHUP it stops them, and mkipc removes what it made.
# Should it die without cleaning up, they stop anyway: their stdin is a
# FIFO that only this script holds open for writing, and mkipc ends at EOF.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MKIPC=${MKIPC:-$here/mkipc}
dir=${1:?usage: hostile-neighbours.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# shellcheck source-path=SCRIPTDIR source=neighbours.bash
. "$here/neighbours.bash"
prefix=ipcscope-neighbour-$$
rm -f "$dir/.hold"
mkfifo "$dir/.hold"
exec 7<>"$dir/.hold"

pids=()
stop() {
	trap - EXIT TERM INT HUP
	local p rc=$1
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -f "$dir/.hold" "$dir/pid"
	exit "$rc"
}
trap 'stop $?' EXIT
trap 'stop 0' TERM INT HUP

# start N FACTORY KEY=VALUE...: one mkipc, waited for until READY
start() {
	local n=$1 i
	shift
	"$MKIPC" "$@" >"$dir/$n.out" 2>"$dir/$n.err" <"$dir/.hold" 7>&- &
	pids+=($!)
	for ((i = 0; i < 200; i++)); do
		grep -qx READY "$dir/$n.out" && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "hostile-neighbours.sh: mkipc $1 did not start: $(cat "$dir/$n.err")" >&2
	exit 1
}

start listen listener path="$dir/l$HOSTILE.sock"
start dgram dgram path="$dir/d$HOSTILE.sock"
start abstract abstract name="$prefix-a$HOSTILE\\x00."
start fifo fifo path="$dir/f$HOSTILE"
start shm shm-fd name="$prefix-s$HOSTILE"
start map shm-mapped name="$prefix-m$HOSTILE"
start sem sem name="$prefix-e$HOSTILE"
start comm comm value="$HOSTILE_COMM"
echo $$ >"$dir/pid"
echo "hostile-neighbours.sh: running as $$ (mkipc: ${pids[*]})" >&2
# nobody writes to the FIFO: read blocks until a signal runs stop
while :; do
	read -r -u 7 _ || true
done
