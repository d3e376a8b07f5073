#include "model/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include "kinds/kind.h"
#include "par.h"
#include "util.h"
#include "model/waitgraph.h"


void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

#define MODEL_SLAB 2048

struct model_slab {
	struct model_slab *next;
	size_t used;
	struct ipc_obj objs[MODEL_SLAB];
};

/* A zeroed object from the current slab; a new slab when it is full. */
static struct ipc_obj *obj_alloc(struct model *m)
{
	struct model_slab *s = m->slabs;

	if (!s || s->used == MODEL_SLAB) {
		s = xcalloc(1, sizeof(*s));
		s->next = m->slabs;
		m->slabs = s;
	}
	return &s->objs[s->used++];
}

static void kdata_make(struct ipc_obj *o)
{
	size_t n = ipc_kinds[o->type]->kdata_size;

	o->kdata = n ? xcalloc(1, n) : NULL;
}

static void kdata_free(struct ipc_obj *o)
{
	if (o->kdata && ipc_kinds[o->type]->kfree)
		ipc_kinds[o->type]->kfree(o->kdata);
	free(o->kdata);
	o->kdata = NULL;
}

void model_retype(struct ipc_obj *o, enum ipc_type type)
{
	if (o->type == type)
		return;
	kdata_free(o);
	o->type = type;
	kdata_make(o);
}

/* What an object owns; the object itself goes with its slab. */
static void obj_free(struct ipc_obj *o)
{
	free(o->path);
	if (o->holders != o->inl)
		free(o->holders);
	kdata_free(o);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->nobjs; i++)
		obj_free(m->objs[i]);
	while (m->slabs) {
		struct model_slab *next = m->slabs->next;

		free(m->slabs);
		m->slabs = next;
	}
	for (size_t i = 0; i < m->nprocs; i++) {
		free(m->procs[i]->comm);
		free(m->procs[i]->cgroup);
		free(m->procs[i]->user);
		free(m->procs[i]);
	}
	for (size_t i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	for (size_t i = 0; i < m->places.nbinds; i++)
		free(m->places.binds[i].root);
	free(m->places.binds);
	free(m->places.fs);
	free(m->places.ipc);
	free(m->warn_quiet);
	waits_free(m);
	free(m->view.procs);
	free(m->view.sockets);
	free(m->view.openers);
	free(m->objs);
	free(m->procs);
	free(m->index);
	memset(m, 0, sizeof(*m));
}

struct ipc_proc *model_add_proc(struct model *m)
{
	struct ipc_proc *p = xcalloc(1, sizeof(*p));

	if (m->nprocs == m->capprocs) {
		m->capprocs = m->capprocs ? m->capprocs * 2 : 256;
		m->procs = xreallocarray(m->procs, m->capprocs, sizeof(*m->procs));
	}
	p->idx = m->nprocs;
	m->procs[m->nprocs++] = p;
	return p;
}

void model_drop_last_proc(struct model *m)
{
	struct ipc_proc *p;

	if (!m->nprocs)
		return;
	p = m->procs[--m->nprocs];
	free(p->comm);
	free(p->cgroup);
	free(p->user);
	free(p);
}

static uint64_t key_hash(dev_t dev, uint64_t ino, uint64_t ns)
{
	uint64_t h = ino * 0x9E3779B97F4A7C15ull ^ ((uint64_t)dev + 0x632BE59BD9B4E019ull) ^
		     (ns * 0xD6E8FEB86659FD93ull);

	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 32;
	return h;
}

static void index_insert(struct model *m, size_t objidx)
{
	const struct ipc_obj *o = m->objs[objidx];
	size_t mask = m->indexcap - 1;
	uint64_t h = key_hash(o->dev, o->ino, o->ns);
	size_t i = (size_t)h & mask;

	while (m->index[i].obj)
		i = (i + 1) & mask;
	m->index[i].obj = (uint32_t)(objidx + 1);
	m->index[i].tag = (uint32_t)(h >> 32);
}

static void index_rebuild(struct model *m, size_t cap)
{
	free(m->index);
	m->indexcap = cap;
	m->index = xcalloc(cap, sizeof(*m->index));
	for (size_t i = 0; i < m->nobjs; i++)
		index_insert(m, i);
}

struct ipc_obj *model_find_ns(const struct model *m, dev_t dev, uint64_t ino, uint64_t ns)
{
	size_t mask, i;
	uint64_t h;
	uint32_t tag;

