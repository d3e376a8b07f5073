/* Which thread sleeps in which system call on which IPC object. A thread
 * asleep (state S or D) shows its call and arguments in
 * /proc/PID/task/TID/syscall; the call's number says how to find the
 * object: an fd argument, the fds an epoll instance watches (its fdinfo),
 * the poll or select sets in the process's memory, or the path of a FIFO
 * being opened. wchan is never used: its names change between kernels. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/bounded.h"
#include "collect/collect.h"
#include "collect/pathio.h"
#include "collect/proc.h"

/* How a call waits, and where its object is. */
enum wait_how {
	WH_NONE,	/* not an IPC wait: what the thread is doing */
	WH_READ,	/* arg 0 is the fd; waits for data */
	WH_WRITE,	/* arg 0 is the fd; waits for room */
	WH_ACCEPT,
	WH_CONNECT,
	WH_OPEN,	/* open(path, flags) */
	WH_OPENAT,	/* openat(dirfd, path, flags) */
	WH_OPENAT2,	/* openat2(dirfd, path, how) */
	WH_EPOLL,	/* arg 0 is the epoll fd */
	WH_POLL,	/* poll/ppoll(fds, nfds) */
	WH_SELECT,	/* select/pselect6(nfds, r, w, x) */
};

struct wait_call {
	long nr;
	const char *name;
	enum wait_how how;
};

/* Numbers differ per architecture; a process of another ABI (32-bit on a
 * 64-bit kernel) is not decoded. */
static const struct wait_call wait_calls[] = {
#if defined(__x86_64__)
	{ 0, "read", WH_READ }, { 1, "write", WH_WRITE }, { 2, "open", WH_OPEN },
	{ 7, "poll", WH_POLL }, { 19, "readv", WH_READ }, { 20, "writev", WH_WRITE },
	{ 23, "select", WH_SELECT }, { 34, "pause", WH_NONE }, { 35, "nanosleep", WH_NONE },
	{ 42, "connect", WH_CONNECT }, { 43, "accept", WH_ACCEPT }, { 44, "sendto", WH_WRITE },
	{ 45, "recvfrom", WH_READ }, { 46, "sendmsg", WH_WRITE }, { 47, "recvmsg", WH_READ },
	{ 61, "wait4", WH_NONE }, { 130, "rt_sigsuspend", WH_NONE }, { 202, "futex", WH_NONE },
	{ 230, "clock_nanosleep", WH_NONE }, { 232, "epoll_wait", WH_EPOLL },
	{ 242, "mq_timedsend", WH_WRITE }, { 243, "mq_timedreceive", WH_READ },
	{ 247, "waitid", WH_NONE }, { 257, "openat", WH_OPENAT }, { 270, "pselect6", WH_SELECT },
	{ 271, "ppoll", WH_POLL }, { 281, "epoll_pwait", WH_EPOLL }, { 288, "accept4", WH_ACCEPT },
	{ 299, "recvmmsg", WH_READ }, { 307, "sendmmsg", WH_WRITE }, { 437, "openat2", WH_OPENAT2 },
	{ 441, "epoll_pwait2", WH_EPOLL },
#elif defined(__aarch64__)
	{ 22, "epoll_pwait", WH_EPOLL }, { 56, "openat", WH_OPENAT }, { 63, "read", WH_READ },
	{ 64, "write", WH_WRITE }, { 65, "readv", WH_READ }, { 66, "writev", WH_WRITE },
	{ 72, "pselect6", WH_SELECT }, { 73, "ppoll", WH_POLL }, { 95, "waitid", WH_NONE },
	{ 98, "futex", WH_NONE }, { 101, "nanosleep", WH_NONE }, { 115, "clock_nanosleep", WH_NONE },
	{ 133, "rt_sigsuspend", WH_NONE }, { 182, "mq_timedsend", WH_WRITE },
	{ 183, "mq_timedreceive", WH_READ }, { 202, "accept", WH_ACCEPT }, { 203, "connect", WH_CONNECT },
	{ 206, "sendto", WH_WRITE }, { 207, "recvfrom", WH_READ }, { 211, "sendmsg", WH_WRITE },
	{ 212, "recvmsg", WH_READ }, { 242, "accept4", WH_ACCEPT }, { 243, "recvmmsg", WH_READ },
	{ 260, "wait4", WH_NONE }, { 269, "sendmmsg", WH_WRITE }, { 437, "openat2", WH_OPENAT2 },
	{ 441, "epoll_pwait2", WH_EPOLL },
#endif
};

