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
#include "graph.h"
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

/* The list renders most objects through the reused trees further down
 * (jtpl_object), which must give the same bytes: change both together. */
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
		json_object_set_new(j, "certain", json_boolean(!o->uncertain));
		json_object_set_new(j, "uncertain", o->uncertain ? json_string(o->uncertain)
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

/* Called for every quote, key, colon, comma and value: kept to a bounds
 * check and a copy. Most pieces are one byte, for which a call to memcpy
 * costs more than the copy. */
static int jout_cb(const char *buffer, size_t size, void *data)
{
	struct buf *b = data;

	if (b->cap - b->len <= size)
		buf_reserve(b, size);
	if (size == 1)
		b->data[b->len] = *buffer;
	else
		memcpy(b->data + b->len, buffer, size);
	b->len += size;
	b->data[b->len] = '\0';
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

static int jdump(json_t *j, struct buf *b)
{
	return json_dump_callback(j, jout_cb, b, JSON_COMPACT | JSON_ENSURE_ASCII);
}

static void jout_dump(struct jout *o, json_t *j)
{
	if (jdump(j, &o->b) < 0)
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

/* The list's objects all have a few shapes, so each rendering thread
 * builds one Jansson tree per shape once and, per object, only replaces
 * its leaves: integers are changed in place, strings that repeat (names,
 * users, devices) are shared nodes, holders come from a pool. The output
 * is exactly object_json()'s; an object that needs a *_base64 key, or
 * anything else out of the ordinary, is still rendered by object_json(). */

/* A key of a reused object: its place, so that setting it neither hashes
 * nor allocates, and the node it owns for numbers or strings. */
struct jslot {
	json_t *obj;
	void *iter;
	json_t *cur;		/* borrowed: the object holds it */
	json_t *own;
};

struct jtree {
	json_t *obj;
	struct jslot *slot;
	size_t n;
};

/* Keys in output order; a NULL key is left out of the object. */
static void jtree_init(struct jtree *t, const char *const *keys, size_t n)
{
	t->obj = json_object();
	t->slot = xcalloc(n, sizeof(*t->slot));
	t->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!keys[i])
			continue;
		json_object_set_new_nocheck(t->obj, keys[i], json_null());
		t->slot[i].obj = t->obj;
		t->slot[i].iter = json_object_iter_at(t->obj, keys[i]);
		t->slot[i].cur = json_null();
	}
}

static void jtree_free(struct jtree *t)
{
	json_decref(t->obj);
	for (size_t i = 0; i < t->n; i++)
		json_decref(t->slot[i].own);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static void slot_set(struct jslot *s, json_t *v)
{
	if (s->cur != v) {
		json_object_iter_set(s->obj, s->iter, v);
		s->cur = v;
	}
}

static void slot_int(struct jslot *s, json_int_t v)
{
	if (s->own)
		json_integer_set(s->own, v);
	else
		s->own = json_integer(v);
	slot_set(s, s->own);
}

/* p must be valid UTF-8 */
static void slot_strn(struct jslot *s, const char *p, size_t len)
{
	if (s->own)
		json_string_setn_nocheck(s->own, p, len);
	else
		s->own = json_stringn_nocheck(p, len);
	slot_set(s, s->own);
}

static void slot_int_if(struct jslot *s, bool has, json_int_t v)
{
	if (has)
		slot_int(s, v);
	else
		slot_set(s, json_null());
}

static void slot_u64_if(struct jslot *s, bool has, uint64_t v)
{
	if (has)
		slot_int(s, (json_int_t)v);
	else
		slot_set(s, json_null());
}

enum { H_PID, H_COMM, H_USER, H_FD, H_MODE, H_MAPPED, H_NKEYS };
static const char *const holder_keys[H_NKEYS] = {
	"pid", "comm", "user", "fd", "mode", "mapped",
};

enum { PH_PID, PH_COMM, PH_FD, PH_NKEYS };
static const char *const peer_keys[PH_NKEYS] = { "pid", "comm", "fd" };

enum {
	U_TYPE, U_STATE, U_PEER, U_NETNS, U_SOURCE, U_PEER_HOLDERS, U_PENDING,
	U_BACKLOG, U_BACKLOG_MAX, U_RQUEUE, U_WQUEUE, U_LISTENER, U_NKEYS
};
static const char *const unix_keys[U_NKEYS] = {
	"type", "state", "peer", "netns", "source", "peer_holders", "pending",
	"backlog", "backlog_max", "rqueue", "wqueue", "listener",
};

enum { P_READERS, P_WRITERS, P_QUEUED, P_CAPACITY, P_ERROR, P_NKEYS };
static const char *const pipe_keys[P_NKEYS] = {
	"readers", "writers", "queued", "capacity", "error",
};

enum {
	S_KEY, S_SHMID, S_PERMS, S_SIZE, S_NATTCH, S_CPID, S_LPID, S_CREATOR, S_OWNER,
	S_ATIME, S_DTIME, S_CTIME, S_RSS, S_SWAP, S_REMOVED, S_NKEYS
};
static const char *const sysv_keys[S_NKEYS] = {
	"key", "shmid", "perms", "size", "nattch", "cpid", "lpid", "creator", "owner",
	"atime", "dtime", "ctime", "rss", "swap", "removed",
};

enum { Q_QSIZE, Q_NOTIFY_PID, Q_NOTIFY, Q_SIGNO, Q_NKEYS };
static const char *const mq_keys[Q_NKEYS] = { "qsize", "notify_pid", "notify", "signo" };

enum {
	O_TYPE, O_INODE, O_DEV, O_PATH, O_DELETED, O_SIZE, O_OWNER, O_SUB, O_HOLDERS,
	O_REASON, O_AGE, O_RESIDENT, O_CERTAIN, O_UNCERTAIN, O_NKEYS
};

/* A string node a thread reuses, found by the address of a static name
 * (key) or by a uid or dev_t (id). */
struct jname {
	const void *key;
	uint64_t id;
	json_t *v;		/* json_null() when the bytes are not UTF-8 */
};

struct jnames {
	struct jname *e;
	size_t n, cap;
};

/* One thread's trees and the string nodes they share. */
struct jtpl {
	const struct model *m;
	const struct render_opts *ro;
	struct jtree obj[IPC_NTYPES];	/* built on first use */
	struct jtree un, pipe, sysv, mq;
	json_t *holders, *peer_holders, *pending;
	struct jtree *hpool, *ppool;
	size_t nhpool, nppool;
	json_t **ints;
	size_t nints;
	json_t *mode[4];
	struct jnames consts, users, devs;
	json_t **comm, **user;	/* by ipc_proc.idx */
};

static json_t *jnames_find(struct jnames *t, const void *key, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].key == key && t->e[i].id == id)
			return t->e[i].v;
	return NULL;
}

