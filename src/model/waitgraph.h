/* The link stage of waits: objects, states, other ends, deadlock cycles
 * and the processes that hold others up (waitgraph.c). */
#ifndef IPCSCOPE_WAITGRAPH_H
#define IPCSCOPE_WAITGRAPH_H

#include <stdbool.h>

#include "model/model.h"

/* After collection and the other links: fills m->cycles and m->stalls. */
void waits_link(struct model *m);
void waits_free(struct model *m);
/* Each connect's listener (ipc_wait.target), by the socket file or the
 * abstract name the call was given; the walk's --pid pass asks before
 * the link stage, its objects not resolved yet. */
void waits_link_connects(struct model *m);
/* Does every thread of p sleep on an IPC object, and was each read? */
bool waits_proc_waiting(const struct ipc_proc *p);
/* The holders that can end wait w, each given to fn; *closed when no
 * other process can. */
void waits_wakers(const struct model *m, const struct ipc_wait *w,
		  void (*fn)(void *arg, const struct ipc_holder *h), void *arg, bool *closed);

#endif
