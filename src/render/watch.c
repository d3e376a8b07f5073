/* ipcscope watch: what changed between two scans, and each change as a
 * line for people or a JSON document for programs, its object and holder
 * written as the list writes them. */
#include "render/watch.h"

#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "render/json.h"
#include "render/jw.h"
#include "kinds/kind.h"
#include "render/render.h"

const char *watch_event_name(enum watch_event ev)
{
	switch (ev) {
	case EV_ADDED: return "added";
	case EV_REMOVED: return "removed";
	case EV_HOLDER_ADDED: return "holder-added";
	case EV_HOLDER_REMOVED: return "holder-removed";
	case EV_THRESHOLD: return "threshold";
	case EV_WAIT_BEGIN: return "wait-begin";
	case EV_WAIT_END: return "wait-end";
	case EV_DEADLOCK: return "deadlock";
	}
	return "?";
}

void watch_time(char *out, size_t n, const struct timespec *ts)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03ldZ", base, ts->tv_nsec / 1000000);
}

/* The same holder: the same process (pid and start time), fd and kind. */
static bool same_holder(const struct ipc_holder *a, const struct ipc_holder *b)
{
	return a->proc->pid == b->proc->pid && a->proc->start == b->proc->start &&
	       a->fd == b->fd && a->mapped == b->mapped;
}

static bool has_holder(const struct ipc_obj *o, const struct ipc_holder *h)
{
	for (size_t i = 0; i < o->nholders; i++)
		if (same_holder(&o->holders[i], h))
			return true;
	return false;
}

static bool queue_of(const struct ipc_obj *o, uint64_t *q)
{
	return kind_of(o)->queued && kind_of(o)->queued(o, q);
}

static const struct ipc_obj *find_same(const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_obj *f = model_find_ns(m, o->dev, o->ino, o->ns);

	return f && !f->hidden && f->type == o->type ? f : NULL;
}

/* The holders an object lost since prev, then those it gained; o is of
 * cur. */
static int diff_holders(const struct ipc_obj *prev, const struct model *cur,
			const struct ipc_obj *o, watch_fn fn, void *arg)
{
	struct watch_change ch;

	for (size_t k = 0; k < prev->nholders; k++) {
		if (has_holder(o, &prev->holders[k]))
			continue;
		ch = (struct watch_change){ .ev = EV_HOLDER_REMOVED, .m = cur, .o = o,
					    .h = &prev->holders[k] };
		if (fn(arg, &ch) < 0)
			return -1;
	}
	for (size_t k = 0; k < o->nholders; k++) {
		if (has_holder(prev, &o->holders[k]))
			continue;
		ch = (struct watch_change){ .ev = EV_HOLDER_ADDED, .m = cur, .o = o,
					    .h = &o->holders[k] };
		if (fn(arg, &ch) < 0)
			return -1;
	}
	return 0;
}

/* ---- waits ---- */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* A wait is the same in two scans when its thread (pid, start time, tid)
 * sleeps in the same call on the same object through the same fd and
 * epoll: a thread woken and asleep again between two scans is not seen. */
static int wait_cmp(const void *pa, const void *pb)
{
	const struct ipc_wait *a = *(const struct ipc_wait *const *)pa,
			      *b = *(const struct ipc_wait *const *)pb;
	int c;

	if ((c = cmp_u64((uint64_t)a->proc->pid, (uint64_t)b->proc->pid)) ||
	    (c = cmp_u64(a->proc->start, b->proc->start)) ||
	    (c = cmp_u64((uint64_t)a->tid, (uint64_t)b->tid)) ||
	    (c = cmp_u64(a->obj->type, b->obj->type)) ||
	    (c = cmp_u64(a->obj->dev, b->obj->dev)) || (c = cmp_u64(a->obj->ino, b->obj->ino)) ||
	    (c = cmp_u64(a->obj->ns, b->obj->ns)) ||
	    (c = cmp_u64((uint64_t)(int64_t)a->fd, (uint64_t)(int64_t)b->fd)) ||
	    (c = cmp_u64((uint64_t)(int64_t)a->via, (uint64_t)(int64_t)b->via)))
		return c;
	return strcmp(a->syscall, b->syscall);
}

/* The waits on visible objects, sorted: the diff is a merge, whatever the
 * number of waits. */
static const struct ipc_wait **waits_sorted(const struct model *m, size_t *n)
{
	const struct ipc_wait **v = xcalloc(m->nwaits ? m->nwaits : 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < m->nwaits; i++)
		if (!m->waits[i].obj->hidden)
			v[(*n)++] = &m->waits[i];
	qsort(v, *n, sizeof(*v), wait_cmp);
	return v;
}

/* The holder through which w waits: the object's holders are in (pid,
 * fd) order, the mapping last. NULL for a FIFO being opened. */
