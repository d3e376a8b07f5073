/* Namespaces other than ours. A container has its own /dev/shm (a tmpfs
 * of its mount namespace), its own mqueue filesystem and its own SysV IPC,
 * which a tool that reads only its own /dev/shm and /proc/sysvipc never
 * sees. One readable process per namespace is enough: the scan lists the
 * directories through that process's root and reads the SysV table from a
 * thread that has entered its IPC namespace. That process is the
 * namespace's "home", which also names its container. */
#include "collect/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "collect/bounded.h"
#include "collect/collect.h"
#include "escape.h"
#include "collect/pathio.h"
#include "collect/proc.h"

/* A filesystem of another mount namespace: its /dev/shm or its mqueue. */
struct ns_fs {
	dev_t dev;
	bool mqueue;
	uint64_t ipcns;		/* an mqueue fs's: its home's */
	uint64_t mntns;
	struct ipc_proc *home;
	char *dir;		/* where the namespace mounts it */
	char *shown;		/* dir as messages show it: its namespace names it */
	struct mnt_fact mount;	/* what its mountinfo vouched for */
};

/* A single file's mount, or a namespace's, from some mountinfo. */
struct ns_bind {
	dev_t dev;
	char *root;
};

struct ns_nsfs {
	uint64_t ino;
	struct ipc_proc *home;
	char *point;
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
	struct ns_bind *binds;
	size_t nbinds, capbinds;
	struct ns_nsfs *nets;
	size_t nnets;
	struct host_mounts host;
	/* mount namespaces kept by a mount (mnt:[ino]), whose mounts no
	 * process shows us */
	uint64_t *kept_mnt;
	size_t nkept_mnt;
	/* why single-file mounts may be missing: NULL when none can be */
	const char *binds_doubt;
	size_t nfiles;		/* taken from other namespaces' directories */
};

/* Mount namespaces whose listing never answered: the thread that tried
 * is still stuck in it, so later scans (watch) do not try again. */
static uint64_t ns_hung[64];
static size_t ns_nhung;
static pthread_mutex_t ns_hung_lock = PTHREAD_MUTEX_INITIALIZER;

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

/* ---------------------------------------------------------------- listing */

/* One listed file as the listing child sends it: the record, then the
 * name's bytes. */
struct ns_file_rec {
	struct stat st;
	struct ipc_mq mq;
	uint32_t namelen;
};

/* Files taken from one other namespace's directory, and from all of them:
 * another user can fill as many tmpfs mounts as they like. Past these, the
 * rest are not listed, and a warning says so. */
#define NS_FILES_MAX 65536
#define NS_FILES_TOTAL_MAX 262144

/* What the listing child needs; it touches nothing else. */
struct ns_job {
	int rootfd;
	const char *dir;
	struct mnt_fact want;
	bool mqueue;
	size_t max, n;
	int out;
	int err;
};

static void job_file(void *arg, const char *name, const struct stat *st, const struct ipc_mq *mq)
{
	struct ns_job *j = arg;
	struct ns_file_rec r = { *st, mq ? *mq : (struct ipc_mq){ 0 }, (uint32_t)strlen(name) };

	if (j->n >= j->max) {
		j->err = -E2BIG;
		return;
	}
	j->n++;
	if (write_all(j->out, &r, sizeof(r)) < 0 || write_all(j->out, name, r.namelen) < 0)
		j->err = -EPIPE;
}

