#include "util.h"

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		err(1, "out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		err(1, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		err(1, "out of memory");
	return p;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		errx(1, "out of memory");
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

void *xmemdup(const void *p, size_t n)
{
	char *q = xmalloc(n + 1);

	memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_steal(struct buf *b)
{
	char *p;

	buf_reserve(b, 0);
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

bool parse_u64(const char *s, uint64_t *out)
{
	const char *p = s, *end = s + strlen(s);

	if (!scan_u64(&p, end, out))
		return false;
	return p == end;
}

bool scan_u64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	*pp = p;
	return true;
}

void format_size(char *out, size_t outsz, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(out, outsz, "%lluB", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	/* Round first, so 1023.96K becomes 1.0M rather than "1024K". */
	if (v < 9.95)
		snprintf(out, outsz, "%.1f%c", v, units[u]);
	else if (v < 1023.5 || u == (int)sizeof(units) - 2)
		snprintf(out, outsz, "%.0f%c", v, units[u]);
	else
		snprintf(out, outsz, "1.0%c", units[u + 1]);
}

/* statfs(2) f_type of the mqueue filesystem (ipc/mqueue.c; not in uapi) */


bool fd_on_mqueue_fs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == MQUEUE_MAGIC;
}

bool fd_on_tmpfs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == 0x01021994;	/* TMPFS_MAGIC */
}

bool scan_field(const char **pp, const char *end, const char **f, size_t *n)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end)
		return false;
	*f = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	*n = (size_t)(p - *f);
	*pp = p;
	return true;
}

int stat_nosync(int dfd, const char *name, int flags, struct stat *st, uint32_t *mnt)
{
	struct statx sx;

	if (statx(dfd, name, flags | AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT,
		  STATX_BASIC_STATS | (mnt ? STATX_MNT_ID : 0), &sx) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_size = (off_t)sx.stx_size;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	st->st_atim = (struct timespec){ sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec };
	st->st_mtim = (struct timespec){ sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec };
	st->st_ctim = (struct timespec){ sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec };
	if (mnt)
		*mnt = sx.stx_mask & STATX_MNT_ID ? (uint32_t)sx.stx_mnt_id : 0;
	return 0;
}

int reopen_fd(int pfd, int flags)
{
	char self[48];
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* User names by uid, cached for the run: a table asks once per row. */
struct uid_name {
	uid_t uid;
	char *name;
};

static struct uid_name *uid_cache;
static size_t uid_cache_len;
/* the JSON renderer asks from several threads */
static pthread_mutex_t uid_lock = PTHREAD_MUTEX_INITIALIZER;

const char *user_name(uid_t uid)
{
	struct passwd pwbuf, *pw = NULL;
	char num[24], pwtext[4096];
	const char *name = NULL;

	pthread_mutex_lock(&uid_lock);
	for (size_t i = 0; i < uid_cache_len; i++)
		if (uid_cache[i].uid == uid) {
			name = uid_cache[i].name;
			break;
		}
	if (!name) {
		if (getpwuid_r(uid, &pwbuf, pwtext, sizeof(pwtext), &pw) != 0)
			pw = NULL;
		if (!pw)
			snprintf(num, sizeof(num), "%u", (unsigned)uid);
		/* names live as long as the cache: the array holds pointers */
		uid_cache = xreallocarray(uid_cache, uid_cache_len + 1, sizeof(*uid_cache));
		uid_cache[uid_cache_len].uid = uid;
		uid_cache[uid_cache_len].name = xstrdup(pw ? pw->pw_name : num);
		name = uid_cache[uid_cache_len++].name;
	}
	pthread_mutex_unlock(&uid_lock);
	return name;
}

void user_names_free(void)
{
	for (size_t i = 0; i < uid_cache_len; i++)
		free(uid_cache[i].name);
	free(uid_cache);
	uid_cache = NULL;
	uid_cache_len = 0;
}
