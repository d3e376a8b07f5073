/* Namespaces other than ours: where a container's /dev/shm, mqueue
 * filesystem and SysV segments are, and how to reach them from here. */
#ifndef IPCSCOPE_NS_H
#define IPCSCOPE_NS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model.h"
#include "util.h"

struct scan_ctx;

/* What a mount namespace's mountinfo says of its IPC filesystems. */
struct ns_mounts {
	bool has_shm;		/* something is mounted on /dev/shm */
	dev_t shm_dev;
	bool has_mq;		/* an mqueue filesystem is mounted */
	dev_t mq_dev;
	struct buf mq_dir;	/* where: "/dev/mqueue" */
};

/* Parses /proc/PID/mountinfo text: the mount on /dev/shm (the last one,
 * which hides those below it) and the first mqueue mount. 0, or -1 when
 * no line is a mountinfo line. */
int ns_parse_mountinfo(const char *buf, size_t len, struct ns_mounts *out);

/* Learns every namespace of the processes in the model, lists the other
 * mount namespaces' /dev/shm and mqueue directories and the other IPC
 * namespaces' SysV segments, and tells the classifier their devices.
 * Runs after the process list and before the walk. */
void ns_discover(struct model *m, struct scan_ctx *c);
/* After the walk: every object of another namespace gets its home. */
void ns_link(struct model *m, const struct scan_ctx *c);
void ns_free(struct scan_ctx *c);
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