static json_t *jnames_add(struct jnames *t, const void *key, uint64_t id, json_t *v)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->e = xreallocarray(t->e, t->cap, sizeof(*t->e));
	}
	t->e[t->n++] = (struct jname){ .key = key, .id = id, .v = v };
	return v;
}

static void jnames_free(struct jnames *t)
{
	for (size_t i = 0; i < t->n; i++)
		json_decref(t->e[i].v);
	free(t->e);
}

/* s is a static name (type, state, reason ...), interned by address */
static json_t *jtpl_const(struct jtpl *t, const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	if ((v = jnames_find(&t->consts, s, 0)))
		return v;
	return jnames_add(&t->consts, s, 0, json_string(s));
}

/* NULL when the name is not UTF-8 */
static json_t *jtpl_user(struct jtpl *t, uid_t uid)
{
	json_t *v = jnames_find(&t->users, NULL, uid);

	if (!v) {
		const char *u = proc_user_name(uid);
		size_t len = strlen(u);

		v = jnames_add(&t->users, NULL, uid,
			       utf8_valid(u, len) ? json_stringn_nocheck(u, len) : json_null());
	}
	return json_is_null(v) ? NULL : v;
}

static json_t *jtpl_dev(struct jtpl *t, dev_t dev)
{
	json_t *v = jnames_find(&t->devs, NULL, dev);
	char s[32];

	if (!v) {
		snprintf(s, sizeof(s), "%u:%u", major(dev), minor(dev));
		v = jnames_add(&t->devs, NULL, dev, json_string(s));
	}
	return v;
}

