/* Shared state of one scan and the entry points of the collectors. Each
 * collector fills the model; none of them prints anything. */
#ifndef IPCSCOPE_COLLECT_H
#define IPCSCOPE_COLLECT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kinds/kind.h"
#include "model/model.h"
#include "collect/mounts.h"
#include "util.h"
#include "kinds/mqueue.h"

struct scan_ctx {
	unsigned types;		/* IPC_TYPE_BIT mask of what is wanted */
	bool rooted;		/* fixture tree: classify fds by link text */
	/* a collector dumped the other socket families (TCP, UDP) of every
	 * holder's network namespace: a socket of theirs that no dump
	 * described lives in a namespace none of its holders is in */
	bool families_dumped;

	/* Identities of the pseudo filesystems, learnt once per run; what
	 * the kinds recognise objects by. */
	struct kind_devs devs;
	uint64_t self_netns, self_ipcns, self_mntns;
	/* the namespaces other than ours (ns.c); NULL on a fixture tree */
	struct ns_table *ns;
	/* the bpf backend, when it walks the processes (bpfscan.c) */
	struct bpfscan *bpf;
	/* our namespace's sock_diag dump, read ahead (unix.c) */
	struct unix_prefetch *unix_pre;
	/* our own mountinfo's facts (mounts.h); NULL on a fixture tree, or
	 * when it could not be read */
	struct ns_mounts *self_mounts;
	const char *mqueue_dir;	/* where the mqueue fs is mounted, if it is */
	char *mqueue_found;	/* that place, when found in mountinfo */

	/* Where the walk of processes puts what it finds; each walker has its
	 * own, and the model is only read until they are merged. */
	struct scan_batch *batch;
	bool want_fill;		/* read pipe fill levels (they cost syscalls) */
	bool want_waits;	/* what each sleeping thread waits on */
	bool want_cgroup;	/* the holders' cgroups, read by the walk */
	bool want_binds;	/* every namespace's mounts of single files (leaks) */
	/* --pid, second pass: only add holders to objects marked wanted */
	bool only_wanted;
	bool skip_maps;		/* --pid, second pass: nothing wanted is mappable */

	/* the thread whose fd table is walked when it is not the leader's
	 * (a table of its own, or an exited leader's process); else 0 */
	pid_t fd_tid;
	/* the probes of the scan, which the walkers' batches hand over */
	struct scan_probes *probes;

	/* devices of regular files already asked whether they are an mqueue
	 * filesystem (fd.c): a queue held where none is mounted is on its
	 * IPC namespace's internal mount, which no listing finds */
	struct { dev_t dev; bool mq; } fstypes[64];
	unsigned nfstypes;	/* entries asked so far; past the room, they cycle */

	/* reusable buffers, so the hot loops do not allocate */
	struct buf file;
	struct buf text;
};

enum scan_backend { SCAN_BACKEND_AUTO, SCAN_BACKEND_PROC, SCAN_BACKEND_BPF };

struct scan_opts {
	unsigned types;
	enum scan_backend backend;
	bool want_fill;		/* JSON, show, or a QUEUED column */
	bool want_waits;
	bool waits_quiet;	/* unreadable threads: a note, not a warning */
	int threads;		/* 0: one per CPU */
	/* --pid: only these processes' objects, and their other holders */
	const pid_t *focus;
	size_t nfocus;
	const char *mqueue_dir;	/* --mqueue-dir, else found in mountinfo */
	bool mqueue_asked;	/* --type named mqueue: a missing fs is worth saying */
	bool search;		/* leaks: look for socket files and FIFOs on disk */
	const char *const *search_roots;
	size_t nsearch_roots;
	bool want_cgroup;	/* the holders' cgroup and container, not only the homes' */
};

/* The whole pipeline's collect and link stages. 0 or -errno (fatal):
 * -ENOTSUP when the bpf backend was asked for and cannot run, and
 * model.backend_why says why. */
int scan_run(struct model *m, const struct scan_opts *opts);

/* One fd or mapping found by a walker. The walkers never write to the
 * model: they fill batches, merged into it once the walk is over, so they
 * share no lock. */
