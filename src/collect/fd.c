/* Walks /proc/PID/fd. On a live system one fstatat() per fd tells the
 * kind and identity of what it refers to; only IPC objects cost more. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collect/bounded.h"
#include "collect/collect.h"
#include "collect/mounts.h"
#include "collect/ns.h"
#include "collect/pathio.h"
#include "collect/proc.h"
#include "kinds/mqueue.h"
#include "kinds/pipe.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL	/* Linux 6.9 */
#endif

#define DELETED_SUFFIX " (deleted)"
#define DELETED_SUFFIX_LEN (sizeof(DELETED_SUFFIX) - 1)

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26	/* linux/memfd.h, whose MFD_ clash with glibc's */
#endif

/* The internal hugetlbfs mount of each huge page size, from a memfd of
 * our own on it: creating one reserves no page. */
static void fd_probe_huge(struct scan_ctx *c)
{
	DIR *dir = opendir("/sys/kernel/mm/hugepages");
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir)) && c->devs.nhuge < ARRAY_SIZE(c->devs.huge)) {
		unsigned long long kb;
		unsigned shift = 10;
		struct stat st;
		int fd;

		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1 || !kb || (kb & (kb - 1)))
			continue;
		while (kb > 1 && shift < 63) {
			kb >>= 1;
			shift++;
		}
		fd = memfd_create("ipcscope-probe", MFD_CLOEXEC | MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0)
			c->devs.huge[c->devs.nhuge++] = st.st_dev;
		close(fd);
	}
	closedir(dir);
}

void fd_probe(struct scan_ctx *c)
{
	struct stat st;
	int p[2], fd;

	/* Our own pipe, socket and memfd share their pseudo filesystems with
	 * everyone else's; creating them touches nothing outside this process. */
	if (pipe2(p, O_CLOEXEC) == 0) {
		if (fstat(p[0], &st) == 0) {
			c->devs.pipefs = st.st_dev;
			c->devs.have_pipefs = true;
		}
		close(p[0]);
		close(p[1]);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0) {
			c->devs.sockfs = st.st_dev;
			c->devs.have_sockfs = true;
		}
		close(fd);
	}
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0) {
			c->devs.anon = st.st_dev;
			c->devs.have_anon = true;
		}
		close(fd);
	}
	fd = memfd_create("ipcscope-probe", MFD_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0) {
			c->devs.memfd = st.st_dev;
			c->devs.have_memfd = true;
		}
		close(fd);
	}
	fd_probe_huge(c);
	if (fstatat(AT_FDCWD, "/proc/self/ns/net", &st, 0) == 0)
		c->self_netns = st.st_ino;
	if (fstatat(AT_FDCWD, "/proc/self/ns/ipc", &st, 0) == 0)
		c->self_ipcns = st.st_ino;
}

int fd_parse_fdinfo(const char *buf, size_t len, int *mode, uint64_t *ino)
{
	const char *p = buf, *end = buf + len;
	bool have_flags = false;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		uint64_t v;

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 6 && memcmp(p, "flags:", 6) == 0) {
			unsigned long long fl = 0;
			bool any = false;

			/* octal, possibly with leading zeros */
			for (q = p + 6; q < eol && (*q == ' ' || *q == '\t'); q++)
				;
			for (; q < eol && *q >= '0' && *q <= '7'; q++) {
				if (fl >> 60)
					return -1;
				fl = fl * 8 + (unsigned)(*q - '0');
				any = true;
			}
			if (!any)
				return -1;
			switch (fl & O_ACCMODE) {
			case O_RDONLY: *mode = MODE_R; break;
			case O_WRONLY: *mode = MODE_W; break;
			case O_RDWR: *mode = MODE_R | MODE_W; break;
			default: *mode = 0; break;
			}
			if (fl & O_PATH)
				*mode = 0;
			have_flags = true;
		} else if (ino && (size_t)(eol - p) > 4 && memcmp(p, "ino:", 4) == 0) {
			for (q = p + 4; q < eol && (*q == ' ' || *q == '\t'); q++)
				;
			if (scan_u64(&q, eol, &v))
				*ino = v;
		}
		p = eol + 1;
	}
	return have_flags ? 0 : -1;
}

