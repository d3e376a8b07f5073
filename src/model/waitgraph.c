/* link: each thread's wait joined to its object, why it waits, and the
 * wait-for graph. A waiting process has an edge to every process that
 * could end one of its waits (the writers of an empty pipe, the peer of a
 * socket). A process is stuck when all its threads wait on IPC and none
 * can be woken by a process that is not stuck: a group of such processes
 * waiting on each other is a deadlock. A waiting process that is not stuck
 * is held up by the processes at the end of its edges that are busy with
 * something else: the bottleneck of a stalled pipeline.
 *
 * Many processes may wait on one object (workers reading a shared pipe,
 * writers to a stuck logger): the wakers of all the waits on one object
 * in one direction are one list, made once, and every walk below visits
 * a list or a process at most once, so that the work grows with the
 * holders and the waits, not with their product. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kinds/kind.h"
#include "model/waitgraph.h"
#include "kinds/unix.h"

/* The processes that can end the waits on one object in one direction,
 * each once, and whether no one else can. */
struct wakers {
	uint32_t *procs;
	size_t n, cap;
	bool closed;
	bool has_live;		/* one of them is live: it stays so */
	uint32_t stamp;		/* the walk that last went through it */
};

struct wg {
	struct model *m;
	struct wakers *lists;
	size_t nlists;
	uint32_t *list_of;	/* per wait: its list */
	bool *live;		/* per process: can still act, or be woken */
	/* per process: its waits are [first, end) (the walk kept a process's
	 * records together) */
	size_t *first, *end;
	/* Tarjan's strongly connected components over stuck processes */
	int *index, *low;
	bool *on_stack;
	uint32_t *stack;
	size_t sp;
	int next;
	uint32_t *cycle;	/* per process: its cycle's number + 1, or 0 */
	/* per process: the walk that last saw it, and its stall + 1 */
	uint32_t *seen, *stall;
	uint32_t walk;
};

static struct wakers *wakers_of(const struct wg *g, size_t wait)
{
	return &g->lists[g->list_of[wait]];
}

bool waits_proc_waiting(const struct ipc_proc *p)
{
	return p->waits_read && p->nunread == 0 && p->nthreads_seen > 0 &&
	       p->nwaiting == p->nthreads_seen;
}

/* A list being made: mark[p] == stamp when p is in it already. */
struct wakers_build {
	struct wakers *w;
	uint32_t *mark;
	uint32_t stamp;
};

static void wakers_add(void *arg, const struct ipc_holder *h)
{
	struct wakers_build *b = arg;
	struct wakers *w = b->w;

	if (b->mark[h->proc->idx] == b->stamp)
		return;
	b->mark[h->proc->idx] = b->stamp;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		w->procs = xreallocarray(w->procs, w->cap, sizeof(*w->procs));
	}
	w->procs[w->n++] = (uint32_t)h->proc->idx;
}

/* Appends to an array whose capacity is the next power of two. */
static void append_ptr(void ***arr, size_t *n, void *p)
{
	if ((*n & (*n - 1)) == 0)
		*arr = xreallocarray(*arr, *n ? *n * 2 : 1, sizeof(**arr));
	(*arr)[(*n)++] = p;
}

void waits_wakers(const struct model *m, const struct ipc_wait *w,
		  void (*fn)(void *arg, const struct ipc_holder *h), void *arg, bool *closed)
{
	const struct ipc_kind *k = kind_of(w->obj);

	if (w->target) {
		/* a connect: the listener's holders, and any process may
		 * still come and accept */
		for (size_t i = 0; i < w->target->nholders; i++)
			fn(arg, &w->target->holders[i]);
		*closed = false;
		return;
	}
	if (k->wait_wakers) {
		*closed = k->wait_wakers(m, w->obj, (enum wait_dir)w->dir, fn, arg);
		return;
	}
	for (size_t i = 0; i < w->obj->nholders; i++)
		fn(arg, &w->obj->holders[i]);
	*closed = false;
}

static const struct ipc_wait *sort_waits;

