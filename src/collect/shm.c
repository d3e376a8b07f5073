/* The /dev/shm directory: POSIX shm objects and named semaphores, held or
 * not; the mqueue filesystem's queues; the SysV table. Never follows a
 * symlink someone planted there, never takes a file that another mount
 * covers, and opens a queue only once it is known to be one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/collect.h"
#include "kinds/kind.h"
#include "collect/mounts.h"
#include "collect/pathio.h"
#include "kinds/mqueue.h"
#include "kinds/sysvshm.h"
#include "par.h"

#define SHM_DIR "/dev/shm"

static void set_file_times(struct ipc_obj *o, const struct stat *st)
{
	o->has_times = true;
	o->mtime = st->st_mtim.tv_sec;
	o->atime = st->st_atim.tv_sec;
	/* tmpfs files are sparse: blocks are the memory really used */
	o->has_resident = true;
	o->resident = (uint64_t)st->st_blocks * 512;
}

int ipcdir_check(int dfd, bool mqueue, const struct mnt_fact *want, struct ipc_dir *d)
{
	struct statfs sfs;
	struct stat st;

	d->dfd = dfd;
	d->mqueue = mqueue;
	d->rooted = false;
	if (stat_nosync(dfd, "", AT_EMPTY_PATH, &st, &d->mnt_id) < 0 || !S_ISDIR(st.st_mode))
		return -ENOTDIR;
	d->dev = st.st_dev;
	/* the very mount mountinfo vouched for, not one swapped in since */
	if (want && (want->dev != d->dev || (d->mnt_id && want->id != d->mnt_id)))
		return -ESTALE;
	if (fstatfs(dfd, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != (mqueue ? MQUEUE_MAGIC : TMPFS_MAGIC))
		return -EMEDIUMTYPE;
	return 0;
}

/* A queue's state, read only once it is known to be a queue of this
 * filesystem: no mount on top of its name (a host file bound there would
 * be some other file), reopened from a path fd so that nothing is looked
 * up between the check and the read. */
static void mq_read_checked(const struct ipc_dir *d, const char *name, const struct stat *st,
			    struct ipc_mq *mq)
{
	int pfd = openat(d->dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), fd = -1;
	struct stat now;
	uint32_t mnt;

	if (pfd < 0)
		return;
	if (stat_nosync(pfd, "", AT_EMPTY_PATH, &now, &mnt) == 0 && S_ISREG(now.st_mode) &&
	    now.st_dev == d->dev && now.st_ino == st->st_ino && (!d->mnt_id || mnt == d->mnt_id)) {
		fd = reopen_fd(pfd, O_RDONLY | O_NONBLOCK);
	}
	close(pfd);
	if (fd < 0)
		return;
	if (fd_on_mqueue_fs(fd))
		mq_attr_of(fd, mq);
	close(fd);
}

void mq_attr_of(int fd, struct ipc_mq *mq)
{
	struct mq_attr a;

	/* a read of the queue file would give QSIZE and NOTIFY, but the
	 * kernel stamps the queue's atime and ctime at every read, even
	 * through O_NOATIME: the queue would look used at every scan. A
	 * get-only mq_getsetattr changes nothing. */
	if (syscall(SYS_mq_getsetattr, fd, NULL, &a) < 0)
		return;
	mq->has_attr = true;
	mq->curmsgs = (uint64_t)a.mq_curmsgs;
	mq->maxmsg = (uint64_t)a.mq_maxmsg;
	mq->msgsize = (uint64_t)a.mq_msgsize;
}

/* A fixture tree has plain files for queues: read as they are. */
static void mq_read_rooted(int dfd, const char *name, struct ipc_mq *mq)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char info[256];
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, info, sizeof(info) - 1);
	if (n > 0)
		mq_parse_info(info, (size_t)n, mq);
	close(fd);
}

/* A directory's entries are read a batch at a time and their stats taken
 * on every CPU: /dev/shm can hold 20k files, and a stat each was a tenth
 * of a long list's time. The entries are then taken in directory order,
 * checked exactly as one stat at a time would be. */
#define DIR_BATCH 1024
#define DIR_PAR_MIN 256		/* fewer stats are not worth a thread */

struct dir_ent {
	struct stat st;
	uint32_t mnt;
	int rc;
	size_t name;		/* offset in the batch's names */
};

struct dir_batch {
	const struct ipc_dir *d;
	struct dir_ent e[DIR_BATCH];
	size_t n;
	struct buf names;	/* NUL-terminated, one after the other */
};

