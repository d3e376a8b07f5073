/* collect → link: runs the collectors in order and leaves a consistent
 * model behind. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "pathio.h"
#include "proc.h"

#define MAPS_TYPES (IPC_TYPE_BIT(IPC_SHM) | IPC_TYPE_BIT(IPC_SEM) | IPC_TYPE_BIT(IPC_MEMFD) | \
		    IPC_TYPE_BIT(IPC_SYSVSHM))

static bool keep_object(const struct ipc_obj *o)
{
	if (o->drop)
		return false;
	if (o->sockfile)
		return true;
	/* Sockets learnt only from an fd are AF_INET, netlink and the like,
	 * or live in a namespace whose table could not be read. */
	if (o->type == IPC_UNIX && !o->un.known)
		return false;
	return true;
}

/* A client whose connection waits in a listener's backlog has no peer
 * socket yet: point it at the listener, whose process will accept it. */
static void link_listeners(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *l = m->objs[i];

		if (l->type != IPC_UNIX)
			continue;
		for (size_t k = 0; k < l->un.npending; k++) {
			struct ipc_obj *e = model_find_socket(m, l->un.pending[k]);

			if (e) {
				e->un.has_listener = true;
				e->un.listener = l->ino;
			}
		}
	}
}

static bool in_focus(const struct scan_opts *o, pid_t pid)
{
	for (size_t i = 0; i < o->nfocus; i++)
		if (o->focus[i] == pid)
			return true;
	return false;
}

static void want_socket(struct model *m, uint64_t ino)
{
	struct ipc_obj *o = model_find_socket(m, ino);

	if (o)
		o->wanted = true;
}

/* Marks what the --pid processes hold, and the sockets at the other ends.
 * Returns whether any of it can be mapped, which is when the others' maps
 * are worth reading. */
static bool mark_wanted(struct model *m, const struct scan_opts *opts)
{
	bool mappable = false;

	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];

		for (size_t k = 0; k < o->nholders && !o->wanted; k++)
			o->wanted = in_focus(opts, o->holders[k].proc->pid);
		if (!o->wanted)
			continue;
		if (o->type == IPC_UNIX) {
			if (o->un.has_peer)
				want_socket(m, o->un.peer);
			if (o->un.has_listener)
				want_socket(m, o->un.listener);
			for (size_t k = 0; k < o->un.npending; k++)
				want_socket(m, o->un.pending[k]);
		}
		if (o->type == IPC_SHM || o->type == IPC_SEM || o->type == IPC_MEMFD ||
		    o->type == IPC_SYSVSHM)
			mappable = true;
	}
	return mappable;
}

/* POSIX message queues are visible only where an mqueue filesystem is
 * mounted: --mqueue-dir, else the first one in our mountinfo. */
static void scan_mqueue(struct model *m, struct scan_ctx *c, const char *dir, bool asked)
{
	struct buf b = { 0 };
	int rc;

	if (!dir && pio_read("/proc/self/mountinfo", &c->file) == 0 &&
	    mq_find_mount(c->file.data, c->file.len, &b) == 0)
		dir = c->mqueue_found = buf_steal(&b);
	buf_free(&b);
	if (!dir) {
		(asked ? model_warn : model_note)(m, "no mqueue filesystem is mounted, so POSIX "
			"message queues are not listed (mount -t mqueue none /dev/mqueue)");
		return;
	}
	c->mqueue_dir = dir;
	rc = mq_scan_dir(m, c);
	if (rc < 0)
		model_warn(m, "cannot read the message queues in %s: %s", dir, strerror(-rc));
}

/* Which processes a walk takes: all, only the --pid ones, or the others. */
enum walk_set { WALK_ALL, WALK_FOCUS, WALK_OTHERS };

static bool takes(const struct scan_opts *o, enum walk_set set, pid_t pid)
{
	return set == WALK_ALL || (set == WALK_FOCUS) == in_focus(o, pid);
}

static void scan_one(struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		     struct model_stats *st)
{
	int piddir, rc;

	piddir = proc_open(p);
	if (piddir < 0) {
		if (piddir == -EACCES) {
			p->denied = true;
			st->denied++;
		} else {
			st->vanished++;
		}
		return;
	}
	rc = fd_scan(m, c, p, piddir);
	if (rc == -EACCES || rc == -EPERM) {
		p->denied = true;
		st->denied++;
	} else if (rc == 0 && (c->types & MAPS_TYPES) && !c->skip_maps) {
		rc = maps_scan(m, c, p, piddir);
		if ((rc == -EACCES || rc == -EPERM) && !p->denied) {
			p->denied = true;
			st->denied++;
		}
	}
	close(piddir);
}