struct scan_rec {
	dev_t dev;
	uint64_t ino;
	uint32_t proc;		/* index in model.procs */
	int32_t fd;		/* -1: a mapping */
	uint32_t extra;		/* index in the batch's extras, or SCAN_NO_EXTRA */
	uint8_t type;
	uint8_t mode;
};

#define SCAN_NO_EXTRA UINT32_MAX

/* What a walker learnt of an object the first time it met it, used when
 * the merge creates the object. */
struct scan_extra {
	uint64_t ns;		/* third part of the key (SysV) */
	uint64_t size;
	uint64_t resident;	/* tmpfs blocks in bytes, when has_resident */
	uint32_t name_off, name_len;	/* in the batch's names */
	uid_t owner;
	int32_t sysv_key;
	uint32_t queued, capacity;
	int fill_err;
	bool has_name, deleted, has_size, has_owner, sysv, fill_tried, has_fill;
	bool has_resident;
	/* a socket's file flags: O_NONBLOCK, from fdinfo or the iterator */
	bool has_flags, nonblock;
	/* a socket's family, when the iterator read it */
	bool has_family;
	uint16_t family;
	/* what the fd told of the object, which its kind takes (eventfd) */
	bool has_kf;
	struct kind_facts kf;
};

/* A thread's wait, before the merge: its object by identity. */
struct scan_wait {
	uint32_t proc;
	pid_t tid;
	const char *syscall;
	int32_t fd, via;
	dev_t dev;
	uint64_t ino;
	uint64_t ns;		/* the key's third part: an eventfd's id */
	/* a FIFO being opened: its path; a connect: the abstract name it
	 * connects to ("@...") */
	uint32_t path_off, path_len;
	uint8_t type, dir, cond;
	bool polled, alt;
	bool has_target;	/* a connect: the socket file it connects to */
	dev_t tdev;
	uint64_t tino;
};

struct scan_key {
	dev_t dev;
	uint64_t ino, ns;
};

/* A look through a duplicate of a holder's fd (pidfd_getfd), which a
 * walker only records: they are all done after the walk, in one child the
 * scan waits for only so long (fd_probes_run). */
enum { PROBE_FILL = 1, PROBE_MQ };
struct scan_probe {
	dev_t dev;		/* the object the walk saw at fd */
	uint64_t ino;
	pid_t tid;		/* the pid, or the thread whose table it is */
	int32_t fd;
	uint8_t what;		/* PROBE_* */
	bool thread;		/* tid's own table: a PIDFD_THREAD pidfd */
};

/* The probes of a whole scan, gathered from the walkers' batches. */
struct scan_probes {
	struct scan_probe *v;
	size_t n, cap;
};

struct scan_batch {
	struct scan_rec *recs;
	size_t nrecs, caprecs;
	struct scan_extra *extras;
	size_t nextras, capextras;
	struct buf names;
	struct scan_wait *waits;
	size_t nwaits, capwaits;
	/* objects this walker has already described in an extra */
	struct scan_key *seen;
	size_t nseen, capseen;
	/* kept until taken (fd_probes_take): merges do not clear them */
	struct scan_probe *probes;
	size_t nprobes, capprobes;
};

/* batch.c */
void batch_free(struct scan_batch *b);
/* Moves a batch's records into the model, and frees the batch. */
void batch_merge(struct model *m, struct scan_batch *b);
/* The same, leaving the batch empty but with its memory, for a walker
 * that merges process by process (the bpf backend's). */
void batch_merge_keep(struct model *m, struct scan_batch *b);
/* Has this walker described the object already? */
bool batch_seen(const struct scan_batch *b, dev_t dev, uint64_t ino, uint64_t ns);
void batch_mark(struct scan_batch *b, dev_t dev, uint64_t ino, uint64_t ns);
/* A new, zeroed extra; *idx is its index for scan_rec.extra. */
struct scan_extra *batch_extra(struct scan_batch *b, uint32_t *idx);
void batch_add(struct scan_batch *b, enum ipc_type type, dev_t dev, uint64_t ino,
	       const struct ipc_proc *p, int fd, uint8_t mode, uint32_t extra);

/* fd.c */
void fd_probe(struct scan_ctx *c);
int fd_scan(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir);
/* The fd tables of p's threads other than the one fd_scan walked (after
 * unshare(CLONE_FILES)): their fds are p's holders too. A table that the
 * same fd number opens the same object in merges into one holder entry.
 * 0, or -EACCES when some fd could not be looked at. */