static int cmp_ptr(const void *a, const void *b)
{
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

/* By object, process and fd, then in model order. */
static int wait_by_holder(const void *pa, const void *pb)
{
	const struct ipc_wait *a = &sort_waits[*(const uint32_t *)pa],
			      *b = &sort_waits[*(const uint32_t *)pb];
	int c = cmp_ptr(a->obj, b->obj);

	if (!c && a->proc != b->proc)
		c = a->proc->idx < b->proc->idx ? -1 : 1;
	if (!c)
		c = (a->fd > b->fd) - (a->fd < b->fd);
	return c ? c : cmp_ptr(a, b);
}

/* By object, direction and target, then in model order. */
static int wait_by_list(const void *pa, const void *pb)
{
	const struct ipc_wait *a = &sort_waits[*(const uint32_t *)pa],
			      *b = &sort_waits[*(const uint32_t *)pb];
	int c = cmp_ptr(a->obj, b->obj);

	if (!c)
		c = (a->dir > b->dir) - (a->dir < b->dir);
	if (!c)
		c = cmp_ptr(a->target, b->target);
	return c ? c : cmp_ptr(a, b);
}

/* The waits' indexes in the order of cmp (the link stage is single
 * threaded: the comparators read sort_waits). */
static uint32_t *waits_sorted(const struct model *m, int (*cmp)(const void *, const void *))
{
	uint32_t *v = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*v));

	for (size_t i = 0; i < m->nwaits; i++)
		v[i] = (uint32_t)i;
	sort_waits = m->waits;
	qsort(v, m->nwaits, sizeof(*v), cmp);
	return v;
}

/* Each holder through which a thread waits gets the call of the first
 * such wait: a binary search among its object's waits, per holder. */
static void mark_holders(struct model *m)
{
	uint32_t *v = waits_sorted(m, wait_by_holder);

	for (size_t i = 0, j; i < m->nwaits; i = j) {
		struct ipc_obj *o = m->waits[v[i]].obj;

		for (j = i; j < m->nwaits && m->waits[v[j]].obj == o; j++)
			;
		for (size_t k = 0; k < o->nholders; k++) {
			struct ipc_holder *h = &o->holders[k];
			size_t lo = i, hi = j;

			while (!h->mapped && lo < hi) {
				const struct ipc_wait *w = &m->waits[v[lo + (hi - lo) / 2]];

				if (w->proc->idx < h->proc->idx ||
				    (w->proc == h->proc && w->fd < h->fd))
					lo = lo + (hi - lo) / 2 + 1;
				else
					hi = lo + (hi - lo) / 2;
			}
			if (!h->mapped && lo < j && m->waits[v[lo]].proc == h->proc &&
			    m->waits[v[lo]].fd == h->fd)
				h->wait = m->waits[v[lo]].syscall;
		}
	}
	free(v);
}

/* One list per (object, direction) waited on, made by the kind once. */
static void make_lists(struct wg *g)
{
	struct model *m = g->m;
	uint32_t *v = waits_sorted(m, wait_by_list);
	struct wakers_build b = { .mark = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*b.mark)) };

	g->lists = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*g->lists));
	g->list_of = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*g->list_of));
	for (size_t i = 0; i < m->nwaits; i++) {
		const struct ipc_wait *w = &m->waits[v[i]], *prev = i ? &m->waits[v[i - 1]] : NULL;

		if (!prev || prev->obj != w->obj || prev->dir != w->dir || prev->target != w->target) {
			b.w = &g->lists[g->nlists++];
			b.stamp = (uint32_t)g->nlists;
			waits_wakers(m, w, wakers_add, &b, &b.w->closed);
		}
		g->list_of[v[i]] = (uint32_t)(g->nlists - 1);
	}
	free(b.mark);
	free(v);
}

/* A listener in a poll, select or epoll set waits as accept does, for a
 * client: it is never writable, and readable once one comes. */
static void polled_listener(struct ipc_wait *w)
{
	const struct ipc_kind *k = kind_of(w->obj);

	if (w->polled && k->listening && k->listening(w->obj) &&
	    (w->dir == WD_READ || w->dir == WD_WRITE)) {
		w->dir = WD_ACCEPT;
		w->cond = WC_DATA;
	}
}

/* Why it waits: the kind's word for its direction, or, for a set's fd
 * that asks for no data, what it asks for. */
