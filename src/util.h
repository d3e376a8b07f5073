/* Small shared helpers: allocation that never returns NULL, a growable
 * byte buffer, strict number parsing. */
#ifndef IPCSCOPE_UTIL_H
#define IPCSCOPE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
void *xmemdup(const void *p, size_t n);

/* Growable byte buffer; data is always NUL-terminated for convenience,
 * but len is authoritative because names may hold NUL bytes. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
char *buf_steal(struct buf *b);

/* Strict unsigned parse of a whole string: no sign, no junk, no overflow. */
bool parse_u64(const char *s, uint64_t *out);
/* Parse decimal digits at *p, advancing it; false if none. */
bool scan_u64(const char **p, const char *end, uint64_t *out);
/* The next field of text split by spaces and tabs, from *pp on: *f and
 * *n; *pp moves past it. False at the end. */
bool scan_field(const char **pp, const char *end, const char **f, size_t *n);

/* Format a byte count as 512B, 9.5K, 64K, 1.0M ... */
/* Is fd (a directory, or O_PATH) on an mqueue filesystem? */
/* statfs f_type of an mqueue filesystem (not in <linux/magic.h>) */
#define MQUEUE_MAGIC 0x19800202
bool fd_on_mqueue_fs(int fd);
/* Is fd on a tmpfs (statfs)? What a /dev/shm must be. */
bool fd_on_tmpfs(int fd);
/* fstatat through statx with AT_STATX_DONT_SYNC: a file on another user's
 * FUSE (or NFS) mount answers from the kernel's cache, never from their
 * server, which may never answer. mnt, unless NULL, gets the mount id (0
 * when the kernel gives none). 0 or -errno. */
int stat_nosync(int dfd, const char *name, int flags, struct stat *st, uint32_t *mnt);
/* Opens, with flags, the very file the path fd pfd names (through
 * /proc/self/fd): no lookup between the check a caller made on pfd and
 * the open. An fd or -errno. */
int reopen_fd(int pfd, int flags);
/* write(2) all of it, through EINTR and short writes. 0 or -errno. */
int write_all(int fd, const void *p, size_t n);
/* The name of a uid, or its number; valid until user_names_free(). */
const char *user_name(uid_t uid);
void user_names_free(void);
void format_size(char *out, size_t outsz, uint64_t bytes);

#endif