/* comm or user of p; NULL when not UTF-8 */
static json_t *jtpl_proc(struct jtpl *t, const struct ipc_proc *p, bool user)
{
	json_t **v;

	if (p->idx >= t->m->nprocs || t->m->procs[p->idx] != p)
		return NULL;
	v = user ? &t->user[p->idx] : &t->comm[p->idx];
	if (!*v) {
		const char *s = user ? p->user : p->comm;
		size_t len = strlen(s);

		*v = utf8_valid(s, len) ? json_stringn_nocheck(s, len) : json_null();
	}
	return json_is_null(*v) ? NULL : *v;
}

static void jtpl_init(struct jtpl *t, const struct model *m, const struct render_opts *ro)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->ro = ro;
	t->comm = xcalloc(m->nprocs, sizeof(*t->comm));
	t->user = xcalloc(m->nprocs, sizeof(*t->user));
	t->mode[0] = json_null();
	t->mode[MODE_R] = json_string("r");
	t->mode[MODE_W] = json_string("w");
	t->mode[MODE_R | MODE_W] = json_string("rw");
	t->holders = json_array();
}

static void jtpl_free(struct jtpl *t)
{
	for (int i = 0; i < IPC_NTYPES; i++)
		jtree_free(&t->obj[i]);
	jtree_free(&t->un);
	jtree_free(&t->pipe);
	jtree_free(&t->sysv);
	jtree_free(&t->mq);
	json_decref(t->holders);
	json_decref(t->peer_holders);
	json_decref(t->pending);
	for (size_t i = 0; i < t->nhpool; i++)
		jtree_free(&t->hpool[i]);
	free(t->hpool);
	for (size_t i = 0; i < t->nppool; i++)
		jtree_free(&t->ppool[i]);
	free(t->ppool);
	for (size_t i = 0; i < t->nints; i++)
		json_decref(t->ints[i]);
	free(t->ints);
	for (int i = 0; i < 4; i++)
		json_decref(t->mode[i]);
	jnames_free(&t->consts);
	jnames_free(&t->users);
	jnames_free(&t->devs);
	for (size_t i = 0; i < t->m->nprocs; i++) {
		json_decref(t->comm[i]);
		json_decref(t->user[i]);
	}
	free(t->comm);
	free(t->user);
}

/* The i-th tree of a pool, made when first needed */
static struct jtree *jpool_get(struct jtree **pool, size_t *n, size_t i,
			       const char *const *keys, size_t nkeys)
{
	if (i >= *n) {
		*pool = xreallocarray(*pool, i + 1, sizeof(**pool));
		for (; *n <= i; (*n)++)
			jtree_init(&(*pool)[*n], keys, nkeys);
	}
	return &(*pool)[i];
}

static bool jtpl_holder(struct jtpl *t, struct jtree *j, const struct ipc_holder *h)
{
	json_t *comm = jtpl_proc(t, h->proc, false), *user = jtpl_proc(t, h->proc, true);

	if (!comm || !user)
		return false;
	slot_int(&j->slot[H_PID], h->proc->pid);
	slot_set(&j->slot[H_COMM], comm);
	slot_set(&j->slot[H_USER], user);
	slot_int_if(&j->slot[H_FD], !h->mapped, h->fd);
	slot_set(&j->slot[H_MODE], h->mode < 4 ? t->mode[h->mode] : json_null());
	slot_set(&j->slot[H_MAPPED], json_boolean(h->mapped));
	return true;
}

static bool jtpl_peer_holders(struct jtpl *t, const struct ipc_obj *o)
{
	const struct ipc_obj *peer;

	json_array_clear(t->peer_holders);
	if (!o->un.has_peer || !(peer = model_find_socket(t->m, o->un.peer)))
		return true;
	for (size_t i = 0; i < peer->nholders; i++) {
		const struct ipc_holder *h = &peer->holders[i];
		struct jtree *j = jpool_get(&t->ppool, &t->nppool, i, peer_keys, PH_NKEYS);
		json_t *comm = jtpl_proc(t, h->proc, false);

		if (!comm)
			return false;
		slot_int(&j->slot[PH_PID], h->proc->pid);
		slot_set(&j->slot[PH_COMM], comm);
		slot_int_if(&j->slot[PH_FD], !h->mapped, h->fd);
		json_array_append(t->peer_holders, j->obj);
	}
	return true;
}

