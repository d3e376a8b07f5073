/* The bpf backend's user side: loads the iterators, reads their records
 * and hands each one to the recording code the /proc walk uses. */
#include "collect/bpfscan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collect/pathio.h"
#include "collect/proc.h"
#include "testhooks.h"

#ifdef IPCSCOPE_HAVE_BPF

/* A light skeleton (bpftool gen skeleton -L): the kernel applies the
 * CO-RE relocations itself, from its own BTF, so loading needs no library
 * at run time and no copy of the kernel's BTF in user space, which made
 * libbpf's loader several times slower (see the README). */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "iter.skel.h"

#include "collect/bpf/records.h"

struct bpfscan {
	pthread_t loader;
	bool loading;
	int err;
	char why[200];
	struct ipcscope_iter *skel;
	uint32_t pipefs;	/* kernel encoding */
	long long boot_offset_ns;	/* the time namespace's, for start times */
	long clk_tck;
	bool broken;		/* a walk failed: not to be used again */
};

bool bpfscan_built(void)
{
	return true;
}

static uint32_t kdev(dev_t d)
{
	return (uint32_t)major(d) << 20 | (minor(d) & 0xfffff);
}

static dev_t udev(uint32_t k)
{
	return makedev(k >> 20, k & 0xfffff);
}

/* How many levels our pid namespace is below the one whose numbers our
 * /proc shows: NSpid lists our pid from that namespace down to ours (not
 * from the initial one: inside a container with a /proc of its own it has
 * one entry). The iterators count the levels up from their reader. */
static uint32_t pid_depth(void)
{
	struct buf b = { 0 };
	uint32_t level = 0;
	const char *l;

	if (pio_read("/proc/self/status", &b) == 0 && (l = strstr(b.data, "\nNSpid:"))) {
		for (l += 7; *l && *l != '\n'; l++)
			if ((*l == ' ' || *l == '\t') && l[1] >= '0' && l[1] <= '9')
				level++;
		level = level ? level - 1 : 0;
	}
	buf_free(&b);
	return level;
}

/* /proc/PID/stat's start times are the reader's time namespace's. */
static long long boot_offset(void)
{
	FILE *f = fopen("/proc/self/timens_offsets", "re");
	char name[32];
	long long s, ns, off = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%31s %lld %lld", name, &s, &ns) == 3)
		if (strcmp(name, "boottime") == 0 || strcmp(name, "7") == 0)
			off = s * 1000000000LL + ns;
	fclose(f);
	return off;
}

static const char *load_why(int err)
{
	struct stat st;

	if (stat("/sys/kernel/btf/vmlinux", &st) != 0)
		return "the kernel has no BTF (/sys/kernel/btf/vmlinux)";
	switch (err) {
	case EPERM:
	case EACCES:
		return "not permitted: it needs root, or CAP_BPF and CAP_PERFMON, "
		       "and no lockdown that forbids BPF";
	case ENOENT:
	case EINVAL:
	case ENOTSUP:
	case E2BIG:
		return "the kernel refused the iterators (too old a kernel: "
		       "task_file and task_vma iterators need Linux 5.12)";
	default:
		return NULL;
	}
}

/* One load: 0 or -errno. */
static int load_once(struct bpfscan *b, struct ipcscope_iter **out)
{
	struct ipcscope_iter *s = ipcscope_iter__open();
	int err;

	if (!s)
		return -ENOMEM;
	s->rodata->pid_depth = pid_depth();
	s->rodata->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	s->rodata->pipefs_dev = b->pipefs;
	/* load gives -errno; attach -1, and errno */
	err = ipcscope_iter__load(s);
	if (!err && ipcscope_iter__attach(s) < 0)
		err = errno ? -errno : -EINVAL;
	if (err) {
		ipcscope_iter__destroy(s);
		return err < 0 ? err : -EINVAL;
	}
	*out = s;
	return 0;
}

