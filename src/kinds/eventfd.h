/* An eventfd's state (ipc_obj.kdata of kind eventfd). */
#ifndef IPCSCOPE_KIND_EVENTFD_H
#define IPCSCOPE_KIND_EVENTFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* An eventfd, from its holders' fdinfo. Every eventfd shares one anonymous
 * inode: its id is the third part of its identity. */
struct ipc_eventfd {
	bool known;
	bool has_id;		/* Linux 6.8+; before, each fd stands alone */
	bool semaphore;
	uint64_t id;
	uint64_t count;
};

/* The state of an object known to be an eventfd. */
static inline struct ipc_eventfd *efd_st(const struct ipc_obj *o)
{
	return o->kdata;
}

/* Its state, or NULL when o is no an eventfd. */
static inline struct ipc_eventfd *efd_of(const struct ipc_obj *o)
{
	return o->type == IPC_EVENTFD ? o->kdata : NULL;
}

#endif