/* Is the file at text (as seen from the process's root) still the object? */
static bool path_is_object(struct scan_ctx *c, int piddir, const char *text,
			   size_t len, dev_t dev, uint64_t ino)
{
	char path[PATH_MAX + 8];
	struct stat st;
	int rc;

	if (len == 0 || text[0] != '/' || len >= PATH_MAX || memchr(text, '\0', len))
		return false;
	if (c->rooted) {
		memcpy(path, text, len);
		path[len] = '\0';
		rc = pio_lstat(path, &st);
	} else {
		/* through the process's root, so a container's path resolves there */
		memcpy(path, "root", 4);
		memcpy(path + 4, text, len);
		path[len + 4] = '\0';
		rc = fstatat(piddir, path, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	}
	return rc == 0 && st.st_dev == dev && st.st_ino == ino;
}

static bool has_suffix(const char *s, size_t len, const char *suf, size_t suflen)
{
	return len >= suflen && memcmp(s + len - suflen, suf, suflen) == 0;
}

static void extra_name(struct scan_batch *b, struct scan_extra *e, const char *s,
		       size_t len, bool deleted)
{
	e->has_name = true;
	e->deleted = deleted;
	e->name_off = (uint32_t)b->names.len;
	e->name_len = (uint32_t)len;
	buf_add(&b->names, s, len);
}

/* "/NAME" is relative to the mqueue filesystem; it is not in the directory
 * we listed, so it was unlinked or lives elsewhere. */
static void name_mqueue(struct scan_ctx *c, dev_t dev, const char *text, size_t len,
			struct scan_extra *e)
{
	bool del = has_suffix(text, len, DELETED_SUFFIX, DELETED_SUFFIX_LEN);
	/* another namespace's queue: where that namespace mounts them */
	const char *dir = ns_mq_dir(c, dev);

	/* ours, where it is mounted; a queue of an internal mount no one
	 * mounted keeps the name mq_open took */
	if (!dir && c->devs.have_mqueue && dev == c->devs.mqueue)
		dir = c->mqueue_dir;
	if (del)
		len -= DELETED_SUFFIX_LEN;
	buf_reset(&c->file);
	if (dir && strcmp(dir, "/") != 0)
		buf_adds(&c->file, dir);
	buf_add(&c->file, text, len);
	extra_name(c->batch, e, c->file.data, c->file.len, del);
}

/* "/memfd:NAME (deleted)": never linked, so not "deleted" */
static void name_memfd(struct scan_ctx *c, const char *text, size_t len,
		       struct scan_extra *e)
{
	if (len > 7 && memcmp(text, "/memfd:", 7) == 0) {
		text++;
		len--;
	}
	if (has_suffix(text, len, DELETED_SUFFIX, DELETED_SUFFIX_LEN))
		len -= DELETED_SUFFIX_LEN;
	extra_name(c->batch, e, text, len, false);
}

void fd_name(struct scan_ctx *c, int piddir, enum ipc_type *type, dev_t dev,
	     uint64_t ino, const char *text, size_t len, struct scan_extra *e)
{
	const struct ipc_kind *k = ipc_kinds[*type];
	bool del = false;

	if (k->naming == NAME_NONE)
		return;
	if (k->naming == NAME_MQUEUE) {
		name_mqueue(c, dev, text, len, e);
		return;
	}
	if (k->naming == NAME_MEMFD) {
		name_memfd(c, text, len, e);
		return;
	}
	/* The kernel appends the suffix to unlinked files; a live file whose
	 * name really ends so is told apart by its identity. Without the
	 * suffix there is nothing to check. */
	if (has_suffix(text, len, DELETED_SUFFIX, DELETED_SUFFIX_LEN) &&
	    !path_is_object(c, piddir, text, len, dev, ino)) {
		len -= DELETED_SUFFIX_LEN;
		del = true;
	}
	/* otherwise it lives outside our view (another mount namespace, a
	 * rename after open): keep the name as the kernel gave it */
	extra_name(c->batch, e, text, len, del);
	if (k->refine)
		*type = k->refine(text, len);
}

static int fd_readlink(int fdd, const char *name, struct buf *b)
{
	ssize_t n;

	buf_reset(b);
	buf_reserve(b, PATH_MAX);
	n = readlinkat(fdd, name, b->data, b->cap - 1);
	if (n < 0)
		return -errno;
	b->len = (size_t)n;
	b->data[n] = '\0';
	return 0;
}

/* The link of fd fdnum: name below fdd, or, when name is NULL (the bpf
 * backend, which rarely needs it), "fd/N" below the process's directory. */
static int fd_readlink_n(int fdd, const char *name, int fdnum, struct buf *b)
{
	char fdname[32];

	if (!name) {
		snprintf(fdname, sizeof(fdname), "fd/%d", fdnum);
		name = fdname;
	}
	return fd_readlink(fdd, name, b);
}

static uint8_t link_mode(mode_t m)
{
	/* the fd link's own permission bits mirror the file's access mode */
	return (uint8_t)(((m & S_IRUSR) ? MODE_R : 0) | ((m & S_IWUSR) ? MODE_W : 0));
}

/* --pid, second pass: is this an object the first pass marked? The model
 * is not written while processes are walked, so no lock is needed. */
static bool is_wanted(const struct model *m, dev_t dev, uint64_t ino)
{
	const struct ipc_obj *o = model_find(m, dev, ino);

	return o && o->wanted;
}

/* A look through a duplicate of a holder's fd, recorded for after the
 * walk (fd_probes_run). The duplicate is made then, not now: by that time
 * the holder may have put a file of its own FUSE server at that number,
 * whose ioctl, and whose close (FLUSH, an uninterruptible wait), need
 * never end; so it is made in a child the scan waits for only so long.
 * pidfd_getfd reads the table of the pidfd's task: the thread's, when the
 * walked table is not the leader's. */
static void probe_add(struct scan_ctx *c, const struct ipc_proc *p, int fdnum,
		      dev_t dev, uint64_t ino, uint8_t what)
{
	struct scan_batch *b = c->batch;
	struct scan_probe *q;

	/* this /proc's numbers are not our namespace's: no pidfd names them */
	if (c->rooted || !proc_pids_ours())
		return;
	if (b->nprobes == b->capprobes) {
		b->capprobes = b->capprobes ? b->capprobes * 2 : 64;
		b->probes = xreallocarray(b->probes, b->capprobes, sizeof(*b->probes));
	}
	q = &b->probes[b->nprobes++];
	*q = (struct scan_probe){ .dev = dev, .ino = ino, .fd = fdnum, .what = what,
				  .tid = c->fd_tid ? c->fd_tid : p->pid, .thread = c->fd_tid != 0 };
}

/* How full a pipe or FIFO is, read through a duplicate of a holder's fd:
 * unlike reopening /proc/PID/fd/N, that adds no reader or writer. Needs
 * ptrace rights over the holder, so failures are only recorded. */
static void pipe_probe(struct scan_ctx *c, struct scan_extra *e, const struct ipc_proc *p,
		       int fdnum, dev_t dev, uint64_t ino)
{
	if (c->rooted || !c->want_fill)
		return;
	if (!proc_pids_ours()) {
		e->fill_tried = true;
		e->fill_err = ESRCH;
		return;
	}
	probe_add(c, p, fdnum, dev, ino, PROBE_FILL);
}

static bool type_wanted(const struct scan_ctx *c, enum ipc_type type)
{
	return (c->types & kind_takes(type)) != 0;
}

/* Is an fd of this kind and identity worth a record in this walk? */
static bool fd_wanted(const struct model *m, const struct scan_ctx *c, enum ipc_type type,
		      dev_t dev, uint64_t ino)
{
	/* an anonymous inode's identity needs fdinfo: checked when it is read */
	return type_wanted(c, type) &&
	       (!c->only_wanted || ipc_kinds[type]->anon_id || is_wanted(m, dev, ino));
}

/* What a walker learns of an object the first time it meets it. */
static bool fd_describe(struct scan_ctx *c, struct ipc_proc *p, int piddir, int fdd,
			const char *name, int fdnum, enum ipc_type *type,
			const struct fd_facts *s, struct scan_extra *e, bool known)
{
	const struct ipc_kind *k = ipc_kinds[*type];

	if (!known && s->has_stat) {
		if (k->traits & KT_MEMORY) {
			/* tmpfs blocks are the memory really used, as for the
			 * files the directory scan sees */
			e->has_size = e->has_resident = true;
			e->size = s->size;
			e->resident = s->blocks * 512;
		}
		if (k->naming != NAME_NONE) {
			e->has_owner = true;
			e->owner = s->uid;
		}
	}
	if (!known && k->naming != NAME_NONE) {
		/* the fd may have gone away since it was looked at */
		if (s->text)
			fd_name(c, piddir, type, s->dev, s->ino, s->text, s->len, e);
		else if (fd_readlink_n(fdd, name, fdnum, &c->text) == 0)
			fd_name(c, piddir, type, s->dev, s->ino, c->text.data, c->text.len, e);
		else
			return false;
	}
	/* a queue no listing described: what its holder's fd tells (its
	 * counts: the only way to a queue no mqueue mount shows, and one
	 * that changes no time) */
	if (!known && (k->traits & KT_FDATTR))
		probe_add(c, p, fdnum, s->dev, s->ino, PROBE_MQ);
	if ((k->traits & KT_PIPELIKE) && s->fill_looked) {
		e->fill_tried = c->want_fill;
		e->has_fill = c->want_fill && s->has_fill;
		e->queued = s->queued;
		e->capacity = s->capacity;
	} else if (k->traits & KT_PIPELIKE) {
		pipe_probe(c, e, p, fdnum, s->dev, s->ino);
	}
	return true;
}

/* What fdinfo says of the file and its object, into f: the /proc walk's
 * parse, done once, of what the iterator gives as numbers. */
void fd_fdinfo_facts(const char *buf, size_t len, struct fd_facts *f)
{
	struct kind_facts *kf = &f->kf;
	uint64_t sem = 0;

	f->has_kf = true;
	/* the kernel writes the counter in hex ("%16llx") */
	kf->has_efd_count = kind_field_x64(buf, len, "eventfd-count:", &kf->efd_count);
	kf->has_efd_id = kind_field_u64(buf, len, "eventfd-id:", &kf->efd_id);
	if (kind_field_u64(buf, len, "eventfd-semaphore:", &sem))
		kf->efd_semaphore = sem != 0;
}

/* Anonymous inodes all share one inode; the kind finds the number that
 * tells them apart (eventfd's id) in the facts. Without one (an older
 * kernel) each fd stands alone. */
static uint64_t fd_anon_id(const struct ipc_kind *k, const struct fd_facts *f,
			   const struct ipc_proc *p, int fdnum)
{
	uint64_t id;

	if (k->anon_id(f, &id))
		return id;
	return 1ull << 63 | (uint64_t)(uint32_t)p->pid << 32 | (uint32_t)fdnum;
}

/* An object whose identity needs fdinfo: every record carries the id in
 * an extra; the first also what the fd told of the object, for its kind. */
static void fd_record_anon(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			   int piddir, int fdnum, enum ipc_type type, const struct fd_facts *s,
			   uint8_t mode)
{
	const struct ipc_obj *o;
	const struct ipc_kind *k = ipc_kinds[type];
	struct scan_batch *b = c->batch;
	struct fd_facts f = *s;
	struct scan_extra *e;
	char info[32];
	uint32_t xi;
	uint64_t id;

	if (!f.has_kf) {
		snprintf(info, sizeof(info), "fdinfo/%d", fdnum);
		if (pio_read_at(piddir, info, &c->file) < 0)
			return;
		fd_fdinfo_facts(c->file.data, c->file.len, &f);
	}
	id = fd_anon_id(k, &f, p, fdnum);
	o = c->only_wanted ? model_find_ns(m, f.dev, f.ino, id) : NULL;
	if (c->only_wanted && !(o && o->wanted))
		return;
	e = batch_extra(b, &xi);
	e->ns = id;
	if (!batch_seen(b, f.dev, f.ino, id)) {
		e->has_kf = true;
		e->kf = f.kf;
		batch_mark(b, f.dev, f.ino, id);
	}
	batch_add(b, type, f.dev, f.ino, p, fdnum, mode, xi);
}

/* The record of one fd, and the object's description when this walker
 * is the first to meet it: a /dev/shm file the directory scan saw needs no
 * name, and a pipe whose fill level is known needs no probe. */
static void fd_record(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		      int piddir, int fdd, const char *name, int fdnum, enum ipc_type type,
		      const struct fd_facts *s, uint8_t mode)
{
	struct scan_batch *b = c->batch;
	const struct ipc_obj *o;
	uint32_t xi = SCAN_NO_EXTRA;

	if (ipc_kinds[type]->anon_id) {
		fd_record_anon(m, c, p, piddir, fdnum, type, s, mode);
		return;
	}
	o = model_find(m, s->dev, s->ino);

	if ((!o || (pipe_of(o) && !pipe_st(o)->has_fill)) &&
	    !batch_seen(b, s->dev, s->ino, 0)) {
		struct scan_extra *e = batch_extra(b, &xi);

		if (!fd_describe(c, p, piddir, fdd, name, fdnum, &type, s, e, o != NULL)) {
			b->nextras--;
			return;
		}
		batch_mark(b, s->dev, s->ino, 0);
	}
	batch_add(b, type, s->dev, s->ino, p, fdnum, mode, xi);
}

/* The file flags of an fd, from fdinfo's "flags:" line (octal). */
static bool fdinfo_flags(const char *buf, size_t len, unsigned long long *flags)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		unsigned long long fl = 0;
		const char *q;
		bool any = false;

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 6 && memcmp(p, "flags:", 6) == 0) {
			for (q = p + 6; q < eol && (*q == ' ' || *q == '\t'); q++)
				;
			for (; q < eol && *q >= '0' && *q <= '7' && !(fl >> 60); q++, any = true)
				fl = fl * 8 + (unsigned)(*q - '0');
			*flags = fl;
			return any;
		}
		p = eol + 1;
	}
	return false;
}

