/* The speed machinery, in one place: how many threads are worth starting,
 * and a pool that renders a long sequence in chunks, on every CPU, into
 * buffers that the calling thread writes out in order. Renderers say what
 * a chunk is and how it is written; they start no thread of their own. */
#ifndef IPCSCOPE_PAR_H
#define IPCSCOPE_PAR_H

#include <stddef.h>

#include "util.h"

#define PAR_THREADS 8		/* threads at most, the caller's included */

/* Threads worth using, the caller's included: one per online CPU, up to
 * max (and PAR_THREADS); 1 when the work is smaller than min_work, the
 * amount below which a second thread costs more than it saves. */
size_t par_threads(size_t work, size_t min_work, size_t max);

/* fn(arg, part, from, to) over [0, n) split in threads contiguous parts
 * (part 0 first, on the calling thread); returns when all are done. A
 * part may keep what it writes apart by its number (a table's arenas). */
typedef void par_part_fn(void *arg, size_t part, size_t from, size_t to);
void par_for(size_t n, size_t threads, par_part_fn *fn, void *arg);

struct par_ordered {
	size_t nchunks;
	size_t threads;		/* par_threads(); 1 renders on the caller alone */
	void *arg;
	/* A thread's own state (a JSON writer, scratch), made on the thread
	 * that renders with it; may be NULL when none is needed. */
	void *(*state_new)(void *arg);
	void (*state_free)(void *state);
	/* Renders chunk c into b, which is empty; 0, or -1 on a failure,
	 * which stops the run. Called on any thread, for any chunk once. */
	int (*render)(void *arg, void *state, size_t c, struct buf *b);
	/* Writes a rendered chunk out, on the calling thread, in chunk
	 * order; 0, or an errno, which stops the run. */
	int (*write)(void *arg, const char *p, size_t n);
};

/* Renders and writes every chunk in order; memory stays at a few chunks
 * whatever their number. 0; -1 when a chunk failed to render; or the
 * errno of the write that failed. */
int par_ordered_run(const struct par_ordered *p);

#endif