	if (!m->indexcap)
		return NULL;
	mask = m->indexcap - 1;
	h = key_hash(dev, ino, ns);
	tag = (uint32_t)(h >> 32);
	for (i = (size_t)h & mask; m->index[i].obj; i = (i + 1) & mask) {
		struct ipc_obj *o;

		if (m->index[i].tag != tag)
			continue;
		o = m->objs[m->index[i].obj - 1];
		if (o->ino == ino && o->dev == dev && o->ns == ns)
			return o;
	}
	return NULL;
}

struct ipc_obj *model_find(const struct model *m, dev_t dev, uint64_t ino)
{
	return model_find_ns(m, dev, ino, 0);
}

struct ipc_obj *model_find_socket(const struct model *m, uint64_t ino)
{
	struct ipc_obj *o = model_find(m, m->sockfs_dev, ino);

	return o && o->type == IPC_UNIX ? o : NULL;
}

struct ipc_obj *model_get_ns(struct model *m, enum ipc_type type, dev_t dev,
			     uint64_t ino, uint64_t ns, bool *created)
{
	struct ipc_obj *o = model_find_ns(m, dev, ino, ns);

	if (created)
		*created = !o;
	if (o)
		return o;
	if (m->nobjs >= UINT32_MAX - 1)
		abort();
	o = obj_alloc(m);
	o->type = type;
	o->dev = dev;
	o->ino = ino;
	o->ns = ns;
	kdata_make(o);
	if (m->nobjs == m->capobjs) {
		m->capobjs = m->capobjs ? m->capobjs * 2 : 1024;
		m->objs = xreallocarray(m->objs, m->capobjs, sizeof(*m->objs));
	}
	m->objs[m->nobjs++] = o;
	/* keep the load factor under one half */
	if (m->nobjs * 2 > m->indexcap)
		index_rebuild(m, m->indexcap ? m->indexcap * 2 : 4096);
	else
		index_insert(m, m->nobjs - 1);
	return o;
}

struct ipc_obj *model_get(struct model *m, enum ipc_type type, dev_t dev,
			  uint64_t ino, bool *created)
{
	return model_get_ns(m, type, dev, ino, 0, created);
}

void model_set_path(struct ipc_obj *o, const char *p, size_t n)
{
	free(o->path);
	o->path = xmemdup(p, n);
	o->pathlen = n;
}

void model_add_holder(struct ipc_obj *o, struct ipc_proc *p, int fd,
		      uint8_t mode, bool mapped)
{
	struct ipc_holder *h;

	/* A process's holders are appended together, so its earlier entry for
	 * the same fd or for its mappings is at the tail. */
	for (size_t i = o->nholders; i-- > 0 && (o->holders[i].proc == p || p->split_tables);) {
		h = &o->holders[i];
		if (h->proc != p)
			continue;
		if (h->mapped == mapped && h->fd == fd) {
			h->mode |= mode;
			return;
		}
	}
	if (!o->capholders) {
		o->holders = o->inl;
		o->capholders = ARRAY_SIZE(o->inl);
	} else if (o->nholders == o->capholders) {
		struct ipc_holder *h2 = xreallocarray(o->holders == o->inl ? NULL : o->holders,
						      o->capholders * 2, sizeof(*h2));

		if (o->holders == o->inl)
			memcpy(h2, o->inl, sizeof(o->inl));
		o->holders = h2;
		o->capholders *= 2;
	}
	h = &o->holders[o->nholders++];
	h->proc = p;
	h->fd = fd;
	h->mode = mode;
	h->mapped = mapped;
	h->wait = NULL;		/* the link stage's, when waits are read */
	p->holds = true;
}

void model_rollback(struct model *m, size_t nobjs,
		    bool (*walked)(const void *arg, pid_t pid), const void *arg)
{
	size_t j = 0;

	for (size_t i = nobjs; i < m->nobjs; i++)
		obj_free(m->objs[i]);
	m->nobjs = nobjs;
	for (size_t i = 0; i < nobjs; i++) {
		struct ipc_obj *o = m->objs[i];
		size_t k = 0;

		for (size_t h = 0; h < o->nholders; h++)
			if (!walked(arg, o->holders[h].proc->pid))
				o->holders[k++] = o->holders[h];
		o->nholders = k;
	}
	for (size_t i = 0; i < m->nwaits; i++) {
		if (!walked(arg, m->waits[i].proc->pid))
			m->waits[j++] = m->waits[i];
		else
			free(m->waits[i].tname);
	}
	m->nwaits = j;
	for (size_t i = 0; i < m->nprocs; i++) {
		struct ipc_proc *p = m->procs[i];

		if (!walked(arg, p->pid))
			continue;
		p->holds = p->waits_read = false;
		p->nwaiting = p->nunread = p->nthreads_seen = p->ncut = 0;
		p->doing = p->waiting_in = NULL;
	}
	index_rebuild(m, m->indexcap ? m->indexcap : 4096);
}

