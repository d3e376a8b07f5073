/* The bpf backend's user side: loads the iterators, reads their records
 * and hands each one to the recording code the /proc walk uses. */
#include "bpfscan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pathio.h"
#include "proc.h"

#ifdef IPCSCOPE_HAVE_BPF

/* A light skeleton (bpftool gen skeleton -L): the kernel applies the
 * CO-RE relocations itself, from its own BTF, so loading needs no library
 * at run time and no copy of the kernel's BTF in user space, which made
 * libbpf's loader several times slower (see the README). */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include "iter.skel.h"

#include "bpf/records.h"

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

/* Our pid namespace's depth: the entries of NSpid, less one. */
static uint32_t pid_level(void)
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

static void *loader_main(void *arg)
{
	struct bpfscan *b = arg;
	struct ipcscope_iter *s;
	const char *w;
	int err;

	s = ipcscope_iter__open();
	if (!s) {
		err = ENOMEM;
		goto fail;
	}
	s->rodata->pid_level = pid_level();
	s->rodata->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	s->rodata->pipefs_dev = b->pipefs;
	err = -ipcscope_iter__load(s);
	if (!err)
		err = -ipcscope_iter__attach(s);
	if (err) {
		ipcscope_iter__destroy(s);
		goto fail;
	}
	b->skel = s;
	return NULL;
fail:
	b->err = err;
	w = load_why(err);
	snprintf(b->why, sizeof(b->why), "%s", w ? w : strerror(err));
	return NULL;
}

/* One load serves every scan of the run (watch, metrics' loop): the
 * programs do not change. */
static struct bpfscan *loaded;

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
	*why = b->why;
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

/* Reads the whole output of the iterator of link, record by record. 0,
 * or -errno; a record is never cut, since the kernel drops and retries
 * an object whose output did not fit. */
static int iter_read(int link_fd, rec_fn fn, void *arg)
{
	size_t cap = 256 * 1024, have = 0;
	unsigned char *buf = xmalloc(cap);
	union bpf_attr attr;
	int fd, rc = 0;

	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = (uint32_t)link_fd;
	fd = skel_sys_bpf(BPF_ITER_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0) {
			rc = have ? -EPROTO : 0;
			break;
		}
		have += (size_t)n;
		while (have - off >= sizeof(struct isc_hdr)) {
			struct isc_hdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.len < sizeof(h)) {
				rc = -EPROTO;
				goto out;
			}
			if (have - off < h.len)
				break;
			rc = fn(arg, &h, buf + off);
			if (rc < 0)
				goto out;
			off += h.len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
out:
	close(fd);
	free(buf);
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
	int piddir;		/* -1: not open (or not openable) */
	size_t first_rec;
	uint8_t *done;		/* per process: the /proc part was done */
	size_t vanished;
	bool fds;		/* the fd walk, which does the /proc part */
	struct buf text;
};

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
		if (c->want_cgroup && c->batch->nrecs > w->first_rec)
			cgroup_read(p, w->piddir, &c->text);
		close(w->piddir);
	}
	w->piddir = -1;
	w->done[p->idx] = 1;
}