static const char *wait_state(const struct ipc_wait *w)
{
	const struct ipc_kind *k = kind_of(w->obj);

	if (w->cond == WC_HANGUP)
		return "hangup";
	if (w->cond == WC_URGENT)
		return "no-urgent";
	return k->wait_state ? k->wait_state((enum wait_dir)w->dir) : "waiting";
}

/* A connect's listener: the socket bound to the file it names, or by the
 * abstract name, in the connecting socket's network namespace. */
static bool listener_of(const struct ipc_wait *w, const struct ipc_obj *l)
{
	const struct ipc_unix *u = unix_st(l);

	if (w->has_target)
		return u->has_vfs && u->vfs_dev == w->tdev &&
		       u->vfs_ino == (uint32_t)w->tino;	/* sock_diag gives 32 bits */
	return w->tname && l->pathlen == w->tnamelen && memcmp(l->path, w->tname, w->tnamelen) == 0 &&
	       (!u->netns || !w->obj || !unix_of(w->obj) || !unix_st(w->obj)->netns ||
		u->netns == unix_st(w->obj)->netns);
}

static int conn_key_cmp(const struct ipc_wait *a, const struct ipc_wait *b)
{
	int c = (a->has_target < b->has_target) - (a->has_target > b->has_target);
	size_t n;

	if (c || a->has_target)
		return c ? c : a->tdev != b->tdev ? (a->tdev > b->tdev) - (a->tdev < b->tdev)
			     : ((uint32_t)a->tino > (uint32_t)b->tino) -
			       ((uint32_t)a->tino < (uint32_t)b->tino);
	n = a->tnamelen < b->tnamelen ? a->tnamelen : b->tnamelen;
	c = memcmp(a->tname, b->tname, n);
	return c ? c : (a->tnamelen > b->tnamelen) - (a->tnamelen < b->tnamelen);
}

static int conn_cmp(const void *pa, const void *pb)
{
	return conn_key_cmp(&sort_waits[*(const uint32_t *)pa], &sort_waits[*(const uint32_t *)pb]);
}

/* The listeners the connects wait on: the connects sorted by what they
 * name, and each listener looked for among them, so that many connects
 * and many listeners cost their sum, not their product. */
void waits_link_connects(struct model *m)
{
	uint32_t *v = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < m->nwaits; i++) {
		m->waits[i].target = NULL;	/* an earlier link's may be gone */
		if (m->waits[i].dir == WD_CONNECT && (m->waits[i].has_target || m->waits[i].tname))
			v[n++] = (uint32_t)i;
	}
	sort_waits = m->waits;
	if (n)
		qsort(v, n, sizeof(*v), conn_cmp);
	for (size_t k = 0; n && k < m->nobjs; k++) {
		struct ipc_obj *l = m->objs[k];
		const struct ipc_unix *u = unix_st(l);
		struct ipc_wait probe = { 0 };
		size_t lo = 0, hi = n;

		if (!unix_of(l) || l->sockfile || u->state != US_LISTEN)
			continue;
		if (u->has_vfs) {
			probe.has_target = true;
			probe.tdev = u->vfs_dev;
			probe.tino = u->vfs_ino;
		} else if (l->path && l->path[0] == '@') {
			probe.tname = l->path;
			probe.tnamelen = l->pathlen;
		} else {
			continue;
		}
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (conn_key_cmp(&m->waits[v[mid]], &probe) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && conn_key_cmp(&m->waits[v[lo]], &probe) == 0; lo++)
			if (listener_of(&m->waits[v[lo]], l))
				m->waits[v[lo]].target = l;
	}
	free(v);
}

/* Objects found by identity; a wait whose fd turned out to be no IPC
 * object (a TCP socket the model dropped) is no IPC wait. Threads are
 * counted again for the same reason. */
static void resolve(struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nprocs; i++)
		m->procs[i]->nwaiting = 0;
	for (size_t i = 0; i < m->nwaits; i++) {
		struct ipc_wait *w = &m->waits[i];
		const struct ipc_wait *prev = n ? &m->waits[n - 1] : NULL;

		w->obj = model_find_ns(m, w->dev, w->ino, w->ns);
		if (!w->obj) {
			free(w->tname);
			continue;
		}
		if (w->dir == WD_OPEN_READ || w->dir == WD_OPEN_WRITE)
			w->obj->held_by |= HELD_OPENER;
		polled_listener(w);
		w->state = wait_state(w);
		if (!prev || prev->proc != w->proc || prev->tid != w->tid) {
			w->proc->nwaiting++;
			if (!w->proc->waiting_in)
				w->proc->waiting_in = w->syscall;
		}
		m->waits[n++] = *w;
	}
	m->nwaits = n;
	waits_link_connects(m);
	mark_holders(m);
}

