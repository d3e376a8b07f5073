/* What each kind of IPC object is, in one place per kind. Generic code
 * asks the kind through this descriptor; it never switches on the type.
 * A new kind is one file kinds/NAME.c exporting `const struct ipc_kind
 * kind_NAME` and one line KIND(ID, NAME) in kinds.def, which makes both
 * its enum ipc_type value IPC_ID and its entry in the registry. */
#ifndef IPCSCOPE_KIND_H
#define IPCSCOPE_KIND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "model/model.h"
#include "util.h"

struct render_opts;
struct stat;
struct jw;
struct scan_ctx;

enum kind_trait {
	KT_PIPELIKE = 1 << 0,	/* readers and writers, a fill level */
	KT_MAPPABLE = 1 << 1,	/* held through mappings too */
	KT_PATHNAMED = 1 << 2,	/* its name is a file's path */
	KT_NAMESPACED = 1 << 3,	/* identity includes a namespace */
	KT_MEMORY = 1 << 4,	/* shared memory: sizes count as memory */
	KT_SOCKET = 1 << 5,	/* a socket with a peer */
	KT_MAPSIZE = 1 << 6,	/* its size is its largest mapping */
	KT_FDATTR = 1 << 7,	/* its counts are asked through a holder's fd */
};

/* Identities of the pseudo filesystems objects live on, learnt once per
 * run from objects of our own (see fd_probe). */
struct kind_devs {
	dev_t pipefs, sockfs, memfd, devshm, mqueue, anon;
	bool have_pipefs, have_sockfs, have_memfd, have_devshm, have_mqueue, have_anon;
	bool rooted;		/* a fixture tree: trust names over devices */
	/* hugetlbfs's kernel-internal mounts, one a page size: where
	 * MFD_HUGETLB memfds and SHM_HUGETLB segments live */
	dev_t huge[4];
	size_t nhuge;
	/* other mount namespaces' /dev/shm and mqueue filesystems */
	const dev_t *more_shm, *more_mq;
	size_t nmore_shm, nmore_mq;
};

static inline bool kind_dev_in(dev_t dev, bool have, dev_t ours, const dev_t *more, size_t n)
{
	if (have && dev == ours)
		return true;
	for (size_t i = 0; i < n; i++)
		if (more[i] == dev)
			return true;
	return false;
}

/* Is dev a /dev/shm (an mqueue filesystem) of some mount namespace? */
static inline bool kind_devs_shm(const struct kind_devs *d, dev_t dev)
{
	return kind_dev_in(dev, d->have_devshm, d->devshm, d->more_shm, d->nmore_shm);
}

static inline bool kind_devs_mqueue(const struct kind_devs *d, dev_t dev)
{
	return kind_dev_in(dev, d->have_mqueue, d->mqueue, d->more_mq, d->nmore_mq);
}

/* Is dev a kernel-internal shmem or hugetlbfs mount, where memfds and
 * SysV segments live? No one can mount those, so "/memfd:x (deleted)" and
 * "/SYSV0000abcd (deleted)" are the kernel's names there, and any user's
 * elsewhere (a deleted file of their own tmpfs, pivoted to be their root).
 * Not known (no probe, or a fixture tree): yes. */
static inline bool kind_devs_internal(const struct kind_devs *d, dev_t dev)
{
	if (d->rooted || !d->have_memfd || dev == d->memfd)
		return true;
	for (size_t i = 0; i < d->nhuge; i++)
		if (d->huge[i] == dev)
			return true;
	return false;
}

/* What an fd or a mapping tells of its object beyond what it is: the
 * facts a kind takes onto a new object (ipc_kind.facts). */
struct kind_facts {
	/* an eventfd's: fdinfo's eventfd-count, eventfd-id (Linux 6.8),
	 * eventfd-semaphore, or the iterator's copy of them */
	bool has_efd_count, has_efd_id, efd_semaphore;
	uint64_t efd_count, efd_id;
	/* a queue's counts, from mq_getattr through a holder's fd */
	bool has_mq_attr;
	uint64_t mq_curmsgs, mq_maxmsg, mq_msgsize;
};

/* One fd, the one record both backends fill: the /proc walk from a stat,
 * and the link's text and fdinfo, each parsed once when read; the bpf walk
 * copies its binary record in. The classifier reads it (match_fd), and
 * the object's kind takes its facts (facts): nothing else decides what
 * kind a file is. */
