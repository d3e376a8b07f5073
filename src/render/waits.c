/* ipcscope waits: one row per waiting thread and object, then the
 * deadlock cycles and the stalls; or the same as JSON. Only reads. */
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "escape.h"
#include "render/json.h"
#include "kinds/kind.h"
#include "render/render.h"
#include "model/waitgraph.h"

/* "pipe 1234", "fifo 1234 /tmp/f", "unix 99 @name" */
static void object_text(struct buf *out, const struct ipc_obj *o)
{
	buf_printf(out, "%s %llu", ipc_type_name(o->type), (unsigned long long)o->ino);
	if (o->path) {
		buf_addc(out, ' ');
		esc_table(out, o->path, o->pathlen);
	} else if (kind_of(o)->label) {
		buf_addc(out, ' ');
		kind_of(o)->label(out, o);
	}
}

struct others {
	struct buf *out;
	struct jw *w;
	const struct ipc_proc *last;	/* the process of the last entry */
};

static void other_text_end(struct others *o)
{
	if (!o->last)
		return;
	buf_addc(o->out, ']');
	if (waits_proc_waiting(o->last))
		buf_printf(o->out, "(%s)", o->last->waiting_in);
	o->last = NULL;
}

/* The processes at the other end as HOLDERS writes them, one process's
 * entries together ("1233/yes[1w,2w]"), then what it waits in. */
static void other_text(void *arg, const struct ipc_holder *h)
{
	struct others *o = arg;

	if (o->last == h->proc) {
		buf_addc(o->out, ',');
		holder_entry_text(o->out, h);
		return;
	}
	other_text_end(o);
	if (o->out->len)
		buf_adds(o->out, " ");
	holder_proc_text(o->out, h->proc);
	buf_addc(o->out, '[');
	holder_entry_text(o->out, h);
	o->last = h->proc;
}

static void other_json(void *arg, const struct ipc_holder *h)
{
	static const char *const modes[] = { NULL, "r", "w", "rw" };
	struct jw *w = ((struct others *)arg)->w;

	jw_obj_begin(w, NULL);
	jw_int(w, "pid", h->proc->pid);
	jw_bytes(w, "comm", h->proc->comm, strlen(h->proc->comm));
	jw_int_or_null(w, "fd", !h->mapped, h->fd);
	jw_str(w, "mode", modes[h->mode & 3]);
	jw_str(w, "waiting", waits_proc_waiting(h->proc) ? h->proc->waiting_in : NULL);
	jw_obj_end(w);
}

/* The COMM column's width: a comm has 15 bytes at most. */
#define COMM_W 15

/* COMM in its columns, escaped: cut with an ellipsis where escapes make it
 * wider (a comm of control bytes is four times as wide), padded by its
 * display width, not its bytes (UTF-8). */
static void comm_cell(struct buf *out, const char *comm)
{
	size_t w;

	buf_reset(out);
	w = esc_table(out, comm, strlen(comm));
	if (w > COMM_W) {
		out->len = esc_fit(out->data, out->len, COMM_W - 1);
		out->data[out->len] = '\0';
		buf_adds(out, esc_utf8() ? "\u2026" : "~");
		w = COMM_W;
	}
	for (; w < COMM_W; w++)
		buf_addc(out, ' ');
}

static bool wait_shown(const struct ipc_wait *w)
{
	return !w->obj->hidden;
}

static int rows_text(FILE *out, const struct model *m, const struct render_opts *ro)
{
	struct buf obj = { 0 }, other = { 0 }, comm = { 0 };
	struct others o = { &other, NULL, NULL };
	bool closed;

	if (!ro->noheadings)
		fprintf(out, "%-7s %-7s %-15s %-15s %-32s %-12s %s\n", "PID", "TID", "COMM",
			"SYSCALL", "OBJECT", "STATE", "OTHER END");
	for (size_t i = 0; i < m->nwaits; i++) {
		const struct ipc_wait *w = &m->waits[i];

		if (!wait_shown(w))
			continue;
		buf_reset(&obj);
		buf_reset(&other);
		buf_reset(&comm);
		object_text(&obj, w->obj);
		if (w->fd >= 0)
			buf_printf(&obj, " [fd %d]", w->fd);
		if (w->via >= 0)
			buf_printf(&obj, " [epoll %d]", w->via);
		waits_wakers(m, w, other_text, &o, &closed);
		other_text_end(&o);
		comm_cell(&comm, w->proc->comm);
		fprintf(out, "%-7d %-7d %s %-15s %-32s %-12s %s\n", (int)w->proc->pid,
			(int)w->tid, comm.data, w->syscall, obj.data, w->state,
			other.len ? other.data : closed ? "? (not seen)" : "- (anyone may come)");
	}
	buf_free(&obj);
	buf_free(&other);
	buf_free(&comm);
	return ferror(out) ? -1 : 0;
}