static int job_run(void *arg, int out)
{
	struct ns_job *j = arg;
	struct ipc_dir d;
	int dfd, rc;

	j->out = out;
	dfd = ns_openat_root(j->rootfd, j->dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return dfd;
	rc = ipcdir_check(dfd, j->mqueue, &j->want, &d);
	if (rc == 0)
		rc = ipcdir_list(&d, job_file, j);
	close(dfd);
	return rc ? rc : j->err;
}

/* Records what the child listed, as our own listing would; how many. */
static size_t job_apply(struct model *m, struct scan_ctx *c, const struct ns_fs *f,
			const struct buf *b)
{
	struct ns_file_rec r;
	char name[NAME_MAX + 1];
	size_t n = 0;

	for (size_t off = 0; off + sizeof(r) <= b->len;) {
		memcpy(&r, b->data + off, sizeof(r));
		off += sizeof(r);
		if (r.namelen > NAME_MAX || off + r.namelen > b->len)
			break;
		memcpy(name, b->data + off, r.namelen);
		name[r.namelen] = '\0';
		off += r.namelen;
		ipcdir_add(m, c, f->dir, f->home, name, &r.st, f->mqueue ? &r.mq : NULL);
		n++;
	}
	return n;
}

static bool ns_is_hung(uint64_t mntns)
{
	bool hung = false;

	pthread_mutex_lock(&ns_hung_lock);
	for (size_t i = 0; i < ns_nhung; i++)
		hung |= ns_hung[i] == mntns;
	pthread_mutex_unlock(&ns_hung_lock);
	return hung;
}

static void ns_mark_hung(uint64_t mntns)
{
	pthread_mutex_lock(&ns_hung_lock);
	if (ns_nhung < ARRAY_SIZE(ns_hung))
		ns_hung[ns_nhung++] = mntns;
	pthread_mutex_unlock(&ns_hung_lock);
}

/* How long one listing may take (and all that stall together, the scan's
 * bounded budget): an overlay over a FUSE server that never answers passes
 * every mountinfo test, and a lookup through it would wait for ever. */
#define NS_LIST_MS 3000

/* Lists dir below home's root, checked to be the filesystem mountinfo
 * named, in a child that the scan waits for only so long. */
static void list_foreign(struct model *m, struct scan_ctx *c, struct ns_fs *f)
{
	int rc;
	struct ns_job j = { .dir = f->dir, .want = f->mount, .mqueue = f->mqueue,
			    .max = NS_FILES_MAX };
	struct buf got = { 0 };
	size_t left = NS_FILES_TOTAL_MAX - c->ns->nfiles;

	if (left < j.max)
		j.max = left;
	if (!j.max) {
		model_warn(m, "%s of mnt:[%llu] (pid %d) is not listed: other namespaces' "
			   "directories gave %d files already", f->shown,
			   (unsigned long long)f->mntns, (int)f->home->pid, NS_FILES_TOTAL_MAX);
		return;
	}
	if (ns_is_hung(f->mntns) || bounded_spent()) {
		model_warn(m, "%s of mnt:[%llu] (pid %d) is not listed: an earlier listing of it, "
			   "or of others, did not answer", f->shown, (unsigned long long)f->mntns,
			   (int)f->home->pid);
		return;
	}
	/* opening a process's root follows its magic link: no lookup at all */
	j.rootfd = ns_open_root(f->home);
	if (j.rootfd < 0)
		return;
	rc = bounded_fork(job_run, &j, NS_LIST_MS, &got);
	close(j.rootfd);
	if (rc == -ETIMEDOUT) {
		ns_mark_hung(f->mntns);
		model_warn(m, "%s of mnt:[%llu] (pid %d) is not listed: it did not answer in time",
			   f->shown, (unsigned long long)f->mntns, (int)f->home->pid);
	} else if (rc == -E2BIG) {
		model_warn(m, "%s of mnt:[%llu] (pid %d) has more files than are taken from one "
			   "place (%zu): the rest are not listed", f->shown,
			   (unsigned long long)f->mntns, (int)f->home->pid, j.max);
		c->ns->nfiles += job_apply(m, c, f, &got);
	} else if (rc < 0) {
		model_warn(m, "%s of mnt:[%llu] (pid %d) is not listed: %s", f->shown,
			   (unsigned long long)f->mntns, (int)f->home->pid,
			   rc == -ESTALE ? "it is not the mount its mountinfo named" :
			   rc == -EMEDIUMTYPE ? "it is not the filesystem it claims to be" :
			   strerror(-rc));
	} else {
		c->ns->nfiles += job_apply(m, c, f, &got);
	}
	buf_free(&got);
}

static void add_fs(struct scan_ctx *c, const struct mnt_fact *mount, bool mqueue,
		   struct ipc_proc *home, const char *dir)
{
	struct ns_table *t = c->ns;
	struct ns_fs *f;

	t->fs = xreallocarray(t->fs, t->nfs + 1, sizeof(*t->fs));
	f = &t->fs[t->nfs++];
	f->dev = mount->dev;
	f->mount = *mount;
	f->mqueue = mqueue;
	f->home = home;
	f->mntns = home->mntns;
	f->ipcns = mqueue ? (home->ipcns ? home->ipcns : ns_ino(home->pid, "ipc")) : 0;
	f->dir = xstrdup(dir);
	{
		struct buf b = { 0 };

		esc_table(&b, dir, strlen(dir));
		f->shown = buf_steal(&b);
	}
	if (mqueue)
		add_dev(&t->mq_devs, &t->nmq, mount->dev);
	else
		add_dev(&t->shm_devs, &t->nshm, mount->dev);
}

/* What every namespace's mountinfo says of single files and namespaces
 * kept by a mount: kept for the leak verdicts, whichever namespace. */
/* Binds kept from all namespaces together: each namespace may have 4,096,
 * and anyone can make namespaces. Past this, verdicts that a bind could
 * change are uncertain. */
#define NS_BINDS_MAX 65536

static void keep_binds(struct ns_table *t, const struct ns_mounts *mi)
{
	for (size_t i = 0; i < mi->nbinds && i < MNT_KEEP_MAX; i++) {
		if (t->nbinds >= NS_BINDS_MAX) {
			t->binds_doubt = "the mount namespaces have more bind mounts than "
					 "ipcscope keeps (65536)";
			return;
		}
		if (t->nbinds == t->capbinds) {
			t->capbinds = t->capbinds ? t->capbinds * 2 : 64;
			t->binds = xreallocarray(t->binds, t->capbinds, sizeof(*t->binds));
		}
		t->binds[t->nbinds++] = (struct ns_bind){ mi->binds[i].dev, xstrdup(mi->binds[i].root) };
	}
}

static void keep_mounts(struct ns_table *t, const struct ns_mounts *mi, struct ipc_proc *home)
{
	keep_binds(t, mi);
	if (mi->nbinds > MNT_KEEP_MAX || mi->nnsfs > MNT_KEEP_MAX)
		t->binds_doubt = "a mount namespace has more bind or namespace mounts than "
				 "ipcscope keeps (4096)";
	for (size_t i = 0; i < mi->nnsfs && i < MNT_KEEP_MAX; i++) {
		if (!mi->nsfs[i].net) {
			t->kept_mnt = xreallocarray(t->kept_mnt, t->nkept_mnt + 1,
						    sizeof(*t->kept_mnt));
			t->kept_mnt[t->nkept_mnt++] = mi->nsfs[i].ino;
			continue;
		}
		t->nets = xreallocarray(t->nets, t->nnets + 1, sizeof(*t->nets));
		t->nets[t->nnets++] = (struct ns_nsfs){ mi->nsfs[i].ino, home,
							xstrdup(mi->nsfs[i].point) };
	}
}

static void refuse(struct model *m, const char *what, struct ipc_proc *home, const char *why)
{
	model_warn(m, "%s of mnt:[%llu] (pid %d) is not listed, and nothing on it is taken "
		   "for an IPC object: %s", what, (unsigned long long)home->mntns,
		   (int)home->pid, why);
}

/* A mount namespace's filesystems, from the first of its processes whose
 * mountinfo could be read. Only what mountinfo vouches for is kept, and
 * nothing of that namespace is touched before. */
static int mount_ns(struct model *m, struct scan_ctx *c, struct ipc_proc *home)
{
	struct ns_mounts mi = { 0 };
	const char *why;
	int dir, fd = -1;

	/* through its checked directory: a live thread's, if its leader exited */
	dir = proc_open_view(home);
	if (dir < 0)
		return -1;
	/* its root must be reachable too, or it is no home: ptrace access.
	 * O_PATH through the magic link asks nothing of its filesystem. */
	if (mounts_read_at(dir, "mountinfo", &mi) == 0)
		fd = openat(dir, "root", O_PATH | O_CLOEXEC);
	close(dir);
	if (fd < 0) {
		mounts_free(&mi);
		return -1;
	}
	close(fd);
	keep_mounts(c->ns, &mi, home);
	if (mi.shm.set && !fs_known(c, mi.shm.dev) && (c->types & kind_listing_mask(LIST_DEVSHM))) {
		if ((why = mounts_shm_refusal(&mi, &c->ns->host, false)))
			refuse(m, "/dev/shm", home, why);
		else
			add_fs(c, &mi.shm, false, home, "/dev/shm");
	}
	if (mi.mq.set && !fs_known(c, mi.mq.dev) && (c->types & kind_listing_mask(LIST_MQUEUE))) {
		if ((why = mounts_mq_refusal(&mi)))
			refuse(m, "its mqueue filesystem", home, why);
		else
			add_fs(c, &mi.mq, true, home, mi.mq_dir.data);
	}
	mounts_free(&mi);
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
	/* the leak search's files may be bound anywhere: every mountinfo */
	bool want_mnt = (c->types & kind_listing_mask(LIST_DEVSHM | LIST_MQUEUE)) || c->want_binds;
	bool want_ipc = c->types & kind_listing_mask(LIST_SYSV);
	struct ns_table *t = c->ns;
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
		if (mount_ns(m, c, p) < 0)
			continue;
		mnts = xreallocarray(mnts, nmnts + 1, sizeof(*mnts));
		mnts[nmnts++] = p->mntns;
	}
	/* a mount namespace no process is in may bind a file too */
	for (size_t i = 0; want_mnt && i < t->nkept_mnt; i++)
		if (t->kept_mnt[i] != self_mnt && !u64_in(mnts, nmnts, t->kept_mnt[i]))
			t->binds_doubt = "a mount namespace that no process is in (kept by a "
					 "mount) could not be read";
	free(mnts);
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
	mounts_host_read(&c->ns->host);
	if (c->self_mounts)
		keep_mounts(c->ns, c->self_mounts, NULL);
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

/* Does a mount of a part of dev end in "/NAME" (base is "/NAME")? A mount
 * of a single file is held by the mount, whichever namespace shows it; its
 * root is the file's path inside the filesystem, which the object's name
 * (a path in our namespace, or below another namespace's /dev/shm) need
 * not spell the same way, but whose last part it shares. */
static bool mounted_as(const struct ns_table *t, dev_t dev, const char *base, size_t n,
		       bool *any)
{
	for (size_t i = 0; i < t->nbinds; i++) {
		const char *r = t->binds[i].root;
		size_t rl = strlen(r);

		if (t->binds[i].dev != dev)
			continue;
		*any = true;
		if (rl >= n && memcmp(r + rl - n, base, n) == 0)
			return true;
	}
	return false;
}

/* A file found by a listing or the leak search that a mount shows
 * somewhere is held by that mount; one with other names (hard links) may
 * be mounted by one of them, which is not known. */
static void link_mounted(const struct scan_ctx *c, struct ipc_obj *o)
{
	const char *base = o->path ? memrchr(o->path, '/', o->pathlen) : NULL;
	bool any = false;

	if (!base || !c->ns)
		return;
	if (mounted_as(c->ns, o->dev, base, o->pathlen - (size_t)(base - o->path), &any))
		o->held_by |= HELD_MOUNT;
	else if (o->other_names && any)
		o->doubt = "it has other names (hard links), and a mount of a file of its "
			   "filesystem may be one of them";
	if (!o->doubt)
		o->doubt = c->ns->binds_doubt;
}

void ns_link_mounts(struct model *m, const struct scan_ctx *c)
{
	for (size_t i = 0; i < m->nobjs; i++)
		if (m->objs[i]->in_dir || m->objs[i]->on_disk)
			link_mounted(c, m->objs[i]);
}

/* The namespaces each object lives in, by its device or its SysV
 * namespace: nothing here needs to know the kinds. */
void ns_link(struct model *m, const struct scan_ctx *c)
{
	for (size_t i = 0; i < m->nobjs; i++) {
		struct ipc_obj *o = m->objs[i];
		const struct ns_fs *f = fs_of(c, o->dev);

		/* an anonymous inode's id (eventfd-id) completes an identity
		 * too, and names no namespace */
		if (o->ns && !ipc_kinds[o->type]->anon_id) {
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
	for (size_t i = 0; i < c->ns->nfs; i++) {
		free(c->ns->fs[i].dir);
		free(c->ns->fs[i].shown);
	}
	free(c->ns->fs);
	free(c->ns->ipc);
	free(c->ns->shm_devs);
	free(c->ns->mq_devs);
	for (size_t i = 0; i < c->ns->nbinds; i++)
		free(c->ns->binds[i].root);
	free(c->ns->binds);
	for (size_t i = 0; i < c->ns->nnets; i++)
		free(c->ns->nets[i].point);
	free(c->ns->nets);
	free(c->ns->kept_mnt);
	mounts_host_free(&c->ns->host);
	free(c->ns);
	c->ns = NULL;
}

void ns_each_netns_mount(const struct scan_ctx *c,
			 void (*fn)(void *arg, uint64_t ino, struct ipc_proc *home,
				    const char *point), void *arg)
{
	for (size_t i = 0; c->ns && i < c->ns->nnets; i++)
		fn(arg, c->ns->nets[i].ino, c->ns->nets[i].home, c->ns->nets[i].point);
}