static bool jtpl_unix(struct jtpl *t, const struct ipc_obj *o)
{
	const struct ipc_unix *u = &o->un;
	bool listen = u->state == US_LISTEN;
	struct jslot *s = t->un.slot;

	slot_set(&s[U_TYPE], jtpl_const(t, unix_stype_name(u->stype)));
	slot_set(&s[U_STATE], jtpl_const(t, unix_state_name(u->state)));
	slot_u64_if(&s[U_PEER], u->has_peer, u->peer);
	slot_u64_if(&s[U_NETNS], u->netns, u->netns);
	slot_set(&s[U_SOURCE], jtpl_const(t, u->from_procfs ? "procfs" : "sock_diag"));
	if (!jtpl_peer_holders(t, o))
		return false;
	if (listen && !u->from_procfs) {
		json_array_clear(t->pending);
		if (u->npending > t->nints) {
			t->ints = xreallocarray(t->ints, u->npending, sizeof(*t->ints));
			for (; t->nints < u->npending; t->nints++)
				t->ints[t->nints] = json_integer(0);
		}
		for (size_t i = 0; i < u->npending; i++) {
			json_integer_set(t->ints[i], (json_int_t)u->pending[i]);
			json_array_append(t->pending, t->ints[i]);
		}
		slot_set(&s[U_PENDING], t->pending);
	} else {
		slot_set(&s[U_PENDING], json_null());
	}
	slot_u64_if(&s[U_BACKLOG], listen && u->has_rq, u->rqueue);
	slot_u64_if(&s[U_BACKLOG_MAX], listen && u->has_rq, u->wqueue);
	slot_u64_if(&s[U_RQUEUE], !listen && u->has_rq, u->rqueue);
	slot_u64_if(&s[U_WQUEUE], !listen && u->has_rq, u->wqueue);
	slot_u64_if(&s[U_LISTENER], u->has_listener, u->listener);
	return true;
}

static bool jtpl_pipe(struct jtpl *t, const struct ipc_obj *o)
{
	struct jslot *s = t->pipe.slot;
	size_t readers = 0, writers = 0;

	for (size_t i = 0; i < o->nholders; i++) {
		readers += (o->holders[i].mode & MODE_R) != 0;
		writers += (o->holders[i].mode & MODE_W) != 0;
	}
	slot_int(&s[P_READERS], (json_int_t)readers);
	slot_int(&s[P_WRITERS], (json_int_t)writers);
	slot_u64_if(&s[P_QUEUED], o->pipe.has_fill, o->pipe.queued);
	slot_u64_if(&s[P_CAPACITY], o->pipe.has_fill, o->pipe.capacity);
	if (o->pipe.has_fill) {
		slot_set(&s[P_ERROR], json_null());
	} else if (o->pipe.err) {
		/* strerror()'s text may change from call to call: not interned */
		json_t *e = json_string(strerror(o->pipe.err));

		if (!e)
			return false;
		slot_set(&s[P_ERROR], e);
		json_decref(e);
	} else {
		slot_set(&s[P_ERROR], jtpl_const(t, "no holder could be read"));
	}
	return true;
}

static json_t *jtpl_user_or_null(struct jtpl *t, uid_t uid)
{
	json_t *v = jtpl_user(t, uid);

	return v ? v : json_null();
}

