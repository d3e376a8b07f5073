/* The one model every collector fills and every renderer reads: IPC
 * objects keyed by identity (device, inode), each with its holders. */
#ifndef IPCSCOPE_MODEL_H
#define IPCSCOPE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One value per line of kinds/kinds.def, in its order: IPC_FIFO, ... */
enum ipc_type {
#define KIND(id, name) IPC_##id,
#include "kinds/kinds.def"
#undef KIND
	IPC_NTYPES
};

#define IPC_TYPE_BIT(t) (1u << (t))
#define IPC_ALL_TYPES ((1u << IPC_NTYPES) - 1)

enum ipc_mode {
	MODE_R = 1,
	MODE_W = 2,
};

struct ipc_proc {
	size_t idx;			/* position in model.procs */
	pid_t pid;
	uid_t euid;
	char *comm;
	char *user;
	unsigned long long start;	/* clock ticks after boot */
	uint64_t netns;			/* 0 when unknown */
	uint64_t ipcns;			/* 0 until needed */
	uint64_t mntns;			/* 0 until needed */
	/* cgroup v2 path ("0::" line of /proc/PID/cgroup), NULL when unread
	 * or none; the runtime's short container id (12 hex digits) when that
	 * path names a container's scope, else "" */
	char *cgroup;
	bool cgroup_read;		/* tried, whatever it gave */
	char container[13];
	char state;			/* from stat when the walk opened it */
	uint32_t nthreads;
	/* the leader exited while other threads live: the walk read the
	 * process through this thread's /proc/PID/task/TID; else 0 */
	pid_t via_tid;
	/* its fds came from more than one fd table, not all in a row: a
	 * holder entry to merge with may be anywhere in an object's list */
	bool split_tables;
	/* waits (collect/waits.c): threads asleep in an IPC wait, threads
	 * whose syscall could not be read, and what the first thread that is
	 * not in an IPC wait is doing ("clock_nanosleep", "running"); of the
	 * unread, those past the waits recorded for one process */
	uint32_t nwaiting, nunread, nthreads_seen, ncut;
	/* threads asleep opening a FIFO that could not be told for sure */
	uint32_t nopen_unsure;
	const char *doing;
	const char *waiting_in;		/* the call of its first IPC wait */
	bool waits_read;		/* its threads were looked at */
	bool kthread;
	bool denied;			/* fds or maps could not be read */
	bool holds;			/* holds at least one IPC object */
	bool asked;			/* named by --pid: "the other end" is
					 * the other processes' */
};

struct ipc_holder {
	struct ipc_proc *proc;
	int fd;			/* -1 for the mapping holder */
	uint8_t mode;		/* MODE_R | MODE_W; 0 = unknown */
	bool mapped;
	/* the call a thread of the process sleeps in on the object through
	 * this fd, or NULL (the link stage) */
	const char *wait;
};

/* At most this many waits are recorded for one process (collect/waits.c);
 * a thread past them is counted as not read. Each thread of a process may
 * sleep on a set of its own, and 4,778 threads on 4,096 pipes each would
 * be 20 million. */
#define WAITS_MAX_PER_PROC 65536

/* What a thread waits for on an object. */
enum wait_dir {
	WD_READ,		/* data: read, recv, mq_timedreceive */
	WD_WRITE,		/* room: write, send, mq_timedsend */
	WD_ACCEPT,		/* a client */
	WD_CONNECT,		/* room in a listener's backlog */
	WD_OPEN_READ,		/* a FIFO's writer, to finish opening it */
	WD_OPEN_WRITE,		/* a FIFO's reader */
};

/* What, within its direction, wakes a call that watches a set of fds
 * (poll, select, epoll): most ask for data or room; some only for the
 * other end to go away (poll with no events, or only POLLHUP/POLLRDHUP:
 * WD_READ on a read end or a socket, WD_WRITE on a write end), or only for
 * urgent data (select's exception set, POLLPRI). */
