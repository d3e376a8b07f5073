/* Pieces several kinds share: a pipe's fill level, column cells, and
 * removing a file that is still the object a scan saw. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "render/jw.h"
#include "kinds/kind.h"
#include "collect/ns.h"
#include "render/render.h"
#include "testhooks.h"
#include "kinds/pipe.h"

bool kind_pipe_queued(const struct ipc_obj *o, uint64_t *v)
{
	if (!pipe_st(o)->has_fill)
		return false;
	*v = pipe_st(o)->queued;
	return true;
}

bool kind_pipe_capacity(const struct ipc_obj *o, uint64_t *v)
{
	if (!pipe_st(o)->has_fill)
		return false;
	*v = pipe_st(o)->capacity;
	return true;
}

void kind_pipe_detail(FILE *out, const struct model *m, const struct ipc_obj *o,
		      const struct render_opts *ro, struct buf *tmp)
{
	(void)m, (void)ro, (void)tmp;
	if (pipe_st(o)->has_fill)
		fprintf(out, "  %-9s %u of %u bytes\n", "queued", pipe_st(o)->queued,
			pipe_st(o)->capacity);
	else
		fprintf(out, "  %-9s unknown (%s)\n", "queued",
			pipe_st(o)->err ? strerror(pipe_st(o)->err) : "no holder could be read");
}

bool kind_cell_u64(bool has, uint64_t v, struct buf *out, int64_t *num)
{
	if (!has)
		return false;
	if (out)
		buf_printf(out, "%llu", (unsigned long long)v);
	if (num)
		*num = (int64_t)v;
	return true;
}

bool kind_cell_text(const char *s, struct buf *out)
{
	if (!s)
		return false;
	if (out)
		buf_adds(out, s);
	return true;
}

void kind_pipe_detail_peer(FILE *out, const struct model *m, const struct ipc_obj *o,
			   const struct render_opts *ro, struct buf *tmp)
{
	detail_field(out, m, o, ro, "peer", "PEER", tmp);
}

/* The text after "key:" and its blanks on the line that starts so. */
static bool field_at(const char *buf, size_t len, const char *key, const char **val,
		     const char **eolp)
{
	size_t kl = strlen(key);

	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > kl && memcmp(p, key, kl) == 0) {
			const char *q = p + kl;

			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			*val = q;
			*eolp = eol;
			return true;
		}
		p = eol + 1;
	}
	return false;
}