static void end_proc(struct walk *w)
{
	if (w->p && !w->skip && w->fds)
		proc_part(w);
	else if (w->piddir >= 0)
		close(w->piddir);
	w->piddir = -1;
	w->p = NULL;
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
	if (w->skip || !open_dir)
		return;
	w->piddir = proc_open(w->p);
	/* gone since the kernel saw it: as the /proc walk counts it */
	if (w->piddir == -ESRCH) {
		w->vanished++;
		w->skip = true;
	}
	/* not ours to read through /proc (an LSM): the kernel's view of its
	 * fds stands, only its threads' waits stay unread */
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

static int fd_rec(void *arg, const struct isc_hdr *h, const unsigned char *raw)
{
	struct walk *w = arg;
	struct isc_fd r;
	struct fd_given g = { 0 };
	char info[128];

	if (h->type != ISC_REC_FD || h->len < sizeof(r))
		return -EPROTO;
	if (new_proc(w, h))
		begin_proc(w, h, true);
	if (w->skip)
		return 0;
	memcpy(&r, raw, sizeof(r));
	g.fmt = r.mode & S_IFMT;
	g.dev = udev(r.dev);
	g.nlink = r.nlink;
	g.ino = r.ino;
	g.st.st_mode = r.mode;
	g.st.st_dev = g.dev;
	g.st.st_ino = r.ino;
	g.st.st_nlink = r.nlink;
	g.st.st_uid = r.uid;
	g.st.st_size = (off_t)r.size;
	g.st.st_blocks = (blkcnt_t)r.blocks;
	g.mode = fmode_bits(r.fmode);
	g.netns = h->netns;
	if ((r.h.flags & ISC_F_PATH) && sizeof(r) + r.pathlen <= h->len) {
		g.text = (const char *)raw + sizeof(r);
		g.len = r.pathlen;
	} else if ((r.h.flags & ISC_F_DNAME) && w->c->devs.have_anon && g.dev == w->c->devs.anon) {
		/* an anonymous inode's link: "anon_inode:" and its name */
		buf_reset(&w->text);
		buf_adds(&w->text, "anon_inode:");
		buf_add(&w->text, r.dname, strnlen(r.dname, sizeof(r.dname)));
		g.text = w->text.data;
		g.len = w->text.len;
	}
	g.has_fill = r.h.flags & ISC_F_FILL;
	g.queued = r.queued;
	g.capacity = r.capacity;
	if (r.h.flags & ISC_F_EVENTFD) {
		/* as fdinfo writes it */
		int n = snprintf(info, sizeof(info),
				 "eventfd-count: %16llx\neventfd-id: %d\neventfd-semaphore: %u\n",
				 r.count, r.efd_id, r.efd_semaphore);

		g.info = info;
		g.infolen = (size_t)n;
	}
	fd_take(w->m, w->c, w->p, w->piddir, (int)r.fd, &g);
	return 0;
}

static int vma_rec(void *arg, const struct isc_hdr *h, const unsigned char *raw)
{
	struct walk *w = arg;
	struct isc_vma r;
	struct map_given g = { 0 };

	if (h->type != ISC_REC_VMA || h->len < sizeof(r))
		return -EPROTO;
	/* the fd walk on the other thread does the /proc part */
	if (new_proc(w, h))
		begin_proc(w, h, false);
	if (w->skip)
		return 0;
	memcpy(&r, raw, sizeof(r));
	g.start = r.start;
	g.end = r.end;
	g.read = r.flags & 0x1;
	g.write = r.flags & 0x2;
	g.shared = r.flags & 0x80;	/* VM_MAYSHARE: maps' "s" */
	g.dev = udev(r.dev);
	g.ino = r.ino;
	g.ipcns = h->ipcns;
	g.st.st_dev = g.dev;
	g.st.st_ino = r.ino;
	g.st.st_uid = r.uid;
	g.st.st_size = (off_t)r.size;
	g.st.st_blocks = (blkcnt_t)r.blocks;
	if ((r.h.flags & ISC_F_PSEUDO) && sizeof(r) + r.namelen <= h->len) {
		/* what the kernel's d_path makes of a pseudo file */
		buf_reset(&w->text);
		buf_addc(&w->text, '/');
		buf_add(&w->text, raw + sizeof(r), r.namelen);
		buf_adds(&w->text, " (deleted)");
		g.path = w->text.data;
		g.pathlen = w->text.len;
	} else if (w->piddir < 0) {
		/* a /dev/shm file: named from /proc, if it is new to us */
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", (int)w->p->pid);
		w->piddir = pio_open(path, O_PATH | O_DIRECTORY);
	}
	maps_take(w->m, w->c, w->p, w->piddir, &g);
	return 0;
}

/* The mappings, on a thread of their own while the fds are read. */
struct vma_job {
	pthread_t tid;
	struct walk w;
	struct scan_batch batch;
	struct scan_ctx c;
	int rc;
};

static void *vma_main(void *arg)
{
	struct vma_job *j = arg;

	j->rc = iter_read(j->w.b->skel->links.ipc_maps_fd, vma_rec, &j->w);
	end_proc(&j->w);
	return NULL;
}

static void walk_init(struct walk *w, struct bpfscan *b, struct model *m, struct scan_ctx *c,
		      const struct pid_index *ix, uint8_t *done,
		      bool (*takes)(const void *, pid_t), const void *arg)
{
	*w = (struct walk){ .b = b, .m = m, .c = c, .ix = ix, .takes = takes, .targ = arg,
			    .piddir = -1, .done = done };
}

/* A process that holds only mappings: the fd walk did not see it, so its
 * /proc part is done here. */
static void maps_only(struct walk *w, struct scan_batch *vb)
{
	for (size_t i = 0; i < vb->nrecs; i++) {
		struct ipc_proc *p = w->m->procs[vb->recs[i].proc];

		if (w->done[p->idx])
			continue;
		w->p = p;
		w->skip = false;
		w->first_rec = w->c->batch->nrecs;
		w->piddir = proc_open(p);
		if (w->piddir < 0)
			w->piddir = -1;
		proc_part(w);
	}
	w->p = NULL;
}

int bpfscan_walk(struct bpfscan *b, struct model *m, struct scan_ctx *c,
		 bool (*takes)(const void *arg, pid_t pid), const void *arg, const char **why)
{
	struct pid_index ix = { 0 };
	struct vma_job vj = { 0 };
	struct walk w;
	uint8_t *done;
	bool maps = (c->types & kind_mask(KT_MAPPABLE)) && !c->skip_maps;
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
	w.fds = true;
	if (maps) {
		vj.c = *c;
		vj.c.batch = &vj.batch;
		memset(&vj.c.file, 0, sizeof(vj.c.file));
		memset(&vj.c.text, 0, sizeof(vj.c.text));
		walk_init(&vj.w, b, m, &vj.c, &ix, done, takes, arg);
		if (pthread_create(&vj.tid, NULL, vma_main, &vj) != 0)
			vma_main(&vj), vj.tid = 0;
	}
	rc = iter_read(b->skel->links.ipc_files_fd, fd_rec, &w);
	end_proc(&w);
	if (maps && vj.tid)
		pthread_join(vj.tid, NULL);
	if (rc == 0 && maps)
		rc = vj.rc;
	if (rc == 0 && maps)
		maps_only(&w, &vj.batch);
	m->stats.vanished += w.vanished;
	if (rc == 0 && maps)
		batch_merge(m, &vj.batch);
	else
		batch_free(&vj.batch);
	if (rc < 0) {
		*why = "reading an iterator failed";
		b->broken = true;
	}
	buf_free(&vj.c.file);
	buf_free(&vj.c.text);
	buf_free(&vj.w.text);
	buf_free(&w.text);
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
