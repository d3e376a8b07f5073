/* A POSIX message queue's state (ipc_obj.kdata of kind mqueue). */
#ifndef IPCSCOPE_KIND_MQUEUE_H
#define IPCSCOPE_KIND_MQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* A POSIX message queue. known: the queue file's text (a fixture tree's;
 * a live queue's file is never read, since the kernel stamps its atime and
 * ctime at every read). has_attr: what mq_getattr says, which changes no
 * time; its byte count is known only when no message waits. */
struct ipc_mq {
	bool known;
	uint64_t qsize;
	int32_t notify;
	int32_t signo;
	pid_t notify_pid;
	bool has_attr;
	uint64_t curmsgs, maxmsg, msgsize;
};

/* Bytes queued, when they are known. */
static inline bool mq_qsize(const struct ipc_mq *q, uint64_t *v)
{
	if (q->known)
		*v = q->qsize;
	else if (q->has_attr && q->curmsgs == 0)
		*v = 0;
	else
		return false;
	return true;
}

/* The state of an object known to be a POSIX message queue. */
static inline struct ipc_mq *mq_st(const struct ipc_obj *o)
{
	return o->kdata;
}

/* Its state, or NULL when o is no a POSIX message queue. */
static inline struct ipc_mq *mq_of(const struct ipc_obj *o)
{
	return o->type == IPC_MQUEUE ? o->kdata : NULL;
}

#endif