/* Does the list hold a live process? Once it does, it always will: no
 * process stops being live. */
static bool list_live(const struct wg *g, struct wakers *w)
{
	for (size_t k = 0; !w->has_live && k < w->n; k++)
		w->has_live = g->live[w->procs[k]];
	return w->has_live;
}

/* Can this thread (waits [i, j)) be woken, now that live is as it is? */
static bool thread_wakeable(const struct wg *g, size_t i, size_t j)
{
	for (; i < j; i++) {
		struct wakers *w = wakers_of(g, i);

		/* a wait that blocks has another end: when none was seen, it
		 * is in a process we could not read */
		if (g->m->waits[i].alt || !w->closed || !w->n || list_live(g, w))
			return true;
	}
	return false;
}

/* live: not waiting on IPC, or with a thread that something live (or
 * anyone at all) can wake; repeated until nothing changes. */
static void find_live(struct wg *g)
{
	const struct model *m = g->m;
	bool changed = true;

	for (size_t i = 0; i < m->nprocs; i++)
		g->live[i] = !waits_proc_waiting(m->procs[i]);
	while (changed) {
		changed = false;
		for (size_t i = 0, j; i < m->nwaits; i = j) {
			const struct ipc_wait *w = &m->waits[i];

			for (j = i + 1; j < m->nwaits && m->waits[j].proc == w->proc &&
					m->waits[j].tid == w->tid; j++)
				;
			if (!g->live[w->proc->idx] && thread_wakeable(g, i, j)) {
				g->live[w->proc->idx] = true;
				changed = true;
			}
		}
	}
}

static bool stuck(const struct wg *g, uint32_t p)
{
	return !g->live[p];
}

static void add_ptr(void ***arr, size_t *n, void *p)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i] == p)
			return;
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = p;
}

static const size_t *sort_first;

static int by_first(const void *a, const void *b)
{
	size_t x = sort_first[*(const uint32_t *)a], y = sort_first[*(const uint32_t *)b];

	return (x > y) - (x < y);
}

/* The objects through which the members of cycle id (g->cycle) wait on
 * each other, in the order of their waits in the model: the members are
 * taken in the order of their first wait. */
static void cycle_objects(const struct wg *g, struct ipc_cycle *c, uint32_t id)
{
	uint32_t *members = xcalloc(c->nprocs, sizeof(*members));

	for (size_t n = 0; n < c->nprocs; n++)
		members[n] = (uint32_t)c->procs[n]->idx;
	sort_first = g->first;
	qsort(members, c->nprocs, sizeof(*members), by_first);
	for (size_t n = 0; n < c->nprocs; n++) {
		size_t p = members[n];

		for (size_t i = g->first[p]; i < g->end[p]; i++) {
			const struct wakers *w = wakers_of(g, i);

			for (size_t k = 0; k < w->n; k++)
				if (g->cycle[w->procs[k]] == id) {
					add_ptr((void ***)&c->objs, &c->nobjs, g->m->waits[i].obj);
					break;
				}
		}
	}
	free(members);
}

static bool self_edge(const struct wg *g, uint32_t p)
{
	for (size_t i = g->first[p]; i < g->end[p]; i++) {
		const struct wakers *w = wakers_of(g, i);

		for (size_t k = 0; k < w->n; k++)
			if (w->procs[k] == p)
				return true;
	}
	return false;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = (*(struct ipc_proc *const *)a)->pid, y = (*(struct ipc_proc *const *)b)->pid;

	return (x > y) - (x < y);
}

/* A component off Tarjan's stack, whose members are each there once: a
 * cycle when it has two, or one that waits on itself. */
