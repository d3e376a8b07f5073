/* The bpf backend: the fd and mapping walks done by kernel iterators
 * (collect/bpf/iter.bpf.c) instead of one /proc read per fd. What they
 * find goes through the same recording code as the /proc walk (fd_take,
 * maps_take), so both backends build the same model. */
#ifndef IPCSCOPE_BPFSCAN_H
#define IPCSCOPE_BPFSCAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "collect/collect.h"

struct bpfscan;

/* Was this binary built with the bpf backend? */
bool bpfscan_built(void);

/* Starts loading the programs on a thread of its own, so that the load
 * overlaps the listings and the process list. NULL when not built in. */
struct bpfscan *bpfscan_start(const struct kind_devs *devs);

/* Waits for the load. 0, or -errno and *why: one sentence saying what
 * refused it (no BTF, not privileged, lockdown, an old kernel). */
int bpfscan_ready(struct bpfscan *b, const char **why);

/* Walks the fds and mappings of the processes of m that takes(arg, pid)
 * accepts, into c's batch, and reads what the walk needs from /proc for
 * them (the pid check, waits, cgroups). 0, or -errno with nothing
 * recorded: the caller then walks /proc instead. */
int bpfscan_walk(struct bpfscan *b, struct model *m, struct scan_ctx *c,
		 bool (*takes)(const void *arg, pid_t pid), const void *arg,
		 const char **why);

void bpfscan_free(struct bpfscan *b);

#endif