int fd_scan_threads(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		    int piddir);
int fd_parse_fdinfo(const char *buf, size_t len, int *mode, uint64_t *ino);
/* What fdinfo tells of an fd's object (eventfd-count, -id, -semaphore),
 * parsed once into f->kf; exposed for the fuzzers. */
void fd_fdinfo_facts(const char *buf, size_t len, struct fd_facts *f);
/* Moves a batch's probes into c->probes (on the scan's thread). */
void fd_probes_take(struct scan_ctx *c, struct scan_batch *b);
/* Runs the scan's probes in one bounded child and applies what they read
 * to the model's pipes and queues; what was not read in time is unknown,
 * with a warning. Nothing when there are none. */
void fd_probes_run(struct model *m, struct scan_ctx *c);
/* Names an object (dev, ino) first seen through a process into e: text is
 * the fd link or the decoded maps path; deletion is decided by identity,
 * not by the suffix. May refine *type (shm to sem). */
void fd_name(struct scan_ctx *c, int piddir, enum ipc_type *type, dev_t dev,
	     uint64_t ino, const char *text, size_t len, struct scan_extra *e);

/* Records one fd of p, as fd_scan would, from what the bpf backend read
 * in the kernel: the facts a stat, the link, fdinfo, a duplicate of the fd
 * and ns/net would give. piddir (or -1) is read only for what the kernel
 * side did not give. */
void fd_take(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
	     int fdnum, const struct fd_facts *g);

/* waits.c: the threads of p, after its fds were walked (their records
 * start at first_rec in the batch). */
void waits_scan(struct scan_ctx *c, struct ipc_proc *p, int piddir, size_t first_rec);
/* /proc/PID/task/TID/syscall: 0 with the call, 1 when in none, -1. */
int waits_parse_syscall(const char *buf, size_t len, long *nr, uint64_t args[6]);

/* maps.c */
struct maps_line {
	const char *range;	/* "start-end", for map_files */
	size_t rangelen;
	uint64_t start, end;
	bool read, write, shared;
	dev_t dev;
	uint64_t ino;
	const char *path;	/* decoded into the caller's buffer */
	size_t pathlen;
};
int maps_parse_line(const char *line, size_t len, struct maps_line *ml,
		    struct buf *pathbuf);
int maps_scan(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir);
/* Records one mapping as maps_scan would, from what the bpf backend read
 * in the kernel (its name only for a pseudo file); piddir (or -1) only to
 * name a file the kernel side could not. */
void maps_take(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
	       const struct map_facts *g);

/* shm.c */
/* Our own /dev/shm, when our mountinfo vouches for it. */
int shm_scan_dir(struct model *m, struct scan_ctx *c);

/* A /dev/shm or mqueue directory, opened and checked to be the mount
 * that mountinfo named: its files must be on it. */
struct ipc_dir {
	int dfd;
	dev_t dev;
	uint32_t mnt_id;	/* 0: unknown (statx without STATX_MNT_ID) */
	bool mqueue;
	bool rooted;		/* a fixture tree's directory: nothing is checked */
};
/* Checks dfd: the mount want names (its device and mount id; NULL: any),
 * and a tmpfs or an mqueue filesystem by statfs. 0 or -errno. */
int ipcdir_check(int dfd, bool mqueue, const struct mnt_fact *want, struct ipc_dir *d);
/* Each file of the directory, with a queue's state (mq NULL for /dev/shm).
 * Touches nothing but the directory: safe on a thread of its own. */
typedef void (*ipcdir_fn)(void *arg, const char *name, const struct stat *st,
			  const struct ipc_mq *mq);
int ipcdir_list(const struct ipc_dir *d, ipcdir_fn fn, void *arg);
/* Records one listed file as an object named prefix/NAME; home: the
 * process of another mount namespace it was reached through, or NULL. */
void ipcdir_add(struct model *m, struct scan_ctx *c, const char *prefix, struct ipc_proc *home,
		const char *name, const struct stat *st, const struct ipc_mq *mq);

