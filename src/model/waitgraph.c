/* link: each thread's wait joined to its object, why it waits, and the
 * wait-for graph. A waiting process has an edge to every process that
 * could end one of its waits (the writers of an empty pipe, the peer of a
 * socket). A process is stuck when all its threads wait on IPC and none
 * can be woken by a process that is not stuck: a group of such processes
 * waiting on each other is a deadlock. A waiting process that is not stuck
 * is held up by the processes at the end of its edges that are busy with
 * something else: the bottleneck of a stalled pipeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kind.h"
#include "waitgraph.h"

/* The processes that can end one wait, and whether no one else can. */
struct wakers {
	uint32_t *procs;
	size_t n, cap;
	bool closed;
};

struct wg {
	struct model *m;
	struct wakers *wk;	/* per wait */
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
};

bool waits_proc_waiting(const struct ipc_proc *p)
{
	return p->waits_read && p->nunread == 0 && p->nthreads_seen > 0 &&
	       p->nwaiting == p->nthreads_seen;
}

static void wakers_add(void *arg, const struct ipc_holder *h)
{
	struct wakers *w = arg;

	for (size_t i = 0; i < w->n; i++)
		if (w->procs[i] == h->proc->idx)
			return;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 4;
		w->procs = xreallocarray(w->procs, w->cap, sizeof(*w->procs));
	}
	w->procs[w->n++] = (uint32_t)h->proc->idx;
}

void waits_wakers(const struct model *m, const struct ipc_wait *w,
		  void (*fn)(void *arg, const struct ipc_holder *h), void *arg, bool *closed)
{
	const struct ipc_kind *k = kind_of(w->obj);

	if (k->wait_wakers) {
		*closed = k->wait_wakers(m, w->obj, (enum wait_dir)w->dir, fn, arg);
		return;
	}
	for (size_t i = 0; i < w->obj->nholders; i++)
		fn(arg, &w->obj->holders[i]);
	*closed = false;
}

static void mark_holder(struct ipc_wait *w)
{
	for (size_t i = 0; w->fd >= 0 && i < w->obj->nholders; i++) {
		struct ipc_holder *h = &w->obj->holders[i];

		if (h->proc == w->proc && h->fd == w->fd && !h->wait)
			h->wait = w->syscall;
	}
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

		w->obj = model_find(m, w->dev, w->ino);
		if (!w->obj)
			continue;
		w->state = kind_of(w->obj)->wait_state ? kind_of(w->obj)->wait_state((enum wait_dir)w->dir)
						      : "waiting";
		mark_holder(w);
		if (!prev || prev->proc != w->proc || prev->tid != w->tid) {
			w->proc->nwaiting++;
			if (!w->proc->waiting_in)
				w->proc->waiting_in = w->syscall;
		}
		m->waits[n++] = *w;
	}
	m->nwaits = n;
}

/* Can this thread (waits [i, j)) be woken, now that live is as it is? */
static bool thread_wakeable(const struct wg *g, size_t i, size_t j)
{
	for (; i < j; i++) {
		const struct wakers *w = &g->wk[i];

		/* a wait that blocks has another end: when none was seen, it
		 * is in a process we could not read */
		if (g->m->waits[i].alt || !w->closed || !w->n)
			return true;
		for (size_t k = 0; k < w->n; k++)
			if (g->live[w->procs[k]])
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

static bool in_scc(const struct ipc_cycle *c, uint32_t p)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i]->idx == p)
			return true;
	return false;
}

/* The objects through which the members wait on each other. */
static void cycle_objects(const struct wg *g, struct ipc_cycle *c)
{
	for (size_t i = 0; i < g->m->nwaits; i++) {
		const struct ipc_wait *w = &g->m->waits[i];

		if (!in_scc(c, (uint32_t)w->proc->idx))
			continue;
		for (size_t k = 0; k < g->wk[i].n; k++)
			if (in_scc(c, g->wk[i].procs[k])) {
				add_ptr((void ***)&c->objs, &c->nobjs, w->obj);
				break;
			}
	}
}

static bool self_edge(const struct wg *g, uint32_t p)
{
	for (size_t i = g->first[p]; i < g->end[p]; i++)
		for (size_t k = 0; k < g->wk[i].n; k++)
			if (g->wk[i].procs[k] == p)
				return true;
	return false;
}

static void scc_pop(struct wg *g, uint32_t root)
{
	struct model *m = g->m;
	struct ipc_cycle c = { 0 };
	uint32_t p;

	do {
		p = g->stack[--g->sp];
		g->on_stack[p] = false;
		add_ptr((void ***)&c.procs, &c.nprocs, m->procs[p]);
	} while (p != root);
	if (c.nprocs < 2 && !self_edge(g, root)) {
		free(c.procs);
		return;
	}
	cycle_objects(g, &c);
	m->cycles = xreallocarray(m->cycles, m->ncycles + 1, sizeof(*m->cycles));
	m->cycles[m->ncycles++] = c;
}

