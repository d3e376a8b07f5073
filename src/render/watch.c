/* ipcscope watch: what changed between two scans, and each change as a
 * line for people or a JSON document for programs, its object and holder
 * written as the list writes them. */
#include "watch.h"

#include <string.h>

#include "json.h"
#include "jw.h"
#include "kind.h"
#include "render.h"

const char *watch_event_name(enum watch_event ev)
{
	switch (ev) {
	case EV_ADDED: return "added";
	case EV_REMOVED: return "removed";
	case EV_HOLDER_ADDED: return "holder-added";
	case EV_HOLDER_REMOVED: return "holder-removed";
	case EV_THRESHOLD: return "threshold";
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

int watch_diff(const struct model *old, const struct model *cur, uint64_t threshold,
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

/* One event per line: time, event, type, inode, PATH as the list shows
 * it, and the holder or the queue that moved. */
int watch_render_text(FILE *out, const struct watch_change *ch, const char *when)
{
	struct buf b = { 0 };
	int id = column_lookup("PATH");
	struct render_opts ro = { 0 };

	columns[id].fill(&b, ch->m, ch->o, &ro);
	fprintf(out, "%s  %-14s %-7s %8llu  %s", when, watch_event_name(ch->ev),
		ipc_type_name(ch->o->type), (unsigned long long)ch->o->ino, b.len ? b.data : "-");
	if (ch->h) {
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

/* One event per line; its object and holder as the list writes them */
int watch_render_json(FILE *out, const struct watch_change *ch, const char *when)
{
	struct render_opts ro = { 0 };
	struct jw *w = jw_new();

	jw_begin(w, 0);
	jw_str(w, "time", when);
	jw_str(w, "event", watch_event_name(ch->ev));
	jw_obj_begin(w, "object");
	json_object_fields(w, ch->m, ch->o, &ro);
	jw_obj_end(w);
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
	return json_print_doc(w, out);
}