void model_prune(struct model *m, bool (*keep)(const struct ipc_obj *))
{
	size_t j = 0;

	for (size_t i = 0; i < m->nobjs; i++) {
		if (keep(m->objs[i]))
			m->objs[j++] = m->objs[i];
		else
			obj_free(m->objs[i]);
	}
	if (j == m->nobjs)
		return;
	m->nobjs = j;
	index_rebuild(m, m->indexcap);
}

static void model_vwarn(struct model *m, bool quiet, const char *fmt, va_list ap)
{
	struct buf b = { 0 };
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		buf_reserve(&b, (size_t)n);
		vsnprintf(b.data, (size_t)n + 1, fmt, ap2);
		b.len = (size_t)n;
		m->warnings = xreallocarray(m->warnings, m->nwarnings + 1, sizeof(*m->warnings));
		m->warn_quiet = xreallocarray(m->warn_quiet, m->nwarnings + 1, sizeof(*m->warn_quiet));
		m->warn_quiet[m->nwarnings] = quiet;
		m->warnings[m->nwarnings++] = buf_steal(&b);
	}
	va_end(ap2);
}

void model_warn(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	model_vwarn(m, false, fmt, ap);
	va_end(ap);
}

void model_note(struct model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	model_vwarn(m, true, fmt, ap);
	va_end(ap);
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static int obj_cmp(const void *pa, const void *pb)
{
	const struct ipc_obj *a = *(const struct ipc_obj *const *)pa;
	const struct ipc_obj *b = *(const struct ipc_obj *const *)pb;
	int c;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	/* named objects first, in byte order */
	if (!a->path != !b->path)
		return a->path ? -1 : 1;
	if (a->path && (c = cmp_bytes(a->path, a->pathlen, b->path, b->pathlen)))
		return c;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return (a->ns > b->ns) - (a->ns < b->ns);
}

static int holder_cmp(const void *pa, const void *pb)
{
	const struct ipc_holder *a = pa, *b = pb;

	if (a->proc->pid != b->proc->pid)
		return a->proc->pid < b->proc->pid ? -1 : 1;
	/* fds in order, the mapping entry last */
	if (a->mapped != b->mapped)
		return a->mapped ? 1 : -1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* Sorting a list of 100k objects, each compare two reads of objects far
 * apart in memory, took a tenth of its time: the halves are sorted on two
 * CPUs and merged. obj_cmp is a total order (no two objects share dev,
 * inode and ns), so the result is qsort's, whatever the split. */
#define SORT_PAR_MIN 8192

static void sort_objs(void *arg, size_t part, size_t from, size_t to)
{
	struct model *m = arg;

	(void)part;
	if (to > from)
		qsort(m->objs + from, to - from, sizeof(*m->objs), obj_cmp);
}

static void sort_holders(void *arg, size_t part, size_t from, size_t to)
{
	struct model *m = arg;

	(void)part;
	for (size_t i = from; i < to; i++) {
		struct ipc_obj *o = m->objs[i];

		if (o->nholders > 1)
			qsort(o->holders, o->nholders, sizeof(*o->holders), holder_cmp);
	}
}

/* Merges the sorted runs [0, mid) and [mid, n) of objs. */
static void merge_objs(struct model *m, size_t mid)
{
	struct ipc_obj **v = m->objs, **t = xreallocarray(NULL, m->nobjs, sizeof(*t));
	size_t i = 0, j = mid, k = 0;

	while (i < mid && j < m->nobjs)
		t[k++] = obj_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		t[k++] = v[i++];
	while (j < m->nobjs)
		t[k++] = v[j++];
	memcpy(v, t, m->nobjs * sizeof(*v));
	free(t);
}

void model_sort(struct model *m)
{
	size_t threads = par_threads(m->nobjs, SORT_PAR_MIN, 2);

	if (m->nobjs > 1) {
		par_for(m->nobjs, threads, sort_objs, m);
		if (threads > 1)
			merge_objs(m, m->nobjs / 2);
	}
	par_for(m->nobjs, threads, sort_holders, m);
	index_rebuild(m, m->indexcap ? m->indexcap : 4096);
}

void model_home_text(struct buf *out, const struct ipc_obj *o)
{
	if (!o->home)
		return;
	if (o->home->container[0])
		buf_printf(out, "container %s", o->home->container);
	else if (o->mntns)
		buf_printf(out, "mnt:[%llu]", (unsigned long long)o->mntns);
	else if (o->netns)
		buf_printf(out, "net:[%llu]", (unsigned long long)o->netns);
	else
		buf_printf(out, "ipc:[%llu]", (unsigned long long)o->ipcns);
}