static void *loader_main(void *arg)
{
	struct bpfscan *b = arg;
	const char *w;
	sigset_t all;
	int err;

	/* the verifier gives up with EAGAIN when a signal is pending: the
	 * process's signals go to the other threads, and a stop (SIGSTOP,
	 * ^Z), which reaches every thread, costs a retry */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (int tries = 0; (err = -load_once(b, &b->skel)) == EAGAIN && tries < 5; tries++)
		;
	if (!err)
		return NULL;
	b->err = err;
	w = load_why(err);
	snprintf(b->why, sizeof(b->why), "%s", w ? w : strerror(err));
	return NULL;
}

/* One load serves every scan of the run (watch, metrics' loop): the
 * programs do not change. */
static struct bpfscan *loaded;
/* why the last load failed */
static char last_why[200];

struct bpfscan *bpfscan_start(const struct kind_devs *devs)
{
	struct bpfscan *b;

	if (loaded)
		return loaded;
	b = xcalloc(1, sizeof(*b));

	b->pipefs = devs->have_pipefs ? kdev(devs->pipefs) : 0;
	b->boot_offset_ns = boot_offset();
	b->clk_tck = sysconf(_SC_CLK_TCK);
	if (pthread_create(&b->loader, NULL, loader_main, b) == 0)
		b->loading = true;
	else
		loader_main(b);
	return b;
}

int bpfscan_ready(struct bpfscan *b, const char **why)
{
	if (b->loading) {
		pthread_join(b->loader, NULL);
		b->loading = false;
	}
	if (b->skel) {
		loaded = b;
		return 0;
	}
	/* outlives b, which the caller frees: the model quotes it */
	snprintf(last_why, sizeof(last_why), "%s", b->why);
	*why = last_why;
	return -b->err;
}

/* Keeps a loaded backend for the next scan, unless it failed. */
void bpfscan_free(struct bpfscan *b)
{
	if (!b || (b == loaded && !b->broken))
		return;
	bpfscan_ready(b, &(const char *){ NULL });
	if (b == loaded)
		loaded = NULL;
	ipcscope_iter__destroy(b->skel);
	free(b);
}

/* The devices whose regular files the programs report: every /dev/shm
 * and mqueue filesystem found, ours and other namespaces'. */
static int set_dev(int fd, dev_t d)
{
	uint32_t k = kdev(d);
	uint8_t one = 1;

	return skel_map_update_elem(fd, &k, &one, BPF_ANY) < 0 ? -errno : 0;
}

static int set_devs(struct bpfscan *b, const struct kind_devs *d)
{
	int fd = b->skel->maps.ipc_devs.map_fd, rc = 0;

	if (d->have_devshm)
		rc = set_dev(fd, d->devshm);
	if (!rc && d->have_mqueue)
		rc = set_dev(fd, d->mqueue);
	for (size_t i = 0; !rc && i < d->nmore_shm; i++)
		rc = set_dev(fd, d->more_shm[i]);
	for (size_t i = 0; !rc && i < d->nmore_mq; i++)
		rc = set_dev(fd, d->more_mq[i]);
	return rc;
}

/* ---- the processes: the model's, found by pid */

struct pid_index {
	pid_t *pids;
	uint32_t *idx;
	size_t n;
};

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static void index_build(struct pid_index *ix, const struct model *m)
{
	struct { pid_t pid; uint32_t idx; } *tmp = xcalloc(m->nprocs + 1, sizeof(*tmp));

	for (size_t i = 0; i < m->nprocs; i++) {
		tmp[i].pid = m->procs[i]->pid;
		tmp[i].idx = (uint32_t)i;
	}
	qsort(tmp, m->nprocs, sizeof(*tmp), pid_cmp);
	ix->n = m->nprocs;
	ix->pids = xcalloc(ix->n + 1, sizeof(*ix->pids));
	ix->idx = xcalloc(ix->n + 1, sizeof(*ix->idx));
	for (size_t i = 0; i < ix->n; i++) {
		ix->pids[i] = tmp[i].pid;
		ix->idx[i] = tmp[i].idx;
	}
	free(tmp);
}