static void procs_text(struct buf *out, struct ipc_proc *const *procs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(out, ", ");
		holder_proc_text(out, procs[i]);
	}
}

static void findings_text(FILE *out, const struct model *m)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < m->ncycles; i++) {
		const struct ipc_cycle *c = &m->cycles[i];

		buf_reset(&b);
		procs_text(&b, c->procs, c->nprocs);
		buf_adds(&b, " wait on each other through ");
		for (size_t k = 0; k < c->nobjs; k++) {
			if (k)
				buf_adds(&b, ", ");
			object_text(&b, c->objs[k]);
		}
		fprintf(out, "DEADLOCK%s: %s\n", m->view.procs ? " (uncertain)" : "", b.data);
	}
	for (size_t i = 0; i < m->nstalls; i++) {
		const struct ipc_stall *s = &m->stalls[i];

		buf_reset(&b);
		holder_proc_text(&b, s->bottleneck);
		buf_printf(&b, " (%s) holds up ", s->bottleneck->doing ? s->bottleneck->doing : "busy");
		procs_text(&b, s->waiting, s->nwaiting);
		fprintf(out, "STALLED: %s\n", b.data);
	}
	if (m->view.procs && m->ncycles)
		fprintf(out, "uncertain: %s\n", m->view.procs);
	buf_free(&b);
}

int waits_render_text(FILE *out, const struct model *m, const struct render_opts *ro)
{
	if (rows_text(out, m, ro) < 0)
		return -1;
	findings_text(out, m);
	return ferror(out) ? -1 : 0;
}

/* What tells apart objects that share an inode (every eventfd's is one):
 * the dev, and the PATH column's label of a pathless object
 * ("eventfd:2"), as list shows it and show takes it. */
static void waits_object_name(struct jw *w, const struct ipc_obj *o)
{
	char dev[32];
	struct buf label = { 0 };

	snprintf(dev, sizeof(dev), "%u:%u", major(o->dev), minor(o->dev));
	jw_str(w, "dev", dev);
	if (!o->path && kind_of(o)->label)
		kind_of(o)->label(&label, o);
	jw_str(w, "label", label.len ? label.data : NULL);
	buf_free(&label);
}

/* the object, with how full it is where that is known: a pipe's fill
 * level and capacity, a socket's or a queue's bytes */
static void object_json(struct jw *w, const struct ipc_obj *o)
{
	const struct ipc_kind *k = kind_of(o);
	uint64_t q = 0, cap = 0;
	bool has_q = k->queued && k->queued(o, &q);
	bool has_cap = k->capacity && k->capacity(o, &cap);

	jw_obj_begin(w, "object");
	jw_str(w, "type", ipc_type_name(o->type));
	jw_u64(w, "inode", o->ino);
	jw_bytes(w, "path", o->path, o->pathlen);
	waits_object_name(w, o);
	jw_u64_or_null(w, "queued", has_q, q);
	jw_u64_or_null(w, "capacity", has_cap, cap);
	jw_obj_end(w);
}

