/* Per-walker batches: what a walker finds goes into its own batch, never
 * into the model, so walkers share no lock; the batches are merged into
 * the model once the walk is over. */
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "kinds/kind.h"
#include "kinds/pipe.h"
#include "kinds/sysvshm.h"
#include "kinds/unix.h"

static size_t key_slot(dev_t dev, uint64_t ino, uint64_t ns, size_t mask)
{
	uint64_t h = (ino ^ ((uint64_t)dev << 32) ^ (ns * 0x9E3779B97F4A7C15ull)) *
		     0xBF58476D1CE4E5B9ull;

	return (size_t)(h >> 32) & mask;
}

static bool key_empty(const struct scan_key *k)
{
	return !k->dev && !k->ino && !k->ns;
}

bool batch_seen(const struct scan_batch *b, dev_t dev, uint64_t ino, uint64_t ns)
{
	size_t mask = b->capseen - 1;

	if (!b->capseen)
		return false;
	for (size_t i = key_slot(dev, ino, ns, mask); !key_empty(&b->seen[i]); i = (i + 1) & mask)
		if (b->seen[i].ino == ino && b->seen[i].dev == dev && b->seen[i].ns == ns)
			return true;
	return false;
}

static void seen_insert(struct scan_key *tab, size_t cap, const struct scan_key *k)
{
	size_t i;

	for (i = key_slot(k->dev, k->ino, k->ns, cap - 1); !key_empty(&tab[i]); i = (i + 1) & (cap - 1))
		;
	tab[i] = *k;
}

void batch_mark(struct scan_batch *b, dev_t dev, uint64_t ino, uint64_t ns)
{
	struct scan_key k = { .dev = dev, .ino = ino, .ns = ns };

	if (key_empty(&k))
		return;
	/* open addressing, kept under half full */
	if ((b->nseen + 1) * 2 > b->capseen) {
		size_t cap = b->capseen ? b->capseen * 2 : 1024;
		struct scan_key *tab = xcalloc(cap, sizeof(*tab));

		for (size_t i = 0; i < b->capseen; i++)
			if (!key_empty(&b->seen[i]))
				seen_insert(tab, cap, &b->seen[i]);
		free(b->seen);
		b->seen = tab;
		b->capseen = cap;
	}
	seen_insert(b->seen, b->capseen, &k);
	b->nseen++;
}

struct scan_extra *batch_extra(struct scan_batch *b, uint32_t *idx)
{
	if (b->nextras == b->capextras) {
		b->capextras = b->capextras ? b->capextras * 2 : 256;
		b->extras = xreallocarray(b->extras, b->capextras, sizeof(*b->extras));
	}
	if (b->nextras >= SCAN_NO_EXTRA)
		abort();
	*idx = (uint32_t)b->nextras;
	memset(&b->extras[b->nextras], 0, sizeof(b->extras[0]));
	return &b->extras[b->nextras++];
}

void batch_add(struct scan_batch *b, enum ipc_type type, dev_t dev, uint64_t ino,
	       const struct ipc_proc *p, int fd, uint8_t mode, uint32_t extra)
{
	struct scan_rec *r;

	if (b->nrecs == b->caprecs) {
		b->caprecs = b->caprecs ? b->caprecs * 2 : 1024;
		b->recs = xreallocarray(b->recs, b->caprecs, sizeof(*b->recs));
	}
	r = &b->recs[b->nrecs++];
	r->dev = dev;
	r->ino = ino;
	r->proc = (uint32_t)p->idx;
	r->fd = fd;
	r->extra = extra;
	r->type = (uint8_t)type;
	r->mode = mode;
}

void batch_free(struct scan_batch *b)
{
	free(b->recs);
	free(b->extras);
	free(b->seen);
	free(b->waits);
	free(b->probes);
	buf_free(&b->names);
	memset(b, 0, sizeof(*b));
}

