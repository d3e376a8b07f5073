/* A SysV segment's state (ipc_obj.kdata of kind sysvshm). */
#ifndef IPCSCOPE_KIND_SYSVSHM_H
#define IPCSCOPE_KIND_SYSVSHM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/model.h"

/* A SysV shared memory segment, from /proc/sysvipc/shm. */
struct ipc_sysv {
	bool known;		/* listed in /proc/sysvipc/shm */
	int32_t key;
	int32_t shmid;
	uint32_t perms;		/* mode bits, with SHM_DEST and SHM_LOCKED */
	uint64_t nattch;
	pid_t cpid, lpid;
	uid_t uid, cuid;
	int64_t atime, dtime, ctime;
	uint64_t rss, swap;
	bool removed;		/* IPC_RMID pending until the last detach */
};

/* The state of an object known to be a SysV segment. */
static inline struct ipc_sysv *sysv_st(const struct ipc_obj *o)
{
	return o->kdata;
}

/* Its state, or NULL when o is no a SysV segment. */
static inline struct ipc_sysv *sysv_of(const struct ipc_obj *o)
{
	return o->type == IPC_SYSVSHM ? o->kdata : NULL;
}

#endif
