/* Worker threads and their buffers (par.h): par_for splits a range in
 * parts, one per thread; par_ordered_run's threads take chunks in turn,
 * each into a slot of a ring, and the calling thread writes the slots out
 * in order, rendering too when it has nothing to write, so memory stays at
 * a few chunks and the threads stay busy whatever the mix of chunks. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "par.h"

/* Chunks rendered ahead of the writer, per thread: two keep a thread busy
 * while the writer catches up, and each is a buffer kept whole. */
#define PAR_AHEAD 2
#define PAR_RING (PAR_AHEAD * PAR_THREADS)

size_t par_threads(size_t work, size_t min_work, size_t max)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu > 1 ? (size_t)ncpu : 1;

	if (max > PAR_THREADS || !max)
		max = PAR_THREADS;
	if (n > max)
		n = max;
	return work < min_work ? 1 : n;
}

struct par_part {
	pthread_t tid;
	bool started;
	par_part_fn *fn;
	void *arg;
	size_t part, from, to;
};

static void *par_part_main(void *arg)
{
	struct par_part *p = arg;

	p->fn(p->arg, p->part, p->from, p->to);
	return NULL;
}

void par_for(size_t n, size_t threads, par_part_fn *fn, void *arg)
{
	struct par_part part[PAR_THREADS];

	if (threads > PAR_THREADS)
		threads = PAR_THREADS;
	if (threads > n)
		threads = n;
	if (threads <= 1) {
		if (n)
			fn(arg, 0, 0, n);
		return;
	}
	for (size_t k = 0; k < threads; k++) {
		part[k] = (struct par_part){ .fn = fn, .arg = arg, .part = k,
					     .from = n * k / threads, .to = n * (k + 1) / threads };
		if (k && pthread_create(&part[k].tid, NULL, par_part_main, &part[k]) == 0)
			part[k].started = true;
	}
	/* this thread does the first part, and any a thread could not take */
	for (size_t k = 0; k < threads; k++)
		if (!part[k].started)
			fn(arg, k, part[k].from, part[k].to);
	for (size_t k = 1; k < threads; k++)
		if (part[k].started)
			pthread_join(part[k].tid, NULL);
}

struct par_slot {
	struct buf b;
	bool ready;
	int failed;
};

struct par_run {
	const struct par_ordered *p;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t ring;		/* slots in use */
	size_t next;		/* the next chunk to render */
	size_t written;		/* chunks handed to write */
	bool stop;
	int err;		/* the first failure: -1, or a write's errno */
	struct par_slot slot[PAR_RING];
};

/* With the lock held: a chunk to render, unless none is left or the ring
 * is full. */
static bool par_take(struct par_run *r, size_t *c)
{
	if (r->stop || r->next >= r->p->nchunks || r->next >= r->written + r->ring)
		return false;
	*c = r->next++;
	return true;
}

/* Renders chunk c without the lock, into a buffer of the thread's own
 * handed to the slot when done: the slots share cache lines, and a
 * renderer updates its buffer's length for every piece, which two threads
 * would fight over. */
static void par_render(struct par_run *r, void *state, size_t c)
{
	struct par_slot *s = &r->slot[c % r->ring];
	struct buf b = s->b;
	int failed;

	pthread_mutex_unlock(&r->lock);
	buf_reset(&b);
	failed = r->p->render(r->p->arg, state, c, &b) < 0;
	pthread_mutex_lock(&r->lock);
	s->b = b;
	s->failed = failed;
	s->ready = true;
	pthread_cond_broadcast(&r->cond);
}

static void *par_state_new(const struct par_ordered *p)
{
	return p->state_new ? p->state_new(p->arg) : NULL;
}

static void par_state_free(const struct par_ordered *p, void *state)
{
	if (p->state_free)
		p->state_free(state);
}

static void *par_thread(void *arg)
{
	struct par_run *r = arg;
	void *state = par_state_new(r->p);
	size_t c;

	pthread_mutex_lock(&r->lock);
	while (!r->stop && r->next < r->p->nchunks) {
		if (par_take(r, &c))
			par_render(r, state, c);
		else
			pthread_cond_wait(&r->cond, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	par_state_free(r->p, state);
	return NULL;
}

/* With the lock held: writes the next chunk out, which is ready, without
 * the lock. */
static void par_put(struct par_run *r)
{
	struct par_slot *s = &r->slot[r->written % r->ring];
	int err = s->failed ? -1 : 0;

	pthread_mutex_unlock(&r->lock);
	if (!err && s->b.len)
		err = r->p->write(r->p->arg, s->b.data, s->b.len);
	pthread_mutex_lock(&r->lock);
	s->ready = false;
	r->written++;
	if (err && !r->err)
		r->err = err;
	pthread_cond_broadcast(&r->cond);
}

/* The calling thread: writes the chunks out in order, renders one when
 * none is ready, and stops the others at the end or on a failure. */
static void par_drive(struct par_run *r)
{
	void *state = par_state_new(r->p);
	size_t c;

	pthread_mutex_lock(&r->lock);
	while (r->written < r->p->nchunks && !r->err) {
		if (r->slot[r->written % r->ring].ready)
			par_put(r);
		else if (par_take(r, &c))
			par_render(r, state, c);
		else
			pthread_cond_wait(&r->cond, &r->lock);
	}
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	par_state_free(r->p, state);
}

int par_ordered_run(const struct par_ordered *p)
{
	struct par_run *r = xcalloc(1, sizeof(*r));
	pthread_t tid[PAR_THREADS];
	size_t n = p->threads > PAR_THREADS ? PAR_THREADS : p->threads, nthreads = 0;
	int err;

	r->p = p;
	r->ring = PAR_AHEAD * (n ? n : 1);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	/* a thread that cannot start leaves its share to the others */
	for (size_t k = 1; k < n; k++)
		if (pthread_create(&tid[nthreads], NULL, par_thread, r) == 0)
			nthreads++;
	par_drive(r);
	for (size_t k = 0; k < nthreads; k++)
		pthread_join(tid[k], NULL);
	for (size_t k = 0; k < PAR_RING; k++)
		buf_free(&r->slot[k].b);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	err = r->err;
	free(r);
	return err;
}