static void jtpl_sysv(struct jtpl *t, const struct ipc_obj *o)
{
	const struct ipc_sysv *v = &o->sysv;
	struct jslot *s = t->sysv.slot;
	char perms[8];

	slot_int(&s[S_KEY], v->key);
	slot_int(&s[S_SHMID], v->shmid);
	slot_set(&s[S_REMOVED], json_boolean(v->removed));
	if (!v->known) {
		for (int i = S_PERMS; i <= S_SWAP; i++)
			slot_set(&s[i], json_null());
		return;
	}
	snprintf(perms, sizeof(perms), "%04o", v->perms & 0777);
	slot_strn(&s[S_PERMS], perms, strlen(perms));
	slot_int(&s[S_SIZE], (json_int_t)o->size);
	slot_int(&s[S_NATTCH], (json_int_t)v->nattch);
	slot_int(&s[S_CPID], v->cpid);
	slot_int_if(&s[S_LPID], v->lpid, v->lpid);
	slot_set(&s[S_CREATOR], jtpl_user_or_null(t, v->cuid));
	slot_set(&s[S_OWNER], jtpl_user_or_null(t, v->uid));
	slot_int_if(&s[S_ATIME], v->atime > 0, v->atime);
	slot_int_if(&s[S_DTIME], v->dtime > 0, v->dtime);
	slot_int_if(&s[S_CTIME], v->ctime > 0, v->ctime);
	slot_int(&s[S_RSS], (json_int_t)v->rss);
	slot_int(&s[S_SWAP], (json_int_t)v->swap);
}

static void jtpl_mq(struct jtpl *t, const struct ipc_obj *o)
{
	const struct ipc_mq *q = &o->mq;
	struct jslot *s = t->mq.slot;

	slot_u64_if(&s[Q_QSIZE], q->known, q->qsize);
	slot_int_if(&s[Q_NOTIFY_PID], q->known && q->notify_pid, q->notify_pid);
	slot_int_if(&s[Q_NOTIFY], q->known, q->notify);
	slot_int_if(&s[Q_SIGNO], q->known, q->signo);
}

/* The sub-object key of a type, and its tree */
static const char *jtpl_sub(struct jtpl *t, enum ipc_type type, struct jtree **sub,
			    const char *const **keys, size_t *nkeys)
{
	switch (type) {
	case IPC_UNIX:
		*sub = &t->un, *keys = unix_keys, *nkeys = U_NKEYS;
		return "unix";
	case IPC_SYSVSHM:
		*sub = &t->sysv, *keys = sysv_keys, *nkeys = S_NKEYS;
		return "sysv";
	case IPC_MQUEUE:
		*sub = &t->mq, *keys = mq_keys, *nkeys = Q_NKEYS;
		return "mqueue";
	case IPC_PIPE:
	case IPC_FIFO:
		*sub = &t->pipe, *keys = pipe_keys, *nkeys = P_NKEYS;
		return "pipe";
	default:
		*sub = NULL;
		return NULL;
	}
}

static struct jtree *jtpl_shape(struct jtpl *t, enum ipc_type type)
{
	struct jtree *j = &t->obj[type], *sub;
	const char *keys[O_NKEYS] = {
		"type", "inode", "dev", "path", "deleted", "size", "owner", NULL, "holders",
	};
	const char *const *subkeys;
	size_t nsubkeys;

	if (j->obj)
		return j;
	keys[O_SUB] = jtpl_sub(t, type, &sub, &subkeys, &nsubkeys);
	if (t->ro->leaks) {
		keys[O_REASON] = "reason";
		keys[O_AGE] = "age";
		keys[O_RESIDENT] = "resident";
		keys[O_CERTAIN] = "certain";
		keys[O_UNCERTAIN] = "uncertain";
	}
	jtree_init(j, keys, O_NKEYS);
	if (sub && !sub->obj) {
		jtree_init(sub, subkeys, nsubkeys);
		if (type == IPC_UNIX) {
			t->peer_holders = json_array();
			t->pending = json_array();
			slot_set(&sub->slot[U_PEER_HOLDERS], t->peer_holders);
		}
	}
	slot_set(&j->slot[O_HOLDERS], t->holders);
	return j;
}

