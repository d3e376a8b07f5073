/* Work that may wait on something another user controls (a lookup on a
 * filesystem of their namespace, which an overlay over a FUSE server can
 * stall), done in a child process, so that the scan waits for it only so
 * long. A thread would not do: a lookup that meets another process's
 * stalled lookup of the same name sleeps uninterruptibly, and a process
 * cannot exit while one of its threads sleeps so. */
#ifndef IPCSCOPE_BOUNDED_H
#define IPCSCOPE_BOUNDED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* All the waiting that calls below may do in one scan, together: another
 * user can make every one of them stall (a thousand openers behind one
 * FUSE server), so once this much time went to calls that did not answer,
 * the rest are not even tried and fail with -ETIMEDOUT at once. */
#define BOUNDED_BUDGET_MS 6000
/* A new scan's budget. */
void bounded_reset(void);
/* Whether the budget is spent: what is not tried is not known. */
bool bounded_spent(void);

/* Runs fn(arg, fd) in a forked child, which writes its results to fd, and
 * collects them into out for at most ms milliseconds. Returns 0 when the
 * child ended in time with status 0, -ETIMEDOUT when it did not (it is
 * sent SIGKILL and left behind), or fn's -errno (its exit status). The
 * child only calls fn and _exit: fn must touch nothing but its arg. */
int bounded_fork(int (*fn)(void *arg, int fd), void *arg, int ms, struct buf *out);

/* Reads len bytes at addr in process pid (process_vm_readv) on a thread
 * of its own, waiting at most ms: a page there may be another user's FUSE
 * file, whose server need never answer the fault. The wait in such a fault
 * is killable, so a thread left in it ends with the process. true when
 * all of it was read in time. */
bool bounded_read_mem(pid_t pid, uint64_t addr, void *out, size_t len, int ms);

#endif