bool kind_field_x64(const char *buf, size_t len, const char *key, uint64_t *v)
{
	const char *q, *eol;
	uint64_t x = 0;
	bool any = false;

	if (!field_at(buf, len, key, &q, &eol))
		return false;
	for (; q < eol; q++) {
		int d = *q >= '0' && *q <= '9' ? *q - '0' :
			(*q | 0x20) >= 'a' && (*q | 0x20) <= 'f' ? (*q | 0x20) - 'a' + 10 : -1;

		if (d < 0 || x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
		any = true;
	}
	if (any)
		*v = x;
	return any;
}

bool kind_field_u64(const char *buf, size_t len, const char *key, uint64_t *v)
{
	const char *q, *eol;

	return field_at(buf, len, key, &q, &eol) && scan_u64(&q, eol, v);
}

void kind_pipe_json(struct jw *w, const struct model *m, const struct ipc_obj *o)
{
	const struct ipc_pipe *p = pipe_st(o);
	int64_t readers = 0, writers = 0;

	(void)m;
	for (size_t i = 0; i < o->nholders; i++) {
		readers += (o->holders[i].mode & MODE_R) != 0;
		writers += (o->holders[i].mode & MODE_W) != 0;
	}
	jw_obj_begin(w, "pipe");
	jw_int(w, "readers", readers);
	jw_int(w, "writers", writers);
	jw_u64_or_null(w, "queued", p->has_fill, p->queued);
	jw_u64_or_null(w, "capacity", p->has_fill, p->capacity);
	jw_str(w, "error", p->has_fill ? NULL
			   : p->err ? strerror(p->err) : "no holder could be read");
	jw_obj_end(w);
}

bool kind_text_starts(const struct fd_facts *f, const char *prefix)
{
	size_t n = strlen(prefix);

	return f->text && f->len >= n && memcmp(f->text, prefix, n) == 0;
}

bool kind_text_bracket(const struct fd_facts *f, const char *prefix, uint64_t *ino)
{
	size_t pl = strlen(prefix);
	const char *s = f->text, *p;

	if (!s || f->len < pl + 2 || memcmp(s, prefix, pl) != 0 || s[f->len - 1] != ']')
		return false;
	p = s + pl;
	return scan_u64(&p, s + f->len - 1, ino) && p == s + f->len - 1;
}

void kind_fd_text(struct fd_facts *f, const char *text, size_t len)
{
	f->text = text;
	f->len = len;
	if (len >= 11 && memcmp(text, "anon_inode:", 11) == 0) {
		f->anon = text + 11;
		f->anonlen = len - 11;
	}
}

void kind_map_path(struct map_facts *f, const char *path, size_t len)
{
	f->name = NULL;
	f->len = 0;
	f->deleted = false;
	if (len == 0 || path[0] != '/')
		return;
	f->name = path + 1;
	f->len = len - 1;
	if (f->len >= KIND_DELETED_LEN &&
	    memcmp(f->name + f->len - KIND_DELETED_LEN, KIND_DELETED, KIND_DELETED_LEN) == 0) {
		f->len -= KIND_DELETED_LEN;
		f->deleted = true;
	}
}

bool kind_map_starts(const struct map_facts *f, const char *pre)
{
	size_t n = strlen(pre);

	return kind_map_pathlen(f) > n + 1 && f->len >= n && memcmp(f->name, pre, n) == 0;
}

/* Opens the directory part of path without following any symlink on the
 * way, so a swapped directory cannot redirect the unlink. The path of an
 * object of another mount namespace is resolved inside that namespace's
 * root, reached through its home process. */
static int open_parent(const struct ipc_obj *o, const char **base)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	const char *slash = memrchr(o->path, '/', o->pathlen);
	int fd, rootfd;
	char *dir;

	if (!slash || memchr(o->path, '\0', o->pathlen))
		return -EINVAL;
	*base = slash + 1;
	dir = xmemdup(o->path, slash == o->path ? 1 : (size_t)(slash - o->path));
	if (o->home) {
		rootfd = ns_open_root(o->home);
		fd = rootfd < 0 ? rootfd : ns_openat_root(rootfd, dir, O_PATH | O_DIRECTORY);
		if (rootfd >= 0)
			close(rootfd);
	} else {
		fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
		if (fd < 0)
			fd = -errno;
	}
	free(dir);
	return fd;
}

/* The directory still holds the object on its own mount: the same
 * filesystem as the file, no mount on top of the name, and the kind's
 * idea of the filesystem (tmpfs for /dev/shm, mqueue for a queue). */
static int same_mount(int dfd, const char *base, const struct ipc_obj *o, mode_t fmt,
		      bool (*dir_ok)(int dfd))
{
	struct stat d, f;
	uint32_t dmnt, fmnt;
	int rc;

	if ((rc = stat_nosync(dfd, "", AT_EMPTY_PATH, &d, &dmnt)) < 0 ||
	    (rc = stat_nosync(dfd, base, AT_SYMLINK_NOFOLLOW, &f, &fmnt)) < 0)
		return rc;
	if ((f.st_mode & S_IFMT) != fmt || f.st_dev != o->dev || f.st_ino != o->ino)
		return -ESTALE;	/* another file has taken the name */
	if (d.st_dev != o->dev || (dmnt && fmnt && dmnt != fmnt))
		return -ESTALE;	/* a mount covers the name: not the object */
	if (dir_ok && !dir_ok(dfd))
		return -ESTALE;
	return 0;
}

/* A write lease is granted only while nobody else has the file open or
 * mapped through an open file, wherever that open file is: a process's fd,
 * an fd in flight in a UNIX socket, an io_uring's registered files, a loop
 * device. Held across the last look and the unlink, it also tells of
 * anyone who opens the file meanwhile (the lease breaks). The lease's fd
 * is a reopening of a path fd checked to be the object, so the open
 * itself can never reach another file. */
static int take_lease(int dfd, const char *base, const struct ipc_obj *o)
{
	struct stat st;
	int pfd, fd;

	pfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != o->dev ||
	    st.st_ino != o->ino) {
		close(pfd);
		return -ESTALE;
	}
	fd = reopen_fd(pfd, O_RDONLY | O_NONBLOCK);
	close(pfd);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0) {
		int err = errno;

		close(fd);
		return err == EAGAIN || err == EBUSY ? -EBUSY : -err;
	}
	return fd;
}

