/* What a mount namespace's mountinfo says of its IPC filesystems, and
 * whether to trust them. Another user chooses what is mounted in a
 * namespace they made (unshare -Urm): a bind of /etc on /dev/shm, a FUSE
 * server that never answers, a host file bound over a queue. So what a
 * namespace calls its /dev/shm is listed only when the kernel's own words
 * (mountinfo, then statx and statfs on the opened directory) say it is a
 * whole tmpfs that is no ordinary mount of ours, and nothing is touched
 * before mountinfo has said so. */
#ifndef IPCSCOPE_MOUNTS_H
#define IPCSCOPE_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* One mount, as mountinfo gives it. */
struct mnt_fact {
	bool set;
	uint32_t id;		/* mountinfo's first field, statx's stx_mnt_id */
	dev_t dev;
	bool whole;		/* its root is the superblock's: not a bind of a part */
	char fstype[32];	/* truncated; longer names are never trusted */
};

/* A mount of a part of a filesystem somewhere (root is not "/"): when the
 * part is one file, the file is held by that mount, as by an fd. root is
 * its path inside its filesystem ("/NAME", "/tmp/x.fifo"). */
struct mnt_bind {
	dev_t dev;
	char *root;
};

/* A namespace kept alive by a bind mount of its nsfs file (ip netns add),
 * which no process need be in. */
struct mnt_nsfs {
	uint64_t ino;
	bool net;		/* net:[ino]; otherwise mnt:[ino] */
	char *point;		/* where it is mounted, for entering it */
};

/* Mounts of single files, and of namespaces, kept per namespace: another
 * user can make 100,000 of them. Past this many, n* is MNT_KEEP_MAX + 1
 * (the arrays hold MNT_KEEP_MAX), and what they would tell is unknown. */
#define MNT_KEEP_MAX 4096	/* in ns.c's binds_doubt text too */

struct ns_mounts {
	struct mnt_fact shm;	/* the top mount on /dev/shm */
	struct mnt_fact mq;	/* the first mqueue mount */
	struct buf mq_dir;	/* where: "/dev/mqueue" */
	/* the top mounts on / and /dev: the path to /dev/shm crosses them */
	struct mnt_fact root, dev;
	struct mnt_bind *binds;
	size_t nbinds;
	struct mnt_nsfs *nsfs;
	size_t nnsfs;
	size_t lines;		/* mountinfo lines understood */
};

/* Adds one mountinfo line's facts to out; false when it is no mountinfo
 * line. */
bool mounts_line(const char *p, size_t len, struct ns_mounts *out);
/* The same over a whole text (the fuzz target's entry). 0, or -1 when no
 * line is a mountinfo line. */
int ns_parse_mountinfo(const char *buf, size_t len, struct ns_mounts *out);
/* Reads dirfd/name ("mountinfo" below a /proc/PID directory) a line at a
 * time. 0 or -errno. */
int mounts_read_at(int dirfd, const char *name, struct ns_mounts *out);
void mounts_free(struct ns_mounts *mi);
/* Does dirfd/name (a process's "mountinfo") list a mount of dev, and of
 * which kind: *mq when it is an mqueue filesystem. 1 when listed, 0 when
 * not (a kernel-internal mount, a lazily unmounted one), or -errno. The
 * kernel writes the type; a FUSE server can only add ".SUBTYPE" to it. */
int mounts_dev_is_mqueue(int dirfd, const char *name, dev_t dev, bool *mq);

/* Our own namespace's tmpfs mounts, against which another namespace's
 * /dev/shm is judged. */
struct host_mounts {
	struct host_tmpfs {
		dev_t dev;
		bool shm_ok;	/* on /dev/shm, or a container runtime's shm */
		char *point;
	} *tmpfs;
	size_t ntmpfs;
	bool read;
};
int mounts_host_read(struct host_mounts *h);
void mounts_host_free(struct host_mounts *h);

/* Why a namespace's /dev/shm is not to be listed, or NULL when it is to
 * be. own: it is our own namespace's (judged on its own facts only). */
const char *mounts_shm_refusal(const struct ns_mounts *mi, const struct host_mounts *h,
			       bool own);
/* The same for its mqueue filesystem. */
const char *mounts_mq_refusal(const struct ns_mounts *mi);
/* Is a filesystem type one whose lookups never wait on another process
 * (no FUSE, no network filesystem)? */
bool mounts_fstype_local(const char *fstype);

#endif