struct fd_facts {
	/* identity, as a stat gives it */
	mode_t fmt;		/* st_mode & S_IFMT */
	dev_t dev;
	uint64_t ino;
	nlink_t nlink;
	/* the file's size, blocks (512 bytes) and owner, when has_stat */
	bool has_stat;
	uint64_t size, blocks;
	uid_t uid;
	/* the link's text (a path, "pipe:[N]"); NULL until read */
	const char *text;
	size_t len;
	/* an anonymous inode's name ("[eventfd]"): the link's text after
	 * "anon_inode:", or the iterator's dentry name; NULL until known */
	const char *anon;
	size_t anonlen;
	/* the file is on an mqueue filesystem (its statfs type), whatever its
	 * device: a queue made where none is mounted lives on the IPC
	 * namespace's internal mount, whose device no listing learns */
	bool on_mqueue;
	/* MODE_R | MODE_W, when has_mode */
	bool has_mode;
	uint8_t mode;
	/* a pipe's fill: fill_looked when the backend looked (the iterator),
	 * has_fill when it could read it */
	bool fill_looked, has_fill;
	uint32_t queued, capacity;
	/* the file's f_flags (fdinfo's "flags:") */
	bool has_flags;
	unsigned int flags;
	/* a socket's family, as SO_DOMAIN gives it */
	bool has_sock;
	unsigned short sk_family;
	/* the holder's network namespace */
	bool has_netns;
	uint64_t netns;
	/* what fdinfo (or the iterator) tells of the object, once read */
	bool has_kf;
	struct kind_facts kf;
};

/* Sets the link's text, and what it says of an anonymous inode. */
void kind_fd_text(struct fd_facts *f, const char *text, size_t len);

#define KIND_DELETED " (deleted)"
#define KIND_DELETED_LEN (sizeof(KIND_DELETED) - 1)

/* One mapping, the one record both backends fill: the /proc walk from a
 * maps line, the bpf walk from its record. */
struct map_facts {
	uint64_t start, end;
	dev_t dev;
	uint64_t ino;
	bool read, write, shared;
	/* the maps path less its leading '/' and a " (deleted)" suffix
	 * (deleted): "memfd:NAME", "SYSV0000abcd", "dev/shm/x"; NULL when
	 * the path does not start with '/' or is not known (a /dev/shm
	 * file the iterator could not name) */
	const char *name;
	size_t len;
	bool deleted;
	/* the file's size, blocks (512 bytes) and owner, when has_stat */
	bool has_stat;
	uint64_t size, blocks;
	uid_t uid;
	uint64_t ipcns;		/* the holder's IPC namespace; 0: unknown */
};

/* Fills f's name from a maps path (undecoded or decoded). */
void kind_map_path(struct map_facts *f, const char *path, size_t len);

/* The length of the maps path f's name came from. */
static inline size_t kind_map_pathlen(const struct map_facts *f)
{
	return f->name ? 1 + f->len + (f->deleted ? KIND_DELETED_LEN : 0) : 0;
}

/* f's name starts with pre, and its maps path has more than "/" and pre. */
bool kind_map_starts(const struct map_facts *f, const char *pre);

/* The columns only some kinds have a cell in (render/columns.c): the
 * object's kind fills them, as only it reads its own state. */
enum kind_col {
	KC_NONE,		/* a column every object has (struct column.kcol) */
	KC_SOCKTYPE,
	KC_STATE,
	KC_PEERINO,
	KC_PEER,		/* the other end; pipes' is generic (--pid) */
	KC_BACKLOG,
	KC_NETNS,
	KC_NATTCH,
	KC_SHUTDOWN,		/* a socket's, as lsfd's SOCK.SHUTDOWN: rw, -w, r-, -- */
	KC_NONBLOCK,		/* its file's O_NONBLOCK */
	KC_COUNT
};

/* The listings of objects that exist without a process (collect/scan.c,
 * and ns.c for other namespaces), as bits of ipc_kind.listings. */
enum kind_listing {
	LIST_DEVSHM = 1 << 0,	/* the /dev/shm directories */
	LIST_MQUEUE = 1 << 1,	/* the mqueue filesystems */
	LIST_SYSV = 1 << 2,	/* /proc/sysvipc/shm, in each IPC namespace */
};

enum kind_match {
	KM_NO,
	KM_YES,
	KM_TEXT,		/* maybe: the link decides (its text or anon name) */
};

/* How the name a process shows (fd link or maps path) becomes the
 * object's name. */
enum kind_naming {
	NAME_NONE,		/* anonymous: pipes, sockets */
	NAME_PATH,		/* a path; " (deleted)" is checked by identity */
	NAME_MEMFD,		/* "/memfd:NAME (deleted)": never linked */
	NAME_MQUEUE,		/* "/NAME" below the mqueue filesystem */
};