static const struct ipc_holder *wait_holder(const struct ipc_wait *w)
{
	const struct ipc_obj *o = w->obj;
	size_t lo = 0, hi = o->nholders;

	while (w->fd >= 0 && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ipc_holder *h = &o->holders[mid];
		int c = h->proc->pid != w->proc->pid ? (h->proc->pid < w->proc->pid ? -1 : 1)
			: h->mapped ? 1 : (h->fd > w->fd) - (h->fd < w->fd);

		if (!c)
			return h;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The waits of a (sorted) that b lacks, each as event ev of model m. */
static int waits_only_in(const struct ipc_wait **a, size_t na, const struct ipc_wait **b,
			 size_t nb, enum watch_event ev, const struct model *m, watch_fn fn,
			 void *arg)
{
	size_t j = 0;

	for (size_t i = 0; i < na; i++) {
		struct watch_change ch;
		int c = 1;

		while (j < nb && (c = wait_cmp(&b[j], &a[i])) < 0)
			j++;
		if (j < nb && c == 0) {
			j++;
			continue;
		}
		ch = (struct watch_change){ .ev = ev, .m = m, .o = a[i]->obj, .w = a[i],
					    .h = wait_holder(a[i]) };
		if (fn(arg, &ch) < 0)
			return -1;
	}
	return 0;
}

/* Waits that ended (as old saw them), then waits that began. */
static int diff_waits(const struct model *old, const struct model *cur, watch_fn fn, void *arg)
{
	size_t nold, ncur;
	const struct ipc_wait **vo = waits_sorted(old, &nold), **vc = waits_sorted(cur, &ncur);
	int rc = waits_only_in(vo, nold, vc, ncur, EV_WAIT_END, old, fn, arg);

	if (rc == 0)
		rc = waits_only_in(vc, ncur, vo, nold, EV_WAIT_BEGIN, cur, fn, arg);
	free(vo);
	free(vc);
	return rc;
}

static bool cycle_has(const struct ipc_cycle *c, const struct ipc_proc *p)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i]->pid == p->pid && c->procs[i]->start == p->start)
			return true;
	return false;
}

/* Was this deadlock, the same processes, there in the scan before? */
static bool cycle_seen(const struct model *old, const struct ipc_cycle *c)
{
	for (size_t i = 0; i < old->ncycles; i++) {
		const struct ipc_cycle *oc = &old->cycles[i];
		size_t k = 0;

		while (oc->nprocs == c->nprocs && k < c->nprocs && cycle_has(oc, c->procs[k]))
			k++;
		if (oc->nprocs == c->nprocs && k == c->nprocs)
			return true;
	}
	return false;
}

/* Deadlocks that appeared, each named by its first visible object. */
static int diff_cycles(const struct model *old, const struct model *cur, watch_fn fn, void *arg)
{
	for (size_t i = 0; i < cur->ncycles; i++) {
		const struct ipc_cycle *c = &cur->cycles[i];
		struct watch_change ch = { .ev = EV_DEADLOCK, .m = cur, .c = c };

		for (size_t k = 0; k < c->nobjs && !ch.o; k++)
			if (!c->objs[k]->hidden)
				ch.o = c->objs[k];
		if (!ch.o || cycle_seen(old, c))
			continue;
		if (fn(arg, &ch) < 0)
			return -1;
	}
	return 0;
}

/* ---- objects and holders ---- */

/* Objects that vanished, objects that appeared or changed holders, and
 * queues that crossed the threshold. */
static int diff_objects(const struct model *old, const struct model *cur, uint64_t threshold,
			watch_fn fn, void *arg)
{
	struct watch_change ch;

	for (size_t i = 0; i < old->nobjs; i++) {
		const struct ipc_obj *o = old->objs[i];

		if (o->hidden || find_same(cur, o))
			continue;
		ch = (struct watch_change){ .ev = EV_REMOVED, .m = old, .o = o };
		if (fn(arg, &ch) < 0)
			return -1;
	}
	for (size_t i = 0; i < cur->nobjs; i++) {
		const struct ipc_obj *o = cur->objs[i], *prev;
		uint64_t q = 0, pq = 0;

		if (o->hidden)
			continue;
		prev = find_same(old, o);
		if (!prev) {
			ch = (struct watch_change){ .ev = EV_ADDED, .m = cur, .o = o };
			if (fn(arg, &ch) < 0)
				return -1;
		} else if (diff_holders(prev, cur, o, fn, arg) < 0) {
			return -1;
		}
		/* a queue that crosses the threshold, either way; a new object
		 * counts as coming from zero */
		if (threshold && queue_of(o, &q)) {
			if (prev)
				queue_of(prev, &pq);
			if ((pq < threshold) != (q < threshold)) {
				ch = (struct watch_change){ .ev = EV_THRESHOLD, .m = cur, .o = o,
							    .queued = q, .above = q >= threshold };
				if (fn(arg, &ch) < 0)
					return -1;
			}
		}
	}
	return 0;
}

