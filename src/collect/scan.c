/* collect: runs the collectors in order and leaves the facts in the
 * model, for the link step (model/link.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/bounded.h"
#include "collect/bpfscan.h"
#include "collect/collect.h"
#include "escape.h"
#include "kinds/kind.h"
#include "collect/ns.h"
#include "testhooks.h"
#include "model/link.h"
#include "model/waitgraph.h"
#include "collect/pathio.h"
#include "collect/proc.h"

static bool keep_object(const struct ipc_obj *o)
{
	return !o->drop && (!kind_of(o)->keep || kind_of(o)->keep(o));
}

static bool in_focus(const struct scan_opts *o, pid_t pid)
{
	for (size_t i = 0; i < o->nfocus; i++)
		if (o->focus[i] == pid)
			return true;
	return false;
}

static void want_end(void *arg, struct ipc_obj *end)
{
	(void)arg;
	end->wanted = true;
}

/* Marks what the --pid processes hold, and what is at the other ends: the
 * kinds say (focus_ends), after the links. Returns whether any of it can
 * be mapped, which is when the others' maps are worth reading. */
static bool mark_wanted(struct model *m, const struct scan_opts *opts)
{
	bool mappable = false;
	size_t n = m->nobjs;
	bool *held = xcalloc(n ? n : 1, sizeof(*held));

	for (size_t i = 0; i < n; i++) {
		struct ipc_obj *o = m->objs[i];

		for (size_t k = 0; k < o->nholders && !held[i]; k++)
			held[i] = in_focus(opts, o->holders[k].proc->pid);
		/* a collector may have wanted it already (an other end it made) */
		o->wanted |= held[i];
	}
	for (size_t i = 0; i < n; i++) {
		struct ipc_obj *o = m->objs[i];

		if (held[i] && kind_of(o)->focus_ends)
			kind_of(o)->focus_ends(m, o, true, want_end, NULL);
		if (held[i] && kind_has(o->type, KT_MAPPABLE))
			mappable = true;
	}
	for (size_t i = 0; i < n; i++) {
		struct ipc_obj *o = m->objs[i];

		if (o->wanted && !held[i] && kind_of(o)->focus_ends)
			kind_of(o)->focus_ends(m, o, false, want_end, NULL);
	}
	free(held);
	/* a listener they connect to: its holders can end the wait */
	waits_link_connects(m);
	for (size_t i = 0; i < m->nwaits; i++)
		if (m->waits[i].target && in_focus(opts, m->waits[i].proc->pid))
			m->waits[i].target->wanted = true;
	return mappable;
}

/* POSIX message queues that no process holds are visible only where an
 * mqueue filesystem is mounted: --mqueue-dir, else the first one in our
 * mountinfo, if it is one to trust. */