enum wait_cond {
	WC_DATA,
	WC_HANGUP,
	WC_URGENT,
};

/* One thread asleep on one object (collect/waits.c); an epoll, poll or
 * select waits on each of its objects, one record each. */
struct ipc_wait {
	struct ipc_proc *proc;
	pid_t tid;
	const char *syscall;	/* its name, a static string */
	int fd;			/* the fd on the object; -1: a FIFO being opened */
	int via;		/* the epoll fd watching it, or -1 */
	uint8_t dir;		/* enum wait_dir */
	bool polled;		/* one of several objects the call waits on */
	bool alt;		/* and something that is no IPC object may end it */
	uint8_t cond;		/* enum wait_cond */
	dev_t dev;		/* its object's identity, until the link stage */
	uint64_t ino;
	uint64_t ns;
	struct ipc_obj *obj;
	const char *state;	/* why it waits: "empty", "full", ... (link) */
	/* a connect: the socket file (has_target) or abstract name (tname,
	 * "@...") it connects to, read from the call's sockaddr, and the
	 * listener found by it (link), whose holders can end the wait */
	bool has_target;
	dev_t tdev;
	uint64_t tino;
	char *tname;
	size_t tnamelen;
	struct ipc_obj *target;
};

/* Processes that wait on each other in a cycle and nothing else can wake
 * (the link stage): a deadlock. */
struct ipc_cycle {
	struct ipc_proc **procs;
	size_t nprocs;
	struct ipc_obj **objs;
	size_t nobjs;
};

/* Processes held up, through the objects they wait on, by one that is
 * not waiting on IPC. */
struct ipc_stall {
	struct ipc_proc *bottleneck;
	struct ipc_proc **waiting;
	size_t nwaiting;
};

enum held_by {
	HELD_MOUNT = 1 << 0,	/* a bind mount of the file, in some namespace */
	HELD_OPENER = 1 << 1,	/* a thread asleep in open() of the FIFO */
};

/* Why an object nobody holds is a leak. The kinds that have leaks declare
 * their reasons (ipc_kind.leak_reason); rank orders them wherever they are
 * listed (summary, metrics, JSON), as they were first listed. */
struct leak_reason {
	const char *name;	/* "orphaned-shm", ... */
	unsigned rank;
};

/* At most this many reasons, over every kind (kinds/registry.c checks). */
#define LEAK_REASONS_MAX 16