/* Sockets cost one record, and the first of each socket in this walker
 * one read of fdinfo (its file's O_NONBLOCK: a socket has one file, so
 * any holder's fd tells): sock_diag describes the rest. */
static void fd_socket(struct scan_ctx *c, struct ipc_proc *p, int piddir, int fdnum,
		      enum ipc_type type, const struct fd_facts *s)
{
	struct scan_batch *b = c->batch;
	uint32_t xi = SCAN_NO_EXTRA;
	unsigned long long flags = 0;
	bool has = false;
	char info[32];

	if (!p->netns)
		p->netns = s->has_netns ? s->netns : proc_netns(piddir);
	if (!batch_seen(b, s->dev, s->ino, 0)) {
		if (s->has_flags) {
			flags = s->flags;
			has = true;
		} else if (piddir >= 0) {
			snprintf(info, sizeof(info), "fdinfo/%d", fdnum);
			has = pio_read_at(piddir, info, &c->file) == 0 &&
			      fdinfo_flags(c->file.data, c->file.len, &flags);
		}
		if (has || s->has_sock) {
			struct scan_extra *e = batch_extra(b, &xi);

			e->has_flags = has;
			e->nonblock = (flags & O_NONBLOCK) != 0;
			e->has_family = s->has_sock;
			e->family = e->has_family ? s->sk_family : 0;
		}
		batch_mark(b, s->dev, s->ino, 0);
	}
	/* sockets are always opened read-write */
	batch_add(b, type, s->dev, s->ino, p, fdnum, MODE_R | MODE_W, xi);
}