int watch_diff(const struct model *old, const struct model *cur, uint64_t threshold,
	       watch_fn fn, void *arg)
{
	if (diff_objects(old, cur, threshold, fn, arg) < 0)
		return -1;
	if (!old->waits_asked || !cur->waits_asked)
		return 0;
	if (diff_waits(old, cur, fn, arg) < 0)
		return -1;
	return diff_cycles(old, cur, fn, arg);
}

/* "1234/a, 1235/b wait on each other through pipe 11, unix 12 /run/s" */
static void cycle_text(struct buf *b, const struct model *m, const struct ipc_cycle *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		if (i)
			buf_adds(b, ", ");
		holder_proc_text(b, c->procs[i]);
	}
	buf_adds(b, " wait on each other through ");
	for (size_t i = 0; i < c->nobjs; i++) {
		const struct ipc_obj *o = c->objs[i];

		buf_printf(b, "%s%s %llu", i ? ", " : "", ipc_type_name(o->type),
			   (unsigned long long)o->ino);
		if (o->path) {
			buf_addc(b, ' ');
			esc_table(b, o->path, o->pathlen);
		}
	}
	if (m->view.procs)
		buf_adds(b, " (uncertain: not every process was read)");
}

/* One event per line: time, event, type, inode, PATH as the list shows
 * it, and the holder, the wait, the deadlock or the queue that moved. */
int watch_render_text(FILE *out, const struct watch_change *ch, const char *when)
{
	struct buf b = { 0 };
	int id = column_lookup("PATH");
	struct render_opts ro = { 0 };

	column_fill(id, &b, ch->m, ch->o, &ro);
	fprintf(out, "%s  %-14s %-7s %8llu  %s", when, watch_event_name(ch->ev),
		ipc_type_name(ch->o->type), (unsigned long long)ch->o->ino, b.len ? b.data : "-");
	if (ch->w || ch->c) {
		buf_reset(&b);
		if (ch->w)
			wait_text(&b, ch->w);
		else
			cycle_text(&b, ch->m, ch->c);
		fprintf(out, "  %s", b.data);
	} else if (ch->h) {
		buf_reset(&b);
		holder_proc_text(&b, ch->h->proc);
		buf_addc(&b, '[');
		holder_entry_text(&b, ch->h);
		fprintf(out, "  %s]", b.data);
	} else if (ch->ev == EV_THRESHOLD) {
		fprintf(out, "  queued %llu bytes, %s the threshold", (unsigned long long)ch->queued,
			ch->above ? "above" : "back below");
	}
	fputc('\n', out);
	buf_free(&b);
	return ferror(out) ? -1 : 0;
}

/* The thread of a wait event, with the keys ipcscope waits gives it */
static void wait_json(struct jw *w, const struct ipc_wait *wt)
{
	jw_obj_begin(w, "wait");
	jw_int(w, "pid", wt->proc->pid);
	jw_int(w, "tid", wt->tid);
	jw_bytes(w, "comm", wt->proc->comm, strlen(wt->proc->comm));
	jw_str(w, "syscall", wt->syscall);
	jw_int_or_null(w, "fd", wt->fd >= 0, wt->fd);
	jw_int_or_null(w, "via", wt->via >= 0, wt->via);
	jw_str(w, "state", wt->state);
	jw_obj_end(w);
}

/* One event per line; its object and holder as the list writes them. The
 * object is dumped in pieces, as the list does: it may have a million
 * holders. */
int watch_render_json(FILE *out, const struct watch_change *ch, const char *when)
{
	struct render_opts ro = { 0 };
	struct jw *w = jw_new();
	struct buf b = { 0 };
	int rc;

	jw_begin(w, 0);
	jw_str(w, "time", when);
	jw_str(w, "event", watch_event_name(ch->ev));
	rc = json_doc_open(w, &b);
	buf_adds(&b, ",\"object\":");
	if (rc == 0)
		rc = json_object_dump(w, ch->m, ch->o, &ro, &b);
	buf_addc(&b, ',');
	jw_begin(w, 1);
	if (ch->h) {
		jw_obj_begin(w, "holder");
		json_holder_fields(w, ch->h);
		jw_obj_end(w);
	} else {
		jw_null(w, "holder");
	}
	if (ch->ev == EV_THRESHOLD) {
		jw_u64(w, "queued", ch->queued);
		jw_bool(w, "above", ch->above);
	}
	if (ch->w)
		wait_json(w, ch->w);
	if (ch->c)
		json_cycle(w, "cycle", ch->m, ch->c);
	if (rc == 0)
		rc = json_doc_rest(w, &b);
	buf_addc(&b, '\n');
	jw_free(w);
	if (rc == 0 && fwrite(b.data, 1, b.len, out) != b.len)
		rc = -1;
	buf_free(&b);
	return rc;
}
