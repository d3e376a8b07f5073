/* JSON for programs: schema version 1, documented in ipcscope(1). The
 * document is streamed one object per line, so memory stays flat. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "escape.h"
#include "leaks.h"
#include "proc.h"
#include "summary.h"
#include "watch.h"
#include "render.h"

#define JSON_VERSION 1

void json_prepare(void)
{
	/* Jansson seeds its hash function lazily, which is not thread-safe */
	json_object_seed(0);
}

/* Strings are UTF-8 always. Bytes that are not valid UTF-8 become U+FFFD
 * in KEY, and KEY_base64 then carries the exact original bytes. */
static void set_bytes(json_t *obj, const char *key, const char *s, size_t len)
{
	struct buf b = { 0 };
	char k64[64];

	if (utf8_valid(s, len)) {
		json_object_set_new(obj, key, json_stringn(s, len));
		return;
	}
	utf8_sanitize(&b, s, len);
	json_object_set_new(obj, key, json_stringn(b.data, b.len));
	buf_reset(&b);
	base64_encode(&b, (const unsigned char *)s, len);
	snprintf(k64, sizeof(k64), "%s_base64", key);
	json_object_set_new(obj, k64, json_stringn(b.data ? b.data : "", b.len));
	buf_free(&b);
}

static json_t *json_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *holder_json(const struct ipc_holder *h)
{
	json_t *j = json_object();
	const char *mode = NULL;

	json_object_set_new(j, "pid", json_integer(h->proc->pid));
	set_bytes(j, "comm", h->proc->comm, strlen(h->proc->comm));
	set_bytes(j, "user", h->proc->user, strlen(h->proc->user));
	json_object_set_new(j, "fd", h->mapped ? json_null() : json_integer(h->fd));
	switch (h->mode) {
	case MODE_R: mode = "r"; break;
	case MODE_W: mode = "w"; break;
	case MODE_R | MODE_W: mode = "rw"; break;
	}
	json_object_set_new(j, "mode", mode ? json_string(mode) : json_null());
	json_object_set_new(j, "mapped", json_boolean(h->mapped));
	return j;
}

static json_t *peer_holders_json(const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_obj *peer;
	json_t *a = json_array();

	if (!o->un.has_peer || !(peer = model_find_socket(m, o->un.peer)))
		return a;
	for (size_t i = 0; i < peer->nholders; i++) {
		const struct ipc_holder *h = &peer->holders[i];
		json_t *j = json_object();

		json_object_set_new(j, "pid", json_integer(h->proc->pid));
		set_bytes(j, "comm", h->proc->comm, strlen(h->proc->comm));
		json_object_set_new(j, "fd", h->mapped ? json_null() : json_integer(h->fd));
		json_array_append_new(a, j);
	}
	return a;
}

static json_t *unix_json(const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_unix *u = &o->un;
	bool listen = u->state == US_LISTEN;
	json_t *j = json_object(), *pending;
	const char *s;

	s = unix_stype_name(u->stype);
	json_object_set_new(j, "type", s ? json_string(s) : json_null());
	s = unix_state_name(u->state);
	json_object_set_new(j, "state", s ? json_string(s) : json_null());
	json_object_set_new(j, "peer", u->has_peer ? json_u64(u->peer) : json_null());
	json_object_set_new(j, "netns", u->netns ? json_u64(u->netns) : json_null());
	json_object_set_new(j, "source", json_string(u->from_procfs ? "procfs" : "sock_diag"));
	json_object_set_new(j, "peer_holders", peer_holders_json(m, o));
	if (listen && !u->from_procfs) {
		pending = json_array();
		for (size_t i = 0; i < u->npending; i++)
			json_array_append_new(pending, json_u64(u->pending[i]));
	} else {
		pending = json_null();
	}
	json_object_set_new(j, "pending", pending);
	json_object_set_new(j, "backlog", listen && u->has_rq ? json_u64(u->rqueue) : json_null());
	json_object_set_new(j, "backlog_max", listen && u->has_rq ? json_u64(u->wqueue) : json_null());
	json_object_set_new(j, "rqueue", !listen && u->has_rq ? json_u64(u->rqueue) : json_null());
	json_object_set_new(j, "wqueue", !listen && u->has_rq ? json_u64(u->wqueue) : json_null());
	json_object_set_new(j, "listener", u->has_listener ? json_u64(u->listener) : json_null());
	return j;
}

