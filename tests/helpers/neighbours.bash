# Hostile neighbours: processes and objects whose names hold what a name may
# hold, for tests that look at the whole machine and must pass whatever else
# runs there. Load after helpers/common.

# The hostile part of every name, in mkipc's escapes: ESC and a color
# sequence, a space, a newline, a tab, a control byte, a byte that is not
# UTF-8, both quotes and a backslash.
HOSTILE='\e[1m \n\t\x01\xff"'"'"'\\'
# the same in a comm, which the kernel cuts at 15 bytes: these are 13
HOSTILE_COMM='\e[1m\n\t\x01\xff"'"'"'\\ x'

# start_hostile_neighbours: starts, with mk, a UNIX listener with one
# connection, a datagram socket pair and a FIFO below $T, an abstract socket
# (with a NUL byte as well), a POSIX shm segment held by fd and one mapped, a
# semaphore, all named with $HOSTILE, and a process whose comm is hostile
# (it holds a pipe). Everything is removed by common_teardown.
start_hostile_neighbours() {
	mk hn_listen listener path="$T/l$HOSTILE.sock"
	mk hn_dgram dgram path="$T/d$HOSTILE.sock"
	mk hn_abstract abstract name="$SHM_PREFIX-a$HOSTILE\\x00."
	mk hn_fifo fifo path="$T/f$HOSTILE"
	mk hn_shm shm-fd name="$SHM_PREFIX-s$HOSTILE"
	mk hn_map shm-mapped name="$SHM_PREFIX-m$HOSTILE"
	mk hn_sem sem name="$SHM_PREFIX-e$HOSTILE"
	mk hn_comm comm value="$HOSTILE_COMM"
}
