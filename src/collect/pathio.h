/* Every read of /proc, /dev/shm and /dev/mqueue goes through these, so a
 * test (or a fuzzer) can point the whole tool at a captured fixture tree
 * with IPCSCOPE_ROOT=DIR. */
#ifndef IPCSCOPE_PATHIO_H
#define IPCSCOPE_PATHIO_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util.h"

/* root: NULL or "" for the live system. Returns 0 or -errno. */
int pio_init(const char *root);
void pio_fini(void);
/* True when a fixture root is in use: live-only tricks (netlink, probing
 * pseudo filesystems) must then be skipped. */
bool pio_rerooted(void);
/* The root as given, for messages; "/" when live. */
const char *pio_root(void);

/* open(2) an absolute path below the root; O_CLOEXEC is always added.
 * Returns an fd or -errno. */
int pio_open(const char *abspath, int flags);
int pio_lstat(const char *abspath, struct stat *st);

/* Read a whole file into b (replacing its contents). 0 or -errno. */
int pio_read_at(int dirfd, const char *name, struct buf *b);
int pio_read(const char *abspath, struct buf *b);

/* A /proc file read a line at a time through one fixed buffer, so that
 * memory never grows with the file (a maps file can be 250 MB, and its
 * owner chooses that). A line longer than the buffer is skipped whole
 * and counted in `skipped`: no parser here needs one that long. */
#define PIO_LINE_MAX 65536
struct pio_lines {
	int fd;
	char *buf;		/* PIO_LINE_MAX bytes, one allocation */
	size_t start, end;	/* the unread bytes */
	bool eof;
	size_t skipped;		/* lines over PIO_LINE_MAX */
	int err;		/* a read's -errno, when one failed */
};
/* Opens dirfd/name (no symlink followed, never blocking). 0 or -errno. */
int pio_lines_open_at(struct pio_lines *l, int dirfd, const char *name);
int pio_lines_open(struct pio_lines *l, const char *abspath);
/* The next line, without its newline; *line is valid until the next
 * call. 1, or 0 at the end (or after a read error: see err). */
int pio_lines_next(struct pio_lines *l, const char **line, size_t *len);
void pio_lines_close(struct pio_lines *l);

#endif