static void batch_stat(void *arg, size_t part, size_t from, size_t to)
{
	struct dir_batch *b = arg;

	(void)part;
	for (size_t i = from; i < to; i++) {
		struct dir_ent *e = &b->e[i];

		e->rc = stat_nosync(b->d->dfd, b->names.data + e->name, AT_SYMLINK_NOFOLLOW,
				    &e->st, &e->mnt);
	}
}

/* One entry, stat taken: a regular file of the directory's own mount
 * (none with another mount on top, a bind of any file, from any
 * filesystem), with a queue's state read only once it is known to be one. */
static void dir_take(const struct ipc_dir *d, const char *name, const struct dir_ent *e,
		     ipcdir_fn fn, void *arg)
{
	struct ipc_mq mq = { 0 };

	if (e->rc < 0 || !S_ISREG(e->st.st_mode))
		return;
	if (!d->rooted && (e->st.st_dev != d->dev || (d->mnt_id && e->mnt != d->mnt_id)))
		return;
	if (d->mqueue && d->rooted)
		mq_read_rooted(d->dfd, name, &mq);
	else if (d->mqueue)
		mq_read_checked(d, name, &e->st, &mq);
	fn(arg, name, &e->st, d->mqueue ? &mq : NULL);
}

static void batch_run(struct dir_batch *b, size_t threads, ipcdir_fn fn, void *arg)
{
	par_for(b->n, b->n >= DIR_PAR_MIN ? threads : 1, batch_stat, b);
	for (size_t i = 0; i < b->n; i++)
		dir_take(b->d, b->names.data + b->e[i].name, &b->e[i], fn, arg);
	b->n = 0;
	buf_reset(&b->names);
}

/* The regular files of the directory that live on its own mount: an entry
 * with a mount on top (a bind of any file, from any filesystem) is not
 * one of its objects and is neither listed nor opened. Queues are read
 * one by one; threads: how many may take the stats. */
static int ipcdir_list_on(const struct ipc_dir *d, ipcdir_fn fn, void *arg, size_t threads)
{
	int dup = fcntl(d->dfd, F_DUPFD_CLOEXEC, 0);
	DIR *dir = dup < 0 ? NULL : fdopendir(dup);
	struct dir_batch *b;
	struct dirent *de;

	if (!dir) {
		if (dup >= 0)
			close(dup);
		return -errno;
	}
	b = xcalloc(1, sizeof(*b));
	b->d = d;
	while ((de = readdir(dir))) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		b->e[b->n++].name = b->names.len;
		buf_add(&b->names, de->d_name, strlen(de->d_name) + 1);
		if (b->n == DIR_BATCH)
			batch_run(b, threads, fn, arg);
	}
	batch_run(b, threads, fn, arg);
	buf_free(&b->names);
	free(b);
	closedir(dir);
	return 0;
}

int ipcdir_list(const struct ipc_dir *d, ipcdir_fn fn, void *arg)
{
	return ipcdir_list_on(d, fn, arg, 1);
}

void ipcdir_add(struct model *m, struct scan_ctx *c, const char *prefix, struct ipc_proc *home,
		const char *name, const struct stat *st, const struct ipc_mq *mq)
{
	int t = kind_classify_listed(mq ? LIST_MQUEUE : LIST_DEVSHM, name, strlen(name));
	enum ipc_type type = (enum ipc_type)t;
	struct ipc_obj *o;

	if (t < 0 || !(c->types & IPC_TYPE_BIT(type)))
		return;
	o = model_get(m, type, st->st_dev, st->st_ino, NULL);
	buf_reset(&c->text);
	buf_adds(&c->text, prefix);
	if (c->text.len && c->text.data[c->text.len - 1] != '/')
		buf_addc(&c->text, '/');
	buf_adds(&c->text, name);
	model_set_path(o, c->text.data, c->text.len);
	o->home = home;
	o->in_dir = true;
	o->other_names = st->st_nlink > 1;
	o->has_owner = true;
	o->owner = st->st_uid;
	set_file_times(o, st);
	if (mq) {
		o->has_resident = false;
		*mq_st(o) = *mq;
		o->has_size = mq_qsize(mq, &o->size);
	} else {
		o->deleted = false;
		o->has_size = true;
		o->size = (uint64_t)st->st_size;
	}
}

