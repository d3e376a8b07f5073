#include "render/summary.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "kinds/kind.h"
#include "model/filter.h"
#include "render/render.h"
#include "util.h"

static int count_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	/* x[0] count, x[1] index: most first, then in process order */
	if (x[0] != y[0])
		return x[0] < y[0] ? 1 : -1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The containers of the processes, as indices into a sorted array of
 * their distinct ids. */
struct cstate {
	const char **ids;	/* distinct short ids, sorted */
	size_t nids;
	size_t *of;		/* [proc idx]: index in ids + 1, 0 for none */
	size_t *objects;	/* [id] */
	uint64_t *bytes;
	size_t *last;		/* [id]: the last object counted, + 1 */
};

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void cstate_init(struct cstate *c, const struct model *m)
{
	size_t n = 0, lo, hi;

	c->ids = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*c->ids));
	c->of = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*c->of));
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i]->container[0])
			c->ids[n++] = m->procs[i]->container;
	qsort(c->ids, n, sizeof(*c->ids), str_cmp);
	c->nids = 0;
	for (size_t i = 0; i < n; i++)
		if (!c->nids || strcmp(c->ids[c->nids - 1], c->ids[i]) != 0)
			c->ids[c->nids++] = c->ids[i];
	for (size_t i = 0; i < m->nprocs; i++) {
		const char *id = m->procs[i]->container;

		if (!id[0])
			continue;
		for (lo = 0, hi = c->nids; lo < hi;) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(c->ids[mid], id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		c->of[i] = lo + 1;
	}
	c->objects = xcalloc(c->nids ? c->nids : 1, sizeof(*c->objects));
	c->bytes = xcalloc(c->nids ? c->nids : 1, sizeof(*c->bytes));
	c->last = xcalloc(c->nids ? c->nids : 1, sizeof(*c->last));
}

/* Object number i counted once in each container that holds it. */
static void cstate_count(struct cstate *c, struct summary *s, const struct ipc_obj *o,
			 size_t i)
{
	const struct ipc_proc *p;
	uint64_t size = o->has_size ? o->size : 0;
	bool any = false;

	for (size_t k = 0; (p = obj_cgroup_proc(o, k)); k++) {
		size_t id = c->of[p->idx];

		if (!id || c->last[id - 1] == i + 1)
			continue;
		c->last[id - 1] = i + 1;
		c->objects[id - 1]++;
		c->bytes[id - 1] += size;
		any = true;
	}
	if (!any) {
		s->uncontained++;
		s->uncontained_bytes += size;
	}
}

/* The top ones: most objects, then most bytes, then by id. */
static void cstate_top(struct cstate *c, struct summary *s)
{
	s->containers_seen = 0;
	for (size_t k = 0; k < c->nids; k++) {
		size_t at;

		if (!c->objects[k])
			continue;
		s->containers_seen++;
		at = s->ncontainers;
		while (at > 0 && (s->containers[at - 1].objects < c->objects[k] ||
				  (s->containers[at - 1].objects == c->objects[k] &&
				   s->containers[at - 1].bytes < c->bytes[k])))
			at--;
		if (at >= SUMMARY_TOP)
			continue;
		if (s->ncontainers < SUMMARY_TOP)
			s->ncontainers++;
		memmove(&s->containers[at + 1], &s->containers[at],
			(s->ncontainers - 1 - at) * sizeof(s->containers[0]));
		memcpy(s->containers[at].id, c->ids[k], sizeof(s->containers[at].id));
		s->containers[at].objects = c->objects[k];
		s->containers[at].bytes = c->bytes[k];
	}
}

static void cstate_free(struct cstate *c)
{
	free(c->ids);
	free(c->of);
	free(c->objects);
	free(c->bytes);
	free(c->last);
}

static void leak_count(struct summary_leak *l, const struct ipc_obj *o)
{
	l->objects++;
	l->uncertain += o->uncertain != NULL;
	if (o->has_size)
		l->size += o->size;
	if (o->has_resident)
		l->resident += o->resident;
}

void summary_compute(const struct model *m, struct summary *s)
{
	struct cstate c;
	size_t *count = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*count));
	size_t (*order)[2];

	memset(s, 0, sizeof(*s));
	cstate_init(&c, m);
	s->procs = m->stats.procs;
	s->unreadable = m->stats.denied;
	s->hidden = m->stats.hidden || m->stats.foreign_pidns;
	s->incomplete = m->view.sockets;
	s->backend = m->backend;
	s->backend_why = m->backend_why;
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		/* files found on disk are leak candidates, not live objects */
		if (o->hidden || o->sockfile || (o->on_disk && !o->nholders))
			goto leak;
		s->types[o->type].objects++;
		s->types[o->type].holders += o->nholders;
		if (o->has_size)
			s->types[o->type].size += o->size;
		if (o->has_resident)
			s->types[o->type].resident += o->resident;
		/* count each object once per holding process */
		for (size_t k = 0; k < o->nholders; k++) {
			if (k && o->holders[k].proc == o->holders[k - 1].proc)
				continue;
			count[o->holders[k].proc->idx]++;
		}
		cstate_count(&c, s, o, i);