static json_t *pipe_json(const struct ipc_obj *o)
{
	json_t *j = json_object();
	size_t readers = 0, writers = 0;

	for (size_t i = 0; i < o->nholders; i++) {
		readers += (o->holders[i].mode & MODE_R) != 0;
		writers += (o->holders[i].mode & MODE_W) != 0;
	}
	json_object_set_new(j, "readers", json_integer((json_int_t)readers));
	json_object_set_new(j, "writers", json_integer((json_int_t)writers));
	json_object_set_new(j, "queued", o->pipe.has_fill ? json_u64(o->pipe.queued) : json_null());
	json_object_set_new(j, "capacity", o->pipe.has_fill ? json_u64(o->pipe.capacity) : json_null());
	if (o->pipe.has_fill)
		json_object_set_new(j, "error", json_null());
	else if (o->pipe.err)
		json_object_set_new(j, "error", json_string(strerror(o->pipe.err)));
	else
		json_object_set_new(j, "error", json_string("no holder could be read"));
	return j;
}

static json_t *time_or_null(int64_t t)
{
	return t > 0 ? json_integer(t) : json_null();
}

static json_t *user_json(uid_t uid)
{
	const char *u = proc_user_name(uid);

	return utf8_valid(u, strlen(u)) ? json_string(u) : json_null();
}

static json_t *sysv_json(const struct ipc_obj *o)
{
	const struct ipc_sysv *v = &o->sysv;
	json_t *j = json_object();
	char perms[8];

	json_object_set_new(j, "key", json_integer(v->key));
	json_object_set_new(j, "shmid", json_integer(v->shmid));
	if (!v->known) {
		/* attached in another IPC namespace: only maps told us of it */
		static const char *const unknown[] = { "perms", "size", "nattch", "cpid", "lpid",
			"creator", "owner", "atime", "dtime", "ctime", "rss", "swap" };

		for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
			json_object_set_new(j, unknown[i], json_null());
		json_object_set_new(j, "removed", json_boolean(v->removed));
		return j;
	}
	snprintf(perms, sizeof(perms), "%04o", v->perms & 0777);
	json_object_set_new(j, "perms", json_string(perms));
	json_object_set_new(j, "size", json_u64(o->size));
	json_object_set_new(j, "nattch", json_u64(v->nattch));
	json_object_set_new(j, "cpid", json_integer(v->cpid));
	json_object_set_new(j, "lpid", v->lpid ? json_integer(v->lpid) : json_null());
	json_object_set_new(j, "creator", user_json(v->cuid));
	json_object_set_new(j, "owner", user_json(v->uid));
	json_object_set_new(j, "atime", time_or_null(v->atime));
	json_object_set_new(j, "dtime", time_or_null(v->dtime));
	json_object_set_new(j, "ctime", time_or_null(v->ctime));
	json_object_set_new(j, "rss", json_u64(v->rss));
	json_object_set_new(j, "swap", json_u64(v->swap));
	json_object_set_new(j, "removed", json_boolean(v->removed));
	return j;
}

static json_t *mq_json(const struct ipc_obj *o)
{
	json_t *j = json_object();
	const struct ipc_mq *q = &o->mq;

	json_object_set_new(j, "qsize", q->known ? json_u64(q->qsize) : json_null());
	json_object_set_new(j, "notify_pid", q->known && q->notify_pid ? json_integer(q->notify_pid)
								       : json_null());
	json_object_set_new(j, "notify", q->known ? json_integer(q->notify) : json_null());
	json_object_set_new(j, "signo", q->known ? json_integer(q->signo) : json_null());
	return j;
}

