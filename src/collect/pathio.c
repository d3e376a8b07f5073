#include "collect/pathio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pio_rootfd = AT_FDCWD;
static const char *pio_rootname = "/";

int pio_init(const char *root)
{
	int fd;

	if (!root || !*root || strcmp(root, "/") == 0)
		return 0;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pio_rootfd = fd;
	pio_rootname = root;
	return 0;
}

void pio_fini(void)
{
	if (pio_rootfd >= 0)
		close(pio_rootfd);
	pio_rootfd = AT_FDCWD;
	pio_rootname = "/";
}

bool pio_rerooted(void)
{
	return pio_rootfd != AT_FDCWD;
}

const char *pio_root(void)
{
	return pio_rootname;
}

/* Below a fixture root, absolute paths become relative to its dirfd. */
static const char *pio_rel(const char *abspath)
{
	if (pio_rootfd == AT_FDCWD)
		return abspath;
	while (*abspath == '/')
		abspath++;
	return *abspath ? abspath : ".";
}

int pio_open(const char *abspath, int flags)
{
	int fd = openat(pio_rootfd, pio_rel(abspath), flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pio_lstat(const char *abspath, struct stat *st)
{
	if (fstatat(pio_rootfd, pio_rel(abspath), st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

int pio_read_at(int dirfd, const char *name, struct buf *b)
{
	int fd, rc = 0;

	buf_reset(b);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		buf_reserve(b, 4096);
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	close(fd);
	return rc;
}

int pio_read(const char *abspath, struct buf *b)
{
	return pio_read_at(pio_rootfd, pio_rel(abspath), b);
}

int pio_lines_open_at(struct pio_lines *l, int dirfd, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (l->fd < 0)
		return -errno;
	l->buf = xmalloc(PIO_LINE_MAX);
	return 0;
}

int pio_lines_open(struct pio_lines *l, const char *abspath)
{
	return pio_lines_open_at(l, pio_rootfd, pio_rel(abspath));
}

/* Moves the unread bytes to the front and reads more after them. */
static bool lines_fill(struct pio_lines *l)
{
	ssize_t n;

	if (l->eof)
		return false;
	memmove(l->buf, l->buf + l->start, l->end - l->start);
	l->end -= l->start;
	l->start = 0;
	do
		n = read(l->fd, l->buf + l->end, PIO_LINE_MAX - l->end);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		l->err = n < 0 ? -errno : 0;
		l->eof = true;
		return false;
	}
	l->end += (size_t)n;
	return true;
}

int pio_lines_next(struct pio_lines *l, const char **line, size_t *len)
{
	bool skipping = false;

	for (;;) {
		char *p = l->buf + l->start, *nl = memchr(p, '\n', l->end - l->start);

		if (nl) {
			l->start = (size_t)(nl + 1 - l->buf);
			if (skipping) {
				skipping = false;	/* the tail of a line too long */
				continue;
			}
			*line = p;
			*len = (size_t)(nl - p);
			return 1;
		}
		if (!skipping && l->start == 0 && l->end == PIO_LINE_MAX) {
			/* a whole buffer and no newline: drop it and its rest */
			l->skipped++;
			skipping = true;
		}
		if (skipping)
			l->start = l->end;
		if (!lines_fill(l)) {
			if (skipping || l->start == l->end)
				return 0;
			/* a last line without a newline */
			*line = l->buf + l->start;
			*len = l->end - l->start;
			l->start = l->end;
			return 1;
		}
	}
}

void pio_lines_close(struct pio_lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	l->fd = -1;
	l->buf = NULL;
}
