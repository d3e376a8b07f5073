#include "summary.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render.h"
#include "util.h"

static int count_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	/* x[0] count, x[1] index: most first, then in process order */
	if (x[0] != y[0])
		return x[0] < y[0] ? 1 : -1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

void summary_compute(const struct model *m, struct summary *s)
{
	size_t *count = xcalloc(m->nprocs ? m->nprocs : 1, sizeof(*count));
	size_t (*order)[2];

	memset(s, 0, sizeof(*s));
	s->procs = m->stats.procs;
	s->unreadable = m->stats.denied;
	s->hidden = m->stats.hidden || m->stats.foreign_pidns;
	s->incomplete = m->view.sockets;
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
leak:
		if (!o->hidden && o->leak != LEAK_NONE) {
			s->leaks[o->leak].objects++;
			s->leaks[o->leak].uncertain += o->uncertain != NULL;
			if (o->has_size)
				s->leaks[o->leak].size += o->size;
			if (o->has_resident)
				s->leaks[o->leak].resident += o->resident;
		}
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
}

static void size_cell(char *out, size_t n, uint64_t v, bool bytes)
{
	if (bytes)
		snprintf(out, n, "%llu", (unsigned long long)v);
	else
		format_size(out, n, v);
}

int summary_render_text(FILE *out, const struct summary *s, bool bytes)
{
	size_t tot_o = 0, tot_h = 0, lk_o = 0, lk_u = 0;
	uint64_t tot_s = 0, tot_r = 0, lk_s = 0, lk_r = 0;
	char a[32], b[32];
	struct buf t = { 0 };

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

	fprintf(out, "\n%-17s %8s %10s %10s %9s\n", "LEAKS", "OBJECTS", "SIZE", "RESIDENT",
		"UNCERTAIN");
	for (int r = LEAK_SHM; r <= LEAK_MQUEUE; r++) {
		size_cell(a, sizeof(a), s->leaks[r].size, bytes);
		size_cell(b, sizeof(b), s->leaks[r].resident, bytes);
		fprintf(out, "%-17s %8zu %10s %10s %9zu\n", leak_reason_name((enum leak_reason)r),
			s->leaks[r].objects, a, b, s->leaks[r].uncertain);
		lk_u += s->leaks[r].uncertain;
		lk_o += s->leaks[r].objects;
		lk_s += s->leaks[r].size;
		lk_r += s->leaks[r].resident;
	}
	size_cell(a, sizeof(a), lk_s, bytes);
	size_cell(b, sizeof(b), lk_r, bytes);
	fprintf(out, "%-17s %8zu %10s %10s %9zu\n", "total", lk_o, a, b, lk_u);

	fprintf(out, "\nprocesses: %zu, not readable: %zu, hidden: %s\n", s->procs,
		s->unreadable, s->hidden ? "some, how many is unknown" : "none");
	if (s->incomplete)
		fprintf(out, "not seen: %s\n", s->incomplete);
	buf_free(&t);
	return ferror(out) ? -1 : 0;
}