static json_t *object_json(const struct model *m, const struct ipc_obj *o,
			   const struct render_opts *ro)
{
	json_t *j = json_object(), *holders = json_array();
	char dev[32];

	json_object_set_new(j, "type", json_string(ipc_type_name(o->type)));
	json_object_set_new(j, "inode", json_u64(o->ino));
	snprintf(dev, sizeof(dev), "%u:%u", major(o->dev), minor(o->dev));
	json_object_set_new(j, "dev", json_string(dev));
	if (o->path)
		set_bytes(j, "path", o->path, o->pathlen);
	else
		json_object_set_new(j, "path", json_null());
	json_object_set_new(j, "deleted", json_boolean(o->deleted));
	json_object_set_new(j, "size", o->has_size ? json_u64(o->size) : json_null());
	if (o->has_owner) {
		const char *u = proc_user_name(o->owner);

		set_bytes(j, "owner", u, strlen(u));
	} else {
		json_object_set_new(j, "owner", json_null());
	}
	if (o->type == IPC_UNIX)
		json_object_set_new(j, "unix", o->sockfile ? json_null() : unix_json(m, o));
	if (o->type == IPC_SYSVSHM)
		json_object_set_new(j, "sysv", sysv_json(o));
	if (o->type == IPC_MQUEUE)
		json_object_set_new(j, "mqueue", mq_json(o));
	if (o->type == IPC_PIPE || o->type == IPC_FIFO)
		json_object_set_new(j, "pipe", pipe_json(o));
	for (size_t i = 0; i < o->nholders; i++)
		json_array_append_new(holders, holder_json(&o->holders[i]));
	json_object_set_new(j, "holders", holders);
	if (ro->leaks) {
		const char *r = leak_reason_name(o->leak);
		int64_t age = leak_age(o, ro->now);

		json_object_set_new(j, "reason", r ? json_string(r) : json_null());
		json_object_set_new(j, "age", age >= 0 ? json_integer(age) : json_null());
		json_object_set_new(j, "resident", o->has_resident ? json_u64(o->resident)
								   : json_null());
	}
	return j;
}

/* Jansson writes many small pieces; collecting them here and writing in
 * large blocks keeps stdio out of the profile. */
struct jout {
	FILE *out;
	struct buf b;
	bool failed;
};

static int jout_cb(const char *buffer, size_t size, void *data)
{
	struct jout *o = data;

	buf_add(&o->b, buffer, size);
	return 0;
}

static void jout_flush(struct jout *o, bool all)
{
	if (o->b.len && (all || o->b.len >= 1 << 16)) {
		if (fwrite(o->b.data, 1, o->b.len, o->out) != o->b.len)
			o->failed = true;
		buf_reset(&o->b);
	}
}

static void jout_puts(struct jout *o, const char *s)
{
	buf_adds(&o->b, s);
}

static void jout_dump(struct jout *o, json_t *j)
{
	if (json_dump_callback(j, jout_cb, o, JSON_COMPACT | JSON_ENSURE_ASCII) < 0)
		o->failed = true;
	json_decref(j);
	jout_flush(o, false);
}

static int jout_end(struct jout *o)
{
	jout_flush(o, true);
	buf_free(&o->b);
	return o->failed || ferror(o->out) ? -1 : 0;
}

static int dump(json_t *j, FILE *out)
{
	struct jout o = { .out = out };

	jout_dump(&o, j);
	return jout_end(&o);
}

/* Building Jansson objects is most of the cost of a large JSON document,
 * and each object is independent: slices of the list are rendered by
 * threads into buffers of their own, then written in order. */
struct jslice {
	pthread_t tid;
	const struct model *m;
	const struct render_opts *ro;
	size_t from, to;
	struct jout o;
	bool first;		/* the slice holds the document's first object */
};

static void *jslice_render(void *arg)
{
	struct jslice *sl = arg;
	bool first = sl->first;

	for (size_t i = sl->from; i < sl->to && !sl->o.failed; i++) {
		const struct ipc_obj *obj = sl->m->objs[i];
		json_t *j;

		if (obj->hidden)
			continue;
		if (!sl->ro->json_lines)
			jout_puts(&sl->o, first ? "\n" : ",\n");
		first = false;
		j = object_json(sl->m, obj, sl->ro);
		if (json_dump_callback(j, jout_cb, &sl->o, JSON_COMPACT | JSON_ENSURE_ASCII) < 0)
			sl->o.failed = true;
		json_decref(j);
		if (sl->ro->json_lines)
			jout_puts(&sl->o, "\n");
	}
	return NULL;
}

#define JSON_SLICE_MIN 4096