leak:
		if (!o->hidden && o->leak)
			leak_count(&s->leaks[kind_leak_index(o->leak)], o);
	}
	order = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*order));
	for (size_t p = 0; p < m->nprocs; p++) {
		order[p][0] = count[p];
		order[p][1] = p;
	}
	qsort(order, m->nprocs, sizeof(*order), count_cmp);
	for (size_t p = 0; p < m->nprocs && s->ntop < SUMMARY_TOP && order[p][0]; p++) {
		s->top[s->ntop].proc = m->procs[order[p][1]];
		s->top[s->ntop].objects = order[p][0];
		s->ntop++;
	}
	free(order);
	free(count);
	cstate_top(&c, s);
	cstate_free(&c);
}

static void size_cell(char *out, size_t n, uint64_t v, bool bytes)
{
	if (bytes)
		snprintf(out, n, "%llu", (unsigned long long)v);
	else
		format_size(out, n, v);
}

static void types_text(FILE *out, const struct summary *s, bool bytes)
{
	size_t tot_o = 0, tot_h = 0;
	uint64_t tot_s = 0, tot_r = 0;
	char a[32], b[32];

	fprintf(out, "%-9s %8s %8s %10s %10s\n", "TYPE", "OBJECTS", "HOLDERS", "SIZE", "RESIDENT");
	for (int i = 0; i < IPC_NTYPES; i++) {
		size_cell(a, sizeof(a), s->types[i].size, bytes);
		size_cell(b, sizeof(b), s->types[i].resident, bytes);
		fprintf(out, "%-9s %8zu %8zu %10s %10s\n", ipc_type_name((enum ipc_type)i),
			s->types[i].objects, s->types[i].holders, a, b);
		tot_o += s->types[i].objects;
		tot_h += s->types[i].holders;
		tot_s += s->types[i].size;
		tot_r += s->types[i].resident;
	}
	size_cell(a, sizeof(a), tot_s, bytes);
	size_cell(b, sizeof(b), tot_r, bytes);
	fprintf(out, "%-9s %8zu %8zu %10s %10s\n", "total", tot_o, tot_h, a, b);
}

static void top_text(FILE *out, const struct summary *s)
{
	struct buf t = { 0 };

	fprintf(out, "\n%-30s %8s\n", "TOP PROCESSES", "OBJECTS");
	for (size_t i = 0; i < s->ntop; i++) {
		const struct ipc_proc *p = s->top[i].proc;
		int n;

		buf_reset(&t);
		holder_proc_text(&t, p);
		buf_adds(&t, " (");
		esc_table(&t, p->user, strlen(p->user));
		buf_adds(&t, ")");
		n = 30 - (int)esc_width(t.data, t.len);
		fprintf(out, "%s%*s %8zu\n", t.data, n > 0 ? n : 0, "", s->top[i].objects);
	}
	buf_free(&t);
}

static void containers_text(FILE *out, const struct summary *s, bool bytes)
{
	char a[32];

	if (!s->containers_seen)
		return;
	fprintf(out, "\n%-17s %8s %10s\n", "CONTAINERS", "OBJECTS", "SIZE");
	for (size_t i = 0; i < s->ncontainers; i++) {
		size_cell(a, sizeof(a), s->containers[i].bytes, bytes);
		fprintf(out, "%-17s %8zu %10s\n", s->containers[i].id, s->containers[i].objects, a);
	}
	if (s->containers_seen > s->ncontainers)
		fprintf(out, "(%zu more containers)\n", s->containers_seen - s->ncontainers);
	size_cell(a, sizeof(a), s->uncontained_bytes, bytes);
	if (s->uncontained)
		fprintf(out, "%-17s %8zu %10s\n", "no container", s->uncontained, a);
}

static void leaks_text(FILE *out, const struct summary *s, bool bytes)
{
	size_t lk_o = 0, lk_u = 0;
	uint64_t lk_s = 0, lk_r = 0;
	char a[32], b[32];
	const struct leak_reason *all[LEAK_REASONS_MAX];
	size_t n = kind_leak_reasons(all);

	fprintf(out, "\n%-17s %8s %10s %10s %9s\n", "LEAKS", "OBJECTS", "SIZE", "RESIDENT",
		"UNCERTAIN");
	for (size_t r = 0; r < n; r++) {
		size_cell(a, sizeof(a), s->leaks[r].size, bytes);
		size_cell(b, sizeof(b), s->leaks[r].resident, bytes);
		fprintf(out, "%-17s %8zu %10s %10s %9zu\n", all[r]->name,
			s->leaks[r].objects, a, b, s->leaks[r].uncertain);
		lk_u += s->leaks[r].uncertain;
		lk_o += s->leaks[r].objects;
		lk_s += s->leaks[r].size;
		lk_r += s->leaks[r].resident;
	}
	size_cell(a, sizeof(a), lk_s, bytes);
	size_cell(b, sizeof(b), lk_r, bytes);
	fprintf(out, "%-17s %8zu %10s %10s %9zu\n", "total", lk_o, a, b, lk_u);
}

int summary_render_text(FILE *out, const struct summary *s, bool bytes)
{
	types_text(out, s, bytes);
	top_text(out, s);
	containers_text(out, s, bytes);
	leaks_text(out, s, bytes);
	fprintf(out, "\nprocesses: %zu, not readable: %zu, hidden: %s\n", s->procs,
		s->unreadable, s->hidden ? "some, how many is unknown" : "none");
	if (s->incomplete)
		fprintf(out, "not seen: %s\n", s->incomplete);
	if (s->backend)
		fprintf(out, "backend: %s (%s)\n", s->backend,
			s->backend_why ? s->backend_why : "");
	return ferror(out) ? -1 : 0;
}