/* One wait, as a document of its own. */
static void wait_json(struct jw *w, const struct model *m, const struct ipc_wait *wt)
{
	struct others o = { NULL, w, NULL };
	bool closed;

	jw_begin(w, 1);
	jw_int(w, "pid", wt->proc->pid);
	jw_int(w, "tid", wt->tid);
	jw_bytes(w, "comm", wt->proc->comm, strlen(wt->proc->comm));
	jw_str(w, "syscall", wt->syscall);
	jw_int_or_null(w, "fd", wt->fd >= 0, wt->fd);
	jw_int_or_null(w, "via", wt->via >= 0, wt->via);
	object_json(w, wt->obj);
	jw_str(w, "state", wt->state);
	jw_arr_begin(w, "others");
	waits_wakers(m, wt, other_json, &o, &closed);
	jw_arr_end(w);
	jw_bool(w, "others_complete", closed);
	jw_u64_or_null(w, "listener", wt->target, wt->target ? wt->target->ino : 0);
}

static void procs_json(struct jw *w, const char *key, struct ipc_proc *const *procs, size_t n)
{
	jw_arr_begin(w, key);
	for (size_t i = 0; i < n; i++)
		jw_int(w, NULL, procs[i]->pid);
	jw_arr_end(w);
}

void json_cycle(struct jw *w, const char *key, const struct model *m, const struct ipc_cycle *c)
{
	jw_obj_begin(w, key);
	procs_json(w, "pids", c->procs, c->nprocs);
	jw_arr_begin(w, "objects");
	for (size_t k = 0; k < c->nobjs; k++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "type", ipc_type_name(c->objs[k]->type));
		jw_u64(w, "inode", c->objs[k]->ino);
		waits_object_name(w, c->objs[k]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_bool(w, "certain", !m->view.procs);
	jw_obj_end(w);
}

static void cycles_json(struct jw *w, const struct model *m)
{
	jw_arr_begin(w, "cycles");
	for (size_t i = 0; i < m->ncycles; i++)
		json_cycle(w, NULL, m, &m->cycles[i]);
	jw_arr_end(w);
}

static void stalls_json(struct jw *w, const struct model *m)
{
	jw_arr_begin(w, "stalls");
	for (size_t i = 0; i < m->nstalls; i++) {
		const struct ipc_stall *s = &m->stalls[i];

		jw_obj_begin(w, NULL);
		jw_obj_begin(w, "bottleneck");
		jw_int(w, "pid", s->bottleneck->pid);
		jw_bytes(w, "comm", s->bottleneck->comm, strlen(s->bottleneck->comm));
		jw_str(w, "doing", s->bottleneck->doing);
		jw_obj_end(w);
		procs_json(w, "waiting", s->waiting, s->nwaiting);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* Writes out what b holds once it is large, or at the end. */
static void waits_flush(FILE *out, struct buf *b, bool all, int *rc)
{
	if (b->len && (all || b->len >= 1 << 16)) {
		if (fwrite(b->data, 1, b->len, out) != b->len)
			*rc = -1;
		buf_reset(b);
	}
}

/* The document in pieces, each wait dumped on its own and written out as
 * it goes: a process may sleep in 65,536 waits, and a tree of them all
 * took 400 MB. The text is what one tree would give. */
int waits_render_json(FILE *out, const struct model *m)
{
	struct jw *w = jw_new();
	struct buf b = { 0 };
	const char *sep = "";
	int rc;

	jw_begin(w, 0);
	jw_int(w, "version", JSON_VERSION);
	rc = json_doc_open(w, &b);
	buf_adds(&b, ",\"waits\":[");
	for (size_t i = 0; i < m->nwaits && rc == 0; i++) {
		if (!wait_shown(&m->waits[i]))
			continue;
		buf_adds(&b, sep);
		sep = ",";
		wait_json(w, m, &m->waits[i]);
		rc = json_doc_dump(w, &b);
		waits_flush(out, &b, false, &rc);
	}
	buf_adds(&b, "],");
	jw_begin(w, 2);
	cycles_json(w, m);
	stalls_json(w, m);
	jw_int(w, "threads_unread", (int64_t)m->stats.threads_unread);
	json_warnings(w, m);
	if (rc == 0)
		rc = json_doc_rest(w, &b);
	buf_addc(&b, '\n');
	waits_flush(out, &b, true, &rc);
	buf_free(&b);
	jw_free(w);
	return rc == 0 && !ferror(out) ? 0 : -1;
}