/* Fixture trees hold fd links as plain text: what a live stat would say
 * is what the kind whose text it is says (kinds' fixture hook), else an
 * lstat below the fixture root; the inode, when the text has none, is
 * fdinfo's. */
static bool fixture_facts(struct scan_ctx *c, struct fd_facts *s)
{
	const char *t = c->text.data;
	struct stat st;

	kind_fd_text(s, t, c->text.len);
	if (!kind_fixture_facts(s, &c->devs)) {
		if (t[0] != '/' || pio_lstat(t, &st) != 0)
			return false;
		s->fmt = st.st_mode & S_IFMT;
		s->dev = st.st_dev;
		s->nlink = st.st_nlink;
		s->ino = st.st_ino;
	}
	return s->ino != 0;
}

static void fd_one_rooted(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
			  int piddir, int fdd, const char *name, int fdnum)
{
	struct fd_facts s = { 0 };
	int mode = 0, t;
	char info[300];

	if (fd_readlink(fdd, name, &c->text) < 0)
		return;
	snprintf(info, sizeof(info), "fdinfo/%s", name);
	if (pio_read_at(piddir, info, &c->file) == 0)
		fd_parse_fdinfo(c->file.data, c->file.len, &mode, &s.ino);
	if (!fixture_facts(c, &s) || (t = kind_classify_fd(&s, &c->devs)) < 0 ||
	    !fd_wanted(m, c, (enum ipc_type)t, s.dev, s.ino))
		return;
	if (kind_has((enum ipc_type)t, KT_SOCKET))
		fd_socket(c, p, piddir, fdnum, (enum ipc_type)t, &s);
	else
		fd_record(m, c, p, piddir, fdd, name, fdnum, (enum ipc_type)t, &s, (uint8_t)mode);
}