static void scc_visit(struct wg *g, uint32_t p)
{
	g->index[p] = g->low[p] = g->next++;
	g->stack[g->sp++] = p;
	g->on_stack[p] = true;
	for (size_t i = g->first[p]; i < g->end[p]; i++) {
		for (size_t k = 0; k < g->wk[i].n; k++) {
			uint32_t q = g->wk[i].procs[k];

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
	for (size_t i = 0; i < n; i++)
		g->index[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (stuck(g, (uint32_t)i) && g->index[i] < 0)
			scc_visit(g, (uint32_t)i);
	free(g->index);
	free(g->low);
	free(g->on_stack);
	free(g->stack);
}

static struct ipc_stall *stall_of(const struct model *m, const struct ipc_proc *bottleneck)
{
	for (size_t i = 0; i < m->nstalls; i++)
		if (m->stalls[i].bottleneck == bottleneck)
			return &m->stalls[i];
	return NULL;
}

static void add_stall(struct model *m, struct ipc_proc *bottleneck, struct ipc_proc *waiting,
		      bool start)
{
	struct ipc_stall *s = stall_of(m, bottleneck);

	if (!s && !start)
		return;
	if (!s) {
		m->stalls = xreallocarray(m->stalls, m->nstalls + 1, sizeof(*m->stalls));
		s = &m->stalls[m->nstalls++];
		memset(s, 0, sizeof(*s));
		s->bottleneck = bottleneck;
	}
	add_ptr((void ***)&s->waiting, &s->nwaiting, waiting);
}

/* From waiting process p along its edges through waiting processes, to
 * the processes busy with something else: the bottlenecks. start: p
 * pushes against one (a full pipe), which makes it a stall; else p only
 * joins a stall already found (a reader downstream of the slow stage). */
static void find_bottlenecks(struct wg *g, uint32_t p, bool *seen, uint32_t *queue, bool start)
{
	struct model *m = g->m;
	size_t head = 0, tail = 0;

	memset(seen, 0, m->nprocs * sizeof(*seen));
	queue[tail++] = p;
	seen[p] = true;
	while (head < tail) {
		uint32_t q = queue[head++];

		for (size_t i = g->first[q]; i < g->end[q]; i++) {
			for (size_t k = 0; k < g->wk[i].n; k++) {
				uint32_t r = g->wk[i].procs[k];

				if (seen[r])
					continue;
				seen[r] = true;
				if (waits_proc_waiting(m->procs[r]))
					queue[tail++] = r;
				else
					add_stall(m, m->procs[r], m->procs[p], start);
			}
		}
	}
}

/* Does p wait for room: a full pipe, a peer's full queue, a backlog? */
static bool pushes(const struct wg *g, uint32_t p)
{
	for (size_t i = g->first[p]; i < g->end[p]; i++)
		if (g->m->waits[i].dir == WD_WRITE || g->m->waits[i].dir == WD_CONNECT)
			return true;
	return false;
}

static void find_stalls(struct wg *g)
{
	struct model *m = g->m;
	bool *seen = xcalloc(m->nprocs, sizeof(*seen));
	uint32_t *queue = xcalloc(m->nprocs, sizeof(*queue));

	/* A reader of an empty pipe is only idle; a writer to a full one is
	 * held back, and that is a stall. Those downstream join it after. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < m->nprocs; i++)
			if (waits_proc_waiting(m->procs[i]) && !stuck(g, (uint32_t)i) &&
			    pushes(g, (uint32_t)i) == (pass == 0))
				find_bottlenecks(g, (uint32_t)i, seen, queue, pass == 0);
	free(seen);
	free(queue);
}

/* Threads whose call could not be read: their process might wait on
 * anything, so it is never taken as waiting. Where waits are only a detail
 * (list, show, graph, watch, metrics) this is a note in the JSON: under
 * Yama's ptrace_scope=1 a user can read none of them, and a warning on
 * every run would teach people to ignore the real ones. */
static void count_unread(struct model *m)
{
	size_t procs = 0, n;
	char text[200];

	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i]->nunread) {
			m->stats.threads_unread += m->procs[i]->nunread;
			procs++;
		}
	if (!procs)
		return;
	n = m->stats.threads_unread;
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
	g.wk = xcalloc(m->nwaits, sizeof(*g.wk));
	g.live = xcalloc(m->nprocs, sizeof(*g.live));
	g.first = xcalloc(m->nprocs, sizeof(*g.first));
	g.end = xcalloc(m->nprocs, sizeof(*g.end));
	for (size_t i = m->nwaits; i-- > 0;) {
		size_t p = m->waits[i].proc->idx;

		if (!g.end[p])
			g.end[p] = i + 1;
		g.first[p] = i;
	}
	for (size_t i = 0; i < m->nwaits; i++)
		waits_wakers(m, &m->waits[i], wakers_add, &g.wk[i], &g.wk[i].closed);
	find_live(&g);
	find_cycles(&g);
	find_stalls(&g);
	for (size_t i = 0; i < m->nwaits; i++)
		free(g.wk[i].procs);
	free(g.wk);
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
	free(m->cycles);
	free(m->stalls);
	free(m->waits);
}
