/* The /dev/shm directory: POSIX shm objects and named semaphores, held or
 * not. Never follows a symlink someone planted there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect.h"
#include "pathio.h"

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

/* Opens a directory of IPC files, itself never through a symlink, and
 * learns the device its objects live on. An fd or -errno. */
static int open_ipc_dir(const char *path, dev_t *dev, bool *have_dev)
{
	struct stat st;
	int dfd;

	dfd = pio_open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (dfd >= 0 && fstat(dfd, &st) == 0) {
		*dev = st.st_dev;
		*have_dev = true;
	}
	return dfd;
}

/* The regular files of a listed directory, never a symlink: st is each
 * one's own stat. NULL at the end. */
static const char *next_file(DIR *dir, struct stat *st)
{
	struct dirent *de;

	while ((de = readdir(dir))) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(dir), de->d_name, st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st->st_mode))
			return de->d_name;
	}
	return NULL;
}

/* An object its directory lists: named prefix/NAME as its namespace names
 * it, owned by the file's owner. */
static struct ipc_obj *listed(struct model *m, struct scan_ctx *c, enum ipc_type type,
			      const struct stat *st, const char *prefix, const char *name,
			      struct ipc_proc *home)
{
	struct ipc_obj *o = model_get(m, type, st->st_dev, st->st_ino, NULL);

	buf_reset(&c->text);
	buf_adds(&c->text, prefix);
	if (c->text.len && c->text.data[c->text.len - 1] != '/')
		buf_addc(&c->text, '/');
	buf_adds(&c->text, name);
	model_set_path(o, c->text.data, c->text.len);
	o->home = home;
	o->in_dir = true;
	o->has_owner = true;
	o->owner = st->st_uid;
	set_file_times(o, st);
	return o;
}

/* What each listed file becomes, by the directory's kind. */
struct list_ctx {
	struct model *m;
	struct scan_ctx *c;
	const char *prefix;
	struct ipc_proc *home;
	DIR *dir;
};

static int list_dir(struct list_ctx *l, int dfd,
		    void (*one)(struct list_ctx *l, const char *name, const struct stat *st))
{
	const char *name;
	struct stat st;

	l->dir = fdopendir(dfd);
	if (!l->dir) {
		close(dfd);
		return -errno;
	}
	while ((name = next_file(l->dir, &st)))
		one(l, name, &st);
	closedir(l->dir);
	return 0;
}

static void shm_one(struct list_ctx *l, const char *name, const struct stat *st)
{
	enum ipc_type type = ipc_kinds[IPC_SHM]->refine(name, strlen(name));
	struct ipc_obj *o;

	if (!(l->c->types & IPC_TYPE_BIT(type)))
		return;
	o = listed(l->m, l->c, type, st, l->prefix, name, l->home);
	o->deleted = false;
	o->has_size = true;
	o->size = (uint64_t)st->st_size;
}

int shm_list(struct model *m, struct scan_ctx *c, int dfd, const char *prefix,
	     struct ipc_proc *home)
{
	struct list_ctx l = { m, c, prefix, home, NULL };

	return list_dir(&l, dfd, shm_one);
}

int shm_scan_dir(struct model *m, struct scan_ctx *c)
{
	int dfd = open_ipc_dir(SHM_DIR, &c->devs.devshm, &c->devs.have_devshm);

	return dfd < 0 ? dfd : shm_list(m, c, dfd, SHM_DIR, NULL);
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

	o = model_get_ns(s->m, IPC_SYSVSHM, s->c->devs.memfd, (uint64_t)e->shmid, s->ns, NULL);
	o->home = s->home;
	o->sysv.known = true;
	o->sysv.key = e->key;
	o->sysv.shmid = e->shmid;
	o->sysv.perms = e->perms;
	o->sysv.nattch = e->nattch;
	o->sysv.cpid = (pid_t)e->cpid;
	o->sysv.lpid = (pid_t)e->lpid;
	o->sysv.uid = e->uid;
	o->sysv.cuid = e->cuid;
	o->sysv.atime = e->atime;
	o->sysv.dtime = e->dtime;
	o->sysv.ctime = e->ctime;
	o->sysv.rss = e->rss;
	o->sysv.swap = e->swap;
	o->sysv.removed = (e->perms & SHM_DEST) != 0;
	o->deleted = o->sysv.removed;
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

/* reading a queue's file reports its state and changes nothing */
static void mq_read_info(int dirfd_, const char *name, struct ipc_obj *o)
{
	int fd = openat(dirfd_, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char info[256];
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, info, sizeof(info) - 1);
	if (n > 0)
		mq_parse_info(info, (size_t)n, &o->mq);
	close(fd);
	if (o->mq.known) {
		o->has_size = true;
		o->size = o->mq.qsize;
	}
}

static void mq_one(struct list_ctx *l, const char *name, const struct stat *st)
{
	struct ipc_obj *o = listed(l->m, l->c, IPC_MQUEUE, st, l->prefix, name, l->home);

	o->has_resident = false;
	mq_read_info(dirfd(l->dir), name, o);
}

int mq_list(struct model *m, struct scan_ctx *c, int dfd, const char *prefix,
	    struct ipc_proc *home)
{
	struct list_ctx l = { m, c, prefix, home, NULL };

	return list_dir(&l, dfd, mq_one);
}

int mq_scan_dir(struct model *m, struct scan_ctx *c)
{
	int dfd = open_ipc_dir(c->mqueue_dir, &c->devs.mqueue, &c->devs.have_mqueue);

	if (dfd < 0)
		return dfd;
	if (!c->rooted && !fd_on_mqueue_fs(dfd)) {
		/* the name was checked; this is the directory it names now */
		close(dfd);
		c->devs.have_mqueue = false;
		return -EMEDIUMTYPE;
	}
	return mq_list(m, c, dfd, c->mqueue_dir, NULL);
}
