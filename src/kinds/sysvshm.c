/* sysvshm: a SysV shared memory segment (shmget), named by its key and
 * shmid, held through mappings, and identified within its IPC namespace. */
#include <errno.h>
#include <sys/shm.h>

#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "render/jw.h"
#include "kinds/kind.h"
#include "collect/ns.h"
#include "kinds/sysvshm.h"

/* What PATH shows, as it has no path: "key 0x0000abcd", with " (removed)"
 * once IPC_RMID waits for the last detach. -P matches this too. */
static void sysv_label(struct buf *out, const struct ipc_obj *o)
{
	buf_printf(out, "key 0x%08x", (unsigned)sysv_st(o)->key);
	if (sysv_st(o)->removed)
		buf_adds(out, " (removed)");
}

static void sysv_describe(struct buf *out, const struct ipc_obj *o)
{
	buf_printf(out, "shmid %d (key 0x%08x)", sysv_st(o)->shmid, (unsigned)sysv_st(o)->key);
}

static bool sysv_column(enum kind_col col, const struct ipc_obj *o,
			const struct render_opts *ro, struct buf *out, int64_t *num)
{
	(void)ro;
	return col == KC_NATTCH && kind_cell_u64(sysv_st(o)->known, sysv_st(o)->nattch, out, num);
}

/* The kernel's own attach count: no process we cannot see changes it. */
static const struct leak_reason sysv_orphaned = { "orphaned-sysvshm", 1 };

static bool sysv_leak(const struct model *m, const struct ipc_obj *o)
{
	(void)m;
	return sysv_st(o)->known && sysv_st(o)->nattch == 0 && !sysv_st(o)->removed;
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
	const struct ipc_sysv *v = sysv_st(f);

	return sysv_moved(sysv_st(o), v->atime, v->dtime, v->ctime, v->nattch, v->lpid)
		       ? "it was attached or detached since the scan" : NULL;
}

/* The last check before IPC_RMID, on the kernel's word, in the segment's
 * own IPC namespace. */
static int sysv_remove_here(void *arg)
{
	const struct ipc_obj *o = arg;
	struct shmid_ds ds;

	if (shmctl(sysv_st(o)->shmid, IPC_STAT, &ds) < 0)
		return -errno;
	if (ds.shm_nattch != 0 || (ds.shm_perm.mode & SHM_DEST) ||
	    ds.shm_perm.__key != sysv_st(o)->key ||
	    sysv_moved(sysv_st(o), ds.shm_atime, ds.shm_dtime, ds.shm_ctime, ds.shm_nattch,
		       ds.shm_lpid))
		return -ESTALE;
	if (shmctl(sysv_st(o)->shmid, IPC_RMID, NULL) < 0)
		return -errno;
	return 0;
}

static int sysv_remove(const struct ipc_obj *o)
{
	/* a shmid means nothing outside its namespace */
	if (o->home)
		return ns_in_ipcns(o->home, o->ns, sysv_remove_here, (void *)o);
	return sysv_remove_here((void *)o);
}

/* These names have no _base64 twin: one that is not UTF-8 is null. */
static void sysv_user(struct jw *w, const char *key, bool known, uid_t uid)
{
	const char *u = known ? user_name(uid) : NULL;

	jw_str(w, key, u && utf8_valid(u, strlen(u)) ? u : NULL);
}

/* A segment attached in another IPC namespace is known only from maps:
 * everything but its key, shmid and removal is then null. */
static void sysv_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_sysv *v = sysv_st(o);
	bool known = v->known;
	char perms[8];

	(void)m;
	snprintf(perms, sizeof(perms), "%04o", v->perms & 0777);
	jw_obj_begin(w, "sysv");
	jw_int(w, "key", v->key);
	jw_int(w, "shmid", v->shmid);
	jw_str(w, "perms", known ? perms : NULL);
	jw_u64_or_null(w, "size", known, o->size);
	jw_u64_or_null(w, "nattch", known, v->nattch);
	jw_int_or_null(w, "cpid", known, v->cpid);
	jw_int_or_null(w, "lpid", known && v->lpid, v->lpid);
	sysv_user(w, "creator", known, v->cuid);
	sysv_user(w, "owner", known, v->uid);
	jw_int_or_null(w, "atime", known && v->atime > 0, v->atime);
	jw_int_or_null(w, "dtime", known && v->dtime > 0, v->dtime);
	jw_int_or_null(w, "ctime", known && v->ctime > 0, v->ctime);
	jw_u64_or_null(w, "rss", known, v->rss);
	jw_u64_or_null(w, "swap", known, v->swap);
	jw_bool(w, "removed", v->removed);
	jw_obj_end(w);
}

/* "/SYSV%08x (deleted)": the segment's key, as it was at shmget() */
static bool sysv_map_key(const struct map_facts *f, int32_t *key)
{
	uint32_t v = 0;

	if (f->len != 12 || !f->deleted || memcmp(f->name, "SYSV", 4) != 0)
		return false;
	for (int i = 4; i < 12; i++) {
		char ch = f->name[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return false;
		v = v * 16 + d;
	}
	*key = (int32_t)v;
	return true;
}

/* by the name the kernel gives every segment's mapping */
static bool sysv_match_map(const struct map_facts *f, const struct kind_devs *d)
{
	int32_t key;

	return kind_devs_internal(d, f->dev) && sysv_map_key(f, &key);
}

static const char *const sysv_col_members[KC_COUNT] = {
	[KC_NATTCH] = ".sysv.nattch",
};

const struct ipc_kind kind_sysvshm = {
	.name = "sysvshm",
	.color = "\033[1;32m",
	.traits = KT_MAPPABLE | KT_NAMESPACED | KT_MEMORY,
	.listings = LIST_SYSV,
	.kdata_size = sizeof(struct ipc_sysv),
	.finds = LIST_SYSV,
	.match_map = sysv_match_map,
	.map_first = true,
	.map_key = sysv_map_key,
	.naming = NAME_NONE,
	.label = sysv_label,
	.leak_reason = &sysv_orphaned,
	.leak = sysv_leak,
	.leak_always_certain = true,
	.remove = sysv_remove,
	.used_since = sysv_used_since,
	.describe = sysv_describe,
	.column = sysv_column,
	.col_members = sysv_col_members,
	.json = sysv_json,
};
