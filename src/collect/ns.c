/* Namespaces other than ours. A container has its own /dev/shm (a tmpfs
 * of its mount namespace), its own mqueue filesystem and its own SysV IPC,
 * which a tool that reads only its own /dev/shm and /proc/sysvipc never
 * sees. One readable process per namespace is enough: the scan lists the
 * directories through that process's root and reads the SysV table from a
 * thread that has entered its IPC namespace. That process is the
 * namespace's "home", which also names its container. */
#include "ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collect.h"
#include "pathio.h"
#include "proc.h"

/* A filesystem of another mount namespace: its /dev/shm or its mqueue. */
struct ns_fs {
	dev_t dev;
	bool mqueue;
	uint64_t ipcns;		/* an mqueue fs's: its home's */
	struct ipc_proc *home;
	char *dir;		/* where the namespace mounts it */
};

struct ns_ipc {
	uint64_t ns;
	struct ipc_proc *home;
};

struct ns_table {
	struct ns_fs *fs;
	size_t nfs;
	struct ns_ipc *ipc;
	size_t nipc;
	dev_t *shm_devs, *mq_devs;	/* for the classifier */
	size_t nshm, nmq;
};

/* ---------------------------------------------------------------- mountinfo */

static bool parse_devno(const char *f, size_t n, dev_t *dev)
{
	const char *p = f, *end = f + n;
	uint64_t maj, min;

	if (!scan_u64(&p, end, &maj) || p >= end || *p++ != ':' ||
	    !scan_u64(&p, end, &min) || p != end || maj > 0xfff || min > 0xfffff)
		return false;
	*dev = makedev((unsigned)maj, (unsigned)min);
	return true;
}

