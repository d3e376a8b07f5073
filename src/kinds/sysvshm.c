/* sysvshm: a SysV shared memory segment (shmget), named by its key and
 * shmid, held through mappings, and identified within its IPC namespace. */
#include <errno.h>
#include <sys/shm.h>

#include "kind.h"

/* What PATH shows, as it has no path: "key 0x0000abcd", with " (removed)"
 * once IPC_RMID waits for the last detach. -P matches this too. */
static void sysv_label(struct buf *out, const struct ipc_obj *o)
{
	buf_printf(out, "key 0x%08x", (unsigned)o->sysv.key);
	if (o->sysv.removed)
		buf_adds(out, " (removed)");
}

static void sysv_describe(struct buf *out, const struct ipc_obj *o)
{
	buf_printf(out, "shmid %d (key 0x%08x)", o->sysv.shmid, (unsigned)o->sysv.key);
}

/* The kernel's own attach count: no process we cannot see changes it. */
static enum leak_reason sysv_leak(const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	return o->sysv.known && o->sysv.nattch == 0 && !o->sysv.removed ? LEAK_SYSV : LEAK_NONE;
}

/* Any attach or detach since the scan moves one of these: it is in use. */
static bool sysv_moved(const struct ipc_sysv *a, int64_t atime, int64_t dtime, int64_t ctime,
		       uint64_t nattch, pid_t lpid)
{
	return a->atime != atime || a->dtime != dtime || a->ctime != ctime ||
	       a->nattch != nattch || a->lpid != lpid;
}

static const char *sysv_used_since(const struct ipc_obj *o, const struct ipc_obj *f)
{
	const struct ipc_sysv *v = &f->sysv;

	return sysv_moved(&o->sysv, v->atime, v->dtime, v->ctime, v->nattch, v->lpid)
		       ? "it was attached or detached since the scan" : NULL;
}

/* The last check before IPC_RMID, on the kernel's word. */
static int sysv_remove(const struct ipc_obj *o)
{
	struct shmid_ds ds;

	if (shmctl(o->sysv.shmid, IPC_STAT, &ds) < 0)
		return -errno;
	if (ds.shm_nattch != 0 || (ds.shm_perm.mode & SHM_DEST) ||
	    ds.shm_perm.__key != o->sysv.key ||
	    sysv_moved(&o->sysv, ds.shm_atime, ds.shm_dtime, ds.shm_ctime, ds.shm_nattch,
		       ds.shm_lpid))
		return -ESTALE;
	if (shmctl(o->sysv.shmid, IPC_RMID, NULL) < 0)
		return -errno;
	return 0;
}

const struct ipc_kind kind_sysvshm = {
	.name = "sysvshm",
	.color = "\033[1;32m",
	.traits = KT_MAPPABLE | KT_NAMESPACED | KT_MEMORY,
	.data = KD_SYSV,
	.naming = NAME_NONE,
	.label = sysv_label,
	.leak = sysv_leak,
	.leak_always_certain = true,
	.remove = sysv_remove,
	.used_since = sysv_used_since,
	.describe = sysv_describe,
};
