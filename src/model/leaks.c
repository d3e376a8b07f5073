#include "model/leaks.h"

#include <stdio.h>
#include <string.h>

#include "kinds/kind.h"
#include "util.h"

/* How sure a verdict is: what the scan could not see, for what the kind
 * needs; NULL when nothing unseen can hold it. */
static const char *leak_doubt(const struct model *m, const struct ipc_kind *k,
			      const struct ipc_obj *o)
{
	if (k->leak_always_certain)
		return NULL;
	if (k->leak_needs_sockets && m->view.sockets)
		return m->view.sockets;
	if (m->view.procs)
		return m->view.procs;
	if (k->leak_needs_openers && m->view.openers)
		return m->view.openers;
	return o->doubt;
}

void leaks_classify(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];
		const struct ipc_kind *k = kind_of(o);

		o->leak = NULL;
		o->uncertain = NULL;
		if (o->nholders || o->held_by || !k->leak)
			continue;
		if (!k->leak(m, o))
			continue;
		o->leak = k->leak_reason;
		o->uncertain = leak_doubt(m, k, o);
	}
}

void leaks_warn(struct model *m)
{
	bool procs = false, sockets = false, others = false;

	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden)
			continue;
		if (o->uncertain == m->view.procs && o->uncertain)
			procs = true;
		else if (o->uncertain == m->view.sockets && o->uncertain)
			sockets = true;
		else if (o->uncertain)
			others = true;
	}
	if (procs)
		model_warn(m, "leak verdicts are uncertain, and clean removes none of them: %s",
			   m->view.procs);
	if (sockets)
		model_warn(m, "stale-socket verdicts are uncertain, and clean removes none of "
			   "them: %s", m->view.sockets);
	if (others && m->view.openers)
		model_warn(m, "orphaned-fifo verdicts are uncertain, and clean removes none of "
			   "them: %s", m->view.openers);
	if (others)
		for (size_t i = 0; i < m->nobjs; i++)
			if (!m->objs[i]->hidden && m->objs[i]->uncertain == m->objs[i]->doubt &&
			    m->objs[i]->doubt) {
				model_warn(m, "some leak verdicts are uncertain, and clean removes "
					   "none of them: %s", m->objs[i]->doubt);
				break;
			}
	if (!m->diag_ok && m->diag_tried)
		model_warn(m, "sock_diag is unavailable: stale socket files cannot be told "
			   "from live ones and are not listed");
}

int64_t leak_age(const struct ipc_obj *o, time_t now)
{
	int64_t last;

	if (!o->has_times)
		return -1;
	last = o->mtime > o->atime ? o->mtime : o->atime;
	return now > last ? (int64_t)now - last : 0;
}

void leaks_filter(struct model *m, int64_t older_than, time_t now)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];

		if (!o->leak)
			o->hidden = true;
		else if (older_than > 0 && leak_age(o, now) < older_than)
			o->hidden = true;
	}
}

void leaks_totals(const struct model *m, struct leak_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < m->nobjs; i++) {
		const struct ipc_obj *o = m->objs[i];

		if (o->hidden || !o->leak)
			continue;
		t->objects++;
		if (o->uncertain)
			t->uncertain++;
		if (o->has_size)
			t->size += o->size;
		if (o->has_resident)
			t->resident += o->resident;
	}
}

int64_t parse_duration(const char *s)
{
	const char *p = s, *end = s + strlen(s);
	uint64_t v, mult = 1;

	if (!scan_u64(&p, end, &v))
		return -1;
	if (p < end) {
		if (end - p != 1)
			return -1;
		switch (*p) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
	}
	if (v > (uint64_t)INT64_MAX / mult)
		return -1;
	return (int64_t)(v * mult);
}

void format_age(char *out, size_t outsz, int64_t secs)
{
	if (secs < 0)
		snprintf(out, outsz, "?");
	else if (secs < 120)
		snprintf(out, outsz, "%llds", (long long)secs);
	else if (secs < 2 * 3600)
		snprintf(out, outsz, "%lldm", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(out, outsz, "%lldh", (long long)(secs / 3600));
	else
		snprintf(out, outsz, "%lldd", (long long)(secs / 86400));
}