/* A new object takes what the walker learnt of it. */
static void merge_new(struct ipc_obj *o, const struct scan_batch *b, const struct scan_extra *e)
{
	if (e->has_name) {
		model_set_path(o, b->names.data + e->name_off, e->name_len);
		o->deleted = e->deleted;
	}
	if (e->has_size) {
		o->has_size = true;
		o->size = e->size;
	}
	if (e->has_owner) {
		o->has_owner = true;
		o->owner = e->owner;
	}
	if (e->has_resident) {
		o->has_resident = true;
		o->resident = e->resident;
	}
	if (e->has_kf && kind_of(o)->facts)
		kind_of(o)->facts(o, &e->kf);
	if (e->sysv) {
		/* not in our /proc/sysvipc/shm: another IPC namespace */
		sysv_st(o)->shmid = (int32_t)o->ino;
		sysv_st(o)->key = e->sysv_key;
	}
}

/* The threads' waits join the model with their objects found later, by
 * identity; a FIFO being opened is held by no one yet, so it may be new. */
static void merge_waits(struct model *m, const struct scan_batch *b)
{
	for (size_t i = 0; i < b->nwaits; i++) {
		const struct scan_wait *s = &b->waits[i];
		struct ipc_wait *w;

		if (s->fd < 0) {
			bool created;
			struct ipc_obj *o = model_get(m, (enum ipc_type)s->type, s->dev, s->ino, &created);

			if (created)
				model_set_path(o, b->names.data + s->path_off, s->path_len);
		}
		if (m->nwaits == m->capwaits) {
			m->capwaits = m->capwaits ? m->capwaits * 2 : 64;
			m->waits = xreallocarray(m->waits, m->capwaits, sizeof(*m->waits));
		}
		w = &m->waits[m->nwaits++];
		*w = (struct ipc_wait){ .proc = m->procs[s->proc], .tid = s->tid, .syscall = s->syscall,
					.fd = s->fd, .via = s->via, .dir = s->dir, .polled = s->polled,
					.alt = s->alt, .cond = s->cond, .has_target = s->has_target,
					.tdev = s->tdev, .tino = s->tino };
		if (s->fd >= 0 && s->path_len) {	/* a connect's abstract name */
			w->tname = xmemdup(b->names.data + s->path_off, s->path_len);
			w->tnamelen = s->path_len;
		}
		/* its object is found by identity once the model is complete */
		w->dev = s->dev;
		w->ino = s->ino;
		w->ns = s->ns;
	}
}

/* The walk is over: what the walkers found goes into the model, one
 * batch after the other, so each process's records stay together. */
void batch_merge(struct model *m, struct scan_batch *b)
{
	batch_merge_keep(m, b);
	batch_free(b);
}

/* Empties a merged batch, keeping its memory for the next process. */
static void batch_clear(struct scan_batch *b)
{
	b->nrecs = b->nextras = b->nwaits = b->nseen = 0;
	buf_reset(&b->names);
	if (b->capseen)
		memset(b->seen, 0, b->capseen * sizeof(*b->seen));
}

void batch_merge_keep(struct model *m, struct scan_batch *b)
{
	for (size_t i = 0; i < b->nrecs; i++) {
		const struct scan_rec *r = &b->recs[i];
		const struct scan_extra *e = r->extra == SCAN_NO_EXTRA ? NULL : &b->extras[r->extra];
		struct ipc_obj *o;
		bool created;

		o = model_get_ns(m, (enum ipc_type)r->type, r->dev, r->ino, e ? e->ns : 0, &created);
		if (created && e)
			merge_new(o, b, e);
		else if (e && e->has_size && kind_has(o->type, KT_MAPSIZE) && e->size > o->size)
			o->size = e->size;	/* sized by its largest mapping */
		if (e && e->fill_tried && pipe_of(o) && !pipe_st(o)->has_fill) {
			pipe_st(o)->has_fill = e->has_fill;
			pipe_st(o)->err = e->fill_err;
			pipe_st(o)->queued = e->queued;
			pipe_st(o)->capacity = e->capacity;
		}
		if (e && e->has_flags && o->type == IPC_UNIX && !unix_st(o)->has_nonblock) {
			unix_st(o)->has_nonblock = true;
			unix_st(o)->nonblock = e->nonblock;
		}
		if (e && e->has_family && o->type == IPC_UNIX) {
			unix_st(o)->has_family = true;
			unix_st(o)->family = e->family;
		}
		model_add_holder(o, m->procs[r->proc], r->fd, r->mode, r->fd < 0);
	}
	merge_waits(m, b);
	batch_clear(b);
}