static void scan_mqueue(struct model *m, struct scan_ctx *c, const char *dir, bool asked)
{
	const struct ns_mounts *mi = c->self_mounts;
	const struct mnt_fact *want = NULL;
	const char *why;
	int rc;

	if (!dir && mi && mi->mq.set) {
		if ((why = mounts_mq_refusal(mi))) {
			struct buf d = { 0 };

			esc_table(&d, mi->mq_dir.data, mi->mq_dir.len);
			model_warn(m, "the mqueue filesystem on %s is not listed: %s", d.data, why);
			buf_free(&d);
			return;
		}
		dir = c->mqueue_found = xstrdup(mi->mq_dir.data);
		want = &mi->mq;
	} else if (!dir && c->rooted && pio_read("/proc/self/mountinfo", &c->file) == 0) {
		struct ns_mounts fx = { 0 };

		if (ns_parse_mountinfo(c->file.data, c->file.len, &fx) == 0 && fx.mq.set)
			dir = c->mqueue_found = xstrdup(fx.mq_dir.data);
		mounts_free(&fx);
	}
	if (!dir) {
		/* held queues are found by their descriptors, on the IPC
		 * namespace's internal mount; only the unheld need a listing */
		(asked ? model_warn : model_note)(m, "no mqueue filesystem is mounted here, so the "
			"POSIX message queues of this IPC namespace that no process holds are "
			"not listed (mount -t mqueue none /dev/mqueue)");
		return;
	}
	c->mqueue_dir = dir;
	rc = mq_scan_dir(m, c, want);
	if (rc < 0) {
		/* a mount point is a name like any other: escaped */
		struct buf d = { 0 };

		esc_table(&d, dir, strlen(dir));
		model_warn(m, "cannot read the message queues in %s: %s", d.data, strerror(-rc));
		buf_free(&d);
	}
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
	size_t first_rec;
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
	first_rec = c->batch->nrecs;
	c->fd_tid = p->via_tid;
	rc = fd_scan(m, c, p, piddir);
	if (rc == 0 && c->want_waits && !c->rooted)
		waits_scan(c, p, piddir, first_rec);
	/* after the waits, which match fd numbers of the first table only */
	if (rc == 0)
		rc = fd_scan_threads(m, c, p, piddir);
	c->fd_tid = 0;
	if (rc == -EACCES || rc == -EPERM) {
		p->denied = true;
		st->denied++;
	} else if (rc == 0 && (c->types & kind_mask(KT_MAPPABLE)) && !c->skip_maps) {
		rc = maps_scan(m, c, p, piddir);
		if ((rc == -EACCES || rc == -EPERM) && !p->denied) {
			p->denied = true;
			st->denied++;
		}
	}
	/* The thread read for an exited leader may have exited during the
	 * walk, its fd/ and maps then reading empty: what was seen is not a
	 * view to call a leak certain on. */
	if (p->via_tid && !p->denied && !proc_task_alive(piddir)) {
		p->denied = true;
		st->denied++;
	}
	/* a holder's cgroup, while its directory is open and checked */
	if (c->want_cgroup && c->batch->nrecs > first_rec)
		cgroup_read(p, piddir, &c->text);
	close(piddir);
}

struct walker {
	pthread_t tid;
	struct scan_batch batch;
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

static void scan_procs_proc(struct model *m, struct scan_ctx *c,
			    const struct scan_opts *opts, enum walk_set set);

struct walk_filter {
	const struct scan_opts *opts;
	enum walk_set set;
};

static bool filter_takes(const void *arg, pid_t pid)
{
	const struct walk_filter *f = arg;

	return takes(f->opts, f->set, pid);
}

/* The kernel's iterators walk the fds and mappings; false when they
 * could not, and the /proc walk is to run instead. */
static bool scan_bpf(struct model *m, struct scan_ctx *c, const struct scan_opts *opts,
		     enum walk_set set)
{
	struct walk_filter f = { opts, set };
	struct scan_batch one = { 0 };
	const char *why;
	int rc;

