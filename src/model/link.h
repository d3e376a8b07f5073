/* The link step of collect → link → filter → render: what one object says
 * of another, resolved once, after every collector ran. */
#ifndef IPCSCOPE_LINK_H
#define IPCSCOPE_LINK_H

#include <stddef.h>
#include <sys/types.h>

#include "model/model.h"

/* Every kind's links (ipc_kind.link): peers, listeners, senders, live
 * socket files. Safe to run again: a focused walk (--pid) runs it early to
 * learn which other ends to walk, and the link step once more. */
void link_kinds(struct model *m);

/* The link step: the processes asked about (--pid), every kind's links,
 * and, when waits were read, who waits on whom (waitgraph.c). */
void link_stage(struct model *m, const pid_t *asked, size_t nasked);

/* Warns of each pid of asked that no process read had: link_stage does
 * it; graph, whose --pid is its own, calls it itself. */
void link_warn_unseen(struct model *m, const pid_t *asked, size_t nasked);

#endif
