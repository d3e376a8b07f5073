/* Process facts: pid, comm, user, start time. The only user of libproc2. */
#ifndef IPCSCOPE_PROC_H
#define IPCSCOPE_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* Adds every user-space process to the model. 0, or -errno when /proc
 * itself cannot be read. */
int proc_collect(struct model *m);

/* Opens /proc/PID as a directory and checks, by start time, that it is
 * still the process proc_collect() saw. A dirfd, or -errno: -ESRCH when the
 * process exited or its pid now belongs to another one. Also takes the
 * exact comm bytes from stat. When the leader has exited while other
 * threads live (its fd, maps and ns/ entries are then empty), the dirfd is
 * a live thread's /proc/PID/task/TID, and p->via_tid that thread. */
int proc_open(struct ipc_proc *p);
/* The same, without refreshing p's facts: for readers after the walk. */
int proc_open_view(const struct ipc_proc *p);
/* The process's task/ directory, from a dirfd proc_open gave for p. */
int proc_open_tasks(int piddir, const struct ipc_proc *p);
/* The inode of /proc/PID/ns/WHICH, through a live thread when the leader
 * has exited; 0 if unknown. Checks no start time. */
uint64_t proc_ns_ino(pid_t pid, const char *which);

/* Is the task of a dirfd proc_open gave still alive? A thread read for an
 * exited leader that exits itself leaves fd/ and maps reading empty. */
bool proc_task_alive(int piddir);
/* Do threads a and b share one fd table? kcmp(KCMP_FILES) compares the
 * kernel's pointers; false where it fails (CONFIG_KCMP off, a thread gone),
 * which costs a walk of the same table again, never a missed one. */
bool proc_same_files(pid_t a, pid_t b);
/* Do the pids /proc shows name the same processes to the calls that take
 * a pid (pidfd_open, process_vm_readv, kcmp)? Not when ipcscope runs in a
 * pid namespace below the one its /proc was mounted for (unshare --pid
 * without --mount-proc): there, /proc's 5 is another process or none. */
bool proc_pids_ours(void);

/* The network namespace inode of the process behind piddir; 0 if unknown. */
uint64_t proc_netns(int piddir);
uint64_t proc_ipcns(int piddir);

/* What a /proc/PID/stat line says that the scan uses. */
struct proc_stat {
	char state;		/* R, S, D, T, Z, ... */
	uint32_t threads;
	unsigned long long start;	/* clock ticks after boot */
};
int proc_parse_stat(const char *buf, size_t len, struct proc_stat *st);
/* Parses the start time (field 22) out of a /proc/PID/stat line. */
int proc_parse_stat_start(const char *buf, size_t len, unsigned long long *start);


#endif