struct sysv_entry {
	int32_t key, shmid;
	uint32_t perms;
	uint64_t size, nattch, rss, swap;
	uint32_t cpid, lpid, uid, gid, cuid, cgid;
	int64_t atime, dtime, ctime;
};
typedef void (*sysv_entry_fn)(void *arg, const struct sysv_entry *e);
/* /proc/sysvipc/shm; the number of entries, or -1 if it is not that file. */
int shm_parse_sysvipc(const char *buf, size_t len, sysv_entry_fn fn, void *arg);
int shm_scan_sysv(struct model *m, struct scan_ctx *c);
/* Adds the segments of /proc/sysvipc/shm text read in IPC namespace ns. */
int shm_apply_sysv(struct model *m, struct scan_ctx *c, const struct buf *text,
		   uint64_t ns, struct ipc_proc *home);

/* A queue file's "QSIZE:... NOTIFY:... SIGNO:... NOTIFY_PID:..." */
int mq_parse_info(const char *buf, size_t len, struct ipc_mq *mq);
/* What mq_getattr says of the queue open at fd, which touches no time. */
void mq_attr_of(int fd, struct ipc_mq *mq);
/* c->mqueue_dir, checked to be the mount want names (NULL: any mqueue
 * filesystem, as --mqueue-dir asks). */
int mq_scan_dir(struct model *m, struct scan_ctx *c, const struct mnt_fact *want);

/* search.c: socket files and FIFOs on disk, for leaks */
int search_files(struct model *m, struct scan_ctx *c, const char *const *roots,
		 size_t nroots);


/* view.c: what the scan could not see */
void view_probe(struct model *m, struct scan_ctx *c);
void view_finish(struct model *m, bool sockets);
/* After waits_link: what FIFO verdicts could not see (model.view.openers). */
void view_openers(struct model *m);
/* Why processes could not be read, for a user who may already be root. */
const char *view_denied_advice(void);
/* The super options of the proc mount on /proc, from mountinfo text. */
int view_proc_options(const char *buf, size_t len, const char **opts, size_t *optlen);

/* cgroup.c: what /proc/PID/cgroup says of a process */
struct cgroup_info {
	const char *path;	/* the "0::" line's path, in the text; NULL if none */
	size_t pathlen;
	char container[13];	/* the short container id, "" when none */
};
/* Parses the text of /proc/PID/cgroup: the cgroup v2 path, and the
 * container that the innermost runtime scope of that path names
 * (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope,
 * libpod-ID.scope or /docker/ID), else of a v1 controller's path. Exposed
 * for the fixture tests and the fuzzers. 0, or -1 when it found neither. */
int cgroup_parse(const char *buf, size_t len, struct cgroup_info *ci);
/* Reads the cgroup of every process that is an object's home (few: one a
 * namespace, and what names a container's objects), and with holders of
 * every process that holds an object; unreadable ones keep a NULL cgroup. */
void cgroup_collect(struct model *m, const struct scan_ctx *c, bool holders);
/* The walk's way: through the process's verified /proc directory. */
void cgroup_read(struct ipc_proc *p, int piddir, struct buf *b);

/* unix.c */
struct unix_entry {
	uint64_t ino;
	uint8_t stype;
	uint8_t state;
	const char *name;	/* "@..." for abstract; may hold NUL */
	size_t namelen;
	bool has_peer;
	uint64_t peer;
	bool has_uid;
	uid_t uid;
	bool has_rq;
	uint32_t rqueue, wqueue;
	bool has_vfs;
	dev_t vfs_dev;
	uint64_t vfs_ino;
	const void *icons;	/* npending unaligned u32 inodes */
	size_t nicons;
	bool has_shutdown;
	uint8_t shutdown;	/* UNIX_SHUT_RD | UNIX_SHUT_WR */
};
typedef void (*unix_entry_fn)(void *arg, const struct unix_entry *e);
/* Parsers, exposed for the fixture tests and the fuzzers. They return the
 * number of entries, or -1 when the input is not of that format. */
int unix_parse_procnet(const char *buf, size_t len, unix_entry_fn fn, void *arg);
int unix_parse_diag(const void *buf, size_t len, unix_entry_fn fn, void *arg,
		    bool *done);
int unix_collect(struct model *m, struct scan_ctx *c);
/* Starts reading our namespace's sock_diag dump on a thread, once the
 * walk is over and while its batches are merged; unix_collect uses it. */
void unix_prefetch(struct scan_ctx *c);

#endif
