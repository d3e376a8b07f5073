/* JSON for programs: schema version 1, documented in ipcscope(1). The
 * document is streamed one object per line, so memory stays flat. Every
 * document is written through jw.h, and a listed object by
 * json_object_dump() alone, for --json, --json-lines and watch (whose
 * events watch.c writes). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "escape.h"
#include "par.h"
#include "render/jw.h"
#include "kinds/kind.h"
#include "model/leaks.h"
#include "render/graph.h"
#include "render/json.h"
#include "render/summary.h"
#include "render/render.h"


void json_prepare(void)
{
	/* Jansson seeds its hash function lazily, which is not thread-safe */
	json_object_seed(0);
}

/* ---- The schema of a listed object: each field written once, here. ---- */

void json_holder_fields(struct jw *w, const struct ipc_holder *h)
{
	static const char *const modes[] = {
		[MODE_R] = "r", [MODE_W] = "w", [MODE_R | MODE_W] = "rw",
	};
	const struct ipc_proc *p = h->proc;

	jw_int(w, "pid", p->pid);
	jw_bytes(w, "comm", p->comm, strlen(p->comm));
	jw_bytes(w, "user", p->user, strlen(p->user));
	jw_int_or_null(w, "fd", !h->mapped, h->fd);
	jw_str(w, "mode", h->mode < ARRAY_SIZE(modes) ? modes[h->mode] : NULL);
	jw_bool(w, "mapped", h->mapped);
	/* untrusted bytes: a cgroup is named by whoever may create one */
	jw_bytes(w, "cgroup", p->cgroup, p->cgroup ? strlen(p->cgroup) : 0);
	jw_str(w, "container", p->container[0] ? p->container : NULL);
	/* the call a thread sleeps in on the object through this entry */
	jw_str(w, "wait", h->wait);
}

/* -- every object -- */

/* What leaks and clean add: why, since when, what it costs, how sure */
static void leak_fields(struct jw *w, const struct ipc_obj *o)
{
	jw_str(w, "reason", o->leak ? o->leak->name : NULL);
	jw_bool(w, "certain", !o->uncertain);
	jw_str(w, "uncertain", o->uncertain);
}