/* mountinfo writes space, tab, newline and backslash in paths as \ooo */
static void unescape_octal(struct buf *out, const char *s, size_t n)
{
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			buf_addc(out, (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
			i += 3;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* One line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ..." */
static bool mountinfo_line(const char *p, const char *eol, dev_t *dev, const char **mnt,
			   size_t *mntlen, const char **fs, size_t *fslen)
{
	const char *f[5], *sep;
	size_t n[5];

	for (int i = 0; i < 5; i++)
		if (!scan_field(&p, eol, &f[i], &n[i]))
			return false;
	sep = memmem(p, (size_t)(eol - p), " - ", 3);
	if (!sep || !parse_devno(f[2], n[2], dev))
		return false;
	p = sep + 3;
	*mnt = f[4];
	*mntlen = n[4];
	return scan_field(&p, eol, fs, fslen);
}

int ns_parse_mountinfo(const char *buf, size_t len, struct ns_mounts *out)
{
	const char *p = buf, *end = buf + len;
	bool any = false;

	out->has_shm = out->has_mq = false;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *mnt, *fs;
		size_t mntlen, fslen;
		dev_t dev;

		if (!eol)
			eol = end;
		if (mountinfo_line(p, eol, &dev, &mnt, &mntlen, &fs, &fslen)) {
			any = true;
			if (mntlen == 8 && memcmp(mnt, "/dev/shm", 8) == 0) {
				out->has_shm = true;
				out->shm_dev = dev;
			} else if (!out->has_mq && fslen == 6 && memcmp(fs, "mqueue", 6) == 0) {
				out->has_mq = true;
				out->mq_dev = dev;
				unescape_octal(&out->mq_dir, mnt, mntlen);
			}
		}
		p = eol + 1;
	}
	return any ? 0 : -1;
}

/* ---------------------------------------------------------------- reaching in */

static int openat2_fd(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve };
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int ns_open_root(struct ipc_proc *home)
{
	int piddir = proc_open(home), fd;

	if (piddir < 0)
		return piddir;
	/* the one magic link followed on purpose: the process's root */
	fd = openat(piddir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = fd < 0 ? -errno : fd;
	close(piddir);
	return fd;
}

int ns_openat_root(int rootfd, const char *path, int flags)
{
	while (*path == '/')
		path++;
	return openat2_fd(rootfd, *path ? path : ".", flags,
			  RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

struct ns_call {
	int nsfd;
	uint64_t ns;
	int (*fn)(void *arg);
	void *arg;
	int rc;
};

/* setns(CLONE_NEWIPC) moves only the calling thread, so the rest of the
 * scan stays where it was. */
static void *ns_call_main(void *arg)
{
	struct ns_call *call = arg;
	struct stat st;

	if (setns(call->nsfd, CLONE_NEWIPC) < 0)
		call->rc = -errno;
	else if (stat("/proc/thread-self/ns/ipc", &st) < 0 || (uint64_t)st.st_ino != call->ns)
		call->rc = -ESRCH;
	else
		call->rc = call->fn(call->arg);
	return NULL;
}

int ns_in_ipcns(struct ipc_proc *home, uint64_t ipcns, int (*fn)(void *arg), void *arg)
{
	struct ns_call call = { .ns = ipcns, .fn = fn, .arg = arg };
	struct stat st;
	pthread_t tid;
	int piddir, err;

	piddir = proc_open(home);
	if (piddir < 0)
		return piddir;
	call.nsfd = openat(piddir, "ns/ipc", O_RDONLY | O_CLOEXEC);
	err = call.nsfd < 0 ? -errno : 0;
	close(piddir);
	if (err)
		return err;
	/* still the namespace the scan saw: home may have moved since */
	if (fstat(call.nsfd, &st) < 0 || (uint64_t)st.st_ino != ipcns)
		err = -ESRCH;
	else if ((err = pthread_create(&tid, NULL, ns_call_main, &call)) != 0)
		err = -err;
	else if (pthread_join(tid, NULL) == 0)
		err = call.rc;
	close(call.nsfd);
	return err;
}

/* ---------------------------------------------------------------- discovery */

/* through a live thread when the leader has exited (proc.c) */
static uint64_t ns_ino(pid_t pid, const char *which)
{
	return proc_ns_ino(pid, which);
}

static bool dev_in(const dev_t *devs, size_t n, dev_t dev)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev)
			return true;
	return false;
}

static void add_dev(dev_t **devs, size_t *n, dev_t dev)
{
	*devs = xreallocarray(*devs, *n + 1, sizeof(**devs));
	(*devs)[(*n)++] = dev;
}

static bool fs_known(const struct scan_ctx *c, dev_t dev)
{
	const struct ns_table *t = c->ns;

	return (c->devs.have_devshm && dev == c->devs.devshm) ||
	       (c->devs.have_mqueue && dev == c->devs.mqueue) ||
	       dev_in(t->shm_devs, t->nshm, dev) || dev_in(t->mq_devs, t->nmq, dev);
}

/* Opens dir below home's root, checks it is the filesystem its mountinfo
 * named, and lists it like our own. */
static void list_foreign(struct model *m, struct scan_ctx *c, struct ns_fs *f)
{
	struct stat st;
	int rootfd, dfd, rc;

	rootfd = ns_open_root(f->home);
	if (rootfd < 0)
		return;
	dfd = ns_openat_root(rootfd, f->dir, O_RDONLY | O_DIRECTORY);
	close(rootfd);
	if (dfd < 0)
		return;
	if (fstat(dfd, &st) < 0 || st.st_dev != f->dev ||
	    (f->mqueue && !fd_on_mqueue_fs(dfd))) {
		close(dfd);
		return;
	}
	rc = f->mqueue ? mq_list(m, c, dfd, f->dir, f->home) : shm_list(m, c, dfd, f->dir, f->home);
	if (rc < 0)
		model_warn(m, "cannot read %s of pid %d's mount namespace: %s", f->dir,
			   (int)f->home->pid, strerror(-rc));
}

static void add_fs(struct scan_ctx *c, dev_t dev, bool mqueue, struct ipc_proc *home,
		   const char *dir)
{
	struct ns_table *t = c->ns;
	struct ns_fs *f;

	t->fs = xreallocarray(t->fs, t->nfs + 1, sizeof(*t->fs));
	f = &t->fs[t->nfs++];
	f->dev = dev;
	f->mqueue = mqueue;
	f->home = home;
	f->ipcns = mqueue ? (home->ipcns ? home->ipcns : ns_ino(home->pid, "ipc")) : 0;
	f->dir = xstrdup(dir);
	if (mqueue)
		add_dev(&t->mq_devs, &t->nmq, dev);
	else
		add_dev(&t->shm_devs, &t->nshm, dev);
}

/* A mount namespace's filesystems, from the first of its processes whose
 * mountinfo could be read. */
static int mount_ns(struct scan_ctx *c, struct ipc_proc *home, struct buf *file,
		    struct ns_mounts *mi)
{
	char path[48];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)home->pid);
	if (pio_read(path, file) < 0 || ns_parse_mountinfo(file->data, file->len, mi) < 0)
		return -1;
	/* its root must be reachable too, or it is no home: ptrace access */
	snprintf(path, sizeof(path), "/proc/%d/root/", (int)home->pid);
	if (stat(path, &st) < 0)
		return -1;
	/* only a filesystem of its own: files on a plain /dev/shm directory
	 * share their device with the whole root filesystem */
	if (mi->has_shm && !fs_known(c, mi->shm_dev) && (c->types & kind_listing_mask(LIST_DEVSHM)))
		add_fs(c, mi->shm_dev, false, home, "/dev/shm");
	if (mi->has_mq && !fs_known(c, mi->mq_dev) && (c->types & kind_listing_mask(LIST_MQUEUE)))
		add_fs(c, mi->mq_dev, true, home, mi->mq_dir.data);
	return 0;
}

static bool u64_in(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool ipc_known(const struct ns_table *t, uint64_t ns)
{
	for (size_t i = 0; i < t->nipc; i++)
		if (t->ipc[i].ns == ns)
			return true;
	return false;
}

/* Only the namespaces the wanted kinds live in cost a stat per process:
 * mount namespaces for /dev/shm and mqueue files, IPC ones for SysV. */
static void learn_procs(struct model *m, struct scan_ctx *c, uint64_t self_mnt)
{
	bool want_mnt = c->types & kind_listing_mask(LIST_DEVSHM | LIST_MQUEUE);
	bool want_ipc = c->types & kind_listing_mask(LIST_SYSV);
	struct ns_table *t = c->ns;
	struct ns_mounts mi = { 0 };
	struct buf file = { 0 };
	uint64_t *mnts = NULL;
	size_t nmnts = 0;

	for (size_t i = 0; i < m->nprocs && (want_mnt || want_ipc); i++) {
		struct ipc_proc *p = m->procs[i];

		if (want_ipc)
			p->ipcns = ns_ino(p->pid, "ipc");
		if (p->ipcns && p->ipcns != c->self_ipcns && !ipc_known(t, p->ipcns)) {
			t->ipc = xreallocarray(t->ipc, t->nipc + 1, sizeof(*t->ipc));
			t->ipc[t->nipc++] = (struct ns_ipc){ p->ipcns, p };
		}
		if (!want_mnt || !(p->mntns = ns_ino(p->pid, "mnt")) || p->mntns == self_mnt ||
		    u64_in(mnts, nmnts, p->mntns))
			continue;
		/* until one of its processes can be read */
		if (mount_ns(c, p, &file, &mi) < 0)
			continue;
		mnts = xreallocarray(mnts, nmnts + 1, sizeof(*mnts));
		mnts[nmnts++] = p->mntns;
	}
	free(mnts);
	buf_free(&mi.mq_dir);
	buf_free(&file);
}

static int read_sysv(void *arg)
{
	return pio_read("/proc/sysvipc/shm", arg);
}

/* Each other IPC namespace's SysV segments, read from inside it. */
static void ipc_namespaces(struct model *m, struct scan_ctx *c)
{
	const struct ns_table *t = c->ns;
	struct buf text = { 0 };
	size_t denied = 0;

	if (!(c->types & kind_listing_mask(LIST_SYSV)))
		return;
	for (size_t i = 0; i < t->nipc; i++) {
		int rc = ns_in_ipcns(t->ipc[i].home, t->ipc[i].ns, read_sysv, &text);

		if (rc == -EPERM || rc == -EACCES)
			denied++;
		else if (rc == 0 && shm_apply_sysv(m, c, &text, t->ipc[i].ns, t->ipc[i].home) < 0)
			model_warn(m, "the SysV table of ipc:[%llu] is not in the expected format",
				   (unsigned long long)t->ipc[i].ns);
	}
	buf_free(&text);
	m->stats.ipcns_unread = denied;
	if (denied)
		model_warn(m, "the SysV segments of %zu other IPC namespace%s are not listed: "
			   "entering one needs CAP_SYS_ADMIN%s", denied, denied == 1 ? "" : "s",
			   geteuid() ? " (run as root)" : "");
}

void ns_discover(struct model *m, struct scan_ctx *c)
{
	struct stat st;

	if (c->rooted)
		return;
	c->ns = xcalloc(1, sizeof(*c->ns));
	c->self_mntns = stat("/proc/self/ns/mnt", &st) == 0 ? (uint64_t)st.st_ino : 0;
	learn_procs(m, c, c->self_mntns);
	for (size_t i = 0; i < c->ns->nfs; i++)
		list_foreign(m, c, &c->ns->fs[i]);
	ipc_namespaces(m, c);
	c->devs.more_shm = c->ns->shm_devs;
	c->devs.nmore_shm = c->ns->nshm;
	c->devs.more_mq = c->ns->mq_devs;
	c->devs.nmore_mq = c->ns->nmq;
}

static const struct ns_fs *fs_of(const struct scan_ctx *c, dev_t dev)
{
	for (size_t i = 0; c->ns && i < c->ns->nfs; i++)
		if (c->ns->fs[i].dev == dev)
			return &c->ns->fs[i];
	return NULL;
}

const char *ns_mq_dir(const struct scan_ctx *c, dev_t dev)
{
	const struct ns_fs *f = fs_of(c, dev);

	return f && f->mqueue ? f->dir : NULL;
}

static struct ipc_proc *ipc_home(const struct scan_ctx *c, uint64_t ns)
{
	for (size_t i = 0; c->ns && i < c->ns->nipc; i++)
		if (c->ns->ipc[i].ns == ns)
			return c->ns->ipc[i].home;
	return NULL;
}

/* The namespaces each object lives in, by its device or its SysV
 * namespace: nothing here needs to know the kinds. */
void ns_link(struct model *m, const struct scan_ctx *c)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];
		const struct ns_fs *f = fs_of(c, o->dev);

		if (o->ns) {
			o->ipcns = o->ns;
			if (o->ns != c->self_ipcns)
				o->home = ipc_home(c, o->ns);
		} else if (f) {
			o->home = f->home;
			if (f->mqueue)
				o->ipcns = f->ipcns;
			else
				o->mntns = f->home->mntns;
		} else if (c->devs.have_devshm && o->dev == c->devs.devshm) {
			o->mntns = c->self_mntns;
		} else if (c->devs.have_mqueue && o->dev == c->devs.mqueue) {
			o->ipcns = c->self_ipcns;
		}
	}
}

void ns_free(struct scan_ctx *c)
{
	if (!c->ns)
		return;
	for (size_t i = 0; i < c->ns->nfs; i++)
		free(c->ns->fs[i].dir);
	free(c->ns->fs);
	free(c->ns->ipc);
	free(c->ns->shm_devs);
	free(c->ns->mq_devs);
	free(c->ns);
	c->ns = NULL;
}
