/* ipcscope watch: what changed between two scans. */
#ifndef IPCSCOPE_WATCH_H
#define IPCSCOPE_WATCH_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "model/model.h"

enum watch_event {
	EV_ADDED,
	EV_REMOVED,
	EV_HOLDER_ADDED,
	EV_HOLDER_REMOVED,
	EV_THRESHOLD,
	EV_WAIT_BEGIN,
	EV_WAIT_END,
	EV_DEADLOCK,
};

struct watch_change {
	enum watch_event ev;
	const struct model *m;		/* the scan the object comes from */
	const struct ipc_obj *o;
	const struct ipc_holder *h;	/* holder events */
	uint64_t queued;		/* threshold: the queue now */
	bool above;			/* threshold: crossed upwards */
	const struct ipc_wait *w;	/* wait events, of m; h its holder or NULL */
	const struct ipc_cycle *c;	/* deadlock, of m; o its first object */
};

typedef int (*watch_fn)(void *arg, const struct watch_change *ch);

/* Reports, in order, what old and cur differ in: objects and holders, then
 * waits that ended, waits that began and deadlocks that appeared (when the
 * scans read waits); threshold 0 disables threshold events. Stops early
 * when fn returns < 0. */
int watch_diff(const struct model *old, const struct model *cur, uint64_t threshold,
	       watch_fn fn, void *arg);
const char *watch_event_name(enum watch_event ev);
/* "2026-11-24T22:30:01.123Z" */
void watch_time(char *out, size_t n, const struct timespec *ts);

/* One change, in the text or the JSON form; 0, or -1 after a write
 * error. */
int watch_render_text(FILE *out, const struct watch_change *ch, const char *when);
int watch_render_json(FILE *out, const struct watch_change *ch, const char *when);

#endif