struct ipc_kind {
	const char *name;
	const char *const *aliases;	/* NULL-terminated, or NULL */
	const char *color;		/* ANSI SGR for the TYPE cell */
	const char *help;		/* a few words, for --type */
	unsigned traits;
	/* State only this kind's objects carry (ipc_obj.kdata): its size,
	 * zeroed with the object, and what frees what it owns (not itself),
	 * NULL when it owns nothing. Read only by the kind's own files: its
	 * kinds/NAME.c and the collector that fills it. */
	size_t kdata_size;
	void (*kfree)(void *kdata);
	/* The link stage, once after every collector ran: resolve what its
	 * objects name of each other (peers, listeners). NULL: nothing. */
	void (*link)(struct model *m);
	/* Its collector, run once the processes are walked when the kind is
	 * wanted, before the sockets' tables and the prune: it may retype
	 * what the walk classified (model_retype). NULL: none. */
	void (*collect)(struct model *m, struct scan_ctx *c);
	/* The types the walk classifies its objects as until its collector
	 * retypes them (IPC_TYPE_BIT mask): wanting this kind makes the walk
	 * take those. 0: its own only. */
	unsigned found_as;
	enum kind_naming naming;
	/* "pipe:[" for kinds a fd link names by inode, also taken by show */
	const char *anon_prefix;

	/* The number that completes the identity, false when the facts lack
	 * it: anonymous inodes (eventfd's id) all share one inode. NULL: the
	 * inode alone is the identity. */
	bool (*anon_id)(const struct fd_facts *f, uint64_t *id);
	/* What only the fd's facts tell of a new object, onto it. */
	void (*facts)(struct ipc_obj *o, const struct kind_facts *kf);
	/* "eventfd:" for kinds show takes by that id ("eventfd:ID"): their
	 * inode alone names no one object. NULL: none. */
	const char *id_prefix;

	/* Recognition: an fd, a maps line (NULL: never through maps), a
	 * file met on disk (the leak search, a sleeping open's target; NULL:
	 * never so). */
	enum kind_match (*match_fd)(const struct fd_facts *f, const struct kind_devs *d);
	bool (*match_map)(const struct map_facts *f, const struct kind_devs *d);
	/* its maps name is the kernel's own, which no device check overrides */
	bool map_first;
	/* a mapping's key, from its name (a SysV segment's); NULL: none */
	bool (*map_key)(const struct map_facts *f, int32_t *key);
	bool (*match_disk)(const struct fd_facts *f);
	/* A fixture tree's fd link, which is plain text (f->text): what a
	 * live stat would say of the file, into f, when the text is this
	 * kind's. NULL: its files are stat'ed below the fixture root. */
	bool (*fixture)(struct fd_facts *f, const struct kind_devs *d);
	/* The listings whose files are of this kind, before refine() (a
	 * listing may serve more kinds than it finds: see listings). */
	unsigned finds;
	/* A name may say more than the device: /dev/shm/sem.X is a semaphore.
	 * refines: the types refine() may give, wanted along with this one. */
	enum ipc_type (*refine)(const char *name, size_t len);
	unsigned refines;
	/* The listings that find its objects, or that the walk needs to tell
	 * them apart (a memfd from a /dev/shm file, by device). */
	unsigned listings;