struct add_ctx {
	struct model *m;
	struct scan_ctx *c;
	const char *prefix;
};

static void add_ours(void *arg, const char *name, const struct stat *st, const struct ipc_mq *mq)
{
	struct add_ctx *a = arg;

	ipcdir_add(a->m, a->c, a->prefix, NULL, name, st, mq);
}

/* One of our own IPC directories: a fixture tree's as it is; the live one
 * only when our mountinfo vouches for it (want), and on its own device.
 * Its device becomes the one the walk classifies files of that kind by. */
static int list_ours(struct model *m, struct scan_ctx *c, const char *path, bool mqueue,
		     const struct mnt_fact *want, dev_t *dev, bool *have_dev)
{
	struct add_ctx a = { m, c, path };
	struct ipc_dir d = { .rooted = true, .mqueue = mqueue };
	struct stat st;
	int dfd, rc = 0;

	dfd = pio_open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (dfd < 0)
		return dfd;
	if (!c->rooted)
		rc = ipcdir_check(dfd, mqueue, want, &d);
	else if (fstat(dfd, &st) == 0)
		d = (struct ipc_dir){ dfd, st.st_dev, 0, mqueue, true };
	else
		rc = -errno;
	if (rc == 0) {
		*dev = d.dev;
		*have_dev = true;
		/* our own /dev/shm: its stats on every CPU (not a queue's,
		 * each of which is opened) */
		rc = ipcdir_list_on(&d, add_ours, &a,
				    mqueue ? 1 : par_threads(DIR_PAR_MIN, DIR_PAR_MIN, 0));
	}
	close(dfd);
	return rc;
}

int shm_scan_dir(struct model *m, struct scan_ctx *c)
{
	const struct ns_mounts *mi = c->self_mounts;
	const char *why = NULL;

	if (!c->rooted && !mi)
		why = "our own mountinfo could not be read";
	else if (!c->rooted)
		why = mounts_shm_refusal(mi, NULL, true);
	if (why) {
		/* nothing mounted there is the common case of a small container */
		if (mi && !mi->shm.set)
			return 0;
		model_warn(m, "/dev/shm is not listed, and no file is taken for POSIX shared "
			   "memory: %s", why);
		return 0;
	}
	return list_ours(m, c, SHM_DIR, false, c->rooted ? NULL : &mi->shm, &c->devs.devshm,
			 &c->devs.have_devshm);
}

static bool field_i64(const char *f, size_t n, int64_t *out)
{
	const char *p = f;
	bool neg = false;
	uint64_t v;

	if (n && *p == '-') {
		neg = true;
		p++;
	}
	if (!scan_u64(&p, f + n, &v) || p != f + n || v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool field_u64(const char *f, size_t n, uint64_t *out)
{
	const char *p = f;

	return scan_u64(&p, f + n, out) && p == f + n;
}

static bool field_octal(const char *f, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (!n || n > 11)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '7')
			return false;
		v = v * 8 + (uint32_t)(f[i] - '0');
	}
	*out = v;
	return true;
}

static int sysv_line(const char *p, const char *end, struct sysv_entry *e)
{
	const char *f[16];
	size_t n[16];
	int64_t key, shmid, t;
	uint64_t v;
	int i;

	for (i = 0; i < 16; i++)
		if (!scan_field(&p, end, &f[i], &n[i]))
			return -1;
	if (scan_field(&p, end, &f[0], &n[0]))
		return -1;	/* trailing junk */
	if (!field_i64(f[0], n[0], &key) || key < INT32_MIN || key > INT32_MAX ||
	    !field_i64(f[1], n[1], &shmid) || shmid < 0 || shmid > INT32_MAX ||
	    !field_octal(f[2], n[2], &e->perms) || !field_u64(f[3], n[3], &e->size) ||
	    !field_u64(f[6], n[6], &e->nattch) || !field_u64(f[14], n[14], &e->rss) ||
	    !field_u64(f[15], n[15], &e->swap))
		return -1;
	e->key = (int32_t)key;
	e->shmid = (int32_t)shmid;
	{
		uint32_t *ids[] = { &e->cpid, &e->lpid, NULL, &e->uid, &e->gid, &e->cuid, &e->cgid };

		for (i = 0; i < 7; i++) {
			if (!ids[i])
				continue;
			if (!field_u64(f[4 + i], n[4 + i], &v) || v > UINT32_MAX)
				return -1;
			*ids[i] = (uint32_t)v;
		}
	}
	{
		int64_t *times[] = { &e->atime, &e->dtime, &e->ctime };

		for (i = 0; i < 3; i++) {
			if (!field_i64(f[11 + i], n[11 + i], &t))
				return -1;
			*times[i] = t;
		}
	}
	return 0;
}