static int render_objects(struct jout *o, const struct model *m, const struct render_opts *ro)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu > 1 ? (size_t)(ncpu > 8 ? 8 : ncpu) : 1;
	size_t first_visible = m->nobjs;
	struct jslice *sl;

	for (size_t i = 0; i < m->nobjs; i++)
		if (!m->objs[i]->hidden) {
			first_visible = i;
			break;
		}
	if (m->nobjs < 2 * JSON_SLICE_MIN)
		n = 1;
	sl = xcalloc(n, sizeof(*sl));
	for (size_t k = 0; k < n; k++) {
		sl[k].m = m;
		sl[k].ro = ro;
		sl[k].from = m->nobjs * k / n;
		sl[k].to = m->nobjs * (k + 1) / n;
		sl[k].first = first_visible >= sl[k].from && first_visible < sl[k].to;
		sl[k].o.out = o->out;
		if (k == 0 || pthread_create(&sl[k].tid, NULL, jslice_render, &sl[k]) != 0) {
			sl[k].tid = 0;
			jslice_render(&sl[k]);
		}
	}
	for (size_t k = 0; k < n; k++) {
		if (sl[k].tid)
			pthread_join(sl[k].tid, NULL);
		if (sl[k].o.failed)
			o->failed = true;
		/* hand over in order */
		jout_flush(o, true);
		if (!o->failed && sl[k].o.b.len &&
		    fwrite(sl[k].o.b.data, 1, sl[k].o.b.len, o->out) != sl[k].o.b.len)
			o->failed = true;
		buf_free(&sl[k].o.b);
	}
	free(sl);
	return o->failed ? -1 : 0;
}

int json_render(FILE *out, const struct model *m, const struct render_opts *ro)
{
	struct jout o = { .out = out };
	json_t *w;

	if (!ro->json_lines)
		buf_printf(&o.b, "{\"version\":%d,\"objects\":[", JSON_VERSION);
	if (render_objects(&o, m, ro) < 0 || ro->json_lines)
		return jout_end(&o);
	jout_puts(&o, "\n],\"warnings\":");
	w = json_array();
	for (size_t i = 0; i < m->nwarnings; i++)
		json_array_append_new(w, json_string(m->warnings[i]));
	jout_dump(&o, w);
	if (ro->leaks) {
		struct leak_totals t;
		json_t *sum = json_object();

		leaks_totals(m, &t);
		json_object_set_new(sum, "objects", json_integer((json_int_t)t.objects));
		json_object_set_new(sum, "size", json_u64(t.size));
		json_object_set_new(sum, "resident", json_u64(t.resident));
		jout_puts(&o, ",\"summary\":");
		jout_dump(&o, sum);
	}
	jout_puts(&o, "}\n");
	return jout_end(&o);
}

static int dump_document(FILE *out, json_t *doc, const struct model *m)
{
	json_t *w = json_array();

	for (size_t i = 0; i < m->nwarnings; i++)
		json_array_append_new(w, json_string(m->warnings[i]));
	json_object_set_new(doc, "warnings", w);
	if (dump(doc, out) < 0 || fputc('\n', out) == EOF)
		return -1;
	return ferror(out) ? -1 : 0;
}

int summary_render_json(FILE *out, const struct model *m, const struct summary *s)
{
	json_t *doc = json_object(), *types = json_array(), *top = json_array(), *leaks = json_array();
	json_t *procs = json_object();

	json_object_set_new(doc, "version", json_integer(JSON_VERSION));
	for (int i = 0; i < IPC_NTYPES; i++) {
		json_t *t = json_object();

		json_object_set_new(t, "type", json_string(ipc_type_name((enum ipc_type)i)));
		json_object_set_new(t, "objects", json_integer((json_int_t)s->types[i].objects));
		json_object_set_new(t, "holders", json_integer((json_int_t)s->types[i].holders));
		json_object_set_new(t, "size", json_u64(s->types[i].size));
		json_object_set_new(t, "resident", json_u64(s->types[i].resident));
		json_array_append_new(types, t);
	}
	json_object_set_new(doc, "types", types);
	for (size_t i = 0; i < s->ntop; i++) {
		const struct ipc_proc *p = s->top[i].proc;
		json_t *t = json_object();

		json_object_set_new(t, "pid", json_integer(p->pid));
		set_bytes(t, "comm", p->comm, strlen(p->comm));
		set_bytes(t, "user", p->user, strlen(p->user));
		json_object_set_new(t, "objects", json_integer((json_int_t)s->top[i].objects));
		json_array_append_new(top, t);
	}
	json_object_set_new(doc, "top_processes", top);
	for (int r = LEAK_SHM; r <= LEAK_MQUEUE; r++) {
		json_t *t = json_object();

		json_object_set_new(t, "reason", json_string(leak_reason_name((enum leak_reason)r)));
		json_object_set_new(t, "objects", json_integer((json_int_t)s->leaks[r].objects));
		json_object_set_new(t, "size", json_u64(s->leaks[r].size));
		json_object_set_new(t, "resident", json_u64(s->leaks[r].resident));
		json_array_append_new(leaks, t);
	}
	json_object_set_new(doc, "leaks", leaks);
	json_object_set_new(procs, "total", json_integer((json_int_t)s->procs));
	json_object_set_new(procs, "unreadable", json_integer((json_int_t)s->unreadable));
	json_object_set_new(doc, "processes", procs);
	return dump_document(out, doc, m);
}