/* The bounded child's question: is the file at fd link name on an mqueue
 * filesystem? Put to an O_PATH descriptor, which opens nothing: no
 * queue's state or times change. */
struct mq_ask {
	int fdd;
	const char *name;
};

static int mq_ask_run(void *arg, int out)
{
	const struct mq_ask *a = arg;
	int pfd;
	char yes;

	pfd = openat(a->fdd, a->name, O_PATH | O_CLOEXEC);
	yes = pfd >= 0 && fd_on_mqueue_fs(pfd) ? '1' : '0';

	return write(out, &yes, 1) == 1 ? 0 : -EIO;
}

#define MQ_ASK_MS 1000

/* Is the regular file at fd link name on an mqueue filesystem? Asked once
 * per device: an IPC namespace's queues live on its internal mount even
 * where none is mounted, on a device no listing learns. statfs would tell,
 * but FUSE filesystems have anonymous devices too, and a FUSE server need
 * never answer one (a user who merely holds a file of it open). So the
 * holder's mountinfo tells first (the kernel names the type there); only
 * a device it does not list (an internal mount, a lazily unmounted one)
 * is asked to statfs, in a child the walk waits for only so long. */
static bool fd_on_mqueue(struct scan_ctx *c, int piddir, int fdd, const char *name, dev_t dev)
{
	struct mq_ask ask = { fdd, name };
	bool mq = false;
	int rc;

	/* mqueue filesystems have anonymous devices; the known ones are
	 * told by the device already */
	if (major(dev) != 0 || kind_devs_mqueue(&c->devs, dev) || kind_devs_shm(&c->devs, dev) ||
	    (c->devs.have_memfd && dev == c->devs.memfd))
		return false;
	for (unsigned i = 0; i < c->nfstypes && i < ARRAY_SIZE(c->fstypes); i++)
		if (c->fstypes[i].dev == dev)
			return c->fstypes[i].mq;
	rc = mounts_dev_is_mqueue(piddir, "mountinfo", dev, &mq);
	if (rc <= 0) {
		/* not listed, or no mountinfo to read: not an answer yet */
		rc = bounded_fork(mq_ask_run, &ask, MQ_ASK_MS, &c->file);
		mq = rc == 0 && c->file.len == 1 && c->file.data[0] == '1';
	}
	/* a host of many containers has more overlay devices than room: the
	 * newest replaces the oldest, as files of one device come together */
	c->fstypes[c->nfstypes % ARRAY_SIZE(c->fstypes)].dev = dev;
	c->fstypes[c->nfstypes % ARRAY_SIZE(c->fstypes)].mq = mq;
	c->nfstypes++;
	return mq;
}