static struct ipc_proc *index_find(const struct pid_index *ix, const struct model *m, pid_t pid)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->pids[mid] == pid)
			return m->procs[ix->idx[mid]];
		if (ix->pids[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- reading an iterator */

typedef int (*rec_fn)(void *arg, const struct isc_hdr *h, const unsigned char *rec);

#define FEED_CHUNK (256 * 1024)
#define FEED_RING 4

/* The kernel's side of an iteration (read()) runs on a thread of its own,
 * a few chunks ahead of the records' decoding, which runs on the caller's:
 * on two CPUs the two overlap. The ring bounds the memory either way. */
struct feeder {
	pthread_t tid;
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *chunk[FEED_RING];
	size_t len[FEED_RING];
	size_t head, tail;	/* chunks filled, chunks taken */
	bool eof, stop;
	int err;
};

static void *feeder_main(void *arg)
{
	struct feeder *f = arg;
	int err = 0;

	for (;;) {
		size_t slot;
		ssize_t n;

		pthread_mutex_lock(&f->mu);
		while (f->head - f->tail == FEED_RING && !f->stop)
			pthread_cond_wait(&f->cv, &f->mu);
		slot = f->head % FEED_RING;
		pthread_mutex_unlock(&f->mu);
		if (f->stop)
			break;
		do
			n = read(f->fd, f->chunk[slot], FEED_CHUNK);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		pthread_mutex_lock(&f->mu);
		f->len[slot] = (size_t)n;
		f->head++;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
	}
	pthread_mutex_lock(&f->mu);
	f->err = err;
	f->eof = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* The next chunk read, or NULL at the end; *n its length. */
static const unsigned char *feeder_next(struct feeder *f, size_t *n)
{
	const unsigned char *c = NULL;

	pthread_mutex_lock(&f->mu);
	while (f->head == f->tail && !f->eof)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->head != f->tail) {
		c = f->chunk[f->tail % FEED_RING];
		*n = f->len[f->tail % FEED_RING];
	}
	pthread_mutex_unlock(&f->mu);
	return c;
}

static void feeder_done(struct feeder *f)
{
	pthread_mutex_lock(&f->mu);
	f->tail++;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Hands each whole record in buf to fn; what is left over is a record cut
 * between two reads. The number of bytes used, or -errno. */
static ssize_t feed_records(const unsigned char *buf, size_t have, rec_fn fn, void *arg)
{
	size_t off = 0;

	while (have - off >= sizeof(struct isc_hdr)) {
		struct isc_hdr h;
		int rc;

		memcpy(&h, buf + off, sizeof(h));
		if (h.len < sizeof(h))
			return -EPROTO;
		if (have - off < h.len)
			break;
		rc = fn(arg, &h, buf + off);
		if (rc < 0)
			return rc;
		off += h.len;
	}
	return (ssize_t)off;
}

static int iter_open(int link_fd)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = (uint32_t)link_fd;
	fd = skel_sys_bpf(BPF_ITER_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Reads the whole output of the iterator of link_fd, record by record.
 * 0, or -errno. */
static int iter_read(int link_fd, rec_fn fn, void *arg)
{
	struct feeder f = { .fd = iter_open(link_fd) };
	struct buf pend = { 0 };
	const unsigned char *c;
	size_t n;
	int rc = 0;

	if (f.fd < 0)
		return f.fd;
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	for (int i = 0; i < FEED_RING; i++)
		f.chunk[i] = xmalloc(FEED_CHUNK);
	if (pthread_create(&f.tid, NULL, feeder_main, &f) != 0) {
		f.tid = 0;
		rc = -EAGAIN;
	}
	while (rc == 0 && (c = feeder_next(&f, &n))) {
		ssize_t used;

		/* a record cut by the last read is completed from this one */
		buf_add(&pend, c, n);
		feeder_done(&f);
		used = feed_records((const unsigned char *)pend.data, pend.len, fn, arg);
		if (used < 0) {
			rc = (int)used;
			break;
		}
		memmove(pend.data, pend.data + used, pend.len - (size_t)used);
		pend.len -= (size_t)used;
	}
	pthread_mutex_lock(&f.mu);
	f.stop = true;
	pthread_cond_signal(&f.cv);
	pthread_mutex_unlock(&f.mu);
	if (f.tid)
		pthread_join(f.tid, NULL);
	if (rc == 0)
		rc = f.err ? f.err : pend.len ? -EPROTO : 0;
	for (int i = 0; i < FEED_RING; i++)
		free(f.chunk[i]);
	buf_free(&pend);
	close(f.fd);
	pthread_mutex_destroy(&f.mu);
	pthread_cond_destroy(&f.cv);
	return rc;
}

/* ---- one walk */

struct walk {
	struct bpfscan *b;
	struct model *m;
	struct scan_ctx *c;
	const struct pid_index *ix;
	bool (*takes)(const void *arg, pid_t pid);
	const void *targ;
	/* the process whose records are coming in */
	struct ipc_proc *p;
	uint32_t tgid;
	unsigned long long start_ns;
	bool skip;		/* not wanted, or not the process of the list */
	/* records of a thread's own fd table, met after the process's /proc
	 * part was done: they only add holders */
	bool late;
	int piddir;		/* -1: not open (or not openable) */
	size_t first_rec;
	uint8_t *done;		/* per process: the /proc part was done */
	size_t vanished;
	size_t denied;		/* /proc directories that could not be read */
	bool fds;		/* the fd walk, which does the /proc part */
	/* a test hook (testhooks.h): fail after this many fd records, for
	 * the test of the fallback; 0: never */
	uint64_t fail_after, nrecs;
	/* the tables (fd tables, address spaces) that a thread other than
	 * the leader reported, and which thread: every thread sharing one
	 * reports it, and only the first one's records are kept */
	struct claim {
		uint32_t tgid, tid;
		unsigned long long start_ns, table;
	} *claims;
	size_t nclaims;
};

/* Is this record of the thread that speaks for its table? Leaders always
 * are: the kernel reports no other thread sharing their table. Once the
 * leader exited, every thread reports the one table (a process of 200
 * threads, 200 times): the holder merge would fold the copies, but each
 * would be decoded, and named through /proc, first. */
static bool claimed_here(struct walk *w, const struct isc_hdr *h)
{
	struct claim *c;

	if (!(h->flags & ISC_F_THREAD))
		return true;
	for (size_t i = 0; i < w->nclaims; i++) {
		c = &w->claims[i];
		if (c->tgid == h->tgid && c->start_ns == h->start_ns && c->table == h->table)
			return c->tid == h->tid;
	}
	w->claims = xreallocarray(w->claims, w->nclaims + 1, sizeof(*w->claims));
	w->claims[w->nclaims++] = (struct claim){ h->tgid, h->tid, h->start_ns, h->table };
	return true;
}

static bool same_start(const struct walk *w, const struct ipc_proc *p, unsigned long long ns)
{
	long long t = (long long)ns + w->b->boot_offset_ns;
	long long per_tick = 1000000000LL / w->b->clk_tck;

	return t >= 0 && (unsigned long long)(t / per_tick) == p->start;
}

/* What the walk reads from /proc for a process that holds something: the
 * pid check (proc_open), what its sleeping threads wait on, its cgroup. */
static void proc_part(struct walk *w)
{
	struct ipc_proc *p = w->p;
	struct scan_ctx *c = w->c;

	if (w->piddir >= 0) {
		if (c->want_waits)
			waits_scan(c, p, w->piddir, w->first_rec);
		if (c->want_cgroup && (c->batch->nrecs > w->first_rec || p->holds))
			cgroup_read(p, w->piddir, &c->text);
		close(w->piddir);
	}
	w->piddir = -1;
	w->done[p->idx] = 1;
	/* into the model now: the decoding thread is its only writer, and a
	 * batch of the whole walk would double the memory it takes */
	batch_merge_keep(w->m, c->batch);
}

static void end_proc(struct walk *w)
{
	if (w->p && !w->skip && w->late)
		batch_merge_keep(w->m, w->c->batch);
	else if (w->p && !w->skip && w->fds)
		proc_part(w);
	else if (w->piddir >= 0)
		close(w->piddir);
	w->piddir = -1;
	w->p = NULL;
}

/* proc_open, counting what could not be read: not ours to read through
 * /proc (an LSM, a root without CAP_SYS_PTRACE), the kernel's view of its
 * fds and mappings stands, and only its threads' waits and its cgroup
 * stay unread. */
static int open_proc(struct walk *w, struct ipc_proc *p)
{
	int dfd = proc_open(p);

	/* gone since the kernel saw it: as the /proc walk counts it */
	if (dfd == -ESRCH)
		w->vanished++;
	if (dfd == -EACCES || dfd == -EPERM)
		w->denied++;
	return dfd;
}

/* The first record of another process. A pid not in the list (born since)
 * or with another start time (reused) is not the listed process. */
static void begin_proc(struct walk *w, const struct isc_hdr *h, bool open_dir)
{
	end_proc(w);
	w->tgid = h->tgid;
	w->start_ns = h->start_ns;
	w->p = index_find(w->ix, w->m, (pid_t)h->tgid);
	w->skip = !w->p || !w->takes(w->targ, w->p->pid) || !same_start(w, w->p, h->start_ns);
	w->piddir = -1;
	w->first_rec = w->c->batch->nrecs;
	/* a thread's own table, after other processes' records: its holder
	 * entries may merge with ones not at the tail of an object's list */
	w->late = !w->skip && open_dir && w->done[w->p->idx];
	if (w->late)
		w->p->split_tables = true;
	if (w->skip || !open_dir || w->late)
		return;
	w->piddir = open_proc(w, w->p);
	if (w->piddir == -ESRCH)
		w->skip = true;
	if (w->piddir < 0)
		w->piddir = -1;
}

static bool new_proc(const struct walk *w, const struct isc_hdr *h)
{
	return !w->p || h->tgid != w->tgid || h->start_ns != w->start_ns;
}

static uint8_t fmode_bits(unsigned int fmode)
{
	return (uint8_t)((fmode & 1 ? MODE_R : 0) | (fmode & 2 ? MODE_W : 0));
}

/* The record, copied into the facts both backends fill: numbers as
 * numbers, and the names as the kernel gave them, with no text made. */
static void fd_facts_of(struct walk *w, const struct isc_fd *r, const unsigned char *raw,
			struct fd_facts *f)
{
	f->fmt = r->mode & S_IFMT;
	f->dev = udev(r->dev);
	f->ino = r->ino;
	f->nlink = r->nlink;
	f->has_stat = true;
	f->size = r->size;
	f->blocks = r->blocks;
	f->uid = r->uid;
	f->has_mode = true;
	f->mode = fmode_bits(r->fmode);
	f->has_netns = true;
	f->netns = r->h.netns;
	f->has_flags = true;
	f->flags = r->fflags;
	f->has_sock = r->h.flags & ISC_F_SOCK;
	f->sk_family = r->sk_family;
	f->on_mqueue = r->h.flags & ISC_F_MQUEUE;
	/* the path the kernel side resolved; an anonymous inode's name */
	if ((r->h.flags & ISC_F_PATH) && sizeof(*r) + r->pathlen <= r->h.len) {
		kind_fd_text(f, (const char *)raw + sizeof(*r), r->pathlen);
	} else if ((r->h.flags & ISC_F_DNAME) && w->c->devs.have_anon &&
		   f->dev == w->c->devs.anon) {
		f->anon = r->dname;
		f->anonlen = strnlen(r->dname, sizeof(r->dname));
	}
	f->fill_looked = true;
	f->has_fill = r->h.flags & ISC_F_FILL;
	f->queued = r->queued;
	f->capacity = r->capacity;
	if (r->h.flags & ISC_F_EVENTFD) {
		/* what fdinfo would say: its id is an int the kernel writes
		 * with %d, which a negative one fails to parse as */
		f->has_kf = true;
		f->kf.has_efd_count = true;
		f->kf.efd_count = r->count;
		f->kf.has_efd_id = r->efd_id >= 0;
		f->kf.efd_id = r->efd_id >= 0 ? (uint64_t)r->efd_id : 0;
		f->kf.efd_semaphore = r->efd_semaphore != 0;
	}
}

static int fd_rec(void *arg, const struct isc_hdr *h, const unsigned char *raw)
{
	struct walk *w = arg;
	struct isc_fd r;
	struct fd_facts f = { 0 };

	if (h->type != ISC_REC_FD || h->len < sizeof(r))
		return -EPROTO;
	if (w->fail_after && ++w->nrecs > w->fail_after)
		return -EIO;
	if (new_proc(w, h))
		begin_proc(w, h, true);
	if (w->skip || !claimed_here(w, h))
		return 0;
	memcpy(&r, raw, sizeof(r));
	fd_facts_of(w, &r, raw, &f);
	fd_take(w->m, w->c, w->p, w->piddir, (int)r.fd, &f);
	return 0;
}

static int vma_rec(void *arg, const struct isc_hdr *h, const unsigned char *raw)
{
	struct walk *w = arg;
	struct isc_vma r;
	struct map_facts f = { 0 };

	if (h->type != ISC_REC_VMA || h->len < sizeof(r))
		return -EPROTO;
	/* the fd walk, after this one, does the /proc part */
	if (new_proc(w, h))
		begin_proc(w, h, false);
	if (w->skip || !claimed_here(w, h))
		return 0;
	memcpy(&r, raw, sizeof(r));
	f.start = r.start;
	f.end = r.end;
	f.read = r.flags & ISC_VM_READ;
	f.write = r.flags & ISC_VM_WRITE;
	f.shared = r.flags & ISC_VM_MAYSHARE;
	f.dev = udev(r.dev);
	f.ino = r.ino;
	f.ipcns = h->ipcns;
	f.has_stat = true;
	f.uid = r.uid;
	f.size = r.size;
	f.blocks = r.blocks;
	if ((r.h.flags & ISC_F_PSEUDO) && sizeof(r) + r.namelen <= h->len) {
		/* a pseudo file: its name, which maps shows as "/NAME (deleted)" */
		f.name = (const char *)raw + sizeof(r);
		f.len = r.namelen;
		f.deleted = true;
	} else if (w->piddir < 0) {
		/* a /dev/shm file: named from /proc, if it is new to us; a
		 * live thread's directory once the leader exited */
		w->piddir = proc_open_view(w->p);
		if (w->piddir < 0)
			w->piddir = -1;
	}
	maps_take(w->m, w->c, w->p, w->piddir, &f);
	return 0;
}

static void walk_init(struct walk *w, struct bpfscan *b, struct model *m, struct scan_ctx *c,
		      const struct pid_index *ix, uint8_t *done,
		      bool (*takes)(const void *, pid_t), const void *arg)
{
	*w = (struct walk){ .b = b, .m = m, .c = c, .ix = ix, .takes = takes, .targ = arg,
			    .piddir = -1, .done = done };
}

/* The processes the fd walk did not meet: those that hold only mappings
 * (their cgroup), and, when waits are read, every other one, as the /proc
 * walk does: a thread asleep opening a FIFO holds no fd for it yet. */
static void rest_procs(struct walk *w, bool want_waits)
{
	struct model *m = w->m;

	for (size_t i = 0; i < m->nprocs; i++) {
		struct ipc_proc *p = m->procs[i];

		if (w->done[i] || !w->takes(w->targ, p->pid) || (!want_waits && !p->holds))
			continue;
		w->p = p;
		w->skip = false;
		w->first_rec = w->c->batch->nrecs;
		w->piddir = open_proc(w, p);
		if (w->piddir < 0)
			w->piddir = -1;
		proc_part(w);
	}
	w->p = NULL;
}

/* The mappings: before the fds, on this thread, since recording them
 * reads the model that the fds' decoding then writes. */
static int walk_maps(struct walk *w, struct bpfscan *b)
{
	struct scan_batch vb = { 0 }, *keep = w->c->batch;
	int rc;

	w->c->batch = &vb;
	rc = iter_read(b->skel->links.ipc_maps_fd, vma_rec, w);
	end_proc(w);
	w->c->batch = keep;
	if (rc == 0)
		batch_merge(w->m, &vb);
	else
		batch_free(&vb);
	return rc;
}

int bpfscan_walk(struct bpfscan *b, struct model *m, struct scan_ctx *c,
		 bool (*takes)(const void *arg, pid_t pid), const void *arg, const char **why)
{
	struct pid_index ix = { 0 };
	struct walk w;
	size_t nobjs = m->nobjs;
	uint8_t *done;
	int rc;

	*why = NULL;
	rc = set_devs(b, &c->devs);
	if (rc < 0) {
		*why = "cannot fill the iterators' device map";
		b->broken = true;
		return rc;
	}
	index_build(&ix, m);
	done = xcalloc(m->nprocs + 1, 1);
	walk_init(&w, b, m, c, &ix, done, takes, arg);
	/* an iterator that fails halfway, which no real kernel does on demand */
	w.fail_after = testhook_bpf_fail_after();
	if ((c->types & kind_mask(KT_MAPPABLE)) && !c->skip_maps)
		rc = walk_maps(&w, b);
	w.fds = true;
	if (rc == 0)
		rc = iter_read(b->skel->links.ipc_files_fd, fd_rec, &w);
	end_proc(&w);
	if (rc == 0)
		rest_procs(&w, c->want_waits);
	m->stats.vanished += w.vanished;
	if (rc == 0 && w.denied && (c->want_waits || c->want_cgroup))
		(m->waits_quiet ? model_note : model_warn)(m, "%zu process%s could not be read "
			"through /proc: the bpf backend saw %s descriptors and mappings, not what "
			"%s threads wait on nor %s cgroup", w.denied, w.denied == 1 ? "" : "es",
			w.denied == 1 ? "its" : "their", w.denied == 1 ? "its" : "their",
			w.denied == 1 ? "its" : "their");
	if (rc < 0) {
		/* nothing of it stays: the caller walks /proc instead */
		*why = "reading an iterator failed";
		b->broken = true;
		model_rollback(m, nobjs, takes, arg);
	}
	free(w.claims);
	free(done);
	free(ix.pids);
	free(ix.idx);
	return rc;
}

#else /* !IPCSCOPE_HAVE_BPF */

bool bpfscan_built(void)
{
	return false;
}

struct bpfscan *bpfscan_start(const struct kind_devs *devs)
{
	(void)devs;
	return NULL;
}

int bpfscan_ready(struct bpfscan *b, const char **why)
{
	(void)b;
	*why = "this ipcscope was built without the bpf backend "
	       "(clang, bpftool or libbpf-dev was missing)";
	return -ENOTSUP;
}

int bpfscan_walk(struct bpfscan *b, struct model *m, struct scan_ctx *c,
		 bool (*takes)(const void *arg, pid_t pid), const void *arg, const char **why)
{
	(void)b, (void)m, (void)c, (void)takes, (void)arg;
	*why = "built without the bpf backend";
	return -ENOTSUP;
}

void bpfscan_free(struct bpfscan *b)
{
	(void)b;
}

#endif