/* Writes v's digits to end at end; returns where they start */
static char *digits_before(char *end, unsigned v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

static void json_peer_holder(void *arg, const struct ipc_holder *h)
{
	static const char *const modes[] = {
		[MODE_R] = "r", [MODE_W] = "w", [MODE_R | MODE_W] = "rw",
	};
	struct jw *w = arg;

	jw_obj_begin(w, NULL);
	jw_int(w, "pid", h->proc->pid);
	jw_bytes(w, "comm", h->proc->comm, strlen(h->proc->comm));
	jw_int_or_null(w, "fd", !h->mapped, h->fd);
	jw_str(w, "mode", h->mode < ARRAY_SIZE(modes) ? modes[h->mode] : NULL);
	jw_obj_end(w);
}

static void json_peer_none(void *arg, const struct ipc_holder *h)
{
	(void)arg, (void)h;
}

static void json_distinct_str(void *arg, const char *v)
{
	/* untrusted bytes: anyone may name a cgroup */
	jw_bytes(arg, NULL, v, strlen(v));
}

/* The facts the table's derived columns show (NHOLDERS, PIDS, CGROUP,
 * CONTAINER, PEER, QUEUED, AGE, RESIDENT), so that no script needs the
 * table or has to work them out again. */
static void json_object_derived(struct jw *w, const struct ipc_obj *o,
				const struct render_opts *ro)
{
	int64_t age = leak_age(o, ro->now);
	uint64_t queued = 0;
	bool has_queued = kind_of(o)->queued && kind_of(o)->queued(o, &queued);

	jw_u64_or_null(w, "resident", o->has_resident, o->resident);
	jw_int_or_null(w, "age", age >= 0, age);
	jw_u64_or_null(w, "queued", has_queued, queued);
	jw_u64(w, "nholders", o->nholders);
	jw_arr_begin(w, "pids");
	for (size_t i = 0; i < o->nholders; i++)
		if (!i || o->holders[i].proc != o->holders[i - 1].proc)
			jw_int(w, NULL, o->holders[i].proc->pid);
	jw_arr_end(w);
	jw_arr_begin(w, "cgroups");
	obj_distinct_each(o, proc_cgroup, json_distinct_str, w);
	jw_arr_end(w);
	jw_arr_begin(w, "containers");
	obj_distinct_each(o, proc_container, json_distinct_str, w);
	jw_arr_end(w);
	/* null when there is no other end to tell; first asked without
	 * writing, as a key is written once */
	if (!obj_peer_each(o, json_peer_none, NULL)) {
		jw_null(w, "peer");
		return;
	}
	jw_arr_begin(w, "peer");
	obj_peer_each(o, json_peer_holder, w);
	jw_arr_end(w);
}

/* The members before "holders": the object's own, then its kind's. */
static void json_object_head(struct jw *w, const struct model *m, const struct ipc_obj *o,
			     const struct render_opts *ro)
{
	const char *owner = o->has_owner ? user_name(o->owner) : NULL;
	char dev[24], *d = dev + sizeof(dev) - 1;

	/* "MAJOR:MINOR" by hand: snprintf, once per object, was about 2% of
	 * the time a long list takes to render */
	*d = '\0';
	d = digits_before(d, minor(o->dev));
	*--d = ':';
	d = digits_before(d, major(o->dev));
	jw_str(w, "type", ipc_type_name(o->type));
	jw_u64(w, "inode", o->ino);
	jw_str(w, "dev", d);
	jw_bytes(w, "path", o->path, o->pathlen);
	jw_bool(w, "deleted", o->deleted);
	jw_u64_or_null(w, "size", o->has_size, o->size);
	jw_bytes(w, "owner", owner, owner ? strlen(owner) : 0);
	/* the namespaces it lives in; for another one's, a process there */
	jw_u64_or_null(w, "ipcns", o->ipcns, o->ipcns);
	jw_u64_or_null(w, "mntns", o->mntns, o->mntns);
	jw_int_or_null(w, "home_pid", o->home, o->home ? o->home->pid : 0);
	jw_str(w, "container", o->home && o->home->container[0] ? o->home->container : NULL);
	json_object_derived(w, o, ro);
	/* the members of its kind, under the kind's own key */
	if (kind_of(o)->json)
		kind_of(o)->json(w, m, o);
}

/* The members after "holders": holds that are no process's fd or mapping,
 * then what leaks adds. */
static void json_object_tail(struct jw *w, const struct ipc_obj *o, const struct render_opts *ro)
{
	jw_arr_begin(w, "held_by");
	if (o->held_by & HELD_MOUNT)
		jw_str(w, NULL, "mount");
	if (o->held_by & HELD_OPENER)
		jw_str(w, NULL, "opener");
	jw_arr_end(w);
	if (ro->leaks)
		leak_fields(w, o);
}

/* ---- Output ---- */

/* Jansson writes many small pieces; collecting them here and writing in
 * large blocks keeps stdio out of the profile. */
struct jout {
	FILE *out;
	struct buf b;
	bool failed;
};

/* Jansson escapes every control byte but DEL, which JSON allows raw but
 * a terminal need not ignore. With JSON_ENSURE_ASCII nothing else is
 * above 0x7e, and a DEL can only be in a string's text: it is written
 * \u007f, so that no control byte leaves ipcscope raw. Rare: the dump
 * from at on is rewritten only when one is found. */
static void jout_del(struct buf *b, size_t at)
{
	size_t n = b->len - at;
	char *copy = xmalloc(n);

	memcpy(copy, b->data + at, n);
	b->len = at;
	for (size_t i = 0; i < n; i++) {
		if (copy[i] == 0x7f)
			buf_adds(b, "\\u007f");
		else
			buf_addc(b, copy[i]);
	}
	free(copy);
}

static void jout_flush(struct jout *o, bool all)
{
	if (o->b.len && (all || o->b.len >= 1 << 16)) {
		if (fwrite(o->b.data, 1, o->b.len, o->out) != o->b.len)
			o->failed = true;
		buf_reset(&o->b);
	}
}

/* Ends w's document and appends it, compact and ASCII-only, as Jansson
 * writes it (jw_dump). */
static int jdump(struct jw *w, struct buf *b)
{
	size_t at = b->len;

	jw_end(w);
	if (jw_dump(w, b) < 0)
		return -1;
	if (b->len > at && memchr(b->data + at, 0x7f, b->len - at))
		jout_del(b, at);
	return 0;
}

/* A compact dump of an object without its opening '{'. */
static int jdump_after_brace(struct jw *w, struct buf *b)
{
	size_t at = b->len;

	if (jdump(w, b) < 0)
		return -1;
	memmove(b->data + at, b->data + at + 1, b->len - at - 1);
	b->len--;
	return 0;
}

static int jout_end(struct jout *o)
{
	jout_flush(o, true);
	buf_free(&o->b);
	return o->failed || ferror(o->out) ? -1 : 0;
}

int json_print_doc(struct jw *w, FILE *out)
{
	struct jout o = { .out = out };

	if (jdump(w, &o.b) < 0)
		o.failed = true;
	buf_addc(&o.b, '\n');
	jw_free(w);
	return jout_end(&o);
}

/* ---- An object in pieces ---- */

/* The writer's shapes (jw_begin) of the pieces of a streamed object; an
 * object's own head takes its type's, below these. */
#define JSON_SHAPE_HOLDER 15
#define JSON_SHAPE_TAIL 14
_Static_assert(IPC_NTYPES <= JSON_SHAPE_TAIL, "a type's shape is a piece's");

/* An object, in pieces that Jansson dumps one after the other: its
 * head, each holder as a small
 * document of its own, then what leaks adds. A writer's tree would hold
 * every holder at once: about 2.7 KB a holder, 1 GB for an object that
 * 20 processes hold through 19,000 fds each, which any user can make. The
 * text is the same, byte for byte: a compact dump ends an object with
 * '}' and starts one with '{', and every value is still Jansson's. */
int json_object_dump(struct jw *t, const struct model *m, const struct ipc_obj *o,
		     const struct render_opts *ro, struct buf *b)
{
	const char *sep = "";

	jw_begin(t, o->type);
	json_object_head(t, m, o, ro);
	if (json_doc_open(t, b) < 0)
		return -1;
	buf_adds(b, ",\"holders\":[");
	for (size_t i = 0; i < o->nholders; i++) {
		buf_adds(b, sep);
		sep = ",";
		jw_begin(t, JSON_SHAPE_HOLDER);
		json_holder_fields(t, &o->holders[i]);
		if (jdump(t, b) < 0)
			return -1;
	}
	buf_addc(b, ']');
	buf_addc(b, ',');
	jw_begin(t, JSON_SHAPE_TAIL);
	json_object_tail(t, o, ro);
	return json_doc_rest(t, b);
}

int json_doc_dump(struct jw *w, struct buf *b)
{
	return jdump(w, b);
}

int json_doc_open(struct jw *w, struct buf *b)
{
	if (jdump(w, b) < 0)
		return -1;
	b->len--;
	return 0;
}

int json_doc_rest(struct jw *w, struct buf *b)
{
	return jdump_after_brace(w, b);
}

/* ---- The list ---- */

/* The list is rendered in chunks by the speed machinery (par.h), each
 * thread with a writer of its own, whose trees the objects of one type
 * reuse. */
#define JSON_SLICE_MIN 4096	/* fewer objects per thread are not worth one */
#define JSON_CHUNK 512		/* objects */

struct jlist {
	const struct model *m;
	const struct render_opts *ro;
	size_t first_visible;	/* which no comma precedes */
	FILE *out;
};

static void *jlist_state_new(void *arg)
{
	(void)arg;
	return jw_new();
}

static void jlist_state_free(void *state)
{
	jw_free(state);
}

static int jlist_render(void *arg, void *state, size_t c, struct buf *b)
{
	const struct jlist *l = arg;
	size_t from = c * JSON_CHUNK, to = from + JSON_CHUNK;

	if (to > l->m->nobjs)
		to = l->m->nobjs;
	for (size_t i = from; i < to; i++) {
		const struct ipc_obj *obj = l->m->objs[i];

		if (obj->hidden)
			continue;
		if (!l->ro->json_lines)
			buf_adds(b, i == l->first_visible ? "\n" : ",\n");
		if (json_object_dump(state, l->m, obj, l->ro, b) < 0)
			return -1;
		if (l->ro->json_lines)
			buf_addc(b, '\n');
	}
	return 0;
}

static int jlist_write(void *arg, const char *p, size_t n)
{
	const struct jlist *l = arg;

	return fwrite(p, 1, n, l->out) == n ? 0 : errno ? errno : EIO;
}

static int render_objects(struct jout *o, const struct model *m, const struct render_opts *ro)
{
	struct jlist l = { .m = m, .ro = ro, .first_visible = m->nobjs, .out = o->out };
	struct par_ordered p = {
		.nchunks = (m->nobjs + JSON_CHUNK - 1) / JSON_CHUNK,
		.threads = par_threads(m->nobjs, 2 * JSON_SLICE_MIN, 0),
		.arg = &l,
		.state_new = jlist_state_new,
		.state_free = jlist_state_free,
		.render = jlist_render,
		.write = jlist_write,
	};
	int rc;

	for (size_t i = 0; i < m->nobjs; i++)
		if (!m->objs[i]->hidden) {
			l.first_visible = i;
			break;
		}
	jout_flush(o, true);
	rc = par_ordered_run(&p);
	if (rc) {
		o->failed = true;
		if (rc > 0)
			errno = rc;
	}
	return o->failed ? -1 : 0;
}

void json_warnings(struct jw *w, const struct model *m)
{
	jw_arr_begin(w, "warnings");
	for (size_t i = 0; i < m->nwarnings; i++)
		jw_str(w, NULL, m->warnings[i]);
	jw_arr_end(w);
	/* which backend walked the processes, and why that one */
	if (m->backend) {
		jw_obj_begin(w, "backend");
		jw_str(w, "name", m->backend);
		jw_str(w, "reason", m->backend_why ? m->backend_why : "");
		jw_obj_end(w);
	}
}

/* The members after the objects, as a document of their own whose opening
 * brace becomes the comma that follows the objects. */
static void json_tail(struct jout *o, const struct model *m, const struct render_opts *ro)
{
	struct jw *w = jw_new();
	size_t brace;

	jw_begin(w, 0);
	json_warnings(w, m);
	if (ro->leaks) {
		struct leak_totals t;

		leaks_totals(m, &t);
		jw_obj_begin(w, "summary");
		jw_int(w, "objects", (int64_t)t.objects);
		jw_u64(w, "size", t.size);
		jw_u64(w, "resident", t.resident);
		jw_int(w, "uncertain", (int64_t)t.uncertain);
		jw_obj_end(w);
	}
	buf_adds(&o->b, "\n]");
	brace = o->b.len;
	if (jdump(w, &o->b) < 0)
		o->failed = true;
	else
		o->b.data[brace] = ',';
	buf_addc(&o->b, '\n');
	jw_free(w);
}

int json_render(FILE *out, const struct model *m, const struct render_opts *ro)
{
	struct jout o = { .out = out };

	if (!ro->json_lines)
		buf_printf(&o.b, "{\"version\":%d,\"objects\":[", JSON_VERSION);
	if (render_objects(&o, m, ro) < 0 || ro->json_lines)
		return jout_end(&o);
	json_tail(&o, m, ro);
	return jout_end(&o);
}

/* ---- Other documents ---- */

static void summary_types(struct jw *w, const struct summary *s)
{
	jw_arr_begin(w, "types");
	for (int i = 0; i < IPC_NTYPES; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "type", ipc_type_name((enum ipc_type)i));
		jw_int(w, "objects", (int64_t)s->types[i].objects);
		jw_int(w, "holders", (int64_t)s->types[i].holders);
		jw_u64(w, "size", s->types[i].size);
		jw_u64(w, "resident", s->types[i].resident);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void summary_top(struct jw *w, const struct summary *s)
{
	jw_arr_begin(w, "top_processes");
	for (size_t i = 0; i < s->ntop; i++) {
		const struct ipc_proc *p = s->top[i].proc;

		jw_obj_begin(w, NULL);
		jw_int(w, "pid", p->pid);
		jw_bytes(w, "comm", p->comm, strlen(p->comm));
		jw_bytes(w, "user", p->user, strlen(p->user));
		jw_int(w, "objects", (int64_t)s->top[i].objects);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The top containers, then the objects in none; empty when no process
 * is in a container. */
static void summary_containers(struct jw *w, const struct summary *s)
{
	jw_arr_begin(w, "containers");
	for (size_t i = 0; i < s->ncontainers; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "container", s->containers[i].id);
		jw_int(w, "objects", (int64_t)s->containers[i].objects);
		jw_u64(w, "bytes", s->containers[i].bytes);
		jw_obj_end(w);
	}
	if (s->containers_seen) {
		jw_obj_begin(w, NULL);
		jw_null(w, "container");
		jw_int(w, "objects", (int64_t)s->uncontained);
		jw_u64(w, "bytes", s->uncontained_bytes);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void summary_leaks(struct jw *w, const struct summary *s)
{
	const struct leak_reason *all[LEAK_REASONS_MAX];
	size_t n = kind_leak_reasons(all);

	jw_arr_begin(w, "leaks");
	for (size_t r = 0; r < n; r++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "reason", all[r]->name);
		jw_int(w, "objects", (int64_t)s->leaks[r].objects);
		jw_u64(w, "size", s->leaks[r].size);
		jw_u64(w, "resident", s->leaks[r].resident);
		jw_int(w, "uncertain", (int64_t)s->leaks[r].uncertain);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

int summary_render_json(FILE *out, const struct model *m, const struct summary *s)
{
	struct jw *w = jw_new();

	jw_begin(w, 0);
	jw_int(w, "version", JSON_VERSION);
	summary_types(w, s);
	summary_top(w, s);
	summary_containers(w, s);
	summary_leaks(w, s);
	jw_obj_begin(w, "processes");
	jw_int(w, "total", (int64_t)s->procs);
	jw_int(w, "unreadable", (int64_t)s->unreadable);
	jw_bool(w, "hidden", s->hidden);
	jw_str(w, "not_seen", s->incomplete);
	jw_obj_end(w);
	json_warnings(w, m);
	return json_print_doc(w, out);
}

static void graph_node_id(struct jw *w, const char *key, const struct graph *g, size_t i)
{
	char id[32];

	if (g->nodes[i].is_proc)
		snprintf(id, sizeof(id), "p%d", (int)g->nodes[i].proc->pid);
	else
		snprintf(id, sizeof(id), "o%zu", i);
	jw_str(w, key, id);
}

static void graph_object_fields(struct jw *w, const struct ipc_obj *o)
{
	struct buf l = { 0 };

	jw_str(w, "type", ipc_type_name(o->type));
	jw_u64(w, "inode", o->ino);
	jw_bytes(w, "path", o->path, o->pathlen);
	graph_label(&l, o);
	jw_str(w, "label", l.data);
	buf_free(&l);
}

static void graph_nodes(struct jw *w, const struct graph *g)
{
	jw_arr_begin(w, "nodes");
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct graph_node *n = &g->nodes[i];

		if (!n->keep)
			continue;
		jw_obj_begin(w, NULL);
		graph_node_id(w, "id", g, i);
		jw_str(w, "kind", n->is_proc ? "process" : "object");
		if (n->is_proc) {
			jw_int(w, "pid", n->proc->pid);
			jw_bytes(w, "comm", n->proc->comm, strlen(n->proc->comm));
			jw_bytes(w, "user", n->proc->user, strlen(n->proc->user));
		} else {
			graph_object_fields(w, n->obj);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

int graph_render_json(FILE *out, const struct graph *g)
{
	struct jw *w = jw_new();

	jw_begin(w, 0);
	jw_int(w, "version", JSON_VERSION);
	graph_nodes(w, g);
	jw_arr_begin(w, "edges");
	for (size_t e = 0; e < g->nedges; e++) {
		const struct graph_edge *ed = &g->edges[e];

		if (!g->nodes[ed->from].keep || !g->nodes[ed->to].keep)
			continue;
		jw_obj_begin(w, NULL);
		graph_node_id(w, "from", g, ed->from);
		graph_node_id(w, "to", g, ed->to);
		graph_object_fields(w, ed->obj);
		jw_bool(w, "directed", ed->directed);
		jw_bool(w, "wait", ed->wait);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	return json_print_doc(w, out);
}