	/* What PATH shows when the object has no path; NULL: nothing. */
	void (*label)(struct buf *out, const struct ipc_obj *o);
	/* Bytes waiting to be read; false when unknown or not a queue. */
	bool (*queued)(const struct ipc_obj *o, uint64_t *v);
	/* The most it holds before a writer waits; false when unknown. */
	bool (*capacity)(const struct ipc_obj *o, uint64_t *v);
	/* show: the lines only this kind has, before the holders (its state)
	 * and after them (its other end). */
	void (*detail)(FILE *out, const struct model *m, const struct ipc_obj *o,
		       const struct render_opts *ro, struct buf *tmp);
	void (*detail_peer)(FILE *out, const struct model *m, const struct ipc_obj *o,
			    const struct render_opts *ro, struct buf *tmp);
	/* A cell of a column of enum kind_col: its text onto out unless out
	 * is NULL, its number (--sort) into *num unless num is NULL; false
	 * when the cell is empty. NULL: every such cell is empty. */
	bool (*column)(enum kind_col col, const struct ipc_obj *o,
		       const struct render_opts *ro, struct buf *out, int64_t *num);
	/* The JSON member of each enum kind_col cell it fills, as jq names
	 * it from a listed object (".unix.state"), for --list-columns; NULL
	 * where none. */
	const char *const *col_members;
	/* PEER, for JSON's "peer": each holder at the other end, given to
	 * fn; false when the object has no other end to tell. NULL: only
	 * a pipe's, relative to --pid (obj_peer_each). */
	bool (*peer_holders)(const struct ipc_obj *o,
			     void (*fn)(void *arg, const struct ipc_holder *h), void *arg);
	/* graph: the object at its other end, to which an edge joins their
	 * holders; NULL from one of a pair's two ends, so that the pair is
	 * drawn once, and when it has none. NULL: no other end. */
	const struct ipc_obj *(*graph_end)(const struct ipc_obj *o);
	/* show FILE, where FILE is a socket file: is o the socket bound to
	 * it? by_name: only by its name, for what the kernel gave no file
	 * identity of (net/unix); tried when no socket matches by identity.
	 * NULL: never. */
	bool (*bound_to)(const struct ipc_obj *o, const struct stat *st, const char *name,
			 bool by_name);
	/* waits: it accepts clients, so a set that watches it waits for one
	 * (WD_ACCEPT), as accept does. NULL: never. */
	bool (*listening)(const struct ipc_obj *o);
	/* A focused walk (--pid): the objects at o's other ends, whose
	 * holders that walk must also read, each given to fn. held: a process
	 * asked about holds o, and its peers and listener count; else o is
	 * only wanted, and only what talks to it does (a dgram server's
	 * senders). Runs after the links (link_kinds). NULL: none. */
	void (*focus_ends)(const struct model *m, const struct ipc_obj *o, bool held,
			   void (*fn)(void *arg, struct ipc_obj *end), void *arg);
	/* JSON: the members only this kind has, under its own key ("unix",
	 * "pipe", ...), written through jw.h; NULL: none. */
	void (*json)(struct jw *w, const struct model *m, const struct ipc_obj *o);
	/* Does a scanned object stay in the model? NULL: yes. */
	bool (*keep)(const struct ipc_obj *o);

	/* leaks: the reason its leak hook gives (shared by kinds whose
	 * objects leak alike, as sem's and shm's), and the hook: whether
	 * nobody holding it makes it that leak. Called only for objects with
	 * no holder. NULL: it never leaks. */
	const struct leak_reason *leak_reason;
	bool (*leak)(const struct model *m, const struct ipc_obj *o);
	/* A verdict that no unseen process can change (the kernel counts). */
	bool leak_always_certain;
	/* A verdict that also needs every network namespace's sockets. */
	bool leak_needs_sockets;
	/* A verdict that also needs every sleeping open() told: a thread
	 * asleep opening a FIFO holds it, though no fd shows it yet. */
	bool leak_needs_openers;
	/* clean: removes the very object checked; 0 or -errno (-ESTALE: it
	 * is not the same object any more). */
	int (*remove)(const struct ipc_obj *o);
	/* clean: why a fresh scan says it was used meanwhile, or NULL. */
	const char *(*used_since)(const struct ipc_obj *planned, const struct ipc_obj *fresh);
	/* clean: how its lines name it; NULL: by its path. */
	void (*describe)(struct buf *out, const struct ipc_obj *o);

	/* waits: why a thread sleeping on it for d sleeps ("empty", "full");
	 * the call only sleeps in that state, so it is known without a look.
	 * NULL: "waiting". */
	const char *(*wait_state)(enum wait_dir d);
	/* The holders that can end such a wait, each given to fn; true when
	 * no one else can (a pipe's writers, a socketpair's peer), false
	 * when a process may yet come (a listener's next client, a FIFO's
	 * next opener). NULL: every holder, and anyone. */
	bool (*wait_wakers)(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			    void (*fn)(void *arg, const struct ipc_holder *h), void *arg);
};

/* The registry (registry.c, built from kinds.def), indexed by enum
 * ipc_type. */
extern const struct ipc_kind *const ipc_kinds[IPC_NTYPES];

static inline const struct ipc_kind *kind_of(const struct ipc_obj *o)
{
	return ipc_kinds[o->type];
}

static inline bool kind_has(enum ipc_type t, unsigned trait)
{
	return (ipc_kinds[t]->traits & trait) != 0;
}

/* The types whose wish makes the walk take an object it classifies as t:
 * t itself, what t refines to, and the kinds found as t (found_as). */
static inline unsigned kind_takes(enum ipc_type t)
{
	unsigned mask = IPC_TYPE_BIT(t) | ipc_kinds[t]->refines;

	for (int k = 0; k < IPC_NTYPES; k++)
		if (ipc_kinds[k]->found_as & IPC_TYPE_BIT(t))
			mask |= IPC_TYPE_BIT(k);
	return mask;
}