struct ipc_obj {
	/* the fields of 4 bytes and less come in groups of 8 bytes: a list
	 * has 100k objects, whose size is most of ipcscope's memory */
	enum ipc_type type;
	uid_t owner;		/* has_owner */
	bool deleted;
	bool in_dir;		/* seen by the /dev/shm directory scan */
	bool has_size;
	bool has_owner;
	dev_t dev;
	uint64_t ino;
	/* The third part of the identity: the IPC namespace of a SysV segment,
	 * whose "inode" is only its shmid; the fdinfo id of a kind that has
	 * one (an eventfd's eventfd-id, all sharing one inode); 0 for
	 * everything else. */
	uint64_t ns;
	/* Name bytes exactly as the object is known: "/dev/shm/x", "@abstract"
	 * (may contain NUL), "memfd:NAME"; NULL when it has none. */
	char *path;
	size_t pathlen;
	uint64_t size;		/* has_size */
	/* What only its kind knows: ipc_kind.kdata_size bytes, zeroed, made
	 * with the object; only the kind's own files read it. NULL for a kind
	 * that keeps nothing of its own. */
	void *kdata;
	/* times and real memory use, for leak hunting */
	bool has_times;
	bool has_resident;
	bool sockfile;		/* a socket FILE found on disk, not a socket */
	bool sockfile_live;	/* some socket is bound to it */
	bool on_disk;		/* found by the leak search of directories */
	/* Holds that no fd or mapping shows, which keep it in use all the
	 * same (HELD_*): a mount of the file somewhere, a thread asleep
	 * opening the FIFO. An object so held is no leak. */
	uint8_t held_by;
	bool other_names;	/* st_nlink > 1: hard links, which a mount may use */
	bool hidden;		/* filtered out */
	int64_t mtime, atime;	/* has_times */
	uint64_t resident;	/* bytes of memory really used (has_resident) */
	/* Why a leak verdict on this object alone could not be certain (a
	 * namespace with more single-file mounts than are kept), or NULL. */
	const char *doubt;
	const struct leak_reason *leak;	/* NULL: no leak */
	/* Why a leak verdict cannot be trusted: what the scan could not see
	 * that might hold the object (model.view's text); NULL when certain.
	 * clean never removes an uncertain object. */
	const char *uncertain;
	struct ipc_holder *holders;	/* first the two of inl, then the heap's */
	size_t nholders;
	size_t capholders;
	struct ipc_holder inl[2];	/* most objects have one or two holders */
	/* For an object of a namespace other than ours (a container's
	 * /dev/shm, mqueue filesystem or SysV IPC): one readable process of
	 * that namespace, which names its container and through whose root
	 * or namespace clean reaches it. NULL for our own namespaces. */
	struct ipc_proc *home;
	/* the namespaces it lives in, for the user: a SysV segment's or a
	 * queue's IPC namespace, a /dev/shm file's mount namespace; 0 when
	 * none applies or unknown */
	uint64_t ipcns, mntns;
	uint64_t netns;		/* a socket's, when it is not ours */
	bool drop;		/* turned out not to be an IPC object */
	bool wanted;		/* --pid: held by, or the peer of, those processes */
};

struct model_slot {
	uint32_t obj;		/* index in objs, plus one; 0: empty */
	uint32_t tag;		/* the key hash's upper half */
};

struct model_stats {
	size_t procs;		/* user-space processes considered */
	size_t denied;		/* processes whose fds/maps were not readable */
	size_t vanished;	/* exited or replaced while being read */
	size_t foreign_netns;	/* other network namespaces seen */
	size_t netns_unread;	/* network namespaces sock_diag did not answer for */
	size_t unix_unresolved;	/* AF_UNIX fds found in no namespace's table */
	size_t ipcns_unread;	/* other IPC namespaces not entered */
	size_t threads_unread;	/* sleeping threads whose call was not readable */
	bool hidden;		/* /proc hides processes from us (hidepid=) */
	bool foreign_pidns;	/* we see only a pid namespace below the host's */
};

/* What the scan could not see, as one sentence each; NULL when it saw all.
 * A verdict that leads to removal needs the relevant part complete. */
struct model_view {
	char *procs;		/* processes not read or not visible */
	char *sockets;		/* sockets of namespaces not read */
	char *openers;		/* sleeping opens of FIFOs not told for sure */
};

/* Where objects of other namespaces live, as the collectors found them
 * (collect/ns.c): the link step gives each object its namespaces and its
 * home from here, and what a mount holds. */
struct place_fs {		/* another mount namespace's /dev/shm or mqueue fs */
	dev_t dev;
	bool mqueue;
	uint64_t ipcns;		/* an mqueue fs's: its home's */
	struct ipc_proc *home;
};

struct place_ipc {		/* another IPC namespace */
	uint64_t ns;
	struct ipc_proc *home;
};

struct place_bind {		/* a mount of part of a filesystem, in some namespace */
	dev_t dev;
	char *root;
};

struct model_places {
	struct place_fs *fs;
	size_t nfs;
	struct place_ipc *ipc;
	size_t nipc;
	struct place_bind *binds;
	size_t nbinds;
	/* why a mount of a single file may be missing: NULL when none can be */
	const char *binds_doubt;
	/* our own namespaces and filesystems */
	uint64_t self_ipcns, self_mntns;
	bool have_devshm, have_mqueue;
	dev_t devshm, mqueue;
};