static void scc_pop(struct wg *g, uint32_t root)
{
	struct model *m = g->m;
	struct ipc_cycle c = { 0 };
	uint32_t p, id = (uint32_t)m->ncycles + 1;

	do {
		p = g->stack[--g->sp];
		g->on_stack[p] = false;
		g->cycle[p] = id;
		append_ptr((void ***)&c.procs, &c.nprocs, m->procs[p]);
	} while (p != root);
	if (c.nprocs < 2 && !self_edge(g, root)) {
		g->cycle[root] = 0;
		free(c.procs);
		return;
	}
	/* in pid order, for output that does not depend on the walk */
	qsort(c.procs, c.nprocs, sizeof(*c.procs), by_pid);
	cycle_objects(g, &c, id);
	m->cycles = xreallocarray(m->cycles, m->ncycles + 1, sizeof(*m->cycles));
	m->cycles[m->ncycles++] = c;
}

static void scc_visit(struct wg *g, uint32_t p)
{
	g->index[p] = g->low[p] = g->next++;
	g->stack[g->sp++] = p;
	g->on_stack[p] = true;
	for (size_t i = g->first[p]; i < g->end[p]; i++) {
		const struct wakers *w = wakers_of(g, i);

		for (size_t k = 0; k < w->n; k++) {
			uint32_t q = w->procs[k];

			if (!stuck(g, q))
				continue;
			if (g->index[q] < 0) {
				scc_visit(g, q);
				if (g->low[q] < g->low[p])
					g->low[p] = g->low[q];
			} else if (g->on_stack[q] && g->index[q] < g->low[p]) {
				g->low[p] = g->index[q];
			}
		}
	}
	if (g->low[p] == g->index[p])
		scc_pop(g, p);
}

