/* Namespaces other than ours: where a container's /dev/shm, mqueue
 * filesystem and SysV segments are, and how to reach them from here. */
#ifndef IPCSCOPE_NS_H
#define IPCSCOPE_NS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"
#include "collect/mounts.h"
#include "util.h"

struct scan_ctx;

/* Learns every namespace of the processes in the model, lists the other
 * mount namespaces' /dev/shm and mqueue directories and the other IPC
 * namespaces' SysV segments, and tells the classifier their devices.
 * Runs after the process list and before the walk. */
void ns_discover(struct model *m, struct scan_ctx *c);
void ns_free(struct scan_ctx *c);
/* Hands the link step what it needs of the namespaces found
 * (model.places). */
void ns_publish(struct model *m, struct scan_ctx *c);
/* Each namespace's home, given to fn (a process may come more than once). */
void ns_each_home(const struct scan_ctx *c, void (*fn)(void *arg, struct ipc_proc *home),
		  void *arg);
/* The network namespaces that a bind mount keeps (ip netns add), each
 * with the process through whose root its mount is reached: fn is called
 * for each one not in skip. */
void ns_each_netns_mount(const struct scan_ctx *c,
			 void (*fn)(void *arg, uint64_t ino, struct ipc_proc *home,
				    const char *point), void *arg);
/* The mqueue directory of the filesystem on dev, as its namespace names
 * it; NULL when it is not another namespace's. */
const char *ns_mq_dir(const struct scan_ctx *c, dev_t dev);

/* The root directory of home's mount namespace (O_PATH), after checking
 * that home is still the process the scan saw. An fd or -errno. */
int ns_open_root(struct ipc_proc *home);
/* openat2 below that root: no symlink, no magic link, ".." stays inside.
 * path may start with '/'. An fd or -errno. */
int ns_openat_root(int rootfd, const char *path, int flags);
/* Runs fn(arg) on a thread that has entered the IPC namespace ipcns
 * through home, and returns what fn returned; -errno when the namespace
 * could not be entered (EPERM without CAP_SYS_ADMIN; ESRCH when home is
 * gone or in another namespace now). */
int ns_in_ipcns(struct ipc_proc *home, uint64_t ipcns, int (*fn)(void *arg), void *arg);

#endif