/* The object's tree, filled; NULL when object_json() must render it */
static json_t *jtpl_object(struct jtpl *t, const struct ipc_obj *o)
{
	struct jtree *j;
	struct jslot *s;

	if ((unsigned)o->type >= IPC_NTYPES)
		return NULL;
	j = jtpl_shape(t, o->type);
	s = j->slot;
	slot_set(&s[O_TYPE], jtpl_const(t, ipc_type_name(o->type)));
	slot_int(&s[O_INODE], (json_int_t)o->ino);
	slot_set(&s[O_DEV], jtpl_dev(t, o->dev));
	if (!o->path) {
		slot_set(&s[O_PATH], json_null());
	} else if (utf8_valid(o->path, o->pathlen)) {
		slot_strn(&s[O_PATH], o->path, o->pathlen);
	} else {
		return NULL;
	}
	slot_set(&s[O_DELETED], json_boolean(o->deleted));
	slot_u64_if(&s[O_SIZE], o->has_size, o->size);
	if (o->has_owner) {
		json_t *u = jtpl_user(t, o->owner);

		if (!u)
			return NULL;
		slot_set(&s[O_OWNER], u);
	} else {
		slot_set(&s[O_OWNER], json_null());
	}
	switch (o->type) {
	case IPC_UNIX:
		if (o->sockfile)
			slot_set(&s[O_SUB], json_null());
		else if (jtpl_unix(t, o))
			slot_set(&s[O_SUB], t->un.obj);
		else
			return NULL;
		break;
	case IPC_SYSVSHM:
		jtpl_sysv(t, o);
		slot_set(&s[O_SUB], t->sysv.obj);
		break;
	case IPC_MQUEUE:
		jtpl_mq(t, o);
		slot_set(&s[O_SUB], t->mq.obj);
		break;
	case IPC_PIPE:
	case IPC_FIFO:
		if (!jtpl_pipe(t, o))
			return NULL;
		slot_set(&s[O_SUB], t->pipe.obj);
		break;
	default:
		break;
	}
	json_array_clear(t->holders);
	for (size_t i = 0; i < o->nholders; i++) {
		struct jtree *h = jpool_get(&t->hpool, &t->nhpool, i, holder_keys, H_NKEYS);

		if (!jtpl_holder(t, h, &o->holders[i]))
			return NULL;
		json_array_append(t->holders, h->obj);
	}
	if (t->ro->leaks) {
		int64_t age = leak_age(o, t->ro->now);

		slot_set(&s[O_REASON], jtpl_const(t, leak_reason_name(o->leak)));
		slot_int_if(&s[O_AGE], age >= 0, age);
		slot_u64_if(&s[O_RESIDENT], o->has_resident, o->resident);
		slot_set(&s[O_CERTAIN], json_boolean(!o->uncertain));
		if (o->uncertain)
			slot_strn(&s[O_UNCERTAIN], o->uncertain, strlen(o->uncertain));
		else
			slot_set(&s[O_UNCERTAIN], json_null());
	}
	return j->obj;
}

/* Rendering threads take chunks of the list in turn, each into a buffer
 * of a ring; the calling thread writes the buffers out in order (and
 * renders too when it has nothing to write), so memory stays flat and the
 * threads stay busy whatever the mix of objects. */
#define JSON_SLICE_MIN 4096	/* fewer objects per thread are not worth one */
#define JSON_CHUNK 512		/* objects */
#define JSON_RING 16		/* chunks rendered ahead of the writer, at most */

struct jchunk {
	struct buf b;
	bool ready;
	bool failed;
};

struct jwork {
	const struct model *m;
	const struct render_opts *ro;
	size_t first_visible;
	bool plain;		/* test hook: every object by object_json() */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t nchunks;
	size_t next;		/* the next chunk to render */
	size_t written;		/* chunks handed to the output */
	bool stop;
	struct jchunk ring[JSON_RING];
};

static void jchunk_render(struct jwork *w, struct jtpl *t, size_t c)
{
	struct jchunk *ch = &w->ring[c % JSON_RING];
	size_t from = c * JSON_CHUNK, to = from + JSON_CHUNK;

	if (to > w->m->nobjs)
		to = w->m->nobjs;
	buf_reset(&ch->b);
	ch->failed = false;
	for (size_t i = from; i < to && !ch->failed; i++) {
		const struct ipc_obj *obj = w->m->objs[i];
		json_t *j;

		if (obj->hidden)
			continue;
		if (!w->ro->json_lines)
			buf_adds(&ch->b, i == w->first_visible ? "\n" : ",\n");
		if (!w->plain && (j = jtpl_object(t, obj))) {
			if (jdump(j, &ch->b) < 0)
				ch->failed = true;
		} else {
			j = object_json(w->m, obj, w->ro);
			if (jdump(j, &ch->b) < 0)
				ch->failed = true;
			json_decref(j);
		}
		if (w->ro->json_lines)
			buf_addc(&ch->b, '\n');
	}
}