/* Returns -EACCES when the fd could not be looked at, else 0. On a live
 * system one fstatat() tells most fds apart; the link is read only when a
 * kind needs its text to decide. */
static int fd_one(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		  int piddir, int fdd, const char *name, int fdnum)
{
	struct stat st, lst;
	struct fd_facts s = { 0 };
	int t;

	if (stat_nosync(fdd, name, 0, &st, NULL) < 0)
		return errno == EACCES || errno == EPERM ? -EACCES : 0;
	s.fmt = st.st_mode & S_IFMT;
	s.dev = st.st_dev;
	s.nlink = st.st_nlink;
	s.ino = st.st_ino;
	s.has_stat = true;
	s.size = (uint64_t)st.st_size;
	s.blocks = (uint64_t)st.st_blocks;
	s.uid = st.st_uid;
	s.on_mqueue = s.fmt == S_IFREG && type_wanted(c, IPC_MQUEUE) &&
			fd_on_mqueue(c, piddir, fdd, name, st.st_dev);
	t = kind_classify_fd(&s, &c->devs);
	if (t == -2 && fd_readlink(fdd, name, &c->text) == 0) {
		kind_fd_text(&s, c->text.data, c->text.len);
		t = kind_classify_fd(&s, &c->devs);
	}
	if (t < 0 || !fd_wanted(m, c, (enum ipc_type)t, st.st_dev, st.st_ino))
		return 0;
	if (kind_has((enum ipc_type)t, KT_SOCKET)) {
		fd_socket(c, p, piddir, fdnum, (enum ipc_type)t, &s);
		return 0;
	}
	if (fstatat(fdd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	fd_record(m, c, p, piddir, fdd, name, fdnum, (enum ipc_type)t, &s, link_mode(lst.st_mode));
	return 0;
}

void fd_take(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir,
	     int fdnum, const struct fd_facts *g)
{
	struct fd_facts s = *g;
	int t;

	t = kind_classify_fd(&s, &c->devs);
	/* a name the kernel side did not give: as the walk reads it */
	if (t == -2 && piddir >= 0 && fd_readlink_n(piddir, NULL, fdnum, &c->text) == 0) {
		kind_fd_text(&s, c->text.data, c->text.len);
		t = kind_classify_fd(&s, &c->devs);
	}
	if (t < 0 || !fd_wanted(m, c, (enum ipc_type)t, s.dev, s.ino))
		return;
	if (kind_has((enum ipc_type)t, KT_SOCKET))
		fd_socket(c, p, piddir, fdnum, (enum ipc_type)t, &s);
	else
		fd_record(m, c, p, piddir, piddir, NULL, fdnum, (enum ipc_type)t, &s, s.mode);
}

int fd_scan(const struct model *m, struct scan_ctx *c, struct ipc_proc *p, int piddir)
{
	struct dirent *de;
	bool denied = false;
	DIR *dir;
	int fdd;

	fdd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdd < 0)
		return -errno;
	dir = fdopendir(fdd);
	if (!dir) {
		close(fdd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		uint64_t n;

		if (!parse_u64(de->d_name, &n) || n > INT32_MAX)
			continue;
		if (c->rooted)
			fd_one_rooted(m, c, p, piddir, dirfd(dir), de->d_name, (int)n);
		else if (fd_one(m, c, p, piddir, dirfd(dir), de->d_name, (int)n) < 0)
			denied = true;
	}
	closedir(dir);
	return denied ? -EACCES : 0;
}

static bool fd_table_walked(const pid_t *walked, size_t n, pid_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (proc_same_files(walked[i], tid))
			return true;
	return false;
}

int fd_scan_threads(const struct model *m, struct scan_ctx *c, struct ipc_proc *p,
		    int piddir)
{
	/* the tables walked, by a thread of each; a process of more tables
	 * than this has its extra ones compared again, which costs syscalls */
	pid_t walked[16] = { p->via_tid ? p->via_tid : p->pid };
	size_t nwalked = 1;
	struct dirent *de;
	bool denied = false;
	DIR *dir;
	int dfd;

	/* one kcmp per thread, so only where there are threads */
	if (p->nthreads <= 1 || c->rooted)
		return 0;
	dfd = proc_open_tasks(piddir, p);
	dir = dfd < 0 ? NULL : fdopendir(dfd);
	if (!dir) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((de = readdir(dir))) {
		uint64_t n;
		int tdir;

		/* an exited leader has no table left */
		if (!parse_u64(de->d_name, &n) || n > INT32_MAX || (pid_t)n == p->pid ||
		    fd_table_walked(walked, nwalked, (pid_t)n))
			continue;
		/* below the checked directory: a thread of this very process */
		tdir = openat(dirfd(dir), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (tdir < 0)
			continue;
		c->fd_tid = (pid_t)n;
		denied |= fd_scan(m, c, p, tdir) == -EACCES;
		close(tdir);
		if (nwalked < ARRAY_SIZE(walked))
			walked[nwalked++] = (pid_t)n;
	}
	c->fd_tid = p->via_tid;
	closedir(dir);
	return denied ? -EACCES : 0;
}

/* ------------------------------------------------------------ probes */

/* The whole scan's probes wait at most this long, within the shared
 * budget of bounded.c: a holder can make any one of them stall. */
#define PROBE_MS 3000

/* What one probe read, as the child sends it back. */
struct probe_rec {
	uint32_t idx;		/* in the sorted probes */
	int32_t err;		/* 0: read */
	uint32_t queued, capacity;
	uint64_t curmsgs, maxmsg, msgsize;
};

void fd_probes_take(struct scan_ctx *c, struct scan_batch *b)
{
	struct scan_probes *all = c->probes;

	if (!all || !b->nprobes) {
		b->nprobes = 0;
		return;
	}
	if (all->n + b->nprobes > all->cap) {
		all->cap = all->n + b->nprobes + all->cap;
		all->v = xreallocarray(all->v, all->cap, sizeof(*all->v));
	}
	memcpy(all->v + all->n, b->probes, b->nprobes * sizeof(*b->probes));
	all->n += b->nprobes;
	b->nprobes = 0;
}

/* By object, so that the child skips a second holder's fd of an object
 * the first already told; then by holder, to reuse its pidfd. */
static int probe_cmp(const void *pa, const void *pb)
{
	const struct scan_probe *a = pa, *b = pb;

	if (a->what != b->what)
		return a->what < b->what ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->ino != b->ino)
		return a->ino < b->ino ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

static bool probe_same_obj(const struct scan_probe *a, const struct scan_probe *b)
{
	return a->what == b->what && a->dev == b->dev && a->ino == b->ino;
}

/* Records go out in groups: a write each would cost as much as the probe.
 * A stall loses at most the group's earlier answers, which count as not
 * read. */
#define PROBE_GROUP 64

static void probe_send(int out, const struct probe_rec *r, size_t nr)
{
	const char *p = (const char *)r;
	size_t left = nr * sizeof(*r);

	while (left) {
		ssize_t n = write(out, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);	/* the scan gave up on us */
		p += n;
		left -= (size_t)n;
	}
}

/* Is fd still the object the walk saw? Cached attributes only: a FUSE
 * server is not asked. */
static bool probe_is_obj(int fd, const struct scan_probe *q)
{
	struct statx sx;

	return statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT,
		     STATX_TYPE | STATX_INO, &sx) == 0 &&
	       makedev(sx.stx_dev_major, sx.stx_dev_minor) == q->dev && sx.stx_ino == q->ino;
}

/* One probe, through the duplicate fd: 0 or an errno. */
static int probe_read(int fd, const struct scan_probe *q, struct probe_rec *r)
{
	int queued = 0, cap;

	if (q->what == PROBE_FILL) {
		if (ioctl(fd, FIONREAD, &queued) < 0 || (cap = fcntl(fd, F_GETPIPE_SZ)) < 0)
			return errno;
		r->queued = (uint32_t)queued;
		r->capacity = (uint32_t)cap;
		return 0;
	}
	{
		struct ipc_mq mq = { 0 };

		if (fd_on_mqueue_fs(fd))
			mq_attr_of(fd, &mq);
		if (!mq.has_attr)
			return ENODATA;
		r->curmsgs = mq.curmsgs;
		r->maxmsg = mq.maxmsg;
		r->msgsize = mq.msgsize;
		return 0;
	}
}

/* The child: each probe, told back in groups as they are read, so that
 * what was read before a stall is not lost; a duplicate that is not the
 * object any more has its group sent before it is closed, as a close can
 * be the wait that never ends (FUSE FLUSH). */
static int probes_child(void *arg, int out)
{
	const struct scan_probes *all = arg;
	struct probe_rec group[PROBE_GROUP];
	size_t ng = 0;
	pid_t pid_of = 0;
	bool thread_of = false, prev_ok = false;
	int pidfd = -1, pidfd_err = 0;

	for (size_t i = 0; i < all->n; i++) {
		const struct scan_probe *q = &all->v[i];
		struct probe_rec r = { .idx = (uint32_t)i };
		bool other = false;
		int fd = -1;

		if (i && prev_ok && probe_same_obj(q, &all->v[i - 1]))
			continue;	/* told already */
		if (q->tid != pid_of || q->thread != thread_of) {
			if (pidfd >= 0)
				close(pidfd);
			pid_of = q->tid;
			thread_of = q->thread;
			pidfd = (int)syscall(SYS_pidfd_open, q->tid, q->thread ? PIDFD_THREAD : 0);
			pidfd_err = pidfd < 0 ? errno : 0;
		}
		if (pidfd < 0)
			r.err = pidfd_err;
		else if ((fd = (int)syscall(SYS_pidfd_getfd, pidfd, q->fd, 0)) < 0)
			r.err = errno;
		else if ((other = !probe_is_obj(fd, q)))
			r.err = EBADF;	/* the holder put something else there */
		else
			r.err = probe_read(fd, q, &r);
		prev_ok = r.err == 0;
		group[ng++] = r;
		if (ng == PROBE_GROUP || other) {
			probe_send(out, group, ng);
			ng = 0;
		}
		if (fd >= 0)
			close(fd);
	}
	if (ng)
		probe_send(out, group, ng);
	return 0;
}

static void probe_apply(struct model *m, const struct scan_probe *q, const struct probe_rec *r)
{
	struct ipc_obj *o = model_find(m, q->dev, q->ino);

	if (!o)
		return;
	if (q->what == PROBE_FILL && pipe_of(o) && !pipe_st(o)->has_fill) {
		pipe_st(o)->err = r->err;
		if (!r->err) {
			pipe_st(o)->has_fill = true;
			pipe_st(o)->queued = r->queued;
			pipe_st(o)->capacity = r->capacity;
		}
	} else if (q->what == PROBE_MQ && !r->err && o->type == IPC_MQUEUE && !mq_st(o)->has_attr &&
		   kind_of(o)->facts) {
		struct kind_facts kf = { .has_mq_attr = true, .mq_curmsgs = r->curmsgs,
					 .mq_maxmsg = r->maxmsg, .mq_msgsize = r->msgsize };

		kind_of(o)->facts(o, &kf);
	}
}

/* Probes past upto were never done: their objects' facts are unknown,
 * unless another holder's probe told them. The number of such objects. */
static size_t probes_unread(struct model *m, const struct scan_probes *all, size_t upto)
{
	size_t left = 0;

	for (size_t i = upto; i < all->n; i++) {
		const struct scan_probe *q = &all->v[i];
		struct ipc_obj *o;

		if (i > upto && probe_same_obj(q, &all->v[i - 1]))
			continue;
		o = model_find(m, q->dev, q->ino);
		if (!o)
			continue;
		if (q->what == PROBE_FILL && pipe_of(o) && !pipe_st(o)->has_fill) {
			pipe_st(o)->err = ETIMEDOUT;
			left++;
		} else if (q->what == PROBE_MQ && o->type == IPC_MQUEUE && !mq_st(o)->has_attr) {
			left++;
		}
	}
	return left;
}

void fd_probes_run(struct model *m, struct scan_ctx *c)
{
	struct scan_probes *all = c->probes;
	struct buf got = { 0 };
	size_t upto = 0, left;
	bool spent;
	int rc;

	if (!all || !all->n)
		return;
	qsort(all->v, all->n, sizeof(*all->v), probe_cmp);
	spent = bounded_spent();
	rc = bounded_fork(probes_child, all, PROBE_MS, &got);
	for (size_t off = 0; off + sizeof(struct probe_rec) <= got.len;
	     off += sizeof(struct probe_rec)) {
		struct probe_rec r;

		memcpy(&r, got.data + off, sizeof(r));
		if (r.idx >= all->n || r.idx < upto)
			break;
		probe_apply(m, &all->v[r.idx], &r);
		upto = (size_t)r.idx + 1;
	}
	buf_free(&got);
	if (rc < 0 && (left = probes_unread(m, all, upto)))
		model_warn(m, "the look at holders' fds stopped (%s) with %zu pipe fill level%s "
			   "or queue count%s not read: a holder's fd may have become another "
			   "user's file that never answers; those are unknown",
			   spent ? "the scan's time for waits was spent before it began" :
			   rc == -ETIMEDOUT ? "it did not end in time" : strerror(-rc), left,
			   left == 1 ? "" : "s", left == 1 ? "" : "s");
	free(all->v);
	*all = (struct scan_probes){ 0 };
}