static json_t *graph_node_id(const struct graph *g, size_t i)
{
	char id[32];

	if (g->nodes[i].is_proc)
		snprintf(id, sizeof(id), "p%d", (int)g->nodes[i].proc->pid);
	else
		snprintf(id, sizeof(id), "o%zu", i);
	return json_string(id);
}

static void graph_object_fields(json_t *j, const struct ipc_obj *o)
{
	struct buf l = { 0 };

	json_object_set_new(j, "type", json_string(ipc_type_name(o->type)));
	json_object_set_new(j, "inode", json_u64(o->ino));
	if (o->path)
		set_bytes(j, "path", o->path, o->pathlen);
	else
		json_object_set_new(j, "path", json_null());
	graph_label(&l, o);
	json_object_set_new(j, "label", json_stringn(l.data, l.len));
	buf_free(&l);
}

int graph_render_json(FILE *out, const struct graph *g)
{
	json_t *doc = json_object(), *nodes = json_array(), *edges = json_array();
	int rc;

	json_object_set_new(doc, "version", json_integer(JSON_VERSION));
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct graph_node *n = &g->nodes[i];
		json_t *j;

		if (!n->keep)
			continue;
		j = json_object();
		json_object_set_new(j, "id", graph_node_id(g, i));
		json_object_set_new(j, "kind", json_string(n->is_proc ? "process" : "object"));
		if (n->is_proc) {
			json_object_set_new(j, "pid", json_integer(n->proc->pid));
			set_bytes(j, "comm", n->proc->comm, strlen(n->proc->comm));
			set_bytes(j, "user", n->proc->user, strlen(n->proc->user));
		} else {
			graph_object_fields(j, n->obj);
		}
		json_array_append_new(nodes, j);
	}
	for (size_t e = 0; e < g->nedges; e++) {
		const struct graph_edge *ed = &g->edges[e];
		json_t *j;

		if (!g->nodes[ed->from].keep || !g->nodes[ed->to].keep)
			continue;
		j = json_object();
		json_object_set_new(j, "from", graph_node_id(g, ed->from));
		json_object_set_new(j, "to", graph_node_id(g, ed->to));
		graph_object_fields(j, ed->obj);
		json_object_set_new(j, "directed", json_boolean(ed->directed));
		json_array_append_new(edges, j);
	}
	json_object_set_new(doc, "nodes", nodes);
	json_object_set_new(doc, "edges", edges);
	rc = dump(doc, out);
	if (rc < 0 || fputc('\n', out) == EOF)
		return -1;
	return ferror(out) ? -1 : 0;
}

int watch_render_json(FILE *out, const struct watch_change *ch, const char *when)
{
	struct render_opts ro = { 0 };
	json_t *j = json_object();

	json_object_set_new(j, "time", json_string(when));
	json_object_set_new(j, "event", json_string(watch_event_name(ch->ev)));
	json_object_set_new(j, "object", object_json(ch->m, ch->o, &ro));
	json_object_set_new(j, "holder", ch->h ? holder_json(ch->h) : json_null());
	if (ch->ev == EV_THRESHOLD) {
		json_object_set_new(j, "queued", json_u64(ch->queued));
		json_object_set_new(j, "above", json_boolean(ch->above));
	}
	if (dump(j, out) < 0 || fputc('\n', out) == EOF)
		return -1;
	return ferror(out) ? -1 : 0;
}