int shm_parse_sysvipc(const char *buf, size_t len, sysv_entry_fn fn, void *arg)
{
	const char *p = buf, *end = buf + len, *eol;
	int count = 0;

	/* the header names the columns */
	eol = memchr(p, '\n', len);
	if (!eol || !memmem(p, (size_t)(eol - p), "shmid", 5))
		return -1;
	for (p = eol + 1; p < end; p = eol + 1) {
		struct sysv_entry e;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (sysv_line(p, eol, &e) == 0) {
			fn(arg, &e);
			count++;
		}
	}
	return count;
}

struct sysv_sink {
	struct model *m;
	struct scan_ctx *c;
	uint64_t ns;
	struct ipc_proc *home;
};

static void sysv_apply(void *arg, const struct sysv_entry *e)
{
	struct sysv_sink *s = arg;
	struct ipc_obj *o;

	o = model_get_ns(s->m, (enum ipc_type)kind_classify_listed(LIST_SYSV, NULL, 0),
			 s->c->devs.memfd, (uint64_t)e->shmid, s->ns, NULL);
	o->home = s->home;
	sysv_st(o)->known = true;
	sysv_st(o)->key = e->key;
	sysv_st(o)->shmid = e->shmid;
	sysv_st(o)->perms = e->perms;
	sysv_st(o)->nattch = e->nattch;
	sysv_st(o)->cpid = (pid_t)e->cpid;
	sysv_st(o)->lpid = (pid_t)e->lpid;
	sysv_st(o)->uid = e->uid;
	sysv_st(o)->cuid = e->cuid;
	sysv_st(o)->atime = e->atime;
	sysv_st(o)->dtime = e->dtime;
	sysv_st(o)->ctime = e->ctime;
	sysv_st(o)->rss = e->rss;
	sysv_st(o)->swap = e->swap;
	sysv_st(o)->removed = (e->perms & SHM_DEST) != 0;
	o->deleted = sysv_st(o)->removed;
	o->has_size = true;
	o->size = e->size;
	o->has_owner = true;
	o->owner = e->uid;
	o->has_resident = true;
	o->resident = e->rss + e->swap;
	o->has_times = true;
	/* last use: the latest attach, detach or change */
	o->mtime = e->ctime;
	o->atime = e->atime > e->dtime ? e->atime : e->dtime;
}

int shm_apply_sysv(struct model *m, struct scan_ctx *c, const struct buf *text,
		   uint64_t ns, struct ipc_proc *home)
{
	struct sysv_sink s = { m, c, ns, home };

	return shm_parse_sysvipc(text->data, text->len, sysv_apply, &s) < 0 ? -EBADMSG : 0;
}

int shm_scan_sysv(struct model *m, struct scan_ctx *c)
{
	int rc = pio_read("/proc/sysvipc/shm", &c->file);

	return rc < 0 ? rc : shm_apply_sysv(m, c, &c->file, c->self_ipcns, NULL);
}

int mq_parse_info(const char *buf, size_t len, struct ipc_mq *mq)
{
	static const char *const keys[] = { "QSIZE:", "NOTIFY:", "SIGNO:", "NOTIFY_PID:" };
	const char *p = buf, *end = buf + len;
	uint64_t vals[4];

	for (int i = 0; i < 4; i++) {
		size_t kl = strlen(keys[i]);

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(end - p) < kl || memcmp(p, keys[i], kl) != 0)
			return -1;
		p += kl;
		if (!scan_u64(&p, end, &vals[i]))
			return -1;
	}
	if (vals[1] > INT32_MAX || vals[2] > INT32_MAX || vals[3] > INT32_MAX)
		return -1;
	mq->known = true;
	mq->qsize = vals[0];
	mq->notify = (int32_t)vals[1];
	mq->signo = (int32_t)vals[2];
	mq->notify_pid = (pid_t)vals[3];
	return 0;
}

int mq_scan_dir(struct model *m, struct scan_ctx *c, const struct mnt_fact *want)
{
	return list_ours(m, c, c->mqueue_dir, true, c->rooted ? NULL : want, &c->devs.mqueue,
			 &c->devs.have_mqueue);
}