static void find_cycles(struct wg *g)
{
	size_t n = g->m->nprocs;

	g->index = xcalloc(n, sizeof(*g->index));
	g->low = xcalloc(n, sizeof(*g->low));
	g->on_stack = xcalloc(n, sizeof(*g->on_stack));
	g->stack = xcalloc(n, sizeof(*g->stack));
	g->cycle = xcalloc(n, sizeof(*g->cycle));
	for (size_t i = 0; i < n; i++)
		g->index[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (stuck(g, (uint32_t)i) && g->index[i] < 0)
			scc_visit(g, (uint32_t)i);
	free(g->index);
	free(g->low);
	free(g->on_stack);
	free(g->stack);
	free(g->cycle);
}

/* Waiting process p is held up by busy process b: a new stall only when
 * start. A pair comes once (each process starts one walk, which sees a
 * process once), so nothing is looked for. */
static void add_stall(struct wg *g, uint32_t b, uint32_t p, bool start)
{
	struct model *m = g->m;
	struct ipc_stall *s;

	if (!g->stall[b]) {
		if (!start)
			return;
		if ((m->nstalls & (m->nstalls - 1)) == 0)
			m->stalls = xreallocarray(m->stalls, m->nstalls ? 2 * m->nstalls : 1,
						  sizeof(*m->stalls));
		memset(&m->stalls[m->nstalls], 0, sizeof(*m->stalls));
		m->stalls[m->nstalls].bottleneck = m->procs[b];
		g->stall[b] = (uint32_t)++m->nstalls;
	}
	s = &m->stalls[g->stall[b] - 1];
	append_ptr((void ***)&s->waiting, &s->nwaiting, m->procs[p]);
}

/* From waiting process p along its edges through waiting processes, to
 * the processes busy with something else: the bottlenecks. start: p
 * pushes against one (a full pipe), which makes it a stall; else p only
 * joins a stall already found (a reader downstream of the slow stage).
 * A walk goes through a list of wakers once, however many of the waits
 * it meets share it. */
static void find_bottlenecks(struct wg *g, uint32_t p, uint32_t *queue, bool start)
{
	struct model *m = g->m;
	size_t head = 0, tail = 0;
	uint32_t walk = ++g->walk;

	queue[tail++] = p;
	g->seen[p] = walk;
	while (head < tail) {
		uint32_t q = queue[head++];

		for (size_t i = g->first[q]; i < g->end[q]; i++) {
			struct wakers *w = wakers_of(g, i);

			if (w->stamp == walk)
				continue;
			w->stamp = walk;
			for (size_t k = 0; k < w->n; k++) {
				uint32_t r = w->procs[k];

				if (g->seen[r] == walk)
					continue;
				g->seen[r] = walk;
				if (waits_proc_waiting(m->procs[r]))
					queue[tail++] = r;
				else
					add_stall(g, r, p, start);
			}
		}
	}
}

/* Does p wait for room: a full pipe, a peer's full queue, a backlog? */
static bool pushes(const struct wg *g, uint32_t p)
{
	for (size_t i = g->first[p]; i < g->end[p]; i++)
		if ((g->m->waits[i].dir == WD_WRITE && g->m->waits[i].cond == WC_DATA) ||
		    g->m->waits[i].dir == WD_CONNECT)
			return true;
	return false;
}

static void find_stalls(struct wg *g)
{
	struct model *m = g->m;
	uint32_t *queue = xcalloc(m->nprocs, sizeof(*queue));

	g->seen = xcalloc(m->nprocs, sizeof(*g->seen));
	g->stall = xcalloc(m->nprocs, sizeof(*g->stall));
	/* A reader of an empty pipe is only idle; a writer to a full one is
	 * held back, and that is a stall. Those downstream join it after. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < m->nprocs; i++)
			if (waits_proc_waiting(m->procs[i]) && !stuck(g, (uint32_t)i) &&
			    pushes(g, (uint32_t)i) == (pass == 0))
				find_bottlenecks(g, (uint32_t)i, queue, pass == 0);
	free(g->seen);
	free(g->stall);
	free(queue);
}

/* Threads whose call could not be read: their process might wait on
 * anything, so it is never taken as waiting. Where waits are only a detail
 * (list, show, graph, watch, metrics) this is a note in the JSON: under
 * Yama's ptrace_scope=1 a user can read none of them, and a warning on
 * every run would teach people to ignore the real ones. */
static void count_unread(struct model *m)
{
	size_t procs = 0, cut = 0, n;
	char text[200];

	for (size_t i = 0; i < m->nprocs; i++) {
		cut += m->procs[i]->ncut;
		if (m->procs[i]->nunread > m->procs[i]->ncut) {
			m->stats.threads_unread += m->procs[i]->nunread - m->procs[i]->ncut;
			procs++;
		}
	}
	if (cut)
		model_warn(m, "%zu sleeping thread%s not followed: at most %d waits of one process "
			   "are recorded", cut, cut == 1 ? " was" : "s were", WAITS_MAX_PER_PROC);
	m->stats.threads_unread += cut;
	if (!procs)
		return;
	n = m->stats.threads_unread - cut;
	snprintf(text, sizeof(text), "what %zu sleeping thread%s of %zu process%s wait%s in could "
		 "not be read (it needs ptrace access%s)", n, n == 1 ? "" : "s", procs,
		 procs == 1 ? "" : "es", n == 1 ? "s" : "", geteuid() ? ": run as root" : "");
	if (m->waits_quiet)
		model_note(m, "%s", text);
	else
		model_warn(m, "%s", text);
}

void waits_link(struct model *m)
{
	struct wg g = { .m = m };

	count_unread(m);
	resolve(m);
	if (!m->nwaits)
		return;
	g.live = xcalloc(m->nprocs, sizeof(*g.live));
	g.first = xcalloc(m->nprocs, sizeof(*g.first));
	g.end = xcalloc(m->nprocs, sizeof(*g.end));
	for (size_t i = m->nwaits; i-- > 0;) {
		size_t p = m->waits[i].proc->idx;

		if (!g.end[p])
			g.end[p] = i + 1;
		g.first[p] = i;
	}
	make_lists(&g);
	find_live(&g);
	find_cycles(&g);
	find_stalls(&g);
	for (size_t i = 0; i < g.nlists; i++)
		free(g.lists[i].procs);
	free(g.lists);
	free(g.list_of);
	free(g.live);
	free(g.first);
	free(g.end);
}

void waits_free(struct model *m)
{
	for (size_t i = 0; i < m->ncycles; i++) {
		free(m->cycles[i].procs);
		free(m->cycles[i].objs);
	}
	for (size_t i = 0; i < m->nstalls; i++)
		free(m->stalls[i].waiting);
	for (size_t i = 0; i < m->nwaits; i++)
		free(m->waits[i].tname);
	free(m->cycles);
	free(m->stalls);
	free(m->waits);
}
