/* A pipe's or a FIFO's state (ipc_obj.kdata of kinds pipe and fifo). */
#ifndef IPCSCOPE_KIND_PIPE_H
#define IPCSCOPE_KIND_PIPE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* Fill level of a pipe or FIFO, read through a duplicate of a holder's fd. */
struct ipc_pipe {
	bool probing;		/* a thread is reading it */
	bool has_fill;
	uint32_t queued;
	uint32_t capacity;
	int err;		/* why has_fill is false: errno of the last try */
};

/* The state of an object known to be a pipe or FIFO. */
static inline struct ipc_pipe *pipe_st(const struct ipc_obj *o)
{
	return o->kdata;
}

/* Its state, or NULL when o is no a pipe or FIFO. */
static inline struct ipc_pipe *pipe_of(const struct ipc_obj *o)
{
	return (o->type == IPC_PIPE || o->type == IPC_FIFO) ? o->kdata : NULL;
}

#endif
