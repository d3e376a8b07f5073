/* Removal is the only thing ipcscope ever changes, so each object must be
 * what was planned, still unheld in a scan made a moment before, and still
 * the same file when it is unlinked. */
#include "clean.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "escape.h"
#include "leaks.h"
#include "proc.h"
#include "util.h"


/* Opens the directory part of path without following any symlink on the
 * way, so a swapped directory cannot redirect the unlink. */
static int open_parent(const char *path, size_t len, const char **base)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	const char *slash = memrchr(path, '/', len);
	char *dir;
	int fd;

	if (!slash || memchr(path, '\0', len))
		return -EINVAL;
	*base = slash + 1;
	dir = xmemdup(path, slash == path ? 1 : (size_t)(slash - path));
	fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	free(dir);
	return fd;
}

/* A queue lives on an mqueue filesystem: a directory swapped for another
 * since the scan holds no queue. */
static bool parent_fits(int dfd, const struct ipc_obj *o)
{
	return o->type != IPC_MQUEUE || fd_on_mqueue_fs(dfd);
}

static int unlink_checked(const struct ipc_obj *o, mode_t type)
{
	const char *base;
	struct stat st;
	int dfd, rc = 0;

	dfd = open_parent(o->path, o->pathlen, &base);
	if (dfd < 0)
		return dfd;
	if (!parent_fits(dfd, o))
		rc = -ESTALE;
	else if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		rc = -errno;
	else if ((st.st_mode & S_IFMT) != type || st.st_dev != o->dev || st.st_ino != o->ino)
		rc = -ESTALE;	/* another file has taken the name */
	else if (unlinkat(dfd, base, 0) < 0)
		rc = -errno;
	close(dfd);
	return rc;
}

/* Any attach or detach since the scan moves one of these: it is in use. */
static bool sysv_used(const struct ipc_sysv *a, int64_t atime, int64_t dtime,
		      int64_t ctime, uint64_t nattch, pid_t lpid)
{
	return a->atime != atime || a->dtime != dtime || a->ctime != ctime ||
	       a->nattch != nattch || a->lpid != lpid;
}

static int rmid_checked(const struct ipc_obj *o)
{
	struct shmid_ds ds;

	if (shmctl(o->sysv.shmid, IPC_STAT, &ds) < 0)
		return -errno;
	if (ds.shm_nattch != 0 || (ds.shm_perm.mode & SHM_DEST) ||
	    ds.shm_perm.__key != o->sysv.key ||
	    sysv_used(&o->sysv, ds.shm_atime, ds.shm_dtime, ds.shm_ctime, ds.shm_nattch,
		      ds.shm_lpid))
		return -ESTALE;
	if (shmctl(o->sysv.shmid, IPC_RMID, NULL) < 0)
		return -errno;
	return 0;
}

static void describe(struct buf *b, const struct ipc_obj *o)
{
	buf_printf(b, "%s ", ipc_type_name(o->type));
	if (o->type == IPC_SYSVSHM)
		buf_printf(b, "shmid %d (key 0x%08x)", o->sysv.shmid, (unsigned)o->sysv.key);
	else if (o->path)
		esc_table(b, o->path, o->pathlen);
	if (o->has_size) {
		char sz[32];

		format_size(sz, sizeof(sz), o->size);
		buf_printf(b, " (%s, %s)", sz, leak_reason_name(o->leak));
	} else {
		buf_printf(b, " (%s)", leak_reason_name(o->leak));
	}
}

/* Why the fresh scan forbids removing o, or NULL when it allows it. */
static const char *recheck(const struct ipc_obj *o, const struct model *fresh)
{
	const struct ipc_obj *f = model_find_ns(fresh, o->dev, o->ino, o->ns);

	if (!f)
		return "it is gone";
	if (f->type != o->type || (f->type != IPC_SYSVSHM && (!f->path || f->pathlen != o->pathlen ||
				   memcmp(f->path, o->path, o->pathlen) != 0)))
		return "it changed";
	if (f->nholders)
		return "it has a holder now";
	if (f->leak != o->leak)
		return "it is in use now";
	if (f->has_times && (f->mtime != o->mtime))
		return "it was modified";
	if (f->type == IPC_SYSVSHM &&
	    sysv_used(&o->sysv, f->sysv.atime, f->sysv.dtime, f->sysv.ctime, f->sysv.nattch,
		      f->sysv.lpid))
		return "it was attached or detached since the scan";
	if (f->uncertain)
		return f->uncertain;
	return NULL;
}

void clean_run(FILE *out, const struct model *planned, const struct model *fresh,
	       struct clean_counts *n)
{
	uid_t me = geteuid();
	struct buf d = { 0 };

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < planned->nobjs; i++) {
		const struct ipc_obj *o = planned->objs[i];
		const char *why;
		int rc;

		if (o->hidden || o->leak == LEAK_NONE)
			continue;
		n->planned++;
		buf_reset(&d);
		describe(&d, o);
		if (me != 0 && (!o->has_owner || o->owner != me)) {
			fprintf(out, "skipped %s: owned by %s; only root may remove it\n", d.data,
				o->has_owner ? proc_user_name(o->owner) : "another user");
			n->skipped++;
			continue;
		}
		if (o->uncertain) {
			fprintf(out, "skipped %s: uncertain: %s\n", d.data, o->uncertain);
			n->skipped++;
			continue;
		}
		if (!fresh) {
			fprintf(out, "would remove %s\n", d.data);
			continue;
		}
		why = recheck(o, fresh);
		if (!why && o->type == IPC_SYSVSHM && o->ns != 0 && !o->sysv.known)
			why = "it is in another IPC namespace";
		if (why) {
			fprintf(out, "skipped %s: %s\n", d.data, why);
			n->skipped++;
			continue;
		}
		switch (o->type) {
		case IPC_SYSVSHM:
			rc = rmid_checked(o);
			break;
		case IPC_UNIX:
			rc = unlink_checked(o, S_IFSOCK);
			break;
		case IPC_FIFO:
			rc = unlink_checked(o, S_IFIFO);
			break;
		default:
			/* shm, sem and mqueue files: what shm_unlink, sem_unlink and
			 * mq_unlink do, but on the very file that was checked */
			rc = unlink_checked(o, S_IFREG);
			break;
		}
		if (rc == -ESTALE || rc == -ENOENT) {
			fprintf(out, "skipped %s: it changed at the last moment\n", d.data);
			n->skipped++;
		} else if (rc < 0) {
			fprintf(out, "failed %s: %s\n", d.data, strerror(-rc));
			n->failed++;
		} else {
			fprintf(out, "removed %s\n", d.data);
			n->removed++;
		}
	}
	buf_free(&d);
}