/* With the lock held: a chunk to render, unless none is left or the ring
 * is full. */
static bool jwork_take(struct jwork *w, size_t *c)
{
	if (w->stop || w->next >= w->nchunks || w->next >= w->written + JSON_RING)
		return false;
	*c = w->next++;
	return true;
}

static void jwork_render(struct jwork *w, struct jtpl *t, size_t c)
{
	pthread_mutex_unlock(&w->lock);
	jchunk_render(w, t, c);
	pthread_mutex_lock(&w->lock);
	w->ring[c % JSON_RING].ready = true;
	pthread_cond_broadcast(&w->cond);
}

static void *jwork_thread(void *arg)
{
	struct jwork *w = arg;
	struct jtpl t;
	size_t c;

	jtpl_init(&t, w->m, w->ro);
	pthread_mutex_lock(&w->lock);
	while (!w->stop && w->next < w->nchunks) {
		if (jwork_take(w, &c))
			jwork_render(w, &t, c);
		else
			pthread_cond_wait(&w->cond, &w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	jtpl_free(&t);
	return NULL;
}

static int render_objects(struct jout *o, const struct model *m, const struct render_opts *ro)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu > 1 ? (size_t)(ncpu > 8 ? 8 : ncpu) : 1, nthreads = 0;
	struct jwork *w = xcalloc(1, sizeof(*w));
	pthread_t tid[8];
	struct jtpl t;
	int err = 0;
	size_t c;

	w->m = m;
	w->ro = ro;
	w->first_visible = m->nobjs;
	/* lets a test check that the reused trees print what object_json() does */
	w->plain = getenv("IPCSCOPE_TEST_JSON_PLAIN") != NULL;
	for (size_t i = 0; i < m->nobjs; i++)
		if (!m->objs[i]->hidden) {
			w->first_visible = i;
			break;
		}
	w->nchunks = (m->nobjs + JSON_CHUNK - 1) / JSON_CHUNK;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (m->nobjs < 2 * JSON_SLICE_MIN)
		n = 1;
	for (size_t k = 1; k < n; k++)
		if (pthread_create(&tid[nthreads], NULL, jwork_thread, w) == 0)
			nthreads++;
	jtpl_init(&t, m, ro);
	jout_flush(o, true);
	pthread_mutex_lock(&w->lock);
	while (w->written < w->nchunks && !o->failed) {
		struct jchunk *ch = &w->ring[w->written % JSON_RING];

		if (ch->ready) {
			pthread_mutex_unlock(&w->lock);
			if (ch->failed) {
				o->failed = true;
			} else if (ch->b.len && fwrite(ch->b.data, 1, ch->b.len, o->out) != ch->b.len) {
				err = errno;
				o->failed = true;
			}
			pthread_mutex_lock(&w->lock);
			ch->ready = false;
			w->written++;
			pthread_cond_broadcast(&w->cond);
		} else if (jwork_take(w, &c)) {
			jwork_render(w, &t, c);
		} else {
			pthread_cond_wait(&w->cond, &w->lock);
		}
	}
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (size_t k = 0; k < nthreads; k++)
		pthread_join(tid[k], NULL);
	jtpl_free(&t);
	for (size_t k = 0; k < JSON_RING; k++)
		buf_free(&w->ring[k].b);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	if (err)
		errno = err;
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
		json_object_set_new(sum, "uncertain", json_integer((json_int_t)t.uncertain));
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
		json_object_set_new(t, "uncertain",
				    json_integer((json_int_t)s->leaks[r].uncertain));
		json_array_append_new(leaks, t);
	}
	json_object_set_new(doc, "leaks", leaks);
	json_object_set_new(procs, "total", json_integer((json_int_t)s->procs));
	json_object_set_new(procs, "unreadable", json_integer((json_int_t)s->unreadable));
	json_object_set_new(procs, "hidden", json_boolean(s->hidden));
	json_object_set_new(procs, "not_seen", s->incomplete ? json_string(s->incomplete)
							     : json_null());
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