	c->batch = &one;
	rc = bpfscan_walk(c->bpf, m, c, filter_takes, &f, &why);
	c->batch = NULL;
	if (rc == 0) {
		/* merged process by process already: what is left, and its memory */
		fd_probes_take(c, &one);
		batch_merge(m, &one);
		return true;
	}
	batch_free(&one);
	model_warn(m, "the bpf backend failed (%s: %s); the processes were read "
		   "through /proc instead", why, strerror(-rc));
	m->backend = "proc";
	m->backend_why = "the bpf backend failed during the scan";
	bpfscan_free(c->bpf);
	c->bpf = NULL;
	return false;
}

/* The walk of /proc/PID is nearly all system calls, which run in parallel
 * well: one walker per CPU, each taking the next process when it is done. */
static void scan_procs(struct model *m, struct scan_ctx *c, const struct scan_opts *opts,
		       enum walk_set set)
{
	if (c->bpf && scan_bpf(m, c, opts, set))
		return;
	scan_procs_proc(m, c, opts, set);
}

static void scan_procs_proc(struct model *m, struct scan_ctx *c, const struct scan_opts *opts,
			    enum walk_set set)
{
	struct scan_batch one = { 0 };
	struct walker *w;
	size_t next = 0;
	int n = opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (n > 8)
		n = 8;
	if (n <= 1 || c->rooted || m->nprocs < 64 || set == WALK_FOCUS) {
		c->batch = &one;
		for (size_t i = 0; i < m->nprocs; i++)
			if (takes(opts, set, m->procs[i]->pid))
				scan_one(m, c, m->procs[i], &m->stats);
		c->batch = NULL;
		fd_probes_take(c, &one);
		batch_merge(m, &one);
		return;
	}
	w = xcalloc((size_t)n, sizeof(*w));
	for (int i = 0; i < n; i++) {
		w[i].m = m;
		w[i].opts = opts;
		w[i].set = set;
		w[i].c = *c;
		w[i].c.batch = &w[i].batch;
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
	if (set != WALK_OTHERS)
		unix_prefetch(c);
	for (int i = 0; i < n; i++) {
		fd_probes_take(c, &w[i].batch);
		batch_merge(m, &w[i].batch);
	}
	free(w);
}

/* The listings of objects that exist without a process: each runs when a
 * type it finds is wanted. */
static int list_shm(struct model *m, struct scan_ctx *c, const struct scan_opts *o)
{
	int rc = shm_scan_dir(m, c);

	(void)o;
	if (rc < 0 && rc != -ENOENT)
		model_warn(m, "cannot read /dev/shm: %s", strerror(-rc));
	return 0;
}

static int list_mqueue(struct model *m, struct scan_ctx *c, const struct scan_opts *o)
{
	scan_mqueue(m, c, o->mqueue_dir, o->mqueue_asked);
	return 0;
}

static int list_sysv(struct model *m, struct scan_ctx *c, const struct scan_opts *o)
{
	int rc = shm_scan_sysv(m, c);

	(void)o;
	if (rc < 0 && rc != -ENOENT)
		model_warn(m, "cannot read /proc/sysvipc/shm: %s", strerror(-rc));
	return 0;
}

/* each runs when a kind it serves is wanted (ipc_kind.listings) */
static const struct {
	unsigned listing;
	int (*run)(struct model *m, struct scan_ctx *c, const struct scan_opts *o);
} listings[] = {
	{ LIST_DEVSHM, list_shm },
	{ LIST_MQUEUE, list_mqueue },
	{ LIST_SYSV, list_sysv },
};

/* The walk of every process, then the sockets' tables; with --pid, those
 * processes first, then the others only for the other holders of what
 * they hold, and of its peers. */
static void scan_walk(struct model *m, struct scan_ctx *c, const struct scan_opts *opts)
{
	/* also for a kind the walk finds as a UNIX socket (inet): the look at
	 * held sockets no dump described tells their family */
	bool sockets = c->types & kind_takes(IPC_UNIX);

	scan_procs(m, c, opts, opts->nfocus ? WALK_FOCUS : WALK_ALL);
	for (int t = 0; t < IPC_NTYPES; t++)
		if ((c->types & IPC_TYPE_BIT(t)) && ipc_kinds[t]->collect)
			ipc_kinds[t]->collect(m, c);
	if (sockets)
		unix_collect(m, c);
	if (opts->nfocus) {
		/* which other ends to walk: the links, ahead of the link step */
		link_kinds(m);
		c->skip_maps = !mark_wanted(m, opts);
		c->only_wanted = true;
		scan_procs(m, c, opts, WALK_OTHERS);
		c->only_wanted = false;
		c->skip_maps = false;
	}
	/* the looks through holders' fds, all in one bounded child */
	fd_probes_run(m, c);
}

static void scan_finish(struct model *m, struct scan_ctx *c, const struct scan_opts *opts)
{
	bool sockets = c->types & IPC_TYPE_BIT(IPC_UNIX);

	/* a held socket no table listed was looked at by unix_collect, in a
	 * child: its fd may be a FUSE file by now, whose getxattr need never
	 * end, so nothing here follows it again */
	model_prune(m, keep_object);
	if (opts->search && (c->types & (IPC_TYPE_BIT(IPC_UNIX) | IPC_TYPE_BIT(IPC_FIFO))))
		search_files(m, c, opts->search_roots, opts->nsearch_roots);
	ns_publish(m, c);
	cgroup_collect(m, c, opts->want_cgroup);
	if (m->stats.denied)
		model_warn(m, "%zu of %zu processes not readable: the objects they hold "
			   "are not shown as theirs; %s", m->stats.denied, m->stats.procs,
			   view_denied_advice());
	view_finish(m, sockets);
	view_openers(m);
	if (bounded_spent())
		model_warn(m, "lookups in other users' filesystems and memory waited %d ms in all "
			   "without an answer, and the rest were not tried: some namespaces, "
			   "sleeping opens and poll sets were not read", BOUNDED_BUDGET_MS);
}

/* Which backend walks the processes: bpf when asked, or on auto when its
 * programs load; else proc. -errno when bpf was asked and cannot run. */
static int pick_backend(struct model *m, struct scan_ctx *c, const struct scan_opts *opts)
{
	const char *why;

	m->backend = "proc";
	if (c->rooted) {
		m->backend_why = opts->backend == SCAN_BACKEND_BPF ?
			"it reads the running kernel, not the tree IPCSCOPE_ROOT names" :
			"a fixture tree (IPCSCOPE_ROOT) is read through /proc";
		return opts->backend == SCAN_BACKEND_BPF ? -ENOTSUP : 0;
	}
	if (opts->backend == SCAN_BACKEND_PROC) {
		m->backend_why = "asked for";
		return 0;
	}
	if (bpfscan_ready(c->bpf, &why) < 0) {
		bpfscan_free(c->bpf);
		c->bpf = NULL;
		m->backend_why = why;
		return opts->backend == SCAN_BACKEND_BPF ? -ENOTSUP : 0;
	}
	m->backend = "bpf";
	m->backend_why = opts->backend == SCAN_BACKEND_BPF ? "asked for" :
			 "its programs loaded";
	return 0;
}

int scan_run(struct model *m, const struct scan_opts *opts)
{
	struct scan_probes probes = { 0 };
	struct scan_ctx c = { .types = opts->types, .probes = &probes, .want_fill = opts->want_fill,
			      .want_waits = opts->want_waits, .want_cgroup = opts->want_cgroup };
	int rc;

	c.rooted = c.devs.rooted = pio_rerooted();
	c.want_binds = opts->search;
	bounded_reset();
	if (!c.rooted) {
		/* what our own namespace mounts: trusted before anything is listed */
		c.self_mounts = xcalloc(1, sizeof(*c.self_mounts));
		if (mounts_read_at(AT_FDCWD, "/proc/self/mountinfo", c.self_mounts) < 0) {
			free(c.self_mounts);
			c.self_mounts = NULL;
		}
	}
	m->waits_asked = opts->want_waits && !c.rooted;
	m->waits_quiet = opts->waits_quiet;
	fd_probe(&c);
	/* the load overlaps the listings and the process list */
	if (!c.rooted && opts->backend != SCAN_BACKEND_PROC)
		c.bpf = bpfscan_start(&c.devs);
	m->sockfs_dev = c.devs.sockfs;
	view_probe(m, &c);
	for (size_t i = 0; i < ARRAY_SIZE(listings); i++)
		if (c.types & kind_listing_mask(listings[i].listing))
			listings[i].run(m, &c, opts);
	rc = proc_collect(m);
	if (rc == 0) {
		m->stats.procs = m->nprocs;
		/* for the pid-reuse test: a window between the process list and the walk */
		testhook_pause(TESTHOOK_AFTER_PROCS);
		ns_discover(m, &c);
		rc = pick_backend(m, &c, opts);
	}
	if (rc == 0) {
		scan_walk(m, &c, opts);
		scan_finish(m, &c, opts);
	}
	bpfscan_free(c.bpf);
	ns_free(&c);
	if (c.self_mounts)
		mounts_free(c.self_mounts);
	free(c.self_mounts);
	free(c.mqueue_found);
	free(probes.v);
	buf_free(&c.file);
	buf_free(&c.text);
	return rc;
}