/* At most this many fds of one poll, select or epoll are followed. */
#define WAIT_MAX_FDS 4096
/* Open addressing over one set's objects: a power of two, over twice
 * WAIT_MAX_FDS so that a probe ends soon. */
#define WAIT_HASH 16384
/* Sets a process's cache keeps, looked up one by one: when a process has
 * more (each thread a poll array of its own), the cache starts again. */
#define WAIT_MAX_SETS 1024

static const struct wait_call *wait_call_find(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(wait_calls); i++)
		if (wait_calls[i].nr == nr)
			return &wait_calls[i];
	return NULL;
}

/* "NR ARG1 ... ARG6 SP PC": 0 with the call's number and arguments, 1 when
 * the thread is not in a call ("running", or "-1 SP PC"), -1 if unreadable. */
int waits_parse_syscall(const char *buf, size_t len, long *nr, uint64_t args[6])
{
	const char *p = buf, *end = buf + len, *f;
	uint64_t v;
	size_t n;

	if (!scan_field(&p, end, &f, &n))
		return -1;
	if ((n == 7 && memcmp(f, "running", 7) == 0) || (n == 2 && memcmp(f, "-1", 2) == 0))
		return 1;
	if (!scan_u64(&f, f + n, &v) || v > 100000)
		return -1;
	*nr = (long)v;
	for (int i = 0; i < 6; i++) {
		if (!scan_field(&p, end, &f, &n) || n < 3 || f[0] != '0' || f[1] != 'x')
			return -1;
		args[i] = 0;
		for (size_t k = 2; k < n; k++) {
			int d = f[k] >= '0' && f[k] <= '9' ? f[k] - '0'
				: (f[k] | 0x20) >= 'a' && (f[k] | 0x20) <= 'f' ? (f[k] | 0x20) - 'a' + 10 : -1;

			if (d < 0 || (args[i] >> 60))
				return -1;
			args[i] = args[i] * 16 + (uint64_t)d;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- one thread */

/* One object of a set a call waits on: the first fd of the set that is
 * it, for that direction. */
struct wait_item {
	int32_t fd, via;
	dev_t dev;
	uint64_t ino, ns;
	uint8_t dir, type, cond;
};

/* A set decoded once per process: its threads share the fd table and the
 * memory, so one epoll fd is one set, and so is one poll or select array
 * (same address, same length) read in the same walk. */
struct wait_set {
	long how;			/* enum wait_how */
	uint64_t key[4];		/* epfd; address, nfds; nfds, rset, wset, xset */
	size_t first, n;		/* its items in the cache */
	bool alt;			/* some fd of it is not an IPC object */
};

struct wait_cache {
	struct wait_set *sets;
	size_t nsets, capsets;
	struct wait_item *items;
	size_t nitems, capitems;
	uint32_t hash[WAIT_HASH];	/* 1 + an item's index; 0: free */
};

struct wait_thread {
	struct scan_ctx *c;
	struct ipc_proc *p;
	int piddir;
	pid_t tid;
	const struct wait_call *call;
	size_t first_rec, nrecs;	/* this process's records in the batch */
	size_t first_wait;		/* this process's waits in the batch */
	struct wait_cache *cache;	/* NULL until a set is met */
	struct wait_set *set;		/* the one being decoded, or NULL */
	bool waits;			/* some fd of it is an IPC object */
	bool alt;			/* some other fd can end the wait too */
	/* the thread has an fd table of its own: the fd numbers of its call
	 * are not the walked table's, whose records are matched */
	bool own_table;
	bool cut;			/* its process has WAITS_MAX_PER_PROC waits */
};

/* The walk's record of fd in this process: its records are in fd order,
 * as /proc/PID/fd lists them. */
static const struct scan_rec *rec_of_fd(const struct wait_thread *t, int fd)
{
	const struct scan_rec *r = t->c->batch->recs + t->first_rec;
	size_t lo = 0, hi = t->nrecs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r[mid].fd == fd)
			return &r[mid];
		if (r[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < t->nrecs; i++)	/* not in order after all */
		if (r[i].fd == fd)
			return &r[i];
	return NULL;
}

/* The third part of an fd's object key: an eventfd's id, as the walk
 * recorded it (every eventfd shares one inode), else 0. */
static uint64_t rec_ns(const struct wait_thread *t, const struct scan_rec *r)
{
	return r->extra == SCAN_NO_EXTRA ? 0 : t->c->batch->extras[r->extra].ns;
}

static void add_wait(struct wait_thread *t, int fd, int via, uint8_t dir, uint8_t cond,
		     bool polled, dev_t dev, uint64_t ino, uint64_t ns, uint8_t type)
{
	struct scan_batch *b = t->c->batch;
	struct scan_wait *w;

	if (b->nwaits - t->first_wait >= WAITS_MAX_PER_PROC) {
		t->cut = true;
		return;
	}
	if (b->nwaits == b->capwaits) {
		b->capwaits = b->capwaits ? b->capwaits * 2 : 64;
		b->waits = xreallocarray(b->waits, b->capwaits, sizeof(*b->waits));
	}
	w = &b->waits[b->nwaits++];
	memset(w, 0, sizeof(*w));
	w->proc = (uint32_t)t->p->idx;
	w->tid = t->tid;
	w->syscall = t->call->name;
	w->fd = fd;
	w->via = via;
	w->dir = dir;
	w->cond = cond;
	w->polled = polled;
	w->dev = dev;
	w->ino = ino;
	w->ns = ns;
	w->type = type;
	t->waits = true;
}

/* ---------------------------------------------------------------- sets */

static size_t item_hash(dev_t dev, uint64_t ino, uint8_t dir)
{
	uint64_t h = (ino ^ ((uint64_t)dev << 24) ^ dir) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 50) & (WAIT_HASH - 1);
}

/* Adds an object to the set being decoded, unless the set has it already
 * in that direction: 4,096 copies of one fd in a poll array, or 19,000
 * dups of one pipe in an epoll, are one wait on one object, through the
 * first fd that names it. An fd asked for data makes the wait one for
 * data, whatever another fd on it asked (only a hangup, urgent data). */
static void set_item(struct wait_cache *wc, struct wait_set *ws, int fd, int via, uint8_t dir,
		     uint8_t cond, const struct scan_rec *r, uint64_t ns)
{
	size_t h = item_hash(r->dev, r->ino ^ ns, dir);
	struct wait_item *it;

	for (; wc->hash[h]; h = (h + 1) & (WAIT_HASH - 1)) {
		it = &wc->items[wc->hash[h] - 1];
		if (it->dev == r->dev && it->ino == r->ino && it->ns == ns && it->dir == dir) {
			if (cond == WC_DATA)
				it->cond = WC_DATA;
			return;
		}
	}
	if (wc->nitems == wc->capitems) {
		wc->capitems = wc->capitems ? wc->capitems * 2 : 64;
		wc->items = xreallocarray(wc->items, wc->capitems, sizeof(*wc->items));
	}
	it = &wc->items[wc->nitems++];
	*it = (struct wait_item){ fd, via, r->dev, r->ino, ns, dir, r->type, cond };
	wc->hash[h] = (uint32_t)wc->nitems;
	ws->n++;
}

/* The set of this call, decoded now unless another thread's was. */
static struct wait_set *set_get(struct wait_thread *t, enum wait_how how, const uint64_t k[4],
				bool *fresh)
{
	struct wait_cache *wc = t->cache;
	struct wait_set *ws;

	if (!wc)	/* a process's first set: most never have one */
		wc = t->cache = xcalloc(1, sizeof(*wc));
	for (size_t i = 0; i < wc->nsets; i++) {
		ws = &wc->sets[i];
		if (ws->how == how && memcmp(ws->key, k, sizeof(ws->key)) == 0) {
			*fresh = false;
			return ws;
		}
	}
	if (wc->nsets == WAIT_MAX_SETS)
		wc->nsets = wc->nitems = 0;
	if (wc->nsets == wc->capsets) {
		wc->capsets = wc->capsets ? wc->capsets * 2 : 8;
		wc->sets = xreallocarray(wc->sets, wc->capsets, sizeof(*wc->sets));
	}
	ws = &wc->sets[wc->nsets++];
	*ws = (struct wait_set){ how, { k[0], k[1], k[2], k[3] }, wc->nitems, 0, false };
	memset(wc->hash, 0, sizeof(wc->hash));
	*fresh = true;
	return ws;
}

/* The thread's waits: one per object of its set. */
static void set_replay(struct wait_thread *t, const struct wait_set *ws)
{
	for (size_t i = ws->first; i < ws->first + ws->n && !t->cut; i++) {
		const struct wait_item *it = &t->cache->items[i];

		add_wait(t, it->fd, it->via, it->dir, it->cond, true, it->dev, it->ino, it->ns,
			 it->type);
	}
	if (ws->alt)
		t->alt = true;
}

/* A wait on fd, when fd is an IPC object the walk recorded; a polled fd
 * that is not one (a terminal, a TCP socket) can end the wait too. A wait
 * for a hangup alone is one for the end the fd is not: a pipe's write end
 * waits for its readers to go (POLLERR), any other fd for its writers or
 * its peer (POLLHUP). */
static void wait_on_fd(struct wait_thread *t, long fd, int via, uint8_t dir, uint8_t cond,
		       bool polled)
{
	const struct scan_rec *r = fd >= 0 && fd <= INT32_MAX ? rec_of_fd(t, (int)fd) : NULL;

	if (r && cond == WC_HANGUP)
		dir = r->mode == MODE_W ? WD_WRITE : WD_READ;
	if (r && t->set)
		set_item(t->cache, t->set, (int)fd, via, dir, cond, r, rec_ns(t, r));
	else if (r)
		add_wait(t, (int)fd, via, dir, cond, polled, r->dev, r->ino, rec_ns(t, r), r->type);
	else if (t->set)
		t->set->alt = true;
	else if (polled)
		t->alt = true;
}

/* How long a read of a process's memory may take. */
#define WAIT_MEM_MS 500

/* A process's memory, read only so long: its owner may have put the page
 * on a FUSE file whose server never answers the fault. */
static bool read_mem(pid_t pid, uint64_t addr, void *out, size_t len)
{
	return bounded_read_mem(pid, addr, out, len, WAIT_MEM_MS);
}

/* What a poll or epoll entry asking for these events waits for: data,
 * room, urgent data (POLLPRI), or else only what every entry gets without
 * asking: a hangup or an error, the other end gone. The EPOLL bits are
 * the POLL ones. */
static void events_wait(uint64_t ev, uint8_t *dir, uint8_t *cond)
{
	*dir = WD_READ;
	*cond = WC_DATA;
	if (ev & (POLLIN | POLLRDNORM | POLLRDBAND))
		return;
	if (ev & (POLLOUT | POLLWRNORM | POLLWRBAND))
		*dir = WD_WRITE;
	else
		*cond = ev & POLLPRI ? WC_URGENT : WC_HANGUP;
}

/* One "tfd: N events: HEX ..." line of an epoll's fdinfo. */
static void wait_epoll_line(struct wait_thread *t, long epfd, const char *p, const char *eol)
{
	const char *q = p + 4, *f;
	uint64_t tfd, ev = 0;
	size_t fl;

	if (eol - p > 4 && memcmp(p, "tfd:", 4) == 0 && scan_field(&q, eol, &f, &fl) &&
	    scan_u64(&f, f + fl, &tfd) && scan_field(&q, eol, &f, &fl) &&
	    fl == 7 && memcmp(f, "events:", 7) == 0 && scan_field(&q, eol, &f, &fl)) {
		uint8_t dir, cond;

		for (size_t k = 0; k < fl; k++)
			ev = ev * 16 + (uint64_t)(f[k] <= '9' ? f[k] - '0' : (f[k] | 0x20) - 'a' + 10);
		/* a one-shot entry that fired keeps only these flags: the
		 * kernel passes it over, hangups too, until it is armed again */
		if (!(ev & ~(uint64_t)(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)))
			return;
		events_wait(ev, &dir, &cond);
		wait_on_fd(t, (long)tfd, (int)epfd, dir, cond, true);
	}
}

/* epoll: every watched fd, from its fdinfo, a line at a time: an epoll
 * may watch a million fds, and only the first WAIT_MAX_FDS lines count */
static void wait_epoll(struct wait_thread *t, long epfd)
{
	struct pio_lines l;
	const char *line;
	char name[48];
	size_t len, n = 0;

	if (epfd < 0 || epfd > INT32_MAX)
		return;
	snprintf(name, sizeof(name), "fdinfo/%ld", epfd);
	if (pio_lines_open_at(&l, t->piddir, name) < 0)
		return;
	while (n++ < WAIT_MAX_FDS && pio_lines_next(&l, &line, &len))
		wait_epoll_line(t, epfd, line, line + len);
	pio_lines_close(&l);
}

/* poll, ppoll: the struct pollfd array */
static void wait_poll(struct wait_thread *t, uint64_t addr, uint64_t nfds)
{
	struct pollfd pf[64];

	if (nfds > WAIT_MAX_FDS)
		nfds = WAIT_MAX_FDS;
	for (uint64_t done = 0; done < nfds;) {
		size_t k = nfds - done > 64 ? 64 : (size_t)(nfds - done);

		if (!read_mem(t->p->pid, addr + done * sizeof(pf[0]), pf, k * sizeof(pf[0])))
			return;
		for (size_t i = 0; i < k; i++) {
			uint8_t dir, cond;

			if (pf[i].fd < 0)
				continue;
			events_wait((uint16_t)pf[i].events, &dir, &cond);
			wait_on_fd(t, pf[i].fd, -1, dir, cond, true);
		}
		done += k;
	}
}

/* select, pselect6: the read, write and exception fd sets, nfds bits
 * each. The exception set waits for urgent data (POLLPRI): a read of
 * another kind, which an fd in the read set as well makes a plain one. */
static void wait_select(struct wait_thread *t, uint64_t nfds, const uint64_t a[6])
{
	static const uint8_t dirs[3] = { WD_READ, WD_WRITE, WD_READ };
	static const uint8_t conds[3] = { WC_DATA, WC_DATA, WC_URGENT };
	uint64_t bits[WAIT_MAX_FDS / 64];
	size_t words;

	if (nfds > WAIT_MAX_FDS)
		nfds = WAIT_MAX_FDS;
	words = (size_t)(nfds + 63) / 64;
	for (int s = 0; s < 3; s++) {
		if (!a[1 + s] || !read_mem(t->p->pid, a[1 + s], bits, words * 8))
			continue;
		for (uint64_t fd = 0; fd < nfds; fd++)
			if (bits[fd / 64] & (1ull << (fd % 64)))
				wait_on_fd(t, (long)fd, -1, dirs[s], conds[s], true);
	}
}

/* The FIFO a sleeping open names, resolved in a child process: the lookups
 * run through the process's mounts, which may be its owner's FUSE server
 * behind an overlay. */
struct open_job {
	int rootfd;
	int basefd;		/* the cwd or dirfd it is relative to, or -1 */
	const char *base;	/* that directory's path below the root */
	const char *path;	/* the whole path below the root */
};

struct open_res {
	struct stat st;
	bool stat_ok;
};

/* The kind of the file an open or a connect names, as the classifier
 * tells a file met on disk; -1 when it is none, or was not stat'ed. */
static int open_res_kind(const struct open_res *r)
{
	if (!r->stat_ok)
		return -1;
	return kind_classify_disk(&(struct fd_facts){ .fmt = r->st.st_mode & S_IFMT,
						      .dev = r->st.st_dev,
						      .ino = (uint64_t)r->st.st_ino,
						      .nlink = r->st.st_nlink });
}

static int open_in_root(int rootfd, const char *path, uint64_t flags, uint64_t resolve)
{
	int fd = (int)syscall(SYS_openat2, rootfd, path,
			      &(struct open_how){ .flags = flags | O_PATH | O_CLOEXEC,
						  .resolve = RESOLVE_IN_ROOT | resolve },
			      sizeof(struct open_how));

	return fd < 0 ? -errno : fd;
}

/* The kernel lets ".." climb from the cwd (or dirfd) up to the process's
 * root and no higher; resolving the whole path from the root does the
 * same, once the base's path below the root names that very directory. */
static int open_job_run(void *arg, int out)
{
	struct open_job *j = arg;
	struct open_res r = { 0 };
	struct stat want, got;
	int fd;

	if (j->basefd >= 0) {
		fd = open_in_root(j->rootfd, j->base, O_DIRECTORY, RESOLVE_NO_SYMLINKS);
		if (fd < 0)
			return fd;
		if (fstat(fd, &got) < 0 || fstat(j->basefd, &want) < 0 ||
		    got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
			close(fd);
			return -ESTALE;
		}
		close(fd);
	}
	/* O_PATH: the FIFO itself is never opened for reading or writing */
	fd = open_in_root(j->rootfd, j->path, 0, 0);
	if (fd < 0)
		return fd;
	r.stat_ok = fstat(fd, &r.st) == 0;
	close(fd);
	return write_all(out, &r, sizeof(r));
}

/* Where a relative path starts (the cwd, or the directory fd link names),
 * as a path below the process's root: its link less the root's own. Both
 * are the kernel's names for paths it holds, no lookup. False when the
 * base is not below the root (a deleted directory, one outside a chroot). */
static bool base_below_root(int piddir, const char *link, struct buf *out)
{
	char root[PATH_MAX], base[PATH_MAX];
	ssize_t rn = readlinkat(piddir, "root", root, sizeof(root) - 1);
	ssize_t bn = readlinkat(piddir, link, base, sizeof(base) - 1);
	size_t skip;

	if (rn <= 0 || bn <= 0 || base[0] != '/')
		return false;
	root[rn] = base[bn] = '\0';
	skip = strcmp(root, "/") == 0 ? 0 : (size_t)rn;
	if (skip && (strncmp(base, root, skip) != 0 || (base[skip] != '/' && base[skip])))
		return false;
	buf_reset(out);
	buf_adds(out, base[skip] ? base + skip : "/");
	return true;
}

/* How long the lookup of a sleeping opener's path may take. */
#define WAIT_OPEN_MS 1000

/* Is the thread's wait channel one of names? */
static bool wchan_in(const struct wait_thread *t, const char *const *names)
{
	char path[64], wchan[64];
	ssize_t n;
	int fd;

	/* piddir may be a live thread's task dir (proc_open) */
	snprintf(path, sizeof(path), "%s/%d/wchan", t->p->via_tid ? ".." : "task", (int)t->tid);
	fd = openat(t->piddir, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, wchan, sizeof(wchan) - 1);
	close(fd);
	if (n <= 0)
		return false;
	wchan[n] = '\0';
	for (size_t i = 0; names[i]; i++)
		if (strcmp(wchan, names[i]) == 0)
			return true;
	return false;
}

/* Is the thread asleep in the FIFO's own wait, its lookup done? Only then
 * is its path looked up again: a thread still inside a lookup (a stalled
 * FUSE server's) would make ours sleep behind it, unkillably. The name of
 * the wait is a kernel's, so a kernel that renames it makes such openers
 * unsure, never wrong. */
static bool in_fifo_wait(const struct wait_thread *t)
{
	static const char *const fifo_waits[] = { "wait_for_partner", "fifo_open", NULL };

	return wchan_in(t, fifo_waits);
}

/* The FIFO a sleeping open names; false when it cannot be told for sure. */
static bool open_target(struct wait_thread *t, long dirfd, const char *rel, struct open_res *r)
{
	struct buf base = { 0 }, full = { 0 }, got = { 0 };
	struct open_job j = { .basefd = -1 };
	char link[48];
	bool ok;

	snprintf(link, sizeof(link), dirfd == AT_FDCWD ? "cwd" : "fd/%ld", dirfd);
	j.rootfd = openat(t->piddir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ok = j.rootfd >= 0;
	if (ok && rel[0] != '/') {
		/* the magic links are followed on purpose: no lookup either */
		j.basefd = openat(t->piddir, link, O_PATH | O_CLOEXEC);
		ok = j.basefd >= 0 && base_below_root(t->piddir, link, &base);
		buf_adds(&full, ok ? base.data : "");
		buf_addc(&full, '/');
	}
	buf_adds(&full, rel);
	j.base = base.data;
	j.path = full.data;
	ok = ok && bounded_fork(open_job_run, &j, WAIT_OPEN_MS, &got) == 0 &&
	     got.len == sizeof(*r);
	if (ok)
		memcpy(r, got.data, sizeof(*r));
	if (j.rootfd >= 0)
		close(j.rootfd);
	if (j.basefd >= 0)
		close(j.basefd);
	buf_free(&base);
	buf_free(&full);
	buf_free(&got);
	return ok;
}

/* An open that sleeps is an open of a FIFO waiting for its other end. The
 * path is read from the process's memory and resolved as its kernel did.
 * An opener whose FIFO cannot be told for sure is counted
 * (p->nopen_unsure): any FIFO may be the one it waits on. */
static void wait_open(struct wait_thread *t, long dirfd, uint64_t path, uint64_t flags)
{
	struct open_res r;
	char rel[4096];
	size_t len;
	int k;

	if (!in_fifo_wait(t))
		goto unsure;
	if (!read_mem(t->p->pid, path, rel, sizeof(rel)) && !read_mem(t->p->pid, path, rel, 256))
		goto unsure;
	rel[sizeof(rel) - 1] = '\0';
	len = strlen(rel);
	if (!len)
		return;
	if (!open_target(t, dirfd, rel, &r))
		goto unsure;
	/* an open sleeps only on a file with readers and writers: a FIFO */
	k = open_res_kind(&r);
	if (k >= 0 && kind_has((enum ipc_type)k, KT_PIPELIKE)) {
		add_wait(t, -1, -1, (flags & O_ACCMODE) == O_RDONLY ? WD_OPEN_READ : WD_OPEN_WRITE,
			 WC_DATA, false, r.st.st_dev, (uint64_t)r.st.st_ino, 0, (uint8_t)k);
		if (!t->cut) {	/* else nothing was added */
			struct scan_wait *w = &t->c->batch->waits[t->c->batch->nwaits - 1];

			w->path_len = (uint32_t)len;
			w->path_off = (uint32_t)t->c->batch->names.len;
			buf_add(&t->c->batch->names, rel, len);
		}
	}
	return;
unsure:
	t->p->nopen_unsure++;
}

/* A connect that sleeps waits for room in a listener's backlog. Its socket
 * does not name the listener yet (sock_diag shows it unconnected, with no
 * peer, until the backlog takes it), so the listener is found by the
 * address the call was given, read from the process's memory: an abstract
 * name as it is; a path resolved as the kernel did, to the socket file a
 * listener is bound to, once the thread sleeps in the backlog's own wait,
 * its lookup done (as for an open). The link stage joins them. */
static void wait_connect(struct wait_thread *t, const uint64_t a[6])
{
	static const char *const backlog_waits[] = { "unix_wait_for_peer", NULL };
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	struct scan_batch *b = t->c->batch;
	size_t before = b->nwaits, len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct sockaddr_un sa;
	struct open_res r;
	int k;

	wait_on_fd(t, (long)a[0], -1, WD_CONNECT, WC_DATA, false);
	if (b->nwaits == before || b->waits[before].type != IPC_UNIX)
		return;
	len = a[2] > sizeof(sa) ? sizeof(sa) : (size_t)a[2];
	if (len <= off || !read_mem(t->p->pid, a[1], &sa, len) || sa.sun_family != AF_UNIX)
		return;
	len -= off;
	if (sa.sun_path[0] == '\0') {
		/* named as sock_diag names a listener's: "@" and the rest */
		b->waits[before].path_off = (uint32_t)b->names.len;
		b->waits[before].path_len = (uint32_t)len;
		buf_addc(&b->names, '@');
		buf_add(&b->names, sa.sun_path + 1, len - 1);
		return;
	}
	memcpy(path, sa.sun_path, len);
	path[len] = '\0';	/* the kernel ends the path there too */
	if (!wchan_in(t, backlog_waits) || !open_target(t, AT_FDCWD, path, &r) ||
	    (k = open_res_kind(&r)) < 0 || !kind_has((enum ipc_type)k, KT_SOCKET))
		return;
	b->waits[before].has_target = true;
	b->waits[before].tdev = r.st.st_dev;
	b->waits[before].tino = (uint64_t)r.st.st_ino;
}

/* epoll, poll, select: the set is decoded by the first thread of the
 * process that sleeps on it, and each thread gets its waits. The key is
 * what names the set: the epoll fd; the array's address and length; the
 * bit sets' length and addresses. */
static void wait_on_set(struct wait_thread *t, const uint64_t a[6])
{
	enum wait_how how = t->call->how;
	uint64_t key[4] = { a[0], how == WH_EPOLL ? 0 : a[1], how == WH_SELECT ? a[2] : 0,
			    how == WH_SELECT ? a[3] : 0 };
	struct wait_set *ws;
	bool fresh;

	ws = set_get(t, how, key, &fresh);
	if (fresh) {
		t->set = ws;
		if (how == WH_EPOLL)
			wait_epoll(t, (long)a[0]);
		else if (how == WH_POLL)
			wait_poll(t, a[0], a[1]);
		else
			wait_select(t, a[0], a);
		t->set = NULL;
	}
	set_replay(t, ws);
}

static void wait_decode(struct wait_thread *t, const uint64_t a[6])
{
	uint64_t how2[1];

	switch (t->call->how) {
	case WH_READ: wait_on_fd(t, (long)a[0], -1, WD_READ, WC_DATA, false); break;
	case WH_WRITE: wait_on_fd(t, (long)a[0], -1, WD_WRITE, WC_DATA, false); break;
	case WH_ACCEPT: wait_on_fd(t, (long)a[0], -1, WD_ACCEPT, WC_DATA, false); break;
	case WH_CONNECT: wait_connect(t, a); break;
	case WH_OPEN: wait_open(t, AT_FDCWD, a[0], a[1]); break;
	case WH_OPENAT: wait_open(t, (long)(int)a[0], a[1], a[2]); break;
	case WH_OPENAT2:
		if (read_mem(t->p->pid, a[2], how2, sizeof(how2)))
			wait_open(t, (long)(int)a[0], a[1], how2[0]);
		break;
	case WH_EPOLL: case WH_POLL: case WH_SELECT: wait_on_set(t, a); break;
	case WH_NONE: break;
	}
}

/* One thread: asleep in a call on an IPC object, or doing something else,
 * which is what a process holding up others is doing. */
static void wait_thread(struct wait_thread *t, char state, const char *file)
{
	struct ipc_proc *p = t->p;
	uint64_t args[6];
	size_t first;
	long nr = -1;
	int rc;

	p->nthreads_seen++;
	if (state != 'S' && state != 'D') {
		if (!p->doing)
			p->doing = state == 'R' ? "running" : state == 'T' || state == 't' ? "stopped"
												: "other";
		return;
	}
	rc = pio_read_at(t->piddir, file, &t->c->text) < 0 ? -1
		: waits_parse_syscall(t->c->text.data, t->c->text.len, &nr, args);
	if (rc < 0) {
		p->nunread++;
		return;
	}
	t->call = rc == 0 ? wait_call_find(nr) : NULL;
	t->waits = t->alt = t->cut = false;
	first = t->c->batch->nwaits;
	/* past the limit, not even decoded: the cache's items stay within
	 * what was recorded, and one set more */
	if (first - t->first_wait >= WAITS_MAX_PER_PROC && t->call && t->call->how != WH_NONE)
		t->cut = true;
	else if (t->call && !t->own_table)
		wait_decode(t, args);
	else if (t->call && (t->call->how == WH_OPEN || t->call->how == WH_OPENAT ||
			     t->call->how == WH_OPENAT2))
		p->nopen_unsure++;	/* a FIFO it opens is not told: its dirfd is another table's */
	if (t->cut) {
		/* none of its waits, rather than some: what it waits on is
		 * not known, as for a thread whose call was not readable */
		t->c->batch->nwaits = first;
		p->nunread++;
		p->ncut++;
		return;
	}
	for (size_t i = first; t->alt && i < t->c->batch->nwaits; i++)
		t->c->batch->waits[i].alt = true;
	if (t->waits)
		p->nwaiting++;
	else if (!p->doing)
		p->doing = t->call ? t->call->name : rc == 0 ? "sleeping" : "running";
}

static void wait_cache_free(struct wait_cache *wc)
{
	if (!wc)
		return;
	free(wc->sets);
	free(wc->items);
	free(wc);
}

/* A process's threads, with one cache of the sets they sleep on. */
void waits_scan(struct scan_ctx *c, struct ipc_proc *p, int piddir, size_t first_rec)
{
	struct wait_thread t = { .c = c, .p = p, .piddir = piddir, .tid = p->pid,
				 .first_rec = first_rec, .nrecs = c->batch->nrecs - first_rec,
				 .first_wait = c->batch->nwaits };
	const char *tasks = p->via_tid ? ".." : "task";
	struct dirent *de;
	char name[64];
	DIR *dir;
	int dfd;

	p->waits_read = true;
	if (p->nthreads <= 1) {
		wait_thread(&t, p->state, "syscall");
		wait_cache_free(t.cache);
		return;
	}
	dfd = proc_open_tasks(piddir, p);
	dir = dfd < 0 ? NULL : fdopendir(dfd);
	if (!dir) {
		if (dfd >= 0)
			close(dfd);
		p->nunread++;
		return;
	}
	while ((de = readdir(dir))) {
		uint64_t tid;
		char state = '?';

		if (!parse_u64(de->d_name, &tid) || tid > INT32_MAX)
			continue;
		/* piddir may be a live thread's task dir (proc_open) */
		snprintf(name, sizeof(name), "%s/%llu/stat", tasks, (unsigned long long)tid);
		if (pio_read_at(piddir, name, &c->text) == 0) {
			const char *r = memrchr(c->text.data, ')', c->text.len);

			if (r && r + 2 < c->text.data + c->text.len)
				state = r[2];
		}
		t.tid = (pid_t)tid;
		/* only a sleeper's table matters; one kcmp each */
		t.own_table = (state == 'S' || state == 'D') && (pid_t)tid != p->pid &&
			      !proc_same_files(p->via_tid ? p->via_tid : p->pid, (pid_t)tid);
		snprintf(name, sizeof(name), "%s/%llu/syscall", tasks, (unsigned long long)tid);
		wait_thread(&t, state, name);
	}
	closedir(dir);
	wait_cache_free(t.cache);
}