int kind_unlink_checked(const struct ipc_obj *o, mode_t fmt, bool (*dir_ok)(int dfd))
{
	const char *base;
	int dfd, lease = -1, rc;

	if (!o->path)
		return -EINVAL;
	dfd = open_parent(o, &base);
	if (dfd < 0)
		return dfd;
	rc = same_mount(dfd, base, o, fmt, dir_ok);
	if (rc == 0 && fmt == S_IFREG && (lease = take_lease(dfd, base, o)) < 0)
		rc = lease;
	if (rc == 0)
		testhook_pause(TESTHOOK_BEFORE_UNLINK);
	/* the last look: the lease unbroken, the name still the object's */
	if (rc == 0 && lease >= 0 && fcntl(lease, F_GETLEASE) != F_WRLCK)
		rc = -EBUSY;
	if (rc == 0)
		rc = same_mount(dfd, base, o, fmt, dir_ok);
	if (rc == 0 && unlinkat(dfd, base, 0) < 0)
		rc = -errno;
	if (lease >= 0)
		close(lease);	/* and a late opener goes on */
	close(dfd);
	return rc;
}

const char *kind_pipe_wait_state(enum wait_dir d)
{
	switch (d) {
	case WD_READ: return "empty";
	case WD_WRITE: return "full";
	case WD_OPEN_READ: return "no-writer";
	case WD_OPEN_WRITE: return "no-reader";
	default: return "waiting";
	}
}

/* A reader waits for a writer and a writer for a reader; nobody else holds
 * an anonymous pipe, while anyone may open a FIFO by its name. */
bool kind_pipe_wait_wakers(const struct model *m, const struct ipc_obj *o, enum wait_dir d,
			   void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	uint8_t want = d == WD_READ || d == WD_OPEN_READ ? MODE_W : MODE_R;

	(void)m;
	for (size_t i = 0; i < o->nholders; i++)
		if (o->holders[i].mode & want)
			fn(arg, &o->holders[i]);
	return !kind_has(o->type, KT_PATHNAMED);
}

void kind_each_holder(const struct ipc_obj *o,
		      void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	for (size_t i = 0; o && i < o->nholders; i++)
		fn(arg, &o->holders[i]);
}

/* A client not accepted yet has no peer: the listener's process is the
 * one that will take it. */
bool kind_sock_peer_cell(const struct kind_sock_end *e, struct buf *out)
{
	size_t start = out->len;

	if (e->has_listener) {
		if (e->listener)
			holders_text(out, e->listener);
		buf_adds(out, out->len > start ? " (backlog)" : "(backlog)");
	} else if (e->peer) {
		holders_text(out, e->peer);
	} else {
		for (size_t k = 0; k < e->nsenders; k++) {
			size_t before = out->len;

			if (out->len > start)
				buf_adds(out, " ");
			holders_text(out, e->senders[k]);
			if (out->len == before + 1)
				out->len = before;	/* a sender held by no one */
		}
	}
	return out->len > start;
}

bool kind_sock_peer_holders(const struct kind_sock_end *e,
			    void (*fn)(void *arg, const struct ipc_holder *h), void *arg)
{
	if (!(e->has_listener || e->has_peer || e->nsenders))
		return false;
	if (e->has_listener || e->has_peer) {
		kind_each_holder(e->has_listener ? e->listener : e->peer, fn, arg);
		return true;
	}
	for (size_t k = 0; k < e->nsenders; k++)
		kind_each_holder(e->senders[k], fn, arg);
	return true;
}

static void sock_holders_json(struct jw *w, const struct ipc_obj *o)
{
	for (size_t i = 0; o && i < o->nholders; i++) {
		const struct ipc_holder *h = &o->holders[i];

		jw_obj_begin(w, NULL);
		jw_int(w, "pid", h->proc->pid);
		jw_bytes(w, "comm", h->proc->comm, strlen(h->proc->comm));
		jw_int_or_null(w, "fd", !h->mapped, h->fd);
		jw_obj_end(w);
	}
}

void kind_sock_peer_json(struct jw *w, const struct kind_sock_end *e)
{
	jw_arr_begin(w, "peer_holders");
	if (e->peer)
		sock_holders_json(w, e->peer);
	else
		for (size_t k = 0; k < e->nsenders; k++)
			sock_holders_json(w, e->senders[k]);
	jw_arr_end(w);
	jw_arr_begin(w, "senders");
	for (size_t k = 0; k < e->nsenders; k++)
		jw_u64(w, NULL, e->senders[k]->ino);
	jw_arr_end(w);
}