/* The types a listing finds or serves. */
unsigned kind_listing_mask(unsigned listing);

/* Every kind's leak reasons, each once, by rank; their number. */
size_t kind_leak_reasons(const struct leak_reason *out[LEAK_REASONS_MAX]);
/* A reason's place in that list. */
size_t kind_leak_index(const struct leak_reason *r);

/* --type's help text, from the registry. */
const char *kind_type_help(void);

/* The mask of types with a trait, for the collectors' choices. */
unsigned kind_mask(unsigned trait);

/* The kind of an fd: its type, or -1 when it is no IPC object; -2 when
 * the link text is needed and f->text is NULL. */
int kind_classify_fd(const struct fd_facts *f, const struct kind_devs *d);
/* The kind of a maps line, or -1. */
int kind_classify_map(const struct map_facts *f, const struct kind_devs *d);
/* What a fixture's fd link says, as its kind reads it (the fixture
 * hook): false when no kind knows the text. */
bool kind_fixture_facts(struct fd_facts *f, const struct kind_devs *d);
/* The kind of a file met on disk, by its stat, or -1. */
int kind_classify_disk(const struct fd_facts *f);
/* The kind of a file a listing (enum kind_listing) found, by its name
 * (NULL for none), or -1. */
int kind_classify_listed(unsigned listing, const char *name, size_t len);

/* Shared pieces of several kinds (kinds/common.c). */
const char *kind_pipe_wait_state(enum wait_dir d);
bool kind_pipe_wait_wakers(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			   void (*fn)(void *arg, const struct ipc_holder *h), void *arg);
bool kind_pipe_queued(const struct ipc_obj *o, uint64_t *v);
bool kind_pipe_capacity(const struct ipc_obj *o, uint64_t *v);
void kind_pipe_detail(FILE *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro, struct buf *tmp);
void kind_pipe_json(struct jw *w, const struct model *m, const struct ipc_obj *o);
void kind_pipe_detail_peer(FILE *out, const struct model *m, const struct ipc_obj *o,
			   const struct render_opts *ro, struct buf *tmp);
/* A socket's other end, as both socket kinds keep it: the listener
 * whose backlog holds a client not accepted yet, the connected peer, or
 * else the clients that send to a bound socket. */
struct kind_sock_end {
	bool has_listener, has_peer;
	const struct ipc_obj *listener, *peer;
	struct ipc_obj *const *senders;
	size_t nsenders;
};
/* Each holder of o (none when o is NULL), given to fn. */
void kind_each_holder(const struct ipc_obj *o,
		      void (*fn)(void *arg, const struct ipc_holder *h), void *arg);
/* PEER: the holders at the other end, or "(backlog)"; false when none. */
bool kind_sock_peer_cell(const struct kind_sock_end *e, struct buf *out);
/* The same holders, one by one; false when it has no other end. */
bool kind_sock_peer_holders(const struct kind_sock_end *e,
			    void (*fn)(void *arg, const struct ipc_holder *h), void *arg);
/* JSON: "peer_holders" (the peer's holders, or the senders'), so that no
 * join is needed, and "senders" (their inodes). */
void kind_sock_peer_json(struct jw *w, const struct kind_sock_end *e);
/* unlink(2) of the object's own file, its directory opened without
 * following symlinks, its identity checked just before. */
int kind_unlink_checked(const struct ipc_obj *o, mode_t fmt, bool (*dir_ok)(int dfd));
bool kind_text_starts(const struct fd_facts *f, const char *prefix);
/* The link's text is prefix, a number and "]" ("pipe:[123]"): the number. */
bool kind_text_bracket(const struct fd_facts *f, const char *prefix, uint64_t *ino);
/* The number after "key:" on a line of fdinfo-like text. */
bool kind_field_u64(const char *buf, size_t len, const char *key, uint64_t *v);
/* The same, for a number written in hex (eventfd-count's "%16llx"). */
bool kind_field_x64(const char *buf, size_t len, const char *key, uint64_t *v);
/* Column cells (the column hook): a number, present or not; a text,
 * NULL for none. Both as the hook returns them. */
bool kind_cell_u64(bool has, uint64_t v, struct buf *out, int64_t *num);
bool kind_cell_text(const char *s, struct buf *out);
/* /dev/shm files: shm and sem share their leak rule and removal. */
extern const struct leak_reason kind_leak_orphaned_shm;
bool kind_shm_leak(const struct model *m, const struct ipc_obj *o);
int kind_shm_remove(const struct ipc_obj *o);

#endif