struct model {
	struct ipc_proc **procs;
	size_t nprocs;
	size_t capprocs;

	struct ipc_obj **objs;
	size_t nobjs;
	size_t capobjs;
	/* where the objects live: slabs of MODEL_SLAB, freed with the model
	 * (a scan makes 100k objects: one allocation each was a tenth of it) */
	struct model_slab *slabs;

	/* open-addressing index over objs, keyed by (dev, ino, ns); each slot
	 * keeps a tag of the key's hash, so that a probe reads an object only
	 * when the tag matches (the objects are scattered in memory) */
	struct model_slot *index;
	size_t indexcap;

	char **warnings;
	bool *warn_quiet;	/* JSON only, not repeated on stderr */
	size_t nwarnings;

	dev_t sockfs_dev;	/* every socket lives there */
	bool diag_ok;		/* sock_diag answered for our own namespace */
	bool diag_tried;	/* UNIX sockets were asked for, live */

	struct model_stats stats;
	struct model_view view;
	struct model_places places;

	/* waits, when asked for */
	bool waits_asked;
	bool waits_quiet;	/* unreadable threads are a note (model_note) */

	/* which backend walked the processes, "proc" or "bpf", and why
	 * (static strings) */
	const char *backend, *backend_why;
	struct ipc_wait *waits;
	size_t nwaits, capwaits;
	struct ipc_cycle *cycles;
	size_t ncycles;
	struct ipc_stall *stalls;
	size_t nstalls;
};

void model_init(struct model *m);
void model_free(struct model *m);

struct ipc_proc *model_add_proc(struct model *m);
void model_drop_last_proc(struct model *m);

struct ipc_obj *model_find(const struct model *m, dev_t dev, uint64_t ino);
struct ipc_obj *model_find_ns(const struct model *m, dev_t dev, uint64_t ino, uint64_t ns);
/* The UNIX socket object with this inode, if it is in the model. */
struct ipc_obj *model_find_socket(const struct model *m, uint64_t ino);
/* Find or create; *created tells which (may be NULL). */
struct ipc_obj *model_get(struct model *m, enum ipc_type type, dev_t dev,
			  uint64_t ino, bool *created);
struct ipc_obj *model_get_ns(struct model *m, enum ipc_type type, dev_t dev,
			     uint64_t ino, uint64_t ns, bool *created);
void model_set_path(struct ipc_obj *o, const char *p, size_t n);
/* What a collector learnt later of an object's kind (a socket the walk
 * could not tell, which a table names TCP): its kind's state goes, the
 * new kind's comes, zeroed. */
void model_retype(struct ipc_obj *o, enum ipc_type type);
void model_add_holder(struct ipc_obj *o, struct ipc_proc *p, int fd,
		      uint8_t mode, bool mapped);
/* Remove objects for which keep() is false, e.g. non-AF_UNIX sockets. */
/* Forgets what a walk added: the objects after the first nobjs (there
 * before it), and the holders, waits and threads' states of the processes
 * it walked. For a
 * walk that failed halfway, before another walks them again. */
void model_rollback(struct model *m, size_t nobjs,
		    bool (*walked)(const void *arg, pid_t pid), const void *arg);
void model_prune(struct model *m, bool (*keep)(const struct ipc_obj *));
void model_warn(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void model_note(struct model *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Stable, reproducible order: type, then path, then inode. */
void model_sort(struct model *m);

/* Where an object of another namespace lives, for its name in a table:
 * "container 0123456789ab", else "ipc:[N]" or "mnt:[N]"; nothing for an
 * object of our own namespaces. Appends to out (a struct buf). */
struct buf;
void model_home_text(struct buf *out, const struct ipc_obj *o);

const char *ipc_type_name(enum ipc_type t);
/* Accepts names and aliases ("uds", "socket"); -1 if unknown. */
int ipc_type_parse(const char *s);
/* The list of type names, for messages: "fifo, pipe, ..." */
const char *ipc_type_list(void);

#endif
