# A container made with unshare, as a runtime makes one: its own IPC,
# mount, network, UTS and pid namespaces, a private tmpfs on /dev/shm, an mqueue
# filesystem of its own IPC namespace, and a cgroup v2 directory named like
# a docker scope. Everything it holds dies with it.
#
# ctr_start            starts it; sets CTR_PID (its init, host pid),
#                      CTR_MQ (where its mqueue fs is mounted), CTR_MNTNS,
#                      CTR_IPCNS, and, when a cgroup v2 hierarchy is
#                      writable, CTR_CGROUP (its path) and CTR_ID (the
#                      12-digit short id)
# MK_PREFIX=("${CTR_IN[@]}")  runs mkipc in its mount, IPC and network
#                      namespaces (in ours for pids, so the pids mkipc
#                      prints are host pids); ctr_join NAME puts NAME's
#                      mkipc into the container's cgroup
# CTR_ALL=(...)        runs a command wholly inside it, its pid namespace
#                      too: the pids it prints and reads are the container's
# ctr_stop             kills it and removes its cgroup (teardown calls it)

CTR_UNSHARE=""
CTR_CG_DIRS=()

# The cgroup v2 mount point, from mountinfo (a hybrid host has it at
# /sys/fs/cgroup/unified); empty when there is none.
cgroup2_root() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | head -n 1
}

ctr_start() {
	requires_root "to make namespaces and mount a tmpfs"
	command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
	command -v nsenter >/dev/null || skip "nsenter (util-linux) is not installed"
	CTR_MQ="$T/ctr-mqueue"
	mkdir -p "$CTR_MQ"
	# --kill-child: SIGKILL to unshare ends the container too
	unshare --ipc --mount --net --uts --pid --fork --mount-proc --kill-child --propagation private \
		sh -c 'mount -t tmpfs -o size=4m,mode=1777 ipcscope-test /dev/shm &&
			mount -t mqueue ipcscope-test "$1" && echo ready >"$2" && exec sleep 100000' \
		sh "$CTR_MQ" "$T/ctr.ready" </dev/null >/dev/null 2>"$T/ctr.err" 3>&- &
	CTR_UNSHARE=$!
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$T/ctr.ready" ] && break
		kill -0 "$CTR_UNSHARE" 2>/dev/null || fail "the container did not start: $(cat "$T/ctr.err")"
		sleep 0.05
	done
	[ -s "$T/ctr.ready" ] || fail "the container did not start"
	CTR_PID=$(pgrep -P "$CTR_UNSHARE" | head -n 1)
	[ -n "$CTR_PID" ] || fail "no container init below unshare $CTR_UNSHARE"
	CTR_MNTNS=$(stat -Lc %i "/proc/$CTR_PID/ns/mnt")
	CTR_IPCNS=$(stat -Lc %i "/proc/$CTR_PID/ns/ipc")
	# -r -w: the container's root and cwd, which a chroot this test may run in
	# shares, not the root of the mount namespace setns would leave us at
	CTR_IN=(nsenter -t "$CTR_PID" -m -i -n -r -w)
	CTR_ALL=(nsenter -t "$CTR_PID" -m -i -n -u -p -r -w)
	ctr_cgroup
}

# A docker-like scope for the container, when cgroup v2 is writable here.
ctr_cgroup() {
	local root id
	CTR_CGROUP="" CTR_ID=""
	root=$(cgroup2_root)
	[ -n "$root" ] && [ -w "$root" ] || return 0
	id=$(printf '%s' "ipcscope-test-$$-$BATS_TEST_NUMBER" | sha256sum | cut -c1-64)
	mkdir "$root/ipcscope-test-$$.slice" 2>/dev/null || true
	CTR_CG_DIRS=("$root/ipcscope-test-$$.slice/docker-$id.scope" "$root/ipcscope-test-$$.slice")
	mkdir "${CTR_CG_DIRS[0]}" || { CTR_CG_DIRS=(); return 0; }
	# unshare too: it unshared its own mount and IPC namespaces before it
	# forked the init, so it is the first process of the container's
	# namespaces, their home, which names the container by its cgroup
	echo "$CTR_UNSHARE" >"${CTR_CG_DIRS[0]}/cgroup.procs" || return 0
	echo "$CTR_PID" >"${CTR_CG_DIRS[0]}/cgroup.procs" || return 0
	CTR_CGROUP="/ipcscope-test-$$.slice/docker-$id.scope"
	CTR_ID=${id:0:12}
}

# ctr_join NAME: mkipc instance NAME (and its children) into the container's cgroup
ctr_join() {
	[ -n "$CTR_CGROUP" ] || return 0
	local pidvar="${1}_pid" kids="${1}_child_pid" p
	for p in ${!pidvar} ${!kids:-}; do
		echo "$p" >"${CTR_CG_DIRS[0]}/cgroup.procs"
	done
}

requires_container_cgroup() {
	[ -n "$CTR_CGROUP" ] || skip "no writable cgroup v2 hierarchy here for a docker-like scope"
}

ctr_stop() {
	[ -n "$CTR_UNSHARE" ] || return 0
	kill -KILL "$CTR_UNSHARE" 2>/dev/null || true
	wait "$CTR_UNSHARE" 2>/dev/null || true
	CTR_UNSHARE=""
	local d i
	for d in "${CTR_CG_DIRS[@]}"; do
		# a cgroup empties a moment after its last process is reaped
		for ((i = 0; i < 100; i++)); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.05
		done
	done
	CTR_CG_DIRS=()
}