struct walker {
	pthread_t tid;
	const struct scan_opts *opts;
	enum walk_set set;
	struct model *m;
	struct scan_ctx c;	/* a copy: buffers and pidfd are per thread */
	struct model_stats st;
	size_t *next;		/* shared: the next process to take */
};

static void *walker_main(void *arg)
{
	struct walker *w = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(w->next, 1, __ATOMIC_RELAXED);

		if (i >= w->m->nprocs)
			break;
		if (takes(w->opts, w->set, w->m->procs[i]->pid))
			scan_one(w->m, &w->c, w->m->procs[i], &w->st);
	}
	buf_free(&w->c.file);
	buf_free(&w->c.text);
	return NULL;
}

/* The walk of /proc/PID is nearly all system calls, which run in parallel
 * well: one walker per CPU, each taking the next process when it is done. */
static void scan_procs(struct model *m, struct scan_ctx *c, const struct scan_opts *opts,
		       enum walk_set set)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct walker *w;
	size_t next = 0;
	int n = opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (n > 8)
		n = 8;
	if (n <= 1 || c->rooted || m->nprocs < 64 || set == WALK_FOCUS) {
		for (size_t i = 0; i < m->nprocs; i++)
			if (takes(opts, set, m->procs[i]->pid))
				scan_one(m, c, m->procs[i], &m->stats);
		return;
	}
	w = xcalloc((size_t)n, sizeof(*w));
	c->lock = &lock;
	for (int i = 0; i < n; i++) {
		w[i].m = m;
		w[i].opts = opts;
		w[i].set = set;
		w[i].c = *c;
		memset(&w[i].c.file, 0, sizeof(w[i].c.file));
		memset(&w[i].c.text, 0, sizeof(w[i].c.text));
		w[i].next = &next;
		if (pthread_create(&w[i].tid, NULL, walker_main, &w[i]) != 0) {
			/* no thread: this one walks what is left */
			w[i].tid = 0;
			walker_main(&w[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		if (w[i].tid)
			pthread_join(w[i].tid, NULL);
		m->stats.denied += w[i].st.denied;
		m->stats.vanished += w[i].st.vanished;
	}
	c->lock = NULL;
	free(w);
}

int scan_run(struct model *m, const struct scan_opts *opts)
{
	struct scan_ctx c = { .types = opts->types, .pidfd = -1, .want_fill = opts->want_fill };
	int rc;

	c.rooted = pio_rerooted();
	fd_probe(&c);
	m->sockfs_dev = c.sockfs_dev;
	if (c.types & (IPC_TYPE_BIT(IPC_SHM) | IPC_TYPE_BIT(IPC_SEM) | IPC_TYPE_BIT(IPC_MEMFD))) {
		rc = shm_scan_dir(m, &c);
		if (rc < 0 && rc != -ENOENT)
			model_warn(m, "cannot read /dev/shm: %s", strerror(-rc));
	}
	if (c.types & IPC_TYPE_BIT(IPC_MQUEUE))
		scan_mqueue(m, &c, opts->mqueue_dir, opts->mqueue_asked);
	if (c.types & IPC_TYPE_BIT(IPC_SYSVSHM)) {
		rc = shm_scan_sysv(m, &c);
		if (rc < 0 && rc != -ENOENT)
			model_warn(m, "cannot read /proc/sysvipc/shm: %s", strerror(-rc));
	}
	rc = proc_collect(m);
	if (rc < 0)
		goto out;
	m->stats.procs = m->nprocs;
	/* for the pid-reuse test: a window between the process list and the walk */
	if (getenv("IPCSCOPE_TEST_PAUSE_AFTER_PROCS"))
		raise(SIGSTOP);
	if (opts->nfocus) {
		/* --pid: those processes first; then the others only for the
		 * other holders of what they hold, and of its peers */
		scan_procs(m, &c, opts, WALK_FOCUS);
		if (c.types & IPC_TYPE_BIT(IPC_UNIX))
			unix_collect(m, &c);
		link_listeners(m);
		c.skip_maps = !mark_wanted(m, opts);
		c.only_wanted = true;
		scan_procs(m, &c, opts, WALK_OTHERS);
		c.only_wanted = false;
		c.skip_maps = false;
	} else {
		scan_procs(m, &c, opts, WALK_ALL);
		if (c.types & IPC_TYPE_BIT(IPC_UNIX))
			unix_collect(m, &c);
		link_listeners(m);
	}
	model_prune(m, keep_object);
	if (opts->search)
		search_files(m, &c, opts->search_roots, opts->nsearch_roots);
	if (m->stats.denied)
		model_warn(m, "%zu of %zu processes not readable: the objects they hold "
			   "are not shown as theirs; run as root to see them",
			   m->stats.denied, m->stats.procs);
	rc = 0;
out:
	free(c.mqueue_found);
	buf_free(&c.file);
	buf_free(&c.text);
	return rc;
}
